//! "My people": the contacts of a customer account as its owners manage them — who is on the
//! account and with which scope, inviting a partner or a bookkeeper as payer or viewer,
//! changing a scope, removing someone. An account never loses its last owner. Every change is
//! audited in its own transaction; every function takes the actor and asks the policy itself,
//! so a caller that forgot to cannot touch another customer's people.

use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, TransactionTrait,
};

use crate::{
    accounts::{
        contact, invitation, invitations, passkey, sign_in::normalise_email, user, ContactScope,
    },
    audit::{AuditAction, Stamp},
    mail,
    policy::{self, Action, Actor, Decision},
    DomainError,
};

/// One person on the account, as the owner sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: i32,
    pub display_name: String,
    pub email: String,
    pub scope: ContactScope,
    /// Invited, and has not set up a way to sign in yet.
    pub invited: bool,
    /// The person asking.
    pub is_you: bool,
}

fn allowed(actor: &Actor, customer_id: i32) -> Result<(), DomainError> {
    match policy::can(actor, Action::ManagePeople { customer_id }) {
        Decision::Allow => Ok(()),
        refused => Err(DomainError::Denied(refused)),
    }
}

/// The people on the account: owners first, then by name.
pub async fn on_account(
    db: &impl ConnectionTrait,
    actor: &Actor,
    customer_id: i32,
) -> Result<Vec<Person>, DomainError> {
    allowed(actor, customer_id)?;
    let mut people = Vec::new();
    for (person, scope) in super::contacts(db, customer_id).await? {
        if person.disabled_at.is_some() {
            continue;
        }
        people.push(Person {
            invited: passkey::sign_in_methods(db, person.id).await? == 0,
            is_you: actor.user_id() == Some(person.id),
            user_id: person.id,
            display_name: person.display_name,
            email: person.email,
            scope,
        });
    }
    people.sort_by(|a, b| {
        (
            a.scope != ContactScope::Owner,
            a.display_name.to_lowercase(),
        )
            .cmp(&(
                b.scope != ContactScope::Owner,
                b.display_name.to_lowercase(),
            ))
    });
    Ok(people)
}

/// What an invitation from the portal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invited {
    /// A set-up link went out (a new person, or one who never finished setting up).
    LinkSent { user_id: i32 },
    /// The person already signs in to this portal (for another account): they were added and
    /// told by e-mail; no link, since they need none.
    Added { user_id: i32 },
}

/// Invites someone to the account as payer or viewer (owners are made by changing a scope,
/// which needs the person to be on the account first).
#[allow(clippy::too_many_arguments)] // the invitation's own fields
pub async fn invite(
    db: &impl TransactionTrait,
    actor: &Actor,
    stamp: &Stamp,
    customer_id: i32,
    email: &str,
    display_name: &str,
    scope: ContactScope,
    company_name: &str,
    public_url: &str,
) -> Result<Invited, DomainError> {
    allowed(actor, customer_id)?;
    if scope == ContactScope::Owner {
        return Err(DomainError::invalid(
            "scope",
            "Invite as payer or viewer; make someone an owner once they are on the account.",
        ));
    }
    let address = normalise_email(email);
    let txn = db.begin().await?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(&address))
        .one(&txn)
        .await?;
    if let Some(person) = existing {
        let already = contact::Entity::find()
            .filter(contact::Column::CustomerId.eq(customer_id))
            .filter(contact::Column::UserId.eq(person.id))
            .one(&txn)
            .await?;
        if already.is_some() {
            return Err(DomainError::invalid(
                "email",
                "This person is already on the account.",
            ));
        }
        let signs_in = passkey::sign_in_methods(&txn, person.id).await? > 0;
        if signs_in && person.staff_role.is_none() && person.disabled_at.is_none() {
            contact::ActiveModel {
                customer_id: Set(customer_id),
                user_id: Set(person.id),
                scope: Set(scope),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let account = super::find(&txn, customer_id).await?;
            mail::enqueue(
                &txn,
                stamp.at,
                &person.email,
                &format!("You can now see {}'s moves at {company_name}", account.name),
                &format!(
                    "Hello {},\n\nYou were added to {}'s account in the {company_name} portal, \
                     as {}. Sign in as you always do to see it:\n\n{}/sign-in\n\n\
                     If you did not expect this, tell {company_name} by replying to this e-mail.\n",
                    person.display_name,
                    account.name,
                    scope_words(scope),
                    public_url.trim_end_matches('/'),
                ),
            )
            .await?;
            stamp
                .record(
                    &txn,
                    AuditAction::ContactAdded,
                    format!("user:{}", person.id),
                    Some(format!("customer {customer_id} as {}", scope_words(scope))),
                )
                .await?;
            crate::live::access_changed(&txn, stamp.at, person.id).await?;
            crate::live::commit(txn).await?;
            return Ok(Invited::Added { user_id: person.id });
        }
    }
    crate::live::commit(txn).await?;
    let sent = invitations::invite(
        db,
        stamp,
        &address,
        display_name,
        invitations::Invitee::Contact { customer_id, scope },
        company_name,
        public_url,
    )
    .await
    .map_err(|error| match error {
        // Someone on the staff side: the owner learns only that this address cannot be used.
        DomainError::Conflict(_) => DomainError::invalid(
            "email",
            "This address cannot be invited to a customer account. Use another one, or ask the office.",
        ),
        other => other,
    })?;
    Ok(Invited::LinkSent {
        user_id: sent.user_id,
    })
}

