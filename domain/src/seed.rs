//! The demo moving company that a new Portico starts with, so that `run` shows a living business.
//!
//! Dates are relative to the day the seed runs, so the demo always has a move today, next week
//! and last month.

use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait,
    TransactionSession, TransactionTrait,
};

use crate::{
    accounts::{contact, sign_in, user, ContactScope, StaffRole},
    company,
    customers::{entity as customer, CustomerKind},
    jobs::{entity as job, JobStatus},
    DomainError,
};

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

struct DemoCustomer {
    name: &'static str,
    kind: CustomerKind,
    contact: (&'static str, &'static str),
    jobs: &'static [(JobStatus, i64, &'static str, &'static str)],
}

const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        name: "Familie De Boer",
        kind: CustomerKind::Household,
        contact: ("Sanne de Boer", "sanne@deboer.example"),
        jobs: &[
            (
                JobStatus::Scheduled,
                0,
                "Keizersgracht 12, Amsterdam",
                "Oudegracht 45, Utrecht",
            ),
            (
                JobStatus::Paid,
                -40,
                "Damrak 3, Amsterdam",
                "Keizersgracht 12, Amsterdam",
            ),
        ],
    },
    DemoCustomer {
        name: "Pieter Smit",
        kind: CustomerKind::Household,
        contact: ("Pieter Smit", "pieter@smit.example"),
        jobs: &[(
            JobStatus::Quoted,
            14,
            "Lange Voorhout 8, Den Haag",
            "Markt 21, Delft",
        )],
    },
    DemoCustomer {
        name: "Bakkerij Mulder B.V.",
        kind: CustomerKind::Business,
        contact: ("Eva Mulder", "eva@bakkerijmulder.example"),
        jobs: &[
            (
                JobStatus::EnRoute,
                0,
                "Coolsingel 40, Rotterdam",
                "Witte de Withstraat 7, Rotterdam",
            ),
            (
                JobStatus::Invoiced,
                -10,
                "Blaak 16, Rotterdam",
                "Coolsingel 40, Rotterdam",
            ),
        ],
    },
    DemoCustomer {
        name: "Familie Yilmaz",
        kind: CustomerKind::Household,
        contact: ("Ayşe Yilmaz", "ayse@yilmaz.example"),
        jobs: &[(
            JobStatus::Requested,
            21,
            "Stationsplein 2, Haarlem",
            "Grote Markt 9, Groningen",
        )],
    },
    DemoCustomer {
        name: "Studio Hendriks",
        kind: CustomerKind::Business,
        contact: ("Lars Hendriks", "lars@studiohendriks.example"),
        jobs: &[
            (
                JobStatus::Completed,
                -1,
                "Vrijthof 5, Maastricht",
                "Stratumseind 30, Eindhoven",
            ),
            (
                JobStatus::Overdue,
                -45,
                "Neude 1, Utrecht",
                "Vrijthof 5, Maastricht",
            ),
        ],
    },
];

/// True when the database holds no company yet: a brand-new Portico.
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DomainError> {
    Ok(company::entity::Entity::find().count(db).await? == 0)
}

/// Seeds the demo company when the database is empty; returns what it created, or `None` when
/// there was already data (the seed never touches a database in use).
pub async fn seed_demo_if_empty<C>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<Option<SeedSummary>, DomainError>
where
    C: ConnectionTrait + TransactionTrait,
{
    if !is_empty(db).await? {
        return Ok(None);
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
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    password_hash: &str,
) -> Result<SeedSummary, DomainError> {
    company::entity::ActiveModel {
        name: Set(DEMO_COMPANY_NAME.to_owned()),
        email: Set("office@vandijk.example".to_owned()),
        phone: Set("+31 20 123 4567".to_owned()),
        time_zone: Set("Europe/Amsterdam".to_owned()),
        created_at: Set(now),
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
    let mut first_job = None;

    let today = now.date_naive();
    let mut job_count = 0;
    for (index, demo) in CUSTOMERS.iter().enumerate() {
        let (contact_name, contact_email) = demo.contact;
        let account = customer::ActiveModel {
            name: Set(demo.name.to_owned()),
            kind: Set(demo.kind),
            email: Set(contact_email.to_owned()),
            phone: Set(format!("+31 6 {:04} {:04}", 1200 + index, 3400 + index)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        accounts.push(account.id);
        let person =
            insert_user(txn, contact_name, contact_email, None, now, password_hash).await?;
        contact::ActiveModel {
            customer_id: Set(account.id),
            user_id: Set(person.id),
            scope: Set(ContactScope::Owner),
            ..Default::default()
        }
        .insert(txn)
        .await?;

        for (status, day_offset, origin, destination) in demo.jobs {
            job_count += 1;
            let job = job::ActiveModel {
                reference: Set(format!("MV-{}-{job_count:04}", today.format("%Y"))),
                customer_id: Set(account.id),
                status: Set(*status),
                origin_address: Set((*origin).to_owned()),
                destination_address: Set((*destination).to_owned()),
                requested_date: Set(shift(today, *day_offset)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            first_job.get_or_insert(job.id);
        }
    }

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
    // Today's move goes out with two of the crew.
    if let Some(job_id) = first_job {
        for user_id in crew.iter().take(2) {
            crate::jobs::crew_assignment::ActiveModel {
                job_id: Set(job_id),
                user_id: Set(*user_id),
            }
            .insert(txn)
            .await?;
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
    sign_in::save_totp(txn, now, person.id, DEMO_TOTP_SECRET, 0).await?;
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
