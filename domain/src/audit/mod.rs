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

/// The newest rows first.
pub async fn latest(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<AuditEvent>, DomainError> {
    Ok(entity::Entity::find()
        .order_by_desc(entity::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
