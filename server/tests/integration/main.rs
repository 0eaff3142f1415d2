//! Portico's integration tests: the real router on a fresh database (a SQLite file, and
//! PostgreSQL too when `PORTICO_TEST_DATABASE_URL` names a server), driven with `oneshot`; and
//! the real `portico` binary, started as a process.
//!
//! One test binary on purpose: linking is the slow part of a build on a small machine.

// Tests state what they expect with expect/panic (see [workspace.lints] in Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod access_matrix;
mod accounts;
mod admin;
mod business;
mod foundation;
mod installation;
mod invitations;
mod live;
mod passkeys;
mod payments;
mod portal;
mod startup;
mod workspace;
