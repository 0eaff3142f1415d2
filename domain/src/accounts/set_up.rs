//! Finishing an invitation's account set-up. The link is used up and the new factor stored in
//! one transaction, the link first, with a conditional update: of two finishes with the same
//! link at the same moment exactly one goes on, and the other stores nothing (it waits on the
//! row — PostgreSQL — or the write lock — SQLite — and then finds the link used).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::{
    at_rest::AtRestKey,
    invitations,
    passkey::{PasskeyRefusal, PasskeySummary, Passkeys},
    sign_in,
};
use crate::{
    audit::{self, AuditAction, AuditEntry, RequestOrigin},
    DomainError,
};

/// A link that was used, revoked or expired while the person was setting up.
fn link_spent() -> DomainError {
    DomainError::Conflict(
        "This invitation can no longer be used. Ask us for a new invitation.".to_owned(),
    )
}

/// Who finishes which invitation, when, from where.
#[derive(Debug, Clone, Copy)]
pub struct Finish<'a> {
    pub invitation_id: i32,
    pub user_id: i32,
    pub now: DateTime<Utc>,
    pub origin: &'a RequestOrigin,
}

impl Finish<'_> {
    async fn record(
        &self,
        txn: &DatabaseTransaction,
        action: AuditAction,
        detail: String,
    ) -> Result<(), DomainError> {
        audit::record(
            txn,
            self.now,
            AuditEntry {
                actor_user_id: Some(self.user_id),
                action,
                subject: format!("user:{}", self.user_id),
                origin: self.origin,
                detail: Some(detail),
            },
        )
        .await
    }

    async fn accepted(&self, txn: &DatabaseTransaction) -> Result<(), DomainError> {
        self.record(
            txn,
            AuditAction::InvitationAccepted,
            format!("invitation {}", self.invitation_id),
        )
        .await?;
        self.record(txn, AuditAction::SignedIn, "account set-up".to_owned())
            .await
    }
}

/// Set-up with a password and an authenticator app: the link, the password hash, the sealed
/// TOTP secret and ten recovery codes (returned once), with their audit rows, all or nothing.
pub async fn with_password<C>(
    db: &C,
    key: &AtRestKey,
    finish: Finish<'_>,
    password_hash: &str,
    totp_secret: &str,
    confirmed_step: i64,
) -> Result<Vec<String>, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let txn = db.begin().await?;
    if !invitations::accept(&txn, finish.now, finish.invitation_id).await? {
        return Err(link_spent());
    }
    let (now, user_id) = (finish.now, finish.user_id);
    sign_in::save_password_hash(&txn, now, user_id, password_hash).await?;
    sign_in::save_totp(&txn, key, now, user_id, totp_secret, confirmed_step).await?;
    let codes = sign_in::replace_recovery_codes(&txn, now, user_id).await?;
    for action in [
        AuditAction::PasswordChanged,
        AuditAction::TotpEnrolled,
        AuditAction::RecoveryCodesGenerated,
    ] {
        finish
            .record(&txn, action, "account set-up".to_owned())
            .await?;
    }
    finish.accepted(&txn).await?;
    txn.commit().await?;
    Ok(codes)
}

/// Set-up with a passkey: the link and the verified passkey, with their audit rows, all or
/// nothing. A passkey the browser's answer does not prove leaves the link open for a retry.
pub async fn with_passkey<C>(
    db: &C,
    passkeys: &Passkeys,
    finish: Finish<'_>,
    name: &str,
    answer: &RegisterPublicKeyCredential,
    state: &PasskeyRegistration,
) -> Result<Result<PasskeySummary, PasskeyRefusal>, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let txn = db.begin().await?;
    if !invitations::accept(&txn, finish.now, finish.invitation_id).await? {
        return Err(link_spent());
    }
    let passkey = match passkeys
        .finish_registration(&txn, finish.now, finish.user_id, name, answer, state)
        .await?
    {
        Ok(passkey) => passkey,
        // Dropping the transaction rolls the acceptance back.
        Err(refusal) => return Ok(Err(refusal)),
    };
    finish
        .record(
            &txn,
            AuditAction::PasskeyAdded,
            format!("passkey {}", passkey.id),
        )
        .await?;
    finish.accepted(&txn).await?;
    txn.commit().await?;
    Ok(Ok(passkey))
}
