//! Messages: one thread per job between the customer's contacts and staff, with a read mark
//! per person, so each side sees what is new.

pub mod entity;
pub mod read;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    EntityTrait, QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::{
    accounts::user,
    audit::{AuditAction, Stamp},
    DomainError,
};

/// The longest message, in characters.
pub const MAX_LENGTH: usize = 5000;

/// A message as a thread shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMessage {
    pub id: i32,
    pub author: String,
    /// Written by someone at the company (not the customer).
    pub from_staff: bool,
    pub mine: bool,
    pub body: String,
    pub at: DateTime<Utc>,
    /// Not read by the reader before this visit.
    pub new: bool,
}

/// Posts a message on a job's thread; the author has read up to it.
pub async fn post<C>(
    db: &C,
    stamp: &Stamp,
    job_id: i32,
    author_user_id: i32,
    body: &str,
) -> Result<entity::Model, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let body = body.trim();
    if body.is_empty() {
        return Err(DomainError::invalid("body", "Write a message first."));
    }
    if body.chars().count() > MAX_LENGTH {
        return Err(DomainError::invalid(
            "body",
            format!("Keep a message under {MAX_LENGTH} characters."),
        ));
    }
    let txn = db.begin().await?;
    crate::jobs::find(&txn, job_id).await?;
    let message = entity::ActiveModel {
        job_id: Set(job_id),
        author_user_id: Set(author_user_id),
        body: Set(body.to_owned()),
        created_at: Set(stamp.at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    mark_read(&txn, job_id, author_user_id, message.id).await?;
    stamp
        .record(
            &txn,
            AuditAction::MessageSent,
            format!("job:{job_id}"),
            Some(format!("message:{}", message.id)),
        )
        .await?;
    txn.commit().await?;
    Ok(message)
}

/// Moves a person's read mark forward (never back).
pub async fn mark_read(
    db: &impl ConnectionTrait,
    job_id: i32,
    user_id: i32,
    up_to: i32,
) -> Result<(), DomainError> {
    let current = read::Entity::find_by_id((job_id, user_id)).one(db).await?;
    if current
        .as_ref()
        .is_some_and(|r| r.last_read_message_id >= up_to)
    {
        return Ok(());
    }
    read::Entity::insert(read::ActiveModel {
        job_id: Set(job_id),
        user_id: Set(user_id),
        last_read_message_id: Set(up_to),
    })
    .on_conflict(
        OnConflict::columns([read::Column::JobId, read::Column::UserId])
            .update_column(read::Column::LastReadMessageId)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// The thread of a job as `reader` sees it, oldest first; marks it read up to the newest.
pub async fn read_thread(
    db: &impl ConnectionTrait,
    job_id: i32,
    reader: i32,
) -> Result<Vec<ThreadMessage>, DomainError> {
    let messages = entity::Entity::find()
        .filter(entity::Column::JobId.eq(job_id))
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await?;
    let last_read = read::Entity::find_by_id((job_id, reader))
        .one(db)
        .await?
        .map_or(0, |r| r.last_read_message_id);
    let mut ids: Vec<i32> = messages.iter().map(|m| m.author_user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let authors = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?;
    if let Some(newest) = messages.last() {
        mark_read(db, job_id, reader, newest.id).await?;
    }
    Ok(messages
        .into_iter()
        .map(|m| {
            let author = authors.iter().find(|a| a.id == m.author_user_id);
            ThreadMessage {
                id: m.id,
                author: author.map(|a| a.display_name.clone()).unwrap_or_default(),
                from_staff: author.is_some_and(|a| a.staff_role.is_some()),
                mine: m.author_user_id == reader,
                new: m.id > last_read && m.author_user_id != reader,
                body: m.body,
                at: m.created_at,
            }
        })
        .collect())
}

/// Unread messages per job for `reader` (written by others after their read mark), among
/// `job_ids`; jobs with nothing unread are left out.
pub async fn unread_counts(
    db: &impl ConnectionTrait,
    reader: i32,
    job_ids: &[i32],
) -> Result<Vec<(i32, usize)>, DomainError> {
    if job_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = read::Entity::find()
        .filter(read::Column::UserId.eq(reader))
        .filter(read::Column::JobId.is_in(job_ids.iter().copied()))
        .all(db)
        .await?;
    let messages = entity::Entity::find()
        .filter(entity::Column::JobId.is_in(job_ids.iter().copied()))
        .filter(entity::Column::AuthorUserId.ne(reader))
        .all(db)
        .await?;
    let mut counts: Vec<(i32, usize)> = Vec::new();
    for message in messages {
        let seen = marks
            .iter()
            .find(|m| m.job_id == message.job_id)
            .map_or(0, |m| m.last_read_message_id);
        if message.id <= seen {
            continue;
        }
        match counts.iter_mut().find(|(job, _)| *job == message.job_id) {
            Some((_, n)) => *n += 1,
            None => counts.push((message.job_id, 1)),
        }
    }
    counts.sort_unstable();
    Ok(counts)
}

/// Unread customer messages for staff: messages by contacts, on any job, that `reader` has
/// not read. Returns (job id, count).
pub async fn unread_from_customers(
    db: &impl ConnectionTrait,
    reader: i32,
) -> Result<Vec<(i32, usize)>, DomainError> {
    let contact_ids: Vec<i32> = user::Entity::find()
        .filter(user::Column::StaffRole.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let mut job_ids: Vec<i32> = entity::Entity::find()
        .filter(entity::Column::AuthorUserId.is_in(contact_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.job_id)
        .collect();
    job_ids.sort_unstable();
    job_ids.dedup();
    unread_counts(db, reader, &job_ids).await
}
