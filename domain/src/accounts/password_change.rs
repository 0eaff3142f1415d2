//! Changing one's own password from the security page. A wrong current password is a failed
//! sign-in in all but name: it counts towards the account's lockout and is audited, so a stolen
//! session cannot be used to guess the password at argon2's speed.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, TransactionTrait};

use super::{
    password, password::PasswordHasher, password_credential, session, sign_in, throttle, user,
};
use crate::{
    audit::{self, AuditAction, AuditEntry, RequestOrigin},
    DomainError,
};

/// What the person asked for.
#[derive(Debug, Clone, Copy)]
pub struct PasswordChange<'a> {
    pub user_id: i32,
    pub current: &'a str,
    pub new_password: &'a str,
    /// End every other session, keeping the one with this storage key.
    pub end_others_except: Option<&'a str>,
}

fn wrong_current(message: &str) -> DomainError {
    DomainError::invalid("current", message)
}

/// Checks the current password (when there is one), sets the new one and ends the other
/// sessions if asked; the new hash, the session ends and the audit row in one transaction.
/// Returns how many other sessions ended.
pub async fn change<C>(
    db: &C,
    hasher: &PasswordHasher,
    now: DateTime<Utc>,
    change: PasswordChange<'_>,
    origin: &RequestOrigin,
) -> Result<u64, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let user_id = change.user_id;
    let person = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    if let Some(stored) = password_credential::Entity::find_by_id(user_id)
        .one(db)
        .await?
    {
        if throttle::blocked_until(db, user_id, now).await?.is_some() {
            sign_in::record_failure(db, now, user_id, origin, "password change while locked")
                .await?;
            return Err(wrong_current(
                "Too many wrong passwords: wait a moment before you try again.",
            ));
        }
        if !hasher.verify(change.current, &stored.password_hash).await? {
            sign_in::record_failure(
                db,
                now,
                user_id,
                origin,
                "wrong current password in a password change",
            )
            .await?;
            return Err(wrong_current("That is not your current password."));
        }
    }
    password::check_new_password(change.new_password, &[&person.email, &person.display_name])?;
    let hash = hasher.hash(change.new_password).await?;
    let txn = db.begin().await?;
    sign_in::save_password_hash(&txn, now, user_id, &hash).await?;
    throttle::clear(&txn, user_id).await?;
    let ended = match change.end_others_except {
        Some(keep) => session::end_all(&txn, user_id, Some(keep)).await?,
        None => 0,
    };
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_user_id: Some(user_id),
            action: AuditAction::PasswordChanged,
            subject: format!("user:{user_id}"),
            origin,
            detail: Some(format!("{ended} other session(s) ended")),
        },
    )
    .await?;
    crate::live::commit(txn).await?;
    Ok(ended)
}
