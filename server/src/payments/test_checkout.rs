//! The test checkout page: where test mode sends a customer instead of a bank. Like a real
//! provider's page it stands outside the portal (no session, the address is the secret), shows
//! what is being paid, and says plainly that it is a test. Its buttons end the payment; then
//! the webhook is called over HTTP, as a provider would, and the customer goes back to the
//! portal's return page, which asks how the payment stands.

use std::sync::LazyLock;

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    Form,
};
use portico_domain::{
    audit::Stamp,
    money::format_euros,
    payments::{self, test_mode, AttemptStatus},
    DomainError,
};
use serde::Deserialize;

use crate::AppState;

/// A page, with a policy that allows its styles and its own form and nothing else.
fn page(status: StatusCode, css: &str, title: &str, body: String) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · TEST payment</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><main class=\"test-checkout\">\
         <p class=\"test-checkout__banner\" role=\"note\"><strong>TEST MODE</strong> This is a \
         test payment — no money moves.</p>{body}</main></body></html>",
        title = html_escape::encode_text(title),
        css = html_escape::encode_double_quoted_attribute(css),
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn css(state: &AppState) -> String {
    format!(
        "/{}/{}.css",
        state.leptos_options.site_pkg_dir, state.leptos_options.output_name
    )
}

fn not_here(state: &AppState) -> Response {
    page(
        StatusCode::NOT_FOUND,
        &css(state),
        "Not found",
        "<h1>No such test payment</h1><p>This link is not (or no longer) a test payment.</p>"
            .to_owned(),
    )
}

/// `GET /pay/test/{id}`: what is paid, and the four outcomes a bank could give.
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if !state.payments.test_mode() {
        return not_here(&state);
    }
    let Ok(row) = test_mode::find(&state.db, &id).await else {
        return not_here(&state);
    };
    let what = format!(
        "<h1>Pay {amount}</h1><p class=\"test-checkout__what\">{description}</p>",
        amount = html_escape::encode_text(&format_euros(row.amount_cents)),
        description = html_escape::encode_text(&row.description),
    );
    let body = if test_mode::is_open(&row) {
        let action =
            html_escape::encode_double_quoted_attribute(&test_mode::checkout_path(&row.id))
                .into_owned();
        format!(
            "{what}<form method=\"post\" action=\"{action}\" class=\"test-checkout__form\">\
             <fieldset><legend>Pay with</legend>\
             <label class=\"choice\"><input type=\"radio\" name=\"method\" value=\"ideal\" checked> iDEAL (test)</label>\
             <label class=\"choice\"><input type=\"radio\" name=\"method\" value=\"creditcard\"> Card (test)</label>\
             </fieldset>\
             <p>Choose what the bank answers:</p>\
             <div class=\"test-checkout__buttons\">\
             <button class=\"button\" name=\"outcome\" value=\"paid\">Paid</button>\
             <button class=\"button button--secondary\" name=\"outcome\" value=\"failed\">Failed</button>\
             <button class=\"button button--secondary\" name=\"outcome\" value=\"canceled\">Cancelled</button>\
             <button class=\"button button--secondary\" name=\"outcome\" value=\"expired\">Expired</button>\
             </div></form>"
        )
    } else {
        let status = AttemptStatus::from_code(&row.status).unwrap_or(AttemptStatus::Failed);
        format!(
            "{what}<p>This test payment is {}.</p><p><a class=\"button\" href=\"{}\">Back to the portal</a></p>",
            status.label(),
            html_escape::encode_double_quoted_attribute(&row.redirect_url)
        )
    };
    page(StatusCode::OK, &css(&state), "Test checkout", body)
}

#[derive(Deserialize)]
pub struct Decision {
    outcome: String,
    #[serde(default)]
    method: String,
}

/// `POST /pay/test/{id}`: the chosen outcome; then the webhook, then back to the portal.
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(decision): Form<Decision>,
) -> Response {
    if !state.payments.test_mode() {
        return not_here(&state);
    }
    let outcome = AttemptStatus::from_code(&decision.outcome).unwrap_or(AttemptStatus::Creating);
    let method = if decision.method.is_empty() {
        "ideal"
    } else {
        decision.method.as_str()
    };
    let now = state.accounts.clock.now();
    let row = match test_mode::decide(&state.db, &id, outcome, method, now).await {
        Ok(row) => row,
        Err(DomainError::NotFound(_)) => return not_here(&state),
        // Decided already (a second tab, the back button): show how it ended.
        Err(DomainError::Conflict(_)) => return show(State(state), Path(id)).await,
        Err(DomainError::Invalid { message, .. }) => {
            return page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &css(&state),
                "Test checkout",
                format!(
                    "<h1>Choose again</h1><p>{}</p>",
                    html_escape::encode_text(&message)
                ),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "test checkout");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                &css(&state),
                "Test checkout",
                "<h1>Try again</h1><p>The test payment could not be saved.</p>".to_owned(),
            );
        }
    };
    call_webhook(state, row.id.clone(), row.webhook_url.clone());
    Redirect::to(&row.redirect_url).into_response()
}

static WEBHOOK_CLIENT: LazyLock<Option<reqwest::Client>> = LazyLock::new(|| {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .user_agent("Portico test checkout")
        .build()
        .ok()
});

/// As a provider does it: `POST {webhook} id=…`, a few times with pauses while the answer is
/// not 200. Without a webhook address the same service is called in-process.
fn call_webhook(state: AppState, id: String, webhook_url: String) {
    tokio::spawn(async move {
        if let (false, Some(client)) = (webhook_url.is_empty(), WEBHOOK_CLIENT.as_ref()) {
            for pause in [0u64, 1, 3, 7] {
                tokio::time::sleep(std::time::Duration::from_secs(pause)).await;
                match client.post(&webhook_url).form(&[("id", &id)]).send().await {
                    Ok(response) if response.status().is_success() => return,
                    Ok(response) => {
                        tracing::warn!(status = %response.status(), "test webhook refused");
                    }
                    Err(error) => tracing::warn!(error = %error.without_url(), "test webhook"),
                }
            }
            return;
        }
        let stamp = Stamp::system(state.accounts.clock.now());
        match payments::on_webhook(&state.db, &*state.payments.provider, &stamp, &id).await {
            Ok(Some(applied)) if applied.booked => super::receipt(&state, applied.attempt.id).await,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "test payment"),
        }
    });
}
