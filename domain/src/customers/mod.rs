//! Customer accounts: the households and businesses a company moves.

pub mod entity;
pub mod people;

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

/// A customer account's details, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CustomerInput {
    pub name: String,
    pub kind: Option<CustomerKind>,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
}

impl CustomerInput {
    fn checked(self) -> Result<Self, DomainError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(DomainError::invalid(
                "name",
                "Give the household's or company's name.",
            ));
        }
        if self.kind.is_none() {
            return Err(DomainError::invalid(
                "kind",
                "Choose household or business.",
            ));
        }
        let email = self.email.trim().to_lowercase();
        let looks_like_email = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
        if !looks_like_email || email.len() > 254 || email.contains(char::is_whitespace) {
            return Err(DomainError::invalid(
                "email",
                "Enter an e-mail address like name@example.nl.",
            ));
        }
        let phone = self.phone.trim().to_owned();
        if phone.chars().filter(char::is_ascii_digit).count() < 6 || phone.len() > 40 {
            return Err(DomainError::invalid(
                "phone",
                "Enter a phone number we can call.",
            ));
        }
        let postcode = self.postcode.trim().to_uppercase();
        if postcode.len() > 12 {
            return Err(DomainError::invalid(
                "postcode",
                "That postcode is too long.",
            ));
        }
        let limit = |text: &str, field: &'static str| -> Result<String, DomainError> {
            let text = text.trim();
            if text.chars().count() > 200 {
                return Err(DomainError::invalid(
                    field,
                    "Keep this under 200 characters.",
                ));
            }
            Ok(text.to_owned())
        };
        Ok(Self {
            name,
            kind: self.kind,
            email,
            phone,
            address: limit(&self.address, "address")?,
            postcode,
            city: limit(&self.city, "city")?,
        })
    }
}

/// A new customer account.
pub async fn create<C>(
    db: &C,
    stamp: &crate::audit::Stamp,
    input: CustomerInput,
) -> Result<Customer, DomainError>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, TransactionSession};
    let input = input.checked()?;
    let txn = db.begin().await?;
    let customer = entity::ActiveModel {
        name: Set(input.name),
        kind: Set(input.kind.unwrap_or(CustomerKind::Household)),
        email: Set(input.email),
        phone: Set(input.phone),
        address: Set(input.address),
        postcode: Set(input.postcode),
        city: Set(input.city),
        created_at: Set(stamp.at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    stamp
        .record(
            &txn,
            crate::audit::AuditAction::CustomerCreated,
            format!("customer:{}", customer.id),
            None,
        )
        .await?;
    txn.commit().await?;
    Ok(customer)
}

/// Saves changed details of a customer account.
pub async fn update<C>(
    db: &C,
    stamp: &crate::audit::Stamp,
    id: i32,
    input: CustomerInput,
) -> Result<Customer, DomainError>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, TransactionSession};
    let input = input.checked()?;
    let txn = db.begin().await?;
    let mut active: entity::ActiveModel = find(&txn, id).await?.into();
    active.name = Set(input.name);
    active.kind = Set(input.kind.unwrap_or(CustomerKind::Household));
    active.email = Set(input.email);
    active.phone = Set(input.phone);
    active.address = Set(input.address);
    active.postcode = Set(input.postcode);
    active.city = Set(input.city);
    let customer = active.update(&txn).await?;
    stamp
        .record(
            &txn,
            crate::audit::AuditAction::CustomerUpdated,
            format!("customer:{id}"),
            None,
        )
        .await?;
    txn.commit().await?;
    Ok(customer)
}

/// One page of customers whose name, e-mail, postcode or city contains `query` (any case),
/// by name; with the number of matches.
pub async fn search(
    db: &impl ConnectionTrait,
    query: &str,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Customer>, u64), DomainError> {
    use sea_orm::{
        sea_query::{Expr, ExprTrait, Func},
        Condition, PaginatorTrait, QueryFilter,
    };
    let mut select = entity::Entity::find();
    let query = query.trim().to_lowercase();
    if !query.is_empty() {
        // LIKE's own wildcards in the query are taken literally.
        let escaped = query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let mut any = Condition::any();
        for column in [
            entity::Column::Name,
            entity::Column::Email,
            entity::Column::Postcode,
            entity::Column::City,
        ] {
            any = any.add(
                Expr::expr(Func::lower(Expr::col(column)))
                    .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
            );
        }
        // Postcodes are typed with and without the space ("1234 AB", "1234ab").
        let compact: String = query
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        if !compact.is_empty() {
            let postcode = Func::cust("REPLACE")
                .arg(Func::lower(Expr::col(entity::Column::Postcode)))
                .arg(" ")
                .arg("");
            any = any.add(Expr::expr(postcode).like(format!("%{compact}%")));
        }
        select = select.filter(any);
    }
    let paginator = select
        .order_by_asc(entity::Column::Name)
        .order_by_asc(entity::Column::Id)
        .paginate(db, Ord::max(per_page, 1));
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page).await?;
    Ok((rows, total))
}

/// The people who sign in for a customer account, with what they may do.
pub async fn contacts(
    db: &impl ConnectionTrait,
    customer_id: i32,
) -> Result<Vec<(crate::accounts::user::Model, crate::accounts::ContactScope)>, DomainError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let links = crate::accounts::contact::Entity::find()
        .filter(crate::accounts::contact::Column::CustomerId.eq(customer_id))
        .all(db)
        .await?;
    let people = crate::accounts::user::Entity::find()
        .filter(crate::accounts::user::Column::Id.is_in(links.iter().map(|l| l.user_id)))
        .all(db)
        .await?;
    Ok(links
        .into_iter()
        .filter_map(|link| {
            people
                .iter()
                .find(|p| p.id == link.user_id)
                .map(|p| (p.clone(), link.scope))
        })
        .collect())
}
