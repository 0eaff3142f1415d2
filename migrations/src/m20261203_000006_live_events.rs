//! Live status: one row per change that open pages should show without a reload. The table is
//! the single source of truth for the push channel: a notification only says "there is news",
//! every instance reads the news itself from here, and a browser that lost its connection is
//! given what it missed from here. Ids only ever grow (`AUTOINCREMENT` on SQLite, a sequence on
//! PostgreSQL), so "everything after id N" is a complete answer even after old rows are pruned.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LiveEvent::Table)
                    .col(big_pk_auto(LiveEvent::Id))
                    .col(timestamp_with_time_zone(LiveEvent::At))
                    .col(string(LiveEvent::Kind))
                    .col(string(LiveEvent::Audience))
                    .col(integer_null(LiveEvent::CustomerId))
                    .col(integer_null(LiveEvent::JobId))
                    .col(integer_null(LiveEvent::UserId))
                    .col(boolean(LiveEvent::Money).default(false))
                    .col(boolean(LiveEvent::ShownToCustomer).default(true))
                    .to_owned(),
            )
            .await?;
        // Pruning goes by age.
        manager
            .create_index(
                Index::create()
                    .name("idx_live_event_at")
                    .table(LiveEvent::Table)
                    .col(LiveEvent::At)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LiveEvent {
    Table,
    Id,
    At,
    Kind,
    Audience,
    CustomerId,
    JobId,
    UserId,
    Money,
    ShownToCustomer,
}
