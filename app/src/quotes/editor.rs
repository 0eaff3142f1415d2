//! The quote section of the staff job page: every version with its lines and VAT, the editor
//! for the draft (add and remove lines; the totals come from the server as you type), sending,
//! and recording an answer the customer gave by phone.

use leptos::prelude::*;

use super::{
    LineForm, PreviewQuote, QuotePreview, QuoteView, RecordQuoteAnswer, SaveQuote, SendQuote,
    TotalsView,
};
use crate::{
    jobs::page::Changed,
    staff::{action_error, FieldError, FormError, StatusBadge},
};

#[component]
pub fn QuoteSection(job_id: i32, quotable: bool, quotes: Vec<QuoteView>) -> impl IntoView {
    let draft = quotes.iter().find(|q| q.may_edit).cloned();
    // A new version starts from the newest one's lines.
    let start_lines = draft
        .as_ref()
        .or(quotes.first())
        .map(|q| q.line_forms.clone())
        .filter(|lines| !lines.is_empty())
        .unwrap_or_else(|| vec![LineForm::default()]);
    let start_valid = draft
        .as_ref()
        .map(|q| q.valid_until_iso.clone())
        .unwrap_or_default();
    let (editing, set_editing) = signal(draft.is_some());
    let has_quotes = !quotes.is_empty();
    view! {
        <section class="card" aria-labelledby="quotes-title">
            <h2 id="quotes-title">"Quote"</h2>
            {(!has_quotes && !quotable).then(|| view! { <p class="empty">"No quote was made for this job."</p> })}
            {quotes.into_iter().map(|quote| view! { <QuoteVersion quote /> }).collect_view()}
            {quotable.then(|| view! {
                <Show
                    when=move || editing.get()
                    fallback=move || view! {
                        <button type="button" class="button" on:click=move |_| set_editing.set(true)>
                            {if has_quotes { "Make a new version" } else { "Write a quote" }}
                        </button>
                    }
                >
                    <QuoteEditor job_id lines=start_lines.clone() valid_until=start_valid.clone() />
                </Show>
            })}
        </section>
    }
    .into_any()
}

#[component]
pub(crate) fn Totals(totals: TotalsView) -> impl IntoView {
    view! {
        <dl class="totals">
            <dt>"Net"</dt><dd>{totals.net}</dd>
            {totals.vat.into_iter().map(|v| view! {
                <dt>"VAT " {v.rate} " % over " {v.net}</dt><dd>{v.vat}</dd>
            }).collect_view()}
            <dt class="totals__total">"Total"</dt><dd class="totals__total">{totals.total}</dd>
        </dl>
    }
    .into_any()
}

