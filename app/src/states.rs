//! The states that cross to the browser: serde enums, never strings built on the way. Each
//! has the words a page shows and the badge it wears; the server maps the domain's own enum
//! into it with an exhaustive `match` (a new domain state does not compile until it is shown),
//! and what a page may offer comes with it as server-computed flags on the views.

use serde::{Deserialize, Serialize};

/// Something with a state badge on a page.
pub trait Shown: Copy {
    /// The state in words ("on its way", "open").
    fn label(self) -> &'static str;
    /// The badge's CSS modifier (`badge--en_route`).
    fn badge(self) -> &'static str;
}

/// Where a move stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Requested,
    Quoted,
    Accepted,
    Declined,
    Expired,
    Scheduled,
    EnRoute,
    InProgress,
    Completed,
    Invoiced,
    Paid,
    Overdue,
    Cancelled,
}

impl JobState {
    /// The name in forms and URLs: the same as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Quoted => "quoted",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Scheduled => "scheduled",
            Self::EnRoute => "en_route",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Invoiced => "invoiced",
            Self::Paid => "paid",
            Self::Overdue => "overdue",
            Self::Cancelled => "cancelled",
        }
    }
}

impl Shown for JobState {
    fn label(self) -> &'static str {
        match self {
            Self::EnRoute => "on its way",
            Self::InProgress => "in progress",
            other => other.as_str(),
        }
    }

    fn badge(self) -> &'static str {
        self.as_str()
    }
}

/// One version of a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteState {
    Draft,
    Sent,
    Accepted,
    Declined,
    Expired,
    Superseded,
}

impl Shown for QuoteState {
    fn label(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Superseded => "superseded",
        }
    }

    fn badge(self) -> &'static str {
        match self {
            Self::Draft => "quote-draft",
            Self::Sent => "quote-sent",
            Self::Accepted => "quote-accepted",
            Self::Declined => "quote-declined",
            Self::Expired => "quote-expired",
            Self::Superseded => "quote-superseded",
        }
    }
}

/// An invoice or credit note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    Draft,
    Issued,
    Paid,
    Overdue,
    Credited,
}

impl Shown for InvoiceState {
    fn label(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issued => "open",
            Self::Paid => "paid",
            Self::Overdue => "overdue",
            Self::Credited => "credited",
        }
    }

    fn badge(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issued => "issued",
            Self::Paid => "paid",
            Self::Overdue => "overdue",
            Self::Credited => "credited",
        }
    }
}

/// An online payment of an invoice, as the provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Portico is asking the provider for a checkout.
    Starting,
    /// Waiting for the customer at the provider.
    Open,
    /// The bank is confirming.
    Processing,
    Paid,
    Cancelled,
    Expired,
    Failed,
}

impl PaymentState {
    /// Still on its way: the return page keeps asking.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Starting | Self::Open | Self::Processing)
    }
}

impl Shown for PaymentState {
    fn label(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Open => "waiting for payment",
            Self::Processing => "processing",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    fn badge(self) -> &'static str {
        match self {
            Self::Starting | Self::Open => "payment-open",
            Self::Processing => "payment-processing",
            Self::Paid => "paid",
            Self::Cancelled | Self::Expired => "cancelled",
            Self::Failed => "payment-failed",
        }
    }
}

/// An invitation link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationState {
    Open,
    Accepted,
    Expired,
    Revoked,
}

impl Shown for InvitationState {
    fn label(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }

    fn badge(self) -> &'static str {
        self.label()
    }
}

/// What a contact may do on a customer account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Owner,
    Payer,
    Viewer,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Owner, Scope::Payer, Scope::Viewer];

    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Payer => "payer",
            Self::Viewer => "viewer",
        }
    }

    /// What the scope lets someone do, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Owner => "Owner: everything, including accepting quotes and managing people",
            Self::Payer => "Payer: sees the moves, quotes and invoices, and pays",
            Self::Viewer => "Viewer: sees the moves and papers, no amounts",
        }
    }
}

/// Where a customer's request to the office stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Open,
    Accepted,
    Answered,
    Declined,
}

impl Shown for RequestState {
    fn label(self) -> &'static str {
        match self {
            Self::Open => "waiting for an answer",
            Self::Accepted => "accepted",
            Self::Answered => "answered",
            Self::Declined => "declined",
        }
    }

    fn badge(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Answered => "answered",
            Self::Declined => "declined",
        }
    }
}

