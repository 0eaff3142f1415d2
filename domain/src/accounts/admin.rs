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

/// Lets a disabled person sign in again (their factors are as they were).
pub async fn enable_user(db: &impl ConnectionTrait, user_id: i32) -> Result<(), DomainError> {
    let person = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    if person.disabled_at.is_none() {
        return Err(DomainError::Conflict(
            "This account is not disabled.".into(),
        ));
    }
    let mut row: user::ActiveModel = person.into();
    row.disabled_at = Set(None);
    row.update(db).await?;
    Ok(())
}

/// Everyone who signs in, for the admin's users page: staff first, then contacts, by name;
/// with the moment a lockout ends, when one is running.
pub async fn people(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<(user::Model, Option<DateTime<Utc>>)>, DomainError> {
    use sea_orm::QueryOrder;
    let mut people = user::Entity::find()
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await?;
    people.sort_by_key(|p| p.staff_role.is_none());
    let locks = super::sign_in_throttle::Entity::find().all(db).await?;
    Ok(people
        .into_iter()
        .map(|person| {
            let locked = locks
                .iter()
                .find(|l| l.user_id == person.id)
                .and_then(|l| l.blocked_until)
                .filter(|until| *until > now);
            (person, locked)
        })
        .collect())
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
