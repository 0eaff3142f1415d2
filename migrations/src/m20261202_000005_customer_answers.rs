//! What the customer's own answers need: an acceptance records the browser it came from and the
//! SHA-256 of the frozen quote PDF it accepted (so either side can later prove which document
//! was accepted) and the receipt frozen at that moment; a move counts the changes of its date so
//! that a calendar entry already downloaded is replaced, not duplicated (iCalendar's
//! `SEQUENCE`); requests to the office, profile fields, notification throttling and e-mail
//! address changes awaiting their confirmation link.

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
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerRequest::Table)
                    .col(pk_auto(CustomerRequest::Id))
                    .col(integer(CustomerRequest::JobId))
                    .col(integer_null(CustomerRequest::QuoteId))
                    .col(string(CustomerRequest::Kind))
                    .col(string(CustomerRequest::Status))
                    .col(integer_null(CustomerRequest::AskedBy))
                    .col(timestamp_with_time_zone(CustomerRequest::AskedAt))
                    .col(text(CustomerRequest::Note))
                    .col(text(CustomerRequest::PreferredDates))
                    .col(integer_null(CustomerRequest::AnsweredBy))
                    .col(timestamp_with_time_zone_null(CustomerRequest::AnsweredAt))
                    .col(text_null(CustomerRequest::AnswerNote))
                    .col(date_null(CustomerRequest::ChosenDate))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerRequest::Table, CustomerRequest::JobId)
                            .to(Job::Table, Job::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for column in [
            string(Users::Phone).default(""),
            string(Users::Language).default("en"),
            text(Users::MailOff).default(""),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(MailNotice::Table)
                    .col(pk_auto(MailNotice::Id))
                    .col(integer(MailNotice::JobId))
                    .col(string(MailNotice::ToAddress))
                    .col(string(MailNotice::Kind))
                    .col(timestamp_with_time_zone(MailNotice::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mail_notice_job_to")
                    .table(MailNotice::Table)
                    .col(MailNotice::JobId)
                    .col(MailNotice::ToAddress)
                    .to_owned(),
            )
            .await?;
        // A change of e-mail address waits here until the link sent to the new address is
        // used: single use, expiring, stored only as a hash, like a password reset.
        manager
            .create_table(
                Table::create()
                    .table(EmailChange::Table)
                    .col(pk_auto(EmailChange::Id))
                    .col(integer(EmailChange::UserId))
                    .col(string(EmailChange::NewEmail))
                    .col(string_uniq(EmailChange::TokenHash))
                    .col(timestamp_with_time_zone(EmailChange::CreatedAt))
                    .col(timestamp_with_time_zone(EmailChange::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailChange::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_email_change_user")
                            .from(EmailChange::Table, EmailChange::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customer_request_job_status")
                    .table(CustomerRequest::Table)
                    .col(CustomerRequest::JobId)
                    .col(CustomerRequest::Status)
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
    Id,
    ScheduleSequence,
}

#[derive(DeriveIden)]
enum CustomerRequest {
    Table,
    Id,
    JobId,
    QuoteId,
    Kind,
    Status,
    AskedBy,
    AskedAt,
    Note,
    PreferredDates,
    AnsweredBy,
    AnsweredAt,
    AnswerNote,
    ChosenDate,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Phone,
    Language,
    MailOff,
}

#[derive(DeriveIden)]
enum EmailChange {
    Table,
    Id,
    UserId,
    NewEmail,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum MailNotice {
    Table,
    Id,
    JobId,
    ToAddress,
    Kind,
    SentAt,
}
