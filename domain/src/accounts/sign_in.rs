//! Signing in with e-mail and password, then a second factor (a TOTP code or a recovery code).
//!
//! Every refusal is the same [`Refused`], whatever the reason (unknown e-mail, wrong password,
//! locked account, no second factor), and costs one argon2 verification, so that neither the
//! answer nor its timing tells whether an account exists. The reason goes to the audit log.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{
    at_rest::{self, AtRestKey},
    password::PasswordHasher,
    password_credential, recovery_code, secrets, throttle,
    totp::TotpSecret,
    totp_credential, user,
};
use crate::{
    audit::{self, AuditAction, AuditEntry, RequestOrigin},
    DomainError,
};

/// The one answer to a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

/// Which second factor completed a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
}

/// E-mail addresses are compared trimmed and in lower case.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, DomainError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(normalise_email(email)))
        .one(db)
        .await?)
}

/// Whether the person has a second factor that a password sign-in can be completed with.
pub async fn has_second_factor(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<bool, DomainError> {
    let totp = totp_credential::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some());
    if totp {
        return Ok(true);
    }
    let codes = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?;
    Ok(codes > 0)
}

/// The first step. `Ok(Ok(user_id))` means the password was right and a second factor must follow.
pub async fn check_password(
    db: &impl ConnectionTrait,
    hasher: &PasswordHasher,
    now: DateTime<Utc>,
    email: &str,
    password: &str,
    origin: &RequestOrigin,
) -> Result<Result<i32, Refused>, DomainError> {
    let refuse = |user_id: Option<i32>, reason: &'static str| AuditEntry {
        actor_user_id: user_id,
        action: AuditAction::SignInFailed,
        subject: user_id.map_or_else(|| "unknown account".to_owned(), |id| format!("user:{id}")),
        origin,
        detail: Some(reason.to_owned()),
    };

    let Some(person) = find_user_by_email(db, email)
        .await?
        .filter(|u| u.disabled_at.is_none())
    else {
        hasher.verify_decoy(password).await?;
        audit::record(db, now, refuse(None, "unknown or disabled account")).await?;
        return Ok(Err(Refused));
    };
    let blocked = throttle::blocked_until(db, person.id, now).await?;
    let stored = password_credential::Entity::find_by_id(person.id)
        .one(db)
        .await?;
    let matches = match &stored {
        Some(credential) => hasher.verify(password, &credential.password_hash).await?,
        None => {
            hasher.verify_decoy(password).await?;
            false
        }
    };
    if blocked.is_some() {
        audit::record(
            db,
            now,
            refuse(Some(person.id), "account locked or slowed down"),
        )
        .await?;
        return Ok(Err(Refused));
    }
    if !matches {
        record_failure(db, now, person.id, origin, "wrong password").await?;
        return Ok(Err(Refused));
    }
    if !has_second_factor(db, person.id).await? {
        audit::record(
            db,
            now,
            refuse(Some(person.id), "no second factor enrolled"),
        )
        .await?;
        return Ok(Err(Refused));
    }
    Ok(Ok(person.id))
}

/// The second step, for someone whose password was just accepted.
pub async fn check_second_factor(
    db: &impl ConnectionTrait,
    key: &AtRestKey,
    now: DateTime<Utc>,
    issuer: &str,
    user_id: i32,
    code: &str,
    origin: &RequestOrigin,
) -> Result<Result<SecondFactor, Refused>, DomainError> {
    // A code sent while the account must wait is not even compared, but it counts: otherwise
    // a burst of guesses sent at once would cost less than guesses one at a time.
    if throttle::blocked_until(db, user_id, now).await?.is_some() {
        record_failure(
            db,
            now,
            user_id,
            origin,
            "second factor while locked or slowed down",
        )
        .await?;
        return Ok(Err(Refused));
    }
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let used = if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        use_totp_code(db, key, now, issuer, user_id, &digits)
            .await?
            .then_some(SecondFactor::Totp)
    } else {
        use_recovery_code(db, now, user_id, code)
            .await?
            .then_some(SecondFactor::RecoveryCode)
    };
    let Some(factor) = used else {
        record_failure(db, now, user_id, origin, "wrong second factor").await?;
        return Ok(Err(Refused));
    };
    throttle::clear(db, user_id).await?;
    if factor == SecondFactor::RecoveryCode {
        audit::record(
            db,
            now,
            AuditEntry {
                actor_user_id: Some(user_id),
                action: AuditAction::RecoveryCodeUsed,
                subject: format!("user:{user_id}"),
                origin,
                detail: None,
            },
        )
        .await?;
    }
    Ok(Ok(factor))
}

