//! Paying an invoice online: the customer's "Pay € …" button (owner and payer contacts), the
//! return page that says how the payment stands, and the attempts the office sees on each
//! invoice. Whether a person may pay is decided on the server and crosses as `may_pay`.

pub mod page;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    states::{InvoiceState, PaymentState},
    PorticoError,
};

/// One online payment attempt on an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub id: i32,
    /// When it was started, in the company's time zone.
    pub started: String,
    pub amount: String,
    pub state: PaymentState,
    /// "iDEAL", "Card", … once the customer chose.
    pub method: Option<String>,
    /// "Mollie", or "Test mode".
    pub provider: String,
    /// The provider's id (`tr_…`).
    pub reference: Option<String>,
    /// Given back from the provider's dashboard.
    pub refunded: Option<String>,
    /// For the office: something to look at.
    pub problem: Option<String>,
    /// Portico's test mode: no money moved.
    pub test: bool,
}

/// The return page: how the payment stands and what the customer can do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentOutcome {
    pub attempt: AttemptView,
    pub invoice_number: String,
    pub invoice_state: InvoiceState,
    pub outstanding: String,
    /// The move the invoice belongs to (the way back).
    pub job_id: Option<i32>,
    /// The payment ended without money and the invoice is still open.
    pub may_retry: bool,
    pub invoice_id: i32,
}

#[cfg(feature = "ssr")]
pub(crate) fn method_label(method: &str) -> String {
    match method {
        "ideal" => "iDEAL".to_owned(),
        "creditcard" => "Card".to_owned(),
        "bancontact" => "Bancontact".to_owned(),
        "banktransfer" => "Bank transfer".to_owned(),
        "paypal" => "PayPal".to_owned(),
        "applepay" => "Apple Pay".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn attempt_view(
    attempt: &portico_domain::payments::Attempt,
    here: &crate::staff::local::Local,
    for_office: bool,
) -> AttemptView {
    use portico_domain::{money::format_euros, payments::ProviderName};

    AttemptView {
        id: attempt.id,
        started: here.date_time(attempt.created_at),
        amount: format_euros(attempt.amount_cents),
        state: attempt.status.into(),
        method: attempt.method.as_deref().map(method_label),
        provider: attempt.provider.label().to_owned(),
        reference: attempt.provider_id.clone(),
        refunded: (attempt.refunded_cents > 0).then(|| format_euros(attempt.refunded_cents)),
        problem: attempt.problem.clone().filter(|_| for_office),
        test: attempt.provider == ProviderName::Test,
    }
}

/// The payment attempts of several invoices, by invoice, newest first.
#[cfg(feature = "ssr")]
pub(crate) async fn attempts_by_invoice(
    db: &portico_domain::DatabaseConnection,
    invoice_ids: &[i32],
) -> Result<std::collections::HashMap<i32, Vec<portico_domain::payments::Attempt>>, PorticoError> {
    let mut by_invoice: std::collections::HashMap<i32, Vec<_>> = Default::default();
    for attempt in portico_domain::payments::for_invoices(db, invoice_ids).await? {
        by_invoice
            .entry(attempt.invoice_id)
            .or_default()
            .push(attempt);
    }
    Ok(by_invoice)
}

#[cfg(feature = "ssr")]
fn provider_context() -> Result<portico_domain::payments::Payments, PorticoError> {
    use_context::<portico_domain::payments::Payments>().ok_or_else(|| {
        tracing::error!("no payment provider in the request context");
        PorticoError::Internal
    })
}

/// "Pay € …": starts paying what is still open on the invoice and answers the provider's
/// checkout. A form sent without scripts is redirected there; with scripts the page goes there
/// itself, as a whole-page visit (the test checkout is on our own origin, and the router must
/// not try to draw it as one of the app's pages).
#[server(name = PayInvoice, prefix = "/api", endpoint = "payments/pay")]
pub async fn pay_invoice(invoice_id: i32) -> Result<String, PorticoError> {
    use portico_domain::payments;

    use crate::server;

    let actor = server::current_actor().await?;
    let db = server::db()?;
    let invoice = payments::invoice_to_pay(&db, &actor, invoice_id).await?;
    let online = provider_context()?;
    let public = online.public_url.clone();
    let redirect = move |attempt_id: i32| format!("{public}/payments/{attempt_id}");
    let checkout = payments::start(
        &db,
        &*online.provider,
        &server::stamp(&actor)?,
        invoice.id,
        &redirect,
        online.webhook_url.as_deref(),
    )
    .await?;
    let wants_page = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    });
    if wants_page {
        leptos_axum::redirect(&checkout.checkout_url);
    }
    Ok(checkout.checkout_url)
}

