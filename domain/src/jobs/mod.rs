//! Jobs: one move for one customer, from request to payment. The details (addresses, date,
//! slot, crew), the lifecycle moves and the timeline live here; quotes and invoices move the
//! job along through [`transition`].

pub mod crew_assignment;
pub mod entity;
pub mod event;
pub mod lifecycle;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};

pub use entity::{JobStatus, Model as Job};
pub use lifecycle::Trigger;

use crate::{
    accounts::{user, StaffRole},
    audit::{AuditAction, Stamp},
    live::{self, LiveKind, News},
    DomainError,
};

/// The details staff fill in for a move.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDetails {
    pub origin_address: String,
    pub origin_notes: String,
    pub destination_address: String,
    pub destination_notes: String,
    pub requested_date: Option<NaiveDate>,
    pub volume_m3: Option<i32>,
    pub notes: String,
}

impl JobDetails {
    fn checked(mut self) -> Result<Self, DomainError> {
        self.origin_address = required(
            &self.origin_address,
            "origin_address",
            "Where do we pick up?",
        )?;
        self.destination_address = required(
            &self.destination_address,
            "destination_address",
            "Where do we deliver?",
        )?;
        self.origin_notes = limited(&self.origin_notes, "origin_notes", 1000)?;
        self.destination_notes = limited(&self.destination_notes, "destination_notes", 1000)?;
        self.notes = limited(&self.notes, "notes", 4000)?;
        if self.requested_date.is_none() {
            return Err(DomainError::invalid(
                "requested_date",
                "Choose the day the customer asked for.",
            ));
        }
        if let Some(volume) = self.volume_m3 {
            if !(1..=1000).contains(&volume) {
                return Err(DomainError::invalid(
                    "volume_m3",
                    "The volume is between 1 and 1000 m³.",
                ));
            }
        }
        Ok(self)
    }
}

fn required(text: &str, field: &'static str, message: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::invalid(field, message));
    }
    limited(text, field, 300)
}

fn limited(text: &str, field: &'static str, max: usize) -> Result<String, DomainError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("Keep this under {max} characters."),
        ));
    }
    Ok(text.to_owned())
}

/// When and with whom: the confirmed day, the arrival window and the crew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub date: NaiveDate,
    /// `HH:MM`
    pub slot_start: String,
    pub slot_end: String,
    pub crew: Vec<i32>,
}

fn parse_slot(text: &str, field: &'static str) -> Result<NaiveTime, DomainError> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| DomainError::invalid(field, "Use hours and minutes, e.g. 08:00."))
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Job, DomainError> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("job"))
}

/// A job for `actor`, when the policy allows `action` on it (`Action::ViewJob`,
/// `Action::UpdateJobStatus` …), with its crew: another customer's job, or one a crew member is
/// not on, is "not found"; a known one this person may not touch is "forbidden". The finder
/// every job server function goes through, so a forgotten check cannot leak a job.
pub async fn find_for(
    db: &impl ConnectionTrait,
    actor: &crate::policy::Actor,
    job_id: i32,
    action: for<'a> fn(crate::policy::JobAccess<'a>) -> crate::policy::Action<'a>,
) -> Result<(Job, Vec<i32>), DomainError> {
    use crate::policy::{self, Actor, Decision, JobAccess};

    // The anonymous learn nothing, not even whether the job exists.
    if *actor == Actor::Anonymous {
        return Err(DomainError::Denied(Decision::Unauthenticated));
    }
    let job = find(db, job_id).await?;
    let crew = crew_of(db, job_id).await?;
    let decision = policy::can(
        actor,
        action(JobAccess {
            customer_id: job.customer_id,
            crew: &crew,
        }),
    );
    match decision {
        Decision::Allow => Ok((job, crew)),
        refused => Err(DomainError::Denied(refused)),
    }
}

