//! The office dashboard: today's and tomorrow's moves with crew and slot, quotes waiting for
//! the customer, overdue invoices and unread messages, each a count and a list with links.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use super::{loading, StatusBadge};
use crate::PorticoError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardJob {
    pub id: i32,
    pub reference: String,
    pub customer_name: String,
    pub slot: String,
    pub state: crate::states::JobState,
    pub crew: String,
}

/// A line in one of the lists: what, for whom, and the detail that matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardItem {
    pub href: String,
    pub title: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub today_label: String,
    pub today: Vec<DashboardJob>,
    pub tomorrow_label: String,
    pub tomorrow: Vec<DashboardJob>,
    pub quotes_waiting: Vec<DashboardItem>,
    pub overdue: Vec<DashboardItem>,
    pub unread: Vec<DashboardItem>,
    pub to_do: Vec<DashboardItem>,
}

#[server(name = StaffDashboard, prefix = "/api", endpoint = "staff/dashboard")]
pub async fn staff_dashboard() -> Result<Dashboard, PorticoError> {
    use portico_domain::{
        customers, invoices,
        jobs::{self, JobStatus},
        messages,
        money::format_euros,
        policy::Action,
        quotes,
    };

    use crate::{
        server,
        staff::local::{self, Local},
    };

    let actor = server::authorize(Action::ManageJobs).await?;
    let db = server::db()?;
    let here = Local::load(&db).await?;
    let today = here.today();
    let tomorrow = today.succ_opt().unwrap_or(today);
    let day = |list: Vec<jobs::JobSummary>| -> Vec<DashboardJob> {
        list.into_iter()
            .map(|s| DashboardJob {
                id: s.job.id,
                reference: s.job.reference.clone(),
                customer_name: s.customer_name,
                slot: format!(
                    "{}–{}",
                    s.job.slot_start.clone().unwrap_or_default(),
                    s.job.slot_end.clone().unwrap_or_default()
                ),
                state: s.job.status.into(),
                crew: s
                    .crew
                    .into_iter()
                    .map(|(_, n)| n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect()
    };
    let today_jobs = day(jobs::on_day(&db, today, None).await?);
    let tomorrow_jobs = day(jobs::on_day(&db, tomorrow, None).await?);

    let waiting = quotes::awaiting_answer(&db).await?;
    let reader = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let unread_counts = messages::unread_from_customers(&db, reader).await?;
    // The jobs both lists name, read once.
    let job_ids: Vec<i32> = waiting
        .iter()
        .map(|q| q.job_id)
        .chain(unread_counts.iter().map(|(job_id, _)| *job_id))
        .collect();
    let named = jobs::find_many(&db, &job_ids).await?;
    let title = |job_id: i32| {
        named
            .iter()
            .find(|s| s.job.id == job_id)
            .map(|s| format!("{} · {}", s.customer_name, s.job.reference))
            .unwrap_or_default()
    };
    let quotes_waiting = waiting
        .iter()
        .map(|quote| DashboardItem {
            href: format!("/staff/jobs/{}", quote.job_id),
            title: title(quote.job_id),
            detail: format!(
                "{} · valid until {}",
                format_euros(quote.total_cents),
                local::date(quote.valid_until)
            ),
        })
        .collect();
    let overdue_invoices = invoices::overdue(&db).await?;
    let names = customers::find_many(
        &db,
        &overdue_invoices
            .iter()
            .map(|i| i.customer_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    let overdue = overdue_invoices
        .iter()
        .map(|i| DashboardItem {
            href: i.job_id.map_or_else(
                || format!("/staff/customers/{}", i.customer_id),
                |job| format!("/staff/jobs/{job}"),
            ),
            title: format!(
                "{} · {}",
                names
                    .iter()
                    .find(|c| c.id == i.customer_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                i.number.clone().unwrap_or_default()
            ),
            detail: format!(
                "{} open · due {}",
                format_euros(i.outstanding_cents()),
                i.due_date.map(local::date).unwrap_or_default()
            ),
        })
        .collect();
    let mut unread = Vec::new();
    for (job_id, count) in unread_counts {
        unread.push(DashboardItem {
            href: format!("/staff/jobs/{job_id}#messages-title"),
            title: title(job_id),
            detail: format!(
                "{count} new {}",
                if count == 1 { "message" } else { "messages" }
            ),
        });
    }
    let later = jobs::with_status(
        &db,
        &[
            JobStatus::Requested,
            JobStatus::Accepted,
            JobStatus::Completed,
        ],
    )
    .await?
    .into_iter()
    .map(|s| DashboardItem {
        href: format!("/staff/jobs/{}", s.job.id),
        title: format!("{} · {}", s.customer_name, s.job.reference),
        detail: match s.job.status {
            JobStatus::Requested => "needs a quote".to_owned(),
            JobStatus::Accepted => "accepted: schedule it".to_owned(),
            _ => "done: invoice it".to_owned(),
        },
    })
    .collect::<Vec<_>>();
    // What customers asked for comes first: they wait for an answer.
    let asked = portico_domain::requests::open(&db).await?;
    let asked_about =
        jobs::find_many(&db, &asked.iter().map(|r| r.job_id).collect::<Vec<_>>()).await?;
    let mut to_do: Vec<DashboardItem> = asked
        .iter()
        .map(|r| DashboardItem {
            href: format!("/staff/jobs/{}#requests", r.job_id),
            title: asked_about
                .iter()
                .find(|s| s.job.id == r.job_id)
                .map(|s| format!("{} · {}", s.customer_name, s.job.reference))
                .unwrap_or_default(),
            detail: match r.kind {
                portico_domain::requests::RequestKind::Reschedule => format!(
                    "asks to move the day: {}",
                    r.dates()
                        .into_iter()
                        .map(local::date)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                portico_domain::requests::RequestKind::QuoteChange => {
                    "asks for a change to the quote".to_owned()
                }
            },
        })
        .collect();
    // Online payments the provider reported differently than asked, or paid twice (two weeks).
    let flagged =
        portico_domain::payments::flagged_since(&db, here.now - chrono::Duration::days(14)).await?;
    let flagged_names = customers::find_many(
        &db,
        &flagged
            .iter()
            .map(|(_, i)| i.customer_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    to_do.extend(flagged.iter().map(|(attempt, invoice)| DashboardItem {
        href: invoice.job_id.map_or_else(
            || format!("/staff/customers/{}", invoice.customer_id),
            |job| format!("/staff/jobs/{job}#invoices-title"),
        ),
        title: format!(
            "{} · {}",
            flagged_names
                .iter()
                .find(|c| c.id == invoice.customer_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            invoice.number.clone().unwrap_or_default()
        ),
        detail: format!(
            "check the online payment {}: {}",
            attempt.provider_id.clone().unwrap_or_default(),
            attempt.problem.clone().unwrap_or_default()
        ),
    }));
    // Files customers sent in the last two weeks, one line per move.
    let sent =
        portico_domain::documents::from_customers_since(&db, here.now - chrono::Duration::days(14))
            .await?;
    let mut per_job: Vec<(i32, usize)> = Vec::new();
    for doc in &sent {
        if let Some(job_id) = doc.job_id {
            match per_job.iter_mut().find(|(j, _)| *j == job_id) {
                Some((_, n)) => *n += 1,
                None => per_job.push((job_id, 1)),
            }
        }
    }
    let sent_about =
        jobs::find_many(&db, &per_job.iter().map(|(j, _)| *j).collect::<Vec<_>>()).await?;
    to_do.extend(per_job.into_iter().map(|(job_id, count)| {
        DashboardItem {
            href: format!("/staff/jobs/{job_id}#documents-title"),
            title: sent_about
                .iter()
                .find(|s| s.job.id == job_id)
                .map(|s| format!("{} · {}", s.customer_name, s.job.reference))
                .unwrap_or_default(),
            detail: format!("sent {count} {}", if count == 1 { "file" } else { "files" }),
        }
    }));
    to_do.extend(later);
    Ok(Dashboard {
        today_label: local::date(today),
        today: today_jobs,
        tomorrow_label: local::date(tomorrow),
        tomorrow: tomorrow_jobs,
        quotes_waiting,
        overdue,
        unread,
        to_do,
    })
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    // Everything on the dashboard can change with any news (the office hears of every job).
    let news = crate::live::use_live().changes(|_| true);
    let data = Resource::new(move || news.get(), |_| staff_dashboard());
    view! {
        <Title text="Dashboard" />
        <section class="dashboard" aria-labelledby="dashboard-title">
            <h1 id="dashboard-title">"Dashboard"</h1>
            <p class="toolbar">
                <A href="/staff/customers" attr:class="button button--secondary">"Customers"</A>
                <A href="/crew" attr:class="button button--secondary">"Today's crew view"</A>
            </p>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! {
                            <div class="dashboard__grid">
                                <DayPanel id="today" title=format!("Today · {}", d.today_label) jobs=d.today />
                                <DayPanel id="tomorrow" title=format!("Tomorrow · {}", d.tomorrow_label) jobs=d.tomorrow />
                                <ItemPanel id="quotes-waiting" title="Quotes awaiting the customer" empty="No quotes waiting." items=d.quotes_waiting />
                                <ItemPanel id="overdue" title="Overdue invoices" empty="Nothing overdue." items=d.overdue />
                                <ItemPanel id="unread" title="Unread messages" empty="No unread messages." items=d.unread />
                                <ItemPanel id="to-do" title="To do" empty="Nothing waiting on the office." items=d.to_do />
                            </div>
                        }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn DayPanel(id: &'static str, title: String, jobs: Vec<DashboardJob>) -> impl IntoView {
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <section class="card panel" aria-labelledby=labelled_by>
            <h2 id=heading>{title} " " <span class="count">{jobs.len()}</span></h2>
            {jobs.is_empty().then(|| view! { <p class="empty">"No moves."</p> })}
            <ul class="item-list">
                {jobs.into_iter().map(|job| view! {
                    <li class="item">
                        <div>
                            <p class="item__title"><A href=format!("/staff/jobs/{}", job.id)>{job.slot} " · " {job.customer_name}</A></p>
                            <p class="item__meta">{job.reference} " · " <StatusBadge state=job.state />
                                {(!job.crew.is_empty()).then(|| view! { " · " {job.crew} })}</p>
                        </div>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn ItemPanel(
    id: &'static str,
    title: &'static str,
    empty: &'static str,
    items: Vec<DashboardItem>,
) -> impl IntoView {
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <section class="card panel" aria-labelledby=labelled_by>
            <h2 id=heading>{title} " " <span class="count">{items.len()}</span></h2>
            {items.is_empty().then(|| view! { <p class="empty">{empty}</p> })}
            <ul class="item-list">
                {items.into_iter().map(|item| view! {
                    <li class="item">
                        <div>
                            <p class="item__title"><A href=item.href>{item.title}</A></p>
                            <p class="item__meta">{item.detail}</p>
                        </div>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}
