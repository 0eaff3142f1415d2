//! Changing one's e-mail address. The person asks (the caller has checked a recent proof that
//! it is them); a link goes to the new address, and the old address is told at once, so a
//! stolen session cannot quietly move the account to another inbox. The link works once, for
//! [`VALID_FOR`], is stored only as a hash, and is used by the same person signed in; then the
//! address changes and the old one is told again. An address that belongs to someone else is
//! answered exactly like a free one (its owner gets a note instead of a link), so the form
//! cannot be used to find out who has an account.

use chrono::Duration;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};

use super::{secrets, sign_in::normalise_email, user};
use crate::{
    audit::{AuditAction, Stamp},
    mail, DomainError,
};

/// How long the confirmation link works.
pub const VALID_FOR: Duration = Duration::hours(24);

/// Where the link leads, before the token.
pub const LINK_PATH: &str = "/account/email/";

pub mod entity {
    //! The `email_change` table: a change of address waiting for its confirmation link.

    use sea_orm::entity::prelude::*;

    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "email_change")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        pub new_email: String,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("EmailChange")
                .field("id", &self.id)
                .field("user_id", &self.user_id)
                .finish_non_exhaustive()
        }
    }
}

/// "sanne@deboer.example" → "s…@deboer.example": enough for the owner to recognise, not a
/// full address in a mail to the old inbox.
fn masked(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".to_owned(),
    }
}

/// Asks to move `user_id`'s account to `new_email`. Earlier open requests stop working.
pub async fn request(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
    new_email: &str,
    company_name: &str,
    public_url: &str,
) -> Result<(), DomainError> {
    let address = normalise_email(new_email);
    if !super::invitations::looks_like_email(&address) {
        return Err(DomainError::invalid(
            "email",
            "Enter an e-mail address like name@example.nl.",
        ));
    }
    let token = secrets::random_token()?;
    let txn = db.begin().await?;
    let person = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    if person.email == address {
        return Err(DomainError::invalid(
            "email",
            "This is your address already.",
        ));
    }
    entity::Entity::update_many()
        .col_expr(entity::Column::UsedAt, Expr::value(stamp.at))
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    let taken = user::Entity::find()
        .filter(user::Column::Email.eq(&address))
        .one(&txn)
        .await?
        .is_some();
    let base = public_url.trim_end_matches('/');
    if taken {
        mail::enqueue(
            &txn,
            stamp.at,
            &address,
            &format!("Your address at {company_name}"),
            &format!(
                "Hello,\n\nSomeone signed in to the {company_name} portal asked to use this \
                 address for their account. It already belongs to an account, so nothing \
                 changed and nothing needs doing.\n\nIf you did not expect this, you can ignore \
                 this e-mail.\n"
            ),
        )
        .await?;
    } else {
        entity::ActiveModel {
            user_id: Set(user_id),
            new_email: Set(address.clone()),
            token_hash: Set(secrets::hash_token(&token)),
            created_at: Set(stamp.at),
            expires_at: Set(stamp.at + VALID_FOR),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        mail::enqueue(
            &txn,
            stamp.at,
            &address,
            &format!("Confirm your new address at {company_name}"),
            &format!(
                "Hello {},\n\nTo use this address for the {company_name} portal, open this \
                 link while signed in (it works once, for 24 hours):\n\n{base}{LINK_PATH}{token}\n\n\
                 If you did not ask for this, ignore this e-mail: nothing changes.\n",
                person.display_name
            ),
        )
        .await?;
    }
    mail::enqueue(
        &txn,
        stamp.at,
        &person.email,
        &format!("A new e-mail address was asked for at {company_name}"),
        &format!(
            "Hello {},\n\nSomeone signed in as you asked to move your {company_name} portal \
             account to {}. It changes only when the link sent there is used.\n\n\
             If this was not you, sign in at {base}/sign-in, end your other sessions on the \
             security page and change your password, or call {company_name}.\n",
            person.display_name,
            masked(&address),
        ),
    )
    .await?;
    stamp
        .record(
            &txn,
            AuditAction::EmailChangeRequested,
            format!("user:{user_id}"),
            Some(format!("to {}", masked(&address))),
        )
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Uses a confirmation link for the signed-in `user_id`: the address changes, the old one is
/// told. Someone else's link is "not found"; a spent or expired one is a conflict.
pub async fn confirm(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
    token: &str,
    company_name: &str,
) -> Result<String, DomainError> {
    let txn = db.begin().await?;
    let row = entity::Entity::find()
        .filter(entity::Column::TokenHash.eq(secrets::hash_token(token)))
        .one(&txn)
        .await?
        .filter(|row| row.user_id == user_id)
        .ok_or(DomainError::NotFound("e-mail change"))?;
    if row.used_at.is_some() || row.expires_at <= stamp.at {
        return Err(DomainError::Conflict(
            "This link no longer works. Ask for the change again on the security page.".into(),
        ));
    }
    // Spent first, in the same statement that checks it is still open: two uses at once
    // change the address once.
    let spent = entity::Entity::update_many()
        .col_expr(entity::Column::UsedAt, Expr::value(stamp.at))
        .filter(entity::Column::Id.eq(row.id))
        .filter(entity::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(DomainError::Conflict("This link was just used.".into()));
    }
    let person = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    let old = person.email.clone();
    let mut update: user::ActiveModel = person.clone().into();
    update.email = Set(row.new_email.clone());
    // Another account that took the address meanwhile meets the unique key: 409.
    update.update(&txn).await?;
    mail::enqueue(
        &txn,
        stamp.at,
        &old,
        &format!("Your e-mail address at {company_name} was changed"),
        &format!(
            "Hello {},\n\nYour {company_name} portal account now uses {}. Mail about your \
             moves goes there from now on, and you sign in with it.\n\n\
             If this was not you, call {company_name} straight away.\n",
            person.display_name,
            masked(&row.new_email),
        ),
    )
    .await?;
    stamp
        .record(
            &txn,
            AuditAction::EmailChanged,
            format!("user:{user_id}"),
            Some(format!("{} → {}", masked(&old), masked(&row.new_email))),
        )
        .await?;
    txn.commit().await?;
    Ok(row.new_email)
}

/// The address a person asked to move to and has not confirmed yet, if the link still works.
pub async fn pending(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<String>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::UsedAt.is_null())
        .filter(entity::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .map(|row| row.new_email))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_masked_address_keeps_the_first_letter_and_the_domain() {
        assert_eq!(super::masked("sanne@deboer.example"), "s…@deboer.example");
        assert_eq!(super::masked("nonsense"), "…");
    }
}
