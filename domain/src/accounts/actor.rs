//! Turns a signed-in person's id into the [`Actor`] the policy reasons about.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{contact, user};
use crate::{
    policy::{Actor, Membership},
    DomainError,
};

/// The actor for a user id from a session; a disabled or deleted user is anonymous.
pub async fn actor_for(db: &impl ConnectionTrait, user_id: i32) -> Result<Actor, DomainError> {
    let Some(person) = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.disabled_at.is_none())
    else {
        return Ok(Actor::Anonymous);
    };
    if let Some(role) = person.staff_role {
        return Ok(Actor::Staff { user_id, role });
    }
    let memberships = contact::Entity::find()
        .filter(contact::Column::UserId.eq(user_id))
        .order_by_asc(contact::Column::CustomerId)
        .all(db)
        .await?
        .into_iter()
        .map(|c| Membership {
            customer_id: c.customer_id,
            scope: c.scope,
        })
        .collect();
    Ok(Actor::Contact {
        user_id,
        memberships,
    })
}
