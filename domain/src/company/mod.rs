//! The company that runs this Portico: its name and contact details, shown on every page.

pub mod entity;

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::DomainError;
pub use entity::Model as Company;

/// The company's profile. A Portico serves one company; the first row is it.
pub async fn profile(db: &impl ConnectionTrait) -> Result<Company, DomainError> {
    entity::Entity::find()
        .order_by_asc(entity::Column::Id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("company profile"))
}