/// The crew members assigned to a job.
pub async fn crew_of(db: &impl ConnectionTrait, job_id: i32) -> Result<Vec<i32>, DomainError> {
    Ok(crew_assignment::Entity::find()
        .filter(crew_assignment::Column::JobId.eq(job_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect())
}

/// A new job for a customer, `requested`, with its first timeline entry.
pub async fn create<C>(
    db: &C,
    stamp: &Stamp,
    customer_id: i32,
    details: JobDetails,
) -> Result<Job, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let details = details.checked()?;
    let txn = db.begin().await?;
    crate::customers::find(&txn, customer_id).await?;
    let provisional = format!("new-{}", uuid::Uuid::new_v4().simple());
    let job = entity::ActiveModel {
        reference: Set(provisional),
        customer_id: Set(customer_id),
        status: Set(JobStatus::Requested),
        origin_address: Set(details.origin_address),
        origin_notes: Set(details.origin_notes),
        destination_address: Set(details.destination_address),
        destination_notes: Set(details.destination_notes),
        requested_date: Set(details.requested_date.unwrap_or_default()),
        volume_m3: Set(details.volume_m3),
        notes: Set(details.notes),
        created_at: Set(stamp.at),
        updated_at: Set(stamp.at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // The reference follows the id, so it is unique without a counter.
    let reference = format!("MV-{}-{:04}", stamp.at.format("%Y"), job.id);
    let mut active: entity::ActiveModel = job.into();
    active.reference = Set(reference.clone());
    let job = active.update(&txn).await?;
    event::ActiveModel {
        job_id: Set(job.id),
        at: Set(stamp.at),
        actor_user_id: Set(stamp.by),
        from_status: Set(None),
        to_status: Set(JobStatus::Requested),
        note: Set("Move requested.".to_owned()),
        eta: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    stamp
        .record(
            &txn,
            AuditAction::JobCreated,
            format!("job:{}", job.id),
            Some(reference),
        )
        .await?;
    live::publish(&txn, stamp.at, News::for_office(LiveKind::JobCreated, &job)).await?;
    live::commit(txn).await?;
    Ok(job)
}

/// Saves changed details; a cancelled or paid job is closed and refuses changes.
pub async fn update_details<C>(
    db: &C,
    stamp: &Stamp,
    job_id: i32,
    details: JobDetails,
) -> Result<Job, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let details = details.checked()?;
    let txn = db.begin().await?;
    let job = find(&txn, job_id).await?;
    if matches!(job.status, JobStatus::Cancelled | JobStatus::Paid) {
        return Err(DomainError::Conflict(format!(
            "This job is {} and can no longer be changed.",
            job.status.label()
        )));
    }
    let mut active: entity::ActiveModel = job.into();
    active.origin_address = Set(details.origin_address);
    active.origin_notes = Set(details.origin_notes);
    active.destination_address = Set(details.destination_address);
    active.destination_notes = Set(details.destination_notes);
    active.requested_date = Set(details.requested_date.unwrap_or_default());
    active.volume_m3 = Set(details.volume_m3);
    active.notes = Set(details.notes);
    active.updated_at = Set(stamp.at);
    let job = active.update(&txn).await?;
    stamp
        .record(&txn, AuditAction::JobUpdated, format!("job:{job_id}"), None)
        .await?;
    live::publish(&txn, stamp.at, News::on_job(LiveKind::DetailsChanged, &job)).await?;
    live::commit(txn).await?;
    Ok(job)
}

/// Confirms the day, the arrival window and the crew. An accepted job becomes `scheduled`; a
/// job already scheduled (or on its way) is rescheduled, which the timeline shows too.
pub async fn schedule<C>(
    db: &C,
    stamp: &Stamp,
    job_id: i32,
    plan: Schedule,
) -> Result<Job, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let start = parse_slot(&plan.slot_start, "slot_start")?;
    let end = parse_slot(&plan.slot_end, "slot_end")?;
    if end <= start {
        return Err(DomainError::invalid(
            "slot_end",
            "The window ends after it starts.",
        ));
    }
    if plan.date < stamp.at.date_naive() - chrono::Days::new(1) {
        return Err(DomainError::invalid("date", "Choose today or a day ahead."));
    }
    let mut crew = plan.crew.clone();
    crew.sort_unstable();
    crew.dedup();
    if crew.is_empty() {
        return Err(DomainError::invalid(
            "crew",
            "Choose at least one crew member.",
        ));
    }
    let txn = db.begin().await?;
    let job = find(&txn, job_id).await?;
    if !job.status.can_be_scheduled() {
        return Err(DomainError::Conflict(format!(
            "A job that is {} cannot be scheduled; it needs an accepted quote first.",
            job.status.label()
        )));
    }
    let people = user::Entity::find()
        .filter(user::Column::Id.is_in(crew.iter().copied()))
        .all(&txn)
        .await?;
    let valid = people
        .iter()
        .filter(|p| p.disabled_at.is_none() && p.staff_role.is_some())
        .count();
    if valid != crew.len() {
        return Err(DomainError::invalid(
            "crew",
            "Choose crew from the staff list.",
        ));
    }
    let previous_crew = crew_of(&txn, job_id).await?;
    crew_assignment::Entity::delete_many()
        .filter(crew_assignment::Column::JobId.eq(job_id))
        .exec(&txn)
        .await?;
    crew_assignment::Entity::insert_many(crew.iter().map(|user_id| crew_assignment::ActiveModel {
        job_id: Set(job_id),
        user_id: Set(*user_id),
    }))
    .exec(&txn)
    .await?;

    let slot = format!("{}–{}", start.format("%H:%M"), end.format("%H:%M"));
    let names: Vec<&str> = crew
        .iter()
        .filter_map(|id| people.iter().find(|p| p.id == *id))
        .map(|p| p.display_name.as_str())
        .collect();
    let note = format!(
        "{} {}, {slot}, crew: {}.",
        if job.status == JobStatus::Accepted {
            "Scheduled for"
        } else {
            "Rescheduled to"
        },
        plan.date.format("%A %-d %B %Y"),
        names.join(", ")
    );
    let from = job.status;
    let to = if from == JobStatus::Accepted {
        JobStatus::Scheduled
    } else {
        from
    };
    let moved = job.confirmed_date.is_some()
        && (job.confirmed_date != Some(plan.date)
            || job.slot_start.as_deref() != Some(&*start.format("%H:%M").to_string())
            || job.slot_end.as_deref() != Some(&*end.format("%H:%M").to_string()));
    let sequence = job.schedule_sequence + i32::from(moved);
    let mut active: entity::ActiveModel = job.into();
    active.schedule_sequence = Set(sequence);
    active.confirmed_date = Set(Some(plan.date));
    active.slot_start = Set(Some(start.format("%H:%M").to_string()));
    active.slot_end = Set(Some(end.format("%H:%M").to_string()));
    active.status = Set(to);
    active.updated_at = Set(stamp.at);
    let job = active.update(&txn).await?;
    event::ActiveModel {
        job_id: Set(job_id),
        at: Set(stamp.at),
        actor_user_id: Set(stamp.by),
        from_status: Set(Some(from)),
        to_status: Set(to),
        note: Set(note.clone()),
        eta: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    stamp
        .record(
            &txn,
            AuditAction::JobScheduled,
            format!("job:{job_id}"),
            Some(note),
        )
        .await?;
    live::publish(
        &txn,
        stamp.at,
        News::on_job(LiveKind::ScheduleChanged, &job),
    )
    .await?;
    // Crew taken off the job no longer hear of it: tell them once, so their day drops it.
    for user_id in previous_crew.iter().filter(|id| !crew.contains(id)) {
        live::publish(
            &txn,
            stamp.at,
            News::for_person(LiveKind::ScheduleChanged, *user_id, Some(job_id)),
        )
        .await?;
    }
    live::commit(txn).await?;
    Ok(job)
}

/// A status button pressed by staff or crew. "On our way" needs an ETA within the next 12
/// hours; every move is checked against the lifecycle and written to the timeline.
pub async fn change_status<C>(
    db: &C,
    stamp: &Stamp,
    job_id: i32,
    to: JobStatus,
    note: &str,
    eta: Option<DateTime<Utc>>,
) -> Result<Job, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let note = limited(note, "note", 1000)?;
    let eta = if to == JobStatus::EnRoute {
        let Some(eta) = eta else {
            return Err(DomainError::invalid(
                "eta",
                "Say when you expect to arrive.",
            ));
        };
        check_eta(stamp, eta)?;
        Some(eta)
    } else {
        None
    };
    let txn = db.begin().await?;
    let job = find(&txn, job_id).await?;
    let job = transition(&txn, stamp, job, to, Trigger::Manual, &note, eta).await?;
    live::commit(txn).await?;
    Ok(job)
}

/// Moves a job to `to` inside the caller's transaction: checks the lifecycle, updates the row
/// only if nobody moved it meanwhile, and writes the timeline entry and the audit row.
pub async fn transition(
    txn: &impl ConnectionTrait,
    stamp: &Stamp,
    job: Job,
    to: JobStatus,
    trigger: Trigger,
    note: &str,
    eta: Option<DateTime<Utc>>,
) -> Result<Job, DomainError> {
    let from = job.status;
    lifecycle::check(from, to, trigger)?;
    let updated = entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(to.code()))
        .col_expr(entity::Column::Eta, Expr::value(eta))
        .col_expr(entity::Column::UpdatedAt, Expr::value(stamp.at))
        .filter(entity::Column::Id.eq(job.id))
        .filter(entity::Column::Status.eq(from.code()))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "Someone else changed this job a moment ago. Reload to see its status.".to_owned(),
        ));
    }
    let note = if note.is_empty() {
        default_note(to)
    } else {
        note.to_owned()
    };
    event::ActiveModel {
        job_id: Set(job.id),
        at: Set(stamp.at),
        actor_user_id: Set(stamp.by),
        from_status: Set(Some(from)),
        to_status: Set(to),
        note: Set(note),
        eta: Set(eta),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    stamp
        .record(
            txn,
            AuditAction::JobStatusChanged,
            format!("job:{}", job.id),
            Some(format!("{} → {}", from.code(), to.code())),
        )
        .await?;
    let job = Job {
        status: to,
        eta,
        updated_at: stamp.at,
        ..job
    };
    live::publish(
        txn,
        stamp.at,
        News::on_job(LiveKind::JobStatusChanged, &job),
    )
    .await?;
    Ok(job)
}

