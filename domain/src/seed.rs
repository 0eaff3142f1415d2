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
    address: (&'static str, &'static str, &'static str),
    jobs: &'static [DemoJob],
}

/// One move and how far its story has gone.
struct DemoJob {
    story: JobStatus,
    /// The moving day, in days from today.
    day: i64,
    slot: (&'static str, &'static str),
    /// Indexes into the crew (Cees, Karim, Ruud).
    crew: &'static [usize],
    origin: (&'static str, &'static str),
    destination: (&'static str, &'static str),
    volume_m3: i32,
}

const fn job(
    story: JobStatus,
    day: i64,
    slot: (&'static str, &'static str),
    crew: &'static [usize],
    origin: (&'static str, &'static str),
    destination: (&'static str, &'static str),
    volume_m3: i32,
) -> DemoJob {
    DemoJob {
        story,
        day,
        slot,
        crew,
        origin,
        destination,
        volume_m3,
    }
}

// The first job is today's move for the De Boers with Cees and Karim: tests rely on it being
// job 1. Every lifecycle state appears at least once.
const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        name: "Familie De Boer",
        kind: CustomerKind::Household,
        contact: ("Sanne de Boer", "sanne@deboer.example"),
        address: ("Keizersgracht 12", "1015 CS", "Amsterdam"),
        jobs: &[
            job(
                JobStatus::Scheduled,
                0,
                ("13:00", "15:00"),
                &[0, 1],
                (
                    "Keizersgracht 12, Amsterdam",
                    "3rd floor, narrow stairs, no lift",
                ),
                (
                    "Oudegracht 45, Utrecht",
                    "Ground floor; parking permit arranged",
                ),
                28,
            ),
            job(
                JobStatus::Paid,
                -40,
                ("08:00", "10:00"),
                &[0, 2],
                ("Damrak 3, Amsterdam", "2nd floor, lift"),
                ("Keizersgracht 12, Amsterdam", "3rd floor, narrow stairs"),
                22,
            ),
        ],
    },
    DemoCustomer {
        name: "Pieter Smit",
        kind: CustomerKind::Household,
        contact: ("Pieter Smit", "pieter@smit.example"),
        address: ("Lange Voorhout 8", "2514 ED", "Den Haag"),
        jobs: &[
            job(
                JobStatus::Quoted,
                14,
                ("08:00", "10:00"),
                &[],
                ("Lange Voorhout 8, Den Haag", "Piano on the 1st floor"),
                ("Markt 21, Delft", "Street parking only"),
                35,
            ),
            job(
                JobStatus::Declined,
                30,
                ("10:00", "12:00"),
                &[],
                ("Lange Voorhout 8, Den Haag", "Storage unit"),
                ("Breestraat 2, Leiden", ""),
                8,
            ),
        ],
    },
    DemoCustomer {
        name: "Bakkerij Mulder B.V.",
        kind: CustomerKind::Business,
        contact: ("Eva Mulder", "eva@bakkerijmulder.example"),
        address: ("Coolsingel 40", "3011 AD", "Rotterdam"),
        jobs: &[
            job(
                JobStatus::EnRoute,
                0,
                ("09:00", "11:00"),
                &[2],
                ("Coolsingel 40, Rotterdam", "Loading bay at the back"),
                (
                    "Witte de Withstraat 7, Rotterdam",
                    "Shop front; ring the bell",
                ),
                40,
            ),
            job(
                JobStatus::Invoiced,
                -10,
                ("07:00", "09:00"),
                &[1, 2],
                ("Blaak 16, Rotterdam", "Ovens: two people per item"),
                ("Coolsingel 40, Rotterdam", "Loading bay"),
                30,
            ),
        ],
    },
    DemoCustomer {
        name: "Familie Yilmaz",
        kind: CustomerKind::Household,
        contact: ("Ayşe Yilmaz", "ayse@yilmaz.example"),
        address: ("Stationsplein 2", "2011 LR", "Haarlem"),
        jobs: &[
            job(
                JobStatus::Requested,
                21,
                ("08:00", "10:00"),
                &[],
                ("Stationsplein 2, Haarlem", "4th floor, lift"),
                ("Grote Markt 9, Groningen", "Ground floor"),
                45,
            ),
            job(
                JobStatus::Cancelled,
                10,
                ("08:00", "10:00"),
                &[],
                ("Stationsplein 2, Haarlem", "Garage"),
                ("Zijlweg 100, Haarlem", ""),
                6,
            ),
        ],
    },
    DemoCustomer {
        name: "Studio Hendriks",
        kind: CustomerKind::Business,
        contact: ("Lars Hendriks", "lars@studiohendriks.example"),
        address: ("Vrijthof 5", "6211 LD", "Maastricht"),
        jobs: &[
            job(
                JobStatus::Completed,
                -1,
                ("08:00", "10:00"),
                &[0, 1],
                ("Vrijthof 5, Maastricht", "Studio lights: fragile"),
                ("Stratumseind 30, Eindhoven", "1st floor, lift"),
                25,
            ),
            job(
                JobStatus::Overdue,
                -45,
                ("08:00", "10:00"),
                &[0, 1],
                ("Neude 1, Utrecht", ""),
                ("Vrijthof 5, Maastricht", ""),
                20,
            ),
        ],
    },
    DemoCustomer {
        name: "Familie Jansen",
        kind: CustomerKind::Household,
        contact: ("Marleen Jansen", "marleen@jansen.example"),
        address: ("Westersingel 20", "3014 GP", "Rotterdam"),
        jobs: &[
            job(
                JobStatus::InProgress,
                0,
                ("08:00", "10:00"),
                &[0, 1],
                (
                    "Westersingel 20, Rotterdam",
                    "1st floor, large windows for hoisting",
                ),
                ("Dorpsstraat 4, Bergschenhoek", "Detached house, drive"),
                32,
            ),
            job(
                JobStatus::Accepted,
                7,
                ("08:00", "10:00"),
                &[],
                ("Dorpsstraat 4, Bergschenhoek", "Shed"),
                ("Westersingel 20, Rotterdam", "Basement storage"),
                5,
            ),
            job(
                JobStatus::Expired,
                -5,
                ("08:00", "10:00"),
                &[],
                ("Westersingel 20, Rotterdam", ""),
                ("Hoogstraat 1, Schiedam", ""),
                12,
            ),
        ],
    },
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

