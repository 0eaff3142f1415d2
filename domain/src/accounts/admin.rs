//! What staff do to other people's accounts: disable them, release a lock.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::{session, throttle, user};
use crate::DomainError;

/// Disables a person: they cannot sign in, and every session of theirs ends now.
pub async fn disable_user(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: i32,
) -> Result<(), DomainError> {
    let person = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    let mut row: user::ActiveModel = person.into();
    row.disabled_at = Set(Some(now));
    row.update(db).await?;
    session::end_all(db, user_id, None).await?;
    Ok(())
}

/// Lifts a lockout before it expires.
pub async fn release_lock(db: &impl ConnectionTrait, user_id: i32) -> Result<(), DomainError> {
    throttle::clear(db, user_id).await
}

/// Gives a member of staff another role. Their sessions end, so the new role applies from their
/// next sign-in (a privilege change never keeps an old session id).
pub async fn change_role(
    db: &impl ConnectionTrait,
    user_id: i32,
    role: super::StaffRole,
) -> Result<super::StaffRole, DomainError> {
    let person = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    let Some(previous) = person.staff_role else {
        return Err(DomainError::Conflict(
            "Only staff have a role; customers' contacts have a scope.".into(),
        ));
    };
    let mut row: user::ActiveModel = person.into();
    row.staff_role = Set(Some(role));
    row.update(db).await?;
    session::end_all(db, user_id, None).await?;
    Ok(previous)
}
