//! What one live event tells a page: what changed, and on which move. Nothing more crosses:
//! the page asks its own server functions for what it shows, so the access policy that guards
//! those answers guards live updates too.

use serde::{Deserialize, Serialize};

/// What changed (the domain's `LiveKind` without the control events that never reach a page).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NewsKind {
    JobCreated,
    JobStatusChanged,
    EtaUpdated,
    ScheduleChanged,
    DetailsChanged,
    QuoteSent,
    QuoteAccepted,
    QuoteDeclined,
    QuoteChangeAsked,
    RescheduleAsked,
    RequestAnswered,
    DocumentAdded,
    DocumentShown,
    InvoiceIssued,
    InvoicePaid,
    InvoiceOverdue,
    InvoiceCredited,
    PaymentRecorded,
    PaymentUpdated,
    MessagePosted,
    MessagesRead,
}

impl NewsKind {
    /// Changes the thread of messages (or the unread counts), not the move itself.
    pub fn is_about_messages(self) -> bool {
        matches!(self, Self::MessagePosted | Self::MessagesRead)
    }
}

/// One event as the browser receives it (its SSE `data`; the `id` is the event id too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct News {
    pub id: i64,
    pub kind: NewsKind,
    pub job_id: Option<i32>,
}

#[cfg(feature = "ssr")]
impl News {
    /// The page's view of a stored event; `None` for the control events (access, sessions).
    pub fn of(event: &portico_domain::live::LiveEvent) -> Option<Self> {
        use portico_domain::live::LiveKind as K;
        let kind = match event.kind {
            K::JobCreated => NewsKind::JobCreated,
            K::JobStatusChanged => NewsKind::JobStatusChanged,
            K::EtaUpdated => NewsKind::EtaUpdated,
            K::ScheduleChanged => NewsKind::ScheduleChanged,
            K::DetailsChanged => NewsKind::DetailsChanged,
            K::QuoteSent => NewsKind::QuoteSent,
            K::QuoteAccepted => NewsKind::QuoteAccepted,
            K::QuoteDeclined => NewsKind::QuoteDeclined,
            K::QuoteChangeAsked => NewsKind::QuoteChangeAsked,
            K::RescheduleAsked => NewsKind::RescheduleAsked,
            K::RequestAnswered => NewsKind::RequestAnswered,
            K::DocumentAdded => NewsKind::DocumentAdded,
            K::DocumentShown => NewsKind::DocumentShown,
            K::InvoiceIssued => NewsKind::InvoiceIssued,
            K::InvoicePaid => NewsKind::InvoicePaid,
            K::InvoiceOverdue => NewsKind::InvoiceOverdue,
            K::InvoiceCredited => NewsKind::InvoiceCredited,
            K::PaymentRecorded => NewsKind::PaymentRecorded,
            K::PaymentUpdated => NewsKind::PaymentUpdated,
            K::MessagePosted => NewsKind::MessagePosted,
            K::MessagesRead => NewsKind::MessagesRead,
            K::AccessChanged | K::SessionsEnded => return None,
        };
        Some(Self {
            id: event.id,
            kind,
            job_id: event.job_id,
        })
    }
}

/// The names of the control events on the stream (SSE `event:` field); news has none.
pub mod control {
    /// Too much was missed, or what the person may see changed: refetch what the page shows.
    pub const RESYNC: &str = "resync";
    /// The session ended (signed out, expired, disabled): stop listening.
    pub const SIGNED_OUT: &str = "signed_out";
    /// The person opened more tabs than allowed and this, the oldest, was closed: do not
    /// reconnect on its own (it would close another tab's in turn).
    pub const SUPERSEDED: &str = "superseded";
}
