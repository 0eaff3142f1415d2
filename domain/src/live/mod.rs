//! Live status: the news that open pages show without a reload.
//!
//! A service that changes something people may be looking at [`publish`]es a row in the same
//! transaction as the change, then commits with [`commit`]. The table is the single source of
//! truth: the host's push channel reads new rows from it ([`after`]), decides per open stream
//! who may hear of each one with the access policy at delivery time ([`may_see`]), and answers
//! a browser that reconnects with exactly what it missed ([`replay`]).
//!
//! Ids only grow and, on PostgreSQL, rows become visible in id order: [`publish`] takes a
//! transaction-scoped advisory lock, so a transaction that took a lower id cannot commit after
//! one that took a higher id (SQLite has one writer at a time anyway). Reading "after the last
//! id I saw" therefore never skips a row. On PostgreSQL the insert also sends
//! `NOTIFY portico_live, '<id>'`, delivered at commit to every instance; on SQLite the
//! instance's own hub is woken by [`commit`].

pub mod entity;

use std::{collections::HashMap, sync::LazyLock};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionSession,
};

pub use entity::{Audience, LiveKind, Model as LiveEvent};

use crate::{
    policy::{self, Action, Actor, DocumentAccess, JobAccess},
    DomainError,
};

/// The PostgreSQL channel every instance listens on; a notification carries an event id.
pub const CHANNEL: &str = "portico_live";

/// How long news is kept for browsers that reconnect (older gaps refetch their page).
pub const KEPT: chrono::Duration = chrono::Duration::hours(24);

/// Serialises publishing on PostgreSQL until commit, so ids become visible in order.
const ORDER_LOCK: i64 = 0x0070_6f72_7469_636f; // "portico"

/// A change to announce. Build it with one of the constructors, which say who may hear of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct News {
    kind: LiveKind,
    audience: Audience,
    customer_id: Option<i32>,
    job_id: Option<i32>,
    user_id: Option<i32>,
    money: bool,
    shown_to_customer: bool,
}

impl News {
    fn new(kind: LiveKind, audience: Audience) -> Self {
        Self {
            kind,
            audience,
            customer_id: None,
            job_id: None,
            user_id: None,
            money: false,
            shown_to_customer: true,
        }
    }

    /// For everyone who may see the job.
    pub fn on_job(kind: LiveKind, job: &crate::jobs::Job) -> Self {
        Self {
            customer_id: Some(job.customer_id),
            job_id: Some(job.id),
            ..Self::new(kind, Audience::Job)
        }
    }

    /// About prices or invoices on a job: owner and payer contacts, the office.
    pub fn money_on_job(kind: LiveKind, job: &crate::jobs::Job) -> Self {
        Self::money(kind, job.customer_id, Some(job.id))
    }

    /// About prices or invoices of a customer's account (on a job or not).
    pub fn money(kind: LiveKind, customer_id: i32, job_id: Option<i32>) -> Self {
        Self {
            customer_id: Some(customer_id),
            job_id,
            ..Self::new(kind, Audience::Money)
        }
    }

    /// About a document: whoever may see it (on a job, or on the customer's account).
    pub fn on_document(
        document: &crate::documents::Document,
        kind: LiveKind,
        customer_id: i32,
    ) -> Self {
        Self {
            customer_id: Some(customer_id),
            job_id: document.job_id,
            money: document.kind.is_money(),
            shown_to_customer: document.visibility == crate::documents::Visibility::Customer,
            ..Self::new(kind, Audience::Document)
        }
    }

    /// For the office only (a job was created, say).
    pub fn for_office(kind: LiveKind, job: &crate::jobs::Job) -> Self {
        Self {
            customer_id: Some(job.customer_id),
            job_id: Some(job.id),
            ..Self::new(kind, Audience::Office)
        }
    }

    /// For one person: their read marks, their access, their sessions.
    pub fn for_person(kind: LiveKind, user_id: i32, job_id: Option<i32>) -> Self {
        Self {
            user_id: Some(user_id),
            job_id,
            ..Self::new(kind, Audience::Person)
        }
    }
}

/// Writes the news in the caller's transaction; the id it got is returned. Commit with
/// [`commit`] so that this instance hears of it at once.
pub async fn publish(
    txn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    news: News,
) -> Result<i64, DomainError> {
    let postgres = txn.get_database_backend() == DatabaseBackend::Postgres;
    if postgres {
        txn.execute_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({ORDER_LOCK})"),
        ))
        .await?;
    }
    let row = entity::ActiveModel {
        at: Set(at),
        kind: Set(news.kind),
        audience: Set(news.audience),
        customer_id: Set(news.customer_id),
        job_id: Set(news.job_id),
        user_id: Set(news.user_id),
        money: Set(news.money),
        shown_to_customer: Set(news.shown_to_customer),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), row.id.to_string().into()],
        ))
        .await?;
    }
    Ok(row.id)
}

