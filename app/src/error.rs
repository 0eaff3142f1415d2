//! The one error type that crosses the wire between server functions and the browser.
//!
//! Its messages are written for the person using the portal. Internal causes are logged on the
//! server (with the request id) and never sent: `Internal` carries no text.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
pub enum PorticoError {
    #[error("We could not find that.")]
    NotFound,
    #[error("Please check {field}: {message}")]
    Invalid { field: String, message: String },
    #[error("We could not reach the server. Check your connection and try again.")]
    Unreachable,
    #[error("The request was not understood.")]
    BadRequest,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
}

impl PorticoError {
    /// The HTTP status a server-function call answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Invalid { .. } => 422,
            Self::BadRequest => 400,
            Self::Unreachable => 502,
            Self::Internal => 500,
        }
    }
}

impl FromServerFnError for PorticoError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => Self::Unreachable,
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => Self::BadRequest,
            _ => Self::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<portico_domain::DomainError> for PorticoError {
    fn from(error: portico_domain::DomainError) -> Self {
        match error {
            portico_domain::DomainError::NotFound(_) => Self::NotFound,
            other => {
                tracing::error!(error = %other, "domain error");
                Self::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_failures_never_carry_internal_text() {
        let err = PorticoError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "relation \"company\" does not exist".into(),
        ));
        assert_eq!(err, PorticoError::Internal);
        assert!(!err.to_string().contains("relation"));
    }

    #[test]
    fn malformed_arguments_are_a_bad_request() {
        let err = PorticoError::from_server_fn_error(ServerFnErrorErr::Args("x".into()));
        assert_eq!(err, PorticoError::BadRequest);
    }
}
