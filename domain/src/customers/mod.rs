//! Customer accounts: the households and businesses a company moves.

pub mod entity;

pub use entity::{CustomerKind, Model as Customer};

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::DomainError;

/// One customer account; "not found" when there is none with that id.
pub async fn find(db: &impl ConnectionTrait, id: i32) -> Result<Customer, DomainError> {
    entity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("customer"))
}

/// The customer accounts with these ids, in one query.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<Customer>, DomainError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(entity::Entity::find()
        .filter(entity::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// Every customer account, by name (staff use; the customers issue adds search and paging).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Customer>, DomainError> {
    Ok(entity::Entity::find()
        .order_by_asc(entity::Column::Name)
        .all(db)
        .await?)
}
