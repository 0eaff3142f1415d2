//! The crew's phone view: today's jobs in arrival order, addresses that open a map, and one
//! big button per step: "On our way" (with the ETA), "Started", "Done".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::{
    jobs::{page::Changed, StatusStep},
    staff::{loading, StatusBadge},
    PorticoError,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrewJob {
    pub id: i32,
    pub reference: String,
    pub customer_name: String,
    pub slot: String,
    pub state: crate::states::JobState,
    pub origin: String,
    pub origin_notes: String,
    pub destination: String,
    pub destination_notes: String,
    pub notes: String,
    pub eta: Option<String>,
    pub crew: Vec<String>,
    pub next_steps: Vec<StatusStep>,
    /// On its way: a new arrival time may be given.
    pub may_update_eta: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrewDay {
    pub date: String,
    pub jobs: Vec<CrewJob>,
}

/// Today's jobs: a crew member's own; office and admin see every job of the day.
#[server(name = CrewToday, prefix = "/api", endpoint = "crew/today")]
pub async fn crew_today() -> Result<CrewDay, PorticoError> {
    use portico_domain::{
        accounts::StaffRole,
        jobs,
        policy::{Action, Actor},
    };

    use crate::{
        server,
        staff::local::{self, Local},
    };

    let actor = server::authorize(Action::ViewWorkspace).await?;
    let db = server::db()?;
    let here = Local::load(&db).await?;
    let only = match actor {
        Actor::Staff {
            user_id,
            role: StaffRole::Crew,
        } => Some(user_id),
        _ => None,
    };
    let day = here.today();
    let jobs = jobs::on_day(&db, day, only)
        .await?
        .into_iter()
        .map(|s| CrewJob {
            id: s.job.id,
            reference: s.job.reference.clone(),
            customer_name: s.customer_name,
            slot: format!(
                "{}–{}",
                s.job.slot_start.clone().unwrap_or_default(),
                s.job.slot_end.clone().unwrap_or_default()
            ),
            state: s.job.status.into(),
            origin: s.job.origin_address.clone(),
            origin_notes: s.job.origin_notes.clone(),
            destination: s.job.destination_address.clone(),
            destination_notes: s.job.destination_notes.clone(),
            notes: s.job.notes.clone(),
            eta: s.job.eta.map(|eta| here.time(eta)),
            crew: s.crew.into_iter().map(|(_, name)| name).collect(),
            next_steps: crate::jobs::steps_for(&actor, s.job.status),
            may_update_eta: crate::jobs::may_update_eta(&actor, s.job.status),
        })
        .collect();
    Ok(CrewDay {
        date: local::date(day),
        jobs,
    })
}

#[component]
pub fn CrewPage() -> impl IntoView {
    let changed = Changed(RwSignal::new(0));
    provide_context(changed);
    // Any news the server lets through concerns one of this person's jobs (or takes one away).
    let news = crate::live::use_live().changes(|n| !n.kind.is_about_messages());
    let steady = crate::live::Steady::new(move || (changed.0.get(), news.get()));
    let day = Resource::new(move || steady.key(), move |_| steady.fetch(crew_today()));
    view! {
        <Title text="Today" />
        <section class="crew" aria-labelledby="crew-title">
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match day.await {
                        Ok(day) => view! {
                            <h1 id="crew-title">"Today · " {day.date.clone()}</h1>
                            {day.jobs.is_empty().then(|| view! { <p class="empty">"No jobs for you today."</p> })}
                            <ol class="crew__jobs">
                                {day.jobs.into_iter().map(|job| view! { <CrewJobCard job /> }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(error) => view! {
                            <h1 id="crew-title">"Today"</h1>
                            <crate::accounts::ErrorView error />
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn CrewJobCard(job: CrewJob) -> impl IntoView {
    let map = crate::jobs::page::map_link;
    let label = format!("{} for {}", job.reference, job.customer_name);
    view! {
        <li class="card crew-job" aria-label=label>
            <p class="crew-job__slot">{job.slot.clone()}</p>
            <h2 class="crew-job__title"><A href=format!("/staff/jobs/{}", job.id)>{job.customer_name.clone()}</A></h2>
            <p>
                <StatusBadge state=job.state />
                {job.eta.clone().map(|eta| view! { <strong>" · ETA " {eta}</strong> })}
            </p>
            <dl class="crew-job__addresses">
                <dt>"From"</dt>
                <dd><a href=map(&job.origin) target="_blank" rel="noopener noreferrer">{job.origin.clone()}</a>
                    {(!job.origin_notes.is_empty()).then(|| view! { <span class="muted">" · " {job.origin_notes.clone()}</span> })}</dd>
                <dt>"To"</dt>
                <dd><a href=map(&job.destination) target="_blank" rel="noopener noreferrer">{job.destination.clone()}</a>
                    {(!job.destination_notes.is_empty()).then(|| view! { <span class="muted">" · " {job.destination_notes.clone()}</span> })}</dd>
            </dl>
            {(!job.notes.is_empty()).then(|| view! { <p>{job.notes.clone()}</p> })}
            <p class="muted">"Crew: " {job.crew.join(", ")}</p>
            <crate::jobs::page::StatusButtons job_id=job.id steps=job.next_steps.clone() may_update_eta=job.may_update_eta />
        </li>
    }
    .into_any()
}
