//! Request middleware for accounts: who the client is (address, user agent), and the refusal
//! of state-changing requests that did not come from Portico's own pages.

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use portico_app::PorticoError;
use portico_domain::audit::RequestOrigin;

use crate::AppState;

/// Records the client's address and user agent in the request, for sessions, throttling and
/// the audit log.
pub async fn record_origin(mut request: Request, next: Next) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(300).collect());
    request
        .extensions_mut()
        .insert(RequestOrigin { ip, user_agent });
    next.run(request).await
}

/// Refuses a state-changing request (anything but GET, HEAD, OPTIONS) with 403 unless the
/// browser says it came from our own origin: `Sec-Fetch-Site: same-origin`, or, from browsers
/// that do not send that, an `Origin` equal to the public URL's.
pub async fn same_origin_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let allowed = match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin",
        None => headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|origin| origin == state.public_origin.as_str()),
    };
    if allowed {
        return next.run(request).await;
    }
    tracing::warn!(
        method = %request.method(),
        path = %request.uri().path(),
        origin = ?headers.get(header::ORIGIN),
        sec_fetch_site = ?headers.get("sec-fetch-site"),
        "cross-origin request refused"
    );
    let mut response = (
        StatusCode::FORBIDDEN,
        Body::from("This request did not come from this site, so it was refused."),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Server functions whose arguments could not be read (a missing field, malformed JSON) are
/// answered by server_fn before Portico's code runs, always with 500. The body is still our
/// typed error (`"BadRequest"`); this gives such answers the error's own status, so malformed
/// input gets a 4xx and a 500 means a fault on our side.
pub async fn api_error_status(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<PorticoError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
