//! The customer's side through the real router: the home page's moves in words, a quote
//! accepted in the portal with a receipt that names the SHA-256 of the very PDF the customer
//! downloaded, scopes (a viewer reads without money and cannot answer), another customer's
//! ids answered 404, and moving day as a calendar entry whose SEQUENCE follows a new date.

use std::sync::Arc;

use axum::{body::Body, http::Request, Router};
use chrono::{SubsecRound, Utc};
use portico_domain::{
    clock::{Clock, ManualClock},
    seed, DatabaseConnection,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::support::{self, call, empty_site, form, Browser};

const AGENT: &str = "Mozilla/5.0 (Linux; Android 14) PorticoTest/1.0";

struct Demo {
    app: Router,
    clock: ManualClock,
    _data: tempfile::TempDir,
    _site: tempfile::TempDir,
}

async fn demo(db: &DatabaseConnection) -> Demo {
    // Whole seconds: PostgreSQL keeps microseconds, so a stored time compares equal.
    let clock = ManualClock::new(Utc::now().trunc_subsecs(0));
    seed::seed_demo_if_empty(db, clock.now())
        .await
        .expect("seed");
    let data = tempfile::tempdir().expect("data");
    let storage = portico_domain::documents::LocalDisk::new(data.path().join("documents"));
    seed::attach_demo_documents(db, &storage, clock.now())
        .await
        .expect("demo documents");
    let (site, root) = empty_site();
    let app = support::app_with(
        db,
        &root,
        Arc::new(clock.clone()),
        &[
            ("PORTICO_DEMO", "true"),
            ("PORTICO_DATA_DIR", data.path().to_str().expect("path")),
        ],
    );
    Demo {
        app,
        clock,
        _data: data,
        _site: site,
    }
}

/// The sent quote of a customer's job that awaits an answer.
async fn sent_quote_of(db: &DatabaseConnection, customer_id: i32) -> portico_domain::quotes::Quote {
    use portico_domain::{jobs::entity as job, quotes::entity as quote};
    let jobs: Vec<i32> = job::Entity::find()
        .filter(job::Column::CustomerId.eq(customer_id))
        .all(db)
        .await
        .expect("jobs")
        .into_iter()
        .map(|j| j.id)
        .collect();
    quote::Entity::find()
        .filter(quote::Column::JobId.is_in(jobs))
        .filter(quote::Column::Status.eq(portico_domain::quotes::QuoteStatus::Sent))
        .one(db)
        .await
        .expect("query")
        .expect("a sent quote")
}

/// A multipart POST of one PDF as the field `file`, from our own page.
fn pdf_upload(path: &str, bytes: &[u8]) -> Request<Body> {
    let boundary = "receipt-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"quote.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post(path)
        .header("host", "localhost:3000")
        .header("origin", support::ORIGIN)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

/// `quotes/check_receipt` for a fingerprint, as JSON.
async fn check_receipt(browser: &mut Browser, sha256: &str) -> serde_json::Value {
    let reply = browser
        .call("/api/quotes/check_receipt", &form(&[("sha256", sha256)]))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    serde_json::from_slice(&reply.body).expect("json")
}

fn with_agent(mut request: Request<Body>) -> Request<Body> {
    request
        .headers_mut()
        .insert("user-agent", AGENT.parse().expect("header"));
    request
}

#[tokio::test]
async fn a_quote_accepted_in_the_portal_names_the_pdf_the_customer_downloaded() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        // Pieter Smit (customer 2) has a quote waiting; the De Boers and Lars are others.
        let mut pieter = Browser::signed_in_demo(&demo.app, "pieter@smit.example", now).await;
        let mut sanne = Browser::signed_in_demo(&demo.app, "sanne@deboer.example", now).await;
        let mut lars = Browser::signed_in_demo(&demo.app, "lars@studiohendriks.example", now).await;
        let mut office = Browser::signed_in_demo(&demo.app, "olga@vandijk.example", now).await;
        let quote = sent_quote_of(db, 2).await;
        let quote_id = quote.id.to_string();

        let home = pieter.call("/api/portal/my_moves", "").await;
        assert_eq!(home.status, 200, "{label}: {}", home.text());
        let home: serde_json::Value = serde_json::from_slice(&home.body).expect("json");
        let card = home["moves"]
            .as_array()
            .expect("moves")
            .iter()
            .find(|m| m["id"] == quote.job_id)
            .expect("the quoted move on the home page")
            .clone();
        assert_eq!(card["words"], "Quote ready for you", "{label}");
        assert_eq!(card["next"]["step"], "answer_quote", "{label}");
        assert_eq!(card["next"]["quote_id"], quote.id, "{label}");
        assert!(home["open_items"].as_u64().expect("count") >= 1, "{label}");

        // What the customer reads before accepting: the frozen PDF.
        let pdf = pieter.get(&format!("/files/quotes/{quote_id}.pdf")).await;
        assert_eq!(pdf.status, 200, "{label}");
        let downloaded = hex::encode(Sha256::digest(&pdf.body));

        let accept = |name: &'static str, confirmed: bool| {
            let mut pairs = vec![("quote_id", quote_id.as_str()), ("signed_name", name)];
            if confirmed {
                pairs.push(("confirmed", "yes"));
            }
            with_agent(call("/api/portal/accept_quote", &form(&pairs)))
        };
        // Another customer's quote is not there; staff cannot accept for the customer.
        assert_eq!(
            lars.send(accept("Lars Hendriks", true)).await.status,
            404,
            "{label}"
        );
        assert_eq!(
            sanne.send(accept("Sanne de Boer", true)).await.status,
            404,
            "{label}"
        );
        assert_eq!(
            office.send(accept("Olga", true)).await.status,
            403,
            "{label}"
        );
        // Without the explicit confirmation, or without a name, nothing is accepted.
        let unconfirmed = pieter.send(accept("Pieter Smit", false)).await;
        assert_eq!(unconfirmed.status, 422, "{label}: {}", unconfirmed.text());
        assert!(unconfirmed.text().contains("confirmed"), "{label}");
        let nameless = pieter.send(accept(" ", true)).await;
        assert_eq!(nameless.status, 422, "{label}");
        assert!(nameless.text().contains("signed_name"), "{label}");

        let accepted = pieter.send(accept("Pieter Smit", true)).await;
        assert_eq!(accepted.status, 200, "{label}: {}", accepted.text());
        let stored = portico_domain::quotes::find(db, quote.id)
            .await
            .expect("quote");
        assert_eq!(
            stored.status,
            portico_domain::quotes::QuoteStatus::Accepted,
            "{label}"
        );
        assert_eq!(
            stored.signed_name.as_deref(),
            Some("Pieter Smit"),
            "{label}"
        );
        assert_eq!(stored.signed_user_agent.as_deref(), Some(AGENT), "{label}");
        assert_eq!(
            stored.signed_pdf_sha256.as_deref(),
            Some(downloaded.as_str()),
            "{label}: the acceptance names the bytes downloaded"
        );
        assert_eq!(stored.decided_at, Some(now), "{label}");
        // Once only.
        assert_eq!(
            pieter.send(accept("Pieter Smit", true)).await.status,
            409,
            "{label}"
        );

        // The receipt: for the customer (and the office), not for another customer.
        let receipt_path = format!("/files/quotes/{quote_id}/receipt.pdf");
        let receipt = pieter.get(&receipt_path).await;
        assert_eq!(receipt.status, 200, "{label}");
        assert_eq!(receipt.header("content-type"), Some("application/pdf"));
        assert!(receipt
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment")));
        let (first, second) = downloaded.split_at(32);
        for half in [first, second] {
            assert!(
                receipt.body.windows(32).any(|w| w == half.as_bytes()),
                "{label}: the receipt shows the hash"
            );
        }
        assert!(
            receipt.body.windows(11).any(|w| w == b"Pieter Smit"),
            "{label}"
        );
        assert_eq!(office.get(&receipt_path).await.status, 200, "{label}");
        assert_eq!(lars.get(&receipt_path).await.status, 404, "{label}");
        assert_eq!(
            Browser::new(&demo.app).get(&receipt_path).await.status,
            401,
            "{label}"
        );
        // The same receipt every time: it was kept, not drawn again.
        assert_eq!(
            pieter.get(&receipt_path).await.body,
            receipt.body,
            "{label}"
        );

        let home = pieter.call("/api/portal/my_moves", "").await;
        let home: serde_json::Value = serde_json::from_slice(&home.body).expect("json");
        let card = home["moves"]
            .as_array()
            .expect("moves")
            .iter()
            .find(|m| m["id"] == quote.job_id)
            .expect("the move")
            .clone();
        assert_eq!(
            card["words"], "Quote accepted — we will confirm your moving day",
            "{label}"
        );
        let page = pieter
            .call(
                "/api/portal/move",
                &form(&[("job_id", &quote.job_id.to_string())]),
            )
            .await;
        let page: serde_json::Value = serde_json::from_slice(&page.body).expect("json");
        assert_eq!(
            page["quotes"][0]["accepted"]["sha256"], downloaded,
            "{label}: the move page shows the fingerprint"
        );

        // The check page: the PDF held is hashed on its way in and looked up.
        let checked = pieter
            .send(pdf_upload("/files/receipts/check", &pdf.body))
            .await;
        assert_eq!(checked.status, 303, "{label}: {}", checked.text());
        assert_eq!(
            checked.header("location"),
            Some(format!("/receipts/check?sha256={downloaded}").as_str()),
            "{label}"
        );
        let found = check_receipt(&mut pieter, &downloaded).await;
        assert_eq!(found["accepted"]["signed_name"], "Pieter Smit", "{label}");
        assert_eq!(found["accepted"]["job_id"], quote.job_id, "{label}");
        let upper = check_receipt(&mut office, &downloaded.to_uppercase()).await;
        assert_eq!(
            upper["accepted"]["version"], quote.version,
            "{label}: the office may check any"
        );
        // One byte changed is another document; another customer learns nothing.
        let mut changed = pdf.body.to_vec();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        let other = pieter
            .send(pdf_upload("/files/receipts/check", &changed))
            .await;
        let other_hash = hex::encode(Sha256::digest(&changed));
        assert_eq!(
            other.header("location"),
            Some(format!("/receipts/check?sha256={other_hash}").as_str())
        );
        assert!(
            check_receipt(&mut pieter, &other_hash).await["accepted"].is_null(),
            "{label}"
        );
        assert!(
            check_receipt(&mut lars, &downloaded).await["accepted"].is_null(),
            "{label}"
        );
        let page = pieter
            .get(&format!("/receipts/check?sha256={downloaded}"))
            .await;
        assert_eq!(page.status, 200, "{label}");
        assert!(
            page.text().contains("This is the accepted document."),
            "{label}"
        );
        let bad = pieter
            .call(
                "/api/quotes/check_receipt",
                &form(&[("sha256", "not-a-hash")]),
            )
            .await;
        assert_eq!(bad.status, 422, "{label}");
        // The receipt the acceptance froze is not a file the customer "sent" the office.
        let dashboard = office.call("/api/staff/dashboard", "").await;
        assert_eq!(dashboard.status, 200, "{label}");
        assert!(
            !dashboard.text().contains("sent 1 file"),
            "{label}: {}",
            dashboard.text()
        );
        let mut anonymous = Browser::new(&demo.app);
        assert_eq!(
            anonymous
                .send(pdf_upload("/files/receipts/check", &pdf.body))
                .await
                .status,
            401,
            "{label}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_viewer_reads_the_move_without_money_and_cannot_answer() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        let mut joost = Browser::signed_in_demo(&demo.app, "joost@deboer.example", now).await;
        let mut sanne = Browser::signed_in_demo(&demo.app, "sanne@deboer.example", now).await;
        let mut lars = Browser::signed_in_demo(&demo.app, "lars@studiohendriks.example", now).await;

        let owner = sanne
            .call("/api/portal/move", &form(&[("job_id", "2")]))
            .await;
        assert_eq!(owner.status, 200, "{label}: {}", owner.text());
        let owner: serde_json::Value = serde_json::from_slice(&owner.body).expect("json");
        assert_eq!(owner["sees_money"], true);
        assert!(
            !owner["invoices"].as_array().expect("invoices").is_empty(),
            "{label}"
        );
        assert!(
            !owner["quotes"].as_array().expect("quotes").is_empty(),
            "{label}"
        );

        let viewer = joost
            .call("/api/portal/move", &form(&[("job_id", "2")]))
            .await;
        assert_eq!(viewer.status, 200, "{label}");
        let text = viewer.text();
        let viewer: serde_json::Value = serde_json::from_slice(&viewer.body).expect("json");
        assert_eq!(viewer["sees_money"], false, "{label}");
        assert!(
            viewer["quotes"].as_array().expect("quotes").is_empty(),
            "{label}"
        );
        assert!(
            viewer["invoices"].as_array().expect("invoices").is_empty(),
            "{label}"
        );
        assert!(
            !text.contains('€'),
            "{label}: no amount reaches a viewer: {text}"
        );
        assert_eq!(viewer["may_write"], false, "{label}");

        // Answering: the viewer is refused (403), another customer does not find it (404), the
        // owner is told it was answered already (409).
        let accepted = portico_domain::quotes::for_job(db, 1)
            .await
            .expect("quotes")
            .into_iter()
            .find(|q| q.quote.status == portico_domain::quotes::QuoteStatus::Accepted)
            .expect("job 1's accepted quote");
        let quote_id = accepted.quote.id.to_string();
        let answer = form(&[
            ("quote_id", quote_id.as_str()),
            ("signed_name", "Joost de Boer"),
            ("confirmed", "yes"),
        ]);
        let decline = form(&[("quote_id", quote_id.as_str()), ("reason", "no")]);
        for (path, body) in [
            ("/api/portal/accept_quote", &answer),
            ("/api/portal/decline_quote", &decline),
        ] {
            assert_eq!(joost.call(path, body).await.status, 403, "{label} {path}");
            assert_eq!(lars.call(path, body).await.status, 404, "{label} {path}");
            assert_eq!(sanne.call(path, body).await.status, 409, "{label} {path}");
        }
        // Another customer's move, in every form, is not there.
        assert_eq!(
            lars.call("/api/portal/move", &form(&[("job_id", "2")]))
                .await
                .status,
            404
        );
        assert_eq!(lars.get("/moves/2").await.status, 404, "{label}");
        assert_eq!(lars.get("/files/moves/1/moving-day.ics").await.status, 404);
        test_db.finish().await;
    }
}

#[tokio::test]
async fn moving_day_as_a_calendar_entry_follows_a_new_date() {
    use portico_domain::{
        audit::{RequestOrigin, Stamp},
        jobs::{self, Schedule},
    };
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        let mut sanne = Browser::signed_in_demo(&demo.app, "sanne@deboer.example", now).await;
        let entry = sanne.get("/files/moves/1/moving-day.ics").await;
        assert_eq!(entry.status, 200, "{label}: {}", entry.text());
        assert_eq!(
            entry.header("content-type"),
            Some("text/calendar; charset=utf-8")
        );
        let text = entry.text();
        assert!(text.contains("UID:move-1@localhost"), "{label}: {text}");
        assert!(text.contains("SEQUENCE:0"), "{label}: {text}");

        let job = jobs::find(db, 1).await.expect("job 1");
        let crew = jobs::crew_of(db, 1).await.expect("crew");
        let later = job.confirmed_date.expect("date") + chrono::Days::new(7);
        jobs::schedule(
            db,
            &Stamp::new(now, None, RequestOrigin::default()),
            1,
            Schedule {
                date: later,
                slot_start: "09:00".into(),
                slot_end: "11:00".into(),
                crew,
            },
        )
        .await
        .expect("rescheduled");
        let moved = sanne.get("/files/moves/1/moving-day.ics").await.text();
        assert!(moved.contains("UID:move-1@localhost"), "{label}: {moved}");
        assert!(moved.contains("SEQUENCE:1"), "{label}: {moved}");
        assert_ne!(moved, text, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn the_customer_asks_for_another_day_and_the_office_takes_one() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        let mut sanne = Browser::signed_in_demo(&demo.app, "sanne@deboer.example", now).await;
        let mut joost = Browser::signed_in_demo(&demo.app, "joost@deboer.example", now).await;
        let mut office = Browser::signed_in_demo(&demo.app, "olga@vandijk.example", now).await;
        let job = portico_domain::jobs::find(db, 1).await.expect("job 1");
        let today = job.confirmed_date.expect("job 1 is scheduled");
        let first = (today + chrono::Days::new(3))
            .format("%Y-%m-%d")
            .to_string();
        let second = (today + chrono::Days::new(5))
            .format("%Y-%m-%d")
            .to_string();

        let page = sanne
            .call("/api/portal/move", &form(&[("job_id", "1")]))
            .await;
        let page: serde_json::Value = serde_json::from_slice(&page.body).expect("json");
        assert_eq!(page["may_ask_reschedule"], true, "{label}");

        let ask = form(&[
            ("job_id", "1"),
            ("date_1", &first),
            ("date_2", &second),
            ("note", "The keys come a week later"),
        ]);
        // Today is not a date to move to; a viewer may not ask.
        let today_text = today.format("%Y-%m-%d").to_string();
        let too_soon = sanne
            .call(
                "/api/portal/ask_to_reschedule",
                &form(&[("job_id", "1"), ("date_1", &today_text)]),
            )
            .await;
        assert_eq!(too_soon.status, 422, "{label}: {}", too_soon.text());
        assert_eq!(
            joost
                .call("/api/portal/ask_to_reschedule", &ask)
                .await
                .status,
            403,
            "{label}"
        );
        let asked = sanne.call("/api/portal/ask_to_reschedule", &ask).await;
        assert_eq!(asked.status, 200, "{label}: {}", asked.text());
        assert_eq!(
            sanne
                .call("/api/portal/ask_to_reschedule", &ask)
                .await
                .status,
            409,
            "{label}: one open request at a time"
        );

        // The office sees it on the dashboard and the job page.
        let dashboard = office.call("/api/staff/dashboard", "").await;
        assert!(
            dashboard.text().contains("asks to move the day"),
            "{label}: {}",
            dashboard.text()
        );
        let staff_job = office
            .call("/api/jobs/staff_job", &form(&[("job_id", "1")]))
            .await;
        let staff_job: serde_json::Value = serde_json::from_slice(&staff_job.body).expect("json");
        let request = &staff_job["requests"][0];
        assert_eq!(request["state"], "open", "{label}");
        assert_eq!(request["may_take_a_date"], true, "{label}");
        let request_id = request["id"].as_i64().expect("id").to_string();
        assert_eq!(request["note"], "The keys come a week later", "{label}");

        // Only a date the customer asked for can be taken; the customer cannot answer.
        let elsewhere = (today + chrono::Days::new(9))
            .format("%Y-%m-%d")
            .to_string();
        let wrong = office
            .call(
                "/api/requests/answer",
                &form(&[
                    ("request_id", &request_id),
                    ("answer", "accept"),
                    ("date", &elsewhere),
                ]),
            )
            .await;
        assert_eq!(wrong.status, 422, "{label}");
        let take = form(&[
            ("request_id", &request_id),
            ("answer", "accept"),
            ("date", &second),
        ]);
        assert_eq!(sanne.call("/api/requests/answer", &take).await.status, 403);
        let taken = office.call("/api/requests/answer", &take).await;
        assert_eq!(taken.status, 200, "{label}: {}", taken.text());
        assert_eq!(
            office.call("/api/requests/answer", &take).await.status,
            409,
            "{label}: answered once"
        );

        let moved = portico_domain::jobs::find(db, 1).await.expect("job 1");
        assert_eq!(
            moved.confirmed_date,
            Some(today + chrono::Days::new(5)),
            "{label}"
        );
        assert_eq!(
            moved.schedule_sequence,
            job.schedule_sequence + 1,
            "{label}"
        );
        assert_eq!(moved.slot_start, job.slot_start, "{label}: the same window");
        let page = sanne
            .call("/api/portal/move", &form(&[("job_id", "1")]))
            .await;
        let page: serde_json::Value = serde_json::from_slice(&page.body).expect("json");
        assert_eq!(page["requests"][0]["state"], "accepted", "{label}");
        assert!(
            page["requests"][0]["answer"]
                .as_str()
                .is_some_and(|a| a.starts_with("Moved to")),
            "{label}: {page}"
        );
        assert!(
            page["timeline"]
                .as_array()
                .expect("timeline")
                .iter()
                .any(|t| t["note"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("Asked to move the day"))),
            "{label}: the request is on the timeline"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_change_to_the_quote_is_asked_and_declined_with_a_note() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        let mut pieter = Browser::signed_in_demo(&demo.app, "pieter@smit.example", now).await;
        let mut lars = Browser::signed_in_demo(&demo.app, "lars@studiohendriks.example", now).await;
        let mut office = Browser::signed_in_demo(&demo.app, "olga@vandijk.example", now).await;
        let quote = sent_quote_of(db, 2).await;
        let quote_id = quote.id.to_string();
        let ask = form(&[("quote_id", &quote_id), ("note", "Can you add the piano?")]);
        assert_eq!(
            lars.call("/api/portal/ask_for_change", &ask).await.status,
            404
        );
        let empty = pieter
            .call(
                "/api/portal/ask_for_change",
                &form(&[("quote_id", &quote_id)]),
            )
            .await;
        assert_eq!(empty.status, 422, "{label}");
        let asked = pieter.call("/api/portal/ask_for_change", &ask).await;
        assert_eq!(asked.status, 200, "{label}: {}", asked.text());
        let request = portico_domain::requests::for_job(db, quote.job_id)
            .await
            .expect("requests")
            .remove(0);
        assert_eq!(request.quote_id, Some(quote.id));
        let request_id = request.id.to_string();
        let declined = office
            .call(
                "/api/requests/answer",
                &form(&[("request_id", &request_id), ("answer", "decline")]),
            )
            .await;
        assert_eq!(declined.status, 422, "{label}: a decline needs a note");
        let declined = office
            .call(
                "/api/requests/answer",
                &form(&[
                    ("request_id", &request_id),
                    ("answer", "decline"),
                    ("note", "The piano needs a specialist; we will call you."),
                ]),
            )
            .await;
        assert_eq!(declined.status, 200, "{label}: {}", declined.text());
        let page = pieter
            .call(
                "/api/portal/move",
                &form(&[("job_id", &quote.job_id.to_string())]),
            )
            .await;
        let page: serde_json::Value = serde_json::from_slice(&page.body).expect("json");
        assert_eq!(page["requests"][0]["state"], "declined", "{label}");
        assert_eq!(
            page["requests"][0]["answer"], "The piano needs a specialist; we will call you.",
            "{label}"
        );
        assert_eq!(
            page["quotes"][0]["may_ask_change"], true,
            "{label}: may ask again"
        );
        test_db.finish().await;
    }
}

/// A multipart body with a `kind` and several files.
fn files_upload(job_id: i32, kind: &str, files: &[(&str, &[u8])]) -> Request<Body> {
    let boundary = "portico-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n")
            .as_bytes(),
    );
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::post(format!("/files/jobs/{job_id}/documents"))
        .header("host", "localhost:3000")
        .header("origin", support::ORIGIN)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn a_customer_sends_several_photos_which_the_office_sees_at_once() {
    const PNG: &[u8] = include_bytes!("../../../domain/assets/demo-boxes.png");
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        let mut sanne = Browser::signed_in_demo(&demo.app, "sanne@deboer.example", now).await;
        let mut joost = Browser::signed_in_demo(&demo.app, "joost@deboer.example", now).await;
        let mut lars = Browser::signed_in_demo(&demo.app, "lars@studiohendriks.example", now).await;
        let mut office = Browser::signed_in_demo(&demo.app, "olga@vandijk.example", now).await;
        let before = portico_domain::documents::entity::Entity::find()
            .all(db)
            .await
            .expect("documents")
            .len();
        let two = [("piano.png", PNG), ("boxes.png", PNG)];

        // A viewer reads along; another customer does not find the move.
        assert_eq!(joost.send(files_upload(1, "photo", &two)).await.status, 403);
        assert_eq!(lars.send(files_upload(1, "photo", &two)).await.status, 404);
        // Money papers come from the office; a file that is not what it says is refused, and
        // then none of the files is kept.
        assert_eq!(
            sanne.send(files_upload(1, "invoice", &two)).await.status,
            422
        );
        let mixed = sanne
            .send(files_upload(
                1,
                "photo",
                &[("piano.png", PNG), ("setup.exe", b"MZ\x90\x00 not a photo")],
            ))
            .await;
        assert_eq!(mixed.status, 422, "{label}: {}", mixed.text());
        assert!(
            mixed.text().contains("setup.exe"),
            "{label}: {}",
            mixed.text()
        );
        assert_eq!(
            portico_domain::documents::entity::Entity::find()
                .all(db)
                .await
                .expect("documents")
                .len(),
            before,
            "{label}: nothing kept"
        );

        let sent = sanne.send(files_upload(1, "photo", &two)).await;
        assert_eq!(sent.status, 201, "{label}: {}", sent.text());
        let ids: Vec<i32> = serde_json::from_slice(&sent.body).expect("ids");
        assert_eq!(ids.len(), 2, "{label}");
        for id in &ids {
            let doc = portico_domain::documents::find(db, *id)
                .await
                .expect("stored");
            assert_eq!(
                doc.content_type, "image/png",
                "{label}: typed from the bytes"
            );
            assert_eq!(
                doc.visibility,
                portico_domain::documents::Visibility::Customer,
                "{label}: the customer sees their own files"
            );
        }
        // The office sees them on the job and on the dashboard; the customer on the move page.
        let staff_docs = office
            .call("/api/documents/for_job", &form(&[("job_id", "1")]))
            .await;
        assert!(staff_docs.text().contains("piano.png"), "{label}");
        let dashboard = office.call("/api/staff/dashboard", "").await;
        assert!(
            dashboard.text().contains("sent 2 files"),
            "{label}: {}",
            dashboard.text()
        );
        let page = sanne
            .call("/api/portal/move", &form(&[("job_id", "1")]))
            .await;
        assert!(page.text().contains("boxes.png"), "{label}");
        let download = sanne.get(&format!("/files/documents/{}", ids[0])).await;
        assert_eq!(download.status, 200, "{label}");
        assert_eq!(download.body, PNG, "{label}");
        // Before the script loads, the plain form is answered with the move page again.
        let mut plain = files_upload(1, "photo", &two);
        plain
            .headers_mut()
            .insert("accept", "text/html,*/*;q=0.8".parse().expect("header"));
        let back = sanne.send(plain).await;
        assert_eq!(back.status, 303, "{label}: {}", back.text());
        assert_eq!(
            back.header("location"),
            Some("/moves/1#documents"),
            "{label}"
        );
        test_db.finish().await;
    }
}

