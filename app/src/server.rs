//! What server functions reach on the server: the database, provided as context by the host.

use leptos::prelude::use_context;
use portico_domain::DatabaseConnection;

use crate::PorticoError;

/// The database connection the host provided for this request.
pub fn db() -> Result<DatabaseConnection, PorticoError> {
    use_context::<DatabaseConnection>().ok_or_else(|| {
        tracing::error!("no database connection in the request context");
        PorticoError::Internal
    })
}
