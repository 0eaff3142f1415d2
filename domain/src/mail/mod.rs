//! Outgoing mail: messages are written to the outbox in the same transaction as the change
//! that causes them, and a sender delivers them over SMTP, retrying until the server accepts.

pub mod entity;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect,
};

use crate::{
    accounts::{user, StaffRole},
    policy::Actor,
    DomainError,
};

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

/// What the demo's "Outgoing mail" page shows this person, newest first: admins see every
/// message; office staff not those to admins (an admin's invitation or reset link would make
/// them an admin); nobody else sees the outbox.
pub async fn outbox_for(
    db: &impl ConnectionTrait,
    viewer: &Actor,
    limit: u64,
) -> Result<Vec<OutboxMail>, DomainError> {
    use sea_orm::{sea_query::Query, ColumnTrait, QueryFilter};
    let mut find = entity::Entity::find()
        .order_by_desc(entity::Column::Id)
        .limit(limit);
    match viewer {
        Actor::Staff {
            role: StaffRole::Admin,
            ..
        } => {}
        Actor::Staff {
            role: StaffRole::Office,
            ..
        } => {
            find = find.filter(
                entity::Column::ToAddress.not_in_subquery(
                    Query::select()
                        .column(user::Column::Email)
                        .from(user::Entity)
                        .and_where(user::Column::StaffRole.eq(StaffRole::Admin))
                        .to_owned(),
                ),
            );
        }
        _ => return Ok(Vec::new()),
    }
    Ok(find.all(db).await?)
}

/// Stands in for a link in a message that has been delivered.
pub const LINK_REMOVED: &str = "(link removed after delivery)";

/// The body as the outbox keeps it once delivered: every link is replaced, so that the
/// database holds no usable invitation or reset link (the recipient has the only copy).
pub fn without_links(body: &str) -> String {
    body.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_end();
            if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                format!("{LINK_REMOVED}{}", &word[trimmed.len()..])
            } else {
                word.to_owned()
            }
        })
        .collect()
}

/// The newest messages first (tests, and the mailer's own checks).
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
    let body = without_links(&mail.body_text);
    let mut row: entity::ActiveModel = mail.into();
    row.body_text = Set(body);
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

#[cfg(test)]
mod tests {
    #[test]
    fn delivered_mail_keeps_no_link() {
        let body = "Hello,\n\nSet up here:\n\n    https://portal.example/invitation/abc-DEF_1\n\nor http://x.example/reset-password/zz.\nThanks\n";
        let kept = super::without_links(body);
        assert!(
            !kept.contains("abc-DEF_1") && !kept.contains("zz"),
            "{kept}"
        );
        assert_eq!(
            kept,
            "Hello,\n\nSet up here:\n\n    (link removed after delivery)\n\nor (link removed after delivery)\nThanks\n"
        );
    }
}
