//! The audit log: every sign-in, failure, lockout, factor change, session revocation,
//! invitation and role change, with who, from where and when. Secrets never go in.

pub mod entity;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::DomainError;

pub use entity::Model as AuditEvent;

/// Where a request came from, as the host saw it. Put into each request by the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestOrigin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What happened, in the words the audit page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SignedIn,
    SignInFailed,
    AccountLocked,
    SignedOut,
    SessionRevoked,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    TotpEnrolled,
    RecoveryCodesGenerated,
    RecoveryCodeUsed,
    PasskeyAdded,
    PasskeyRenamed,
    PasskeyRemoved,
    InvitationSent,
    InvitationAccepted,
    InvitationRevoked,
    RoleChanged,
    UserDisabled,
    LockReleased,
    CustomerCreated,
    CustomerUpdated,
    CompanySettingsChanged,
    JobCreated,
    JobUpdated,
    JobScheduled,
    JobStatusChanged,
    QuoteSaved,
    QuoteSent,
    QuoteAccepted,
    QuoteDeclined,
    QuoteExpired,
    InvoiceDrafted,
    InvoiceIssued,
    InvoiceCredited,
    InvoiceOverdue,
    PaymentRecorded,
    DocumentUploaded,
    DocumentDownloaded,
    DocumentVisibilityChanged,
    MessageSent,
    RecordViewed,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "signed_in",
            Self::SignInFailed => "sign_in_failed",
            Self::AccountLocked => "account_locked",
            Self::SignedOut => "signed_out",
            Self::SessionRevoked => "session_revoked",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::TotpEnrolled => "totp_enrolled",
            Self::RecoveryCodesGenerated => "recovery_codes_generated",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRenamed => "passkey_renamed",
            Self::PasskeyRemoved => "passkey_removed",
            Self::InvitationSent => "invitation_sent",
            Self::InvitationAccepted => "invitation_accepted",
            Self::InvitationRevoked => "invitation_revoked",
            Self::RoleChanged => "role_changed",
            Self::UserDisabled => "user_disabled",
            Self::LockReleased => "lock_released",
            Self::CustomerCreated => "customer_created",
            Self::CustomerUpdated => "customer_updated",
            Self::CompanySettingsChanged => "company_settings_changed",
            Self::JobCreated => "job_created",
            Self::JobUpdated => "job_updated",
            Self::JobScheduled => "job_scheduled",
            Self::JobStatusChanged => "job_status_changed",
            Self::QuoteSaved => "quote_saved",
            Self::QuoteSent => "quote_sent",
            Self::QuoteAccepted => "quote_accepted",
            Self::QuoteDeclined => "quote_declined",
            Self::QuoteExpired => "quote_expired",
            Self::InvoiceDrafted => "invoice_drafted",
            Self::InvoiceIssued => "invoice_issued",
            Self::InvoiceCredited => "invoice_credited",
            Self::InvoiceOverdue => "invoice_overdue",
            Self::PaymentRecorded => "payment_recorded",
            Self::DocumentUploaded => "document_uploaded",
            Self::DocumentDownloaded => "document_downloaded",
            Self::DocumentVisibilityChanged => "document_visibility_changed",
            Self::MessageSent => "message_sent",
            Self::RecordViewed => "record_viewed",
        }
    }
}

/// One row to write. `subject` names what was acted on, e.g. `user:12` or `session`.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor_user_id: Option<i32>,
    pub action: AuditAction,
    pub subject: String,
    pub origin: &'a RequestOrigin,
    pub detail: Option<String>,
}

pub async fn record(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    entry: AuditEntry<'_>,
) -> Result<(), DomainError> {
    entity::ActiveModel {
        occurred_at: Set(at),
        actor_user_id: Set(entry.actor_user_id),
        action: Set(entry.action.as_str().to_owned()),
        subject: Set(entry.subject),
        ip: Set(entry.origin.ip.clone()),
        user_agent: Set(entry
            .origin
            .user_agent
            .as_ref()
            .map(|ua| ua.chars().take(300).collect())),
        detail: Set(entry.detail),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Who makes a change, when and from where. Services write the audit row with the change, in
/// the same transaction, so a change without its row cannot happen.
#[derive(Debug, Clone)]
pub struct Stamp {
    pub at: DateTime<Utc>,
    pub by: Option<i32>,
    pub origin: RequestOrigin,
}

impl Stamp {
    pub fn new(at: DateTime<Utc>, by: Option<i32>, origin: RequestOrigin) -> Self {
        Self { at, by, origin }
    }

    /// A change the system makes by itself (a quote expiring, an invoice falling due).
    pub fn system(at: DateTime<Utc>) -> Self {
        Self::new(at, None, RequestOrigin::default())
    }

    pub async fn record(
        &self,
        db: &impl ConnectionTrait,
        action: AuditAction,
        subject: String,
        detail: Option<String>,
    ) -> Result<(), DomainError> {
        record(
            db,
            self.at,
            AuditEntry {
                actor_user_id: self.by,
                action,
                subject,
                origin: &self.origin,
                detail,
            },
        )
        .await
    }
}

/// The newest rows first.
pub async fn latest(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<AuditEvent>, DomainError> {
    Ok(entity::Entity::find()
        .order_by_desc(entity::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
