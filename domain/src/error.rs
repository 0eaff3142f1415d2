//! The domain's error type: what a service can report, without HTTP status codes.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DomainError {
    #[error("{0} was not found")]
    NotFound(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
}