/// Changes what a person may do on the account. The last owner stays an owner.
pub async fn change_scope(
    db: &impl TransactionTrait,
    actor: &Actor,
    stamp: &Stamp,
    customer_id: i32,
    user_id: i32,
    scope: ContactScope,
) -> Result<(), DomainError> {
    allowed(actor, customer_id)?;
    let txn = db.begin().await?;
    let links = lock_contacts(&txn, customer_id).await?;
    let link = links
        .iter()
        .find(|l| l.user_id == user_id)
        .ok_or(DomainError::NotFound("contact"))?;
    if link.scope == scope {
        return Ok(());
    }
    if link.scope == ContactScope::Owner && owners(&links) == 1 {
        return Err(DomainError::invalid(
            "scope",
            "The account needs an owner: make someone else an owner first.",
        ));
    }
    let before = link.scope;
    let mut update: contact::ActiveModel = link.clone().into();
    update.scope = Set(scope);
    update.update(&txn).await?;
    stamp
        .record(
            &txn,
            AuditAction::ContactScopeChanged,
            format!("user:{user_id}"),
            Some(format!(
                "customer {customer_id}: {} → {}",
                scope_words(before),
                scope_words(scope)
            )),
        )
        .await?;
    crate::live::access_changed(&txn, stamp.at, user_id).await?;
    crate::live::commit(txn).await?;
    Ok(())
}

/// Takes a person off the account. The last owner cannot be removed. Someone left with no
/// account at all is signed out everywhere and their open invitations are revoked.
pub async fn remove(
    db: &impl TransactionTrait,
    actor: &Actor,
    stamp: &Stamp,
    customer_id: i32,
    user_id: i32,
) -> Result<(), DomainError> {
    allowed(actor, customer_id)?;
    let txn = db.begin().await?;
    let links = lock_contacts(&txn, customer_id).await?;
    let link = links
        .iter()
        .find(|l| l.user_id == user_id)
        .ok_or(DomainError::NotFound("contact"))?;
    if link.scope == ContactScope::Owner && owners(&links) == 1 {
        return Err(DomainError::invalid(
            "user_id",
            "The account needs an owner: make someone else an owner before removing this one.",
        ));
    }
    contact::Entity::delete_by_id(link.id).exec(&txn).await?;
    let elsewhere = contact::Entity::find()
        .filter(contact::Column::UserId.eq(user_id))
        .one(&txn)
        .await?;
    let mut detail = format!("customer {customer_id}, was {}", scope_words(link.scope));
    if elsewhere.is_none() {
        let ended = crate::accounts::session::end_all(&txn, user_id, None).await?;
        invitation::Entity::update_many()
            .col_expr(invitation::Column::RevokedAt, Expr::value(stamp.at))
            .filter(invitation::Column::UserId.eq(user_id))
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        detail.push_str(&format!("; no account left, {ended} sessions ended"));
    }
    stamp
        .record(
            &txn,
            AuditAction::ContactRemoved,
            format!("user:{user_id}"),
            Some(detail),
        )
        .await?;
    crate::live::access_changed(&txn, stamp.at, user_id).await?;
    crate::live::commit(txn).await?;
    Ok(())
}

/// The account's contact rows, written to first so that two owners changing people at once
/// take turns (SQLite's write lock, PostgreSQL's row locks) and cannot both demote the other.
async fn lock_contacts(
    txn: &impl ConnectionTrait,
    customer_id: i32,
) -> Result<Vec<contact::Model>, DomainError> {
    contact::Entity::update_many()
        .col_expr(contact::Column::Scope, Expr::col(contact::Column::Scope))
        .filter(contact::Column::CustomerId.eq(customer_id))
        .exec(txn)
        .await?;
    Ok(contact::Entity::find()
        .filter(contact::Column::CustomerId.eq(customer_id))
        .all(txn)
        .await?)
}

fn owners(links: &[contact::Model]) -> usize {
    links
        .iter()
        .filter(|l| l.scope == ContactScope::Owner)
        .count()
}

/// The scope as the owner reads it.
pub fn scope_words(scope: ContactScope) -> &'static str {
    match scope {
        ContactScope::Owner => "owner",
        ContactScope::Payer => "payer",
        ContactScope::Viewer => "viewer",
    }
}
