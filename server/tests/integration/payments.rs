//! Paying an invoice online, through the real router, against a local fake of Mollie's API
//! (and Portico's own test mode): a payment is booked exactly once however often and however
//! concurrently the webhook comes; failed, cancelled and expired payments can be tried again
//! and a pending one waits; a provider that answers 500 or nothing gets 503 (so it calls
//! again) and the reconciliation books it later; an unknown id changes nothing; a wrong amount
//! is flagged and not booked, too much books what was open and flags the rest; a refund made
//! in the dashboard shows; the test checkout goes through the same webhook over HTTP.

use std::sync::Arc;

use axum::{body::Body, http::Request, Router};
use chrono::{Duration, SubsecRound, Utc};
use portico_domain::{
    audit::entity as audit,
    clock::{Clock, ManualClock},
    invoices::{self, entity as invoice, payment, Invoice, InvoiceStatus},
    jobs::{self, JobStatus},
    live::{entity as live_event, LiveKind},
    mail::entity as outbox,
    payments::{self, provider::decimal, AttemptStatus},
    seed, DatabaseConnection,
};
use portico_server::AppState;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::support::{
    self, empty_site,
    fake_mollie::{FakeMollie, Mode},
    form, Browser, Reply,
};

/// Lars Hendriks, owner of Studio Hendriks (customer 5), whose older move's invoice is overdue.
const LARS: &str = "lars@studiohendriks.example";
const STUDIO_HENDRIKS: i32 = 5;

struct Shop {
    app: Router,
    state: AppState,
    clock: ManualClock,
    fake: Option<FakeMollie>,
    _data: tempfile::TempDir,
    _site: tempfile::TempDir,
}

/// The demo company, paying through the fake Mollie (`mollie`) or in test mode (demo mode).
async fn shop(db: &DatabaseConnection, mollie: bool, public_url: Option<&str>) -> Shop {
    let clock = ManualClock::new(Utc::now().trunc_subsecs(0));
    seed::seed_demo_if_empty(db, clock.now())
        .await
        .expect("seed");
    let data = tempfile::tempdir().expect("data");
    let (site, root) = empty_site();
    let fake = if mollie {
        Some(FakeMollie::start().await)
    } else {
        None
    };
    let data_dir = data.path().to_str().expect("path").to_owned();
    let settings: Vec<(&str, String)> = match &fake {
        Some(fake) => fake.settings().into_iter().collect(),
        None => vec![("PORTICO_DEMO", "true".to_owned())],
    };
    let mut vars: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("PORTICO_DATA_DIR", &data_dir));
    if let Some(url) = public_url {
        vars.push(("PORTICO_PUBLIC_URL", url));
    }
    let state = support::state_with(db, &root, Arc::new(clock.clone()), &vars);
    Shop {
        app: portico_server::router(state.clone()),
        state,
        clock,
        fake,
        _data: data,
        _site: site,
    }
}

async fn open_invoice(db: &DatabaseConnection, customer_id: i32) -> Invoice {
    invoice::Entity::find()
        .filter(invoice::Column::CustomerId.eq(customer_id))
        .all(db)
        .await
        .expect("invoices")
        .into_iter()
        .find(Invoice::takes_payments)
        .expect("an open invoice")
}

/// The webhook as Mollie calls it: from its own servers, no Origin, a form with the id.
fn webhook(id: &str) -> Request<Body> {
    Request::post("/payments/webhook")
        .header("host", "localhost:3000")
        .header("user-agent", "Mollie HTTP client/1.0")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form(&[("id", id)])))
        .unwrap()
}

async fn pay(browser: &mut Browser, invoice_id: i32) -> Reply {
    browser
        .call(
            "/api/payments/pay",
            &form(&[("invoice_id", &invoice_id.to_string())]),
        )
        .await
}

