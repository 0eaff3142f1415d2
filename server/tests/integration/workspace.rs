//! The staff workspace over HTTP, on the demo company: an office runs a move from a new
//! customer to a paid invoice, the crew moves it along on the day, the PDFs say what they
//! should (read back with pdftotext), and documents are checked, stored and shown only to
//! whom they may be.

use std::{path::Path, sync::Arc};

use axum::{body::Body, http::Request, http::StatusCode};
use chrono::Utc;
use portico_app::PorticoError;
use portico_domain::{
    clock::{Clock, ManualClock},
    documents, seed, DatabaseConnection,
};

use serde_json::json;

use crate::support::{self, call_json, empty_site, form, Browser, Reply, ORIGIN};

async fn signed_in(app: &axum::Router, email: &str, clock: &ManualClock) -> Browser {
    Browser::signed_in_demo(app, email, clock.now()).await
}

fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_slice(&reply.body).unwrap_or_else(|_| panic!("JSON: {}", reply.text()))
}

fn refusal(reply: &Reply) -> PorticoError {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|_| panic!("an error body: {}", reply.text()))
}

fn field_of(reply: &Reply) -> String {
    match refusal(reply) {
        PorticoError::Invalid { field, .. } => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// The text of a PDF, as pdftotext (poppler) reads it.
fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("folder");
    let path = dir.path().join("file.pdf");
    std::fs::write(&path, bytes).expect("write pdf");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().expect("path"), "-"])
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 text")
}

/// The demo company, seeded on `db` with its documents in a temporary data folder, served with
/// an upload limit of `limit_mb`. The folders live as long as this value.
struct Demo {
    app: axum::Router,
    clock: ManualClock,
    data: tempfile::TempDir,
    _site: tempfile::TempDir,
}

async fn demo(db: &DatabaseConnection, limit_mb: &str) -> Demo {
    let data = tempfile::tempdir().expect("data");
    let clock = ManualClock::new(Utc::now());
    seed::seed_demo_if_empty(db, clock.now())
        .await
        .expect("seed");
    let storage = documents::LocalDisk::new(data.path().join("documents"));
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
            ("PORTICO_UPLOAD_LIMIT_MB", limit_mb),
        ],
    );
    Demo {
        app,
        clock,
        data,
        _site: site,
    }
}

async fn user_id(db: &DatabaseConnection, email: &str) -> i32 {
    portico_domain::accounts::sign_in::find_user_by_email(db, email)
        .await
        .expect("query")
        .expect("demo person")
        .id
}