/// Accepts a TOTP code once: the step is stored with a conditional update, so two requests
/// racing with the same code cannot both win.
pub async fn use_totp_code(
    db: &impl ConnectionTrait,
    key: &AtRestKey,
    now: DateTime<Utc>,
    issuer: &str,
    user_id: i32,
    code: &str,
) -> Result<bool, DomainError> {
    let Some(credential) = totp_credential::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|t| t.confirmed_at.is_some())
    else {
        return Ok(false);
    };
    let secret = TotpSecret::from_base32(
        &key.open(&credential.secret_base32, &totp_context(user_id))?,
        issuer,
        &format!("user {user_id}"),
    )?;
    let Some(step) = secret.accept(code, now, credential.last_used_step) else {
        return Ok(false);
    };
    let updated = totp_credential::Entity::update_many()
        .col_expr(totp_credential::Column::LastUsedStep, Expr::value(step))
        .filter(totp_credential::Column::UserId.eq(user_id))
        .filter(
            Condition::any()
                .add(totp_credential::Column::LastUsedStep.is_null())
                .add(totp_credential::Column::LastUsedStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

async fn use_recovery_code(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: i32,
    code: &str,
) -> Result<bool, DomainError> {
    let normalised = secrets::normalise_recovery_code(code);
    if normalised.len() != 15 {
        return Ok(false);
    }
    let updated = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(secrets::hash_token(&normalised)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Counts a failed attempt against the account (its progressive lockout) and audits it, with
/// the lock when this failure reaches it.
pub(crate) async fn record_failure(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: i32,
    origin: &RequestOrigin,
    reason: &'static str,
) -> Result<(), DomainError> {
    let failures = throttle::record_failure(db, user_id, now).await?;
    let entry = |action, detail: String| AuditEntry {
        actor_user_id: Some(user_id),
        action,
        subject: format!("user:{user_id}"),
        origin,
        detail: Some(detail),
    };
    audit::record(
        db,
        now,
        entry(
            AuditAction::SignInFailed,
            format!("{reason} ({failures} in a row)"),
        ),
    )
    .await?;
    if failures == throttle::LOCK_AFTER_FAILURES {
        audit::record(
            db,
            now,
            entry(
                AuditAction::AccountLocked,
                format!("after {failures} failures"),
            ),
        )
        .await?;
    }
    Ok(())
}

/// Replaces a person's recovery codes with ten new ones, returned once in plain text.
pub async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: i32,
) -> Result<Vec<String>, DomainError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let mut codes = Vec::with_capacity(10);
    for _ in 0..10 {
        let code = secrets::recovery_code()?;
        recovery_code::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(secrets::hash_token(&secrets::normalise_recovery_code(
                &code,
            ))),
            created_at: Set(now),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// The associated data a person's sealed TOTP secret is bound to.
fn totp_context(user_id: i32) -> String {
    format!("totp:user:{user_id}")
}

/// Stores a confirmed TOTP secret, sealed under the at-rest key, replacing any earlier one.
pub async fn save_totp(
    db: &impl ConnectionTrait,
    key: &AtRestKey,
    now: DateTime<Utc>,
    user_id: i32,
    secret_base32: &str,
    confirmed_step: i64,
) -> Result<(), DomainError> {
    let sealed = key.seal(secret_base32, &totp_context(user_id))?;
    store_totp(db, now, user_id, &sealed, confirmed_step).await
}

/// Seals every TOTP secret still stored in plain text (rows from before encryption at rest,
/// and the demo's published secret); returns how many. Run at start-up.
pub async fn seal_plain_totp_secrets(
    db: &impl ConnectionTrait,
    key: &AtRestKey,
) -> Result<usize, DomainError> {
    let rows = totp_credential::Entity::find().all(db).await?;
    let mut sealed = 0;
    for row in rows
        .into_iter()
        .filter(|r| !at_rest::is_sealed(&r.secret_base32))
    {
        let value = key.seal(&row.secret_base32, &totp_context(row.user_id))?;
        totp_credential::Entity::update_many()
            .col_expr(totp_credential::Column::SecretBase32, Expr::value(value))
            .filter(totp_credential::Column::UserId.eq(row.user_id))
            .filter(totp_credential::Column::SecretBase32.eq(row.secret_base32))
            .exec(db)
            .await?;
        sealed += 1;
    }
    Ok(sealed)
}

/// Writes the TOTP row as given (sealed, or the demo's published secret before start-up seals
/// it).
pub(crate) async fn store_totp(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: i32,
    secret_base32: &str,
    confirmed_step: i64,
) -> Result<(), DomainError> {
    totp_credential::Entity::delete_by_id(user_id)
        .exec(db)
        .await?;
    totp_credential::ActiveModel {
        user_id: Set(user_id),
        secret_base32: Set(secret_base32.to_owned()),
        created_at: Set(now),
        confirmed_at: Set(Some(now)),
        last_used_step: Set(Some(confirmed_step)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Stores a new password hash, replacing any earlier one.
pub async fn save_password_hash(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: i32,
    hash: &str,
) -> Result<(), DomainError> {
    password_credential::Entity::delete_by_id(user_id)
        .exec(db)
        .await?;
    password_credential::ActiveModel {
        user_id: Set(user_id),
        password_hash: Set(hash.to_owned()),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}
