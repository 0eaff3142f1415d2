//! The `customer` table.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    #[sea_orm(string_value = "household")]
    Household,
    #[sea_orm(string_value = "business")]
    Business,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub kind: CustomerKind,
    pub email: String,
    pub phone: String,
    pub created_at: DateTimeUtc,
    /// Street and number (the billing address).
    pub address: String,
    pub postcode: String,
    pub city: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "crate::jobs::entity::Entity")]
    Job,
    #[sea_orm(has_many = "crate::accounts::contact::Entity")]
    Contact,
}

impl Related<crate::jobs::entity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Job.def()
    }
}

impl Related<crate::accounts::contact::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contact.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
