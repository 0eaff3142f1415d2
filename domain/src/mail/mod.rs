//! Outgoing mail: messages are written to the outbox in the same transaction as the change
//! that causes them, and a sender delivers them over SMTP, retrying until the server accepts.

pub mod entity;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect,
};

use crate::DomainError;

pub use entity::Model as OutboxMail;

/// Puts one message in the outbox.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<OutboxMail, DomainError> {
    Ok(entity::ActiveModel {
        to_address: Set(to.to_owned()),
        subject: Set(subject.to_owned()),
        body_text: Set(body.to_owned()),
        created_at: Set(at),
        attempts: Set(0),
        next_attempt_at: Set(at),
        last_error: Set(None),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The newest messages first (the demo's "Outgoing mail" page).
pub async fn latest(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<OutboxMail>, DomainError> {
    Ok(entity::Entity::find()
        .order_by_desc(entity::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Messages waiting to be sent whose next attempt is due, oldest first.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<OutboxMail>, DomainError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(entity::Entity::find()
        .filter(entity::Column::SentAt.is_null())
        .filter(entity::Column::NextAttemptAt.lte(now))
        .order_by_asc(entity::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn mark_sent(
    db: &impl ConnectionTrait,
    mail: OutboxMail,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    let mut row: entity::ActiveModel = mail.into();
    row.sent_at = Set(Some(now));
    row.attempts = Set(row.attempts.as_ref() + 1);
    row.last_error = Set(None);
    row.update(db).await?;
    Ok(())
}

/// Records a failed attempt; the next one waits longer each time (1 min, 2, 4 … at most 1 h).
/// The message is never dropped.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    mail: OutboxMail,
    now: DateTime<Utc>,
    error: &str,
) -> Result<(), DomainError> {
    let attempts = mail.attempts + 1;
    let wait_minutes = 1i64 << attempts.clamp(1, 7).saturating_sub(1);
    let mut row: entity::ActiveModel = mail.into();
    row.attempts = Set(attempts);
    row.last_error = Set(Some(error.chars().take(500).collect()));
    row.next_attempt_at = Set(now + chrono::Duration::minutes(wait_minutes.min(60)));
    row.update(db).await?;
    Ok(())
}
