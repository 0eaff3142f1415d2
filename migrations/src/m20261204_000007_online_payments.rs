//! Paying an invoice online. A `payment_attempt` is one checkout at a payment provider (Mollie,
//! or Portico's own test mode): created before the customer leaves for the provider, then kept
//! up to date from what the provider itself says about it (never from the redirect or the
//! webhook's body). Three unique keys make "exactly once" a property of the schema rather than of
//! careful code:
//!
//! - `provider_id`: a provider's payment is known to Portico once;
//! - `open_invoice_id`: set to the invoice while the attempt may still be paid, cleared when it
//!   ends, so an invoice has at most one open attempt at a time;
//! - `payment.attempt_id`: an attempt books at most one payment row.
//!
//! `test_checkout` is the test provider's side of the counter: what a real provider would keep
//! about a payment, kept here so that the demo and the browser tests go through the same webhook
//! and status questions as a real payment.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentAttempt::Table)
                    .col(pk_auto(PaymentAttempt::Id))
                    .col(integer(PaymentAttempt::InvoiceId))
                    .col(string(PaymentAttempt::Provider))
                    .col(string_null(PaymentAttempt::ProviderId))
                    .col(integer_null(PaymentAttempt::OpenInvoiceId))
                    .col(string(PaymentAttempt::Status))
                    .col(big_integer(PaymentAttempt::AmountCents))
                    .col(string(PaymentAttempt::Currency))
                    .col(string_null(PaymentAttempt::Method))
                    .col(string_null(PaymentAttempt::CheckoutUrl))
                    .col(integer_null(PaymentAttempt::StartedBy))
                    .col(timestamp_with_time_zone(PaymentAttempt::CreatedAt))
                    .col(timestamp_with_time_zone(PaymentAttempt::UpdatedAt))
                    .col(timestamp_with_time_zone(PaymentAttempt::CheckedAt))
                    .col(timestamp_with_time_zone_null(PaymentAttempt::SettledAt))
                    .col(big_integer(PaymentAttempt::RefundedCents).default(0))
                    .col(string_null(PaymentAttempt::Problem))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payment_attempt_invoice")
                            .from(PaymentAttempt::Table, PaymentAttempt::InvoiceId)
                            .to(Invoice::Table, Invoice::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payment_attempt_started_by")
                            .from(PaymentAttempt::Table, PaymentAttempt::StartedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ux_payment_attempt_provider_id", PaymentAttempt::ProviderId),
            (
                "ux_payment_attempt_open_invoice",
                PaymentAttempt::OpenInvoiceId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(PaymentAttempt::Table)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_payment_attempt_invoice")
                    .table(PaymentAttempt::Table)
                    .col(PaymentAttempt::InvoiceId)
                    .to_owned(),
            )
            .await?;

        // Which attempt a payment came from (none for money the office recorded by hand).
        manager
            .alter_table(
                Table::alter()
                    .table(Payment::Table)
                    .add_column(integer_null(Payment::AttemptId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_payment_attempt")
                    .table(Payment::Table)
                    .col(Payment::AttemptId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TestCheckout::Table)
                    .col(string(TestCheckout::Id).primary_key())
                    .col(big_integer(TestCheckout::AmountCents))
                    .col(string(TestCheckout::Currency))
                    .col(string(TestCheckout::Description))
                    .col(string(TestCheckout::RedirectUrl))
                    .col(string(TestCheckout::WebhookUrl))
                    .col(string(TestCheckout::Status))
                    .col(string_null(TestCheckout::Method))
                    .col(big_integer(TestCheckout::RefundedCents).default(0))
                    .col(timestamp_with_time_zone(TestCheckout::CreatedAt))
                    .col(timestamp_with_time_zone(TestCheckout::UpdatedAt))
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum PaymentAttempt {
    Table,
    Id,
    InvoiceId,
    Provider,
    ProviderId,
    OpenInvoiceId,
    Status,
    AmountCents,
    Currency,
    Method,
    CheckoutUrl,
    StartedBy,
    CreatedAt,
    UpdatedAt,
    CheckedAt,
    SettledAt,
    RefundedCents,
    Problem,
}

#[derive(DeriveIden)]
enum Payment {
    Table,
    AttemptId,
}

#[derive(DeriveIden)]
enum Invoice {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TestCheckout {
    Table,
    Id,
    AmountCents,
    Currency,
    Description,
    RedirectUrl,
    WebhookUrl,
    Status,
    Method,
    RefundedCents,
    CreatedAt,
    UpdatedAt,
}
