//! What the customer's own answers need: an acceptance records the browser it came from and the
//! SHA-256 of the frozen quote PDF it accepted (so either side can later prove which document
//! was accepted) and the receipt frozen at that moment, and a move counts the changes of its date so that a calendar entry already
//! downloaded is replaced, not duplicated (iCalendar's `SEQUENCE`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER TABLE: SQLite adds one at a time.
        for column in [
            text_null(Quote::SignedUserAgent),
            string_null(Quote::SignedPdfSha256),
            integer_null(Quote::ReceiptDocumentId),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Quote::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Job::Table)
                    .add_column(integer(Job::ScheduleSequence).default(0))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Quote {
    Table,
    SignedUserAgent,
    SignedPdfSha256,
    ReceiptDocumentId,
}

#[derive(DeriveIden)]
enum Job {
    Table,
    ScheduleSequence,
}
