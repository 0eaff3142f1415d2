//! Jobs on the staff side: the job page's data, creating and editing a job, scheduling it, and
//! the status buttons. Quotes, invoices and messages have their own modules.

pub mod page;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    invoices::InvoiceView, quotes::QuoteView, staff::Person, states::JobState, PorticoError,
};

/// A status button: where the job can go next, for this person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusStep {
    pub to: JobState,
    /// The button's words: "On our way", "Started", "Done", "Cancel the move".
    pub label: String,
    pub needs_eta: bool,
    /// Asks for confirmation first (cancelling).
    pub destructive: bool,
}

/// One entry on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineItem {
    pub at: String,
    pub by: Option<String>,
    pub to: JobState,
    pub note: String,
    pub eta: Option<String>,
}

/// The details form, as typed (dates `YYYY-MM-DD`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobDetailsForm {
    pub origin_address: String,
    pub origin_notes: String,
    pub destination_address: String,
    pub destination_notes: String,
    pub requested_date: String,
    pub volume_m3: String,
    pub notes: String,
}

/// Everything the staff job page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffJobView {
    pub id: i32,
    pub reference: String,
    pub customer_id: i32,
    pub customer_name: String,
    pub state: JobState,
    pub details: JobDetailsForm,
    pub requested_date: String,
    pub confirmed_date: Option<String>,
    /// `YYYY-MM-DD`, for the schedule form.
    pub confirmed_date_iso: String,
    pub slot_start: String,
    pub slot_end: String,
    pub eta: Option<String>,
    pub crew: Vec<Person>,
    pub crew_options: Vec<Person>,
    pub next_steps: Vec<StatusStep>,
    /// On its way: a new arrival time may be given.
    pub may_update_eta: bool,
    pub timeline: Vec<TimelineItem>,
    pub quotes: Vec<QuoteView>,
    pub invoices: Vec<InvoiceView>,
    /// Office and admin: details, schedule, quotes.
    pub can_manage: bool,
    /// Office and admin: invoices and payments.
    pub can_bill: bool,
    /// The job takes a (new version of its) quote now.
    pub may_quote: bool,
    /// Date, slot and crew can be set now.
    pub may_schedule: bool,
    /// The accepted quote that can become the invoice (none while it has one).
    pub invoice_from_quote: Option<i32>,
    /// What the customer asked for (another day, a changed quote), with the answers.
    pub requests: Vec<crate::requests::RequestView>,
}

#[cfg(feature = "ssr")]
pub(crate) mod access {
    //! Finding a job and asking the policy about it, for every job server function.

    use portico_domain::{
        jobs::{self, Job},
        policy::{Action, Actor, JobAccess},
    };

    use crate::{server, PorticoError};

    /// What is asked of a job.
    #[derive(Debug, Clone, Copy)]
    pub enum On {
        View,
        Work,
        Status,
        Message,
    }

    /// The job, if the policy allows `on` for it; another customer's job is 404 (decided by
    /// the domain's finder, `jobs::find_for`).
    pub async fn job_for(job_id: i32, on: On) -> Result<(Actor, Job, Vec<i32>), PorticoError> {
        let actor = server::current_actor().await?;
        let action: for<'a> fn(JobAccess<'a>) -> Action<'a> = match on {
            On::View => |job| Action::ViewJob(job),
            On::Work => |job| Action::WorkOnJob(job),
            On::Status => |job| Action::UpdateJobStatus(job),
            On::Message => |job| Action::SendMessage(job),
        };
        let (job, crew) = jobs::find_for(&server::db()?, &actor, job_id, action).await?;
        Ok((actor, job, crew))
    }
}

#[cfg(feature = "ssr")]
fn step(to: portico_domain::jobs::JobStatus) -> StatusStep {
    use portico_domain::jobs::JobStatus;
    let label = match to {
        JobStatus::EnRoute => "On our way",
        JobStatus::InProgress => "Started",
        JobStatus::Completed => "Done",
        JobStatus::Cancelled => "Cancel the move",
        JobStatus::Scheduled => "Back to scheduled",
        other => crate::states::Shown::label(JobState::from(other)),
    };
    StatusStep {
        to: to.into(),
        label: label.to_owned(),
        needs_eta: to == JobStatus::EnRoute,
        destructive: to == JobStatus::Cancelled,
    }
}

/// Whether `actor` may give a new arrival time (staff on a job on its way; who may touch the
/// job at all the page's access check decided).
#[cfg(feature = "ssr")]
pub(crate) fn may_update_eta(
    actor: &portico_domain::policy::Actor,
    status: portico_domain::jobs::JobStatus,
) -> bool {
    matches!(actor, portico_domain::policy::Actor::Staff { .. })
        && status == portico_domain::jobs::JobStatus::EnRoute
}

