//! The business core's services on every configured database: the job lifecycle and its
//! timeline, quote versions, invoices with gap-free numbers (also under concurrent issue),
//! payments, credit notes, overdue invoices and message threads. Every change leaves an audit
//! row.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use portico_domain::{
    accounts::{contact, user, ContactScope, StaffRole},
    audit::{self, RequestOrigin, Stamp},
    company,
    customers::{entity as customer, CustomerKind},
    invoices::{self, InvoiceKind, InvoiceStatus, PaymentMethod},
    jobs::{self, JobDetails, JobStatus, Schedule},
    messages,
    money::{LineInput, VatRate},
    quotes::{self, QuoteDraft, QuoteStatus},
    DatabaseConnection, DomainError,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, TransactionTrait};

use crate::support;

pub struct Fixture {
    pub customer_id: i32,
    pub contact_id: i32,
    pub office_id: i32,
    pub crew_id: i32,
}

pub fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 11, 0, 0)
        .single()
        .expect("time")
}

pub fn stamp(by: i32) -> Stamp {
    Stamp::new(
        noon(),
        Some(by),
        RequestOrigin {
            ip: Some("192.0.2.7".into()),
            user_agent: Some("test".into()),
        },
    )
}

async fn person(db: &DatabaseConnection, email: &str, role: Option<StaffRole>) -> i32 {
    user::ActiveModel {
        email: Set(email.into()),
        display_name: Set(email.split('@').next().unwrap_or_default().into()),
        staff_role: Set(role),
        created_at: Set(noon()),
        disabled_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("user")
    .id
}

pub async fn fixture(db: &DatabaseConnection) -> Fixture {
    company::entity::ActiveModel {
        name: Set("Test Verhuizers".into()),
        email: Set("office@test.example".into()),
        phone: Set("+31 20 000 0000".into()),
        time_zone: Set("Europe/Amsterdam".into()),
        created_at: Set(noon()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("company");
    let customer_id = customer::ActiveModel {
        name: Set("Familie Test".into()),
        kind: Set(CustomerKind::Household),
        email: Set("klant@test.example".into()),
        phone: Set("+31 6 0000 0000".into()),
        created_at: Set(noon()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("customer")
    .id;
    let contact_id = person(db, "klant@test.example", None).await;
    contact::ActiveModel {
        customer_id: Set(customer_id),
        user_id: Set(contact_id),
        scope: Set(ContactScope::Owner),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("contact");
    Fixture {
        customer_id,
        contact_id,
        office_id: person(db, "olga@test.example", Some(StaffRole::Office)).await,
        crew_id: person(db, "cees@test.example", Some(StaffRole::Crew)).await,
    }
}

pub fn details() -> JobDetails {
    JobDetails {
        origin_address: "Keizersgracht 12, Amsterdam".into(),
        origin_notes: "3rd floor, no lift".into(),
        destination_address: "Oudegracht 45, Utrecht".into(),
        destination_notes: "Parking permit arranged".into(),
        requested_date: NaiveDate::from_ymd_opt(2026, 12, 12),
        volume_m3: Some(30),
        notes: String::new(),
    }
}

pub fn lines() -> Vec<LineInput> {
    vec![
        LineInput {
            description: "Verhuizers (3 personen)".into(),
            quantity_hundredths: 650,
            unit: "uur".into(),
            unit_price_cents: 14_500,
            vat_rate: VatRate::Standard,
        },
        LineInput {
            description: "Verhuisdozen".into(),
            quantity_hundredths: 4000,
            unit: "stuk".into(),
            unit_price_cents: 250,
            vat_rate: VatRate::Standard,
        },
        LineInput {
            description: "Parkeervergunning".into(),
            quantity_hundredths: 100,
            unit: "stuk".into(),
            unit_price_cents: 4_000,
            vat_rate: VatRate::Zero,
        },
    ]
}

fn valid_until() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 31).expect("date")
}

/// A job taken to `accepted` through a sent and accepted quote; returns (job id, quote id).
pub async fn accepted_job(db: &DatabaseConnection, f: &Fixture) -> (i32, i32) {
    let office = stamp(f.office_id);
    let job = jobs::create(db, &office, f.customer_id, details())
        .await
        .expect("job");
    let draft = quotes::save_draft(
        db,
        &office,
        job.id,
        QuoteDraft {
            valid_until: valid_until(),
            lines: lines(),
        },
    )
    .await
    .expect("draft");
    quotes::send(db, None, &office, draft.quote.id)
        .await
        .expect("send");
    quotes::accept(db, &stamp(f.contact_id), draft.quote.id, "Sanne de Boer")
        .await
        .expect("accept");
    (job.id, draft.quote.id)
}

fn conflict(result: Result<impl std::fmt::Debug, DomainError>) -> String {
    match result {
        Err(DomainError::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn invalid_field(result: Result<impl std::fmt::Debug, DomainError>) -> &'static str {
    match result {
        Err(DomainError::Invalid { field, .. }) => field,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

#[tokio::test]
async fn quotes_are_versioned_and_immutable_once_sent() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let f = fixture(db).await;
        let office = stamp(f.office_id);
        let job = jobs::create(db, &office, f.customer_id, details())
            .await
            .expect("job");
        assert!(
            job.reference.starts_with("MV-2026-"),
            "{label}: {}",
            job.reference
        );
        assert_eq!(job.status, JobStatus::Requested);

        // Saving twice edits the same draft; totals are computed here, per line.
        let draft = QuoteDraft {
            valid_until: valid_until(),
            lines: lines(),
        };
        let first = quotes::save_draft(db, &office, job.id, draft.clone())
            .await
            .expect("draft");
        let again = quotes::save_draft(db, &office, job.id, draft.clone())
            .await
            .expect("again");
        assert_eq!(first.quote.id, again.quote.id, "{label}");
        assert_eq!(again.quote.version, 1);
        // 6.5 h × 145,00 = 942,50; 40 × 2,50 = 100,00 (both 21 %); 40,00 at 0 %.
        assert_eq!(again.totals.net_cents, 94_250 + 10_000 + 4_000, "{label}");
        assert_eq!(again.totals.vat_cents, 19_793 + 2_100, "{label}");
        assert_eq!(again.quote.total_cents, 108_250 + 21_893);

        // Bad lines are refused with the field named, and nothing is saved.
        let mut bad = draft.clone();
        bad.lines[1].quantity_hundredths = 0;
        assert_eq!(
            invalid_field(quotes::save_draft(db, &office, job.id, bad).await),
            "quantity"
        );
        assert_eq!(
            quotes::for_job(db, job.id).await.expect("list")[0]
                .lines
                .len(),
            3,
            "{label}"
        );

        quotes::send(db, None, &office, first.quote.id)
            .await
            .expect("send");
        assert_eq!(
            jobs::find(db, job.id).await.expect("job").status,
            JobStatus::Quoted
        );
        assert!(
            conflict(quotes::send(db, None, &office, first.quote.id).await)
                .contains("already sent")
        );

        // A change is a new version; sending it supersedes the first.
        let mut changed = draft.clone();
        changed.lines.pop();
        let second = quotes::save_draft(db, &office, job.id, changed)
            .await
            .expect("v2");
        assert_eq!(second.quote.version, 2, "{label}");
        quotes::send(db, None, &office, second.quote.id)
            .await
            .expect("send v2");
        let versions = quotes::for_job(db, job.id).await.expect("versions");
        assert_eq!(
            versions
                .iter()
                .map(|q| (q.quote.version, q.quote.status))
                .collect::<Vec<_>>(),
            vec![(2, QuoteStatus::Sent), (1, QuoteStatus::Superseded)],
            "{label}"
        );
        // The superseded version can no longer be accepted; the current one can, once.
        let customer = stamp(f.contact_id);
        conflict(quotes::accept(db, &customer, first.quote.id, "Sanne de Boer").await);
        assert_eq!(
            invalid_field(quotes::accept(db, &customer, second.quote.id, " ").await),
            "signed_name"
        );
        let accepted = quotes::accept(db, &customer, second.quote.id, "Sanne de Boer")
            .await
            .expect("accept");
        assert_eq!(accepted.status, QuoteStatus::Accepted);
        assert_eq!(accepted.signed_name.as_deref(), Some("Sanne de Boer"));
        assert_eq!(accepted.signed_ip.as_deref(), Some("192.0.2.7"));
        assert_eq!(accepted.decided_at, Some(noon()));
        conflict(quotes::decline(db, &customer, second.quote.id, "").await);
        assert_eq!(
            jobs::find(db, job.id).await.expect("job").status,
            JobStatus::Accepted
        );
        // An accepted job takes no new quote.
        conflict(quotes::save_draft(db, &office, job.id, draft).await);
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_quote_expires_and_a_declined_job_can_be_quoted_again() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let f = fixture(db).await;
        let office = stamp(f.office_id);
        let job = jobs::create(db, &office, f.customer_id, details())
            .await
            .expect("job");
        let draft = QuoteDraft {
            valid_until: noon().date_naive(),
            lines: lines(),
        };
        let quote = quotes::save_draft(db, &office, job.id, draft.clone())
            .await
            .expect("draft");
        quotes::send(db, None, &office, quote.quote.id)
            .await
            .expect("send");
        let tomorrow = noon().date_naive().succ_opt().expect("date");
        assert_eq!(
            quotes::expire_due(db, &Stamp::system(noon()), noon().date_naive())
                .await
                .expect("none"),
            0
        );
        assert_eq!(
            quotes::expire_due(db, &Stamp::system(noon()), tomorrow)
                .await
                .expect("one"),
            1,
            "{label}"
        );
        assert_eq!(
            jobs::find(db, job.id).await.expect("job").status,
            JobStatus::Expired
        );

        let again = quotes::save_draft(db, &office, job.id, draft)
            .await
            .expect("v2");
        quotes::send(db, None, &office, again.quote.id)
            .await
            .expect("send v2");
        quotes::decline(db, &stamp(f.contact_id), again.quote.id, "Too expensive")
            .await
            .expect("decline");
        let job = jobs::find(db, job.id).await.expect("job");
        assert_eq!(job.status, JobStatus::Declined, "{label}");
        let timeline = jobs::timeline(db, job.id).await.expect("timeline");
        assert_eq!(
            timeline.iter().map(|e| e.to).collect::<Vec<_>>(),
            vec![
                JobStatus::Requested,
                JobStatus::Quoted,
                JobStatus::Expired,
                JobStatus::Quoted,
                JobStatus::Declined
            ],
            "{label}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn the_moving_day_follows_the_lifecycle_on_the_timeline() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let f = fixture(db).await;
        let (job_id, _) = accepted_job(db, &f).await;
        let office = stamp(f.office_id);
        let crew = stamp(f.crew_id);
        let day = NaiveDate::from_ymd_opt(2026, 12, 12).expect("date");

        // Manual moves the lifecycle does not allow name both states.
        let message =
            conflict(jobs::change_status(db, &crew, job_id, JobStatus::Completed, "", None).await);
        assert_eq!(
            message, "A job that is accepted cannot become completed.",
            "{label}"
        );

        let plan = |start: &str, end: &str, crew: Vec<i32>| Schedule {
            date: day,
            slot_start: start.into(),
            slot_end: end.into(),
            crew,
        };
        assert_eq!(
            invalid_field(
                jobs::schedule(db, &office, job_id, plan("10:00", "08:00", vec![f.crew_id])).await
            ),
            "slot_end"
        );
        assert_eq!(
            invalid_field(
                jobs::schedule(db, &office, job_id, plan("8 am", "10:00", vec![f.crew_id])).await
            ),
            "slot_start"
        );
        assert_eq!(
            invalid_field(
                jobs::schedule(db, &office, job_id, plan("08:00", "10:00", vec![])).await
            ),
            "crew"
        );
        assert_eq!(
            invalid_field(
                jobs::schedule(
                    db,
                    &office,
                    job_id,
                    plan("08:00", "10:00", vec![f.contact_id])
                )
                .await
            ),
            "crew"
        );
        let job = jobs::schedule(db, &office, job_id, plan("08:00", "10:00", vec![f.crew_id]))
            .await
            .expect("schedule");
        assert_eq!(job.status, JobStatus::Scheduled, "{label}");
        assert_eq!(
            (job.slot_start.as_deref(), job.slot_end.as_deref()),
            (Some("08:00"), Some("10:00"))
        );
        assert_eq!(
            jobs::crew_of(db, job_id).await.expect("crew"),
            vec![f.crew_id]
        );
        let today = jobs::on_day(db, day, Some(f.crew_id))
            .await
            .expect("crew day");
        assert_eq!(today.len(), 1, "{label}");
        assert_eq!(today[0].customer_name, "Familie Test");
        assert!(jobs::on_day(db, day, Some(f.office_id))
            .await
            .expect("not assigned")
            .is_empty());

        // "On our way" needs an ETA within 12 hours.
        assert_eq!(
            invalid_field(
                jobs::change_status(db, &crew, job_id, JobStatus::EnRoute, "", None).await
            ),
            "eta"
        );
        let far = noon() + Duration::hours(13);
        assert_eq!(
            invalid_field(
                jobs::change_status(db, &crew, job_id, JobStatus::EnRoute, "", Some(far)).await
            ),
            "eta"
        );
        let eta = noon() + Duration::minutes(40);
        let job = jobs::change_status(db, &crew, job_id, JobStatus::EnRoute, "", Some(eta))
            .await
            .expect("en route");
        assert_eq!(
            (job.status, job.eta),
            (JobStatus::EnRoute, Some(eta)),
            "{label}"
        );
        let job = jobs::change_status(db, &crew, job_id, JobStatus::InProgress, "", None)
            .await
            .expect("started");
        assert_eq!(job.eta, None);
        jobs::change_status(
            db,
            &crew,
            job_id,
            JobStatus::Completed,
            "All boxes in",
            None,
        )
        .await
        .expect("done");
        conflict(jobs::change_status(db, &office, job_id, JobStatus::Cancelled, "", None).await);

        let timeline = jobs::timeline(db, job_id).await.expect("timeline");
        let steps: Vec<_> = timeline.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(
            steps,
            vec![
                (None, JobStatus::Requested),
                (Some(JobStatus::Requested), JobStatus::Quoted),
                (Some(JobStatus::Quoted), JobStatus::Accepted),
                (Some(JobStatus::Accepted), JobStatus::Scheduled),
                (Some(JobStatus::Scheduled), JobStatus::EnRoute),
                (Some(JobStatus::EnRoute), JobStatus::InProgress),
                (Some(JobStatus::InProgress), JobStatus::Completed),
            ],
            "{label}"
        );
        assert_eq!(timeline[4].eta, Some(eta));
        assert_eq!(timeline[4].by.as_deref(), Some("cees"));
        assert_eq!(timeline[6].note, "All boxes in");
        assert!(timeline[3].note.contains("08:00–10:00") && timeline[3].note.contains("cees"));

        // Every change left an audit row with who and from where.
        let rows = audit::latest(db, 100).await.expect("audit");
        let status_rows = rows
            .iter()
            .filter(|r| r.action == "job_status_changed" && r.subject == format!("job:{job_id}"))
            .count();
        assert_eq!(status_rows, 5, "{label}");
        assert!(rows.iter().all(|r| r.ip.as_deref() == Some("192.0.2.7")));
        assert!(rows.iter().any(|r| r.action == "job_scheduled"));
        assert!(rows
            .iter()
            .any(|r| r.action == "quote_accepted" && r.actor_user_id == Some(f.contact_id)));
        test_db.finish().await;
    }
}

/// A completed job, and an invoice drafted from its accepted quote.
async fn completed_job_with_draft(db: &DatabaseConnection, f: &Fixture) -> (i32, i32) {
    let (job_id, quote_id) = accepted_job(db, f).await;
    let office = stamp(f.office_id);
    let crew = stamp(f.crew_id);
    jobs::schedule(
        db,
        &office,
        job_id,
        Schedule {
            date: noon().date_naive(),
            slot_start: "08:00".into(),
            slot_end: "10:00".into(),
            crew: vec![f.crew_id],
        },
    )
    .await
    .expect("schedule");
    jobs::change_status(
        db,
        &crew,
        job_id,
        JobStatus::EnRoute,
        "",
        Some(noon() + Duration::minutes(30)),
    )
    .await
    .expect("go");
    jobs::change_status(db, &crew, job_id, JobStatus::InProgress, "", None)
        .await
        .expect("start");
    jobs::change_status(db, &crew, job_id, JobStatus::Completed, "", None)
        .await
        .expect("done");
    let invoice = invoices::draft_from_quote(db, &office, quote_id)
        .await
        .expect("draft invoice");
    (job_id, invoice.id)
}

#[tokio::test]
async fn an_invoice_is_issued_paid_in_parts_and_the_job_follows() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let f = fixture(db).await;
        let office = stamp(f.office_id);
        let (job_id, invoice_id) = completed_job_with_draft(db, &f).await;
        let quote_id = invoices::find(db, invoice_id)
            .await
            .expect("invoice")
            .quote_id
            .expect("quote");
        conflict(invoices::draft_from_quote(db, &office, quote_id).await);

        let today = noon().date_naive();
        let invoice = invoices::issue(db, None, &office, invoice_id, today, "F", 14)
            .await
            .expect("issue");
        assert_eq!(invoice.number.as_deref(), Some("F2026-00001"), "{label}");
        assert_eq!(
            invoice.due_date,
            today.checked_add_days(chrono::Days::new(14))
        );
        assert_eq!(invoice.total_cents, 130_143);
        assert_eq!(
            jobs::find(db, job_id).await.expect("job").status,
            JobStatus::Invoiced
        );
        conflict(invoices::issue(db, None, &office, invoice_id, today, "F", 14).await);

        let with_lines = invoices::with_lines(db, invoice.clone())
            .await
            .expect("lines");
        assert_eq!(with_lines.lines.len(), 3);
        assert_eq!(with_lines.totals.total_cents, invoice.total_cents);

        let paid = invoices::record_payment(
            db,
            &office,
            invoice_id,
            30_000,
            PaymentMethod::BankTransfer,
            "NL12 deposit",
        )
        .await
        .expect("part");
        assert_eq!(
            (paid.status, paid.paid_cents),
            (InvoiceStatus::Issued, 30_000),
            "{label}"
        );
        assert_eq!(
            invalid_field(
                invoices::record_payment(
                    db,
                    &office,
                    invoice_id,
                    100_144,
                    PaymentMethod::Ideal,
                    ""
                )
                .await
            ),
            "amount"
        );
        assert_eq!(
            invalid_field(
                invoices::record_payment(db, &office, invoice_id, 0, PaymentMethod::Ideal, "")
                    .await
            ),
            "amount"
        );
        let paid = invoices::record_payment(
            db,
            &office,
            invoice_id,
            100_143,
            PaymentMethod::Ideal,
            "tr_123",
        )
        .await
        .expect("rest");
        assert_eq!(
            (paid.status, paid.outstanding_cents()),
            (InvoiceStatus::Paid, 0),
            "{label}"
        );
        assert_eq!(
            jobs::find(db, job_id).await.expect("job").status,
            JobStatus::Paid
        );
        assert_eq!(
            invoices::payments(db, invoice_id)
                .await
                .expect("payments")
                .len(),
            2
        );
        conflict(
            invoices::record_payment(db, &office, invoice_id, 1, PaymentMethod::Cash, "").await,
        );
        conflict(invoices::credit(db, None, &office, invoice_id, today, "F").await);
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_credit_note_cancels_an_issued_invoice_and_overdue_invoices_are_marked() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let f = fixture(db).await;
        let office = stamp(f.office_id);
        let today = noon().date_naive();
        let (job_id, invoice_id) = completed_job_with_draft(db, &f).await;
        invoices::issue(db, None, &office, invoice_id, today, "F", 14)
            .await
            .expect("issue");

        // Past the due date: overdue, and the job with it.
        let later = today.checked_add_days(chrono::Days::new(15)).expect("date");
        assert_eq!(
            invoices::mark_overdue(db, &Stamp::system(noon()), today)
                .await
                .expect("not yet"),
            0
        );
        assert_eq!(
            invoices::mark_overdue(db, &Stamp::system(noon()), later)
                .await
                .expect("one"),
            1,
            "{label}"
        );
        assert_eq!(
            invoices::find(db, invoice_id).await.expect("inv").status,
            InvoiceStatus::Overdue
        );
        assert_eq!(
            jobs::find(db, job_id).await.expect("job").status,
            JobStatus::Overdue
        );

        let note = invoices::credit(db, None, &office, invoice_id, later, "F")
            .await
            .expect("credit");
        assert_eq!(note.kind, InvoiceKind::CreditNote);
        assert_eq!(note.number.as_deref(), Some("F2026-00002"), "{label}");
        assert_eq!(note.credits_invoice_id, Some(invoice_id));
        assert_eq!(note.total_cents, -130_143);
        let lines = invoices::with_lines(db, note).await.expect("lines");
        assert!(lines
            .lines
            .iter()
            .all(|l| l.net_cents <= 0 && l.input.quantity_hundredths < 0));
        assert_eq!(
            invoices::find(db, invoice_id).await.expect("inv").status,
            InvoiceStatus::Credited
        );
        conflict(invoices::credit(db, None, &office, invoice_id, later, "F").await);

        // A hand-made invoice for the same job gets the next number.
        let extra =
            invoices::draft_by_hand(db, &office, f.customer_id, Some(job_id), lines_of_one())
                .await
                .expect("by hand");
        let extra = invoices::issue(db, None, &office, extra.id, later, "F", 14)
            .await
            .expect("issue");
        assert_eq!(extra.number.as_deref(), Some("F2026-00003"), "{label}");
        assert_eq!(
            invalid_field(invoices::draft_by_hand(db, &office, f.customer_id, None, vec![]).await),
            "lines"
        );
        test_db.finish().await;
    }
}

fn lines_of_one() -> Vec<LineInput> {
    vec![LineInput {
        description: "Extra uur".into(),
        quantity_hundredths: 100,
        unit: "uur".into(),
        unit_price_cents: 14_500,
        vat_rate: VatRate::Standard,
    }]
}

#[tokio::test]
async fn invoice_numbers_have_no_gaps_under_concurrent_issue() {
    const INVOICES: usize = 24;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let f = fixture(db).await;
        let office = stamp(f.office_id);
        let today = noon().date_naive();

        // A transaction that takes a number and rolls back gives it back.
        let txn = db.begin().await.expect("begin");
        assert_eq!(
            invoices::numbering::next_sequence(&txn, 2026)
                .await
                .expect("take"),
            1
        );
        txn.rollback().await.expect("rollback");

        let mut drafts = Vec::new();
        for _ in 0..INVOICES {
            drafts.push(
                invoices::draft_by_hand(db, &office, f.customer_id, None, lines_of_one())
                    .await
                    .expect("draft")
                    .id,
            );
        }
        let mut tasks = tokio::task::JoinSet::new();
        for id in drafts {
            let db = db.clone();
            let office = office.clone();
            tasks.spawn(async move {
                // Each attempt retries only on the database's own "busy" answer.
                loop {
                    match invoices::issue(&db, None, &office, id, today, "F", 14).await {
                        Ok(invoice) => return invoice.sequence.expect("sequence"),
                        Err(DomainError::Database(e)) if e.to_string().contains("locked") => {
                            tokio::task::yield_now().await
                        }
                        Err(other) => panic!("issue failed: {other:?}"),
                    }
                }
            });
        }
        let mut numbers = Vec::new();
        while let Some(result) = tasks.join_next().await {
            numbers.push(result.expect("task"));
        }
        numbers.sort_unstable();
        let expected: Vec<i32> = (1..=INVOICES as i32).collect();
        assert_eq!(
            numbers, expected,
            "{label}: every number once, none skipped"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn message_threads_keep_a_read_mark_per_person() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let f = fixture(db).await;
        let office = stamp(f.office_id);
        let unread = |reader: i32| async move {
            messages::unread_from_customers(db, reader)
                .await
                .expect("unread customer messages")
        };
        let job = jobs::create(db, &office, f.customer_id, details())
            .await
            .expect("job");

        assert_eq!(
            invalid_field(
                messages::post(db, &stamp(f.contact_id), job.id, f.contact_id, "   ").await
            ),
            "body"
        );
        let long = "x".repeat(messages::MAX_LENGTH + 1);
        assert_eq!(
            invalid_field(
                messages::post(db, &stamp(f.contact_id), job.id, f.contact_id, &long).await
            ),
            "body"
        );

        messages::post(
            db,
            &stamp(f.contact_id),
            job.id,
            f.contact_id,
            "Can you come at 9?",
        )
        .await
        .expect("post");
        messages::post(
            db,
            &stamp(f.contact_id),
            job.id,
            f.contact_id,
            "And bring tape.",
        )
        .await
        .expect("post");
        assert_eq!(unread(f.office_id).await, vec![(job.id, 2)], "{label}");
        assert_eq!(
            messages::unread_counts(db, f.contact_id, &[job.id])
                .await
                .expect("own"),
            vec![]
        );

        let thread = messages::read_thread(db, job.id, f.office_id)
            .await
            .expect("thread");
        assert_eq!(thread.len(), 2);
        assert!(
            thread.iter().all(|m| m.new && !m.mine && !m.from_staff),
            "{label}"
        );
        assert_eq!(
            unread(f.office_id).await,
            vec![(job.id, 2)],
            "{label}: reading changes nothing"
        );
        // Marked read up to what was shown: the first message only, then past the newest.
        messages::mark_thread_read(db, job.id, f.office_id, thread[0].id, chrono::Utc::now())
            .await
            .expect("mark");
        assert_eq!(unread(f.office_id).await, vec![(job.id, 1)], "{label}");
        messages::mark_thread_read(db, job.id, f.office_id, i32::MAX, chrono::Utc::now())
            .await
            .expect("mark");
        assert!(unread(f.office_id).await.is_empty());

        messages::post(db, &office, job.id, f.office_id, "Yes, 9:00 works.")
            .await
            .expect("reply");
        assert_eq!(
            messages::unread_counts(db, f.contact_id, &[job.id])
                .await
                .expect("reply unread"),
            vec![(job.id, 1)]
        );
        let thread = messages::read_thread(db, job.id, f.contact_id)
            .await
            .expect("customer thread");
        assert_eq!(
            thread.iter().map(|m| m.new).collect::<Vec<_>>(),
            vec![false, false, true],
            "{label}"
        );
        assert!(thread[2].from_staff && thread[0].mine);
        // The crew have not read the customer's two messages; the office's reply is not a
        // customer's message, for them or for the office.
        assert_eq!(unread(f.crew_id).await, vec![(job.id, 2)], "{label}");
        assert!(unread(f.office_id).await.is_empty());
        // A second job with a newer customer message: counted per job, in job order.
        let other = jobs::create(db, &office, f.customer_id, details())
            .await
            .expect("second job");
        messages::post(db, &stamp(f.contact_id), other.id, f.contact_id, "Boxes?")
            .await
            .expect("post");
        assert_eq!(unread(f.office_id).await, vec![(other.id, 1)], "{label}");
        assert_eq!(
            unread(f.crew_id).await,
            vec![(job.id, 2), (other.id, 1)],
            "{label}"
        );
        assert!(audit::latest(db, 10)
            .await
            .expect("audit")
            .iter()
            .any(|r| r.action == "message_sent"));
        test_db.finish().await;
    }
}

#[tokio::test]
async fn the_business_migration_upgrades_an_accounts_database_with_data() {
    use portico_migrations::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    for test_db in support::fresh_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        Migrator::up(db, Some(2)).await.expect("up to accounts");
        for sql in [
            "INSERT INTO company (name, email, phone, time_zone, created_at) VALUES ('Old Co', 'o@x.example', '1', 'Europe/Amsterdam', '2026-11-01 09:00:00+00:00')",
            "INSERT INTO customer (name, kind, email, phone, created_at) VALUES ('Old Customer', 'household', 'c@x.example', '2', '2026-11-01 09:00:00+00:00')",
            "INSERT INTO job (reference, customer_id, status, origin_address, destination_address, requested_date, created_at, updated_at) VALUES ('MV-2026-0001', 1, 'scheduled', 'A', 'B', '2026-11-20', '2026-11-01 09:00:00+00:00', '2026-11-01 09:00:00+00:00')",
        ] {
            db.execute_unprepared(sql).await.expect("old row");
        }
        Migrator::up(db, None).await.expect("business");
        let company = company::profile(db).await.expect("company");
        assert_eq!(
            (company.invoice_prefix.as_str(), company.payment_term_days),
            ("F", 14),
            "{label}"
        );
        let job = jobs::find(db, 1).await.expect("old job");
        assert_eq!(job.status, JobStatus::Scheduled);
        assert_eq!(
            (job.notes.as_str(), job.confirmed_date, job.eta),
            ("", None, None)
        );
        assert!(jobs::timeline(db, 1).await.expect("timeline").is_empty());
        test_db.finish().await;
    }
}

#[tokio::test]
async fn issued_paperwork_is_frozen_and_served_byte_for_byte() {
    use portico_domain::documents::{self, paperwork, LocalDisk, Storage};
    use sha2::Digest;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let f = fixture(db).await;
        let office = stamp(f.office_id);
        let folder = tempfile::tempdir().expect("folder");
        let storage = LocalDisk::new(folder.path());
        let (_, invoice_id) = completed_job_with_draft(db, &f).await;
        let quote_id = invoices::find(db, invoice_id)
            .await
            .expect("invoice")
            .quote_id
            .expect("quote");
        let today = noon().date_naive();

        // A draft is a preview: rendered each time, never kept.
        let draft = invoices::find(db, invoice_id).await.expect("draft");
        let preview = paperwork::invoice_pdf(db, &storage, &office, &draft)
            .await
            .expect("preview");
        assert_eq!(preview.sha256, None, "{label}");

        let invoice = invoices::issue(db, Some(&storage), &office, invoice_id, today, "F", 14)
            .await
            .expect("issue");
        let document_id = invoice.pdf_document_id.expect("frozen at issue");
        let document = documents::find(db, document_id).await.expect("document");
        let stored = storage.get(&document.storage_key).await.expect("bytes");
        assert_eq!(
            document.sha256,
            hex::encode(sha2::Sha256::digest(&stored)),
            "{label}: the hash of the kept bytes"
        );
        assert_eq!(document.kind, documents::DocumentKind::Invoice);
        assert!(document.file_name.contains("F2026-00001"), "{label}");

        // The company changes its name, then the invoice is credited: its PDF stays the same.
        let mut settings: company::entity::ActiveModel =
            company::profile(db).await.expect("company").into();
        settings.name = Set("Renamed Movers".into());
        settings.update(db).await.expect("rename");
        let note = invoices::credit(db, Some(&storage), &office, invoice_id, today, "F")
            .await
            .expect("credit note");
        let note_document = documents::find(db, note.pdf_document_id.expect("frozen note"))
            .await
            .expect("note document");
        assert!(
            note_document.file_name.starts_with("Credit note"),
            "{label}"
        );
        let later = invoices::find(db, invoice_id).await.expect("invoice");
        assert_eq!(later.status, InvoiceStatus::Credited);
        let served = paperwork::invoice_pdf(db, &storage, &office, &later)
            .await
            .expect("served");
        assert_eq!(served.bytes, stored, "{label}: byte for byte");
        assert_eq!(served.sha256.as_deref(), Some(document.sha256.as_str()));
        let live = portico_domain::pdf::render(
            &portico_domain::pdf::invoice_paper(db, &later)
                .await
                .expect("paper"),
        );
        assert_ne!(
            live, stored,
            "{label}: a fresh render would differ (the new name)"
        );

        // A quote version sent before freezing existed is frozen at its first download.
        let sent = quotes::find(db, quote_id).await.expect("quote");
        let quote_file = paperwork::quote_pdf(db, &storage, &office, &sent)
            .await
            .expect("quote pdf");
        let again = paperwork::quote_pdf(
            db,
            &storage,
            &office,
            &quotes::find(db, quote_id).await.expect("quote"),
        )
        .await
        .expect("quote pdf again");
        assert_eq!(
            quote_file.bytes, again.bytes,
            "{label}: frozen at first download"
        );
        assert!(quotes::find(db, quote_id)
            .await
            .expect("quote")
            .pdf_document_id
            .is_some());
        test_db.finish().await;
    }
}
