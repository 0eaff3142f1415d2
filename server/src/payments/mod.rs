//! Online payment on the host: the provider chosen at start-up, the webhook providers call,
//! the reconciliation that asks about payments gone quiet, and the test checkout page.
//!
//! The webhook is open to the world (a provider calls it without a session or an `Origin`),
//! and that is safe because it acts on nothing it is told: the body's `id` is only looked up
//! among the payments Portico started, and the outcome is asked of the provider itself. An id
//! Portico does not know gets the same 200 as one it does, so the answer tells nobody anything.
//! When the provider cannot be asked (a time-out, its 5xx) the answer is 503, so the provider
//! calls again; the reconciliation would find it anyway.

pub mod test_checkout;

use std::sync::Arc;

use axum::{extract::State, http::StatusCode, Form};
use portico_domain::{
    audit::Stamp,
    notices::Notice,
    payments::{self, mollie, test_mode::TestMode, Payments},
    DatabaseConnection, DomainError,
};
use serde::Deserialize;

use crate::{config::Config, startup::StartupError, AppState};

/// How often the reconciliation looks for payments that went quiet.
const RECONCILE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Test mode in demo mode or without a Mollie key; Mollie otherwise. Mollie cannot call a
/// webhook on `localhost` or a private address (it refuses to create the payment), so there
/// the webhook is left out and the return page and the reconciliation ask instead.
pub fn provider(config: &Config, db: &DatabaseConnection) -> Result<Payments, StartupError> {
    let public = config.public_url.as_str();
    let Some(key) = config
        .mollie_key
        .clone()
        .filter(|_| !config.payments_in_test_mode())
    else {
        tracing::info!("payments in test mode: no money moves");
        return Ok(Payments::new(
            Arc::new(TestMode::new(db.clone(), public)),
            public,
            true,
        ));
    };
    let live = key.is_live();
    let client = mollie::Mollie::new(key, config.mollie_api_url.as_str())
        .map_err(|e| StartupError::Accounts(format!("PORTICO_MOLLIE_API_KEY: {e}")))?;
    let real_api = config.mollie_api_url.as_str().trim_end_matches('/') == mollie::API_URL;
    let reachable = !(real_api && is_private(&config.public_url));
    if !reachable {
        tracing::warn!(
            public_url = public,
            "Mollie cannot call a webhook on this address; payments are followed by asking Mollie"
        );
    }
    tracing::info!(live, "payments through Mollie");
    Ok(Payments::new(Arc::new(client), public, reachable))
}

fn is_private(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => true,
    }
}

#[derive(Deserialize)]
pub struct WebhookCall {
    id: String,
}

/// `POST /payments/webhook` with the form field `id`: 200 once dealt with (or not ours), 503
/// when the provider could not be asked, so that it calls again.
pub async fn webhook(State(state): State<AppState>, Form(call): Form<WebhookCall>) -> StatusCode {
    let stamp = Stamp::system(state.accounts.clock.now());
    let id = call.id.trim();
    if id.is_empty() || id.len() > 64 {
        return StatusCode::OK;
    }
    match payments::on_webhook(&state.db, &*state.payments.provider, &stamp, id).await {
        Ok(None) | Err(DomainError::NotFound(_)) => {
            tracing::info!("a payment webhook about an id Portico did not start");
            StatusCode::OK
        }
        Ok(Some(applied)) => {
            if applied.booked {
                receipt(&state, applied.attempt.id).await;
            }
            StatusCode::OK
        }
        Err(error) => {
            tracing::warn!(%error, "payment webhook: asking again later");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The receipt for a booked payment, through the outbox.
pub async fn receipt(state: &AppState, attempt_id: i32) {
    match portico_domain::notices::send(
        &state.db,
        Notice::PaymentReceived { attempt_id },
        &state.accounts.public_url,
        state.accounts.clock.now(),
    )
    .await
    {
        Ok(0) => {}
        Ok(_) => state.accounts.mail_waiting(),
        Err(error) => tracing::warn!(%error, attempt_id, "a receipt was not queued"),
    }
}

/// Every minute: asks the provider about open payments not heard of for a while, ends
/// abandoned test checkouts, and sends the receipts of what that booked.
pub fn spawn_reconciliation(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(RECONCILE_EVERY);
        loop {
            every.tick().await;
            reconcile_once(&state).await;
        }
    });
}

pub async fn reconcile_once(state: &AppState) {
    let now = state.accounts.clock.now();
    if state.payments.test_mode() {
        if let Err(error) = payments::test_mode::expire_abandoned(&state.db, now).await {
            tracing::warn!(%error, "expiring abandoned test payments");
        }
    }
    match payments::reconcile(&state.db, &*state.payments.provider, now).await {
        Ok(booked) => {
            for attempt in booked {
                tracing::info!(
                    attempt = attempt.id,
                    "a payment found by the reconciliation"
                );
                receipt(state, attempt.id).await;
            }
        }
        Err(error) => tracing::warn!(%error, "payment reconciliation"),
    }
}