/// A household or a business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Household,
    Business,
}

impl CustomerKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Household => "household",
            Self::Business => "business",
        }
    }
}

#[cfg(feature = "ssr")]
mod from_domain {
    //! The one place each domain state becomes its browser twin.

    use portico_domain::{
        accounts::{invitations::InvitationState as Invitation, ContactScope},
        customers::CustomerKind as Kind,
        invoices::InvoiceStatus,
        jobs::JobStatus,
        quotes::QuoteStatus,
        requests::RequestStatus,
    };

    use super::*;

    impl From<RequestStatus> for RequestState {
        fn from(status: RequestStatus) -> Self {
            match status {
                RequestStatus::Open => Self::Open,
                RequestStatus::Accepted => Self::Accepted,
                RequestStatus::Answered => Self::Answered,
                RequestStatus::Declined => Self::Declined,
            }
        }
    }

    impl From<JobStatus> for JobState {
        fn from(status: JobStatus) -> Self {
            match status {
                JobStatus::Requested => Self::Requested,
                JobStatus::Quoted => Self::Quoted,
                JobStatus::Accepted => Self::Accepted,
                JobStatus::Declined => Self::Declined,
                JobStatus::Expired => Self::Expired,
                JobStatus::Scheduled => Self::Scheduled,
                JobStatus::EnRoute => Self::EnRoute,
                JobStatus::InProgress => Self::InProgress,
                JobStatus::Completed => Self::Completed,
                JobStatus::Invoiced => Self::Invoiced,
                JobStatus::Paid => Self::Paid,
                JobStatus::Overdue => Self::Overdue,
                JobStatus::Cancelled => Self::Cancelled,
            }
        }
    }

    impl From<QuoteStatus> for QuoteState {
        fn from(status: QuoteStatus) -> Self {
            match status {
                QuoteStatus::Draft => Self::Draft,
                QuoteStatus::Sent => Self::Sent,
                QuoteStatus::Accepted => Self::Accepted,
                QuoteStatus::Declined => Self::Declined,
                QuoteStatus::Expired => Self::Expired,
                QuoteStatus::Superseded => Self::Superseded,
            }
        }
    }

    impl From<portico_domain::payments::AttemptStatus> for PaymentState {
        fn from(status: portico_domain::payments::AttemptStatus) -> Self {
            use portico_domain::payments::AttemptStatus as S;
            match status {
                S::Creating => Self::Starting,
                S::Open => Self::Open,
                S::Pending | S::Authorized => Self::Processing,
                S::Paid => Self::Paid,
                S::Canceled => Self::Cancelled,
                S::Expired => Self::Expired,
                S::Failed => Self::Failed,
            }
        }
    }

    impl From<InvoiceStatus> for InvoiceState {
        fn from(status: InvoiceStatus) -> Self {
            match status {
                InvoiceStatus::Draft => Self::Draft,
                InvoiceStatus::Issued => Self::Issued,
                InvoiceStatus::Paid => Self::Paid,
                InvoiceStatus::Overdue => Self::Overdue,
                InvoiceStatus::Credited => Self::Credited,
            }
        }
    }

    impl From<Invitation> for InvitationState {
        fn from(state: Invitation) -> Self {
            match state {
                Invitation::Open => Self::Open,
                Invitation::Accepted => Self::Accepted,
                Invitation::Expired => Self::Expired,
                Invitation::Revoked => Self::Revoked,
            }
        }
    }

    impl From<ContactScope> for Scope {
        fn from(scope: ContactScope) -> Self {
            match scope {
                ContactScope::Owner => Self::Owner,
                ContactScope::Payer => Self::Payer,
                ContactScope::Viewer => Self::Viewer,
            }
        }
    }

    impl From<Kind> for CustomerKind {
        fn from(kind: Kind) -> Self {
            match kind {
                Kind::Household => Self::Household,
                Kind::Business => Self::Business,
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// The name in forms is the wire name and the domain's stored name, for every state.
        #[test]
        fn job_states_keep_one_name() {
            for status in JobStatus::ALL {
                let state = JobState::from(status);
                assert_eq!(state.as_str(), status.code());
                assert_eq!(
                    serde_json::to_value(state).expect("serialises"),
                    serde_json::Value::String(status.code().to_owned())
                );
            }
        }
    }
}
