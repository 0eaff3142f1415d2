//! The foundation: the company, the people who sign in, customer accounts and their jobs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Company::Table)
                    .col(pk_auto(Company::Id))
                    .col(string(Company::Name))
                    .col(string(Company::Email))
                    .col(string(Company::Phone))
                    .col(string(Company::TimeZone))
                    .col(timestamp_with_time_zone(Company::CreatedAt))
                    .to_owned(),
            )
            .await?;

        // "users" rather than "user": `user` is reserved in PostgreSQL.
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::DisplayName))
                    .col(string_null(Users::StaffRole))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone_null(Users::DisabledAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Customer::Table)
                    .col(pk_auto(Customer::Id))
                    .col(string(Customer::Name))
                    .col(string(Customer::Kind))
                    .col(string(Customer::Email))
                    .col(string(Customer::Phone))
                    .col(timestamp_with_time_zone(Customer::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomerContact::Table)
                    .col(pk_auto(CustomerContact::Id))
                    .col(integer(CustomerContact::CustomerId))
                    .col(integer(CustomerContact::UserId))
                    .col(string(CustomerContact::Scope))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customer_contact_customer")
                            .from(CustomerContact::Table, CustomerContact::CustomerId)
                            .to(Customer::Table, Customer::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customer_contact_user")
                            .from(CustomerContact::Table, CustomerContact::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_customer_contact_customer_user")
                    .table(CustomerContact::Table)
                    .col(CustomerContact::CustomerId)
                    .col(CustomerContact::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Job::Table)
                    .col(pk_auto(Job::Id))
                    .col(string_uniq(Job::Reference))
                    .col(integer(Job::CustomerId))
                    .col(string(Job::Status))
                    .col(string(Job::OriginAddress))
                    .col(string(Job::DestinationAddress))
                    .col(date(Job::RequestedDate))
                    .col(timestamp_with_time_zone(Job::CreatedAt))
                    .col(timestamp_with_time_zone(Job::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_job_customer")
                            .from(Job::Table, Job::CustomerId)
                            .to(Customer::Table, Customer::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_job_customer")
                    .table(Job::Table)
                    .col(Job::CustomerId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
    Name,
    Email,
    Phone,
    TimeZone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    StaffRole,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
    Name,
    Kind,
    Email,
    Phone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomerContact {
    Table,
    Id,
    CustomerId,
    UserId,
    Scope,
}

#[derive(DeriveIden)]
enum Job {
    Table,
    Id,
    Reference,
    CustomerId,
    Status,
    OriginAddress,
    DestinationAddress,
    RequestedDate,
    CreatedAt,
    UpdatedAt,
}