#[component]
fn QuoteVersion(quote: QuoteView) -> impl IntoView {
    let changed = expect_context::<Changed>();
    let send = ServerAction::<SendQuote>::new();
    let answer = ServerAction::<RecordQuoteAnswer>::new();
    for_each_success(send, changed);
    for_each_success(answer, changed);
    let send_error = action_error(send);
    let answer_error = action_error(answer);
    let id = quote.id;
    view! {
        <article class="quote" aria-label=format!("Quote version {}", quote.version)>
            <p class="quote__head">
                <strong>"Version " {quote.version}</strong> " "
                <StatusBadge state=quote.state />
                " · valid until " {quote.valid_until.clone()}
                {quote.sent_at.clone().map(|at| view! { " · sent " {at} })}
            </p>
            {quote.decision.clone().map(|d| view! { <p class="muted">{d}</p> })}
            <div class="table-scroll">
                <table class="lines">
                    <thead><tr><th scope="col">"Description"</th><th scope="col">"Qty"</th><th scope="col">"Price"</th><th scope="col">"VAT"</th><th scope="col">"Amount"</th></tr></thead>
                    <tbody>
                        {quote.lines.iter().map(|l| view! {
                            <tr>
                                <td>{l.description.clone()}</td>
                                <td>{l.quantity.clone()} " " {l.unit.clone()}</td>
                                <td class="num" data-label="Price">{l.unit_price.clone()}</td>
                                <td class="num" data-label="VAT">{l.vat_rate} " %"</td>
                                <td class="num" data-label="Amount">{l.net.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Totals totals=quote.totals.clone() />
            <a class="button button--secondary" href=format!("/files/quotes/{id}.pdf") download>"Download PDF"</a>
            {quote.may_edit.then(|| view! {
                <ActionForm action=send attr:class="form form--inline">
                    <input type="hidden" name="quote_id" value=id />
                    <button type="submit" class="button">"Send to the customer"</button>
                </ActionForm>
                <FormError error=send_error />
                <FieldError error=send_error field="valid_until" />
            })}
            {quote.may_record_answer.then(|| view! {
                <details class="disclosure">
                    <summary class="button button--secondary">"Record the customer's answer…"</summary>
                    <ActionForm action=answer attr:class="form">
                        <input type="hidden" name="quote_id" value=id />
                        <fieldset class="field">
                            <legend>"The customer"</legend>
                            <label class="check"><input type="radio" name="answer" value="accepted" checked=true />" accepted (by phone or e-mail)"</label>
                            <label class="check"><input type="radio" name="answer" value="declined" />" declined"</label>
                        </fieldset>
                        <div class="field">
                            <label for=format!("answer-name-{id}")>"Name the customer gave"</label>
                            <input id=format!("answer-name-{id}") name="name" type="text" autocomplete="off" />
                            <FieldError error=answer_error field="signed_name" />
                        </div>
                        <div class="field">
                            <label for=format!("answer-reason-{id}")>"Reason (when declined)"</label>
                            <input id=format!("answer-reason-{id}") name="reason" type="text" />
                        </div>
                        <FormError error=answer_error />
                        <button type="submit" class="button">"Record answer"</button>
                    </ActionForm>
                </details>
            })}
        </article>
    }
    .into_any()
}

fn for_each_success<I, O>(action: ServerAction<I>, changed: Changed)
where
    I: leptos::server_fn::ServerFn<Output = O, Error = crate::PorticoError>
        + Clone
        + Send
        + Sync
        + 'static,
    O: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            changed.0.update(|n| *n += 1);
        }
    });
}