/// The outbox messages to `to`, oldest first.
async fn mail_to(db: &DatabaseConnection, to: &str) -> Vec<portico_domain::mail::OutboxMail> {
    let mut all = portico_domain::mail::latest(db, 500).await.expect("outbox");
    all.retain(|m| m.to_address == to);
    all.reverse();
    all
}

#[tokio::test]
async fn notification_mail_links_to_the_page_without_the_message_and_a_thread_is_quiet_for_a_while()
{
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        let mut sanne = Browser::signed_in_demo(&demo.app, "sanne@deboer.example", now).await;
        let mut office = Browser::signed_in_demo(&demo.app, "olga@vandijk.example", now).await;
        let company = portico_domain::company::profile(db).await.expect("company");
        let before_sanne = mail_to(db, "sanne@deboer.example").await.len();
        let before_joost = mail_to(db, "joost@deboer.example").await.len();
        let before_office = mail_to(db, &company.email).await.len();

        // Two replies from the office within a quarter of an hour: one mail per reader.
        for text in ["The crew is early today.", "Secret door code 4711"] {
            let posted = office
                .call(
                    "/api/messages/post",
                    &form(&[("job_id", "1"), ("body", text)]),
                )
                .await;
            assert_eq!(posted.status, 200, "{label}: {}", posted.text());
        }
        let to_sanne = mail_to(db, "sanne@deboer.example").await;
        assert_eq!(to_sanne.len(), before_sanne + 1, "{label}");
        let mail = to_sanne.last().expect("a mail");
        assert!(mail.subject.contains("A reply about your move"), "{label}");
        assert!(
            mail.body_text
                .contains("http://localhost:3000/moves/1#messages-title"),
            "{label}: {}",
            mail.body_text
        );
        assert!(
            !mail.body_text.contains("4711") && !mail.body_text.contains("early"),
            "{label}: the message stays behind the sign-in"
        );
        // The viewer reads the thread too, so hears of it.
        assert_eq!(
            mail_to(db, "joost@deboer.example").await.len(),
            before_joost + 1
        );

        // Sanne turns reply mail off; a quarter of an hour later only Joost hears again.
        let saved = sanne
            .call(
                "/api/accounts/save_profile",
                &form(&[
                    ("display_name", "Sanne de Boer"),
                    ("phone", "+31 6 1234 5678"),
                    ("language", "nl"),
                    ("quote_ready", "on"),
                    ("moving_day", "on"),
                    ("invoice_issued", "on"),
                ]),
            )
            .await;
        assert_eq!(saved.status, 200, "{label}: {}", saved.text());
        let profile = sanne.call("/api/accounts/profile", "").await;
        let profile: serde_json::Value = serde_json::from_slice(&profile.body).expect("json");
        assert_eq!(profile["language"], "nl", "{label}");
        assert_eq!(profile["phone"], "+31 6 1234 5678", "{label}");
        assert_eq!(profile["mail"][3]["code"], "messages");
        assert_eq!(profile["mail"][3]["on"], false, "{label}");
        demo.clock.advance(chrono::Duration::minutes(16));
        // A new clock step, so the office signs in again for the next post.
        let mut office =
            Browser::signed_in_demo(&demo.app, "olga@vandijk.example", demo.clock.now()).await;
        office
            .call(
                "/api/messages/post",
                &form(&[("job_id", "1"), ("body", "See you soon")]),
            )
            .await;
        assert_eq!(
            mail_to(db, "sanne@deboer.example").await.len(),
            before_sanne + 1,
            "{label}"
        );
        assert_eq!(
            mail_to(db, "joost@deboer.example").await.len(),
            before_joost + 2,
            "{label}"
        );

        // A customer's message: the office's address hears of it, with the staff link.
        let posted = sanne
            .call(
                "/api/messages/post",
                &form(&[("job_id", "1"), ("body", "Is parking arranged?")]),
            )
            .await;
        assert_eq!(posted.status, 200, "{label}");
        let to_office = mail_to(db, &company.email).await;
        assert_eq!(to_office.len(), before_office + 1, "{label}");
        assert!(to_office
            .last()
            .expect("mail")
            .body_text
            .contains("/staff/jobs/1#messages-title"));
        assert!(!to_office
            .last()
            .expect("mail")
            .body_text
            .contains("parking"));
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_quote_sent_is_mailed_to_owner_and_payer_only() {
    use portico_domain::notices::{self, Notice};
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        let sent = notices::send(
            db,
            Notice::QuoteReady { job_id: 1 },
            "https://portal.example",
            now,
        )
        .await
        .expect("notice");
        // The De Boers: Sanne (owner) yes, Joost (viewer) no: a quote shows prices.
        assert_eq!(sent, 1, "{label}");
        let mail = mail_to(db, "sanne@deboer.example")
            .await
            .pop()
            .expect("mail");
        assert!(mail
            .body_text
            .contains("https://portal.example/moves/1#quote"));
        assert!(
            mail_to(db, "joost@deboer.example")
                .await
                .iter()
                .all(|m| !m.subject.contains("quote")),
            "{label}"
        );
        let day = notices::send(
            db,
            Notice::MovingDay {
                job_id: 1,
                changed: true,
            },
            "https://portal.example",
            now,
        )
        .await
        .expect("notice");
        assert_eq!(day, 2, "{label}: moving day is for every contact");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn signing_out_without_scripts_lands_on_the_home_page_not_the_sign_in_page() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let mut sanne =
            Browser::signed_in_demo(&demo.app, "sanne@deboer.example", demo.clock.now()).await;
        // The plain form of the header's "Sign out" button, posted from a signed-in page.
        let mut request = call("/api/accounts/sign_out", "");
        let headers = request.headers_mut();
        headers.insert("accept", "text/html,*/*;q=0.8".parse().expect("header"));
        headers.insert(
            "referer",
            "http://localhost:3000/account/security?welcome=1"
                .parse()
                .expect("header"),
        );
        let reply = sanne.send(request).await;
        assert_eq!(reply.status, axum::http::StatusCode::FOUND, "{label}");
        assert_eq!(reply.header("location"), Some("/"), "{label}");
        assert!(
            sanne.cookie.is_none(),
            "{label}: the session cookie is removed"
        );
        let home = sanne.get("/").await;
        assert_eq!(home.status, axum::http::StatusCode::OK, "{label}");
        assert!(home.text().contains("Sign in"), "{label}");
        assert!(!home.text().contains("Your moves"), "{label}");
        test_db.finish().await;
    }
}