/// A new arrival time from a crew on its way (within the next 12 hours, like the first one);
/// the timeline shows it.
pub async fn update_eta<C>(
    db: &C,
    stamp: &Stamp,
    job_id: i32,
    eta: DateTime<Utc>,
) -> Result<Job, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = db.begin().await?;
    let job = find(&txn, job_id).await?;
    // The state first: a job that is not on its way has no arrival time, whatever the time given.
    if job.status != JobStatus::EnRoute {
        return Err(DomainError::Conflict(format!(
            "A job that is {} has no arrival time to change; tap \"On our way\" first.",
            job.status.label()
        )));
    }
    check_eta(stamp, eta)?;
    let updated = entity::Entity::update_many()
        .col_expr(entity::Column::Eta, Expr::value(Some(eta)))
        .col_expr(entity::Column::UpdatedAt, Expr::value(stamp.at))
        .filter(entity::Column::Id.eq(job.id))
        .filter(entity::Column::Status.eq(JobStatus::EnRoute.code()))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "Someone else changed this job a moment ago. Reload to see its status.".to_owned(),
        ));
    }
    event::ActiveModel {
        job_id: Set(job.id),
        at: Set(stamp.at),
        actor_user_id: Set(stamp.by),
        from_status: Set(Some(JobStatus::EnRoute)),
        to_status: Set(JobStatus::EnRoute),
        note: Set("New arrival time.".to_owned()),
        eta: Set(Some(eta)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    stamp
        .record(
            &txn,
            AuditAction::JobStatusChanged,
            format!("job:{}", job.id),
            Some(format!("eta {}", eta.to_rfc3339())),
        )
        .await?;
    let job = Job {
        eta: Some(eta),
        updated_at: stamp.at,
        ..job
    };
    live::publish(&txn, stamp.at, News::on_job(LiveKind::EtaUpdated, &job)).await?;
    live::commit(txn).await?;
    Ok(job)
}

fn check_eta(stamp: &Stamp, eta: DateTime<Utc>) -> Result<(), DomainError> {
    if eta < stamp.at - chrono::Duration::minutes(5) || eta > stamp.at + chrono::Duration::hours(12)
    {
        return Err(DomainError::invalid(
            "eta",
            "The arrival time is within the next 12 hours.",
        ));
    }
    Ok(())
}

fn default_note(to: JobStatus) -> String {
    match to {
        JobStatus::EnRoute => "The crew is on its way.".to_owned(),
        JobStatus::InProgress => "The crew has started.".to_owned(),
        JobStatus::Completed => "The move is done.".to_owned(),
        JobStatus::Cancelled => "The move was cancelled.".to_owned(),
        to => format!("Now {}.", to.label()),
    }
}

/// One entry of a job's timeline, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub from: Option<JobStatus>,
    pub to: JobStatus,
    pub note: String,
    pub eta: Option<DateTime<Utc>>,
}

