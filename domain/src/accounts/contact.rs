//! The `customer_contact` table: a person's access to one customer account.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a contact may do on the customer account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ContactScope {
    /// Everything on the account.
    #[sea_orm(string_value = "owner")]
    Owner,
    /// Sees and pays invoices, sees jobs.
    #[sea_orm(string_value = "payer")]
    Payer,
    /// Sees jobs and documents; cannot pay, accept quotes or message.
    #[sea_orm(string_value = "viewer")]
    Viewer,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_contact")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub customer_id: i32,
    pub user_id: i32,
    pub scope: ContactScope,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::customers::entity::Entity",
        from = "Column::CustomerId",
        to = "crate::customers::entity::Column::Id"
    )]
    Customer,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    User,
}

impl Related<crate::customers::entity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
