//! The audit log: every sign-in, failure, lockout, factor change, session revocation,
//! invitation and role change, with who, from where and when. Secrets never go in.

pub mod entity;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
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
    IdentityConfirmed,
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
    ContactAdded,
    ContactScopeChanged,
    ContactRemoved,
    ProfileUpdated,
    EmailChangeRequested,
    EmailChanged,
    UserDisabled,
    UserEnabled,
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
    /// A customer left to pay online.
    PaymentStarted,
    /// The provider's word on an online payment changed (paid, failed, refunded, flagged).
    PaymentUpdated,
    DocumentUploaded,
    DocumentDownloaded,
    DocumentVisibilityChanged,
    MessageSent,
    RequestMade,
    RequestAnswered,
    RecordViewed,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "signed_in",
            Self::IdentityConfirmed => "identity_confirmed",
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
            Self::ContactAdded => "contact_added",
            Self::ContactScopeChanged => "contact_scope_changed",
            Self::ContactRemoved => "contact_removed",
            Self::ProfileUpdated => "profile_updated",
            Self::EmailChangeRequested => "email_change_requested",
            Self::EmailChanged => "email_changed",
            Self::UserDisabled => "user_disabled",
            Self::UserEnabled => "user_enabled",
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
            Self::PaymentStarted => "payment_started",
            Self::PaymentUpdated => "payment_updated",
            Self::DocumentUploaded => "document_uploaded",
            Self::DocumentDownloaded => "document_downloaded",
            Self::DocumentVisibilityChanged => "document_visibility_changed",
            Self::MessageSent => "message_sent",
            Self::RequestMade => "request_made",
            Self::RequestAnswered => "request_answered",
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

/// A person looks at the same record many times while working on it (every change reloads the
/// page); one row per person and record in this window says who looked, without a row per click.
pub const VIEW_WINDOW: Duration = Duration::minutes(15);

/// Records that a member of staff viewed a customer's record (`customer:3`, `job:12`), unless
/// the same person's view of it is already recorded within [`VIEW_WINDOW`]. Views by the
/// customer's own contacts are not recorded here; the caller decides who is staff.
pub async fn record_view(
    db: &impl ConnectionTrait,
    stamp: &Stamp,
    subject: String,
) -> Result<bool, DomainError> {
    let Some(by) = stamp.by else {
        return Ok(false);
    };
    let seen = entity::Entity::find()
        .filter(entity::Column::Subject.eq(subject.as_str()))
        .filter(entity::Column::ActorUserId.eq(by))
        .filter(entity::Column::Action.eq(AuditAction::RecordViewed.as_str()))
        .filter(entity::Column::OccurredAt.gt(stamp.at - VIEW_WINDOW))
        .count(db)
        .await?;
    if seen > 0 {
        return Ok(false);
    }
    stamp
        .record(db, AuditAction::RecordViewed, subject, None)
        .await?;
    Ok(true)
}

/// The newest rows first.
pub async fn latest(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<AuditEvent>, DomainError> {
    Ok(entity::Entity::find()
        .order_by_desc(entity::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// What the audit page filters on; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// An action's stored name, e.g. `job_status_changed`.
    pub action: String,
    /// Part of the subject, e.g. `job:12` or `customer:`.
    pub subject: String,
    /// The e-mail address of who acted.
    pub actor_email: String,
    /// From this day (inclusive) and before this day (exclusive), UTC.
    pub from: Option<chrono::NaiveDate>,
    pub until: Option<chrono::NaiveDate>,
}

/// One page of audit rows matching the filter, newest first, with the number of matches.
pub async fn search(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<AuditEvent>, u64), DomainError> {
    let mut query = entity::Entity::find();
    if !filter.action.trim().is_empty() {
        query = query.filter(entity::Column::Action.eq(filter.action.trim()));
    }
    if !filter.subject.trim().is_empty() {
        let escaped = filter.subject.trim().replace('%', "").replace('_', "\\_");
        query = query.filter(entity::Column::Subject.like(format!("%{escaped}%")));
    }
    if !filter.actor_email.trim().is_empty() {
        let person =
            crate::accounts::sign_in::find_user_by_email(db, filter.actor_email.trim()).await?;
        // Nobody by that address: nothing matches.
        query = query.filter(entity::Column::ActorUserId.eq(person.map_or(-1, |p| p.id)));
    }
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        query = query.filter(entity::Column::OccurredAt.gte(from.and_utc()));
    }
    if let Some(until) = filter.until.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        query = query.filter(entity::Column::OccurredAt.lt(until.and_utc()));
    }
    let paginator = query
        .order_by_desc(entity::Column::Id)
        .paginate(db, Ord::max(per_page, 1));
    let total = paginator.num_items().await?;
    Ok((paginator.fetch_page(page).await?, total))
}

/// Every action name, for the filter's list.
pub const ACTION_NAMES: &[&str] = &[
    "signed_in",
    "sign_in_failed",
    "account_locked",
    "signed_out",
    "session_revoked",
    "password_changed",
    "password_reset_requested",
    "password_reset",
    "totp_enrolled",
    "recovery_codes_generated",
    "recovery_code_used",
    "passkey_added",
    "passkey_renamed",
    "passkey_removed",
    "invitation_sent",
    "invitation_accepted",
    "invitation_revoked",
    "role_changed",
    "user_disabled",
    "user_enabled",
    "lock_released",
    "customer_created",
    "customer_updated",
    "company_settings_changed",
    "job_created",
    "job_updated",
    "job_scheduled",
    "job_status_changed",
    "quote_saved",
    "quote_sent",
    "quote_accepted",
    "quote_declined",
    "quote_expired",
    "invoice_drafted",
    "invoice_issued",
    "invoice_credited",
    "invoice_overdue",
    "payment_recorded",
    "document_uploaded",
    "document_downloaded",
    "document_visibility_changed",
    "message_sent",
    "record_viewed",
];
