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
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("Your account does not give access to this.")]
    Forbidden,
    /// A change to how the person signs in needs a recent proof (password + code, or a
    /// passkey): "Confirm it's you" first.
    #[error("For this change, confirm it's you first (at the top of this page).")]
    ConfirmIdentity,
    /// The one answer to a failed sign-in, whatever the reason, so it reveals nothing.
    #[error("That did not work. Check what you typed; after several failed attempts sign-in for an account pauses for a while, so wait a minute and try again.")]
    SignInRefused,
    /// The second step came too late or without a first step.
    #[error("Your sign-in took too long or was interrupted. Please start again.")]
    SignInExpired,
    #[error("That passkey was not accepted. Try again, or sign in with your password and code.")]
    PasskeyRefused,
    #[error("Too many attempts from your network. Try again in {retry_after_secs} seconds.")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The server is too busy with this kind of work right now (503).
    #[error("We are very busy right now. Please try again in {retry_after_secs} seconds.")]
    Busy { retry_after_secs: u64 },
    #[error("{0}")]
    Conflict(String),
    /// Someone else took the same unique value a moment earlier (an e-mail address, a quote
    /// version): 409, next to `field`.
    #[error("{message}")]
    Taken { field: String, message: String },
    /// A state-changing request that did not come from our own pages.
    #[error("This request did not come from this site, so it was refused.")]
    CrossOrigin,
    /// `field` names the form field the message belongs next to.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("We could not reach the server. Check your connection and try again.")]
    Unreachable,
    /// The payment provider did not answer (502): nothing was decided or charged.
    #[error(
        "The payment provider did not answer. Nothing was charged; please try again in a minute."
    )]
    ProviderUnavailable,
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
            Self::Unauthenticated
            | Self::SignInRefused
            | Self::SignInExpired
            | Self::PasskeyRefused => 401,
            Self::Forbidden | Self::ConfirmIdentity | Self::CrossOrigin => 403,
            Self::TooManyAttempts { .. } => 429,
            Self::Busy { .. } => 503,
            Self::Conflict(_) | Self::Taken { .. } => 409,
            Self::Invalid { .. } => 422,
            Self::BadRequest => 400,
            Self::Unreachable | Self::ProviderUnavailable => 502,
            Self::Internal => 500,
        }
    }

    /// How long to wait before trying again, for the `Retry-After` header (429 and 503).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after_secs } | Self::Busy { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
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
            | ServerFnErrorErr::Deserialization(_)
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
            portico_domain::DomainError::Invalid { field, message } => Self::Invalid {
                field: field.to_owned(),
                message,
            },
            portico_domain::DomainError::Conflict(message) => Self::Conflict(message),
            portico_domain::DomainError::Taken { field, message } => Self::Taken {
                field: field.to_owned(),
                message: message.to_owned(),
            },
            portico_domain::DomainError::Busy { retry_after_secs } => {
                Self::Busy { retry_after_secs }
            }
            portico_domain::DomainError::ProviderUnavailable(why) => {
                tracing::warn!(%why, "payment provider unavailable");
                Self::ProviderUnavailable
            }
            portico_domain::DomainError::Denied(decision) => match decision {
                portico_domain::policy::Decision::Unauthenticated => Self::Unauthenticated,
                portico_domain::policy::Decision::Forbidden => Self::Forbidden,
                // `Allow` never becomes an error; treat a slip as the safest answer.
                portico_domain::policy::Decision::NotFound
                | portico_domain::policy::Decision::Allow => Self::NotFound,
            },
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
