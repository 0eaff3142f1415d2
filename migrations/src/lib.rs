//! Portico's schema, as forward-only migrations that run unchanged on SQLite and PostgreSQL.
//!
//! A migration that has shipped is never edited: a change to the schema is a new migration.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_foundation;
mod m20261128_000002_accounts;
mod m20261128_000003_business;
mod m20261201_000004_frozen_paperwork;
mod m20261202_000005_customer_answers;
mod m20261203_000006_live_events;
mod m20261204_000007_online_payments;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_accounts::Migration),
            Box::new(m20261128_000003_business::Migration),
            Box::new(m20261201_000004_frozen_paperwork::Migration),
            Box::new(m20261202_000005_customer_answers::Migration),
            Box::new(m20261203_000006_live_events::Migration),
            Box::new(m20261204_000007_online_payments::Migration),
        ]
    }
}
