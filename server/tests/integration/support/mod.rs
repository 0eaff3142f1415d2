//! Test support: fresh databases on every configured backend, and a router to call.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode},
    Router,
};
use http_body_util::BodyExt;
use portico_domain::clock::{SharedClock, SystemClock};
use portico_domain::{db, DatabaseConnection};
use portico_server::{router, AppState, Config};
use sea_orm::{ConnectionTrait, Database};
use std::sync::Arc;
use tower::ServiceExt;

pub mod fake_mollie;

/// A database that exists for one test only.
pub struct TestDb {
    pub label: &'static str,
    pub url: String,
    pub db: DatabaseConnection,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// Drops a PostgreSQL test database; a SQLite file goes with its temporary folder.
    pub async fn finish(self) {
        close(&self.db).await;
        if let Some((admin_url, name)) = self.postgres {
            if let Ok(admin) = Database::connect(&admin_url).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
                let _ = admin.close().await;
            }
        }
    }
}

/// Closes a pool. The pool refuses new work at once; waiting for its connections to come back
/// is bounded, because sqlx's `close` can wait forever on a connection it never gets back.
pub async fn close(db: &DatabaseConnection) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), db.close_by_ref()).await;
}

/// The PostgreSQL server to test against, if any.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("PORTICO_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A fresh, empty (unmigrated) database on every configured backend: SQLite always,
/// PostgreSQL when `PORTICO_TEST_DATABASE_URL` is set.
pub async fn fresh_databases() -> Vec<TestDb> {
    let mut out = vec![fresh_sqlite().await];
    if let Some(admin_url) = postgres_admin_url() {
        out.push(fresh_postgres(&admin_url).await);
    }
    out
}

/// Like [`fresh_databases`], with the migrations applied.
pub async fn migrated_databases() -> Vec<TestDb> {
    let dbs = fresh_databases().await;
    for test_db in &dbs {
        db::migrate(&test_db.db).await.expect("migrations apply");
    }
    dbs
}

pub async fn fresh_sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = db::default_sqlite_url(dir.path());
    let conn = db::connect(&url).await.expect("open SQLite file");
    TestDb {
        label: "sqlite",
        url,
        db: conn,
        _dir: Some(dir),
        postgres: None,
    }
}

pub async fn fresh_postgres(admin_url: &str) -> TestDb {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "portico_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        chrono::Utc::now().timestamp_micros() % 1_000_000
    );
    let admin = Database::connect(admin_url)
        .await
        .expect("PORTICO_TEST_DATABASE_URL answers");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let mut url = url::Url::parse(admin_url).expect("PORTICO_TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    let conn = db::connect(url.as_str()).await.expect("open test database");
    TestDb {
        label: "postgres",
        url: url.to_string(),
        db: conn,
        _dir: None,
        postgres: Some((admin_url.to_owned(), name)),
    }
}

/// The real router over the given database, serving assets from `site_root`, with the default
/// configuration and the system clock.
pub fn app(db: &DatabaseConnection, site_root: &Path) -> Router {
    app_with(db, site_root, Arc::new(SystemClock), &[])
}

/// The real router with a chosen clock and configuration variables (`PORTICO_…`).
pub fn app_with(
    db: &DatabaseConnection,
    site_root: &Path,
    clock: SharedClock,
    vars: &[(&str, &str)],
) -> Router {
    router(state_with(db, site_root, clock, vars))
}

pub fn state_with(
    db: &DatabaseConnection,
    site_root: &Path,
    clock: SharedClock,
    vars: &[(&str, &str)],
) -> AppState {
    // A fixed at-rest key, so that tests never write a key file into the source tree.
    let config = Config::load_from(
        [
            ("PORTICO_CONFIG", "/dev/null"),
            ("PORTICO_SECRET_KEY", TEST_SECRET_KEY),
        ]
        .iter()
        .chain(vars)
        .map(|(k, v)| (k.to_string(), v.to_string())),
    )
    .expect("test configuration");
    let mut options = portico_server::state::leptos_options("127.0.0.1:3000".parse().unwrap());
    options.site_root = site_root.to_string_lossy().as_ref().into();
    portico_server::startup::app_state(&config, options, db.clone(), clock).expect("app state")
}

/// The at-rest key of the test configuration (32 bytes, base64url).
pub const TEST_SECRET_KEY: &str = "dGVzdC1vbmx5LWF0LXJlc3Qta2V5LTMyLWJ5dGVzISE";

/// The key the test router seals authenticator secrets with.
pub fn at_rest_key() -> portico_domain::accounts::at_rest::AtRestKey {
    portico_domain::accounts::at_rest::AtRestKey::from_base64(TEST_SECRET_KEY).expect("test key")
}

/// A site root with no compiled assets, for tests that do not fetch `/pkg`.
pub fn empty_site() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().to_path_buf();
    (dir, path)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("router answers");
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .expect("body reads")
        .to_bytes()
        .to_vec();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// A GET as a browser's navigation makes it (it accepts HTML).
pub fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header("host", "localhost:3000")
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .body(Body::empty())
        .unwrap()
}

