//! Invitations: staff invite a customer's contact or a colleague by e-mail. The link is single
//! use, expires after 72 hours, is stored only as a hash, and leads to account set-up (a
//! passkey, or a password and an authenticator app). It never signs anyone in by itself.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::{
    contact, invitation as entity, passkey_entity, password_credential, recovery_code, secrets,
    session, sign_in::normalise_email, totp_credential, user, ContactScope, StaffRole,
};
use crate::{
    audit::{AuditAction, Stamp},
    mail, DomainError,
};

/// How long an invitation link works.
pub const VALID_FOR: Duration = Duration::hours(72);

/// Whom the invitation makes of the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invitee {
    Contact {
        customer_id: i32,
        scope: ContactScope,
    },
    Staff {
        role: StaffRole,
    },
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    Open,
    Accepted,
    Expired,
    Revoked,
}

/// An invitation as staff see it in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationSummary {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: InvitationState,
}

/// What was sent: the invitation and the link (which exists only in the e-mail).
#[derive(Debug, Clone)]
pub struct SentInvitation {
    pub invitation_id: i32,
    pub user_id: i32,
    pub link: String,
    /// As the staff list shows it.
    pub summary: InvitationSummary,
}

pub fn state_of(row: &entity::Model, now: DateTime<Utc>) -> InvitationState {
    if row.accepted_at.is_some() {
        InvitationState::Accepted
    } else if row.revoked_at.is_some() {
        InvitationState::Revoked
    } else if row.expires_at <= now {
        InvitationState::Expired
    } else {
        InvitationState::Open
    }
}

