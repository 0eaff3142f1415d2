//! The staff job page: status buttons, details, schedule, quotes, invoices, timeline and the
//! message thread. Office and admin see all of it; assigned crew see the day's part.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use super::{ChangeJobStatus, ScheduleJob, StaffJobView, StatusStep, UpdateJob};
use crate::{
    documents::{DocumentList, DocumentSection},
    invoices::{
        CreditInvoice, InvoiceByHand, InvoiceFromQuote, InvoiceView, IssueInvoice, RecordPayment,
    },
    messages::{MessageThread, Thread},
    quotes::editor::QuoteSection,
    requests::RequestsSection,
    staff::{action_error, loading, FieldError, FormError, StatusBadge},
};

/// Bumped by every change on the page, so the job is read again.
#[derive(Clone, Copy)]
pub struct Changed(pub RwSignal<usize>);

#[component]
pub fn StaffJobPage() -> impl IntoView {
    let params = use_params_map();
    let job_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i32>().ok())
            .unwrap_or_default()
    };
    let changed = Changed(RwSignal::new(0));
    provide_context(changed);
    // Live news about this job fetches again what it changed: the job, or its thread.
    let live = crate::live::use_live();
    let news = live.changes(crate::live::about_job(job_id));
    // New messages only: their own read mark would take the "new" marks off as they are read.
    let messages = live.changes(move |n| {
        n.job_id == Some(job_id()) && n.kind == crate::live::NewsKind::MessagePosted
    });
    let steady = crate::live::Steady::new(move || (job_id(), changed.0.get(), news.get()));
    let job = Resource::new(
        move || steady.key(),
        move |(id, _, _)| steady.fetch(super::staff_job(id)),
    );
    // Loaded beside the job, not after it (and once, not again for a render the server throws
    // away): the sections read them inside their own `Suspense`.
    let documents = DocumentList::new(job_id, move || changed.0.get() + news.get() as usize);
    let thread = Thread::new(job_id, move || changed.0.get() + messages.get() as usize);

    view! {
        <Title text="Job" />
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match job.await {
                    Ok(job) => view! { <JobView job documents thread /> }.into_any(),
                    Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// Re-reads the job after each successful change of `action`.
fn refresh_after<I, O>(action: ServerAction<I>)
where
    I: leptos::server_fn::ServerFn<Output = O, Error = crate::PorticoError>
        + Clone
        + Send
        + Sync
        + 'static,
    O: Clone + Send + Sync + 'static,
{
    let changed = expect_context::<Changed>();
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            changed.0.update(|n| *n += 1);
        }
    });
}

#[component]
fn JobView(job: StaffJobView, documents: DocumentList, thread: Thread) -> impl IntoView {
    let title = format!("{} · {}", job.reference, job.customer_name);
    let customer_href = format!("/staff/customers/{}", job.customer_id);
    let customer_name = job.customer_name.clone();
    let reference = job.reference.clone();
    let changed = expect_context::<Changed>().0;
    view! {
        <Title text=title.clone() />
        <section class="job-page" aria-labelledby="job-title">
            <header class="page-header">
                <p class="page-header__eyebrow"><A href=customer_href>{customer_name}</A></p>
                <h1 id="job-title">{reference}</h1>
                <p>
                    <StatusBadge state=job.state />
                    {job.confirmed_date.clone().map(|d| view! { " · " {d} " · " {job.slot_start.clone()} "–" {job.slot_end.clone()} })}
                    {job.eta.clone().map(|eta| view! { <strong class="eta">" · ETA " {eta}</strong> })}
                </p>
            </header>
            <div class="job-page__grid">
                <div class="job-page__main">
                    <StatusButtons job_id=job.id steps=job.next_steps.clone() may_update_eta=job.may_update_eta />
                    {job.can_manage.then(|| view! {
                        <RequestsSection requests=job.requests.clone() changed=changed />
                    })}
                    <AddressCard job=job.clone() />
                    {job.can_manage.then(|| view! { <DetailsForm job=job.clone() /> })}
                    {job.may_schedule.then(|| view! { <ScheduleForm job=job.clone() /> })}
                    {job.can_manage.then(|| view! { <QuoteSection job_id=job.id quotable=job.may_quote quotes=job.quotes.clone() /> })}
                    {job.can_bill.then(|| view! { <InvoiceSection job=job.clone() /> })}
                    <DocumentSection job_id=job.id can_manage=job.can_manage documents />
                </div>
                <aside class="job-page__side">
                    <Timeline job=job.clone() />
                    <MessageThread job_id=job.id thread />
                </aside>
            </div>
        </section>
    }
    .into_any()
}