/// The origin the default configuration serves (`PORTICO_PUBLIC_URL`).
pub const ORIGIN: &str = "http://localhost:3000";

/// A server-function call as the browser makes it (a form-encoded POST from our own page).
pub fn call(path: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header("host", "localhost:3000")
        .header("origin", ORIGIN)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Body::from(form.to_owned()))
        .unwrap()
}

/// A browser's view of the app: it keeps the session cookie between requests, sends our
/// Origin on POSTs, and can pretend to come from a client address.
pub struct Browser {
    app: Router,
    /// `name=value` of the session cookie, if the server set one.
    pub cookie: Option<String>,
    /// The last `Set-Cookie` for the session, attributes included.
    pub last_set_cookie: Option<String>,
    pub client: Option<std::net::SocketAddr>,
    /// Another public origin than the default configuration's (sent as `Origin` and `Host`).
    pub origin: Option<String>,
}

impl Browser {
    pub fn new(app: &Router) -> Self {
        Self {
            app: app.clone(),
            cookie: None,
            last_set_cookie: None,
            client: None,
            origin: None,
        }
    }

    pub async fn send(&mut self, mut request: Request<Body>) -> Reply {
        if let Some(cookie) = &self.cookie {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().expect("cookie header"));
        }
        if let Some(origin) = &self.origin {
            let headers = request.headers_mut();
            if headers.contains_key("origin") {
                headers.insert("origin", origin.parse().expect("origin header"));
            }
            let host = origin.split("://").nth(1).unwrap_or_default();
            headers.insert("host", host.parse().expect("host header"));
        }
        if let Some(addr) = self.client {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(addr));
        }
        let reply = send(&self.app, request).await;
        for value in reply.headers.get_all("set-cookie") {
            let text = value.to_str().expect("ascii cookie").to_owned();
            if let Some(rest) = text.strip_prefix(&format!("{SESSION_COOKIE}=")) {
                let value = rest.split(';').next().unwrap_or_default();
                let removed = value.is_empty() || text.contains("Max-Age=0");
                self.cookie = (!removed).then(|| format!("{SESSION_COOKIE}={value}"));
                self.last_set_cookie = Some(text);
            }
        }
        reply
    }

    pub async fn call(&mut self, path: &str, form: &str) -> Reply {
        self.send(call(path, form)).await
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(get(path)).await
    }

    /// Signs a demo person in as the sign-in page does: the demo password, then the demo's
    /// authenticator code for `at`. Answers the first refusal, or the second step's reply.
    pub async fn demo_sign_in(&mut self, email: &str, at: chrono::DateTime<chrono::Utc>) -> Reply {
        use portico_domain::{accounts::totp::TotpSecret, seed};
        let reply = self
            .call(
                "/api/accounts/sign_in_password",
                &form(&[("email", email), ("password", seed::DEMO_PASSWORD)]),
            )
            .await;
        if reply.status != axum::http::StatusCode::OK {
            return reply;
        }
        let secret = TotpSecret::from_base32(seed::DEMO_TOTP_SECRET, "demo", "demo")
            .expect("the demo secret");
        self.call(
            "/api/accounts/sign_in_second_factor",
            &form(&[("code", &secret.code_at(at))]),
        )
        .await
    }

    /// A browser in which the demo person `email` is signed in; panics if the sign-in fails.
    pub async fn signed_in_demo(
        app: &Router,
        email: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let mut browser = Self::new(app);
        let reply = browser.demo_sign_in(email, at).await;
        assert_eq!(
            reply.status,
            axum::http::StatusCode::OK,
            "{email}: {}",
            reply.text()
        );
        browser
    }
}

pub const SESSION_COOKIE: &str = "__Host-portico-session";

/// Form-encodes pairs for a server-function call.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A server-function call with a JSON body (functions declared with `input = Json`).
pub fn call_json(path: &str, body: &serde_json::Value) -> Request<Body> {
    Request::post(path)
        .header("host", "localhost:3000")
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// A real SMTP server on a free local port that keeps every message it accepts: enough of
/// RFC 5321 for lettre (EHLO, MAIL, RCPT, DATA, QUIT).
pub async fn smtp_sink() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sink");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let (mut in_data, mut message) = (false, String::new());
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            let _ = tx.send(std::mem::take(&mut message));
                            let _ = write.write_all(b"250 OK queued\r\n").await;
                        } else {
                            message.push_str(line.strip_prefix('.').unwrap_or(&line));
                            message.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 OK\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, rx)
}

/// The first `/{path}/<token>` link in the newest outbox message to `to`.
pub async fn link_in_outbox(db: &DatabaseConnection, to: &str, path: &str) -> String {
    let mail = portico_domain::mail::latest(db, 100)
        .await
        .expect("outbox")
        .into_iter()
        .find(|m| m.to_address == to)
        .unwrap_or_else(|| panic!("no mail to {to}"));
    let marker = format!("/{path}/");
    let start = mail.body_text.find(&marker).expect("a link in the mail") + marker.len();
    mail.body_text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
