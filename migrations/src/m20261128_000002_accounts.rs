//! Accounts: sign-in factors, invitations and resets, sessions, throttling, the audit log,
//! the outgoing-mail outbox, and crew assignments (which the access policy needs).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One password per person; only its argon2id PHC string is kept.
        manager
            .create_table(
                Table::create()
                    .table(PasswordCredential::Table)
                    .col(integer(PasswordCredential::UserId).primary_key())
                    .col(string(PasswordCredential::PasswordHash))
                    .col(timestamp_with_time_zone(PasswordCredential::UpdatedAt))
                    .foreign_key(&mut user_fk(
                        "fk_password_credential_user",
                        PasswordCredential::Table,
                        PasswordCredential::UserId,
                    ))
                    .to_owned(),
            )
            .await?;

        // A TOTP secret is active once confirmed with a code; the last accepted time step
        // is kept so that the same code cannot be used twice.
        manager
            .create_table(
                Table::create()
                    .table(TotpCredential::Table)
                    .col(integer(TotpCredential::UserId).primary_key())
                    .col(string(TotpCredential::SecretBase32))
                    .col(timestamp_with_time_zone(TotpCredential::CreatedAt))
                    .col(timestamp_with_time_zone_null(TotpCredential::ConfirmedAt))
                    .col(big_integer_null(TotpCredential::LastUsedStep))
                    .foreign_key(&mut user_fk(
                        "fk_totp_credential_user",
                        TotpCredential::Table,
                        TotpCredential::UserId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecoveryCode::Table)
                    .col(pk_auto(RecoveryCode::Id))
                    .col(integer(RecoveryCode::UserId))
                    .col(string(RecoveryCode::CodeHash))
                    .col(timestamp_with_time_zone(RecoveryCode::CreatedAt))
                    .col(timestamp_with_time_zone_null(RecoveryCode::UsedAt))
                    .foreign_key(&mut user_fk(
                        "fk_recovery_code_user",
                        RecoveryCode::Table,
                        RecoveryCode::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_recovery_code_user",
            RecoveryCode::Table,
            RecoveryCode::UserId,
            false,
        )
        .await?;

        // The credential id is unique across all people: one authenticator key, one account.
        manager
            .create_table(
                Table::create()
                    .table(Passkey::Table)
                    .col(pk_auto(Passkey::Id))
                    .col(integer(Passkey::UserId))
                    .col(string(Passkey::Name))
                    .col(string_uniq(Passkey::CredentialId))
                    .col(text(Passkey::Credential))
                    .col(timestamp_with_time_zone(Passkey::CreatedAt))
                    .col(timestamp_with_time_zone_null(Passkey::LastUsedAt))
                    .foreign_key(&mut user_fk(
                        "fk_passkey_user",
                        Passkey::Table,
                        Passkey::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_passkey_user",
            Passkey::Table,
            Passkey::UserId,
            false,
        )
        .await?;

        // The WebAuthn user handle: random, so it says nothing about the person.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_null(Users::WebauthnHandle))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_users_webauthn_handle",
            Users::Table,
            Users::WebauthnHandle,
            true,
        )
        .await?;

        // Links sent by e-mail; only a SHA-256 of the token is stored.
        manager
            .create_table(
                Table::create()
                    .table(Invitation::Table)
                    .col(pk_auto(Invitation::Id))
                    .col(integer(Invitation::UserId))
                    .col(integer_null(Invitation::InvitedBy))
                    .col(string_uniq(Invitation::TokenHash))
                    .col(timestamp_with_time_zone(Invitation::CreatedAt))
                    .col(timestamp_with_time_zone(Invitation::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitation::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Invitation::RevokedAt))
                    .foreign_key(&mut user_fk(
                        "fk_invitation_user",
                        Invitation::Table,
                        Invitation::UserId,
                    ))
                    .foreign_key(&mut user_fk(
                        "fk_invitation_invited_by",
                        Invitation::Table,
                        Invitation::InvitedBy,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_invitation_user",
            Invitation::Table,
            Invitation::UserId,
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PasswordReset::Table)
                    .col(pk_auto(PasswordReset::Id))
                    .col(integer(PasswordReset::UserId))
                    .col(string_uniq(PasswordReset::TokenHash))
                    .col(timestamp_with_time_zone(PasswordReset::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordReset::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordReset::UsedAt))
                    .foreign_key(&mut user_fk(
                        "fk_password_reset_user",
                        PasswordReset::Table,
                        PasswordReset::UserId,
                    ))
                    .to_owned(),
            )
            .await?;

        // Progressive lockout, per account.
        manager
            .create_table(
                Table::create()
                    .table(SignInThrottle::Table)
                    .col(integer(SignInThrottle::UserId).primary_key())
                    .col(integer(SignInThrottle::Failures))
                    .col(timestamp_with_time_zone(SignInThrottle::LastFailureAt))
                    .col(timestamp_with_time_zone_null(SignInThrottle::BlockedUntil))
                    .foreign_key(&mut user_fk(
                        "fk_sign_in_throttle_user",
                        SignInThrottle::Table,
                        SignInThrottle::UserId,
                    ))
                    .to_owned(),
            )
            .await?;

        // Server-side sessions (tower-sessions records). `user_id`, `ip`, `user_agent` and
        // `last_seen_at` are copied out of the record so that a person can list and end
        // their own sessions.
        manager
            .create_table(
                Table::create()
                    .table(UserSession::Table)
                    .col(string(UserSession::Id).primary_key())
                    .col(integer_null(UserSession::UserId))
                    .col(text(UserSession::Data))
                    .col(timestamp_with_time_zone(UserSession::ExpiresAt))
                    .col(timestamp_with_time_zone(UserSession::CreatedAt))
                    .col(timestamp_with_time_zone(UserSession::LastSeenAt))
                    .col(string_null(UserSession::Ip))
                    .col(string_null(UserSession::UserAgent))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_user_session_user",
            UserSession::Table,
            UserSession::UserId,
            false,
        )
        .await?;
        index(
            manager,
            "ix_user_session_expires",
            UserSession::Table,
            UserSession::ExpiresAt,
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(pk_auto(AuditEvent::Id))
                    .col(timestamp_with_time_zone(AuditEvent::OccurredAt))
                    .col(integer_null(AuditEvent::ActorUserId))
                    .col(string(AuditEvent::Action))
                    .col(string(AuditEvent::Subject))
                    .col(string_null(AuditEvent::Ip))
                    .col(string_null(AuditEvent::UserAgent))
                    .col(text_null(AuditEvent::Detail))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_audit_event_occurred",
            AuditEvent::Table,
            AuditEvent::OccurredAt,
            false,
        )
        .await?;

        // Mail waits here until an SMTP server has accepted it.
        manager
            .create_table(
                Table::create()
                    .table(OutboxMail::Table)
                    .col(pk_auto(OutboxMail::Id))
                    .col(string(OutboxMail::ToAddress))
                    .col(string(OutboxMail::Subject))
                    .col(text(OutboxMail::BodyText))
                    .col(timestamp_with_time_zone(OutboxMail::CreatedAt))
                    .col(integer(OutboxMail::Attempts))
                    .col(timestamp_with_time_zone(OutboxMail::NextAttemptAt))
                    .col(text_null(OutboxMail::LastError))
                    .col(timestamp_with_time_zone_null(OutboxMail::SentAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_outbox_mail_next_attempt",
            OutboxMail::Table,
            OutboxMail::NextAttemptAt,
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CrewAssignment::Table)
                    .col(integer(CrewAssignment::JobId))
                    .col(integer(CrewAssignment::UserId))
                    .primary_key(
                        Index::create()
                            .col(CrewAssignment::JobId)
                            .col(CrewAssignment::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_crew_assignment_job")
                            .from(CrewAssignment::Table, CrewAssignment::JobId)
                            .to(Job::Table, Job::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut user_fk(
                        "fk_crew_assignment_user",
                        CrewAssignment::Table,
                        CrewAssignment::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_crew_assignment_user",
            CrewAssignment::Table,
            CrewAssignment::UserId,
            false,
        )
        .await
    }
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
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table).col(column);
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    WebauthnHandle,
}

#[derive(DeriveIden)]
enum Job {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PasswordCredential {
    Table,
    UserId,
    PasswordHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TotpCredential {
    Table,
    UserId,
    SecretBase32,
    CreatedAt,
    ConfirmedAt,
    LastUsedStep,
}

#[derive(DeriveIden)]
enum RecoveryCode {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Passkey {
    Table,
    Id,
    UserId,
    Name,
    CredentialId,
    Credential,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Invitation {
    Table,
    Id,
    UserId,
    InvitedBy,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum PasswordReset {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SignInThrottle {
    Table,
    UserId,
    Failures,
    LastFailureAt,
    BlockedUntil,
}

#[derive(DeriveIden)]
enum UserSession {
    Table,
    Id,
    UserId,
    Data,
    ExpiresAt,
    CreatedAt,
    LastSeenAt,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    OccurredAt,
    ActorUserId,
    Action,
    Subject,
    Ip,
    UserAgent,
    Detail,
}

#[derive(DeriveIden)]
enum OutboxMail {
    Table,
    Id,
    ToAddress,
    Subject,
    BodyText,
    CreatedAt,
    Attempts,
    NextAttemptAt,
    LastError,
    SentAt,
}

#[derive(DeriveIden)]
enum CrewAssignment {
    Table,
    JobId,
    UserId,
}
