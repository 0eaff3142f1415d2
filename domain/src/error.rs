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
    /// A unique key was taken by another request a moment earlier (the database refused the
    /// second): `field` is the form field it concerns.
    #[error("{field}: {message}")]
    Taken {
        field: &'static str,
        message: &'static str,
    },
    /// The payment provider did not answer (a time-out, its own error): nothing was decided,
    /// try again later.
    #[error("payment provider unavailable: {0}")]
    ProviderUnavailable(String),
    #[error("database error: {0}")]
    Database(sea_orm::DbErr),
    /// Something that should not fail did (randomness, a worker thread); details are logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The unique keys a person's input can collide on, by the name each database gives in its
/// refusal (SQLite names the columns, PostgreSQL the constraint), with the field and message.
const UNIQUE_KEYS: &[(&[&str], &str, &str)] = &[
    (
        &["users.email", "users_email_key"],
        "email",
        "Someone else just used this e-mail address. Reload to see who.",
    ),
    (
        &[
            "customer_contact.customer_id",
            "ux_customer_contact_customer_user",
        ],
        "email",
        "This person was just added to the account by someone else.",
    ),
    (
        &["quote.job_id", "ux_quote_job_version"],
        "version",
        "Someone else just made a new version of this quote. Reload to see it.",
    ),
    (
        &["job.reference", "job_reference_key"],
        "reference",
        "That reference was just taken by another job. Try again.",
    ),
    (
        &["passkey.credential_id", "passkey_credential_id_key"],
        "passkey",
        "This passkey is already registered.",
    ),
];

impl From<sea_orm::DbErr> for DomainError {
    fn from(error: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(text)) = error.sql_err() {
            let (field, message) = UNIQUE_KEYS
                .iter()
                .find(|(names, _, _)| names.iter().any(|name| text.contains(name)))
                .map_or(
                    (
                        "form",
                        "Someone else just made the same change. Reload and try again.",
                    ),
                    |(_, field, message)| (*field, *message),
                );
            return Self::Taken { field, message };
        }
        Self::Database(error)
    }
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}
