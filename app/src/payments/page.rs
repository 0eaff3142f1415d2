//! The return page (`/payments/{attempt}`): where the customer lands back from the checkout.
//! It shows "processing" until the outcome is known, and gets there by itself: live news about
//! the payment fetches it again, and while it is open it asks every few seconds (the server
//! then asks the provider, so a late webhook does not leave the page hanging).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use super::{PayButton, PaymentOutcome};
use crate::{
    accounts::ErrorView,
    live::NewsKind,
    staff::{loading, StatusBadge},
    states::{InvoiceState, PaymentState},
};

/// How long the page keeps asking by itself; after that it says so and stops.
const ASK_EVERY_MS: u64 = 2_000;
const ASK_TIMES: u32 = 60;

#[component]
pub fn PaymentReturnPage() -> impl IntoView {
    let params = use_params_map();
    let attempt_id = move || {
        params
            .read()
            .get("attempt")
            .and_then(|id| id.parse::<i32>().ok())
            .unwrap_or_default()
    };
    let news = crate::live::use_live().changes(|n| {
        matches!(
            n.kind,
            NewsKind::PaymentUpdated | NewsKind::InvoicePaid | NewsKind::PaymentRecorded
        )
    });
    let asked = RwSignal::new(0u32);
    let outcome = Resource::new(
        move || (attempt_id(), news.get(), asked.get()),
        move |(id, _, _)| super::payment_outcome(id),
    );
    // While open, ask again in a moment (in the browser only: effects do not run on the server).
    Effect::new(move |_| {
        let open = outcome
            .get()
            .and_then(|o| o.ok())
            .is_some_and(|o| o.attempt.state.is_open());
        if open && asked.get_untracked() < ASK_TIMES {
            set_timeout(
                move || asked.update(|n| *n += 1),
                std::time::Duration::from_millis(ASK_EVERY_MS),
            );
        }
    });
    view! {
        <Title text="Your payment" />
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match outcome.await {
                    Ok(o) => view! { <Outcome outcome=o gave_up=Signal::derive(move || asked.get() >= ASK_TIMES) /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Outcome(outcome: PaymentOutcome, gave_up: Signal<bool>) -> impl IntoView {
    let o = outcome;
    let back = o
        .job_id
        .map(|id| format!("/moves/{id}#invoices"))
        .unwrap_or_else(|| "/".to_owned());
    let kind = if o.attempt.test {
        "Test payment"
    } else {
        "Payment"
    };
    let headline = match o.attempt.state {
        PaymentState::Paid => "Paid — thank you".to_owned(),
        state if state.is_open() => "Processing your payment…".to_owned(),
        PaymentState::Cancelled => "The payment was cancelled".to_owned(),
        PaymentState::Expired => "The payment expired".to_owned(),
        _ => "The payment did not go through".to_owned(),
    };
    let detail = match o.attempt.state {
        PaymentState::Paid if o.invoice_state == InvoiceState::Paid => {
            format!("Invoice {} is paid in full.", o.invoice_number)
        }
        PaymentState::Paid => format!(
            "Your payment is booked on invoice {}; {} is still open.",
            o.invoice_number, o.outstanding
        ),
        state if state.is_open() => {
            "We are waiting for the confirmation from your bank. This page updates by itself."
                .to_owned()
        }
        _ => "Nothing was charged. You can try again.".to_owned(),
    };
    let open = o.attempt.state.is_open();
    view! {
        <p class="breadcrumb"><A href=back.clone()>"Back to your move"</A></p>
        <section class="card payment-outcome" aria-labelledby="outcome-title">
            <h1 id="outcome-title">{headline}</h1>
            <div role="status" aria-live="polite">
                <p>
                    {kind} " of " <strong>{o.attempt.amount.clone()}</strong>
                    " for invoice " {o.invoice_number.clone()} " " <StatusBadge state=o.attempt.state />
                </p>
                <p>{detail}</p>
                {move || (open && gave_up.get()).then(|| view! {
                    <p>"This is taking longer than usual. You can close this page: the invoice shows the payment as soon as your bank confirms it."</p>
                })}
            </div>
            {o.attempt.test.then(|| view! {
                <p class="pay__test">"Test mode: no money moved."</p>
            })}
            {o.may_retry.then(|| view! {
                // The page already says it is a test.
                <PayButton invoice_id=o.invoice_id label=format!("Try again: pay {}", o.outstanding) test_mode=false />
            })}
            <p><A href=back attr:class="button button--secondary">"Back to your move"</A></p>
        </section>
    }
}
