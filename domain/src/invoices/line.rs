//! The `invoice_line` table: the priced lines of an invoice, in order.

use sea_orm::entity::prelude::*;

use crate::money::{LineInput, PricedLine, VatRate};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_line")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub invoice_id: i32,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub quantity_hundredths: i64,
    pub unit: String,
    pub unit_price_cents: i64,
    /// Percent: 21, 9 or 0.
    pub vat_rate: i32,
    pub net_cents: i64,
    pub vat_cents: i64,
}

impl Model {
    pub fn priced(&self) -> PricedLine {
        PricedLine {
            input: LineInput {
                description: self.description.clone(),
                quantity_hundredths: self.quantity_hundredths,
                unit: self.unit.clone(),
                unit_price_cents: self.unit_price_cents,
                vat_rate: VatRate::from_percent(self.vat_rate).unwrap_or(VatRate::Standard),
            },
            net_cents: self.net_cents,
            vat_cents: self.vat_cents,
        }
    }
}

/// The row for a priced line at `position`.
pub fn active(invoice_id: i32, position: usize, line: &PricedLine) -> ActiveModel {
    use sea_orm::ActiveValue::Set;
    ActiveModel {
        invoice_id: Set(invoice_id),
        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        description: Set(line.input.description.clone()),
        quantity_hundredths: Set(line.input.quantity_hundredths),
        unit: Set(line.input.unit.clone()),
        unit_price_cents: Set(line.input.unit_price_cents),
        vat_rate: Set(line.input.vat_rate.percent()),
        net_cents: Set(line.net_cents),
        vat_cents: Set(line.vat_cents),
        ..Default::default()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