/// The `people/list` answer as JSON.
async fn people_of(browser: &mut Browser) -> serde_json::Value {
    let reply = browser.call("/api/people/list", "").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    serde_json::from_slice(&reply.body).expect("json")
}

fn person_in<'a>(people: &'a serde_json::Value, email: &str) -> Option<&'a serde_json::Value> {
    people["people"]
        .as_array()
        .expect("people")
        .iter()
        .find(|p| p["email"] == email)
}

#[tokio::test]
async fn an_owner_invites_a_payer_changes_a_scope_and_removes_a_contact_but_never_the_last_owner() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        let mut sanne = Browser::signed_in_demo(&demo.app, "sanne@deboer.example", now).await;
        let mut joost = Browser::signed_in_demo(&demo.app, "joost@deboer.example", now).await;
        let mut lars = Browser::signed_in_demo(&demo.app, "lars@studiohendriks.example", now).await;

        let people = people_of(&mut sanne).await;
        let me = person_in(&people, "sanne@deboer.example").expect("Sanne");
        assert_eq!(me["scope"], "owner", "{label}");
        assert_eq!(me["is_you"], true, "{label}");
        assert_eq!(me["may_change"], false, "{label}: the only owner");
        let joost_id = person_in(&people, "joost@deboer.example").expect("Joost")["user_id"]
            .as_i64()
            .expect("id")
            .to_string();
        let sanne_id = me["user_id"].as_i64().expect("id").to_string();

        // A viewer and another customer's owner do not manage the De Boers' people.
        assert_eq!(
            joost.call("/api/people/list", "").await.status,
            403,
            "{label}"
        );
        let lars_people = people_of(&mut lars).await;
        assert!(
            person_in(&lars_people, "sanne@deboer.example").is_none(),
            "{label}: Lars sees his own account only"
        );
        let remove_sanne = form(&[("user_id", sanne_id.as_str())]);
        assert_eq!(
            lars.call("/api/people/remove", &remove_sanne).await.status,
            404,
            "{label}: not on Lars' account"
        );

        // Inviting: bad input names its field; a payer gets a set-up link.
        let bad = sanne
            .call(
                "/api/people/invite",
                &form(&[
                    ("display_name", "Mila"),
                    ("email", "not an address"),
                    ("scope", "payer"),
                ]),
            )
            .await;
        assert_eq!(bad.status, 422, "{label}: {}", bad.text());
        assert!(bad.text().contains("email"), "{label}");
        let owner = sanne
            .call(
                "/api/people/invite",
                &form(&[
                    ("display_name", "Mila"),
                    ("email", "mila@deboer.example"),
                    ("scope", "owner"),
                ]),
            )
            .await;
        assert_eq!(owner.status, 422, "{label}: owners are made, not invited");
        let sent = sanne
            .call(
                "/api/people/invite",
                &form(&[
                    ("display_name", "Mila de Boer"),
                    ("email", "Mila@DeBoer.example"),
                    ("scope", "payer"),
                ]),
            )
            .await;
        assert_eq!(sent.status, 200, "{label}: {}", sent.text());
        let mail = mail_to(db, "mila@deboer.example").await;
        assert_eq!(mail.len(), 1, "{label}");
        assert!(mail[0].body_text.contains("/invitation/"), "{label}");
        let people = people_of(&mut sanne).await;
        let mila = person_in(&people, "mila@deboer.example").expect("Mila on the list");
        assert_eq!(mila["scope"], "payer", "{label}");
        assert_eq!(mila["invited"], true, "{label}");

        // Someone who already signs in (for another account) is added and told, no link.
        let added = sanne
            .call(
                "/api/people/invite",
                &form(&[
                    ("display_name", "Lars"),
                    ("email", "lars@studiohendriks.example"),
                    ("scope", "viewer"),
                ]),
            )
            .await;
        assert_eq!(added.status, 200, "{label}: {}", added.text());
        let told = mail_to(db, "lars@studiohendriks.example").await;
        let last = told.last().expect("a mail to Lars");
        assert!(
            last.subject.contains("Familie De Boer"),
            "{label}: {}",
            last.subject
        );
        assert!(!last.body_text.contains("/invitation/"), "{label}");
        let again = sanne
            .call(
                "/api/people/invite",
                &form(&[
                    ("display_name", "Lars"),
                    ("email", "lars@studiohendriks.example"),
                    ("scope", "viewer"),
                ]),
            )
            .await;
        assert_eq!(again.status, 422, "{label}: already on the account");

        // The last owner stays: demoting or removing Sanne is refused with the field.
        let demote_sanne = form(&[("user_id", sanne_id.as_str()), ("scope", "viewer")]);
        let refused = sanne.call("/api/people/change_scope", &demote_sanne).await;
        assert_eq!(refused.status, 422, "{label}: {}", refused.text());
        assert!(refused.text().contains("needs an owner"), "{label}");
        assert_eq!(
            sanne.call("/api/people/remove", &remove_sanne).await.status,
            422,
            "{label}"
        );

        // Joost becomes an owner; then Sanne may step down, and Joost may manage people.
        let promote = form(&[("user_id", joost_id.as_str()), ("scope", "owner")]);
        assert_eq!(
            sanne
                .call("/api/people/change_scope", &promote)
                .await
                .status,
            200,
            "{label}"
        );
        assert_eq!(
            joost.call("/api/people/list", "").await.status,
            200,
            "{label}"
        );
        let people = people_of(&mut sanne).await;
        assert_eq!(
            person_in(&people, "sanne@deboer.example").expect("Sanne")["may_change"],
            true,
            "{label}: two owners now"
        );

        // Sanne removes Joost, whose only account this was: his sessions end at once.
        let remove_joost = form(&[("user_id", joost_id.as_str())]);
        assert_eq!(
            sanne.call("/api/people/remove", &remove_joost).await.status,
            200,
            "{label}"
        );
        assert_eq!(
            joost
                .call("/api/portal/move", &form(&[("job_id", "1")]))
                .await
                .status,
            401,
            "{label}: Joost is signed out"
        );
        let people = people_of(&mut sanne).await;
        assert!(
            person_in(&people, "joost@deboer.example").is_none(),
            "{label}"
        );

        let actions: Vec<String> = portico_domain::audit::latest(db, 1000)
            .await
            .expect("audit")
            .into_iter()
            .map(|row| row.action)
            .collect();
        for action in [
            "invitation_sent",
            "contact_added",
            "contact_scope_changed",
            "contact_removed",
        ] {
            assert!(
                actions.iter().any(|a| a == action),
                "{label}: {action} recorded"
            );
        }
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_new_email_address_needs_a_recent_proof_and_the_link_sent_there_and_the_old_one_is_told()
{
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let demo = demo(db).await;
        let now = demo.clock.now();
        // Signing in is a proof of who this is, for the next ten minutes.
        let mut sanne = Browser::signed_in_demo(&demo.app, "sanne@deboer.example", now).await;
        let mut joost = Browser::signed_in_demo(&demo.app, "joost@deboer.example", now).await;

        let bad = sanne
            .call(
                "/api/accounts/change_email",
                &form(&[("email", "no address")]),
            )
            .await;
        assert_eq!(bad.status, 422, "{label}");
        let asked = sanne
            .call(
                "/api/accounts/change_email",
                &form(&[("email", "Sanne@New.example")]),
            )
            .await;
        assert_eq!(asked.status, 200, "{label}: {}", asked.text());
        let token = support::link_in_outbox(db, "sanne@new.example", "account/email").await;
        let told = mail_to(db, "sanne@deboer.example").await;
        let note = told.last().expect("the old address is told");
        assert!(
            note.body_text.contains("s…@new.example"),
            "{label}: {}",
            note.body_text
        );
        assert!(
            !note.body_text.contains(&token),
            "{label}: the link goes to the new address only"
        );
        let email: serde_json::Value =
            serde_json::from_slice(&sanne.call("/api/accounts/email", "").await.body)
                .expect("json");
        assert_eq!(
            email["email"], "sanne@deboer.example",
            "{label}: nothing changed yet"
        );
        assert_eq!(email["pending"], "sanne@new.example", "{label}");

        // Opening the link changes nothing; a visitor is asked to sign in; someone else's
        // session does not find it.
        let page = Browser::new(&demo.app)
            .get(&format!("/account/email/{token}"))
            .await;
        assert_eq!(page.status, 302, "{label}");
        let confirm = form(&[("token", token.as_str())]);
        assert_eq!(
            joost
                .call("/api/accounts/confirm_email", &confirm)
                .await
                .status,
            404,
            "{label}"
        );
        let done = sanne.call("/api/accounts/confirm_email", &confirm).await;
        assert_eq!(done.status, 200, "{label}: {}", done.text());
        assert!(done.header("serverfnredirect").is_some(), "{label}");
        let email: serde_json::Value =
            serde_json::from_slice(&sanne.call("/api/accounts/email", "").await.body)
                .expect("json");
        assert_eq!(email["email"], "sanne@new.example", "{label}");
        assert!(email["pending"].is_null(), "{label}");
        let changed = mail_to(db, "sanne@deboer.example").await;
        assert!(
            changed
                .last()
                .expect("mail")
                .subject
                .contains("was changed"),
            "{label}"
        );
        assert_eq!(
            sanne
                .call("/api/accounts/confirm_email", &confirm)
                .await
                .status,
            409,
            "{label}: the link works once"
        );

        // Someone else's address is answered the same, and its owner gets a note, no link.
        let taken = sanne
            .call(
                "/api/accounts/change_email",
                &form(&[("email", "joost@deboer.example")]),
            )
            .await;
        assert_eq!(taken.status, 200, "{label}");
        let joost_mail = mail_to(db, "joost@deboer.example").await;
        let last = joost_mail.last().expect("a note to Joost");
        assert!(!last.body_text.contains("/account/email/"), "{label}");
        let email: serde_json::Value =
            serde_json::from_slice(&sanne.call("/api/accounts/email", "").await.body)
                .expect("json");
        assert!(email["pending"].is_null(), "{label}: nothing to confirm");

        // Past the proof's ten minutes, the session alone is not enough.
        demo.clock.advance(chrono::Duration::minutes(11));
        let late = sanne
            .call(
                "/api/accounts/change_email",
                &form(&[("email", "sanne@other.example")]),
            )
            .await;
        assert_eq!(late.status, 403, "{label}: {}", late.text());

        // She signs in with the new address from now on.
        let mut again = Browser::new(&demo.app);
        let reply = again
            .demo_sign_in("sanne@new.example", demo.clock.now())
            .await;
        assert_eq!(reply.status, 200, "{label}: {}", reply.text());
        let actions: Vec<String> = portico_domain::audit::latest(db, 1000)
            .await
            .expect("audit")
            .into_iter()
            .map(|row| row.action)
            .collect();
        assert!(
            actions.iter().any(|a| a == "email_change_requested"),
            "{label}"
        );
        assert!(actions.iter().any(|a| a == "email_changed"), "{label}");
        test_db.finish().await;
    }
}
