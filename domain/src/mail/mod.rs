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
