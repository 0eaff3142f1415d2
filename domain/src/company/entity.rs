//! The `company` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// IANA name, e.g. `Europe/Amsterdam`; times are stored in UTC and shown in this zone.
    pub time_zone: String,
    pub created_at: DateTimeUtc,
    /// Postal address, several lines.
    #[sea_orm(column_type = "Text")]
    pub address: String,
    /// Chamber of Commerce (KvK) number.
    pub kvk_number: String,
    pub vat_number: String,
    pub iban: String,
    /// Put before every invoice number: `F` gives `F2026-00001`.
    pub invoice_prefix: String,
    /// Days between issue and due date.
    pub payment_term_days: i32,
    /// `#rrggbb`, for the header and the PDFs.
    pub brand_colour: String,
    pub logo_document_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
