//! What a customer asks the office for on a move, and the office's answer: another moving day
//! (one to three preferred dates and a note; the office takes one, which reschedules the job,
//! or declines with a note) and a change to a quote (a note; answered by sending a new version,
//! or declined). A request is made by an owner contact, at most one open of each kind per
//! move; each step is on the move's timeline and in the audit log, in the same transaction.

pub mod entity;

use chrono::NaiveDate;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};

pub use entity::{Model as CustomerRequest, RequestKind, RequestStatus};

use crate::{
    audit::{AuditAction, Stamp},
    jobs::{self, event, Job, JobStatus},
    live::{self, LiveKind, News},
    policy::{self, Action, Actor, Decision},
    quotes, DomainError,
};

/// The longest note, in characters.
const NOTE_LIMIT: usize = 2000;

fn checked_note(note: &str) -> Result<String, DomainError> {
    let note = note.trim();
    if note.chars().count() > NOTE_LIMIT {
        return Err(DomainError::invalid(
            "note",
            "Keep this under 2000 characters.",
        ));
    }
    Ok(note.to_owned())
}

/// The job, if `actor` may ask for changes on it (owner contacts): another customer's job is
/// not found; a payer, viewer or member of staff is refused.
async fn job_to_ask_about(
    db: &impl ConnectionTrait,
    actor: &Actor,
    job_id: i32,
) -> Result<Job, DomainError> {
    let (job, _) = jobs::find_for(db, actor, job_id, policy::view_job).await?;
    match policy::can(
        actor,
        Action::AskForChange {
            customer_id: job.customer_id,
        },
    ) {
        Decision::Allow => Ok(job),
        refused => Err(DomainError::Denied(refused)),
    }
}

/// A line on the move's timeline that does not move its state.
async fn on_timeline(
    txn: &impl ConnectionTrait,
    stamp: &Stamp,
    job: &Job,
    note: String,
) -> Result<(), DomainError> {
    event::ActiveModel {
        job_id: Set(job.id),
        at: Set(stamp.at),
        actor_user_id: Set(stamp.by),
        from_status: Set(Some(job.status)),
        to_status: Set(job.status),
        note: Set(note),
        eta: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

async fn open_of_kind(
    db: &impl ConnectionTrait,
    job_id: i32,
    kind: RequestKind,
) -> Result<Option<CustomerRequest>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::JobId.eq(job_id))
        .filter(entity::Column::Kind.eq(kind))
        .filter(entity::Column::Status.eq(RequestStatus::Open))
        .one(db)
        .await?)
}

