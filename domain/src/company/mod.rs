//! The company that runs this Portico: its name and contact details, shown on every page.

pub mod entity;

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::DomainError;
pub use entity::Model as Company;

/// The name used in e-mails and authenticator apps; "Portico" before a company is set up.
pub async fn name_or_portico(db: &impl ConnectionTrait) -> String {
    profile(db)
        .await
        .map(|c| c.name)
        .unwrap_or_else(|_| "Portico".to_owned())
}

/// The company's profile. A Portico serves one company; the first row is it.
pub async fn profile(db: &impl ConnectionTrait) -> Result<Company, DomainError> {
    entity::Entity::find()
        .order_by_asc(entity::Column::Id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("company profile"))
}
