//! Customers' requests to the office, on both sides: the customer asks for another moving day
//! or a change to a quote (on the move page), the office answers them (on the job page and the
//! dashboard). Rules and records live in `portico_domain::requests`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    staff::{action_error, FieldError, FormError, StatusBadge},
    states::RequestState,
    PorticoError,
};

/// A preferred date: as the form sends it, and in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferredDate {
    pub iso: String,
    pub label: String,
}

/// One request, as both sides read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i32,
    pub job_id: i32,
    /// "Another moving day", "A change to the quote"
    pub what: String,
    pub state: RequestState,
    pub asked_at: String,
    pub dates: Vec<PreferredDate>,
    pub note: String,
    /// The office's answer in words, once there is one.
    pub answer: Option<String>,
    /// Open, and a reschedule: the office may take one of the dates.
    pub may_take_a_date: bool,
    pub may_decline: bool,
}

#[cfg(feature = "ssr")]
pub(crate) fn view_of(
    request: &portico_domain::requests::CustomerRequest,
    here: &crate::staff::local::Local,
) -> RequestView {
    use portico_domain::requests::{RequestKind, RequestStatus};

    use crate::staff::local;

    let dates = request
        .dates()
        .into_iter()
        .map(|d| PreferredDate {
            iso: d.format("%Y-%m-%d").to_string(),
            label: local::date(d),
        })
        .collect();
    let answer = match request.status {
        RequestStatus::Open => None,
        RequestStatus::Accepted => request
            .chosen_date
            .map(|d| format!("Moved to {}.", local::date(d))),
        RequestStatus::Answered | RequestStatus::Declined => request.answer_note.clone(),
    };
    RequestView {
        id: request.id,
        job_id: request.job_id,
        what: match request.kind {
            RequestKind::Reschedule => "Another moving day".to_owned(),
            RequestKind::QuoteChange => "A change to the quote".to_owned(),
        },
        state: request.status.into(),
        asked_at: here.date_time(request.asked_at),
        dates,
        note: request.note.clone(),
        answer,
        may_take_a_date: request.is_open() && request.kind == RequestKind::Reschedule,
        may_decline: request.is_open(),
    }
}

/// The office answers a request: `accept` takes `date` (a reschedule), `decline` says why.
#[server(name = AnswerRequest, prefix = "/api", endpoint = "requests/answer")]
pub async fn answer_request(
    request_id: i32,
    answer: String,
    #[server(default)] date: String,
    #[server(default)] note: String,
) -> Result<(), PorticoError> {
    use portico_domain::{policy::Action, requests};

    use crate::{server, staff::local};

    let actor = server::authorize(Action::ManageJobs).await?;
    let db = server::db()?;
    let stamp = server::stamp(&actor)?;
    match answer.as_str() {
        "accept" => {
            let date = local::parse_date(&date, "date")?;
            let request = requests::accept_reschedule(&db, &stamp, request_id, date).await?;
            server::notify(
                &db,
                portico_domain::notices::Notice::MovingDay {
                    job_id: request.job_id,
                    changed: true,
                },
            )
            .await;
        }
        "decline" => {
            requests::decline(&db, &stamp, request_id, &note).await?;
        }
        _ => {
            return Err(PorticoError::Invalid {
                field: "answer".into(),
                message: "Choose to take a date or to decline.".into(),
            })
        }
    }
    Ok(())
}

/// The requests of a move on the staff job page, each with its answer.
#[component]
pub fn RequestsSection(requests: Vec<RequestView>, changed: RwSignal<usize>) -> impl IntoView {
    if requests.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card" id="requests" aria-labelledby="requests-title">
            <h2 id="requests-title">"Requests from the customer"</h2>
            <ul class="item-list" role="list">
                {requests.into_iter().map(|r| view! { <StaffRequest request=r changed /> }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn StaffRequest(request: RequestView, changed: RwSignal<usize>) -> impl IntoView {
    let answer = ServerAction::<AnswerRequest>::new();
    Effect::new(move |_| {
        if matches!(answer.value().get(), Some(Ok(()))) {
            changed.update(|n| *n += 1);
        }
    });
    let error = action_error(answer);
    let id = request.id;
    view! {
        <li class="item request">
            <div>
                <p class="item__title">{request.what.clone()} " " <StatusBadge state=request.state /></p>
                <p class="item__meta">"Asked " {request.asked_at.clone()}</p>
                {(!request.dates.is_empty()).then(|| view! {
                    <p class="item__meta">"Preferred: " {request.dates.iter().map(|d| d.label.clone()).collect::<Vec<_>>().join(", ")}</p>
                })}
                {(!request.note.is_empty()).then(|| view! { <p class="request__note">"“" {request.note.clone()} "”"</p> })}
                {request.answer.clone().map(|a| view! { <p class="item__meta">"Answer: " {a}</p> })}
            </div>
            {request.may_take_a_date.then(|| view! {
                <ActionForm action=answer attr:class="form">
                    <input type="hidden" name="request_id" value=id />
                    <input type="hidden" name="answer" value="accept" />
                    <fieldset class="field">
                        <legend>"Move the day to"</legend>
                        {request.dates.iter().enumerate().map(|(i, d)| view! {
                            <label class="check">
                                <input type="radio" name="date" value=d.iso.clone() checked=i == 0 />
                                " " {d.label.clone()}
                            </label>
                        }).collect_view()}
                    </fieldset>
                    <FieldError error field="date" />
                    <button type="submit" class="button">"Take this date"</button>
                </ActionForm>
            })}
            {request.may_decline.then(|| view! {
                <details class="disclosure">
                    <summary class="button button--secondary">"Decline…"</summary>
                    <ActionForm action=answer attr:class="form">
                        <input type="hidden" name="request_id" value=id />
                        <input type="hidden" name="answer" value="decline" />
                        <div class="field">
                            <label for=format!("decline-note-{id}")>"Why (the customer reads this)"</label>
                            <textarea id=format!("decline-note-{id}") name="note" rows="2" maxlength="2000" required></textarea>
                            <FieldError error field="note" />
                        </div>
                        <button type="submit" class="button button--danger">"Decline the request"</button>
                    </ActionForm>
                </details>
            })}
            <FormError error />
        </li>
    }
}
