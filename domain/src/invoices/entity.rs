//! The `invoice` table: invoices and credit notes, one number series.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// draft → issued → paid / overdue / credited. An issued invoice never changes its lines; a
/// credit note cancels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "issued")]
    Issued,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "overdue")]
    Overdue,
    #[sea_orm(string_value = "credited")]
    Credited,
}

impl InvoiceStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issued => "open",
            Self::Paid => "paid",
            Self::Overdue => "overdue",
            Self::Credited => "credited",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    #[sea_orm(string_value = "invoice")]
    Invoice,
    #[sea_orm(string_value = "credit_note")]
    CreditNote,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub customer_id: i32,
    pub job_id: Option<i32>,
    pub quote_id: Option<i32>,
    pub kind: InvoiceKind,
    /// For a credit note: the invoice it cancels.
    pub credits_invoice_id: Option<i32>,
    /// `F2026-00001`; none while a draft.
    #[sea_orm(unique)]
    pub number: Option<String>,
    pub year: Option<i32>,
    pub sequence: Option<i32>,
    pub status: InvoiceStatus,
    pub issue_date: Option<Date>,
    pub due_date: Option<Date>,
    pub net_cents: i64,
    pub vat_cents: i64,
    pub total_cents: i64,
    pub paid_cents: i64,
    pub created_at: DateTimeUtc,
    pub issued_at: Option<DateTimeUtc>,
    /// The PDF rendered at issue (a document); what every download serves.
    pub pdf_document_id: Option<i32>,
}

impl Model {
    /// A draft gets its number when it is issued; nothing else can be issued.
    pub fn can_be_issued(&self) -> bool {
        self.status == InvoiceStatus::Draft
    }

    /// Money is booked on an issued (or overdue) invoice, never on a credit note.
    pub fn takes_payments(&self) -> bool {
        self.kind == InvoiceKind::Invoice
            && matches!(self.status, InvoiceStatus::Issued | InvoiceStatus::Overdue)
    }

    /// An open invoice on which no money was received can be cancelled by a credit note.
    pub fn can_be_credited(&self) -> bool {
        self.takes_payments() && self.paid_cents == 0
    }

    /// An invoice (not a credit note) that was not credited: its quote is invoiced.
    pub fn invoices_its_quote(&self) -> bool {
        self.kind == InvoiceKind::Invoice && self.status != InvoiceStatus::Credited
    }

    pub fn outstanding_cents(&self) -> i64 {
        self.total_cents - self.paid_cents
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