/// A person's accounts or scopes changed: their open streams look them up again.
pub async fn access_changed(
    txn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    user_id: i32,
) -> Result<(), DomainError> {
    publish(
        txn,
        at,
        News::for_person(LiveKind::AccessChanged, user_id, None),
    )
    .await?;
    Ok(())
}

/// Sessions of a person ended: their open streams check their own.
pub async fn sessions_ended(
    txn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    user_id: i32,
) -> Result<(), DomainError> {
    publish(
        txn,
        at,
        News::for_person(LiveKind::SessionsEnded, user_id, None),
    )
    .await?;
    Ok(())
}

/// Counts this process's commits of news; each hub on SQLite watches it.
static LOCAL_COMMITS: LazyLock<tokio::sync::watch::Sender<u64>> =
    LazyLock::new(|| tokio::sync::watch::channel(0).0);

/// Commits a transaction that published news, then wakes this process's hubs. (PostgreSQL
/// tells every instance itself, at commit.)
pub async fn commit(txn: impl TransactionSession) -> Result<(), DomainError> {
    txn.commit().await?;
    committed();
    Ok(())
}

/// Wakes this process's hubs after a commit made otherwise (see [`commit`]).
pub fn committed() {
    LOCAL_COMMITS.send_modify(|n| *n = n.wrapping_add(1));
}

/// Changes whenever this process commits news (see [`commit`]).
pub fn local_commits() -> tokio::sync::watch::Receiver<u64> {
    LOCAL_COMMITS.subscribe()
}

/// The news after `cursor`, oldest first, at most `limit` rows.
pub async fn after(
    db: &impl ConnectionTrait,
    cursor: i64,
    limit: u64,
) -> Result<Vec<LiveEvent>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::Id.gt(cursor))
        .order_by_asc(entity::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The newest id (0 when there is no news yet): where a page rendered now starts listening.
pub async fn newest(db: &impl ConnectionTrait) -> Result<i64, DomainError> {
    Ok(entity::Entity::find()
        .order_by_desc(entity::Column::Id)
        .one(db)
        .await?
        .map_or(0, |e| e.id))
}

/// Removes news older than `before`, always keeping the newest row (so that the id sequence is
/// never mistaken for empty). Returns how many rows went.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DomainError> {
    let newest = newest(db).await?;
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::At.lt(before))
        .filter(entity::Column::Id.lt(newest))
        .exec(db)
        .await?
        .rows_affected)
}

/// May `actor` hear of `event`, given the job's crew now? The same policy as every page, asked
/// at delivery time.
pub fn may_see(actor: &Actor, event: &LiveEvent, crew: &[i32]) -> bool {
    if event.kind.is_control() {
        return false;
    }
    let job = event
        .customer_id
        .map(|customer_id| JobAccess { customer_id, crew });
    let action = match (event.audience, job) {
        (Audience::Person, _) => {
            return event.user_id.is_some() && actor.user_id() == event.user_id
        }
        (Audience::Office, _) => Action::ManageJobs,
        (Audience::Job, Some(job)) => Action::ViewJob(job),
        (Audience::Money, Some(job)) => Action::ViewInvoices {
            customer_id: job.customer_id,
        },
        (Audience::Document, Some(job)) => Action::ViewDocument(DocumentAccess {
            customer_id: Some(job.customer_id),
            job: Some(job),
            money: event.money,
            shown_to_customer: event.shown_to_customer,
        }),
        // News about a job without its customer: nobody but the office.
        (Audience::Job | Audience::Money | Audience::Document, None) => Action::ManageJobs,
    };
    policy::can(actor, action).is_allowed()
}

/// The crews of the jobs these events are about, in one query.
pub async fn crews_for(
    db: &impl ConnectionTrait,
    events: &[LiveEvent],
) -> Result<HashMap<i32, Vec<i32>>, DomainError> {
    use crate::jobs::crew_assignment;
    let mut job_ids: Vec<i32> = events.iter().filter_map(|e| e.job_id).collect();
    job_ids.sort_unstable();
    job_ids.dedup();
    let mut crews: HashMap<i32, Vec<i32>> = HashMap::new();
    if job_ids.is_empty() {
        return Ok(crews);
    }
    for assignment in crew_assignment::Entity::find()
        .filter(crew_assignment::Column::JobId.is_in(job_ids))
        .all(db)
        .await?
    {
        crews
            .entry(assignment.job_id)
            .or_default()
            .push(assignment.user_id);
    }
    Ok(crews)
}