/// The quote a move of this size gets: crew hours, the van, boxes and a parking permit.
fn demo_lines(volume_m3: i32) -> Vec<crate::money::LineInput> {
    use crate::money::{LineInput, VatRate};
    let hours = i64::from(volume_m3.max(4)) * 25; // a quarter of an hour per m³
    vec![
        LineInput {
            description: "Movers, crew of two".to_owned(),
            quantity_hundredths: hours,
            unit: "hour".to_owned(),
            unit_price_cents: 11_500,
            vat_rate: VatRate::Standard,
        },
        LineInput {
            description: "Moving van (40 m³) with fuel".to_owned(),
            quantity_hundredths: 100,
            unit: "day".to_owned(),
            unit_price_cents: 19_500,
            vat_rate: VatRate::Standard,
        },
        LineInput {
            description: "Moving boxes, delivered beforehand".to_owned(),
            quantity_hundredths: i64::from(volume_m3) * 150,
            unit: "box".to_owned(),
            unit_price_cents: 275,
            vat_rate: VatRate::Standard,
        },
        LineInput {
            description: "Parking permit, municipality".to_owned(),
            quantity_hundredths: 100,
            unit: "permit".to_owned(),
            unit_price_cents: 4_250,
            vat_rate: VatRate::Zero,
        },
    ]
}

/// What is left to do for a job once it is completed: issue its invoice, then pay it or let it
/// fall due.
struct Bill {
    quote_id: i32,
    issue_day: NaiveDate,
    end: JobStatus,
    day: NaiveDate,
}

