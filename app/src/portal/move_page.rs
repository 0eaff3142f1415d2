//! The customer's move page: where it stands in words, moving day with a calendar entry, the
//! addresses with their notes, the quote (accept or decline), invoices with payment
//! instructions, documents, the timeline and the thread with the office. Complete in the
//! server's HTML; the answers are plain forms that work before the script loads.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use super::{
    AcceptQuote, AskForQuoteChange, AskToReschedule, CustomerQuoteView, DeclineQuote, MoveView,
    PaymentInstructions,
};
use crate::{
    accounts::ErrorView,
    documents::DocumentView,
    invoices::InvoiceView,
    messages::{MessageThread, Thread},
    payments::{Attempts, PayButton},
    quotes::editor::Totals,
    requests::RequestView,
    staff::{action_error, loading, FieldError, FormError, StatusBadge},
};

#[component]
pub fn MovePage() -> impl IntoView {
    let params = use_params_map();
    let job_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i32>().ok())
            .unwrap_or_default()
    };
    let changed = RwSignal::new(0usize);
    // Files sent from this page, kept here so that "Sent" stays on screen when the move
    // reloads to list them.
    let files_sent = RwSignal::new(0usize);
    // Live news about this move fetches again what it changed: the move, or its thread.
    let live = crate::live::use_live();
    let news = live.changes(crate::live::about_job(job_id));
    // New messages only: their own read mark would take the "new" marks off as they are read.
    let messages = live.changes(move |n| {
        n.job_id == Some(job_id()) && n.kind == crate::live::NewsKind::MessagePosted
    });
    let steady = crate::live::Steady::new(move || (job_id(), changed.get(), news.get()));
    let the_move = Resource::new(
        move || steady.key(),
        move |(id, _, _)| steady.fetch(super::customer_move(id)),
    );
    let thread = Thread::new(job_id, move || changed.get() + messages.get() as usize);
    view! {
        <Title text="Your move" />
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match the_move.await {
                    Ok(view) => view! { <Move the_move=view thread changed files_sent /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Move(
    the_move: MoveView,
    thread: Thread,
    changed: RwSignal<usize>,
    files_sent: RwSignal<usize>,
) -> impl IntoView {
    let m = the_move;
    let id = m.id;
    view! {
        <Title text=format!("Move {}", m.reference) />
        <p class="breadcrumb"><A href="/">"Your moves"</A></p>
        <h1>"Move " {m.reference.clone()}</h1>
        <section class="card status-card" id="status" aria-labelledby="status-title">
            <h2 id="status-title" class="visually-hidden">"Where it stands"</h2>
            <p class="status-card__words"><StatusBadge state=m.state /> " " {m.words.clone()}</p>
            {m.moving_day.clone().map(|day| view! {
                <p><strong>"Moving day: "</strong>{day}</p>
            })}
            {m.calendar_url.clone().map(|url| view! {
                <a class="button button--secondary" href=url download>"Add to calendar"</a>
            })}
            {m.may_ask_reschedule.then(|| view! { <RescheduleForm job_id=id changed /> })}
        </section>
        <Requests requests=m.requests.clone() />
        <section class="card" aria-labelledby="addresses-title">
            <h2 id="addresses-title">"Addresses"</h2>
            <dl class="addresses">
                <dt>"From"</dt>
                <dd>{m.origin_address.clone()}
                    {(!m.origin_notes.is_empty()).then(|| view! { <span class="muted block">{m.origin_notes.clone()}</span> })}
                </dd>
                <dt>"To"</dt>
                <dd>{m.destination_address.clone()}
                    {(!m.destination_notes.is_empty()).then(|| view! { <span class="muted block">{m.destination_notes.clone()}</span> })}
                </dd>
            </dl>
        </section>
        <section class="card" id="quote" aria-labelledby="quote-title">
            <h2 id="quote-title">"Quote"</h2>
            {if !m.sees_money {
                view! { <p class="muted">"The quote and its prices are for the account owner and payer."</p> }.into_any()
            } else if m.quotes.is_empty() {
                view! { <p class="empty">"No quote yet: we send it here as soon as it is ready."</p> }.into_any()
            } else {
                m.quotes.clone().into_iter().map(|quote| view! { <CustomerQuote quote changed /> }).collect_view().into_any()
            }}
        </section>
        {m.sees_money.then(|| view! {
            <Invoices invoices=m.invoices.clone() payment=m.payment.clone() />
        })}
        <Documents documents=m.documents.clone() job_id=id may_upload=m.may_upload changed files_sent />
        <MessageThread job_id=id thread may_write=m.may_write />
        <section class="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"What happened"</h2>
            <ol class="timeline">
                {m.timeline.clone().into_iter().map(|t| view! {
                    <li>
                        <p class="timeline__at muted">{t.at}</p>
                        <p>{t.note}{t.eta.map(|eta| view! { " (arriving about " {eta} ")" })}</p>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn CustomerQuote(quote: CustomerQuoteView, changed: RwSignal<usize>) -> impl IntoView {
    let accept = ServerAction::<AcceptQuote>::new();
    let decline = ServerAction::<DeclineQuote>::new();
    Effect::new(move |_| {
        if matches!(accept.value().get(), Some(Ok(())))
            || matches!(decline.value().get(), Some(Ok(())))
        {
            changed.update(|n| *n += 1);
        }
    });
    let change = ServerAction::<AskForQuoteChange>::new();
    Effect::new(move |_| {
        if matches!(change.value().get(), Some(Ok(()))) {
            changed.update(|n| *n += 1);
        }
    });
    let accept_error = action_error(accept);
    let decline_error = action_error(decline);
    let change_error = action_error(change);
    let id = quote.id;
    view! {
        <article class="quote" aria-label=format!("Quote version {}", quote.version)>
            <p class="quote__head">
                <strong>"Version " {quote.version}</strong> " "
                <StatusBadge state=quote.state />
                " · valid until " {quote.valid_until.clone()}
                {quote.sent_at.clone().map(|at| view! { " · sent " {at} })}
            </p>
            <ul class="quote-lines" role="list">
                {quote.lines.iter().map(|l| view! {
                    <li class="quote-line">
                        <span class="quote-line__what">{l.description.clone()}</span>
                        <span class="quote-line__qty muted">{l.quantity.clone()} " " {l.unit.clone()} " × " {l.unit_price.clone()} " · " {l.vat_rate} " % VAT"</span>
                        <span class="quote-line__amount num">{l.net.clone()}</span>
                    </li>
                }).collect_view()}
            </ul>
            <Totals totals=quote.totals.clone() />
            <a class="button button--secondary" href=quote.pdf_url.clone() download>"Download the quote (PDF)"</a>
            {quote.accepted.clone().map(|a| view! {
                <div class="notice notice--success acceptance">
                    <p>"Accepted by " <strong>{a.signed_name}</strong> " on " {a.at} "."</p>
                    {a.sha256.map(|hash| view! {
                        <p class="hash">"Fingerprint (SHA-256) of the quote PDF you accepted: " <code>{hash}</code></p>
                    })}
                    {a.receipt_url.map(|url| view! {
                        <a class="button" href=url download>"Download the acceptance receipt"</a>
                    })}
                    <p><a href="/receipts/check">"Check a quote PDF against this acceptance"</a></p>
                </div>
            })}
            {quote.decline_reason.clone().map(|r| view! { <p class="muted">"Declined: " {r}</p> })}
            {quote.may_answer.then(|| view! {
                <ActionForm action=accept attr:class="form answer-form">
                    <h3>"Accept this quote"</h3>
                    <input type="hidden" name="quote_id" value=id />
                    <div class="field">
                        <label for=format!("signed-name-{id}")>"Your full name, as your signature"</label>
                        <input id=format!("signed-name-{id}") name="signed_name" type="text"
                            autocomplete="name" required minlength="2" maxlength="120" />
                        <FieldError error=accept_error field="signed_name" />
                    </div>
                    <label class="check">
                        <input type="checkbox" name="confirmed" value="yes" required />
                        " I accept this quote, version " {quote.version} ", for " {quote.totals.total.clone()} " including VAT."
                    </label>
                    <FieldError error=accept_error field="confirmed" />
                    <FormError error=accept_error />
                    <button type="submit" class="button" disabled=move || accept.pending().get()>
                        {move || if accept.pending().get() { "Accepting…" } else { "Accept the quote" }}
                    </button>
                </ActionForm>
                <details class="disclosure">
                    <summary class="button button--secondary">"Decline the quote…"</summary>
                    <ActionForm action=decline attr:class="form">
                        <input type="hidden" name="quote_id" value=id />
                        <div class="field">
                            <label for=format!("decline-reason-{id}")>"Why not? (optional, it helps us)"</label>
                            <textarea id=format!("decline-reason-{id}") name="reason" rows="2" maxlength="2000"></textarea>
                            <FieldError error=decline_error field="reason" />
                        </div>
                        <FormError error=decline_error />
                        <button type="submit" class="button button--danger">"Decline the quote"</button>
                    </ActionForm>
                </details>
            })}
            {quote.may_ask_change.then(|| view! {
                <details class="disclosure">
                    <summary class="button button--secondary">"Ask for a change…"</summary>
                    <ActionForm action=change attr:class="form">
                        <input type="hidden" name="quote_id" value=id />
                        <div class="field">
                            <label for=format!("change-note-{id}")>"What should we change?"</label>
                            <textarea id=format!("change-note-{id}") name="note" rows="3" maxlength="2000" required></textarea>
                            <FieldError error=change_error field="note" />
                        </div>
                        <FormError error=change_error />
                        <button type="submit" class="button">"Send the request"</button>
                    </ActionForm>
                </details>
            })}
        </article>
    }
}

#[component]
fn RescheduleForm(job_id: i32, changed: RwSignal<usize>) -> impl IntoView {
    let ask = ServerAction::<AskToReschedule>::new();
    Effect::new(move |_| {
        if matches!(ask.value().get(), Some(Ok(()))) {
            changed.update(|n| *n += 1);
        }
    });
    let error = action_error(ask);
    view! {
        <details class="disclosure">
            <summary class="button button--secondary">"Ask to reschedule…"</summary>
            <ActionForm action=ask attr:class="form">
                <input type="hidden" name="job_id" value=job_id />
                <fieldset class="field">
                    <legend>"Dates that suit you (one to three)"</legend>
                    <label for="date-1">"First choice"</label>
                    <input id="date-1" name="date_1" type="date" required />
                    <label for="date-2">"Second choice (optional)"</label>
                    <input id="date-2" name="date_2" type="date" />
                    <label for="date-3">"Third choice (optional)"</label>
                    <input id="date-3" name="date_3" type="date" />
                </fieldset>
                <FieldError error field="date_1" />
                <FieldError error field="date_2" />
                <FieldError error field="date_3" />
                <div class="field">
                    <label for="reschedule-note">"Anything we should know (optional)"</label>
                    <textarea id="reschedule-note" name="note" rows="2" maxlength="2000"></textarea>
                    <FieldError error field="note" />
                </div>
                <FormError error />
                <button type="submit" class="button" disabled=move || ask.pending().get()>
                    {move || if ask.pending().get() { "Sending…" } else { "Send the request" }}
                </button>
            </ActionForm>
        </details>
    }
}

#[component]
fn Requests(requests: Vec<RequestView>) -> impl IntoView {
    if requests.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card" id="requests" aria-labelledby="requests-title">
            <h2 id="requests-title">"Your requests"</h2>
            <ul class="item-list" role="list">
                {requests.into_iter().map(|r| view! {
                    <li class="item">
                        <div>
                            <p class="item__title">{r.what} " " <StatusBadge state=r.state /></p>
                            <p class="item__meta">"Asked " {r.asked_at}
                                {(!r.dates.is_empty()).then(|| view! {
                                    " · " {r.dates.iter().map(|d| d.label.clone()).collect::<Vec<_>>().join(", ")}
                                })}
                            </p>
                            {r.answer.map(|a| view! { <p>"Our answer: " {a}</p> })}
                        </div>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn Invoices(invoices: Vec<InvoiceView>, payment: Option<PaymentInstructions>) -> impl IntoView {
    view! {
        <section class="card" id="invoices" aria-labelledby="invoices-title">
            <h2 id="invoices-title">"Invoices"</h2>
            {if invoices.is_empty() {
                view! { <p class="empty">"No invoice yet: it follows after moving day."</p> }.into_any()
            } else {
                view! {
                    <ul class="item-list" role="list">
                        {invoices.into_iter().map(|i| {
                            let reference = i.number.clone();
                            view! {
                                <li class="item">
                                    <div>
                                        <p class="item__title">
                                            {if i.credit_note { "Credit note " } else { "Invoice " }}{i.number.clone()} " "
                                            <StatusBadge state=i.state />
                                        </p>
                                        <p class="item__meta">
                                            "Total " {i.total.clone()}
                                            {(i.outstanding_cents > 0).then(|| view! { " · still to pay " <strong>{i.outstanding.clone()}</strong> })}
                                            {i.due_date.clone().map(|d| view! { " · due " {d} })}
                                        </p>
                                        {i.payment_note.clone().map(|note| view! { <p class="item__note" role="note">{note}</p> })}
                                        {i.may_pay.then(|| view! {
                                            <PayButton invoice_id=i.id label=i.pay_label.clone() test_mode=i.test_mode />
                                        })}
                                        {(i.outstanding_cents > 0 && !i.credit_note).then(|| payment.clone().map(|p| view! {
                                            <p class="item__meta">{if i.may_pay { "Or pay by bank transfer to " } else { "Pay by bank transfer to " }} {p.beneficiary} ", IBAN " <span class="nowrap">{p.iban}</span> ", reference " <strong>{reference.clone()}</strong> "."</p>
                                        }))}
                                        <Attempts attempts=i.attempts.clone() />
                                    </div>
                                    {i.pdf_url.clone().map(|url| view! {
                                        <a class="button button--secondary" href=url download>"PDF"</a>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Photos and files for the inventory, several at once, with progress; the server checks each
/// file's type and size from its bytes and keeps none when one is refused.
#[component]
fn SendFiles(job_id: i32, changed: RwSignal<usize>, sent: RwSignal<usize>) -> impl IntoView {
    let progress = RwSignal::new(None::<u32>);
    let error = RwSignal::new(None::<String>);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let action = format!("/files/jobs/{job_id}/documents");
    Effect::new(move |previous: Option<usize>| {
        let now = sent.get();
        if previous.is_some_and(|p| p != now) {
            changed.update(|n| *n += 1);
        }
        now
    });
    #[cfg_attr(
        not(any(feature = "hydrate", feature = "csr")),
        allow(unused_variables)
    )]
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        {
            ev.prevent_default();
            if let Some(form) = form_ref.get() {
                crate::documents::browser::send(
                    &form,
                    &format!("/files/jobs/{job_id}/documents"),
                    progress,
                    error,
                    sent,
                );
            }
        }
    };
    view! {
        <form node_ref=form_ref class="form upload" method="post" enctype="multipart/form-data" action=action on:submit=on_submit>
            <h3>"Send us photos or files"</h3>
            <p class="muted">"For the inventory: a photo of the piano, the list of boxes. The office sees them at once."</p>
            <div class="field">
                <label for="send-files">"Files (photos, PDF, Word or Excel; several at once)"</label>
                <input id="send-files" name="file" type="file" multiple required
                    accept=".pdf,.jpg,.jpeg,.png,.webp,.heic,.docx,.xlsx,application/pdf,image/*"
                    aria-describedby="send-files-error" />
                {move || error.get().map(|m| view! { <p class="field__error" id="send-files-error" role="alert">{m}</p> })}
            </div>
            <div class="field">
                <label for="send-kind">"What is it?"</label>
                <select id="send-kind" name="kind">
                    <option value="photo" selected=true>"Photos"</option>
                    <option value="inventory_list">"Inventory list"</option>
                    <option value="other">"Something else"</option>
                </select>
            </div>
            {move || progress.get().map(|p| view! {
                <progress max="100" value=p aria-label="Upload progress">{p}" %"</progress>
            })}
            {move || (sent.get() > 0 && progress.get().is_none() && error.get().is_none()).then(|| view! {
                <p class="notice notice--success" role="status">"Sent: the office can see your files now."</p>
            })}
            <button type="submit" class="button" disabled=move || progress.get().is_some()>
                {move || if progress.get().is_some() { "Sending…" } else { "Send the files" }}
            </button>
        </form>
    }
}

#[component]
fn Documents(
    documents: Vec<DocumentView>,
    job_id: i32,
    may_upload: bool,
    changed: RwSignal<usize>,
    files_sent: RwSignal<usize>,
) -> impl IntoView {
    view! {
        <section class="card" id="documents" aria-labelledby="documents-title">
            <h2 id="documents-title">"Documents"</h2>
            {if documents.is_empty() {
                view! { <p class="empty">"No documents yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="item-list" role="list">
                        {documents.into_iter().map(|d| view! {
                            <li class="item">
                                <div>
                                    <p class="item__title">{d.file_name.clone()}</p>
                                    <p class="item__meta">{d.kind.clone()} " · " {d.size.clone()} " · " {d.uploaded.clone()}</p>
                                </div>
                                <a class="button button--secondary" href=d.url.clone() download>"Download"<span class="visually-hidden">" " {d.file_name.clone()}</span></a>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {may_upload.then(|| view! { <SendFiles job_id changed sent=files_sent /> })}
        </section>
    }
}