async fn outcome(browser: &mut Browser, attempt_id: i32) -> Value {
    let reply = browser
        .call(
            "/api/payments/outcome",
            &form(&[("attempt_id", &attempt_id.to_string())]),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    serde_json::from_slice(&reply.body).expect("JSON")
}

/// The office books part of an invoice as a bank transfer.
async fn paid_by_transfer(db: &DatabaseConnection, shop: &Shop, invoice_id: i32, cents: i64) {
    invoices::record_payment(
        db,
        &portico_domain::audit::Stamp::system(shop.clock.now()),
        invoice_id,
        cents,
        invoices::PaymentMethod::BankTransfer,
        "transfer",
    )
    .await
    .expect("a part paid by transfer");
}

async fn attempts(db: &DatabaseConnection, invoice_id: i32) -> Vec<payments::Attempt> {
    payments::for_invoice(db, invoice_id)
        .await
        .expect("attempts")
}

async fn payments_of(db: &DatabaseConnection, invoice_id: i32) -> Vec<payment::Model> {
    payment::Entity::find()
        .filter(payment::Column::InvoiceId.eq(invoice_id))
        .all(db)
        .await
        .expect("payments")
}

async fn count_audit(db: &DatabaseConnection, action: &str, detail_contains: &str) -> usize {
    audit::Entity::find()
        .filter(audit::Column::Action.eq(action))
        .all(db)
        .await
        .expect("audit")
        .iter()
        .filter(|row| {
            row.detail
                .as_deref()
                .is_some_and(|d| d.contains(detail_contains))
        })
        .count()
}

async fn receipts_to(db: &DatabaseConnection, to: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::ToAddress.eq(to))
        .all(db)
        .await
        .expect("outbox")
        .into_iter()
        .filter(|m| m.subject.contains("Payment received"))
        .collect()
}

