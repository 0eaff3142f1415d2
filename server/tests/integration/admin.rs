//! The admin's pages over HTTP: people and roles (disable, enable, change a role), company
//! settings with field-level refusals, and the audit log's filters.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use portico_app::PorticoError;
use portico_domain::{
    clock::{Clock, ManualClock},
    seed,
};

use crate::support::{self, empty_site, form, Browser, Reply};

async fn sign_in(app: &axum::Router, email: &str, clock: &ManualClock) -> (Browser, Reply) {
    let mut browser = Browser::new(app);
    let reply = browser.demo_sign_in(email, clock.now()).await;
    (browser, reply)
}

fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_slice(&reply.body).unwrap_or_else(|_| panic!("JSON: {}", reply.text()))
}

#[tokio::test]
async fn an_admin_manages_people_company_settings_and_reads_the_audit_log() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seed::seed_demo_if_empty(db, clock.now())
            .await
            .expect("seed");
        let (_site, root) = empty_site();
        let app = support::app_with(
            db,
            &root,
            Arc::new(clock.clone()),
            &[("PORTICO_DEMO", "true")],
        );
        let (mut admin, reply) = sign_in(&app, "anna@vandijk.example", &clock).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");

        let people = json(&admin.call("/api/admin/people", "").await);
        let people = people.as_array().expect("list");
        let ruud = people
            .iter()
            .find(|p| p["email"] == "ruud@vandijk.example")
            .expect("Ruud");
        assert_eq!(ruud["role"], "crew", "{label}");
        assert_eq!(people.iter().filter(|p| p["me"] == true).count(), 1);
        let staff_first = people
            .iter()
            .position(|p| p["role"] == "customer")
            .unwrap_or(0);
        assert!(
            people[..staff_first]
                .iter()
                .all(|p| p["role"] != "customer"),
            "staff are listed first"
        );
        let ruud_id = ruud["id"].to_string();

        // Disabled: no sign-in; enabled again: sign-in works. Both audited.
        assert_eq!(
            admin
                .call(
                    "/api/accounts/disable_user",
                    &form(&[("user_id", &ruud_id)])
                )
                .await
                .status,
            StatusCode::OK
        );
        let (_, refused) = sign_in(&app, "ruud@vandijk.example", &clock).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(
            admin
                .call("/api/admin/enable_user", &form(&[("user_id", &ruud_id)]))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            admin
                .call("/api/admin/enable_user", &form(&[("user_id", &ruud_id)]))
                .await
                .status,
            StatusCode::CONFLICT,
            "already enabled"
        );
        clock.advance(chrono::Duration::seconds(31));
        let (_, back) = sign_in(&app, "ruud@vandijk.example", &clock).await;
        assert_eq!(back.status, StatusCode::OK, "{label}: {}", back.text());

        // Company settings: refused field by field, saved when right.
        let mut settings = json(&admin.call("/api/admin/company", "").await);
        assert_eq!(settings["iban"], "NL91 ABNA 0417 1643 00", "{label}");
        settings["iban"] = "NL91 ABNA 0417 1643 01".into();
        let pairs: Vec<(String, String)> = settings
            .as_object()
            .expect("object")
            .iter()
            .map(|(k, v)| {
                (
                    format!("company[{k}]"),
                    v.as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let body = |pairs: &[(String, String)]| {
            form(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            )
        };
        let reply = admin.call("/api/admin/save_company", &body(&pairs)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(
            matches!(serde_json::from_slice::<PorticoError>(&reply.body), Ok(PorticoError::Invalid { field, .. }) if field == "iban")
        );
        let fixed: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| match k.as_str() {
                "company[iban]" => (k, "NL91ABNA0417164300".to_owned()),
                "company[invoice_prefix]" => (k, "VDV".to_owned()),
                "company[name]" => (k, "Van Dijk Verhuizingen B.V.".to_owned()),
                _ => (k, v),
            })
            .collect();
        let reply = admin.call("/api/admin/save_company", &body(&fixed)).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let profile = portico_domain::company::profile(db).await.expect("company");
        assert_eq!(
            (profile.name.as_str(), profile.invoice_prefix.as_str()),
            ("Van Dijk Verhuizingen B.V.", "VDV"),
            "{label}"
        );

        // The audit log: filtered by what, by whom and about what.
        let page = json(
            &admin
                .call(
                    "/api/admin/audit",
                    &form(&[("filter[action]", "user_disabled")]),
                )
                .await,
        );
        assert_eq!(page["total"], 1, "{label}");
        assert_eq!(page["rows"][0]["actor"], "Anna de Vries");
        assert_eq!(page["rows"][0]["subject"], format!("user:{ruud_id}"));
        let page = json(
            &admin
                .call(
                    "/api/admin/audit",
                    &form(&[("filter[actor]", "anna@vandijk.example")]),
                )
                .await,
        );
        let actions: Vec<&str> = page["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|r| r["action"].as_str())
            .collect();
        for expected in [
            "company settings changed",
            "user enabled",
            "user disabled",
            "signed in",
        ] {
            assert!(
                actions.contains(&expected),
                "{label}: {expected} in {actions:?}"
            );
        }
        let page = json(
            &admin
                .call(
                    "/api/admin/audit",
                    &form(&[("filter[actor]", "nobody@nowhere.example")]),
                )
                .await,
        );
        assert_eq!(page["total"], 0);
        let page = json(
            &admin
                .call(
                    "/api/admin/audit",
                    &form(&[
                        ("filter[subject]", "job:1"),
                        ("filter[action]", "job_status_changed"),
                    ]),
                )
                .await,
        );
        assert!(
            page["total"].as_u64().unwrap_or(0) >= 2,
            "{label}: the seeded job's moves: {page}"
        );
        let reply = admin
            .call("/api/admin/audit", &form(&[("filter[from]", "yesterday")]))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Nobody else gets in.
        let (mut office, _) = sign_in(&app, "olga@vandijk.example", &clock).await;
        assert_eq!(
            office.call("/api/admin/people", "").await.status,
            StatusCode::FORBIDDEN
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn an_admin_sets_the_logo_and_everyone_sees_it() {
    use axum::{body::Body, http::Request};
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let data = tempfile::tempdir().expect("data");
        let clock = ManualClock::new(Utc::now());
        seed::seed_demo_if_empty(db, clock.now())
            .await
            .expect("seed");
        let (_site, root) = empty_site();
        let app = support::app_with(
            db,
            &root,
            Arc::new(clock.clone()),
            &[
                ("PORTICO_DEMO", "true"),
                ("PORTICO_DATA_DIR", data.path().to_str().expect("path")),
            ],
        );
        let logo = |bytes: &[u8]| {
            let boundary = "logo-boundary";
            let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n").into_bytes();
            body.extend_from_slice(bytes);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            Request::post("/files/company/logo")
                .header("host", "localhost:3000")
                .header("origin", support::ORIGIN)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .expect("request")
        };
        let png = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../domain/assets/demo-boxes.png"
        ))
        .expect("png");
        let mut anonymous = Browser::new(&app);
        assert_eq!(
            anonymous.get("/files/company/logo").await.status,
            StatusCode::NOT_FOUND,
            "{label}: none yet"
        );
        let (mut office, _) = sign_in(&app, "olga@vandijk.example", &clock).await;
        assert_eq!(
            office.send(logo(&png)).await.status,
            StatusCode::FORBIDDEN,
            "{label}"
        );
        let (mut admin, _) = sign_in(&app, "anna@vandijk.example", &clock).await;
        let reply = admin.send(logo(b"<svg onload=alert(1)>")).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: an SVG is not accepted"
        );
        assert_eq!(
            admin.send(logo(&png)).await.status,
            StatusCode::CREATED,
            "{label}"
        );
        let shown = anonymous.get("/files/company/logo").await;
        assert_eq!(shown.status, StatusCode::OK, "{label}");
        assert_eq!(shown.header("content-type"), Some("image/png"));
        assert_eq!(shown.body, png);
        let profile = json(&anonymous.call("/api/company_profile", "").await);
        assert!(
            profile["logo_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("/files/company/logo")),
            "{label}: {profile}"
        );
        test_db.finish().await;
    }
}
