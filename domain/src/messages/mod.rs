//! Messages: one thread per job between the customer's contacts and staff, with a read mark
//! per person, so each side sees what is new.

pub mod entity;
pub mod read;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
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
    let job = crate::jobs::find(&txn, job_id).await?;
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
    crate::live::publish(
        &txn,
        stamp.at,
        crate::live::News::on_job(crate::live::LiveKind::MessagePosted, &job),
    )
    .await?;
    crate::live::commit(txn).await?;
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

/// Marks the thread read up to `up_to`, the newest message the reader's page showed; never
/// past the job's own messages, so a mark cannot hide messages that come later. Called by a
/// POST from the page once it is shown: reading (a GET) changes nothing.
///
/// The reader's other open pages hear of it (their unread counts drop).
pub async fn mark_thread_read<C>(
    db: &C,
    job_id: i32,
    reader: i32,
    up_to: i32,
    now: DateTime<Utc>,
) -> Result<(), DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let shown = entity::Entity::find()
        .filter(entity::Column::JobId.eq(job_id))
        .filter(entity::Column::Id.lte(up_to))
        .order_by_desc(entity::Column::Id)
        .one(&txn)
        .await?;
    let before = read::Entity::find_by_id((job_id, reader))
        .one(&txn)
        .await?
        .map_or(0, |r| r.last_read_message_id);
    if let Some(message) = shown.filter(|m| m.id > before) {
        mark_read(&txn, job_id, reader, message.id).await?;
        crate::live::publish(
            &txn,
            now,
            crate::live::News::for_person(
                crate::live::LiveKind::MessagesRead,
                reader,
                Some(job_id),
            ),
        )
        .await?;
    }
    crate::live::commit(txn).await?;
    Ok(())
}

/// The thread of a job as `reader` sees it, oldest first, with what is new since their read
/// mark. Reading does not move the mark (see [`mark_thread_read`]).
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

/// Unread customer messages for staff: messages written by a customer's contact (not by staff
/// or crew), on any job, after `reader`'s read mark on that job. Returns (job id, count), by
/// job id. One grouped query, whatever the number of customers.
pub async fn unread_from_customers(
    db: &impl ConnectionTrait,
    reader: i32,
) -> Result<Vec<(i32, usize)>, DomainError> {
    use sea_orm::{
        sea_query::{Expr, ExprTrait, Query},
        QuerySelect,
    };

    let by_contacts = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::StaffRole).is_null())
        .to_owned();
    let read_by_reader = Query::select()
        .expr(Expr::val(1))
        .from(read::Entity)
        .and_where(Expr::col((read::Entity, read::Column::UserId)).eq(reader))
        .and_where(
            Expr::col((read::Entity, read::Column::JobId))
                .equals((entity::Entity, entity::Column::JobId)),
        )
        .and_where(
            Expr::col((read::Entity, read::Column::LastReadMessageId))
                .gte(Expr::col((entity::Entity, entity::Column::Id))),
        )
        .to_owned();
    let rows: Vec<(i32, i64)> = entity::Entity::find()
        .select_only()
        .column(entity::Column::JobId)
        .column_as(entity::Column::Id.count(), "unread")
        .filter(entity::Column::AuthorUserId.in_subquery(by_contacts))
        .filter(Expr::exists(read_by_reader).not())
        .group_by(entity::Column::JobId)
        .order_by_asc(entity::Column::JobId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(job, n)| (job, usize::try_from(n).unwrap_or(0)))
        .collect())
}
