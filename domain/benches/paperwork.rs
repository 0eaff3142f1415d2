//! The business core's hot paths: rendering an invoice PDF, and issuing invoices (the gap-free
//! counter) on a SQLite file, one after another and eight at a time. Run with
//! `cargo bench -p portico-domain --bench paperwork`; prints medians and 99th percentiles.

// Benchmarks state what they expect with expect/panic, like tests (see [workspace.lints]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use chrono::Utc;
use portico_domain::{
    audit::Stamp,
    customers::{self, CustomerInput, CustomerKind},
    db, invoices,
    money::{price_lines, LineInput, Totals, VatRate},
    pdf::{self, Paper},
};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what} ({} runs): median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
}

fn lines(count: usize) -> Vec<LineInput> {
    (0..count)
        .map(|i| LineInput {
            description: format!(
                "Line {i}: movers, boxes, the van and a parking permit for the day"
            ),
            quantity_hundredths: 150 + i as i64,
            unit: "hour".into(),
            unit_price_cents: 11_500,
            vat_rate: if i % 5 == 0 {
                VatRate::Zero
            } else {
                VatRate::Standard
            },
        })
        .collect()
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(300);

    // One A4 invoice with 20 lines, rendered to PDF bytes.
    let priced = price_lines(lines(20)).expect("lines");
    let paper = Paper {
        title: "Invoice VD2026-00042".into(),
        company_name: "Van Dijk Verhuizingen".into(),
        company_lines: vec![
            "Transportweg 7".into(),
            "1043 AJ Amsterdam".into(),
            "KvK 12345678".into(),
        ],
        recipient: vec![
            "Familie De Boer".into(),
            "Keizersgracht 12".into(),
            "1015 CS Amsterdam".into(),
        ],
        facts: vec![("Invoice date".into(), "30 November 2026".into())],
        totals: Totals::of(&priced),
        lines: priced,
        closing: vec!["Please pay within 14 days.".into()],
        colour: "#1f5f8b".into(),
    };
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let started = Instant::now();
        size = pdf::render(&paper).len();
        times.push(started.elapsed());
    }
    report(&format!("invoice PDF, 20 lines, {size} bytes"), times);

    // Issuing invoices on a SQLite file: the counter row, the invoice, the audit row.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("folder");
        let conn = db::connect(&db::default_sqlite_url(dir.path()))
            .await
            .expect("sqlite");
        db::migrate(&conn).await.expect("migrate");
        let stamp = Stamp::system(Utc::now());
        let customer = customers::create(
            &conn,
            &stamp,
            CustomerInput {
                name: "Bench B.V.".into(),
                kind: Some(CustomerKind::Business),
                email: "bench@bench.example".into(),
                phone: "+31 20 000 0000".into(),
                ..Default::default()
            },
        )
        .await
        .expect("customer");
        let today = Utc::now().date_naive();
        let mut drafts = Vec::new();
        for _ in 0..runs * 2 {
            let draft = invoices::draft_by_hand(&conn, &stamp, customer.id, None, lines(3))
                .await
                .expect("draft");
            drafts.push(draft.id);
        }
        let (one_by_one, at_once) = drafts.split_at(runs);
        let mut times = Vec::with_capacity(runs);
        for id in one_by_one {
            let started = Instant::now();
            invoices::issue(&conn, None, &stamp, *id, today, "VD", 14)
                .await
                .expect("issue");
            times.push(started.elapsed());
        }
        report("issue one invoice, SQLite, one at a time", times);

        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for chunk in at_once.chunks(at_once.len().div_ceil(8)) {
            let conn = conn.clone();
            let stamp = stamp.clone();
            let chunk = chunk.to_vec();
            tasks.spawn(async move {
                for id in chunk {
                    loop {
                        match invoices::issue(&conn, None, &stamp, id, today, "VD", 14).await {
                            Ok(_) => break,
                            Err(portico_domain::DomainError::Database(e))
                                if e.to_string().contains("locked") =>
                            {
                                tokio::task::yield_now().await;
                            }
                            Err(other) => panic!("{other:?}"),
                        }
                    }
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("task");
        }
        let elapsed = started.elapsed();
        println!(
            "issue {} invoices from 8 tasks at once, SQLite: {:.0} ms in all, {:.0} invoices/s",
            at_once.len(),
            elapsed.as_secs_f64() * 1e3,
            at_once.len() as f64 / elapsed.as_secs_f64()
        );
    });
}
