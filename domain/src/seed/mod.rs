//! The demo moving company that a new Portico starts with, so that `run` shows a living business.
//!
//! Dates are relative to the day the seed runs, so the demo always has a move today, next week
//! and last month.

use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, TransactionTrait,
};

use crate::{
    accounts::{contact, sign_in, user, ContactScope, StaffRole},
    company,
    customers::{entity as customer, CustomerKind},
    jobs::{self, JobStatus},
    DomainError,
};

mod cast;
mod documents;
mod stories;

use cast::CUSTOMERS;
pub use documents::attach_demo_documents;
use stories::{bill_story, demo_messages, tell_story};

/// The demo company's name, as shown in the header.
pub const DEMO_COMPANY_NAME: &str = "Van Dijk Verhuizingen";

/// Every demo person signs in with this password …
pub const DEMO_PASSWORD: &str = "demo moving day 2026";
/// … and this TOTP secret (add it to an authenticator app, or run `portico demo-code`).
/// Published in the README: demo data only, never a real account.
pub const DEMO_TOTP_SECRET: &str = "PORTICODEMOTOTPSECRETFORDEMOONLY";

/// Extra contacts: (name, e-mail, index of the customer in `CUSTOMERS`, scope).
/// Joost only views his family's move; Pieter also pays for the bakery, so he has two accounts.
const EXTRA_CONTACTS: &[(&str, &str, usize, ContactScope)] = &[(
    "Joost de Boer",
    "joost@deboer.example",
    0,
    ContactScope::Viewer,
)];
const SECOND_ACCOUNTS: &[(&str, usize, ContactScope)] =
    &[("pieter@smit.example", 2, ContactScope::Payer)];

/// What the seed created, for the start-up message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedSummary {
    pub company: String,
    pub staff: Vec<(String, StaffRole)>,
    pub contacts: Vec<String>,
    pub customers: usize,
    pub jobs: usize,
}

const STAFF: &[(&str, &str, StaffRole)] = &[
    ("Anna de Vries", "anna@vandijk.example", StaffRole::Admin),
    ("Olga Bakker", "olga@vandijk.example", StaffRole::Office),
    ("Cees Jansen", "cees@vandijk.example", StaffRole::Crew),
    ("Karim El Amrani", "karim@vandijk.example", StaffRole::Crew),
    ("Ruud Visser", "ruud@vandijk.example", StaffRole::Crew),
];

/// True when the database holds no company yet: a brand-new Portico.
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DomainError> {
    Ok(company::entity::Entity::find().count(db).await? == 0)
}

/// The demo's staff addresses: the published sign-ins by which a demo database is recognised.
pub fn demo_staff_emails() -> Vec<&'static str> {
    STAFF.iter().map(|(_, email, _)| *email).collect()
}

/// Seeds the demo company when the database is empty; returns what it created, or `None` when
/// it already holds the demo. A database with a real company is refused: the demo's published
/// sign-ins must never be added to it.
pub async fn seed_demo_if_empty<C>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<Option<SeedSummary>, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    if !is_empty(db).await? {
        return match crate::installation::inspect(db).await? {
            crate::installation::Installation::Company { name, .. } => {
                Err(DomainError::Conflict(format!(
                    "This database already holds a company ({name}); the demo is only ever \
                     written into a new, empty database."
                )))
            }
            _ => Ok(None),
        };
    }
    // One argon2 hash for everyone (same password), computed before the transaction.
    let password_hash = crate::accounts::password::hash_once(DEMO_PASSWORD).await?;
    let txn = db.begin().await?;
    if !is_empty(&txn).await? {
        return Ok(None);
    }
    let summary = insert_demo(&txn, now, &password_hash).await?;
    txn.commit().await?;
    Ok(Some(summary))
}

