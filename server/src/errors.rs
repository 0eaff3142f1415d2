//! The one way an error becomes an HTTP answer: [`PorticoError::status`] gives the status, and
//! the body is the error itself as JSON, the shape every server function answers with. File
//! routes and the cross-origin refusal answer through [`respond`]; server functions through
//! [`server_fn_status`], because server_fn sends every error with 500.

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use portico_app::PorticoError;

/// The largest error body worth reading back (a typed error is a few hundred bytes).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// The error as its status, its JSON body and, when waiting helps, `Retry-After`.
pub fn respond(error: PorticoError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let retry_after = error.retry_after_secs();
    let mut response = (status, Json(error)).into_response();
    if let Some(secs) = retry_after {
        set_retry_after(&mut response, secs);
    }
    response
}

fn set_retry_after(response: &mut Response, secs: u64) {
    if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
}

/// server_fn answers every error with 500, also when it refused the arguments before Portico's
/// code ran. The body is always our typed error; this gives the answer that error's own status
/// (404, 422, 429 with `Retry-After`, …), so a 500 means a fault on our side and nothing else.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return respond(PorticoError::Internal);
    };
    let Ok(error) = serde_json::from_slice::<PorticoError>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if let Ok(status) = StatusCode::from_u16(error.status()) {
        parts.status = status;
    }
    let mut response = Response::from_parts(parts, Body::from(bytes));
    if let Some(secs) = error.retry_after_secs() {
        set_retry_after(&mut response, secs);
    }
    response
}

/// For handlers that answer `Result<_, Refusal>`: an error from the app or the domain.
pub struct Refusal(pub PorticoError);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        respond(self.0)
    }
}

impl From<PorticoError> for Refusal {
    fn from(error: PorticoError) -> Self {
        Self(error)
    }
}

impl From<portico_domain::DomainError> for Refusal {
    fn from(error: portico_domain::DomainError) -> Self {
        Self(error.into())
    }
}