#[tokio::test]
async fn a_payment_at_mollie_is_booked_once_however_many_webhooks_come_at_once() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let shop = shop(db, true, None).await;
        let fake = shop.fake.clone().expect("fake Mollie");
        let invoice = open_invoice(db, STUDIO_HENDRIKS).await;
        let job_id = invoice.job_id.expect("on a move");
        let number = invoice.number.clone().expect("issued");
        let mut lars = Browser::signed_in_demo(&shop.app, LARS, shop.clock.now()).await;

        let reply = pay(&mut lars, invoice.id).await;
        assert_eq!(reply.status, 200, "{label}: {}", reply.text());
        let checkout: String = serde_json::from_slice(&reply.body).expect("the checkout");
        assert!(
            checkout.starts_with("https://www.mollie.com/checkout/"),
            "{label}: {checkout}"
        );
        let attempt = attempts(db, invoice.id).await.remove(0);
        let asked = fake.last();
        assert_eq!(
            asked.amount,
            json!({"currency": "EUR", "value": decimal(invoice.outstanding_cents())}),
            "{label}"
        );
        assert_eq!(asked.description, format!("Invoice {number}"), "{label}");
        assert_eq!(
            asked.redirect_url,
            format!("http://localhost:3000/payments/{}", attempt.id),
            "{label}"
        );
        assert_eq!(
            asked.webhook_url.as_deref(),
            Some("http://localhost:3000/payments/webhook"),
            "{label}"
        );
        assert_eq!(asked.metadata["invoice_id"], json!(invoice.id), "{label}");
        assert_eq!(asked.metadata["attempt_id"], json!(attempt.id), "{label}");
        assert_eq!(
            fake.idempotency_keys(),
            [format!("portico-attempt-{}", attempt.id)],
            "{label}"
        );
        assert_eq!(attempt.provider_id.as_deref(), Some(asked.id.as_str()));

        // Paying again while it is open sends the customer back to the same checkout.
        let again = pay(&mut lars, invoice.id).await;
        assert_eq!(again.status, 200, "{label}: {}", again.text());
        let again: String = serde_json::from_slice(&again.body).expect("the checkout");
        assert_eq!(again, checkout, "{label}");
        assert_eq!(fake.payments().len(), 1, "{label}: one payment at Mollie");
        // Without scripts the form post is sent on to the checkout.
        let mut no_script = support::call(
            "/api/payments/pay",
            &form(&[("invoice_id", &invoice.id.to_string())]),
        );
        no_script
            .headers_mut()
            .insert("accept", "text/html".parse().expect("header"));
        let redirected = lars.send(no_script).await;
        assert_eq!(redirected.status, 302, "{label}: {}", redirected.text());
        assert_eq!(
            redirected.header("location"),
            Some(checkout.as_str()),
            "{label}"
        );

        fake.set_status(&asked.id, "paid");
        let paid_events_before = live_event::Entity::find()
            .filter(live_event::Column::Kind.eq(LiveKind::InvoicePaid))
            .count(db)
            .await
            .expect("count");
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let app = shop.app.clone();
            let id = asked.id.clone();
            calls.spawn(async move { support::send(&app, webhook(&id)).await.status });
        }
        while let Some(status) = calls.join_next().await {
            assert_eq!(status.expect("a webhook call"), 200, "{label}");
        }

        let booked = payments_of(db, invoice.id).await;
        let online: Vec<_> = booked.iter().filter(|p| p.attempt_id.is_some()).collect();
        assert_eq!(
            online.len(),
            1,
            "{label}: exactly one payment row: {booked:?}"
        );
        assert_eq!(
            online[0].amount_cents,
            invoice.outstanding_cents(),
            "{label}"
        );
        assert_eq!(online[0].method, "ideal", "{label}");
        assert_eq!(online[0].reference, asked.id, "{label}");
        let invoice_now = invoices::find(db, invoice.id).await.expect("invoice");
        assert_eq!(invoice_now.status, InvoiceStatus::Paid, "{label}");
        assert_eq!(
            jobs::find(db, job_id).await.expect("job").status,
            JobStatus::Paid,
            "{label}"
        );
        let paid_events = live_event::Entity::find()
            .filter(live_event::Column::Kind.eq(LiveKind::InvoicePaid))
            .count(db)
            .await
            .expect("count");
        assert_eq!(
            paid_events,
            paid_events_before + 1,
            "{label}: one paid event"
        );
        assert_eq!(
            count_audit(db, "payment_updated", "now paid").await,
            1,
            "{label}"
        );
        let booking_rows = audit::Entity::find()
            .filter(audit::Column::Action.eq("payment_recorded"))
            .filter(audit::Column::Subject.eq(format!("invoice:{}", invoice.id)))
            .count(db)
            .await
            .expect("audit");
        assert_eq!(booking_rows, 1, "{label}: the booking's audit row");
        let receipts = receipts_to(db, LARS).await;
        assert_eq!(receipts.len(), 1, "{label}: one receipt");
        assert!(receipts[0].body_text.contains(&number), "{label}");
        assert!(!receipts[0].subject.contains("TEST"), "{label}");

        let seen = outcome(&mut lars, attempt.id).await;
        assert_eq!(seen["attempt"]["state"], "paid", "{label}: {seen}");
        assert_eq!(seen["invoice_state"], "paid", "{label}");
        assert_eq!(seen["may_retry"], false, "{label}");

        // Nothing is left to pay; the webhook coming once more changes nothing.
        assert_eq!(pay(&mut lars, invoice.id).await.status, 409, "{label}");
        assert_eq!(
            support::send(&shop.app, webhook(&asked.id)).await.status,
            200
        );
        assert_eq!(
            payments_of(db, invoice.id).await.len(),
            booked.len(),
            "{label}"
        );
        assert_eq!(receipts_to(db, LARS).await.len(), 1, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn failed_cancelled_and_expired_payments_can_be_tried_again_and_a_pending_one_waits() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let shop = shop(db, true, None).await;
        let fake = shop.fake.clone().expect("fake Mollie");
        let invoice = open_invoice(db, STUDIO_HENDRIKS).await;
        let job_id = invoice.job_id.expect("on a move");
        let mut lars = Browser::signed_in_demo(&shop.app, LARS, shop.clock.now()).await;

        for ending in ["failed", "canceled", "expired"] {
            assert_eq!(pay(&mut lars, invoice.id).await.status, 200, "{label}");
            let at_mollie = fake.last();
            fake.set_status(&at_mollie.id, ending);
            assert_eq!(
                support::send(&shop.app, webhook(&at_mollie.id))
                    .await
                    .status,
                200
            );
            let attempt = attempts(db, invoice.id).await.remove(0);
            assert_eq!(attempt.status.code(), ending, "{label}");
            assert_eq!(attempt.open_invoice_id, None, "{label}: the slot is free");
            let seen = outcome(&mut lars, attempt.id).await;
            assert_eq!(seen["may_retry"], true, "{label}: {seen}");
            assert!(payments_of(db, invoice.id).await.is_empty(), "{label}");
            // The move page says so and offers the button again.
            let the_move = lars
                .call(
                    "/api/portal/move",
                    &form(&[("job_id", &job_id.to_string())]),
                )
                .await;
            let the_move: Value = serde_json::from_slice(&the_move.body).expect("JSON");
            let shown = the_move["invoices"]
                .as_array()
                .expect("invoices")
                .iter()
                .find(|i| i["id"] == json!(invoice.id))
                .cloned()
                .expect("the invoice");
            assert_eq!(shown["may_pay"], true, "{label}: {shown}");
            assert!(
                shown["payment_note"]
                    .as_str()
                    .is_some_and(|n| n.contains("try again")),
                "{label}: {shown}"
            );
        }
        assert_eq!(fake.payments().len(), 3, "{label}: a new payment each time");

        // Pending: the bank is confirming; no second payment meanwhile.
        assert_eq!(pay(&mut lars, invoice.id).await.status, 200, "{label}");
        let at_mollie = fake.last();
        fake.set_status(&at_mollie.id, "pending");
        assert_eq!(
            support::send(&shop.app, webhook(&at_mollie.id))
                .await
                .status,
            200
        );
        let waiting = pay(&mut lars, invoice.id).await;
        assert_eq!(waiting.status, 409, "{label}: {}", waiting.text());
        assert!(waiting.text().contains("confirming"), "{label}");
        let attempt = attempts(db, invoice.id).await.remove(0);
        assert_eq!(
            outcome(&mut lars, attempt.id).await["attempt"]["state"],
            "processing"
        );
        fake.set_status(&at_mollie.id, "paid");
        assert_eq!(
            support::send(&shop.app, webhook(&at_mollie.id))
                .await
                .status,
            200
        );
        assert_eq!(
            invoices::find(db, invoice.id)
                .await
                .expect("invoice")
                .status,
            InvoiceStatus::Paid,
            "{label}"
        );
        // A late "pending" from an earlier question never takes "paid" back.
        assert_eq!(
            attempts(db, invoice.id).await.remove(0).status,
            AttemptStatus::Paid
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_provider_that_fails_or_stays_silent_is_asked_again_and_the_reconciliation_books_it() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let shop = shop(db, true, None).await;
        let fake = shop.fake.clone().expect("fake Mollie");
        let invoice = open_invoice(db, STUDIO_HENDRIKS).await;
        let mut lars = Browser::signed_in_demo(&shop.app, LARS, shop.clock.now()).await;

        // Mollie down while starting: nothing open is left behind, a clear 502.
        fake.set_mode(Mode::Failing);
        let refused = pay(&mut lars, invoice.id).await;
        assert_eq!(refused.status, 502, "{label}: {}", refused.text());
        assert!(
            attempts(db, invoice.id)
                .await
                .iter()
                .all(|a| a.open_invoice_id.is_none()),
            "{label}"
        );
        fake.set_mode(Mode::Normal);
        assert_eq!(pay(&mut lars, invoice.id).await.status, 200, "{label}");
        let at_mollie = fake.last();
        fake.set_status(&at_mollie.id, "paid");

        // The webhook comes while Mollie's API answers 500: 503, so that Mollie calls again.
        fake.set_mode(Mode::Failing);
        assert_eq!(
            support::send(&shop.app, webhook(&at_mollie.id))
                .await
                .status,
            503,
            "{label}"
        );
        assert!(payments_of(db, invoice.id).await.is_empty(), "{label}");
        // And while it answers nothing at all (Portico's client gives up after 10 s).
        fake.set_mode(Mode::Silent);
        assert_eq!(
            support::send(&shop.app, webhook(&at_mollie.id))
                .await
                .status,
            503,
            "{label}"
        );
        assert!(payments_of(db, invoice.id).await.is_empty(), "{label}");

        // Mollie's webhook never comes back; the reconciliation asks after a quiet while.
        fake.set_mode(Mode::Normal);
        portico_server::payments::reconcile_once(&shop.state).await;
        assert!(
            payments_of(db, invoice.id).await.is_empty(),
            "{label}: not asked again so soon"
        );
        shop.clock.advance(payments::QUIET + Duration::seconds(1));
        portico_server::payments::reconcile_once(&shop.state).await;
        assert_eq!(payments_of(db, invoice.id).await.len(), 1, "{label}");
        assert_eq!(
            invoices::find(db, invoice.id)
                .await
                .expect("invoice")
                .status,
            InvoiceStatus::Paid,
            "{label}"
        );
        assert_eq!(receipts_to(db, LARS).await.len(), 1, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn the_webhook_acts_only_on_ids_it_can_verify_with_the_provider() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let shop = shop(db, true, None).await;
        let fake = shop.fake.clone().expect("fake Mollie");
        let before = fake.requests().len();
        for id in ["tr_NoSuchPayment", "../../etc/passwd", "", "tr_Fake000001x"] {
            assert_eq!(
                support::send(&shop.app, webhook(id)).await.status,
                200,
                "{label}: {id:?}"
            );
        }
        // Ids Portico did not start are not even asked about.
        assert_eq!(fake.requests().len(), before, "{label}");
        // From a foreign origin too: the webhook is the one POST open to anyone.
        let mut foreign = webhook("tr_NoSuchPayment");
        foreign
            .headers_mut()
            .insert("origin", "https://evil.example".parse().expect("header"));
        assert_eq!(support::send(&shop.app, foreign).await.status, 200);
        // A body without an id is bad input, not a server error.
        let mut empty = webhook("x");
        *empty.body_mut() = Body::from("nothing=here");
        let status = support::send(&shop.app, empty).await.status.as_u16();
        assert!((400..500).contains(&status), "{label}: {status}");
        assert_eq!(
            payment::Entity::find()
                .filter(payment::Column::AttemptId.is_not_null())
                .count(db)
                .await
                .expect("count"),
            0
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_wrong_amount_is_flagged_not_booked_and_too_much_books_what_was_open() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let shop = shop(db, true, None).await;
        let fake = shop.fake.clone().expect("fake Mollie");
        let invoice = open_invoice(db, STUDIO_HENDRIKS).await;
        let mut lars = Browser::signed_in_demo(&shop.app, LARS, shop.clock.now()).await;

        // Mollie reports another amount than was asked: flagged to the office, not booked.
        assert_eq!(pay(&mut lars, invoice.id).await.status, 200, "{label}");
        let at_mollie = fake.last();
        fake.report_amount(&at_mollie.id, "EUR", "1.00");
        fake.set_status(&at_mollie.id, "paid");
        assert_eq!(
            support::send(&shop.app, webhook(&at_mollie.id))
                .await
                .status,
            200
        );
        assert!(payments_of(db, invoice.id).await.is_empty(), "{label}");
        let flagged = attempts(db, invoice.id).await.remove(0);
        assert!(
            flagged
                .problem
                .as_deref()
                .is_some_and(|p| p.contains("1.00 EUR") && p.contains("nothing was booked")),
            "{label}: {flagged:?}"
        );
        // The office sees it on the invoice; the customer does not see the office's note.
        let mut olga =
            Browser::signed_in_demo(&shop.app, "olga@vandijk.example", shop.clock.now()).await;
        let staff_seen = outcome(&mut olga, flagged.id).await;
        assert!(staff_seen["attempt"]["problem"].is_string(), "{label}");
        let dashboard = olga.call("/api/staff/dashboard", "").await;
        let dashboard: Value = serde_json::from_slice(&dashboard.body).expect("JSON");
        assert!(
            dashboard["to_do"]
                .as_array()
                .expect("to do")
                .iter()
                .any(|item| item["detail"].as_str().is_some_and(
                    |d| d.contains(&format!("check the online payment {}", at_mollie.id))
                )),
            "{label}: the office is told: {dashboard}"
        );
        assert!(outcome(&mut lars, flagged.id).await["attempt"]["problem"].is_null());

        // The office books part of it by transfer while the customer pays the whole at Mollie:
        // the open rest is booked, the excess flagged for a refund.
        assert_eq!(pay(&mut lars, invoice.id).await.status, 200, "{label}");
        let at_mollie = fake.last();
        paid_by_transfer(db, &shop, invoice.id, 10_000).await;
        fake.set_status(&at_mollie.id, "paid");
        assert_eq!(
            support::send(&shop.app, webhook(&at_mollie.id))
                .await
                .status,
            200
        );
        let booked = payments_of(db, invoice.id).await;
        let online: Vec<_> = booked.iter().filter(|p| p.attempt_id.is_some()).collect();
        assert_eq!(online.len(), 1, "{label}");
        assert_eq!(
            online[0].amount_cents,
            invoice.outstanding_cents() - 10_000,
            "{label}"
        );
        let over = attempts(db, invoice.id).await.remove(0);
        assert!(
            over.problem
                .as_deref()
                .is_some_and(|p| p.contains("100,00") && p.contains("refund")),
            "{label}: {over:?}"
        );
        assert_eq!(
            invoices::find(db, invoice.id)
                .await
                .expect("invoice")
                .status,
            InvoiceStatus::Paid
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_refund_made_in_the_dashboard_shows_on_the_invoice() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let shop = shop(db, true, None).await;
        let fake = shop.fake.clone().expect("fake Mollie");
        let invoice = open_invoice(db, STUDIO_HENDRIKS).await;
        let mut lars = Browser::signed_in_demo(&shop.app, LARS, shop.clock.now()).await;
        // Part of it was paid by transfer first: online, the customer pays the rest.
        paid_by_transfer(db, &shop, invoice.id, 10_000).await;
        assert_eq!(pay(&mut lars, invoice.id).await.status, 200, "{label}");
        let at_mollie = fake.last();
        assert_eq!(
            at_mollie.amount["value"],
            json!(decimal(invoice.outstanding_cents() - 10_000)),
            "{label}: the rest"
        );
        fake.set_status(&at_mollie.id, "paid");
        assert_eq!(
            support::send(&shop.app, webhook(&at_mollie.id))
                .await
                .status,
            200
        );
        assert_eq!(
            invoices::find(db, invoice.id)
                .await
                .expect("invoice")
                .status,
            InvoiceStatus::Paid,
            "{label}"
        );
        fake.refund(&at_mollie.id, "25.00");
        assert_eq!(
            support::send(&shop.app, webhook(&at_mollie.id))
                .await
                .status,
            200
        );
        let attempt = attempts(db, invoice.id).await.remove(0);
        assert_eq!(attempt.refunded_cents, 2_500, "{label}");
        assert_eq!(
            count_audit(db, "payment_updated", "refunded at the provider").await,
            1,
            "{label}"
        );
        let seen = outcome(&mut lars, attempt.id).await;
        assert_eq!(seen["attempt"]["refunded"], "€ 25,00", "{label}: {seen}");
        // The booked payments stay; the office decides what the refund means for the invoice.
        assert_eq!(payments_of(db, invoice.id).await.len(), 2, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn the_test_checkout_pays_through_the_same_webhook_over_http() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let public = format!("http://localhost:{port}");
        let shop = shop(db, false, Some(&public)).await;
        let served = shop.app.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, served).await;
        });
        let invoice = open_invoice(db, STUDIO_HENDRIKS).await;
        let mut lars = Browser::new(&shop.app);
        lars.origin = Some(public.clone());
        let signed_in = lars.demo_sign_in(LARS, shop.clock.now()).await;
        assert_eq!(signed_in.status, 200, "{label}: {}", signed_in.text());
        let origin = |request: &mut Request<Body>| {
            let headers = request.headers_mut();
            headers.insert("origin", public.parse().expect("origin"));
            headers.insert("host", format!("localhost:{port}").parse().expect("host"));
        };

        let reply = pay(&mut lars, invoice.id).await;
        assert_eq!(reply.status, 200, "{label}: {}", reply.text());
        let checkout: String = serde_json::from_slice(&reply.body).expect("the checkout");
        let path = checkout
            .strip_prefix(&public)
            .expect("a checkout of Portico's own")
            .to_owned();
        assert!(path.starts_with("/pay/test/test_"), "{label}: {path}");

        let page = support::send(&shop.app, support::get(&path)).await;
        assert_eq!(page.status, 200, "{label}");
        let html = page.text();
        assert!(
            html.contains("TEST MODE") && html.contains("no money moves"),
            "{label}"
        );
        assert!(html.contains(&portico_domain::money::format_euros(
            invoice.outstanding_cents()
        )));
        assert!(
            page.header("content-security-policy")
                .is_some_and(|csp| csp.contains("default-src 'none'")),
            "{label}"
        );

        // "Failed" first: back to the return page, nothing booked, try again.
        let decide = |outcome: &str| {
            let mut request = Request::post(path.as_str())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(form(&[
                    ("outcome", outcome),
                    ("method", "ideal"),
                ])))
                .unwrap();
            origin(&mut request);
            request
        };
        let failed = support::send(&shop.app, decide("failed")).await;
        assert_eq!(failed.status, 303, "{label}: {}", failed.text());
        let attempt = attempts(db, invoice.id).await.remove(0);
        assert_eq!(
            failed.header("location"),
            Some(format!("{public}/payments/{}", attempt.id).as_str())
        );
        wait_for(db, attempt.id, AttemptStatus::Failed).await;
        assert!(payments_of(db, invoice.id).await.is_empty(), "{label}");
        // The same button twice changes nothing.
        assert_eq!(support::send(&shop.app, decide("paid")).await.status, 200);

        // Then paid, with a new checkout.
        let reply = pay(&mut lars, invoice.id).await;
        let checkout: String = serde_json::from_slice(&reply.body).expect("the checkout");
        let second = checkout.strip_prefix(&public).expect("ours").to_owned();
        assert_ne!(second, path, "{label}");
        let mut request = Request::post(second.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form(&[
                ("outcome", "paid"),
                ("method", "ideal"),
            ])))
            .unwrap();
        origin(&mut request);
        assert_eq!(support::send(&shop.app, request).await.status, 303);
        let attempt = attempts(db, invoice.id).await.remove(0);
        wait_for(db, attempt.id, AttemptStatus::Paid).await;
        let booked = payments_of(db, invoice.id).await;
        assert_eq!(booked.len(), 1, "{label}");
        assert_eq!(
            booked[0].method, "test",
            "{label}: never shown as real money"
        );
        let receipts = receipts_to(db, LARS).await;
        assert_eq!(receipts.len(), 1, "{label}");
        assert!(receipts[0].subject.starts_with("[TEST]"), "{label}");

        // Staff never pay for a customer.
        let mut olga = Browser::new(&shop.app);
        olga.origin = Some(public.clone());
        let signed_in = olga
            .demo_sign_in("olga@vandijk.example", shop.clock.now())
            .await;
        assert_eq!(signed_in.status, 200, "{label}");
        let other = open_invoice(db, 3).await;
        assert_eq!(pay(&mut olga, other.id).await.status, 403, "{label}");
        test_db.finish().await;
    }
}

/// The webhook arrives over HTTP a moment after the button: wait for its outcome.
async fn wait_for(db: &DatabaseConnection, attempt_id: i32, status: AttemptStatus) {
    for _ in 0..100 {
        if payments::find(db, attempt_id)
            .await
            .is_ok_and(|a| a.status == status)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("attempt {attempt_id} never became {status:?}");
}