async fn insert_demo(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    password_hash: &str,
) -> Result<SeedSummary, DomainError> {
    company::entity::ActiveModel {
        name: Set(DEMO_COMPANY_NAME.to_owned()),
        email: Set("office@vandijk.example".to_owned()),
        phone: Set("+31 20 123 4567".to_owned()),
        time_zone: Set("Europe/Amsterdam".to_owned()),
        created_at: Set(now),
        address: Set("Transportweg 7\n1043 AJ Amsterdam".to_owned()),
        kvk_number: Set("12345678".to_owned()),
        vat_number: Set("NL001234567B01".to_owned()),
        iban: Set("NL91 ABNA 0417 1643 00".to_owned()),
        invoice_prefix: Set("VD".to_owned()),
        payment_term_days: Set(14),
        brand_colour: Set("#1f5f8b".to_owned()),
        ..Default::default()
    }
    .insert(txn)
    .await?;

    let mut crew = Vec::new();
    for (name, email, role) in STAFF {
        let person = insert_user(txn, name, email, Some(*role), now, password_hash).await?;
        if *role == StaffRole::Crew {
            crew.push(person.id);
        }
    }
    let mut accounts = Vec::new();
    let mut owners = Vec::new();
    // The demo's days are the company's days (Amsterdam), not UTC's.
    let today = jobs::local_today(now, "Europe/Amsterdam");
    let office = find_staff(txn, "olga@vandijk.example").await?;
    let mut stories = Vec::new();
    for (index, demo) in CUSTOMERS.iter().enumerate() {
        let (contact_name, contact_email) = demo.contact;
        let account = customer::ActiveModel {
            name: Set(demo.name.to_owned()),
            kind: Set(demo.kind),
            email: Set(contact_email.to_owned()),
            phone: Set(format!("+31 6 {:04} {:04}", 1200 + index, 3400 + index)),
            address: Set(demo.address.0.to_owned()),
            postcode: Set(demo.address.1.to_owned()),
            city: Set(demo.address.2.to_owned()),
            created_at: Set(now - chrono::Duration::days(60)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        accounts.push(account.id);
        let person =
            insert_user(txn, contact_name, contact_email, None, now, password_hash).await?;
        owners.push(person.id);
        contact::ActiveModel {
            customer_id: Set(account.id),
            user_id: Set(person.id),
            scope: Set(ContactScope::Owner),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        for demo_job in demo.jobs {
            stories.push((account.id, person.id, demo_job));
        }
    }
    // Jobs are created in list order (job 1 first); invoices are issued by date afterwards, so
    // their numbers follow the calendar.
    let mut billing = Vec::new();
    let mut job_count = 0;
    for (customer_id, owner, demo_job) in stories {
        job_count += 1;
        if let Some(bill) =
            tell_story(txn, now, today, office, owner, &crew, customer_id, demo_job).await?
        {
            billing.push(bill);
        }
    }
    billing.sort_by_key(|bill| bill.issue_day);
    for bill in billing {
        bill_story(txn, now, office, bill).await?;
    }
    demo_messages(txn, now, office, &owners, &crew).await?;

    let mut contacts: Vec<String> = CUSTOMERS.iter().map(|c| c.contact.1.to_owned()).collect();
    for (name, email, customer, scope) in EXTRA_CONTACTS {
        let person = insert_user(txn, name, email, None, now, password_hash).await?;
        add_contact(txn, accounts.get(*customer).copied(), person.id, *scope).await?;
        contacts.push(format!("{email} ({})", scope_name(*scope)));
    }
    for (email, customer, scope) in SECOND_ACCOUNTS {
        if let Some(person) = crate::accounts::sign_in::find_user_by_email(txn, email).await? {
            add_contact(txn, accounts.get(*customer).copied(), person.id, *scope).await?;
            contacts.push(format!(
                "{email} (also {} of {})",
                scope_name(*scope),
                CUSTOMERS[*customer].name
            ));
        }
    }
    Ok(SeedSummary {
        company: DEMO_COMPANY_NAME.to_owned(),
        staff: STAFF
            .iter()
            .map(|(_, email, role)| ((*email).to_owned(), *role))
            .collect(),
        contacts,
        customers: CUSTOMERS.len(),
        jobs: job_count,
    })
}

async fn insert_user(
    txn: &impl ConnectionTrait,
    name: &str,
    email: &str,
    role: Option<StaffRole>,
    now: DateTime<Utc>,
    password_hash: &str,
) -> Result<user::Model, DomainError> {
    let person = user::ActiveModel {
        email: Set(email.to_owned()),
        display_name: Set(name.to_owned()),
        staff_role: Set(role),
        created_at: Set(now),
        disabled_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    sign_in::save_password_hash(txn, now, person.id, password_hash).await?;
    // Published in the README anyway; start-up seals it under the at-rest key like any
    // plain row (`sign_in::seal_plain_totp_secrets`).
    sign_in::store_totp(txn, now, person.id, DEMO_TOTP_SECRET, 0).await?;
    Ok(person)
}

async fn add_contact(
    txn: &impl ConnectionTrait,
    customer_id: Option<i32>,
    user_id: i32,
    scope: ContactScope,
) -> Result<(), DomainError> {
    let customer_id = customer_id.ok_or(DomainError::NotFound("demo customer"))?;
    contact::ActiveModel {
        customer_id: Set(customer_id),
        user_id: Set(user_id),
        scope: Set(scope),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

fn scope_name(scope: ContactScope) -> &'static str {
    match scope {
        ContactScope::Owner => "owner",
        ContactScope::Payer => "payer",
        ContactScope::Viewer => "viewer",
    }
}

fn shift(day: NaiveDate, offset: i64) -> NaiveDate {
    let days = Days::new(offset.unsigned_abs());
    let shifted = if offset >= 0 {
        day.checked_add_days(days)
    } else {
        day.checked_sub_days(days)
    };
    shifted.unwrap_or(day)
}

async fn find_staff(txn: &DatabaseTransaction, email: &str) -> Result<i32, DomainError> {
    Ok(crate::accounts::sign_in::find_user_by_email(txn, email)
        .await?
        .ok_or(DomainError::NotFound("demo staff"))?
        .id)
}

/// A moment `days` from `day` at `hour:00` UTC.
fn at(day: NaiveDate, days: i64, hour: u32) -> DateTime<Utc> {
    shift(day, days)
        .and_hms_opt(hour, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default()
}

fn demo_stamp(at: DateTime<Utc>, by: i32) -> crate::audit::Stamp {
    crate::audit::Stamp::new(
        at,
        Some(by),
        crate::audit::RequestOrigin {
            ip: Some("192.0.2.10".to_owned()),
            user_agent: Some("Portico demo seed".to_owned()),
        },
    )
}
