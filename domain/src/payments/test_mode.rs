//! Test mode: Portico's own stand-in for a payment provider, so the demo can be paid without an
//! account and the whole flow runs in a browser test. It keeps what a provider keeps about a
//! payment (the `test_checkout` table), shows a checkout page clearly labelled as a test, and
//! the page's buttons end the payment the way a bank would: the webhook is then called and
//! the status asked for exactly as with Mollie. No money moves, and a payment it books is
//! recorded with the method `test`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    entity::prelude::*,
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    DatabaseConnection, QueryFilter,
};

use super::{
    entity::{AttemptStatus, ProviderName},
    provider::{NewPayment, PaymentProvider, ProviderError, ProviderPayment},
};
use crate::DomainError;

/// The `test_checkout` table: the test provider's side of each payment.
pub mod checkout {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "test_checkout")]
    pub struct Model {
        /// `test_` and 20 letters and digits: the checkout page's address is the secret.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub amount_cents: i64,
        pub currency: String,
        pub description: String,
        pub redirect_url: String,
        pub webhook_url: String,
        /// Mollie's words: `open`, then `paid`, `failed`, `canceled` or `expired`.
        pub status: String,
        pub method: Option<String>,
        pub refunded_cents: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use checkout::Model as TestCheckout;

/// The address of a test checkout page under the portal's public address.
pub fn checkout_path(id: &str) -> String {
    format!("/pay/test/{id}")
}

pub struct TestMode {
    db: DatabaseConnection,
    public_url: String,
}

impl TestMode {
    pub fn new(db: DatabaseConnection, public_url: &str) -> Self {
        Self {
            db,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }
}

fn new_id() -> Result<String, ProviderError> {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| ProviderError::Unavailable(e.to_string()))?;
    let letters: String = bytes
        .iter()
        .map(|b| char::from(LETTERS[usize::from(*b) % LETTERS.len()]))
        .collect();
    Ok(format!("test_{letters}"))
}

fn report(row: &TestCheckout, public_url: &str) -> ProviderPayment {
    let status = AttemptStatus::from_code(&row.status).unwrap_or(AttemptStatus::Failed);
    ProviderPayment {
        id: row.id.clone(),
        status,
        amount_cents: row.amount_cents,
        currency: row.currency.clone(),
        method: row.method.clone(),
        checkout_url: (status == AttemptStatus::Open)
            .then(|| format!("{public_url}{}", checkout_path(&row.id))),
        refunded_cents: row.refunded_cents,
    }
}

fn db_down(error: DbErr) -> ProviderError {
    ProviderError::Unavailable(format!("test checkout: {error}"))
}

#[async_trait]
impl PaymentProvider for TestMode {
    fn name(&self) -> ProviderName {
        ProviderName::Test
    }

    async fn create(&self, payment: &NewPayment) -> Result<ProviderPayment, ProviderError> {
        let now = Utc::now();
        let row = checkout::ActiveModel {
            id: Set(new_id()?),
            amount_cents: Set(payment.amount_cents),
            currency: Set(payment.currency.clone()),
            description: Set(payment.description.clone()),
            redirect_url: Set(payment.redirect_url.clone()),
            webhook_url: Set(payment.webhook_url.clone().unwrap_or_default()),
            status: Set(AttemptStatus::Open.code().to_owned()),
            method: Set(None),
            refunded_cents: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.db)
        .await
        .map_err(db_down)?;
        Ok(report(&row, &self.public_url))
    }

    async fn get(&self, id: &str) -> Result<ProviderPayment, ProviderError> {
        checkout::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await
            .map_err(db_down)?
            .map(|row| report(&row, &self.public_url))
            .ok_or(ProviderError::Unknown)
    }
}

/// One test checkout, for its page.
pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<TestCheckout, DomainError> {
    checkout::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("test payment"))
}

/// The test checkout's buttons: ends an open test payment as `outcome` (paid with `method`,
/// failed, cancelled or expired). A payment already ended keeps its outcome.
pub async fn decide(
    db: &impl ConnectionTrait,
    id: &str,
    outcome: AttemptStatus,
    method: &str,
    now: DateTime<Utc>,
) -> Result<TestCheckout, DomainError> {
    if !matches!(
        outcome,
        AttemptStatus::Paid
            | AttemptStatus::Failed
            | AttemptStatus::Canceled
            | AttemptStatus::Expired
    ) {
        return Err(DomainError::invalid(
            "outcome",
            "Choose one of the buttons.",
        ));
    }
    if !matches!(method, "ideal" | "creditcard") {
        return Err(DomainError::invalid("method", "Choose iDEAL or a card."));
    }
    let updated = checkout::Entity::update_many()
        .col_expr(checkout::Column::Status, Expr::value(outcome.code()))
        .col_expr(checkout::Column::Method, Expr::value(method))
        .col_expr(checkout::Column::UpdatedAt, Expr::value(now))
        .filter(checkout::Column::Id.eq(id))
        .filter(checkout::Column::Status.eq(AttemptStatus::Open.code()))
        .exec(db)
        .await?;
    let row = find(db, id).await?;
    if updated.rows_affected != 1 {
        return Err(DomainError::Conflict(format!(
            "This test payment is already {}.",
            AttemptStatus::from_code(&row.status)
                .unwrap_or(AttemptStatus::Failed)
                .label()
        )));
    }
    Ok(row)
}

/// A refund "made in the test provider's dashboard" (the tests and the demo's story).
pub async fn refund(
    db: &impl ConnectionTrait,
    id: &str,
    cents: i64,
    now: DateTime<Utc>,
) -> Result<TestCheckout, DomainError> {
    checkout::Entity::update_many()
        .col_expr(
            checkout::Column::RefundedCents,
            Expr::col(checkout::Column::RefundedCents).add(cents),
        )
        .col_expr(checkout::Column::UpdatedAt, Expr::value(now))
        .filter(checkout::Column::Id.eq(id))
        .filter(checkout::Column::Status.eq(AttemptStatus::Paid.code()))
        .exec(db)
        .await?;
    find(db, id).await
}

/// Whether a test payment is still waiting for its button (its page shows them).
pub fn is_open(row: &TestCheckout) -> bool {
    row.status == AttemptStatus::Open.code()
}

/// Open test payments that were never decided expire like a bank's would (after an hour).
pub async fn expire_abandoned(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DomainError> {
    Ok(checkout::Entity::update_many()
        .col_expr(
            checkout::Column::Status,
            Expr::value(AttemptStatus::Expired.code()),
        )
        .col_expr(checkout::Column::UpdatedAt, Expr::value(now))
        .filter(checkout::Column::Status.eq(AttemptStatus::Open.code()))
        .filter(checkout::Column::CreatedAt.lt(now - chrono::Duration::hours(1)))
        .exec(db)
        .await?
        .rows_affected)
}