/// The draft being written: lines keyed so that removing one keeps the others' inputs.
#[component]
fn QuoteEditor(job_id: i32, lines: Vec<LineForm>, valid_until: String) -> impl IntoView {
    let changed = expect_context::<Changed>();
    let next_key = StoredValue::new(lines.len());
    let lines = RwSignal::new(
        lines
            .into_iter()
            .enumerate()
            .collect::<Vec<(usize, LineForm)>>(),
    );
    let (valid_until, set_valid_until) = signal(valid_until);
    let save = ServerAction::<SaveQuote>::new();
    let preview = ServerAction::<PreviewQuote>::new();
    for_each_success(save, changed);
    let error = action_error(save);
    let current = move || {
        lines
            .get()
            .into_iter()
            .map(|(_, line)| line)
            .collect::<Vec<_>>()
    };
    // Ask the server for the totals whenever a line changes.
    Effect::new(move |_| {
        preview.dispatch(PreviewQuote { lines: current() });
    });
    let set_field = move |key: usize, apply: Box<dyn Fn(&mut LineForm) + Send + Sync>| {
        lines.update(|all| {
            if let Some((_, line)) = all.iter_mut().find(|(k, _)| *k == key) {
                apply(line);
            }
        });
    };

    view! {
        <form class="form quote-editor" on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(SaveQuote { job_id, valid_until: valid_until.get_untracked(), lines: current() });
        }>
            <h3>"Draft"</h3>
            <div class="field">
                <label for="valid-until">"Valid until"</label>
                <input id="valid-until" type="date" required prop:value=valid_until
                    on:input=move |ev| set_valid_until.set(event_target_value(&ev)) aria-describedby="valid_until-error" />
                <FieldError error field="valid_until" />
            </div>
            <ol class="editor-lines">
                <For each=move || lines.get() key=|(key, _)| *key let:entry>
                    {
                        let (key, line) = entry;
                        let remove = move |_| lines.update(|all| all.retain(|(k, _)| *k != key));
                        view! {
                            <li class="editor-line">
                                <div class="field editor-line__description">
                                    <label for=format!("line-{key}-description")>"Description"</label>
                                    <input id=format!("line-{key}-description") type="text" required value=line.description.clone()
                                        on:input=move |ev| { let v = event_target_value(&ev); set_field(key, Box::new(move |l| l.description = v.clone())) } />
                                </div>
                                <div class="field">
                                    <label for=format!("line-{key}-quantity")>"Quantity"</label>
                                    <input id=format!("line-{key}-quantity") type="text" inputmode="decimal" required value=line.quantity.clone()
                                        on:input=move |ev| { let v = event_target_value(&ev); set_field(key, Box::new(move |l| l.quantity = v.clone())) } />
                                </div>
                                <div class="field">
                                    <label for=format!("line-{key}-unit")>"Unit"</label>
                                    <input id=format!("line-{key}-unit") type="text" value=line.unit.clone()
                                        on:input=move |ev| { let v = event_target_value(&ev); set_field(key, Box::new(move |l| l.unit = v.clone())) } />
                                </div>
                                <div class="field">
                                    <label for=format!("line-{key}-price")>"Unit price (€)"</label>
                                    <input id=format!("line-{key}-price") type="text" inputmode="decimal" required value=line.unit_price.clone()
                                        on:input=move |ev| { let v = event_target_value(&ev); set_field(key, Box::new(move |l| l.unit_price = v.clone())) } />
                                </div>
                                <div class="field">
                                    <label for=format!("line-{key}-vat")>"VAT"</label>
                                    <select id=format!("line-{key}-vat")
                                        on:change=move |ev| { let v = event_target_value(&ev).parse().unwrap_or(21); set_field(key, Box::new(move |l| l.vat_rate = v)) }>
                                        <option value="21" selected=line.vat_rate == 21>"21 %"</option>
                                        <option value="9" selected=line.vat_rate == 9>"9 %"</option>
                                        <option value="0" selected=line.vat_rate == 0>"0 %"</option>
                                    </select>
                                </div>
                                <button type="button" class="button button--secondary editor-line__remove" on:click=remove
                                    aria-label=format!("Remove line {}", key + 1)>"Remove"</button>
                            </li>
                        }
                    }
                </For>
            </ol>
            <button type="button" class="button button--secondary" on:click=move |_| {
                let key = next_key.get_value();
                next_key.set_value(key + 1);
                lines.update(|all| all.push((key, LineForm::default())));
            }>"Add a line"</button>
            <div class="quote-editor__totals" aria-live="polite">
                {move || match preview.value().get() {
                    Some(Ok(QuotePreview { totals: Some(totals), .. })) => view! { <Totals totals /> }.into_any(),
                    Some(Ok(QuotePreview { problem: Some(problem), .. })) => view! {
                        <p class="muted">"Totals appear when every line is complete. " {problem}</p>
                    }.into_any(),
                    Some(Err(error)) => view! { <p class="muted">{error.to_string()}</p> }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
            <FieldError error field="description" />
            <FieldError error field="quantity" />
            <FieldError error field="unit_price" />
            <FieldError error field="vat_rate" />
            <FieldError error field="lines" />
            <FormError error />
            {move || matches!(save.value().get(), Some(Ok(()))).then(|| view! { <p class="notice" role="status">"Draft saved."</p> })}
            <button type="submit" class="button" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save draft" }}
            </button>
        </form>
    }
    .into_any()
}