/// Invites someone. A new e-mail address becomes a new person; an existing customer contact
/// gains the new account. People who can already sign in are not sent a set-up link. The
/// person, the contact, the link, the mail and the audit row are one transaction.
pub async fn invite(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    email: &str,
    display_name: &str,
    invitee: Invitee,
    company_name: &str,
    public_url: &str,
) -> Result<SentInvitation, DomainError> {
    let now = stamp.at;
    let email = normalise_email(email);
    if !looks_like_email(&email) {
        return Err(DomainError::invalid(
            "email",
            "Enter an e-mail address like name@example.nl.",
        ));
    }
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(DomainError::invalid(
            "display_name",
            "Enter the person's name (at most 100 characters).",
        ));
    }
    let txn = db.begin().await?;
    // The first statement writes, so SQLite takes its write lock before anything is read and a
    // second invitation of the same address waits for this one (then finds the person); on
    // PostgreSQL two at once meet at the unique e-mail key, and the second gets `Taken`.
    user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::col(user::Column::Email))
        .filter(user::Column::Email.eq(&email))
        .exec(&txn)
        .await?;
    if let Invitee::Contact { customer_id, .. } = invitee {
        // The customer must exist (a made-up id is "not found", not a half-made contact).
        crate::customers::find(&txn, customer_id).await?;
    }
    let person = match user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?
    {
        Some(existing) => {
            if existing.disabled_at.is_some() {
                return Err(DomainError::Conflict(
                    "This person's account is disabled.".into(),
                ));
            }
            if matches!(invitee, Invitee::Staff { .. }) != existing.staff_role.is_some() {
                return Err(DomainError::Conflict(
                    "This e-mail address already belongs to someone on the other side (staff or customer).".into(),
                ));
            }
            if super::passkey::sign_in_methods(&txn, existing.id).await? > 0 {
                return Err(DomainError::Conflict(
                    "This person can already sign in. Add them to the account instead, or reset their access.".into(),
                ));
            }
            existing
        }
        None => {
            user::ActiveModel {
                email: Set(email.clone()),
                display_name: Set(display_name.to_owned()),
                staff_role: Set(match invitee {
                    Invitee::Staff { role } => Some(role),
                    Invitee::Contact { .. } => None,
                }),
                created_at: Set(now),
                disabled_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    if let Invitee::Contact { customer_id, scope } = invitee {
        let already = contact::Entity::find()
            .filter(contact::Column::UserId.eq(person.id))
            .filter(contact::Column::CustomerId.eq(customer_id))
            .one(&txn)
            .await?;
        if already.is_none() {
            contact::ActiveModel {
                customer_id: Set(customer_id),
                user_id: Set(person.id),
                scope: Set(scope),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            crate::live::access_changed(&txn, now, person.id).await?;
        }
    }
    let sent = issue(&txn, now, stamp.by, &person, company_name, public_url).await?;
    let kind = match invitee {
        Invitee::Staff { role } => role.code(),
        Invitee::Contact { .. } => "contact",
    };
    stamp
        .record(
            &txn,
            AuditAction::InvitationSent,
            format!("user:{}", sent.user_id),
            Some(format!("invitation {} as {kind}", sent.invitation_id)),
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(sent)
}

/// Staff-assisted recovery for someone who lost every factor: their password, authenticator,
/// recovery codes and passkeys are removed, their sessions end, and a new invitation is sent.
pub async fn reset_access(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    user_id: i32,
    company_name: &str,
    public_url: &str,
) -> Result<SentInvitation, DomainError> {
    let now = stamp.at;
    let txn = db.begin().await?;
    let person = user::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    password_credential::Entity::delete_by_id(user_id)
        .exec(&txn)
        .await?;
    totp_credential::Entity::delete_by_id(user_id)
        .exec(&txn)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    passkey_entity::Entity::delete_many()
        .filter(passkey_entity::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    session::end_all(&txn, user_id, None).await?;
    let sent = issue(&txn, now, stamp.by, &person, company_name, public_url).await?;
    stamp
        .record(
            &txn,
            AuditAction::InvitationSent,
            format!("user:{user_id}"),
            Some(format!(
                "staff-assisted reset: every factor removed, invitation {}",
                sent.invitation_id
            )),
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(sent)
}

async fn issue(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    invited_by: Option<i32>,
    person: &user::Model,
    company_name: &str,
    public_url: &str,
) -> Result<SentInvitation, DomainError> {
    // Earlier open links for this person stop working.
    entity::Entity::update_many()
        .col_expr(entity::Column::RevokedAt, Expr::value(now))
        .filter(entity::Column::UserId.eq(person.id))
        .filter(entity::Column::AcceptedAt.is_null())
        .filter(entity::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    let token = secrets::random_token()?;
    let row = entity::ActiveModel {
        user_id: Set(person.id),
        invited_by: Set(invited_by),
        token_hash: Set(secrets::hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + VALID_FOR),
        accepted_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let link = format!("{}/invitation/{token}", public_url.trim_end_matches('/'));
    let body = format!(
        "Hello {name},\n\n\
         {company_name} invites you to its customer portal, where you can follow your move,\n\
         read quotes and documents, and pay invoices.\n\n\
         Set up your account here (the link works once, for 72 hours):\n\n\
         {link}\n\n\
         If you did not expect this e-mail, you can ignore it.\n",
        name = person.display_name,
    );
    mail::enqueue(
        db,
        now,
        &person.email,
        &format!("Your invitation to the {company_name} portal"),
        &body,
    )
    .await?;
    Ok(SentInvitation {
        invitation_id: row.id,
        user_id: person.id,
        link,
        summary: InvitationSummary {
            id: row.id,
            email: person.email.clone(),
            display_name: person.display_name.clone(),
            created_at: row.created_at,
            expires_at: row.expires_at,
            state: InvitationState::Open,
        },
    })
}

/// The invitation a link points at, whatever its state; `None` for an unknown token.
pub async fn find_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<(entity::Model, user::Model)>, DomainError> {
    let Some(row) = entity::Entity::find()
        .filter(entity::Column::TokenHash.eq(secrets::hash_token(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let person = user::Entity::find_by_id(row.user_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("person"))?;
    Ok(Some((row, person)))
}

/// Marks an open invitation used; false if it was used, revoked or expired meanwhile.
pub async fn accept(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    invitation_id: i32,
) -> Result<bool, DomainError> {
    let updated = entity::Entity::update_many()
        .col_expr(entity::Column::AcceptedAt, Expr::value(now))
        .filter(entity::Column::Id.eq(invitation_id))
        .filter(entity::Column::AcceptedAt.is_null())
        .filter(entity::Column::RevokedAt.is_null())
        .filter(entity::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Revokes an open invitation.
pub async fn revoke(
    db: &impl TransactionTrait,
    stamp: &Stamp,
    invitation_id: i32,
) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    let row = entity::Entity::find_by_id(invitation_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("invitation"))?;
    if state_of(&row, stamp.at) != InvitationState::Open {
        return Err(DomainError::Conflict(
            "Only an open invitation can be revoked.".into(),
        ));
    }
    let mut update: entity::ActiveModel = row.into();
    update.revoked_at = Set(Some(stamp.at));
    update.update(&txn).await?;
    stamp
        .record(
            &txn,
            AuditAction::InvitationRevoked,
            format!("invitation:{invitation_id}"),
            None,
        )
        .await?;
    crate::live::commit(txn).await?;
    Ok(())
}

/// The newest invitations first.
pub async fn latest(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<InvitationSummary>, DomainError> {
    let rows = entity::Entity::find()
        .order_by_desc(entity::Column::Id)
        .limit(limit)
        .find_also_related(user::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(row, person)| {
            let person = person?;
            Some(InvitationSummary {
                id: row.id,
                email: person.email,
                display_name: person.display_name,
                created_at: row.created_at,
                expires_at: row.expires_at,
                state: state_of(&row, now),
            })
        })
        .collect())
}

pub(crate) fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}
