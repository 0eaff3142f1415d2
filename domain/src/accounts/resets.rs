//! Password reset by e-mail: a link that works once, for one hour, stored as a hash. Using it
//! still needs the second factor (an authenticator code or a recovery code), and it does not
//! sign anyone in: afterwards the person signs in as usual.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter,
};

use super::{password_credential, password_reset as entity, secrets, sign_in, user};
use crate::{mail, DomainError};

pub const VALID_FOR: Duration = Duration::hours(1);

/// Sends a reset link if the address belongs to someone with a password. The caller answers
/// the same either way, so the form does not reveal who has an account.
pub async fn request(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    email: &str,
    company_name: &str,
    public_url: &str,
) -> Result<bool, DomainError> {
    let Some(person) = sign_in::find_user_by_email(db, email)
        .await?
        .filter(|u| u.disabled_at.is_none())
    else {
        return Ok(false);
    };
    if password_credential::Entity::find_by_id(person.id)
        .one(db)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    let token = secrets::random_token()?;
    entity::ActiveModel {
        user_id: Set(person.id),
        token_hash: Set(secrets::hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + VALID_FOR),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
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
    mail::enqueue(db, now, &person.email, "Reset your password", &body).await?;
    Ok(true)
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
