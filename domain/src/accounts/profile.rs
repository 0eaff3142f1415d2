//! A person's own details: the name others see, a phone number for moving day, the language
//! they read, and which notification mail they receive. Their own record only; audited.

use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};

use super::user;
use crate::{
    audit::{AuditAction, Stamp},
    notices::NoticeKind,
    DomainError,
};

/// The languages Portico is (or is being) written in.
pub const LANGUAGES: [(&str, &str); 2] = [("en", "English"), ("nl", "Nederlands")];

/// What the profile form sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileInput {
    pub display_name: String,
    pub phone: String,
    pub language: String,
    /// The kinds of notification mail to receive; the others are turned off.
    pub mail_on: Vec<NoticeKind>,
}

fn checked(input: &ProfileInput) -> Result<(), DomainError> {
    let name = input.display_name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(DomainError::invalid(
            "display_name",
            "Type your name (at most 120 characters).",
        ));
    }
    let phone = input.phone.trim();
    if phone.chars().count() > 40
        || !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
    {
        return Err(DomainError::invalid(
            "phone",
            "Use digits, spaces and + - ( ) only, e.g. +31 6 1234 5678.",
        ));
    }
    if !LANGUAGES.iter().any(|(code, _)| *code == input.language) {
        return Err(DomainError::invalid("language", "Choose a language."));
    }
    Ok(())
}

/// Saves the signed-in person's own details.
pub async fn update<C>(
    db: &C,
    stamp: &Stamp,
    user_id: i32,
    input: ProfileInput,
) -> Result<user::Model, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    checked(&input)?;
    let txn = db.begin().await?;
    let off: Vec<&str> = NoticeKind::ALL
        .into_iter()
        .filter(|k| !input.mail_on.contains(k))
        .map(NoticeKind::code)
        .collect();
    let done = user::Entity::update_many()
        .col_expr(
            user::Column::DisplayName,
            Expr::value(input.display_name.trim().to_owned()),
        )
        .col_expr(
            user::Column::Phone,
            Expr::value(input.phone.trim().to_owned()),
        )
        .col_expr(user::Column::Language, Expr::value(input.language.clone()))
        .col_expr(user::Column::MailOff, Expr::value(off.join(",")))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DomainError::NotFound("person"));
    }
    stamp
        .record(
            &txn,
            AuditAction::ProfileUpdated,
            format!("user:{user_id}"),
            Some(format!(
                "language {}, mail off: {}",
                input.language,
                off.join(",")
            )),
        )
        .await?;
    txn.commit().await?;
    super::admin::person(db, user_id).await
}
