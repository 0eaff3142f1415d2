//! A person's own sessions: list them, end one, end all, and the audit rows of signing in and
//! out. The session store itself (which
//! writes these rows) lives in the server, over the same table.

pub use super::session_entity as entity;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};

use crate::{
    audit::{AuditAction, Stamp},
    DomainError,
};

/// One active session, as the security page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn active_for_user(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<ActiveSession>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::ExpiresAt.gt(now))
        .order_by_desc(entity::Column::LastSeenAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| ActiveSession {
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect())
}

/// Signs out one of the person's own sessions, with its audit row. Another person's session
/// id is "not found".
pub async fn end_one(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
    session_id: &str,
) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    let deleted = entity::Entity::delete_many()
        .filter(entity::Column::Id.eq(session_id))
        .filter(entity::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(DomainError::NotFound("session"));
    }
    crate::live::sessions_ended(&txn, stamp.at, user_id).await?;
    stamp
        .record(
            &txn,
            AuditAction::SessionRevoked,
            format!("user:{user_id}"),
            Some("one session".to_owned()),
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(())
}

/// Signs out every other session of the person (`keep` is the one asking), with its audit row.
pub async fn end_others(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
    keep: Option<&str>,
) -> Result<u64, DomainError> {
    let txn = db.begin().await?;
    let ended = end_all(&txn, user_id, keep).await?;
    stamp
        .record(
            &txn,
            AuditAction::SessionRevoked,
            format!("user:{user_id}"),
            Some(format!("all other sessions ({ended})")),
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(ended)
}

/// Records a sign-in (the session itself lives in the session store); `how` names the factors.
pub async fn signed_in(
    db: &impl ConnectionTrait,
    stamp: &Stamp,
    user_id: i32,
    how: &str,
) -> Result<(), DomainError> {
    stamp
        .record(
            db,
            AuditAction::SignedIn,
            format!("user:{user_id}"),
            Some(how.to_owned()),
        )
        .await
}

/// Records a sign-out, after the session was destroyed.
pub async fn signed_out(db: &impl ConnectionTrait, stamp: &Stamp) -> Result<(), DomainError> {
    stamp
        .record(db, AuditAction::SignedOut, "session".to_owned(), None)
        .await
}

/// Records "confirm it's you" (a fresh proof kept in the session): `how` names the factors.
pub async fn identity_confirmed(
    db: &impl ConnectionTrait,
    stamp: &Stamp,
    user_id: i32,
    how: &str,
) -> Result<(), DomainError> {
    stamp
        .record(
            db,
            AuditAction::IdentityConfirmed,
            format!("user:{user_id}"),
            Some(how.to_owned()),
        )
        .await
}

/// Ends every session of the person, except `keep` (the one asking, when it stays signed in).
pub async fn end_all(
    db: &impl ConnectionTrait,
    user_id: i32,
    keep: Option<&str>,
) -> Result<u64, DomainError> {
    let mut query = entity::Entity::delete_many().filter(entity::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(entity::Column::Id.ne(keep));
    }
    let ended = query.exec(db).await?.rows_affected;
    if ended > 0 {
        crate::live::sessions_ended(db, Utc::now(), user_id).await?;
    }
    Ok(ended)
}

/// Ends one session by its stored key (a sign-out), telling the person's open streams; the
/// session store's delete.
pub async fn end_by_key<C>(db: &C, key: &str) -> Result<(), DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let ended = entity::Entity::find_by_id(key.to_owned()).one(&txn).await?;
    entity::Entity::delete_by_id(key.to_owned())
        .exec(&txn)
        .await?;
    if let Some(user_id) = ended.and_then(|s| s.user_id) {
        crate::live::sessions_ended(&txn, Utc::now(), user_id).await?;
    }
    crate::live::commit(txn).await?;
    Ok(())
}

/// Whether the session with this stored key is still signed in to `user_id`, and until when
/// (it ends earlier if nobody uses it); `None` once it ended or expired.
pub async fn live_until(
    db: &impl ConnectionTrait,
    key: &str,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    Ok(entity::Entity::find_by_id(key.to_owned())
        .filter(entity::Column::ExpiresAt.gt(now))
        .filter(entity::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .map(|s| s.expires_at))
}

/// Names of the values Portico keeps in a session record. The session store copies
/// `USER_ID`, `LAST_SEEN`, `IP` and `USER_AGENT` into their own columns.
pub mod keys {
    /// The signed-in person (absent before sign-in).
    pub const USER_ID: &str = "user_id";
    /// Unix seconds of the sign-in, for the absolute timeout.
    pub const SIGNED_IN_AT: &str = "signed_in_at";
    /// Unix seconds of the last request that refreshed the session.
    pub const LAST_SEEN: &str = "last_seen";
    pub const IP: &str = "ip";
    pub const USER_AGENT: &str = "user_agent";
    /// A password was accepted; the second factor is awaited (user id and unix seconds).
    pub const PENDING_SECOND_FACTOR: &str = "pending_second_factor";
    /// WebAuthn ceremony state, server-side only.
    pub const PASSKEY_REGISTRATION: &str = "passkey_registration";
    pub const PASSKEY_AUTHENTICATION: &str = "passkey_authentication";
    /// A TOTP secret shown for enrolment, not yet confirmed.
    pub const TOTP_ENROLMENT: &str = "totp_enrolment";
    /// Unix seconds of the last proof that this is the person (password + code, or a
    /// passkey): at sign-in, and at "Confirm it's you".
    pub const PROVEN_AT: &str = "proven_at";
    /// The customer account a contact with several accounts is working in.
    pub const ACTIVE_CUSTOMER: &str = "active_customer";
}

/// The stored key of a session: SHA-256 of its cookie value, so that reading the table does
/// not hand out working cookies. The security page uses it as the session's handle too.
pub fn storage_key(cookie_id: &str) -> String {
    super::secrets::hash_token(cookie_id)
}

/// Removes sessions that have expired; run now and then.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