pub async fn timeline(
    db: &impl ConnectionTrait,
    job_id: i32,
) -> Result<Vec<TimelineEntry>, DomainError> {
    let events = event::Entity::find()
        .filter(event::Column::JobId.eq(job_id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?;
    let people = names_of(db, events.iter().filter_map(|e| e.actor_user_id)).await?;
    Ok(events
        .into_iter()
        .map(|e| TimelineEntry {
            at: e.at,
            by: e
                .actor_user_id
                .and_then(|id| people.iter().find(|(pid, _)| *pid == id))
                .map(|(_, name)| name.clone()),
            from: e.from_status,
            to: e.to_status,
            note: e.note,
            eta: e.eta,
        })
        .collect())
}

/// Display names for user ids, in one query.
pub async fn names_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> Result<Vec<(i32, String)>, DomainError> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// A job with what lists show next to it: the customer's name and the crew's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSummary {
    pub job: Job,
    pub customer_name: String,
    pub crew: Vec<(i32, String)>,
}

async fn summaries(
    db: &impl ConnectionTrait,
    jobs: Vec<Job>,
) -> Result<Vec<JobSummary>, DomainError> {
    let job_ids: Vec<i32> = jobs.iter().map(|j| j.id).collect();
    let assignments = crew_assignment::Entity::find()
        .filter(crew_assignment::Column::JobId.is_in(job_ids))
        .all(db)
        .await?;
    let people = names_of(db, assignments.iter().map(|a| a.user_id)).await?;
    let customer_ids: Vec<i32> = jobs.iter().map(|j| j.customer_id).collect();
    let customers = crate::customers::find_many(db, &customer_ids).await?;
    Ok(jobs
        .into_iter()
        .map(|job| JobSummary {
            customer_name: customers
                .iter()
                .find(|c| c.id == job.customer_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            crew: assignments
                .iter()
                .filter(|a| a.job_id == job.id)
                .filter_map(|a| people.iter().find(|(id, _)| *id == a.user_id).cloned())
                .collect(),
            job,
        })
        .collect())
}

/// The moves on a day (in the company's time zone), by arrival window. Cancelled moves are left
/// out. `crew_member` narrows the list to the jobs that person is assigned to.
pub async fn on_day(
    db: &impl ConnectionTrait,
    day: NaiveDate,
    crew_member: Option<i32>,
) -> Result<Vec<JobSummary>, DomainError> {
    let mut query = entity::Entity::find()
        .filter(entity::Column::ConfirmedDate.eq(day))
        .filter(entity::Column::Status.ne(JobStatus::Cancelled.code()));
    if let Some(user_id) = crew_member {
        let mine: Vec<i32> = crew_assignment::Entity::find()
            .filter(crew_assignment::Column::UserId.eq(user_id))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.job_id)
            .collect();
        query = query.filter(entity::Column::Id.is_in(mine));
    }
    let jobs = query
        .order_by_asc(entity::Column::SlotStart)
        .order_by_asc(entity::Column::Id)
        .all(db)
        .await?;
    summaries(db, jobs).await
}

/// The jobs with these ids, with customer and crew names, in three queries.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<JobSummary>, DomainError> {
    let jobs = entity::Entity::find()
        .filter(entity::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    summaries(db, jobs).await
}

/// A customer's jobs, newest first.
pub async fn for_customer(
    db: &impl ConnectionTrait,
    customer_id: i32,
) -> Result<Vec<Job>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::CustomerId.eq(customer_id))
        .order_by_desc(entity::Column::Id)
        .all(db)
        .await?)
}

/// Jobs by state, for the staff lists.
pub async fn with_status(
    db: &impl ConnectionTrait,
    statuses: &[JobStatus],
) -> Result<Vec<JobSummary>, DomainError> {
    let jobs = entity::Entity::find()
        .filter(entity::Column::Status.is_in(statuses.iter().map(|s| s.code())))
        .order_by_asc(entity::Column::RequestedDate)
        .all(db)
        .await?;
    summaries(db, jobs).await
}

/// The crew a job can be given: active staff with the crew role.
pub async fn crew_members(db: &impl ConnectionTrait) -> Result<Vec<(i32, String)>, DomainError> {
    Ok(user::Entity::find()
        .filter(user::Column::StaffRole.eq(StaffRole::Crew))
        .filter(user::Column::DisabledAt.is_null())
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// Today's date where the company is (`time_zone` is an IANA name; UTC when it is unknown).
pub fn local_today(now: DateTime<Utc>, time_zone: &str) -> NaiveDate {
    match time_zone.parse::<chrono_tz::Tz>() {
        Ok(zone) => now.with_timezone(&zone).date_naive(),
        Err(_) => now.date_naive(),
    }
}