/// The buttons for the next legal steps only; "on our way" asks for the ETA, cancelling asks
/// for confirmation.
#[component]
pub fn StatusButtons(
    job_id: i32,
    steps: Vec<StatusStep>,
    /// On its way: offer a new arrival time (a flag the server computed).
    #[prop(default = false)]
    may_update_eta: bool,
) -> impl IntoView {
    let action = ServerAction::<ChangeJobStatus>::new();
    refresh_after(action);
    let error = action_error(action);
    let new_eta = ServerAction::<super::UpdateEta>::new();
    refresh_after(new_eta);
    let eta_error = action_error(new_eta);
    if steps.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card status-buttons" aria-label="Next step">
            {may_update_eta.then(|| view! {
                <ActionForm action=new_eta attr:class="form form--inline">
                    <input type="hidden" name="job_id" value=job_id />
                    <div class="field">
                        <label for=format!("new-eta-{job_id}")>"New arrival time"</label>
                        <input id=format!("new-eta-{job_id}") name="eta" type="time" required />
                        <FieldError error=eta_error field="eta" />
                    </div>
                    <button type="submit" class="button button--secondary" disabled=move || new_eta.pending().get()>
                        {move || if new_eta.pending().get() { "Updating…" } else { "Update arrival time" }}
                    </button>
                    <FormError error=eta_error />
                </ActionForm>
            })}
            {steps.into_iter().map(|step| {
                if step.needs_eta {
                    view! {
                        <ActionForm action attr:class="form form--inline">
                            <input type="hidden" name="job_id" value=job_id />
                            <input type="hidden" name="status" value=step.to.as_str() />
                            <div class="field">
                                <label for=format!("eta-{job_id}")>"Expected arrival"</label>
                                <input id=format!("eta-{job_id}") name="eta" type="time" required aria-describedby="eta-error" />
                                <FieldError error field="eta" />
                            </div>
                            <button type="submit" class="button button--big">{step.label}</button>
                        </ActionForm>
                    }.into_any()
                } else if step.destructive {
                    view! {
                        <details class="disclosure">
                            <summary class="button button--secondary">{step.label.clone()} "…"</summary>
                            <ActionForm action attr:class="form">
                                <input type="hidden" name="job_id" value=job_id />
                                <input type="hidden" name="status" value=step.to.as_str() />
                                <div class="field">
                                    <label for=format!("cancel-note-{job_id}")>"Reason (shown on the timeline)"</label>
                                    <input id=format!("cancel-note-{job_id}") name="note" type="text" maxlength="1000" />
                                </div>
                                <button type="submit" class="button button--danger">"Yes, " {step.label.to_lowercase()}</button>
                            </ActionForm>
                        </details>
                    }.into_any()
                } else {
                    view! {
                        <ActionForm action attr:class="form form--inline">
                            <input type="hidden" name="job_id" value=job_id />
                            <input type="hidden" name="status" value=step.to.as_str() />
                            <button type="submit" class="button button--big">{step.label}</button>
                        </ActionForm>
                    }.into_any()
                }
            }).collect_view()}
            <FormError error />
        </section>
    }
    .into_any()
}

/// An OpenStreetMap search for an address (opens the phone's map from there).
pub(crate) fn map_link(address: &str) -> String {
    let query: String = address
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("https://www.openstreetmap.org/search?query={query}")
}