/// Takes the database's write lock first (SQLite), so that two requests at the same moment
/// are made one after the other and the second sees the first.
async fn lock_job(txn: &impl ConnectionTrait, job_id: i32) -> Result<(), DomainError> {
    jobs::entity::Entity::update_many()
        .col_expr(
            jobs::entity::Column::Id,
            Expr::col(jobs::entity::Column::Id),
        )
        .filter(jobs::entity::Column::Id.eq(job_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// "Tue 8 Dec"
fn day(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// The customer asks for another moving day: one to three dates after `today` (the company's
/// calendar), on a move whose day is confirmed and still ahead.
pub async fn ask_to_reschedule<C>(
    db: &C,
    actor: &Actor,
    stamp: &Stamp,
    job_id: i32,
    dates: &[NaiveDate],
    note: &str,
    today: NaiveDate,
) -> Result<CustomerRequest, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let job = job_to_ask_about(db, actor, job_id).await?;
    let note = checked_note(note)?;
    let mut dates = dates.to_vec();
    dates.sort_unstable();
    dates.dedup();
    if dates.is_empty() {
        return Err(DomainError::invalid(
            "date_1",
            "Choose at least one date that suits you.",
        ));
    }
    if dates.len() > 3 {
        return Err(DomainError::invalid(
            "date_1",
            "Choose at most three dates.",
        ));
    }
    if dates.iter().any(|d| *d <= today) {
        return Err(DomainError::invalid(
            "date_1",
            "Choose dates from tomorrow on.",
        ));
    }
    if job.status != JobStatus::Scheduled || job.confirmed_date.is_none_or(|d| d < today) {
        return Err(DomainError::Conflict(
            "Only a confirmed moving day that is still ahead can be moved here; please call us."
                .to_owned(),
        ));
    }
    let txn = db.begin().await?;
    lock_job(&txn, job_id).await?;
    if open_of_kind(&txn, job_id, RequestKind::Reschedule)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(
            "You already asked to move this day; we will answer that first.".to_owned(),
        ));
    }
    let listed: Vec<String> = dates
        .iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    let request = entity::ActiveModel {
        job_id: Set(job_id),
        quote_id: Set(None),
        kind: Set(RequestKind::Reschedule),
        status: Set(RequestStatus::Open),
        asked_by: Set(stamp.by),
        asked_at: Set(stamp.at),
        note: Set(note),
        preferred_dates: Set(listed.join(",")),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let words: Vec<String> = dates.iter().map(|d| day(*d)).collect();
    on_timeline(
        &txn,
        stamp,
        &job,
        format!("Asked to move the day to {}.", words.join(" or ")),
    )
    .await?;
    stamp
        .record(
            &txn,
            AuditAction::RequestMade,
            format!("request:{}", request.id),
            Some(format!("reschedule job:{job_id}")),
        )
        .await?;
    live::publish(
        &txn,
        stamp.at,
        News::on_job(LiveKind::RescheduleAsked, &job),
    )
    .await?;
    live::commit(txn).await?;
    Ok(request)
}

/// The customer asks for a change to a sent, unanswered quote version, saying what.
pub async fn ask_for_quote_change<C>(
    db: &C,
    actor: &Actor,
    stamp: &Stamp,
    quote_id: i32,
    note: &str,
) -> Result<CustomerRequest, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if *actor == Actor::Anonymous {
        return Err(DomainError::Denied(Decision::Unauthenticated));
    }
    let quote = quotes::find(db, quote_id).await?;
    let job = job_to_ask_about(db, actor, quote.job_id).await?;
    if quote.status == quotes::QuoteStatus::Draft {
        return Err(DomainError::NotFound("quote"));
    }
    let note = checked_note(note)?;
    if note.is_empty() {
        return Err(DomainError::invalid(
            "note",
            "Say what you would like changed.",
        ));
    }
    if !quote.awaits_answer() {
        return Err(DomainError::Conflict(format!(
            "This quote is {}; only the latest sent quote can be changed.",
            quote.status.label()
        )));
    }
    let txn = db.begin().await?;
    lock_job(&txn, job.id).await?;
    if open_of_kind(&txn, job.id, RequestKind::QuoteChange)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(
            "You already asked for a change; we will send a new version.".to_owned(),
        ));
    }
    let request = entity::ActiveModel {
        job_id: Set(job.id),
        quote_id: Set(Some(quote_id)),
        kind: Set(RequestKind::QuoteChange),
        status: Set(RequestStatus::Open),
        asked_by: Set(stamp.by),
        asked_at: Set(stamp.at),
        note: Set(note),
        preferred_dates: Set(String::new()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    on_timeline(
        &txn,
        stamp,
        &job,
        format!("Asked for a change to quote version {}.", quote.version),
    )
    .await?;
    stamp
        .record(
            &txn,
            AuditAction::RequestMade,
            format!("request:{}", request.id),
            Some(format!("quote change quote:{quote_id}")),
        )
        .await?;
    live::publish(
        &txn,
        stamp.at,
        News::money_on_job(LiveKind::QuoteChangeAsked, &job),
    )
    .await?;
    live::commit(txn).await?;
    Ok(request)
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<CustomerRequest, DomainError> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("request"))
}

/// Marks an open request answered (only once: a second answer at the same moment loses).
async fn close(
    txn: &impl ConnectionTrait,
    stamp: &Stamp,
    request: &CustomerRequest,
    status: RequestStatus,
    note: Option<String>,
    chosen: Option<NaiveDate>,
) -> Result<(), DomainError> {
    let done = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(status))
        .col_expr(entity::Column::AnsweredBy, Expr::value(stamp.by))
        .col_expr(entity::Column::AnsweredAt, Expr::value(stamp.at))
        .col_expr(entity::Column::AnswerNote, Expr::value(note))
        .col_expr(entity::Column::ChosenDate, Expr::value(chosen))
        .filter(entity::Column::Id.eq(request.id))
        .filter(entity::Column::Status.eq(RequestStatus::Open))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "This request was answered a moment ago.".to_owned(),
        ));
    }
    stamp
        .record(
            txn,
            AuditAction::RequestAnswered,
            format!("request:{}", request.id),
            Some(
                match status {
                    RequestStatus::Accepted => "accepted",
                    RequestStatus::Answered => "answered",
                    RequestStatus::Declined => "declined",
                    RequestStatus::Open => "open",
                }
                .to_owned(),
            ),
        )
        .await?;
    let job = jobs::find(txn, request.job_id).await?;
    let news = match request.kind {
        RequestKind::Reschedule => News::on_job(LiveKind::RequestAnswered, &job),
        RequestKind::QuoteChange => News::money_on_job(LiveKind::RequestAnswered, &job),
    };
    live::publish(txn, stamp.at, news).await?;
    Ok(())
}

