//! Issued paperwork is frozen: an issued invoice (or credit note) and a sent quote version
//! point at the PDF rendered when it was issued or sent, kept as a document with its SHA-256.
//! Every download serves those bytes, so a later change of company details, a part payment or
//! a new template never changes a document the customer already has.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER TABLE (SQLite), and no foreign key: SQLite cannot add one to an
        // existing table; the services only ever set an id they have just written.
        manager
            .alter_table(
                Table::alter()
                    .table(Invoice::Table)
                    .add_column(integer_null(Invoice::PdfDocumentId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Quote::Table)
                    .add_column(integer_null(Quote::PdfDocumentId))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Invoice {
    Table,
    PdfDocumentId,
}

#[derive(DeriveIden)]
enum Quote {
    Table,
    PdfDocumentId,
}
