//! The `live_event` table: one row per change that open pages should show without a reload.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What changed. The browser refetches what it shows of the thing named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum LiveKind {
    #[sea_orm(string_value = "job_created")]
    JobCreated,
    #[sea_orm(string_value = "job_status_changed")]
    JobStatusChanged,
    #[sea_orm(string_value = "eta_updated")]
    EtaUpdated,
    #[sea_orm(string_value = "schedule_changed")]
    ScheduleChanged,
    /// Addresses, notes, the volume.
    #[sea_orm(string_value = "details_changed")]
    DetailsChanged,
    #[sea_orm(string_value = "quote_sent")]
    QuoteSent,
    #[sea_orm(string_value = "quote_accepted")]
    QuoteAccepted,
    #[sea_orm(string_value = "quote_declined")]
    QuoteDeclined,
    #[sea_orm(string_value = "quote_change_asked")]
    QuoteChangeAsked,
    #[sea_orm(string_value = "reschedule_asked")]
    RescheduleAsked,
    #[sea_orm(string_value = "request_answered")]
    RequestAnswered,
    #[sea_orm(string_value = "document_added")]
    DocumentAdded,
    #[sea_orm(string_value = "document_shown")]
    DocumentShown,
    #[sea_orm(string_value = "invoice_issued")]
    InvoiceIssued,
    #[sea_orm(string_value = "invoice_paid")]
    InvoicePaid,
    #[sea_orm(string_value = "invoice_overdue")]
    InvoiceOverdue,
    #[sea_orm(string_value = "invoice_credited")]
    InvoiceCredited,
    #[sea_orm(string_value = "payment_recorded")]
    PaymentRecorded,
    /// An online payment started, or the provider's word on it changed.
    #[sea_orm(string_value = "payment_updated")]
    PaymentUpdated,
    #[sea_orm(string_value = "message_posted")]
    MessagePosted,
    #[sea_orm(string_value = "messages_read")]
    MessagesRead,
    /// A person's access changed (a scope, an account taken away): their open streams look
    /// them up again. Never shown to anyone.
    #[sea_orm(string_value = "access_changed")]
    AccessChanged,
    /// Some or all of a person's sessions ended (sign-out, revoked, disabled, role changed):
    /// their open streams check their own session. Never shown to anyone.
    #[sea_orm(string_value = "sessions_ended")]
    SessionsEnded,
}

impl LiveKind {
    /// Tells the hub to look at the person again rather than to show anyone anything.
    pub fn is_control(self) -> bool {
        matches!(self, Self::AccessChanged | Self::SessionsEnded)
    }
}

/// Who may hear of the change, decided by the access policy when it is delivered (not when it
/// is written), so that a contact taken off an account or crew taken off a job stop hearing at
/// once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Audience {
    /// Everyone who may see the job: its customer's contacts, its crew, the office.
    #[sea_orm(string_value = "job")]
    Job,
    /// Prices and invoices: owner and payer contacts, the office (never viewers or crew).
    #[sea_orm(string_value = "money")]
    Money,
    /// Whoever may see one document (its `money` and `shown_to_customer` columns).
    #[sea_orm(string_value = "document")]
    Document,
    /// Office and admin only.
    #[sea_orm(string_value = "office")]
    Office,
    /// One person (`user_id`).
    #[sea_orm(string_value = "person")]
    Person,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "live_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub kind: LiveKind,
    pub audience: Audience,
    pub customer_id: Option<i32>,
    pub job_id: Option<i32>,
    pub user_id: Option<i32>,
    pub money: bool,
    pub shown_to_customer: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