/// What a reconnecting browser is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// Exactly the events after its last id that it may see, oldest first.
    Missed(Vec<LiveEvent>),
    /// Too much was missed, or it is older than what is kept: refetch the page instead.
    TooOld,
}

/// The events after `last_seen` that `actor` may see, read from the table, at most `limit`;
/// [`Replay::TooOld`] when the rows after `last_seen` were pruned or more than `limit` are due.
pub async fn replay(
    db: &impl ConnectionTrait,
    actor: &Actor,
    last_seen: i64,
    limit: usize,
) -> Result<Replay, DomainError> {
    let newest = newest(db).await?;
    if last_seen == newest {
        return Ok(Replay::Missed(Vec::new()));
    }
    // An id from the future: another database (a restored backup). Start again.
    if last_seen > newest {
        return Ok(Replay::TooOld);
    }
    // The row right after `last_seen` is gone when it was pruned: refetch.
    let oldest_kept = entity::Entity::find()
        .order_by_asc(entity::Column::Id)
        .one(db)
        .await?
        .map_or(newest, |e| e.id);
    if last_seen + 1 < oldest_kept {
        return Ok(Replay::TooOld);
    }
    let mut missed = Vec::new();
    let mut cursor = last_seen;
    loop {
        let batch = after(db, cursor, 500).await?;
        let Some(last) = batch.last() else { break };
        cursor = last.id;
        let crews = crews_for(db, &batch).await?;
        for event in batch {
            let crew = event
                .job_id
                .and_then(|id| crews.get(&id))
                .map_or(&[][..], Vec::as_slice);
            if may_see(actor, &event, crew) {
                if missed.len() == limit {
                    return Ok(Replay::TooOld);
                }
                missed.push(event);
            }
        }
    }
    Ok(Replay::Missed(missed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        accounts::{ContactScope, StaffRole},
        policy::Membership,
    };

    fn event(audience: Audience, kind: LiveKind) -> LiveEvent {
        LiveEvent {
            id: 1,
            at: Utc::now(),
            kind,
            audience,
            customer_id: Some(1),
            job_id: Some(7),
            user_id: None,
            money: false,
            shown_to_customer: true,
        }
    }

    fn contact(user_id: i32, customer_id: i32, scope: ContactScope) -> Actor {
        Actor::Contact {
            user_id,
            memberships: vec![Membership { customer_id, scope }],
        }
    }

    #[test]
    fn who_hears_of_what() {
        let owner = contact(10, 1, ContactScope::Owner);
        let viewer = contact(12, 1, ContactScope::Viewer);
        let other = contact(20, 2, ContactScope::Owner);
        let crew = Actor::Staff {
            user_id: 30,
            role: StaffRole::Crew,
        };
        let office = Actor::Staff {
            user_id: 40,
            role: StaffRole::Office,
        };
        let status = event(Audience::Job, LiveKind::JobStatusChanged);
        let invoice = event(Audience::Money, LiveKind::InvoiceIssued);
        let mut hidden = event(Audience::Document, LiveKind::DocumentAdded);
        hidden.shown_to_customer = false;
        let mut read = event(Audience::Person, LiveKind::MessagesRead);
        read.user_id = Some(12);
        let mut control = event(Audience::Person, LiveKind::SessionsEnded);
        control.user_id = Some(10);
        let cases = [
            (&owner, &status, &[30][..], true),
            (&viewer, &status, &[30], true),
            (&other, &status, &[30], false),
            (&crew, &status, &[30], true),
            (&crew, &status, &[31], false),
            (&office, &status, &[], true),
            (&owner, &invoice, &[30], true),
            (&viewer, &invoice, &[30], false),
            (&crew, &invoice, &[30], false),
            (&office, &invoice, &[], true),
            (&owner, &hidden, &[30], false),
            (&crew, &hidden, &[30], true),
            (&office, &hidden, &[], true),
            (&viewer, &read, &[], true),
            (&owner, &read, &[], false),
            (&owner, &control, &[], false),
        ];
        for (i, (actor, event, crew, expected)) in cases.iter().enumerate() {
            assert_eq!(may_see(actor, event, crew), *expected, "case {i}");
        }
    }
}
