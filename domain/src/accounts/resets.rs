//! Password reset by e-mail: a link that works once, for one hour, stored as a hash; a newer
//! link revokes the earlier ones, and an account gets at most three reset mails an hour. Using it
//! still needs the second factor (an authenticator code or a recovery code), and it does not
//! sign anyone in: afterwards the person signs in as usual.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};

use super::{password_credential, password_reset as entity, secrets, sign_in, user};
use crate::{
    audit::{self, AuditAction, AuditEntry, RequestOrigin},
    mail, DomainError,
};

pub const VALID_FOR: Duration = Duration::hours(1);

/// At most this many reset mails per account in [`CAP_WINDOW`]; more requests are answered
/// the same but send nothing, so the form cannot be used to flood someone's inbox.
pub const MAILS_PER_WINDOW: u64 = 3;
pub const CAP_WINDOW: Duration = Duration::hours(1);

/// What a reset request did; the caller answers the same in every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRequest {
    /// A link was put in the outbox (earlier open links stop working).
    Sent,
    /// No account with a password has this address.
    NoAccount,
    /// The account had its [`MAILS_PER_WINDOW`] mails already.
    Capped,
}

/// Sends a reset link if the address belongs to someone with a password. Known and unknown
/// addresses cost the same work, so neither the answer nor its timing tells them apart: a token
/// is made and hashed either way, and either way one transaction writes and commits the audit
/// row (SQLite's commit, an fsync, is most of the time). A newer link revokes the earlier ones.
pub async fn request<C>(
    db: &C,
    now: DateTime<Utc>,
    email: &str,
    company_name: &str,
    public_url: &str,
    origin: &RequestOrigin,
) -> Result<ResetRequest, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let token = secrets::random_token()?;
    let token_hash = secrets::hash_token(&token);
    let txn = db.begin().await?;
    let person = sign_in::find_user_by_email(&txn, email)
        .await?
        .filter(|u| u.disabled_at.is_none());
    let has_password = match &person {
        Some(p) => password_credential::Entity::find_by_id(p.id)
            .one(&txn)
            .await?
            .is_some(),
        None => false,
    };
    let recent = match &person {
        Some(p) => {
            entity::Entity::find()
                .filter(entity::Column::UserId.eq(p.id))
                .filter(entity::Column::CreatedAt.gt(now - CAP_WINDOW))
                .count(&txn)
                .await?
        }
        None => 0,
    };
    let outcome = match &person {
        Some(_) if !has_password => ResetRequest::NoAccount,
        None => ResetRequest::NoAccount,
        Some(_) if recent >= MAILS_PER_WINDOW => ResetRequest::Capped,
        Some(_) => ResetRequest::Sent,
    };
    let (subject, detail) = match (&person, outcome) {
        (Some(p), ResetRequest::Sent) => (format!("user:{}", p.id), None),
        (Some(p), ResetRequest::Capped) => (
            format!("user:{}", p.id),
            Some(format!(
                "no mail: {MAILS_PER_WINDOW} already in the last hour"
            )),
        ),
        _ => (
            "unknown account".to_owned(),
            Some("no account with a password has this address".to_owned()),
        ),
    };
    audit::record(
        &txn,
        now,
        AuditEntry {
            actor_user_id: None,
            action: AuditAction::PasswordResetRequested,
            subject,
            origin,
            detail,
        },
    )
    .await?;
    if let (Some(person), ResetRequest::Sent) = (&person, outcome) {
        send(
            &txn,
            now,
            person,
            token_hash,
            &token,
            company_name,
            public_url,
        )
        .await?;
    }
    crate::live::commit(txn).await?;
    Ok(outcome)
}

async fn send(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    person: &user::Model,
    token_hash: String,
    token: &str,
    company_name: &str,
    public_url: &str,
) -> Result<(), DomainError> {
    // Earlier open links stop working: only the newest mail's link is any good.
    entity::Entity::update_many()
        .col_expr(entity::Column::UsedAt, Expr::value(now))
        .filter(entity::Column::UserId.eq(person.id))
        .filter(entity::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    entity::ActiveModel {
        user_id: Set(person.id),
        token_hash: Set(token_hash),
        created_at: Set(now),
        expires_at: Set(now + VALID_FOR),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let link = format!(
        "{}/reset-password/{token}",
        public_url.trim_end_matches('/')
    );
    let body = format!(
        "Hello {name},\n\n\
         Someone asked to reset the password of your {company_name} portal account.\n\
         Choose a new password here (the link works once, for one hour; you will also need\n\
         the code from your authenticator app or a recovery code):\n\n\
         {link}\n\n\
         If this was not you, ignore this e-mail: your password stays as it is.\n",
        name = person.display_name,
    );
    mail::enqueue(txn, now, &person.email, "Reset your password", &body).await?;
    Ok(())
}

/// The person behind an open (unused, unexpired) reset link.
pub async fn open(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    token: &str,
) -> Result<Option<(entity::Model, user::Model)>, DomainError> {
    let Some(row) = entity::Entity::find()
        .filter(entity::Column::TokenHash.eq(secrets::hash_token(token)))
        .filter(entity::Column::UsedAt.is_null())
        .filter(entity::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let person = user::Entity::find_by_id(row.user_id)
        .one(db)
        .await?
        .filter(|u| u.disabled_at.is_none());
    Ok(person.map(|p| (row, p)))
}

/// Uses up a reset link; false when it was used meanwhile.
pub async fn mark_used(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    reset_id: i32,
) -> Result<bool, DomainError> {
    let updated = entity::Entity::update_many()
        .col_expr(entity::Column::UsedAt, Expr::value(now))
        .filter(entity::Column::Id.eq(reset_id))
        .filter(entity::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Sets the new password from a reset link, once: the link is used up first, in the same
/// transaction as the new hash, the end of every session and the audit row, so two uses at the
/// same moment cannot both succeed and a failure leaves the link usable. `how` names the
/// factor that was checked with it.
pub async fn complete(
    db: &impl TransactionTrait,
    stamp: &crate::audit::Stamp,
    reset_id: i32,
    user_id: i32,
    password_hash: &str,
    how: &str,
) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    if !mark_used(&txn, stamp.at, reset_id).await? {
        return Err(DomainError::Conflict(
            "This reset link was already used.".into(),
        ));
    }
    sign_in::save_password_hash(&txn, stamp.at, user_id, password_hash).await?;
    super::session::end_all(&txn, user_id, None).await?;
    stamp
        .record(
            &txn,
            AuditAction::PasswordReset,
            format!("user:{user_id}"),
            Some(format!("{how}; all sessions ended")),
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(())
}
