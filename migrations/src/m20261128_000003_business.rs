//! The business core: company settings, customer addresses, the job's details and timeline,
//! quotes with versions and lines, invoices with gap-free numbers, payments, documents and
//! message threads.
//!
//! SQLite adds one column per `ALTER TABLE`, so each added column is its own statement. Money
//! is integer cents (`big_integer`); quantities are hundredths of a unit.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            text(Company::Address).default("").to_owned(),
            string(Company::KvkNumber).default("").to_owned(),
            string(Company::VatNumber).default("").to_owned(),
            string(Company::Iban).default("").to_owned(),
            string(Company::InvoicePrefix).default("F").to_owned(),
            integer(Company::PaymentTermDays).default(14).to_owned(),
            string(Company::BrandColour).default("#1f5f8b").to_owned(),
            integer_null(Company::LogoDocumentId),
        ] {
            add_column(manager, Company::Table, column).await?;
        }
        for column in [
            string(Customer::Address).default("").to_owned(),
            string(Customer::Postcode).default("").to_owned(),
            string(Customer::City).default("").to_owned(),
        ] {
            add_column(manager, Customer::Table, column).await?;
        }
        for column in [
            text(Job::OriginNotes).default("").to_owned(),
            text(Job::DestinationNotes).default("").to_owned(),
            date_null(Job::ConfirmedDate),
            string_null(Job::SlotStart),
            string_null(Job::SlotEnd),
            integer_null(Job::VolumeM3),
            text(Job::Notes).default("").to_owned(),
            timestamp_with_time_zone_null(Job::Eta),
        ] {
            add_column(manager, Job::Table, column).await?;
        }
        index(
            manager,
            "ix_job_confirmed_date",
            Job::Table,
            Job::ConfirmedDate,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobEvent::Table)
                    .col(pk_auto(JobEvent::Id))
                    .col(integer(JobEvent::JobId))
                    .col(timestamp_with_time_zone(JobEvent::At))
                    .col(integer_null(JobEvent::ActorUserId))
                    .col(string_null(JobEvent::FromStatus))
                    .col(string(JobEvent::ToStatus))
                    .col(text(JobEvent::Note))
                    .col(timestamp_with_time_zone_null(JobEvent::Eta))
                    .foreign_key(&mut job_fk(
                        "fk_job_event_job",
                        JobEvent::Table,
                        JobEvent::JobId,
                    ))
                    .foreign_key(&mut user_fk(
                        "fk_job_event_actor",
                        JobEvent::Table,
                        JobEvent::ActorUserId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_job_event_job",
            JobEvent::Table,
            JobEvent::JobId,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Quote::Table)
                    .col(pk_auto(Quote::Id))
                    .col(integer(Quote::JobId))
                    .col(integer(Quote::Version))
                    .col(string(Quote::Status))
                    .col(date(Quote::ValidUntil))
                    .col(big_integer(Quote::NetCents))
                    .col(big_integer(Quote::VatCents))
                    .col(big_integer(Quote::TotalCents))
                    .col(timestamp_with_time_zone(Quote::CreatedAt))
                    .col(integer_null(Quote::CreatedBy))
                    .col(timestamp_with_time_zone_null(Quote::SentAt))
                    .col(timestamp_with_time_zone_null(Quote::DecidedAt))
                    .col(integer_null(Quote::DecidedBy))
                    .col(string_null(Quote::SignedName))
                    .col(string_null(Quote::SignedIp))
                    .col(text_null(Quote::DeclineReason))
                    .foreign_key(&mut job_fk("fk_quote_job", Quote::Table, Quote::JobId))
                    .foreign_key(&mut user_fk(
                        "fk_quote_created_by",
                        Quote::Table,
                        Quote::CreatedBy,
                    ))
                    .foreign_key(&mut user_fk(
                        "fk_quote_decided_by",
                        Quote::Table,
                        Quote::DecidedBy,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_quote_job_version")
                    .table(Quote::Table)
                    .col(Quote::JobId)
                    .col(Quote::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        create_lines(
            manager,
            QuoteLine::Table,
            QuoteLine::QuoteId,
            Quote::Table,
            Quote::Id,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invoice::Table)
                    .col(pk_auto(Invoice::Id))
                    .col(integer(Invoice::CustomerId))
                    .col(integer_null(Invoice::JobId))
                    .col(integer_null(Invoice::QuoteId))
                    .col(string(Invoice::Kind))
                    .col(integer_null(Invoice::CreditsInvoiceId))
                    .col(string_null(Invoice::Number))
                    .col(integer_null(Invoice::Year))
                    .col(integer_null(Invoice::Sequence))
                    .col(string(Invoice::Status))
                    .col(date_null(Invoice::IssueDate))
                    .col(date_null(Invoice::DueDate))
                    .col(big_integer(Invoice::NetCents))
                    .col(big_integer(Invoice::VatCents))
                    .col(big_integer(Invoice::TotalCents))
                    .col(big_integer(Invoice::PaidCents).default(0))
                    .col(timestamp_with_time_zone(Invoice::CreatedAt))
                    .col(timestamp_with_time_zone_null(Invoice::IssuedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invoice_customer")
                            .from(Invoice::Table, Invoice::CustomerId)
                            .to(Customer::Table, Customer::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(&mut job_fk(
                        "fk_invoice_job",
                        Invoice::Table,
                        Invoice::JobId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invoice_quote")
                            .from(Invoice::Table, Invoice::QuoteId)
                            .to(Quote::Table, Quote::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invoice_credits")
                            .from(Invoice::Table, Invoice::CreditsInvoiceId)
                            .to(Invoice::Table, Invoice::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_invoice_customer",
            Invoice::Table,
            Invoice::CustomerId,
        )
        .await?;
        index(manager, "ix_invoice_job", Invoice::Table, Invoice::JobId).await?;
        unique_index(
            manager,
            "ux_invoice_number",
            Invoice::Table,
            Invoice::Number,
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_invoice_year_sequence")
                    .table(Invoice::Table)
                    .col(Invoice::Year)
                    .col(Invoice::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        create_lines(
            manager,
            InvoiceLine::Table,
            InvoiceLine::InvoiceId,
            Invoice::Table,
            Invoice::Id,
        )
        .await?;

        // One row per year; issuing an invoice increments it in the same transaction, so a
        // rolled-back issue gives its number back and the series has no gaps.
        manager
            .create_table(
                Table::create()
                    .table(InvoiceCounter::Table)
                    .col(integer(InvoiceCounter::Year).primary_key())
                    .col(integer(InvoiceCounter::LastSequence))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payment::Table)
                    .col(pk_auto(Payment::Id))
                    .col(integer(Payment::InvoiceId))
                    .col(big_integer(Payment::AmountCents))
                    .col(string(Payment::Method))
                    .col(string(Payment::Reference))
                    .col(timestamp_with_time_zone(Payment::ReceivedAt))
                    .col(integer_null(Payment::RecordedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payment_invoice")
                            .from(Payment::Table, Payment::InvoiceId)
                            .to(Invoice::Table, Invoice::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(&mut user_fk(
                        "fk_payment_recorded_by",
                        Payment::Table,
                        Payment::RecordedBy,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_payment_invoice",
            Payment::Table,
            Payment::InvoiceId,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Document::Table)
                    .col(pk_auto(Document::Id))
                    .col(integer_null(Document::CustomerId))
                    .col(integer_null(Document::JobId))
                    .col(string(Document::Kind))
                    .col(string(Document::FileName))
                    .col(string(Document::ContentType))
                    .col(big_integer(Document::SizeBytes))
                    .col(string(Document::Sha256))
                    .col(string_uniq(Document::StorageKey))
                    .col(string(Document::Visibility))
                    .col(integer_null(Document::UploadedBy))
                    .col(timestamp_with_time_zone(Document::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_document_customer")
                            .from(Document::Table, Document::CustomerId)
                            .to(Customer::Table, Customer::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(&mut job_fk(
                        "fk_document_job",
                        Document::Table,
                        Document::JobId,
                    ))
                    .foreign_key(&mut user_fk(
                        "fk_document_uploaded_by",
                        Document::Table,
                        Document::UploadedBy,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_document_customer",
            Document::Table,
            Document::CustomerId,
        )
        .await?;
        index(manager, "ix_document_job", Document::Table, Document::JobId).await?;

        manager
            .create_table(
                Table::create()
                    .table(Message::Table)
                    .col(pk_auto(Message::Id))
                    .col(integer(Message::JobId))
                    .col(integer(Message::AuthorUserId))
                    .col(text(Message::Body))
                    .col(timestamp_with_time_zone(Message::CreatedAt))
                    .foreign_key(&mut job_fk(
                        "fk_message_job",
                        Message::Table,
                        Message::JobId,
                    ))
                    .foreign_key(&mut user_fk(
                        "fk_message_author",
                        Message::Table,
                        Message::AuthorUserId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_message_job", Message::Table, Message::JobId).await?;

        manager
            .create_table(
                Table::create()
                    .table(MessageRead::Table)
                    .col(integer(MessageRead::JobId))
                    .col(integer(MessageRead::UserId))
                    .col(integer(MessageRead::LastReadMessageId))
                    .primary_key(
                        Index::create()
                            .col(MessageRead::JobId)
                            .col(MessageRead::UserId),
                    )
                    .foreign_key(&mut job_fk(
                        "fk_message_read_job",
                        MessageRead::Table,
                        MessageRead::JobId,
                    ))
                    .foreign_key(&mut user_fk(
                        "fk_message_read_user",
                        MessageRead::Table,
                        MessageRead::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // The audit page filters by subject ("job:12") and by who acted.
        index(
            manager,
            "ix_audit_event_subject",
            AuditEvent::Table,
            AuditEvent::Subject,
        )
        .await?;
        index(
            manager,
            "ix_audit_event_actor",
            AuditEvent::Table,
            AuditEvent::ActorUserId,
        )
        .await
    }
}

async fn add_column<T: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    table: T,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

/// The lines of a quote or an invoice: the same shape, deleted with their parent (only a draft
/// can be deleted; the services enforce that).
async fn create_lines<T, C, P, K>(
    manager: &SchemaManager<'_>,
    table: T,
    parent_column: C,
    parent_table: P,
    parent_key: K,
) -> Result<(), DbErr>
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
    P: IntoIden + 'static,
    K: IntoIden + 'static,
{
    manager
        .create_table(
            Table::create()
                .table(table.clone())
                .col(pk_auto(Line::Id))
                .col(integer(parent_column.clone()))
                .col(integer(Line::Position))
                .col(text(Line::Description))
                .col(big_integer(Line::QuantityHundredths))
                .col(string(Line::Unit))
                .col(big_integer(Line::UnitPriceCents))
                .col(integer(Line::VatRate))
                .col(big_integer(Line::NetCents))
                .col(big_integer(Line::VatCents))
                .foreign_key(
                    ForeignKey::create()
                        .from(table.clone(), parent_column.clone())
                        .to(parent_table, parent_key)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name(format!("ix_{}_parent", table.clone().into_iden()))
                .table(table)
                .col(parent_column)
                .to_owned(),
        )
        .await
}

fn job_fk<T: IntoIden + 'static, C: IntoIden + 'static>(
    name: &str,
    table: T,
    column: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Job::Table, Job::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn user_fk<T: IntoIden + 'static, C: IntoIden + 'static>(
    name: &str,
    table: T,
    column: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

async fn index<T: IntoIden + 'static, C: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    column: C,
) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name(name)
                .table(table)
                .col(column)
                .to_owned(),
        )
        .await
}

async fn unique_index<T: IntoIden + 'static, C: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    column: C,
) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name(name)
                .table(table)
                .col(column)
                .unique()
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum Company {
    Table,
    Address,
    KvkNumber,
    VatNumber,
    Iban,
    InvoicePrefix,
    PaymentTermDays,
    BrandColour,
    LogoDocumentId,
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
    Address,
    Postcode,
    City,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Job {
    Table,
    Id,
    OriginNotes,
    DestinationNotes,
    ConfirmedDate,
    SlotStart,
    SlotEnd,
    VolumeM3,
    Notes,
    Eta,
}

#[derive(DeriveIden)]
enum JobEvent {
    Table,
    Id,
    JobId,
    At,
    ActorUserId,
    FromStatus,
    ToStatus,
    Note,
    Eta,
}

#[derive(DeriveIden)]
enum Quote {
    Table,
    Id,
    JobId,
    Version,
    Status,
    ValidUntil,
    NetCents,
    VatCents,
    TotalCents,
    CreatedAt,
    CreatedBy,
    SentAt,
    DecidedAt,
    DecidedBy,
    SignedName,
    SignedIp,
    DeclineReason,
}

#[derive(DeriveIden, Clone)]
enum QuoteLine {
    Table,
    QuoteId,
}

#[derive(DeriveIden, Clone)]
enum InvoiceLine {
    Table,
    InvoiceId,
}

#[derive(DeriveIden)]
enum Line {
    Id,
    Position,
    Description,
    QuantityHundredths,
    Unit,
    UnitPriceCents,
    VatRate,
    NetCents,
    VatCents,
}

#[derive(DeriveIden)]
enum Invoice {
    Table,
    Id,
    CustomerId,
    JobId,
    QuoteId,
    Kind,
    CreditsInvoiceId,
    Number,
    Year,
    Sequence,
    Status,
    IssueDate,
    DueDate,
    NetCents,
    VatCents,
    TotalCents,
    PaidCents,
    CreatedAt,
    IssuedAt,
}

#[derive(DeriveIden)]
enum InvoiceCounter {
    Table,
    Year,
    LastSequence,
}

#[derive(DeriveIden)]
enum Payment {
    Table,
    Id,
    InvoiceId,
    AmountCents,
    Method,
    Reference,
    ReceivedAt,
    RecordedBy,
}

#[derive(DeriveIden)]
enum Document {
    Table,
    Id,
    CustomerId,
    JobId,
    Kind,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    StorageKey,
    Visibility,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Message {
    Table,
    Id,
    JobId,
    AuthorUserId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MessageRead {
    Table,
    JobId,
    UserId,
    LastReadMessageId,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Subject,
    ActorUserId,
}