/// The buttons `actor` gets on a job in `status`.
#[cfg(feature = "ssr")]
pub(crate) fn steps_for(
    actor: &portico_domain::policy::Actor,
    status: portico_domain::jobs::JobStatus,
) -> Vec<StatusStep> {
    use portico_domain::{jobs::lifecycle, policy::Actor};
    match actor {
        Actor::Staff { role, .. } => lifecycle::next_steps(status, *role)
            .into_iter()
            .map(step)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(feature = "ssr")]
fn parse_details(form: JobDetailsForm) -> Result<portico_domain::jobs::JobDetails, PorticoError> {
    let volume_m3 = match form.volume_m3.trim() {
        "" => None,
        text => Some(text.parse::<i32>().map_err(|_| PorticoError::Invalid {
            field: "volume_m3".into(),
            message: "Enter whole cubic metres, e.g. 30.".into(),
        })?),
    };
    let requested_date = match form.requested_date.trim() {
        "" => None,
        text => Some(crate::staff::local::parse_date(text, "requested_date")?),
    };
    Ok(portico_domain::jobs::JobDetails {
        origin_address: form.origin_address,
        origin_notes: form.origin_notes,
        destination_address: form.destination_address,
        destination_notes: form.destination_notes,
        requested_date,
        volume_m3,
        notes: form.notes,
    })
}

/// The staff job page's data: office and admin for every job, crew for their own.
#[server(name = StaffJob, prefix = "/api", endpoint = "jobs/staff_job")]
pub async fn staff_job(job_id: i32) -> Result<StaffJobView, PorticoError> {
    use portico_domain::{
        jobs,
        policy::{self, Action},
    };

    use crate::{
        server,
        staff::local::{self, Local},
    };

    let (actor, job, crew_ids) = access::job_for(job_id, access::On::Work).await?;
    let db = server::db()?;
    server::record_staff_view(&db, &actor, format!("job:{job_id}")).await?;
    let here = Local::load(&db).await?;
    let customer = portico_domain::customers::find(&db, job.customer_id).await?;
    let names = jobs::names_of(&db, crew_ids.iter().copied()).await?;
    let can_manage = policy::can(&actor, Action::ManageJobs).is_allowed();
    let can_bill = policy::can(&actor, Action::ManageBilling).is_allowed();
    let crew_options = if can_manage {
        jobs::crew_members(&db)
            .await?
            .into_iter()
            .map(|(id, name)| Person { id, name })
            .collect()
    } else {
        Vec::new()
    };
    let timeline = jobs::timeline(&db, job_id)
        .await?
        .into_iter()
        .rev()
        .map(|e| TimelineItem {
            at: here.date_time(e.at),
            by: e.by,
            to: e.to.into(),
            note: e.note,
            eta: e.eta.map(|eta| here.time(eta)),
        })
        .collect();
    // Prices are the office's business, not the crew's.
    let quotes = if can_manage {
        crate::quotes::views_for_job(&db, &here, job_id).await?
    } else {
        Vec::new()
    };
    let (invoices, invoice_from_quote) = if can_bill {
        crate::invoices::for_job(&db, job_id).await?
    } else {
        (Vec::new(), None)
    };
    let requests = if can_manage {
        portico_domain::requests::for_job(&db, job_id)
            .await?
            .iter()
            .map(|r| crate::requests::view_of(r, &here))
            .collect()
    } else {
        Vec::new()
    };
    Ok(StaffJobView {
        requests,
        id: job.id,
        reference: job.reference.clone(),
        customer_id: job.customer_id,
        customer_name: customer.name,
        state: job.status.into(),
        details: JobDetailsForm {
            origin_address: job.origin_address.clone(),
            origin_notes: job.origin_notes.clone(),
            destination_address: job.destination_address.clone(),
            destination_notes: job.destination_notes.clone(),
            requested_date: job.requested_date.format("%Y-%m-%d").to_string(),
            volume_m3: job.volume_m3.map(|v| v.to_string()).unwrap_or_default(),
            notes: job.notes.clone(),
        },
        requested_date: local::date(job.requested_date),
        confirmed_date: job.confirmed_date.map(local::date),
        confirmed_date_iso: job
            .confirmed_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        slot_start: job.slot_start.clone().unwrap_or_default(),
        slot_end: job.slot_end.clone().unwrap_or_default(),
        eta: job.eta.map(|eta| here.time(eta)),
        crew: names
            .into_iter()
            .map(|(id, name)| Person { id, name })
            .collect(),
        crew_options,
        next_steps: steps_for(&actor, job.status),
        may_update_eta: may_update_eta(&actor, job.status),
        timeline,
        quotes,
        invoices,
        can_manage,
        can_bill,
        may_quote: can_manage && job.status.takes_a_quote(),
        may_schedule: can_manage && job.status.can_be_scheduled(),
        invoice_from_quote,
    })
}

/// A new job for a customer; answers the new job's id.
#[server(name = CreateJob, prefix = "/api", endpoint = "jobs/create_job")]
pub async fn create_job(customer_id: i32, details: JobDetailsForm) -> Result<i32, PorticoError> {
    use portico_domain::{jobs, policy::Action};

    use crate::server;

    let actor = server::authorize(Action::ManageJobs).await?;
    let details = parse_details(details)?;
    let job = jobs::create(
        &server::db()?,
        &server::stamp(&actor)?,
        customer_id,
        details,
    )
    .await?;
    Ok(job.id)
}

/// Saves the job's details.
#[server(name = UpdateJob, prefix = "/api", endpoint = "jobs/update_job")]
pub async fn update_job(job_id: i32, details: JobDetailsForm) -> Result<(), PorticoError> {
    use portico_domain::{jobs, policy::Action};

    use crate::server;

    let actor = server::authorize(Action::ManageJobs).await?;
    let details = parse_details(details)?;
    jobs::update_details(&server::db()?, &server::stamp(&actor)?, job_id, details).await?;
    Ok(())
}

/// Confirms the day, the arrival window and the crew.
#[server(name = ScheduleJob, prefix = "/api", endpoint = "jobs/schedule_job")]
pub async fn schedule_job(
    job_id: i32,
    date: String,
    slot_start: String,
    slot_end: String,
    #[server(default)] crew: Vec<i32>,
) -> Result<(), PorticoError> {
    use portico_domain::{jobs, policy::Action};

    use crate::{server, staff::local::parse_date};

    let actor = server::authorize(Action::ManageJobs).await?;
    let plan = jobs::Schedule {
        date: parse_date(&date, "date")?,
        slot_start,
        slot_end,
        crew,
    };
    let db = server::db()?;
    let before = jobs::find(&db, job_id).await?;
    let after = jobs::schedule(&db, &server::stamp(&actor)?, job_id, plan).await?;
    if let Some(notice) = moving_day_notice(&before, &after) {
        server::notify(&db, notice).await;
    }
    Ok(())
}

/// What the customer hears of a schedule: a first confirmation, or a change of day or window
/// (a new crew alone is the office's business).
#[cfg(feature = "ssr")]
pub(crate) fn moving_day_notice(
    before: &portico_domain::jobs::Job,
    after: &portico_domain::jobs::Job,
) -> Option<portico_domain::notices::Notice> {
    let first = before.confirmed_date.is_none() && after.confirmed_date.is_some();
    let changed = after.schedule_sequence > before.schedule_sequence;
    (first || changed).then_some(portico_domain::notices::Notice::MovingDay {
        job_id: after.id,
        changed,
    })
}

/// A new arrival time from a crew on its way (local `HH:MM`, within the next 12 hours): the
/// customer's page shows it at once.
#[server(name = UpdateEta, prefix = "/api", endpoint = "jobs/update_eta")]
pub async fn update_eta(job_id: i32, eta: String) -> Result<(), PorticoError> {
    use portico_domain::jobs;

    use crate::{server, staff::local::Local};

    let (actor, _, _) = access::job_for(job_id, access::On::Status).await?;
    if eta.trim().is_empty() {
        return Err(PorticoError::Invalid {
            field: "eta".into(),
            message: "Say when you expect to arrive.".into(),
        });
    }
    let db = server::db()?;
    let eta = Local::load(&db).await?.next_at(&eta, "eta")?;
    jobs::update_eta(&db, &server::stamp(&actor)?, job_id, eta).await?;
    Ok(())
}

/// A status button: "on our way" (with the ETA as local `HH:MM`), "started", "done", or
/// cancelling. Crew may press only the day's buttons, on their own jobs.
#[server(name = ChangeJobStatus, prefix = "/api", endpoint = "jobs/change_status")]
pub async fn change_job_status(
    job_id: i32,
    status: String,
    #[server(default)] note: String,
    #[server(default)] eta: String,
) -> Result<(), PorticoError> {
    use portico_domain::jobs::{self, JobStatus};

    use crate::{server, staff::local::Local};

    let (actor, job, _) = access::job_for(job_id, access::On::Status).await?;
    let to = JobStatus::from_code(&status).ok_or(PorticoError::Invalid {
        field: "status".into(),
        message: "Choose one of the offered steps.".into(),
    })?;
    if !steps_for(&actor, job.status)
        .iter()
        .any(|s| s.to == JobState::from(to))
    {
        // Either illegal for the job or not this person's button: name the states.
        return Err(
            match portico_domain::jobs::lifecycle::check(job.status, to, jobs::Trigger::Manual) {
                Err(error) => error.into(),
                Ok(()) => PorticoError::Forbidden,
            },
        );
    }
    let db = server::db()?;
    let eta = if to == JobStatus::EnRoute {
        if eta.trim().is_empty() {
            return Err(PorticoError::Invalid {
                field: "eta".into(),
                message: "Say when you expect to arrive.".into(),
            });
        }
        Some(Local::load(&db).await?.next_at(&eta, "eta")?)
    } else {
        None
    };
    jobs::change_status(&db, &server::stamp(&actor)?, job_id, to, &note, eta).await?;
    Ok(())
}
