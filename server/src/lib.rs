//! The Portico host: configuration, the axum router around the Leptos app, middleware, health
//! checks, start-up and graceful shutdown. The `portico` binary is a thin command line over this.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::await_holding_lock
    )
)]

pub mod assets;
pub mod config;
pub mod connections;
pub mod errors;
pub mod files;
pub mod health;
pub mod live;
pub mod mailer;
pub mod payments;
pub mod requests;
pub mod router;
pub mod sessions;
pub mod startup;
pub mod state;

pub use config::Config;
pub use router::router;
pub use state::AppState;