/// Takes a job through its lifecycle with the real services, up to its story's state. Times
/// are set back so the timeline reads like the weeks before the move.
#[allow(clippy::too_many_arguments)]
async fn tell_story(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    today: NaiveDate,
    office: i32,
    owner: i32,
    crew: &[i32],
    customer_id: i32,
    demo: &DemoJob,
) -> Result<Option<Bill>, DomainError> {
    use crate::quotes::{self, QuoteDraft};
    use JobStatus as S;

    let day = shift(today, demo.day);
    // Past moves were booked three weeks ahead; future ones in the last few days.
    let start = if demo.day > 0 {
        now - chrono::Duration::days(4)
    } else {
        at(day, -20, 9)
    };
    let hours = |h: i64| start + chrono::Duration::hours(h);
    let details = jobs::JobDetails {
        origin_address: demo.origin.0.to_owned(),
        origin_notes: demo.origin.1.to_owned(),
        destination_address: demo.destination.0.to_owned(),
        destination_notes: demo.destination.1.to_owned(),
        requested_date: Some(day),
        volume_m3: Some(demo.volume_m3),
        notes: String::new(),
    };
    let job = jobs::create(txn, &demo_stamp(hours(0), owner), customer_id, details).await?;
    match demo.story {
        S::Requested => return Ok(None),
        S::Cancelled => {
            let stamp = demo_stamp(hours(30), office);
            jobs::change_status(
                txn,
                &stamp,
                job.id,
                S::Cancelled,
                "The customer found a closer mover.",
                None,
            )
            .await?;
            return Ok(None);
        }
        _ => {}
    }
    let valid_until = if demo.story == S::Expired {
        shift(start.date_naive(), 7)
    } else {
        shift(start.date_naive(), 30)
    };
    let draft = QuoteDraft {
        valid_until,
        lines: demo_lines(demo.volume_m3),
    };
    let quote = quotes::save_draft(txn, &demo_stamp(hours(20), office), job.id, draft).await?;
    quotes::send(txn, None, &demo_stamp(hours(21), office), quote.quote.id).await?;
    let signer = CUSTOMERS
        .iter()
        .find(|c| c.jobs.iter().any(|j| std::ptr::eq(j, demo)))
        .map_or("Customer", |c| c.contact.0);
    match demo.story {
        S::Quoted => return Ok(None),
        S::Declined => {
            quotes::decline(
                txn,
                &demo_stamp(hours(70), owner),
                quote.quote.id,
                "We will move ourselves after all.",
            )
            .await?;
            return Ok(None);
        }
        S::Expired => {
            let lapse = crate::audit::Stamp::system(at(valid_until, 1, 2));
            quotes::expire_due(txn, &lapse, shift(valid_until, 1)).await?;
            return Ok(None);
        }
        _ => {}
    }
    quotes::accept(txn, &demo_stamp(hours(70), owner), quote.quote.id, signer).await?;
    if demo.story == S::Accepted {
        return Ok(None);
    }
    let plan = jobs::Schedule {
        date: day,
        slot_start: demo.slot.0.to_owned(),
        slot_end: demo.slot.1.to_owned(),
        crew: demo
            .crew
            .iter()
            .filter_map(|i| crew.get(*i).copied())
            .collect(),
    };
    jobs::schedule(txn, &demo_stamp(hours(90).min(now), office), job.id, plan).await?;
    if demo.story == S::Scheduled {
        return Ok(None);
    }
    let lead = demo
        .crew
        .first()
        .and_then(|i| crew.get(*i).copied())
        .unwrap_or(office);
    // Today's moves are under way now; earlier ones went by the clock of their day.
    let (left, started, done) = if demo.day == 0 {
        (
            now - chrono::Duration::minutes(10),
            now - chrono::Duration::minutes(5),
            now,
        )
    } else {
        (at(day, 0, 6), at(day, 0, 7), at(day, 0, 14))
    };
    let eta = left + chrono::Duration::minutes(35);
    jobs::change_status(
        txn,
        &demo_stamp(left, lead),
        job.id,
        S::EnRoute,
        "",
        Some(eta),
    )
    .await?;
    if demo.story == S::EnRoute {
        return Ok(None);
    }
    let started = if demo.day == 0 {
        started.max(left)
    } else {
        started
    };
    jobs::change_status(
        txn,
        &demo_stamp(started, lead),
        job.id,
        S::InProgress,
        "",
        None,
    )
    .await?;
    if demo.story == S::InProgress {
        return Ok(None);
    }
    jobs::change_status(
        txn,
        &demo_stamp(done.max(started), lead),
        job.id,
        S::Completed,
        "All furniture in place, boxes emptied.",
        None,
    )
    .await?;
    if demo.story == S::Completed {
        return Ok(None);
    }
    Ok(Some(Bill {
        quote_id: quote.quote.id,
        issue_day: shift(day, 1),
        end: demo.story,
        day,
    }))
}