/// The office takes one of the preferred dates: the job is rescheduled to it (same window and
/// crew), and the request is accepted, in one transaction.
pub async fn accept_reschedule<C>(
    db: &C,
    stamp: &Stamp,
    request_id: i32,
    date: NaiveDate,
) -> Result<CustomerRequest, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let request = find(db, request_id).await?;
    if request.kind != RequestKind::Reschedule {
        return Err(DomainError::NotFound("request"));
    }
    if !request.is_open() {
        return Err(DomainError::Conflict(
            "This request was answered already.".to_owned(),
        ));
    }
    if !request.dates().contains(&date) {
        return Err(DomainError::invalid(
            "date",
            "Choose one of the dates the customer asked for.",
        ));
    }
    let txn = db.begin().await?;
    close(
        &txn,
        stamp,
        &request,
        RequestStatus::Accepted,
        None,
        Some(date),
    )
    .await?;
    let job = jobs::find(&txn, request.job_id).await?;
    let crew = jobs::crew_of(&txn, job.id).await?;
    jobs::schedule(
        &txn,
        stamp,
        job.id,
        jobs::Schedule {
            date,
            slot_start: job.slot_start.clone().unwrap_or_else(|| "08:00".to_owned()),
            slot_end: job.slot_end.clone().unwrap_or_else(|| "10:00".to_owned()),
            crew,
        },
    )
    .await?;
    live::commit(txn).await?;
    find(db, request_id).await
}

/// The office declines an open request, saying why (the customer reads it).
pub async fn decline<C>(
    db: &C,
    stamp: &Stamp,
    request_id: i32,
    note: &str,
) -> Result<CustomerRequest, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let request = find(db, request_id).await?;
    let note = checked_note(note)?;
    if note.is_empty() {
        return Err(DomainError::invalid(
            "note",
            "Tell the customer why, so they know what to do.",
        ));
    }
    let txn = db.begin().await?;
    close(
        &txn,
        stamp,
        &request,
        RequestStatus::Declined,
        Some(note.clone()),
        None,
    )
    .await?;
    let job = jobs::find(&txn, request.job_id).await?;
    let what = match request.kind {
        RequestKind::Reschedule => "to move the day",
        RequestKind::QuoteChange => "for a change to the quote",
    };
    on_timeline(
        &txn,
        stamp,
        &job,
        format!("The request {what} was declined: {note}"),
    )
    .await?;
    live::commit(txn).await?;
    find(db, request_id).await
}

/// Sending a new quote version answers the open change requests of its job (inside the
/// sending transaction).
pub(crate) async fn answer_quote_changes(
    txn: &impl ConnectionTrait,
    stamp: &Stamp,
    job_id: i32,
    version: i32,
) -> Result<(), DomainError> {
    if let Some(request) = open_of_kind(txn, job_id, RequestKind::QuoteChange).await? {
        close(
            txn,
            stamp,
            &request,
            RequestStatus::Answered,
            Some(format!("Answered with quote version {version}.")),
            None,
        )
        .await?;
    }
    Ok(())
}

/// A move's requests, newest first (for its pages: who may see the move is checked there).
pub async fn for_job(
    db: &impl ConnectionTrait,
    job_id: i32,
) -> Result<Vec<CustomerRequest>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::JobId.eq(job_id))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?)
}

/// Every open request, oldest first: the office's to-do list.
pub async fn open(db: &impl ConnectionTrait) -> Result<Vec<CustomerRequest>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::Status.eq(RequestStatus::Open))
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await?)
}
