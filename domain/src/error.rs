//! The domain's error type: what a service can report, without HTTP status codes.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DomainError {
    #[error("{0} was not found")]
    NotFound(&'static str),
    /// Input that breaks a rule; `field` names the form field, `message` is for the person.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The policy's refusal, from a finder that takes the actor: another customer's record is
    /// `NotFound`, a known one this person may not touch `Forbidden`.
    #[error("refused by the access policy: {0:?}")]
    Denied(crate::policy::Decision),
    /// The request conflicts with the current state (e.g. a link that was already used).
    #[error("{0}")]
    Conflict(String),
    /// Too much of this work is already waiting (password hashing); try again shortly.
    #[error("busy: try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Something that should not fail did (randomness, a worker thread); details are logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}
