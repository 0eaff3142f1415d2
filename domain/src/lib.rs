//! Portico's business domain: entities and services that know nothing of HTTP or the UI.
//!
//! The `server` and the `app` (ssr) crates both call into this crate; it calls only the
//! database, so every rule here can be tested with a real SQLite file or PostgreSQL database.

pub mod accounts;
pub mod audit;
pub mod clock;
pub mod company;
pub mod customers;
pub mod db;
pub mod documents;
pub mod error;
pub mod installation;
pub mod invoices;
pub mod jobs;
pub mod live;
pub mod mail;
pub mod messages;
pub mod money;
pub mod notices;
pub mod payments;
pub mod pdf;
pub mod policy;
pub mod portal;
pub mod quotes;
pub mod requests;
pub mod schedule;
pub mod seed;

pub use error::DomainError;
pub use sea_orm::DatabaseConnection;
