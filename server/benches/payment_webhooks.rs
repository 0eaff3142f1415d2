//! The payment webhook under duplicates (not a timed test): the real router on the demo data,
//! paying through the local fake Mollie of the test suite. Each round issues a fresh invoice,
//! starts paying it as its owner, marks it paid at the fake, and sends ten identical webhooks
//! at the same moment, as a provider retrying does at worst. Reports the webhooks answered per
//! second, the time a round of ten takes (p50 / p99), the payments booked per round (must be
//! exactly one), and the time from a webhook's start until the customer's move page, fetched
//! right after, says "paid".
//!
//! `CARGO_TARGET_DIR=target/bench-client cargo bench -p portico-server --bench payment_webhooks`
//! (SQLite file; the target folder keeps cargo-leptos' release build of `portico` intact);
//! with `PORTICO_TEST_DATABASE_URL=postgres://…` on PostgreSQL too. `ROUNDS` (default 40).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/integration/support/mod.rs"]
mod support;

use std::{sync::Arc, time::Instant};

use axum::{body::Body, http::Request};
use portico_domain::{
    audit::Stamp,
    clock::SystemClock,
    invoices::{self, payment},
    money::{LineInput, VatRate},
    seed,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use support::{fake_mollie::FakeMollie, form, Browser};

const LARS: &str = "lars@studiohendriks.example";
const STUDIO_HENDRIKS: i32 = 5;
const DUPLICATES: usize = 10;

fn webhook(id: &str) -> Request<Body> {
    Request::post("/payments/webhook")
        .header("host", "localhost:3000")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form(&[("id", id)])))
        .unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for test_db in support::migrated_databases().await {
        let db = &test_db.db;
        let now = chrono::Utc::now();
        seed::seed_demo_if_empty(db, now).await.expect("seed");
        let fake = FakeMollie::start().await;
        let settings = fake.settings();
        let (_site, root) = support::empty_site();
        let vars: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let app = support::app_with(db, &root, Arc::new(SystemClock), &vars);
        let mut lars = Browser::signed_in_demo(&app, LARS, now).await;
        let office = Stamp::system(now);
        let job_id = 10;

        let mut round_ms = Vec::new();
        let mut to_paid_ms = Vec::new();
        let mut webhooks = 0usize;
        let mut webhook_time = 0.0f64;
        for round in 0..rounds {
            let draft = invoices::draft_by_hand(
                db,
                &office,
                STUDIO_HENDRIKS,
                Some(job_id),
                vec![LineInput {
                    description: format!("Storage, month {round}"),
                    quantity_hundredths: 100,
                    unit: "month".to_owned(),
                    unit_price_cents: 12_345,
                    vat_rate: VatRate::Standard,
                }],
            )
            .await
            .expect("a draft");
            let invoice = invoices::issue(db, None, &office, draft.id, now.date_naive(), "B", 14)
                .await
                .expect("issued");
            let reply = lars
                .call(
                    "/api/payments/pay",
                    &form(&[("invoice_id", &invoice.id.to_string())]),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text());
            let at_mollie = fake.last();
            fake.set_status(&at_mollie.id, "paid");

            let started = Instant::now();
            let mut calls = tokio::task::JoinSet::new();
            for _ in 0..DUPLICATES {
                let app = app.clone();
                let id = at_mollie.id.clone();
                calls.spawn(async move {
                    let at = Instant::now();
                    let status = support::send(&app, webhook(&id)).await.status;
                    (status, at.elapsed().as_secs_f64())
                });
            }
            while let Some(done) = calls.join_next().await {
                let (status, took) = done.expect("a webhook");
                assert_eq!(status, 200);
                webhooks += 1;
                webhook_time += took;
            }
            let the_move = lars
                .call(
                    "/api/portal/move",
                    &form(&[("job_id", &job_id.to_string())]),
                )
                .await;
            let seen: serde_json::Value = serde_json::from_slice(&the_move.body).expect("JSON");
            let paid = seen["invoices"]
                .as_array()
                .expect("invoices")
                .iter()
                .any(|i| i["id"] == serde_json::json!(invoice.id) && i["state"] == "paid");
            assert!(paid, "the move page shows the invoice paid");
            to_paid_ms.push(started.elapsed().as_secs_f64() * 1000.0);
            round_ms.push(to_paid_ms.last().copied().unwrap_or_default());
            let booked = payment::Entity::find()
                .filter(payment::Column::InvoiceId.eq(invoice.id))
                .count(db)
                .await
                .expect("count");
            assert_eq!(booked, 1, "round {round}: exactly one payment booked");
        }
        let total_s: f64 = round_ms.iter().sum::<f64>() / 1000.0;
        round_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
        to_paid_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{}: {rounds} rounds of {DUPLICATES} simultaneous duplicate webhooks: {:.0} webhooks/s, \
             one webhook {:.1} ms on average; webhook to the move page saying paid p50 {:.1} ms, \
             p99 {:.1} ms; payments booked per round: exactly 1 in all {rounds}",
            test_db.label,
            webhooks as f64 / total_s,
            1000.0 * webhook_time / webhooks as f64,
            percentile(&to_paid_ms, 50.0),
            percentile(&to_paid_ms, 99.0),
        );
        test_db.finish().await;
    }
}
