//! What staff do to other people's accounts: change a role, disable and enable, release a
//! lock. Each change and its audit row are one transaction.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait};

use super::{session, throttle, user};
use crate::{
    audit::{AuditAction, Stamp},
    DomainError,
};

/// A person by id: not found when there is none.
pub async fn person(db: &impl ConnectionTrait, user_id: i32) -> Result<user::Model, DomainError> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("person"))
}

/// Staff act on others' accounts, not their own (that would lock an admin out by mistake).
fn not_yourself(stamp: &Stamp, user_id: i32, what: &str) -> Result<(), DomainError> {
    if stamp.by == Some(user_id) {
        return Err(DomainError::Conflict(format!(
            "You cannot {what} your own account."
        )));
    }
    Ok(())
}

/// Disables a person: they cannot sign in, and every session of theirs ends now.
pub async fn disable_user(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
) -> Result<(), DomainError> {
    not_yourself(stamp, user_id, "disable")?;
    let txn = db.begin().await?;
    let mut row: user::ActiveModel = person(&txn, user_id).await?.into();
    row.disabled_at = Set(Some(stamp.at));
    row.update(&txn).await?;
    session::end_all(&txn, user_id, None).await?;
    stamp
        .record(
            &txn,
            AuditAction::UserDisabled,
            format!("user:{user_id}"),
            None,
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(())
}

/// Lets a disabled person sign in again (their factors are as they were).
pub async fn enable_user(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    let person = person(&txn, user_id).await?;
    if person.disabled_at.is_none() {
        return Err(DomainError::Conflict(
            "This account is not disabled.".into(),
        ));
    }
    let mut row: user::ActiveModel = person.into();
    row.disabled_at = Set(None);
    row.update(&txn).await?;
    stamp
        .record(
            &txn,
            AuditAction::UserEnabled,
            format!("user:{user_id}"),
            None,
        )
        .await?;
    crate::live::commit(txn).await?;
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
pub async fn release_lock(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    person(&txn, user_id).await?;
    throttle::clear(&txn, user_id).await?;
    stamp
        .record(
            &txn,
            AuditAction::LockReleased,
            format!("user:{user_id}"),
            None,
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(())
}

/// Gives a member of staff another role. Their sessions end, so the new role applies from their
/// next sign-in (a privilege change never keeps an old session id).
pub async fn change_role(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
    role: super::StaffRole,
) -> Result<super::StaffRole, DomainError> {
    if stamp.by == Some(user_id) {
        return Err(DomainError::Conflict(
            "You cannot change your own role.".into(),
        ));
    }
    let txn = db.begin().await?;
    let person = person(&txn, user_id).await?;
    let Some(previous) = person.staff_role else {
        return Err(DomainError::Conflict(
            "Only staff have a role; customers' contacts have a scope.".into(),
        ));
    };
    let mut row: user::ActiveModel = person.into();
    row.staff_role = Set(Some(role));
    row.update(&txn).await?;
    session::end_all(&txn, user_id, None).await?;
    stamp
        .record(
            &txn,
            AuditAction::RoleChanged,
            format!("user:{user_id}"),
            Some(format!("{} → {}", previous.code(), role.code())),
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(previous)
}
