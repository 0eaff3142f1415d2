//! The foundation: migrations, the demo seed, health, pages, the 404, a server function and
//! asset serving, on every configured database.

use axum::{body::Body, http::Request, http::StatusCode};
use portico_app::{company::CompanyProfile, PorticoError};
use portico_domain::{company, db, jobs, seed};
use sea_orm::{EntityTrait, PaginatorTrait, QuerySelect};

use crate::support::{self, call, empty_site, get, send};

#[tokio::test]
async fn migrations_apply_from_zero_and_are_idempotent() {
    for test_db in support::fresh_databases().await {
        let label = test_db.label;
        assert!(db::applied_migrations(&test_db.db)
            .await
            .map(|m| m.is_empty())
            .unwrap_or(true));
        db::migrate(&test_db.db).await.expect("first run");
        let applied = db::applied_migrations(&test_db.db).await.expect("list");
        assert_eq!(
            applied,
            vec![
                "m20261128_000001_foundation",
                "m20261128_000002_accounts",
                "m20261128_000003_business",
                "m20261201_000004_frozen_paperwork",
                "m20261202_000005_customer_answers",
                "m20261203_000006_live_events",
                "m20261204_000007_online_payments"
            ],
            "{label}"
        );
        db::migrate(&test_db.db)
            .await
            .expect("second run is a no-op");
        assert_eq!(
            db::applied_migrations(&test_db.db).await.expect("list"),
            applied
        );
        // The tables exist and are empty.
        assert_eq!(
            company::entity::Entity::find()
                .count(&test_db.db)
                .await
                .expect("company"),
            0
        );
        assert_eq!(
            jobs::entity::Entity::find()
                .count(&test_db.db)
                .await
                .expect("job"),
            0
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn demo_seed_fills_an_empty_database_once() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let now = chrono::Utc::now();
        let summary = seed::seed_demo_if_empty(&test_db.db, now)
            .await
            .expect("seed")
            .expect("empty database is seeded");
        assert_eq!(summary.company, seed::DEMO_COMPANY_NAME, "{label}");
        assert!(
            summary.staff.len() >= 5 && summary.customers >= 5,
            "{summary:?}"
        );
        let statuses: std::collections::HashSet<String> = jobs::entity::Entity::find()
            .select_only()
            .column(jobs::entity::Column::Status)
            .into_tuple::<String>()
            .all(&test_db.db)
            .await
            .expect("statuses")
            .into_iter()
            .collect();
        assert!(
            statuses.len() == portico_domain::jobs::JobStatus::ALL.len(),
            "a job in every lifecycle state on {label}: {statuses:?}"
        );
        assert_eq!(
            statuses.len(),
            summary.jobs,
            "one job per state in the demo"
        );

        let again = seed::seed_demo_if_empty(&test_db.db, now)
            .await
            .expect("second seed");
        assert!(
            again.is_none(),
            "the seed never touches a database with data ({label})"
        );
        assert_eq!(
            company::entity::Entity::find()
                .count(&test_db.db)
                .await
                .expect("count"),
            1
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn healthz_answers_ok_and_503_when_the_database_is_gone() {
    for test_db in support::migrated_databases().await {
        let (_site, root) = empty_site();
        let app = support::app(&test_db.db, &root);
        let reply = send(&app, get("/healthz")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", test_db.label);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], "ok");

        support::close(&test_db.db).await;
        let reply = send(&app, get("/healthz")).await;
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            test_db.label
        );
        let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
        assert_eq!(body["database"], "unreachable");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn home_page_is_rendered_on_the_server_with_the_company_name() {
    for test_db in support::migrated_databases().await {
        seed::seed_demo_if_empty(&test_db.db, chrono::Utc::now())
            .await
            .expect("seed");
        let (_site, root) = empty_site();
        let app = support::app(&test_db.db, &root);
        let reply = send(&app, get("/")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", test_db.label);
        assert!(reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"));
        let html = reply.text();
        // `<!>` are Leptos' hydration markers between text nodes.
        assert!(
            html.replace("<!>", "").contains(
                "<h1 id=\"hero-title\">Your move with Van Dijk Verhuizingen, in one place</h1>"
            ),
            "the heading is in the HTML before any script runs: {html}"
        );
        assert!(
            html.contains("office@vandijk.example"),
            "footer contact details"
        );
        assert!(
            html.contains("/pkg/portico.js") || html.contains("pkg/portico"),
            "hydration script"
        );
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        let id = reply
            .header("x-request-id")
            .expect("every response carries a request id");
        assert_eq!(id.len(), 36, "a UUID: {id}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn an_unknown_address_gets_a_real_404_page() {
    for test_db in support::migrated_databases().await {
        seed::seed_demo_if_empty(&test_db.db, chrono::Utc::now())
            .await
            .expect("seed");
        let (_site, root) = empty_site();
        let app = support::app(&test_db.db, &root);
        for path in ["/no/such/page", "/jobs/999999", "/pkg/missing.js"] {
            let reply = send(&app, get(path)).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        }
        let reply = send(&app, get("/no/such/page")).await;
        let html = reply.text();
        assert!(html.contains("Page not found"), "{html}");
        assert!(html.contains("Back to the home page"));
        assert!(
            html.contains("Van Dijk Verhuizingen"),
            "the 404 page keeps the layout"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn company_profile_server_function_reads_the_database() {
    for test_db in support::migrated_databases().await {
        let (_site, root) = empty_site();
        let app = support::app(&test_db.db, &root);

        // Before the seed there is no company: a clean "not found", no internals.
        let reply = send(&app, call("/api/company_profile", "")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", test_db.label);
        let error: PorticoError = serde_json::from_slice(&reply.body).expect("typed error");
        assert_eq!(error, PorticoError::NotFound);

        seed::seed_demo_if_empty(&test_db.db, chrono::Utc::now())
            .await
            .expect("seed");
        let reply = send(&app, call("/api/company_profile", "")).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}: {}",
            test_db.label,
            reply.text()
        );
        let profile: CompanyProfile = serde_json::from_slice(&reply.body).expect("json");
        assert_eq!(profile.name, "Van Dijk Verhuizingen");
        assert_eq!(profile.email, "office@vandijk.example");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_database_failure_is_answered_without_internal_text() {
    for test_db in support::migrated_databases().await {
        let (_site, root) = empty_site();
        let app = support::app(&test_db.db, &root);
        support::close(&test_db.db).await;
        let reply = send(&app, call("/api/company_profile", "")).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        let error: PorticoError = serde_json::from_slice(&reply.body).expect("typed error");
        assert_eq!(error, PorticoError::Internal);
        let text = reply.text().to_lowercase();
        for leak in ["pool", "sqlx", "sqlite", "closed", "connection"] {
            assert!(!text.contains(leak), "`{leak}` leaked: {text}");
        }
        test_db.finish().await;
    }
}

#[tokio::test]
async fn compiled_assets_are_compressed_and_revalidated() {
    for test_db in support::migrated_databases().await {
        let (_site, root) = empty_site();
        let pkg = root.join("pkg");
        std::fs::create_dir_all(&pkg).expect("pkg folder");
        let script = "console.log('portico');\n".repeat(400);
        std::fs::write(pkg.join("portico.js"), &script).expect("write asset");
        let app = support::app(&test_db.db, &root);

        let plain = send(&app, get("/pkg/portico.js")).await;
        assert_eq!(plain.status, StatusCode::OK);
        assert_eq!(plain.body.len(), script.len());
        assert_eq!(
            plain.header("cache-control"),
            Some("public, max-age=0, must-revalidate")
        );
        let last_modified = plain
            .header("last-modified")
            .expect("last-modified")
            .to_owned();

        let compressed = send(
            &app,
            Request::get("/pkg/portico.js")
                .header("accept-encoding", "br, gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(compressed.header("content-encoding"), Some("br"));
        assert!(
            compressed.body.len() * 10 < script.len(),
            "{} bytes",
            compressed.body.len()
        );

        let revalidated = send(
            &app,
            Request::get("/pkg/portico.js")
                .header("if-modified-since", last_modified)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
        test_db.finish().await;
    }
}

#[tokio::test]
async fn sqlite_runs_with_wal_full_sync_foreign_keys_and_a_busy_timeout() {
    use sea_orm::{ConnectionTrait, Statement};
    let test_db = support::fresh_sqlite().await;
    let pragma = |name: &'static str| {
        let db = test_db.db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("PRAGMA {name}"),
                ))
                .await
                .expect("pragma")
                .expect("a row");
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .expect("a value")
        }
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("synchronous").await, "2", "2 is FULL");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert_eq!(pragma("busy_timeout").await, "5000");
    test_db.finish().await;
}

#[tokio::test]
async fn an_oversized_request_body_is_refused_with_413() {
    let test_db = support::fresh_sqlite().await;
    let (_site, root) = empty_site();
    let app = support::app(&test_db.db, &root);
    let big = "x=".to_owned() + &"a".repeat(3 * 1024 * 1024);
    // From our own origin, so that only the size decides.
    let request = Request::post("/api/company_profile")
        .header("host", "localhost:3000")
        .header("origin", support::ORIGIN)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", big.len())
        .body(Body::from(big))
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    test_db.finish().await;
}

#[tokio::test]
async fn assets_are_precompressed_once_and_served_as_such() {
    let test_db = support::fresh_sqlite().await;
    let (_site, root) = empty_site();
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg folder");
    let wasm: Vec<u8> = (0..200_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 997) as u8)
        .collect();
    std::fs::write(pkg.join("portico.wasm"), &wasm).expect("write asset");

    let written = portico_server::assets::precompress_dir(&pkg).expect("precompress");
    assert_eq!(written, 2, "a .br and a .gz copy");
    assert_eq!(
        portico_server::assets::precompress_dir(&pkg).expect("again"),
        0,
        "fresh copies stay"
    );

    let app = support::app(&test_db.db, &root);
    for (encoding, suffix) in [("br", "br"), ("gzip", "gz")] {
        let reply = send(
            &app,
            Request::get("/pkg/portico.wasm")
                .header("accept-encoding", encoding)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-encoding"), Some(encoding));
        assert_eq!(reply.header("content-type"), Some("application/wasm"));
        let copy = std::fs::read(pkg.join(format!("portico.wasm.{suffix}"))).expect("copy");
        assert_eq!(reply.body, copy, "the precompressed copy is what is sent");
    }
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(
        &mut std::fs::read(pkg.join("portico.wasm.br"))
            .expect("br")
            .as_slice(),
        &mut decoded,
    )
    .expect("valid brotli");
    assert_eq!(decoded, wasm);

    // A rebuilt asset gets new copies.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(pkg.join("portico.wasm"), b"rebuilt").expect("rewrite");
    assert_eq!(
        portico_server::assets::precompress_dir(&pkg).expect("after rebuild"),
        2
    );
    test_db.finish().await;
}

#[tokio::test]
async fn html_pages_carry_a_nonce_based_content_security_policy() {
    let test_db = support::fresh_sqlite().await;
    db::migrate(&test_db.db).await.expect("migrate");
    seed::seed_demo_if_empty(&test_db.db, chrono::Utc::now())
        .await
        .expect("seed");
    let (_site, root) = empty_site();
    let app = support::app(&test_db.db, &root);
    let mut nonces = Vec::new();
    for path in ["/", "/", "/no/such/page"] {
        let reply = send(&app, get(path)).await;
        let policy = reply
            .header("content-security-policy")
            .expect("CSP on every page")
            .to_owned();
        for directive in [
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(
                policy.contains(directive),
                "{path}: {directive} missing from {policy}"
            );
        }
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in script-src")
            .to_owned();
        let html = reply.text();
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: scripts carry the nonce"
        );
        assert!(
            !html.contains("<script>"),
            "{path}: no inline script without the nonce"
        );
        assert_eq!(reply.header("referrer-policy"), Some("same-origin"));
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a fresh nonce for every response");
    assert!(nonces[0].len() >= 22, "128 bits, base64: {}", nonces[0]);
    test_db.finish().await;
}

#[tokio::test]
async fn a_request_body_that_stalls_is_cut_off() {
    let test_db = support::fresh_sqlite().await;
    portico_domain::db::migrate(&test_db.db)
        .await
        .expect("migrate");
    let (_site, root) = support::empty_site();
    let app = support::app_with(
        &test_db.db,
        &root,
        std::sync::Arc::new(portico_domain::clock::SystemClock),
        &[("PORTICO_BODY_TIMEOUT_SECONDS", "1")],
    );
    // The first bytes of a sign-in form, then nothing: a client that holds the request open.
    let stalled = futures_stalled_body();
    let request = Request::post("/api/accounts/sign_in_password")
        .header("host", "localhost:3000")
        .header("origin", support::ORIGIN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from_stream(stalled))
        .expect("request");
    let started = std::time::Instant::now();
    let reply = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        support::send(&app, request),
    )
    .await
    .expect("answered, not left hanging");
    assert!(
        reply.status.is_client_error(),
        "a 4xx for a body that never came: {} {}",
        reply.status,
        reply.text()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "cut off after the 1 s pause, took {:?}",
        started.elapsed()
    );
    test_db.finish().await;
}

/// One chunk, then a stream that never ends.
fn futures_stalled_body(
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    use futures_util::StreamExt;
    futures_util::stream::once(async { Ok(bytes::Bytes::from_static(b"email=anna%40")) })
        .chain(futures_util::stream::pending())
}