#[component]
pub fn AddressCard(job: StaffJobView) -> impl IntoView {
    let d = job.details;
    view! {
        <section class="card addresses" aria-label="Addresses">
            <div>
                <h2>"From"</h2>
                <p><a href=map_link(&d.origin_address) target="_blank" rel="noopener noreferrer">{d.origin_address.clone()}</a></p>
                {(!d.origin_notes.is_empty()).then(|| view! { <p class="muted">{d.origin_notes.clone()}</p> })}
            </div>
            <div>
                <h2>"To"</h2>
                <p><a href=map_link(&d.destination_address) target="_blank" rel="noopener noreferrer">{d.destination_address.clone()}</a></p>
                {(!d.destination_notes.is_empty()).then(|| view! { <p class="muted">{d.destination_notes.clone()}</p> })}
            </div>
            <p class="muted">
                "Requested for " {job.requested_date.clone()}
                {(!d.volume_m3.is_empty()).then(|| view! { " · about " {d.volume_m3.clone()} " m³" })}
            </p>
            {(!d.notes.is_empty()).then(|| view! { <p>{d.notes.clone()}</p> })}
            {(!job.crew.is_empty()).then(|| view! {
                <p>"Crew: " {job.crew.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", ")}</p>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn DetailsForm(job: StaffJobView) -> impl IntoView {
    let action = ServerAction::<UpdateJob>::new();
    refresh_after(action);
    let error = action_error(action);
    let saved = move || matches!(action.value().get(), Some(Ok(())));
    let d = job.details;
    view! {
        <details class="card">
            <summary><h2 class="summary-title">"Edit details"</h2></summary>
            <ActionForm action attr:class="form">
                <input type="hidden" name="job_id" value=job.id />
                <JobDetailsFields details=d error />
                <FormError error />
                {move || saved().then(|| view! { <p class="notice" role="status">"Saved."</p> })}
                <button type="submit" class="button" disabled=move || action.pending().get()>"Save details"</button>
            </ActionForm>
        </details>
    }
    .into_any()
}

/// The job's detail fields, named `details[…]` for the server function.
#[component]
pub fn JobDetailsFields(
    details: super::JobDetailsForm,
    #[prop(into)] error: Signal<Option<crate::PorticoError>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for="origin_address">"Pick-up address"</label>
            <input id="origin_address" name="details[origin_address]" type="text" required value=details.origin_address aria-describedby="origin_address-error" />
            <FieldError error field="origin_address" />
        </div>
        <div class="field">
            <label for="origin_notes">"At pick-up (floor, lift, parking)"</label>
            <input id="origin_notes" name="details[origin_notes]" type="text" value=details.origin_notes />
            <FieldError error field="origin_notes" />
        </div>
        <div class="field">
            <label for="destination_address">"Delivery address"</label>
            <input id="destination_address" name="details[destination_address]" type="text" required value=details.destination_address aria-describedby="destination_address-error" />
            <FieldError error field="destination_address" />
        </div>
        <div class="field">
            <label for="destination_notes">"At delivery (floor, lift, parking)"</label>
            <input id="destination_notes" name="details[destination_notes]" type="text" value=details.destination_notes />
            <FieldError error field="destination_notes" />
        </div>
        <div class="field-row">
            <div class="field">
                <label for="requested_date">"Requested date"</label>
                <input id="requested_date" name="details[requested_date]" type="date" required value=details.requested_date aria-describedby="requested_date-error" />
                <FieldError error field="requested_date" />
            </div>
            <div class="field">
                <label for="volume_m3">"Volume (m³)"</label>
                <input id="volume_m3" name="details[volume_m3]" type="number" min="1" max="1000" inputmode="numeric" value=details.volume_m3 aria-describedby="volume_m3-error" />
                <FieldError error field="volume_m3" />
            </div>
        </div>
        <div class="field">
            <label for="notes">"Notes"</label>
            <textarea id="notes" name="details[notes]" rows="3">{details.notes}</textarea>
            <FieldError error field="notes" />
        </div>
    }
    .into_any()
}

#[component]
fn ScheduleForm(job: StaffJobView) -> impl IntoView {
    let action = ServerAction::<ScheduleJob>::new();
    refresh_after(action);
    let error = action_error(action);
    let assigned: Vec<i32> = job.crew.iter().map(|p| p.id).collect();
    view! {
        <section class="card" aria-labelledby="schedule-title">
            <h2 id="schedule-title">"Schedule"</h2>
            <ActionForm action attr:class="form">
                <input type="hidden" name="job_id" value=job.id />
                <div class="field-row">
                    <div class="field">
                        <label for="schedule-date">"Moving day"</label>
                        <input id="schedule-date" name="date" type="date" required value=job.confirmed_date_iso.clone() aria-describedby="date-error" />
                        <FieldError error field="date" />
                    </div>
                    <div class="field">
                        <label for="slot-start">"Arrive from"</label>
                        <input id="slot-start" name="slot_start" type="time" required value=job.slot_start.clone() aria-describedby="slot_start-error" />
                        <FieldError error field="slot_start" />
                    </div>
                    <div class="field">
                        <label for="slot-end">"until"</label>
                        <input id="slot-end" name="slot_end" type="time" required value=job.slot_end.clone() aria-describedby="slot_end-error" />
                        <FieldError error field="slot_end" />
                    </div>
                </div>
                <fieldset class="field">
                    <legend>"Crew"</legend>
                    {job.crew_options.iter().enumerate().map(|(index, person)| view! {
                        <label class="check">
                            <input type="checkbox" name=format!("crew[{index}]") value=person.id checked=assigned.contains(&person.id) />
                            " " {person.name.clone()}
                        </label>
                    }).collect_view()}
                    <FieldError error field="crew" />
                </fieldset>
                <FormError error />
                <button type="submit" class="button" disabled=move || action.pending().get()>"Save schedule"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn InvoiceSection(job: StaffJobView) -> impl IntoView {
    let from_quote = ServerAction::<InvoiceFromQuote>::new();
    refresh_after(from_quote);
    let error = action_error(from_quote);
    view! {
        <section class="card" aria-labelledby="invoices-title">
            <h2 id="invoices-title">"Invoices"</h2>
            {job.invoices.is_empty().then(|| view! { <p class="empty">"No invoices for this job yet."</p> })}
            <ul class="item-list">
                {job.invoices.iter().cloned().map(|invoice| view! { <InvoiceItem invoice /> }).collect_view()}
            </ul>
            {job.invoice_from_quote.map(|quote_id| view! {
                <ActionForm action=from_quote>
                    <input type="hidden" name="quote_id" value=quote_id />
                    <button type="submit" class="button">"Create invoice from the accepted quote"</button>
                </ActionForm>
            })}
            <FormError error />
            <ByHandInvoice job_id=job.id />
        </section>
    }
    .into_any()
}

/// Extra work invoiced by hand: up to three lines; blank rows are skipped.
#[component]
fn ByHandInvoice(job_id: i32) -> impl IntoView {
    let action = ServerAction::<InvoiceByHand>::new();
    refresh_after(action);
    let error = action_error(action);
    view! {
        <details class="disclosure">
            <summary class="button button--secondary">"Invoice extra work by hand…"</summary>
            <ActionForm action attr:class="form">
                <input type="hidden" name="job_id" value=job_id />
                {(0..3).map(|row| view! {
                    <fieldset class="editor-line">
                        <legend class="visually-hidden">{format!("Line {}", row + 1)}</legend>
                        <div class="field editor-line__description">
                            <label for=format!("extra-{row}-description")>"Description"</label>
                            <input id=format!("extra-{row}-description") name=format!("lines[{row}][description]") type="text" />
                        </div>
                        <div class="field">
                            <label for=format!("extra-{row}-quantity")>"Quantity"</label>
                            <input id=format!("extra-{row}-quantity") name=format!("lines[{row}][quantity]") type="text" inputmode="decimal" value="1" />
                        </div>
                        <div class="field">
                            <label for=format!("extra-{row}-unit")>"Unit"</label>
                            <input id=format!("extra-{row}-unit") name=format!("lines[{row}][unit]") type="text" value="hour" />
                        </div>
                        <div class="field">
                            <label for=format!("extra-{row}-price")>"Unit price (€)"</label>
                            <input id=format!("extra-{row}-price") name=format!("lines[{row}][unit_price]") type="text" inputmode="decimal" />
                        </div>
                        <div class="field">
                            <label for=format!("extra-{row}-vat")>"VAT"</label>
                            <select id=format!("extra-{row}-vat") name=format!("lines[{row}][vat_rate]")>
                                <option value="21">"21 %"</option>
                                <option value="9">"9 %"</option>
                                <option value="0">"0 %"</option>
                            </select>
                        </div>
                    </fieldset>
                }).collect_view()}
                <FieldError error field="lines" />
                <FieldError error field="description" />
                <FieldError error field="quantity" />
                <FieldError error field="unit_price" />
                <FormError error />
                <button type="submit" class="button">"Create draft invoice"</button>
            </ActionForm>
        </details>
    }
    .into_any()
}

#[component]
fn InvoiceItem(invoice: InvoiceView) -> impl IntoView {
    let issue = ServerAction::<IssueInvoice>::new();
    let pay = ServerAction::<RecordPayment>::new();
    let credit = ServerAction::<CreditInvoice>::new();
    refresh_after(issue);
    refresh_after(pay);
    refresh_after(credit);
    let issue_error = action_error(issue);
    let pay_error = action_error(pay);
    let credit_error = action_error(credit);
    let open = invoice.may_record_payment;
    let may_credit = invoice.may_credit;
    let amount = invoice.outstanding_input.clone();
    let id = invoice.id;
    view! {
        <li class="item item--stacked">
            <div>
                <p class="item__title">
                    {if invoice.credit_note { "Credit note " } else { "Invoice " }} {invoice.number.clone()} " · " {invoice.total.clone()}
                    " " <StatusBadge state=invoice.state />
                </p>
                <p class="item__meta">
                    {invoice.issue_date.clone().map(|d| view! { "Issued " {d} })}
                    {invoice.due_date.clone().map(|d| view! { " · due " {d} })}
                    {open.then(|| view! { " · open " {invoice.outstanding.clone()} })}
                </p>
                <crate::payments::Attempts attempts=invoice.attempts.clone() />
            </div>
            {invoice.pdf_url.clone().map(|url| view! {
                <a class="button button--secondary" href=url download>"Download PDF"</a>
            })}
            {invoice.may_issue.then(|| view! {
                <ActionForm action=issue>
                    <input type="hidden" name="invoice_id" value=id />
                    <button type="submit" class="button">"Issue invoice"</button>
                </ActionForm>
                <FormError error=issue_error />
            })}
            {open.then(|| view! {
                <ActionForm action=pay attr:class="form form--inline">
                    <input type="hidden" name="invoice_id" value=id />
                    <div class="field">
                        <label for=format!("amount-{id}")>"Amount received (€)"</label>
                        <input id=format!("amount-{id}") name="amount" type="text" inputmode="decimal" required value=amount.clone() aria-describedby="amount-error" />
                        <FieldError error=pay_error field="amount" />
                    </div>
                    <div class="field">
                        <label for=format!("method-{id}")>"How"</label>
                        <select id=format!("method-{id}") name="method">
                            <option value="bank_transfer">"Bank transfer"</option>
                            <option value="ideal">"iDEAL"</option>
                            <option value="card">"Card"</option>
                            <option value="cash">"Cash"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for=format!("reference-{id}")>"Reference"</label>
                        <input id=format!("reference-{id}") name="reference" type="text" maxlength="200" />
                    </div>
                    <button type="submit" class="button">"Record payment"</button>
                </ActionForm>
                <FormError error=pay_error />
                {may_credit.then(|| view! {
                    <details class="disclosure">
                        <summary class="button button--secondary">"Credit this invoice…"</summary>
                        <ActionForm action=credit>
                            <input type="hidden" name="invoice_id" value=id />
                            <p>"A credit note with the next number cancels this invoice. This cannot be undone."</p>
                            <button type="submit" class="button button--danger">"Yes, issue a credit note"</button>
                        </ActionForm>
                    </details>
                })}
                <FormError error=credit_error />
            })}
        </li>
    }
    .into_any()
}

#[component]
fn Timeline(job: StaffJobView) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Timeline"</h2>
            <ol class="timeline">
                {job.timeline.into_iter().map(|item| view! {
                    <li class="timeline__item">
                        <p class="timeline__head">
                            <StatusBadge state=item.to />
                            " " <time>{item.at}</time>
                        </p>
                        <p>{item.note}{item.eta.map(|eta| view! { " ETA " {eta} "." })}</p>
                        {item.by.map(|by| view! { <p class="muted">"by " {by}</p> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
    .into_any()
}
