//! The `payment` table: money received against an invoice.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub invoice_id: i32,
    pub amount_cents: i64,
    /// `bank_transfer`, `ideal`, `cash`, `card`, `online`, `test`.
    pub method: String,
    pub reference: String,
    pub received_at: DateTimeUtc,
    pub recorded_by: Option<i32>,
    /// The online attempt it came from (unique): none for money recorded by hand.
    #[sea_orm(unique)]
    pub attempt_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
