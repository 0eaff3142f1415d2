//! Installing Portico for a real company: the first admin is invited from the command line
//! (there is no one yet to invite them), and a database that holds the demo company, whose
//! passwords are published, is told apart from a real one so that it never serves outside demo
//! mode and the demo is never written over a real company.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};

use crate::{
    accounts::{
        invitations::{self, Invitee, SentInvitation},
        user, StaffRole,
    },
    audit::{RequestOrigin, Stamp},
    company, seed, DomainError,
};

/// What the database holds, as far as starting Portico is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installation {
    /// No company yet: a brand-new Portico.
    Empty,
    /// The demo company with its published sign-ins.
    Demo,
    /// A real company (`name`); `staff` counts the people on the staff side.
    Company { name: String, staff: u64 },
}

/// Whether the database is new, the demo, or a company's. The demo is recognised by its staff,
/// whose addresses are under `.example` (RFC 2606), which no real mailbox has.
pub async fn inspect(db: &impl ConnectionTrait) -> Result<Installation, DomainError> {
    if seed::is_empty(db).await? {
        return Ok(Installation::Empty);
    }
    let demo_people = user::Entity::find()
        .filter(user::Column::Email.is_in(seed::demo_staff_emails()))
        .count(db)
        .await?;
    if demo_people > 0 {
        return Ok(Installation::Demo);
    }
    let staff = user::Entity::find()
        .filter(user::Column::StaffRole.is_not_null())
        .count(db)
        .await?;
    Ok(Installation::Company {
        name: company::name_or_portico(db).await,
        staff,
    })
}

/// Invites an admin from the operator's console (`portico create-admin`). On a new database the
/// company is created first, named `company_name`; its details are filled in later under
/// Admin → Company. The link is the normal one (72 h, single use, stored hashed), leading to the
/// normal set-up. Refused on the demo database. The audit row is written in the same
/// transaction.
pub async fn invite_admin<C>(
    db: &C,
    now: DateTime<Utc>,
    email: &str,
    display_name: &str,
    company_name: Option<&str>,
    public_url: &str,
) -> Result<SentInvitation, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let txn = db.begin().await?;
    let company_name = match inspect(&txn).await? {
        Installation::Demo => {
            return Err(DomainError::Conflict(
                "This database holds the demo company, whose passwords are published. \
                 Install your company on a new, empty database."
                    .into(),
            ))
        }
        Installation::Company { name, .. } => name,
        Installation::Empty => {
            let name = company_name.map(str::trim).unwrap_or_default();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(DomainError::invalid(
                    "company",
                    "This is a new database: give your company's name with --company \"…\" \
                     (at most 100 characters).",
                ));
            }
            create_company(&txn, now, name).await?;
            name.to_owned()
        }
    };
    let stamp = Stamp::new(
        now,
        None,
        RequestOrigin {
            ip: None,
            user_agent: Some("portico create-admin (operator console)".to_owned()),
        },
    );
    let sent = invitations::invite(
        &txn,
        &stamp,
        email,
        display_name,
        Invitee::Staff {
            role: StaffRole::Admin,
        },
        &company_name,
        public_url,
    )
    .await?;
    txn.commit().await?;
    Ok(sent)
}

async fn create_company(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    name: &str,
) -> Result<(), DomainError> {
    company::entity::ActiveModel {
        name: Set(name.to_owned()),
        email: Set(String::new()),
        phone: Set(String::new()),
        time_zone: Set("Europe/Amsterdam".to_owned()),
        created_at: Set(now),
        address: Set(String::new()),
        kvk_number: Set(String::new()),
        vat_number: Set(String::new()),
        iban: Set(String::new()),
        invoice_prefix: Set(String::new()),
        payment_term_days: Set(14),
        brand_colour: Set("#1f5f8b".to_owned()),
        logo_document_id: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
