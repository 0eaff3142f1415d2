//! What server functions reach on the server: the database, provided as context by the host,
//! and the mapping of their errors to HTTP statuses.

use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use portico_domain::DatabaseConnection;

use crate::PorticoError;

/// The database connection the host provided for this request.
pub fn db() -> Result<DatabaseConnection, PorticoError> {
    use_context::<DatabaseConnection>().ok_or_else(|| {
        tracing::error!("no database connection in the request context");
        PorticoError::Internal
    })
}

/// Runs a server function's body and, when it is called over HTTP, answers a failure with the
/// error's status (404, 422, …) rather than server_fn's blanket 500. During server-side rendering
/// the same function runs inside the page's response, whose status the page decides.
pub async fn answer<T>(
    body: impl std::future::Future<Output = Result<T, PorticoError>>,
) -> Result<T, PorticoError> {
    let result = body.await;
    if let Err(error) = &result {
        let over_http = use_context::<http::request::Parts>()
            .is_some_and(|parts| parts.uri.path().starts_with("/api/"));
        if over_http {
            if let (Some(response), Ok(status)) = (
                use_context::<ResponseOptions>(),
                http::StatusCode::from_u16(error.status()),
            ) {
                response.set_status(status);
            }
        }
    }
    result
}