/// How a payment stands, for the return page: asks the provider itself when its webhook is
/// late. The customer's own invoices (owner and payer), and the office.
#[server(name = GetPaymentOutcome, prefix = "/api", endpoint = "payments/outcome")]
pub async fn payment_outcome(attempt_id: i32) -> Result<PaymentOutcome, PorticoError> {
    use portico_domain::{invoices, money::format_euros, notices::Notice, payments};

    use crate::{server, staff::local::Local};

    let actor = server::current_actor().await?;
    let db = server::db()?;
    let attempt = payments::attempt_for(&db, &actor, attempt_id).await?;
    let online = provider_context()?;
    let attempt =
        match payments::check(&db, &*online.provider, &server::stamp(&actor)?, attempt).await {
            Ok(applied) => {
                if applied.booked {
                    server::notify(
                        &db,
                        Notice::PaymentReceived {
                            attempt_id: applied.attempt.id,
                        },
                    )
                    .await;
                }
                applied.attempt
            }
            // The provider not answering is no reason to fail the page: show what is known.
            Err(portico_domain::DomainError::ProviderUnavailable(why)) => {
                tracing::warn!(%why, attempt_id, "payment status: the provider did not answer");
                payments::find(&db, attempt_id).await?
            }
            Err(error) => return Err(error.into()),
        };
    let invoice = invoices::find(&db, attempt.invoice_id).await?;
    let here = Local::load(&db).await?;
    let for_office = matches!(actor, portico_domain::policy::Actor::Staff { .. });
    Ok(PaymentOutcome {
        may_retry: attempt.status.ended_unpaid()
            && invoice.takes_payments()
            && invoice.outstanding_cents() > 0
            && !for_office,
        attempt: attempt_view(&attempt, &here, for_office),
        invoice_number: invoice.number.clone().unwrap_or_default(),
        invoice_state: invoice.status.into(),
        outstanding: format_euros(invoice.outstanding_cents()),
        job_id: invoice.job_id,
        invoice_id: invoice.id,
    })
}

/// The attempts on one invoice, as a short list (newest first).
#[component]
pub fn Attempts(attempts: Vec<AttemptView>) -> impl IntoView {
    use crate::staff::StatusBadge;

    (!attempts.is_empty()).then(|| {
        view! {
            <ul class="attempts" role="list" aria-label="Online payments">
                {attempts.into_iter().map(|a| view! {
                    <li class="attempts__item">
                        <span>{if a.test { "Test payment " } else { "Online payment " }} {a.amount.clone()}</span>
                        " " <StatusBadge state=a.state />
                        <span class="attempts__meta">
                            " " {a.started.clone()}
                            {a.method.clone().map(|m| view! { " · " {m} })}
                            " · " {a.provider.clone()}
                            {a.reference.clone().map(|r| view! { " · " <span class="nowrap">{r}</span> })}
                        </span>
                        {a.refunded.clone().map(|r| view! { <span class="attempts__refund">" · refunded " {r}</span> })}
                        {a.problem.clone().map(|p| view! { <p class="attempts__problem" role="note">{p}</p> })}
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}

/// The customer's "Pay € …" button: a plain form, so it works before the script loads.
#[component]
pub fn PayButton(invoice_id: i32, label: String, test_mode: bool) -> impl IntoView {
    use crate::staff::{action_error, FormError};

    let pay = ServerAction::<PayInvoice>::new();
    let error = action_error(pay);
    // Effects run in the browser only.
    Effect::new(move |_| {
        if let Some(Ok(checkout)) = pay.value().get() {
            if window().location().set_href(&checkout).is_err() {
                leptos::logging::warn!("could not open the checkout");
            }
        }
    });
    view! {
        <ActionForm action=pay attr:class="pay">
            <input type="hidden" name="invoice_id" value=invoice_id />
            <button type="submit" class="button pay__button" disabled=move || pay.pending().get()>
                {move || if pay.pending().get() { "Opening the payment…".to_owned() } else { label.clone() }}
            </button>
            {test_mode.then(|| view! {
                <p class="pay__test">"Test mode: you go to a test checkout, no money moves."</p>
            })}
        </ActionForm>
        <FormError error />
    }
}