/// Issues the invoice of a completed job, then pays it or lets it fall due.
async fn bill_story(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    office: i32,
    bill: Bill,
) -> Result<(), DomainError> {
    use crate::invoices::{self, PaymentMethod};
    let issued_at = at(bill.issue_day, 0, 9);
    let invoice =
        invoices::draft_from_quote(txn, &demo_stamp(issued_at, office), bill.quote_id).await?;
    let invoice = invoices::issue(
        txn,
        None,
        &demo_stamp(issued_at, office),
        invoice.id,
        bill.issue_day,
        "VD",
        14,
    )
    .await?;
    match bill.end {
        JobStatus::Paid => {
            let paid_at = at(bill.day, 9, 10);
            invoices::record_payment(
                txn,
                &demo_stamp(paid_at, office),
                invoice.id,
                invoice.total_cents,
                PaymentMethod::Ideal,
                "iDEAL tr_demo",
            )
            .await?;
        }
        JobStatus::Overdue => {
            let today = jobs::local_today(now, "Europe/Amsterdam");
            invoices::mark_overdue(txn, &crate::audit::Stamp::system(now), today).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Conversations on three jobs; the newest customer messages are unread by the office.
async fn demo_messages(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    office: i32,
    owners: &[i32],
    crew: &[i32],
) -> Result<(), DomainError> {
    use crate::messages;
    let ago = |minutes: i64| now - chrono::Duration::minutes(minutes);
    let thread: [(i32, usize, i64, &str); 6] = [
        // (job, who: 0 = customer, 1 = office, 2 = crew lead, minutes ago, text)
        (
            1,
            0,
            600,
            "Hello! Is the parking permit for the Oudegracht arranged, or should we do that?",
        ),
        (
            1,
            1,
            560,
            "We arranged it: the permit is in your documents. The crew will call when they leave.",
        ),
        (
            1,
            0,
            30,
            "Great. Could the crew bring two wardrobe boxes extra?",
        ),
        (3, 0, 900, "Is moving the piano included in the quote?"),
        (5, 0, 20, "Please use the back entrance, the shop is open."),
        (5, 2, 12, "Will do, we are almost there."),
    ];
    let owner_of_job = [(1, 0), (3, 1), (5, 2)];
    for (job_id, who, minutes, text) in thread {
        let customer_index = owner_of_job
            .iter()
            .find(|(j, _)| *j == job_id)
            .map_or(0, |(_, c)| *c);
        let author = match who {
            0 => owners.get(customer_index).copied().unwrap_or(office),
            1 => office,
            _ => crew.get(2).copied().unwrap_or(office),
        };
        messages::post(txn, &demo_stamp(ago(minutes), author), job_id, author, text).await?;
    }
    Ok(())
}

/// Real files for the demo: the PDF of every sent quote and issued invoice, visible to the
/// customer, and a photo on today's moves for the crew. Runs once, when there are no
/// documents yet.
pub async fn attach_demo_documents<C>(
    db: &C,
    storage: &dyn crate::documents::Storage,
    now: DateTime<Utc>,
) -> Result<usize, DomainError>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    use crate::{
        documents::{self, paperwork, DocumentKind, Upload, Visibility},
        invoices, quotes,
    };
    if documents::entity::Entity::find().count(db).await? > 0 {
        return Ok(0);
    }
    let office = crate::accounts::sign_in::find_user_by_email(db, "olga@vandijk.example")
        .await?
        .map_or(0, |u| u.id);
    let stamp = demo_stamp(now, office);
    let limit = 20 * 1024 * 1024;
    let mut count = 0;
    // The demo's quotes and invoices were issued without storage (the seed's transaction has
    // none); freezing them now is what their first download would do.
    for quote in quotes::entity::Entity::find().all(db).await? {
        if quote.status == quotes::QuoteStatus::Draft {
            continue;
        }
        paperwork::quote_pdf(db, storage, &stamp, &quote).await?;
        count += 1;
    }
    for invoice in invoices::entity::Entity::find().all(db).await? {
        if invoice.number.is_none() {
            continue;
        }
        paperwork::invoice_pdf(db, storage, &stamp, &invoice).await?;
        count += 1;
    }
    for summary in jobs::on_day(db, jobs::local_today(now, "Europe/Amsterdam"), None).await? {
        let upload = Upload {
            customer_id: Some(summary.job.customer_id),
            job_id: Some(summary.job.id),
            kind: DocumentKind::Photo,
            visibility: Visibility::Staff,
            file_name: "boxes-in-the-hallway.png".to_owned(),
            bytes: DEMO_PHOTO.to_vec(),
        };
        documents::upload(db, storage, &stamp, upload, limit).await?;
        count += 1;
    }
    Ok(count)
}

/// A small real picture (PNG) for the demo's photos.
const DEMO_PHOTO: &[u8] = include_bytes!("../assets/demo-boxes.png");