#[tokio::test]
async fn an_office_runs_a_move_from_new_customer_to_paid_invoice() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let Demo {
            app,
            clock,
            data: _data,
            _site,
        } = demo(db, "20").await;
        let mut office = signed_in(&app, "olga@vandijk.example", &clock).await;

        // A customer: bad input is refused field by field, nothing is saved.
        let reply = office
            .call(
                "/api/customers/save",
                &form(&[
                    ("customer[name]", "Familie Visser"),
                    ("customer[kind]", "household"),
                    ("customer[email]", "not an address"),
                    ("customer[phone]", "+31 6 1111 2222"),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert_eq!(field_of(&reply), "email");
        let reply = office
            .call(
                "/api/customers/save",
                &form(&[
                    ("customer[name]", "Familie Visser"),
                    ("customer[kind]", "household"),
                    ("customer[email]", "tom@visser.example"),
                    ("customer[phone]", "+31 6 1111 2222"),
                    ("customer[address]", "Nieuwe Binnenweg 10"),
                    ("customer[postcode]", "3015 BA"),
                    ("customer[city]", "Rotterdam"),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let customer_id = json(&reply).as_i64().expect("id");
        let found = json(
            &office
                .call("/api/customers/list", &form(&[("query", "3015ba")]))
                .await,
        );
        assert_eq!(
            found["total"], 1,
            "{label}: search by postcode without the space"
        );
        assert_eq!(found["rows"][0]["name"], "Familie Visser");

        // A job for them.
        let reply = office
            .call(
                "/api/jobs/create_job",
                &form(&[
                    ("customer_id", &customer_id.to_string()),
                    ("details[origin_address]", "Nieuwe Binnenweg 10, Rotterdam"),
                    ("details[destination_address]", "Kade 3, Dordrecht"),
                    ("details[requested_date]", "2026-13-01"),
                ]),
            )
            .await;
        assert_eq!(field_of(&reply), "requested_date", "{label}");
        let day = (clock.now() + chrono::Duration::days(3)).date_naive();
        let reply = office
            .call(
                "/api/jobs/create_job",
                &form(&[
                    ("customer_id", &customer_id.to_string()),
                    ("details[origin_address]", "Nieuwe Binnenweg 10, Rotterdam"),
                    ("details[origin_notes]", "2nd floor"),
                    ("details[destination_address]", "Kade 3, Dordrecht"),
                    ("details[requested_date]", &day.to_string()),
                    ("details[volume_m3]", "20"),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let job_id = json(&reply).as_i64().expect("job id");

        // The quote: totals come from the server; a sent quote is answered.
        let lines = serde_json::json!([
            { "description": "Movers, crew of two", "quantity": "6,5", "unit": "hour", "unit_price": "115,00", "vat_rate": 21 },
            { "description": "Parking permit", "quantity": "1", "unit": "permit", "unit_price": "42,50", "vat_rate": 0 }
        ]);
        let preview = json(
            &office
                .send(call_json(
                    "/api/quotes/preview",
                    &serde_json::json!({ "lines": lines }),
                ))
                .await,
        );
        assert_eq!(
            preview["totals"]["total"], "€ 946,98",
            "{label}: 747,50 + 21 % (156,98) + 42,50"
        );
        assert_eq!(preview["problem"], serde_json::Value::Null);
        let bad = serde_json::json!([{ "description": "Movers", "quantity": "six", "unit": "hour", "unit_price": "115", "vat_rate": 21 }]);
        let reply = office
            .send(call_json(
                "/api/quotes/preview",
                &serde_json::json!({ "lines": bad }),
            ))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "half-typed lines are normal while typing"
        );
        assert!(
            json(&reply)["problem"]
                .as_str()
                .is_some_and(|p| p.starts_with("Line 1:")),
            "{label}: {}",
            reply.text()
        );
        let valid = (clock.now() + chrono::Duration::days(14))
            .date_naive()
            .to_string();
        let reply = office
            .send(call_json(
                "/api/quotes/save_quote",
                &serde_json::json!({ "job_id": job_id, "valid_until": valid, "lines": lines }),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let page = json(
            &office
                .call(
                    "/api/jobs/staff_job",
                    &form(&[("job_id", &job_id.to_string())]),
                )
                .await,
        );
        let quote_id = page["quotes"][0]["id"].as_i64().expect("quote");
        assert_eq!(page["quotes"][0]["state"], "draft");
        // What the page may offer comes from the server: a draft is edited, not answered.
        assert_eq!(page["quotes"][0]["may_edit"], true);
        assert_eq!(page["quotes"][0]["may_record_answer"], false);
        assert_eq!(page["may_quote"], true);
        assert_eq!(page["may_schedule"], false);
        assert_eq!(
            office
                .call(
                    "/api/quotes/send_quote",
                    &form(&[("quote_id", &quote_id.to_string())])
                )
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            office
                .call(
                    "/api/quotes/record_answer",
                    &form(&[
                        ("quote_id", &quote_id.to_string()),
                        ("answer", "accepted"),
                        ("name", "Tom Visser")
                    ])
                )
                .await
                .status,
            StatusCode::OK
        );

        // Scheduled with Cees; then the crew's day, with only their buttons.
        let cees = user_id(db, "cees@vandijk.example").await;
        let reply = office
            .call(
                "/api/jobs/schedule_job",
                &form(&[
                    ("job_id", &job_id.to_string()),
                    ("date", &day.to_string()),
                    ("slot_start", "08:00"),
                    ("slot_end", "10:00"),
                    ("crew[0]", &cees.to_string()),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let mut crew = signed_in(&app, "cees@vandijk.example", &clock).await;
        let page = json(
            &crew
                .call(
                    "/api/jobs/staff_job",
                    &form(&[("job_id", &job_id.to_string())]),
                )
                .await,
        );
        assert_eq!(page["state"], "scheduled");
        assert_eq!(
            page["next_steps"].as_array().map(Vec::len),
            Some(1),
            "{label}: only 'on our way'"
        );
        assert_eq!(page["quotes"], serde_json::json!([]), "crew see no prices");
        let mut other_crew = signed_in(&app, "ruud@vandijk.example", &clock).await;
        assert_eq!(
            other_crew
                .call(
                    "/api/jobs/staff_job",
                    &form(&[("job_id", &job_id.to_string())])
                )
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let reply = crew
            .call(
                "/api/jobs/change_status",
                &form(&[("job_id", &job_id.to_string()), ("status", "en_route")]),
            )
            .await;
        assert_eq!(field_of(&reply), "eta", "{label}");
        let reply = crew
            .call(
                "/api/jobs/change_status",
                &form(&[("job_id", &job_id.to_string()), ("status", "cancelled")]),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{label}: crew do not cancel"
        );
        let eta = (clock.now() + chrono::Duration::minutes(45))
            .with_timezone(&chrono_tz::Europe::Amsterdam)
            .format("%H:%M")
            .to_string();
        for (status, eta) in [
            ("en_route", eta.as_str()),
            ("in_progress", ""),
            ("completed", ""),
        ] {
            let reply = crew
                .call(
                    "/api/jobs/change_status",
                    &form(&[
                        ("job_id", &job_id.to_string()),
                        ("status", status),
                        ("eta", eta),
                    ]),
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{label}: {status}: {}",
                reply.text()
            );
        }
        let page = json(
            &office
                .call(
                    "/api/jobs/staff_job",
                    &form(&[("job_id", &job_id.to_string())]),
                )
                .await,
        );
        assert_eq!(page["state"], "completed");
        let timeline: Vec<String> = page["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|e| e["to"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            timeline,
            [
                "completed",
                "in_progress",
                "en_route",
                "scheduled",
                "accepted",
                "quoted",
                "requested"
            ],
            "{label}"
        );
        assert_eq!(
            page["timeline"][2]["eta"],
            eta.as_str(),
            "the ETA on the timeline, in local time"
        );

        // The invoice from the accepted quote, issued with the next number; its PDF.
        assert_eq!(
            office
                .call(
                    "/api/invoices/from_quote",
                    &form(&[("quote_id", &quote_id.to_string())])
                )
                .await
                .status,
            StatusCode::OK
        );
        let page = json(
            &office
                .call(
                    "/api/jobs/staff_job",
                    &form(&[("job_id", &job_id.to_string())]),
                )
                .await,
        );
        let invoice_id = page["invoices"][0]["id"].as_i64().expect("invoice");
        assert_eq!(
            office
                .call(
                    "/api/invoices/issue",
                    &form(&[("invoice_id", &invoice_id.to_string())])
                )
                .await
                .status,
            StatusCode::OK
        );
        let page = json(
            &office
                .call(
                    "/api/jobs/staff_job",
                    &form(&[("job_id", &job_id.to_string())]),
                )
                .await,
        );
        let number = page["invoices"][0]["number"]
            .as_str()
            .expect("number")
            .to_owned();
        assert!(number.starts_with("VD20"), "{label}: {number}");
        assert_eq!(page["state"], "invoiced");
        let issued = &page["invoices"][0];
        assert_eq!(
            (
                &issued["state"],
                &issued["may_issue"],
                &issued["may_record_payment"],
                &issued["may_credit"]
            ),
            (&json!("issued"), &json!(false), &json!(true), &json!(true)),
            "{label}: an issued invoice takes payments and can be credited"
        );
        assert_eq!(
            page["invoice_from_quote"],
            serde_json::Value::Null,
            "{label}: the accepted quote has its invoice"
        );

        let pdf = office
            .get(&format!("/files/invoices/{invoice_id}.pdf"))
            .await;
        assert_eq!(pdf.status, StatusCode::OK, "{label}");
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        assert!(pdf
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment;") && d.contains(&number)));
        assert_eq!(pdf.header("x-content-type-options"), Some("nosniff"));
        let text = pdf_text(&pdf.body);
        for expected in [
            seed::DEMO_COMPANY_NAME,
            &format!("Invoice {number}"),
            "Familie Visser",
            "3015 BA Rotterdam",
            "KvK 12345678",
            "NL001234567B01",
            "Movers, crew of two",
            "6,5 hour",
            "€ 747,50",
            "VAT 21% over € 747,50",
            "€ 156,98",
            "VAT 0% over € 42,50",
            "€ 946,98",
            "NL91 ABNA 0417 1643 00",
        ] {
            assert!(
                text.contains(expected),
                "{label}: the invoice PDF lacks {expected:?}:\n{text}"
            );
        }
        // Only who may see it gets it.
        let mut stranger = signed_in(&app, "lars@studiohendriks.example", &clock).await;
        assert_eq!(
            stranger
                .get(&format!("/files/invoices/{invoice_id}.pdf"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // Crew never see prices: for them an invoice is not there at all.
        assert_eq!(
            crew.get(&format!("/files/invoices/{invoice_id}.pdf"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let quote_pdf = pdf_text(
            &office
                .get(&format!("/files/quotes/{quote_id}.pdf"))
                .await
                .body,
        );
        assert!(
            quote_pdf.contains("version 1") && quote_pdf.contains("Kade 3, Dordrecht"),
            "{label}:\n{quote_pdf}"
        );

        // Paid in two parts; the job follows.
        let reply = office
            .call(
                "/api/invoices/record_payment",
                &form(&[
                    ("invoice_id", &invoice_id.to_string()),
                    ("amount", "1.000,00"),
                    ("method", "ideal"),
                ]),
            )
            .await;
        assert_eq!(field_of(&reply), "amount", "{label}: more than is open");
        for amount in ["500,00", "446,98"] {
            let reply = office
                .call(
                    "/api/invoices/record_payment",
                    &form(&[
                        ("invoice_id", &invoice_id.to_string()),
                        ("amount", amount),
                        ("method", "bank_transfer"),
                        ("reference", "NL12"),
                    ]),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        }
        let page = json(
            &office
                .call(
                    "/api/jobs/staff_job",
                    &form(&[("job_id", &job_id.to_string())]),
                )
                .await,
        );
        assert_eq!(
            (
                page["state"].as_str(),
                page["invoices"][0]["state"].as_str()
            ),
            (Some("paid"), Some("paid")),
            "{label}"
        );

        // Extra work, invoiced by hand: blank rows are skipped, the rest becomes a draft.
        let reply = office
            .call(
                "/api/invoices/by_hand",
                &form(&[
                    ("job_id", &job_id.to_string()),
                    ("lines[0][description]", "Extra hour: piano"),
                    ("lines[0][quantity]", "1"),
                    ("lines[0][unit]", "hour"),
                    ("lines[0][unit_price]", "115,00"),
                    ("lines[0][vat_rate]", "21"),
                    ("lines[1][description]", ""),
                    ("lines[1][quantity]", "1"),
                    ("lines[1][unit]", "hour"),
                    ("lines[1][unit_price]", ""),
                    ("lines[1][vat_rate]", "21"),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let page = json(
            &office
                .call(
                    "/api/jobs/staff_job",
                    &form(&[("job_id", &job_id.to_string())]),
                )
                .await,
        );
        assert_eq!(page["invoices"][0]["number"], "Draft", "{label}");
        assert_eq!(
            page["invoices"][0]["total"], "€ 139,15",
            "{label}: 115,00 + 21 %"
        );
        let reply = office
            .call(
                "/api/invoices/by_hand",
                &form(&[("job_id", &job_id.to_string())]),
            )
            .await;
        assert_eq!(field_of(&reply), "lines", "{label}: nothing typed");

        // The customer's page lists it all.
        let detail = json(
            &office
                .call(
                    "/api/customers/detail",
                    &form(&[("customer_id", &customer_id.to_string())]),
                )
                .await,
        );
        assert_eq!(detail["jobs"][0]["state"], "paid");
        assert_eq!(detail["invoices"][1]["number"], number.as_str());
        test_db.finish().await;
    }
}

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "portico-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(job_id: i32, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Request<Body> {
    let (content_type, body) = multipart(fields, file);
    Request::post(format!("/files/jobs/{job_id}/documents"))
        .header("host", "localhost:3000")
        .header("origin", ORIGIN)
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn documents_are_checked_stored_and_shown_only_to_whom_they_may_be() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let Demo {
            app,
            clock,
            data,
            _site,
        } = demo(db, "1").await;
        let mut office = signed_in(&app, "olga@vandijk.example", &clock).await;
        let pdf = portico_domain::pdf::render(
            &portico_domain::pdf::quote_paper(
                db,
                &portico_domain::quotes::find(db, 1).await.expect("quote"),
            )
            .await
            .expect("paper"),
        );

        // Refused, each with a message on the file field: empty, too big, not a document.
        let reply = office
            .send(upload(1, &[("kind", "contract")], Some(("empty.pdf", b""))))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert_eq!(field_of(&reply), "file");
        let big = [b"%PDF-1.7\n".as_slice(), &vec![b'x'; 1024 * 1024 + 10]].concat();
        let reply = office
            .send(upload(1, &[("kind", "contract")], Some(("big.pdf", &big))))
            .await;
        assert!(
            matches!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PAYLOAD_TOO_LARGE
            ),
            "{label}: {}",
            reply.status
        );
        if reply.status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(field_of(&reply), "file");
        }
        let reply = office
            .send(upload(
                1,
                &[("kind", "contract")],
                Some(("page.pdf", b"<html><script>alert(1)</script></html>")),
            ))
            .await;
        assert_eq!(field_of(&reply), "file", "{label}: HTML named .pdf");
        let reply = office.send(upload(1, &[("kind", "contract")], None)).await;
        assert_eq!(field_of(&reply), "file");

        // Accepted: a staff-only contract.
        let reply = office
            .send(upload(
                1,
                &[("kind", "contract"), ("visibility", "staff")],
                Some(("../../contract De Boer.pdf", &pdf)),
            ))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{label}: {}",
            reply.text()
        );
        let id = json(&reply)[0].as_i64().expect("id");
        let stored = documents::find(db, i32::try_from(id).expect("id"))
            .await
            .expect("row");
        assert_eq!(
            (stored.file_name.as_str(), stored.content_type.as_str()),
            ("contract De Boer.pdf", "application/pdf"),
            "{label}"
        );
        assert_eq!(stored.sha256.len(), 64);
        assert!(
            !stored.storage_key.contains("contract"),
            "a server-made name"
        );
        let on_disk = walk(&data.path().join("documents"));
        assert!(
            on_disk.iter().any(|p| p.ends_with(&stored.storage_key)),
            "{label}: stored under its key"
        );

        let download = office.get(&format!("/files/documents/{id}")).await;
        assert_eq!(download.status, StatusCode::OK);
        assert_eq!(download.body, pdf, "{label}: the same bytes back");
        assert!(download
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment;")));
        assert_eq!(download.header("x-content-type-options"), Some("nosniff"));

        // The customer sees it only once it is shown to them; another customer never.
        let mut owner = signed_in(&app, "sanne@deboer.example", &clock).await;
        let mut stranger = signed_in(&app, "lars@studiohendriks.example", &clock).await;
        let mut crew = signed_in(&app, "cees@vandijk.example", &clock).await;
        let mut other_crew = signed_in(&app, "ruud@vandijk.example", &clock).await;
        assert_eq!(
            owner.get(&format!("/files/documents/{id}")).await.status,
            StatusCode::NOT_FOUND,
            "{label}"
        );
        assert_eq!(
            crew.get(&format!("/files/documents/{id}")).await.status,
            StatusCode::OK,
            "assigned crew"
        );
        assert_eq!(
            other_crew
                .get(&format!("/files/documents/{id}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let reply = office
            .call(
                "/api/documents/visibility",
                &form(&[("document_id", &id.to_string()), ("visibility", "customer")]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            owner.get(&format!("/files/documents/{id}")).await.status,
            StatusCode::OK,
            "{label}"
        );
        assert_eq!(
            stranger.get(&format!("/files/documents/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        // A customer's upload is always shown to the customer: they cannot hide it from
        // themselves, nor choose staff-only (their own uploads are tested in portal.rs).
        let own = owner
            .send(upload(
                1,
                &[("kind", "photo"), ("visibility", "staff")],
                Some(("p.pdf", &pdf)),
            ))
            .await;
        assert_eq!(own.status, StatusCode::CREATED, "{label}: {}", own.text());
        let own_id = json(&own)[0].as_i64().expect("id");
        assert_eq!(
            documents::find(db, i32::try_from(own_id).expect("id"))
                .await
                .expect("stored")
                .visibility,
            documents::Visibility::Customer,
            "{label}"
        );

        let listed = json(
            &office
                .call("/api/documents/for_job", &form(&[("job_id", "1")]))
                .await,
        );
        assert!(
            listed
                .as_array()
                .expect("list")
                .iter()
                .any(|d| d["file_name"] == "contract De Boer.pdf"
                    && d["visible_to_customer"] == true),
            "{label}"
        );
        let rows = portico_domain::audit::latest(db, 30).await.expect("audit");
        assert!(rows
            .iter()
            .any(|r| r.action == "document_downloaded" && r.subject == format!("document:{id}")));
        assert!(rows
            .iter()
            .any(|r| r.action == "document_visibility_changed"));
        test_db.finish().await;
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[tokio::test]
async fn the_demo_is_a_living_business_and_the_dashboard_shows_it() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let Demo {
            app,
            clock,
            data: _data,
            _site,
        } = demo(db, "20").await;

        use portico_domain::invoices::{self, InvoiceStatus};
        use sea_orm::EntityTrait;
        let all = invoices::entity::Entity::find()
            .all(db)
            .await
            .expect("invoices");
        let statuses: Vec<InvoiceStatus> = all.iter().map(|i| i.status).collect();
        for wanted in [
            InvoiceStatus::Paid,
            InvoiceStatus::Issued,
            InvoiceStatus::Overdue,
        ] {
            assert!(
                statuses.contains(&wanted),
                "{label}: a {wanted:?} invoice in {statuses:?}"
            );
        }
        let mut numbers: Vec<i32> = all.iter().filter_map(|i| i.sequence).collect();
        numbers.sort_unstable();
        assert_eq!(
            numbers,
            (1..=numbers.len() as i32).collect::<Vec<_>>(),
            "gap-free from 1"
        );
        let docs = documents::entity::Entity::find()
            .all(db)
            .await
            .expect("documents");
        assert!(
            docs.iter().any(|d| d.content_type == "application/pdf"),
            "{label}"
        );
        assert!(
            docs.iter().any(|d| d.content_type == "image/png"),
            "{label}"
        );

        let mut office = signed_in(&app, "olga@vandijk.example", &clock).await;
        let board = json(&office.call("/api/staff/dashboard", "").await);
        let count = |key: &str| board[key].as_array().map_or(0, Vec::len);
        assert_eq!(count("today"), 3, "{label}: three moves today: {board}");
        assert!(
            count("quotes_waiting") >= 1 && count("overdue") == 1 && count("unread") >= 2,
            "{label}: {board}"
        );
        let mut crew = signed_in(&app, "cees@vandijk.example", &clock).await;
        let day = json(&crew.call("/api/crew/today", "").await);
        let mine: Vec<&str> = day["jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .filter_map(|j| j["customer_name"].as_str())
            .collect();
        assert_eq!(
            mine,
            ["Familie Jansen", "Familie De Boer"],
            "{label}: Cees's day, by arrival window"
        );

        // An hourly run of housekeeping: nothing to do now; three weeks on, the open invoice
        // is overdue and the waiting quote expired.
        assert_eq!(
            portico_server::startup::housekeeping(db, clock.now())
                .await
                .expect("now"),
            (0, 0),
            "{label}"
        );
        let later = clock.now() + chrono::Duration::days(40);
        let (expired, overdue) = portico_server::startup::housekeeping(db, later)
            .await
            .expect("later");
        assert_eq!((expired, overdue), (1, 1), "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn staff_views_of_customer_records_are_audited_once_per_person_and_window() {
    use portico_domain::audit::{self, AuditAction};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let Demo {
            app,
            clock,
            data: _data,
            _site,
        } = demo(db, "20").await;
        let views = |subject: String| async move {
            audit::entity::Entity::find()
                .filter(audit::entity::Column::Action.eq(AuditAction::RecordViewed.as_str()))
                .filter(audit::entity::Column::Subject.eq(subject))
                .order_by_asc(audit::entity::Column::Id)
                .all(db)
                .await
                .expect("audit rows")
                .into_iter()
                .map(|row| row.actor_user_id.expect("an actor"))
                .collect::<Vec<i32>>()
        };
        // Today's De Boer move (job 1 of the demo), crewed by Cees.
        let olga = user_id(db, "olga@vandijk.example").await;
        let cees = user_id(db, "cees@vandijk.example").await;
        let mut office = signed_in(&app, "olga@vandijk.example", &clock).await;
        let job_body = form(&[("job_id", "1")]);
        for _ in 0..3 {
            let reply = office.call("/api/jobs/staff_job", &job_body).await;
            assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        }
        assert_eq!(
            views("job:1".into()).await,
            [olga],
            "{label}: one row for three looks"
        );

        let customer_id = json(&office.call("/api/jobs/staff_job", &job_body).await)["customer_id"]
            .as_i64()
            .expect("customer id");
        let customer_body = form(&[("customer_id", &customer_id.to_string())]);
        let reply = office.call("/api/customers/detail", &customer_body).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_eq!(
            views(format!("customer:{customer_id}")).await,
            [olga],
            "{label}"
        );

        // A later look, past the window, is a new row; the crew's look is theirs.
        clock.advance(audit::VIEW_WINDOW + chrono::Duration::minutes(1));
        let mut crew = signed_in(&app, "cees@vandijk.example", &clock).await;
        let reply = office.call("/api/jobs/staff_job", &job_body).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let reply = crew.call("/api/jobs/staff_job", &job_body).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_eq!(views("job:1".into()).await, [olga, olga, cees], "{label}");

        // A refused look leaves no row: another customer's contact, and a missing customer.
        let mut stranger = signed_in(&app, "lars@studiohendriks.example", &clock).await;
        let reply = stranger.call("/api/jobs/staff_job", &job_body).await;
        assert_ne!(reply.status, StatusCode::OK, "{label}");
        let reply = office
            .call("/api/customers/detail", &form(&[("customer_id", "999999")]))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{label}");
        assert_eq!(views("job:1".into()).await, [olga, olga, cees], "{label}");
        assert!(views("customer:999999".into()).await.is_empty(), "{label}");
        test_db.finish().await;
    }
}

/// The ERROR events the subscriber saw, as text.
#[derive(Clone, Default)]
struct Errors(Arc<std::sync::Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Errors {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Text<'a>(&'a mut String);
        impl tracing::field::Visit for Text<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={value:?} ", field.name()));
            }
        }
        if *event.metadata().level() == tracing::Level::ERROR {
            let mut text = String::new();
            event.record(&mut Text(&mut text));
            self.0.lock().expect("lock").push(text);
        }
    }
}

/// A server render must not start work it then abandons: a resource created inside a
/// `Suspend` runs once more for a render the server throws away, and that run, on another
/// thread, finds the request's context gone ("no database connection in the request
/// context"). Rendered on a multi-threaded runtime, as in production, whose every thread
/// reports to one subscriber; several renders, since the lost run is a race.
#[test]
fn staff_pages_render_on_the_server_without_work_that_loses_its_request_context() {
    use tracing_subscriber::layer::SubscriberExt;

    let errors = Errors::default();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(errors.clone()));
    let for_threads = dispatch.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || {
            std::mem::forget(tracing::dispatcher::set_default(&for_threads));
        })
        .build()
        .expect("runtime");
    let _main = tracing::dispatcher::set_default(&dispatch);
    runtime.block_on(async {
        for test_db in support::migrated_databases().await {
            let label = test_db.label;
            let db = &test_db.db;
            let Demo {
                app,
                clock,
                data: _data,
                _site,
            } = demo(db, "20").await;
            let mut office = signed_in(&app, "olga@vandijk.example", &clock).await;
            for _ in 0..5 {
                let page = office.get("/staff/jobs/1").await;
                assert_eq!(page.status, StatusCode::OK, "{label}");
                let html = page.text().replace("<!>", "");
                assert!(
                    html.contains("boxes-in-the-hallway.png"),
                    "{label}: documents"
                );
                assert!(html.contains("parking permit"), "{label}: the thread");
            }
            // And every other staff page, as the person who uses it.
            let admin = signed_in(&app, "anna@vandijk.example", &clock).await;
            let crew = signed_in(&app, "cees@vandijk.example", &clock).await;
            let mut people = [office, crew, admin];
            for (who, path) in [
                (0, "/staff"),
                (0, "/staff/customers"),
                (0, "/staff/customers/new"),
                (0, "/staff/customers/1"),
                (0, "/staff/invitations"),
                (0, "/staff/outgoing-mail"),
                (0, "/account/security"),
                (1, "/crew"),
                (1, "/staff/jobs/1"),
                (2, "/admin/users"),
                (2, "/admin/company"),
                (2, "/admin/audit"),
            ] {
                let page = people[who].get(path).await;
                assert_eq!(page.status, StatusCode::OK, "{label}: {path}");
            }
            // Work the server did not wait for would finish (and fail) about now.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let seen = errors.0.lock().expect("lock").clone();
            // Other errors (a database under the load of the whole suite, say) are shown, but
            // this test is about work that ran without its request.
            if !seen.is_empty() {
                eprintln!("{label}: ERROR events while rendering: {seen:#?}");
            }
            let lost: Vec<&String> = seen
                .iter()
                .filter(|e| e.contains("request context") || e.contains("no request"))
                .collect();
            assert!(lost.is_empty(), "{label}: {lost:#?}");
            test_db.finish().await;
        }
    });
}

#[tokio::test]
async fn opening_a_job_changes_nothing_and_the_page_marks_the_thread_read_by_post() {
    use portico_domain::messages;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let Demo {
            app,
            clock,
            data: _data,
            _site,
        } = demo(db, "20").await;
        let mut sanne = signed_in(&app, "sanne@deboer.example", &clock).await;
        let reply = sanne
            .call(
                "/api/messages/post",
                &form(&[("job_id", "1"), ("body", "Is the lift booked?")]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let olga_id = user_id(db, "olga@vandijk.example").await;
        let unread_on_job_1 = || async {
            messages::unread_from_customers(db, olga_id)
                .await
                .expect("unread")
                .into_iter()
                .find(|(job, _)| *job == 1)
                .map_or(0, |(_, n)| n)
        };
        assert!(unread_on_job_1().await >= 1, "{label}");
        let before = unread_on_job_1().await;

        let mut olga = signed_in(&app, "olga@vandijk.example", &clock).await;
        let page = olga.get("/staff/jobs/1").await;
        assert_eq!(page.status, StatusCode::OK, "{label}");
        assert!(page.text().contains("Is the lift booked?"), "{label}");
        let thread = olga
            .call("/api/messages/thread", &form(&[("job_id", "1")]))
            .await;
        let shown: Vec<portico_app::messages::MessageView> =
            serde_json::from_slice(&thread.body).expect("thread");
        assert_eq!(
            unread_on_job_1().await,
            before,
            "{label}: a GET (and reading the thread) marks nothing read"
        );

        let newest = shown.last().expect("messages").id.to_string();
        let reply = olga
            .call(
                "/api/messages/mark_read",
                &form(&[("job_id", "1"), ("up_to", &newest)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        assert_eq!(unread_on_job_1().await, 0, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn papers_with_prices_are_for_owner_payer_and_office_only_in_list_and_download() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let Demo {
            app,
            clock,
            data: _data,
            _site,
        } = demo(db, "20").await;
        let mut office = signed_in(&app, "olga@vandijk.example", &clock).await;
        let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
        let mut ids = Vec::new();
        for kind in ["invoice", "quote", "inventory_list"] {
            let reply = office
                .send(upload(
                    1,
                    &[("kind", kind), ("visibility", "customer")],
                    Some((&format!("{kind}.pdf"), &pdf)),
                ))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::CREATED,
                "{label}: {}",
                reply.text()
            );
            ids.push(json(&reply)[0].as_i64().expect("id"));
        }
        let (invoice, quote, inventory) = (ids[0], ids[1], ids[2]);

        // Job 1 is the De Boers' (Sanne owner, Joost viewer) with Cees on the crew.
        let mut sanne = signed_in(&app, "sanne@deboer.example", &clock).await;
        let mut joost = signed_in(&app, "joost@deboer.example", &clock).await;
        let mut cees = signed_in(&app, "cees@vandijk.example", &clock).await;
        for (who, browser, expected) in [
            ("owner", &mut sanne, [200, 200, 200]),
            ("viewer", &mut joost, [404, 404, 200]),
            ("assigned crew", &mut cees, [404, 404, 200]),
            ("office", &mut office, [200, 200, 200]),
        ] {
            for (id, want) in [invoice, quote, inventory].iter().zip(expected) {
                let got = browser
                    .get(&format!("/files/documents/{id}"))
                    .await
                    .status
                    .as_u16();
                assert_eq!(got, want, "{label}: document {id} for the {who}");
            }
        }
        // The crew's list of the job's documents leaves the money papers out.
        let listed = json(
            &cees
                .call("/api/documents/for_job", &form(&[("job_id", "1")]))
                .await,
        );
        let names: Vec<&str> = listed
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|d| d["file_name"].as_str())
            .collect();
        assert!(names.contains(&"inventory_list.pdf"), "{label}: {names:?}");
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with("invoice") || n.starts_with("quote")),
            "{label}: crew never see prices: {names:?}"
        );
        test_db.finish().await;
    }
}
