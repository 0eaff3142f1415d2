//! Accounts: password + second-factor sign-in, sessions, throttling and the request guard,
//! through the real router on SQLite and PostgreSQL.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use portico_app::{accounts::security::SessionView, PorticoError};
use portico_domain::clock::Clock;
use portico_domain::{
    accounts::{password::PasswordHasher, sign_in, totp::TotpSecret, user, StaffRole},
    audit,
    clock::ManualClock,
    DatabaseConnection,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use crate::support::{self, empty_site, form, Browser, Reply};

const PASSWORD: &str = "lantern quarry mosaic velvet";

/// Someone who can sign in with a password and an authenticator app.
struct Person {
    id: i32,
    email: String,
    totp: TotpSecret,
    recovery_codes: Vec<String>,
}

async fn person(
    db: &DatabaseConnection,
    clock: &ManualClock,
    email: &str,
    role: Option<StaffRole>,
) -> Person {
    let now = clock.now();
    let row = user::ActiveModel {
        email: Set(email.to_owned()),
        display_name: Set(format!("Test {email}")),
        staff_role: Set(role),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert user");
    let hasher = PasswordHasher::new(1).expect("hasher");
    let hash = hasher.hash(PASSWORD).await.expect("hash");
    sign_in::save_password_hash(db, now, row.id, &hash)
        .await
        .expect("password");
    let totp = TotpSecret::generate("Portico", email).expect("secret");
    // Enrolled a while ago: the enrolment code's step is long past.
    sign_in::save_totp(
        db,
        &support::at_rest_key(),
        now,
        row.id,
        &totp.base32(),
        now.timestamp() / 30 - 100,
    )
    .await
    .expect("totp");
    let recovery_codes = sign_in::replace_recovery_codes(db, now, row.id)
        .await
        .expect("codes");
    Person {
        id: row.id,
        email: email.to_owned(),
        totp,
        recovery_codes,
    }
}

fn start_clock() -> ManualClock {
    // A whole step boundary plus a little, so "the next step" is well defined.
    let now = Utc::now();
    ManualClock::new(now - Duration::seconds(now.timestamp() % 30) + Duration::seconds(5))
}

fn error_of(reply: &Reply) -> PorticoError {
    serde_json::from_slice(&reply.body).unwrap_or_else(|e| {
        panic!(
            "a typed error, got {} {:?}: {e}",
            reply.status,
            reply.text()
        )
    })
}

async fn password_step(browser: &mut Browser, email: &str, password: &str) -> Reply {
    browser
        .call(
            "/api/accounts/sign_in_password",
            &form(&[("email", email), ("password", password)]),
        )
        .await
}

async fn code_step(browser: &mut Browser, code: &str) -> Reply {
    browser
        .call(
            "/api/accounts/sign_in_second_factor",
            &form(&[("code", code)]),
        )
        .await
}

async fn sign_in(browser: &mut Browser, person: &Person, clock: &ManualClock) {
    let reply = password_step(browser, &person.email, PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let reply = code_step(browser, &person.totp.code_at(clock.now())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

async fn sessions_reply(browser: &mut Browser) -> Reply {
    browser.call("/api/accounts/my_sessions", "").await
}

async fn audit_actions(db: &DatabaseConnection) -> Vec<String> {
    let mut rows = audit::latest(db, 1000).await.expect("audit");
    rows.reverse();
    rows.into_iter().map(|row| row.action).collect()
}

#[tokio::test]
async fn password_and_totp_sign_in_rotates_the_session_and_sign_out_kills_it() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let sanne = person(db, &clock, "sanne@deboer.example", None).await;

        let mut browser = Browser::new(&app);
        // Anonymous: the security page's data is refused with 401.
        let reply = sessions_reply(&mut browser).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(error_of(&reply), PorticoError::Unauthenticated);

        // Step one sets a pre-sign-in session cookie with the attributes SECURITY.md asks for.
        let reply = password_step(&mut browser, "  Sanne@DeBoer.example ", PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_eq!(reply.text(), "\"SecondFactorNeeded\"");
        let set_cookie = browser.last_set_cookie.clone().expect("a session cookie");
        for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(
                set_cookie.contains(attribute),
                "{label}: {set_cookie} lacks {attribute}"
            );
        }
        assert!(!set_cookie.contains("Domain="), "{set_cookie}");
        let pre_sign_in = browser.cookie.clone().expect("cookie");
        // 128 random bits, base64url: 22 characters.
        assert!(pre_sign_in.len() >= format!("{}=", support::SESSION_COOKIE).len() + 22);
        // Not signed in yet.
        assert_eq!(
            sessions_reply(&mut browser).await.status,
            StatusCode::UNAUTHORIZED
        );

        // Step two signs in, under a new session id.
        let reply = code_step(&mut browser, &sanne.totp.code_at(clock.now())).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let signed_in = browser.cookie.clone().expect("cookie");
        assert_ne!(
            signed_in, pre_sign_in,
            "{label}: the session id must change at sign-in"
        );

        let reply = sessions_reply(&mut browser).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let sessions: Vec<SessionView> = serde_json::from_slice(&reply.body).expect("sessions");
        assert_eq!(sessions.len(), 1);
        assert!(sessions[0].current);

        // The pre-sign-in cookie is dead.
        let mut old = Browser::new(&app);
        old.cookie = Some(pre_sign_in);
        assert_eq!(
            sessions_reply(&mut old).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );

        // Sign out, then replay the signed-in cookie: 401.
        let reply = browser.call("/api/accounts/sign_out", "").await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        assert!(
            reply.header("serverfnredirect").is_some(),
            "{label}: the page is told to go home"
        );
        assert!(browser.cookie.is_none(), "{label}: the cookie is removed");
        let mut replay = Browser::new(&app);
        replay.cookie = Some(signed_in);
        assert_eq!(
            sessions_reply(&mut replay).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );

        let actions = audit_actions(db).await;
        assert_eq!(actions, vec!["signed_in", "signed_out"], "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_totp_code_and_a_recovery_code_work_once() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let olga = person(db, &clock, "olga@vandijk.example", Some(StaffRole::Office)).await;
        let code = olga.totp.code_at(clock.now());

        let mut first = Browser::new(&app);
        assert_eq!(
            password_step(&mut first, &olga.email, PASSWORD)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            code_step(&mut first, &code).await.status,
            StatusCode::OK,
            "{label}"
        );

        // The same code on another device, inside the same 30 s: refused.
        let mut second = Browser::new(&app);
        assert_eq!(
            password_step(&mut second, &olga.email, PASSWORD)
                .await
                .status,
            StatusCode::OK
        );
        let reply = code_step(&mut second, &code).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{label}: TOTP replay"
        );
        assert_eq!(error_of(&reply), PorticoError::SignInRefused);

        // A recovery code works once (typed in capitals, with spaces) …
        clock.advance(Duration::seconds(2)); // the failure above slowed the account for 1 s
        let recovery = olga.recovery_codes[3].to_uppercase().replace('-', " ");
        assert_eq!(
            code_step(&mut second, &recovery).await.status,
            StatusCode::OK,
            "{label}"
        );
        // … and never again.
        let mut third = Browser::new(&app);
        assert_eq!(
            password_step(&mut third, &olga.email, PASSWORD)
                .await
                .status,
            StatusCode::OK
        );
        let reply = code_step(&mut third, &olga.recovery_codes[3]).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{label}: recovery code reuse"
        );

        // The next 30 s step gives a fresh code that works.
        clock.advance(Duration::seconds(30));
        let reply = code_step(&mut third, &olga.totp.code_at(clock.now())).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());

        let actions = audit_actions(db).await;
        assert!(
            actions.contains(&"recovery_code_used".to_owned()),
            "{label}: {actions:?}"
        );
        assert_eq!(
            actions.iter().filter(|a| *a == "signed_in").count(),
            3,
            "{label}: {actions:?}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn refusals_look_the_same_and_lockout_grows_then_locks() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let pieter = person(db, &clock, "pieter@smit.example", None).await;
        let mut browser = Browser::new(&app);

        // Unknown e-mail, wrong password and a locked account get the same status and body.
        let unknown = password_step(&mut browser, "nobody@nowhere.example", PASSWORD).await;
        let wrong =
            password_step(&mut browser, &pieter.email, "lantern quarry mosaic velvet!").await;
        let locked = password_step(&mut browser, &pieter.email, PASSWORD).await; // within 1 s
        for reply in [&unknown, &wrong, &locked] {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
            assert_eq!(reply.body, unknown.body, "{label}");
        }
        assert_eq!(error_of(&unknown), PorticoError::SignInRefused);
        // A password with one more character is a different password (no truncation).
        // After the 1 s wait the right password works again and clears the count.
        clock.advance(Duration::seconds(1));
        assert_eq!(
            password_step(&mut browser, &pieter.email, PASSWORD)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            code_step(&mut browser, &pieter.totp.code_at(clock.now()))
                .await
                .status,
            StatusCode::OK
        );
        assert!(
            portico_domain::accounts::throttle::blocked_until(db, pieter.id, clock.now())
                .await
                .expect("throttle")
                .is_none()
        );

        // Ten failures in a row, each after its wait: then the account is locked for an hour.
        let mut attacker = Browser::new(&app);
        for failure in 1..=10 {
            let reply =
                password_step(&mut attacker, &pieter.email, "wrong wrong wrong wrong").await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{label}: failure {failure}"
            );
            if failure < 10 {
                clock.advance(portico_domain::accounts::throttle::delay_after(failure));
            }
        }
        // The right password is refused while locked, with the same answer.
        clock.advance(Duration::minutes(59));
        let reply = password_step(&mut attacker, &pieter.email, PASSWORD).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{label}: still locked"
        );
        assert_eq!(reply.body, unknown.body);
        clock.advance(Duration::minutes(2));
        let reply = password_step(&mut attacker, &pieter.email, PASSWORD).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{label}: the lock has expired"
        );

        let actions = audit_actions(db).await;
        assert_eq!(
            actions.iter().filter(|a| *a == "account_locked").count(),
            1,
            "{label}"
        );
        assert!(
            actions.iter().filter(|a| *a == "sign_in_failed").count() >= 13,
            "{label}: {actions:?}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn sessions_end_when_idle_too_long_or_too_old() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let (_site, root) = empty_site();
        let app = support::app_with(
            db,
            &root,
            Arc::new(clock.clone()),
            &[("PORTICO_SESSION_IDLE_MINUTES", "30")],
        );
        let eva = person(db, &clock, "eva@bakkerijmulder.example", None).await;

        let mut idle = Browser::new(&app);
        sign_in(&mut idle, &eva, &clock).await;
        clock.advance(Duration::minutes(29));
        assert_eq!(
            sessions_reply(&mut idle).await.status,
            StatusCode::OK,
            "{label}"
        );
        // That request refreshed the session: another 29 minutes are fine …
        clock.advance(Duration::minutes(29));
        assert_eq!(
            sessions_reply(&mut idle).await.status,
            StatusCode::OK,
            "{label}"
        );
        // … 31 minutes of silence are not.
        clock.advance(Duration::minutes(31));
        assert_eq!(
            sessions_reply(&mut idle).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}: idle"
        );

        // Active all along, the session still ends 12 hours after sign-in.
        clock.advance(Duration::seconds(31));
        let mut busy = Browser::new(&app);
        sign_in(&mut busy, &eva, &clock).await;
        let mut lasted = Duration::zero();
        while sessions_reply(&mut busy).await.status == StatusCode::OK
            && lasted < Duration::hours(24)
        {
            clock.advance(Duration::minutes(20));
            lasted += Duration::minutes(20);
        }
        // 12 h is still fine; the first request after it is not.
        assert_eq!(
            lasted,
            Duration::minutes(12 * 60 + 20),
            "{label}: absolute timeout"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_person_lists_and_ends_their_own_sessions_and_disabling_ends_them_all() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let ayse = person(db, &clock, "ayse@yilmaz.example", None).await;
        let lars = person(db, &clock, "lars@studiohendriks.example", None).await;

        let mut phone = Browser::new(&app);
        phone.client = Some("10.0.0.7:5555".parse().expect("addr"));
        sign_in(&mut phone, &ayse, &clock).await;
        clock.advance(Duration::seconds(30));
        let mut laptop = Browser::new(&app);
        sign_in(&mut laptop, &ayse, &clock).await;
        clock.advance(Duration::seconds(30));
        let mut tablet = Browser::new(&app);
        sign_in(&mut tablet, &ayse, &clock).await;
        let mut other_person = Browser::new(&app);
        sign_in(&mut other_person, &lars, &clock).await;

        let reply = sessions_reply(&mut laptop).await;
        let sessions: Vec<SessionView> = serde_json::from_slice(&reply.body).expect("sessions");
        assert_eq!(sessions.len(), 3, "{label}");
        assert!(sessions[0].current);
        let phone_session = sessions
            .iter()
            .find(|s| s.ip.as_deref() == Some("10.0.0.7"))
            .expect("the phone's session shows its address");

        // Lars cannot end Ayşe's session: it does not exist for him.
        let reply = other_person
            .call(
                "/api/accounts/end_session",
                &form(&[("id", &phone_session.id)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{label}");

        // Ayşe ends the phone's session from the laptop.
        let reply = laptop
            .call(
                "/api/accounts/end_session",
                &form(&[("id", &phone_session.id)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_eq!(
            sessions_reply(&mut phone).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );

        // "Sign out everywhere else" keeps only the laptop.
        let reply = laptop.call("/api/accounts/end_other_sessions", "").await;
        assert_eq!(reply.text(), "1", "{label}");
        assert_eq!(
            sessions_reply(&mut tablet).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        assert_eq!(
            sessions_reply(&mut laptop).await.status,
            StatusCode::OK,
            "{label}"
        );

        // Disabling the account ends its sessions.
        portico_domain::accounts::admin::disable_user(
            db,
            &portico_domain::audit::Stamp::system(clock.now()),
            lars.id,
        )
        .await
        .expect("disable");
        assert_eq!(
            sessions_reply(&mut other_person).await.status,
            StatusCode::UNAUTHORIZED,
            "{label}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn cross_origin_state_changes_are_refused() {
    use axum::{body::Body, http::Request};
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let (_site, root) = empty_site();
        let app = support::app(&test_db.db, &root);
        let post = |headers: &[(&str, &str)]| {
            let mut request = Request::post("/api/accounts/sign_in_password")
                .header("host", "localhost:3000")
                .header("content-type", "application/x-www-form-urlencoded");
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request
                .body(Body::from(form(&[
                    ("email", "a@b.example"),
                    ("password", "x"),
                ])))
                .expect("request")
        };
        for (headers, expected) in [
            (
                vec![("origin", "https://evil.example")],
                StatusCode::FORBIDDEN,
            ),
            (
                vec![("origin", "http://localhost:3001")],
                StatusCode::FORBIDDEN,
            ),
            (
                vec![
                    ("sec-fetch-site", "cross-site"),
                    ("origin", support::ORIGIN),
                ],
                StatusCode::FORBIDDEN,
            ),
            (vec![("sec-fetch-site", "same-site")], StatusCode::FORBIDDEN),
            (vec![], StatusCode::FORBIDDEN),
            (vec![("origin", support::ORIGIN)], StatusCode::UNAUTHORIZED),
            (
                vec![("sec-fetch-site", "same-origin")],
                StatusCode::UNAUTHORIZED,
            ),
        ] {
            let reply = support::send(&app, post(&headers)).await;
            assert_eq!(
                reply.status,
                expected,
                "{label}: {headers:?}: {}",
                reply.text()
            );
            if expected == StatusCode::FORBIDDEN {
                // The same typed body as every other refusal, so the page can show it.
                let error: PorticoError = serde_json::from_slice(&reply.body)
                    .unwrap_or_else(|e| panic!("{label}: {e}: {}", reply.text()));
                assert_eq!(error, PorticoError::CrossOrigin, "{label}");
            }
        }
        // A file upload is no exception.
        let upload = Request::post("/files/company/logo")
            .header("host", "localhost:3000")
            .header("origin", "https://evil.example")
            .header("content-type", "multipart/form-data; boundary=x")
            .body(Body::from("--x--\r\n"))
            .expect("request");
        let reply = support::send(&app, upload).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}");
        assert_eq!(
            serde_json::from_slice::<PorticoError>(&reply.body).ok(),
            Some(PorticoError::CrossOrigin),
            "{label}: {}",
            reply.text()
        );
        // Reading stays open: a GET page needs no Origin.
        let reply = support::send(&app, support::get("/sign-in")).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn one_address_gets_a_limited_number_of_attempts() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let (_site, root) = empty_site();
        let app = support::app_with(
            db,
            &root,
            Arc::new(clock.clone()),
            &[("PORTICO_SIGN_IN_ATTEMPTS_PER_MINUTE", "3")],
        );
        let mut browser = Browser::new(&app);
        browser.client = Some("192.0.2.10:4000".parse().expect("addr"));
        for attempt in 1..=3 {
            let reply = password_step(
                &mut browser,
                &format!("x{attempt}@nowhere.example"),
                PASSWORD,
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{label}: attempt {attempt}"
            );
        }
        let reply = password_step(&mut browser, "x4@nowhere.example", PASSWORD).await;
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{label}");
        assert!(reply.header("retry-after").is_some(), "{label}");
        assert!(matches!(
            error_of(&reply),
            PorticoError::TooManyAttempts { .. }
        ));
        // Another address is not affected.
        browser.client = Some("192.0.2.11:4000".parse().expect("addr"));
        let reply = password_step(&mut browser, "x5@nowhere.example", PASSWORD).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn the_accounts_migration_upgrades_a_foundation_database_with_data() {
    use portico_migrations::{Migrator, MigratorTrait};
    use sea_orm::{EntityTrait, PaginatorTrait};
    for test_db in support::fresh_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        Migrator::up(db, Some(1)).await.expect("foundation only");
        // The foundation schema had no webauthn_handle; the seed must not need it here, so
        // insert a person with plain SQL as the old version would have.
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(
            "INSERT INTO users (email, display_name, staff_role, created_at) \
             VALUES ('old@vandijk.example', 'Old Timer', 'office', '2026-11-01 09:00:00+00:00')",
        )
        .await
        .expect("old row");
        Migrator::up(db, None).await.expect("the rest");
        let people = user::Entity::find().all(db).await.expect("users");
        assert_eq!(people.len(), 1, "{label}");
        assert_eq!(people[0].email, "old@vandijk.example");
        assert_eq!(people[0].webauthn_handle, None);
        assert_eq!(
            portico_domain::accounts::session::entity::Entity::find()
                .count(db)
                .await
                .expect("sessions"),
            0,
            "{label}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn demo_people_sign_in_with_the_documented_password_and_secret() {
    use portico_domain::seed;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        seed::seed_demo_if_empty(db, clock.now())
            .await
            .expect("seed");
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let secret =
            TotpSecret::from_base32(seed::DEMO_TOTP_SECRET, "demo", "demo").expect("secret");
        for (email, role) in [
            ("anna@vandijk.example", "Admin"),
            ("cees@vandijk.example", "Crew"),
            ("joost@deboer.example", "Customer"),
        ] {
            let mut browser = Browser::new(&app);
            let reply = password_step(&mut browser, email, seed::DEMO_PASSWORD).await;
            assert_eq!(reply.status, StatusCode::OK, "{label}: {email}");
            let reply = code_step(&mut browser, &secret.code_at(clock.now())).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{label}: {email}: {}",
                reply.text()
            );
            let reply = browser.call("/api/accounts/current_user", "").await;
            let user: Option<portico_app::accounts::SignedInUser> =
                serde_json::from_slice(&reply.body).expect("user");
            let user = user.expect("signed in");
            assert_eq!(user.email, email);
            assert_eq!(format!("{:?}", user.role), role, "{label}");
            // Each code works once per person; the next person's code is fine (own last step).
        }
        test_db.finish().await;
    }
}

#[tokio::test]
async fn an_unknown_email_costs_the_same_work_as_a_wrong_password() {
    use std::time::Instant;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let known = person(
            db,
            &clock,
            "timing@vandijk.example",
            Some(StaffRole::Office),
        )
        .await;
        let hasher = PasswordHasher::new(1).expect("hasher");
        let origin = portico_domain::audit::RequestOrigin::default();
        let median = |times: &mut Vec<f64>| {
            times.sort_by(f64::total_cmp);
            times[times.len() / 2]
        };
        let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
        for round in 0..5 {
            let started = Instant::now();
            let outcome = sign_in::check_password(
                db,
                &hasher,
                clock.now(),
                "nobody@nowhere.example",
                PASSWORD,
                &origin,
            )
            .await
            .expect("check");
            unknown.push(started.elapsed().as_secs_f64());
            assert_eq!(outcome, Err(sign_in::Refused));
            let started = Instant::now();
            let outcome = sign_in::check_password(
                db,
                &hasher,
                clock.now(),
                &known.email,
                "a wrong password here",
                &origin,
            )
            .await
            .expect("check");
            wrong.push(started.elapsed().as_secs_f64());
            assert_eq!(outcome, Err(sign_in::Refused), "round {round}");
            // Past the slow-down, so every attempt is a real password check.
            clock.advance(Duration::hours(2));
            portico_domain::accounts::throttle::clear(db, known.id)
                .await
                .expect("clear");
        }
        let (unknown, wrong) = (median(&mut unknown), median(&mut wrong));
        let ratio = unknown / wrong;
        assert!(
            (0.5..2.0).contains(&ratio),
            "{label}: unknown {unknown:.3} s vs wrong password {wrong:.3} s"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn hsts_is_sent_only_when_the_public_url_is_https() {
    for test_db in support::migrated_databases().await {
        let (_site, root) = empty_site();
        let clock = start_clock();
        let https = support::app_with(
            &test_db.db,
            &root,
            Arc::new(clock.clone()),
            &[("PORTICO_PUBLIC_URL", "https://portal.vandijk.example")],
        );
        let reply = support::send(&https, support::get("/healthz")).await;
        assert_eq!(
            reply.header("strict-transport-security"),
            Some("max-age=63072000; includeSubDomains")
        );
        let http = support::app(&test_db.db, &root);
        let reply = support::send(&http, support::get("/healthz")).await;
        assert_eq!(reply.header("strict-transport-security"), None);
        test_db.finish().await;
    }
}

#[tokio::test]
async fn malformed_input_gets_400_not_500() {
    use axum::{body::Body, http::Request};
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let (_site, root) = empty_site();
        let app = support::app(&test_db.db, &root);
        for (path, content_type, body) in [
            (
                "/api/accounts/sign_in_password",
                "application/x-www-form-urlencoded",
                "email=only",
            ),
            (
                "/api/accounts/sign_in_password",
                "application/x-www-form-urlencoded",
                "",
            ),
            (
                "/api/accounts/passkey_sign_in_finish",
                "application/json",
                "{\"credential\": 5}",
            ),
            (
                "/api/accounts/passkey_sign_in_finish",
                "application/json",
                "not json",
            ),
        ] {
            let request = Request::post(path)
                .header("host", "localhost:3000")
                .header("origin", support::ORIGIN)
                .header("content-type", content_type)
                .header("accept", "application/json")
                .body(Body::from(body))
                .expect("request");
            let reply = support::send(&app, request).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{label}: {path} {body:?}: {}",
                reply.text()
            );
            assert_eq!(error_of(&reply), PorticoError::BadRequest);
        }
        test_db.finish().await;
    }
}

#[tokio::test]
async fn concurrent_wrong_codes_are_all_counted_and_first_failures_do_not_collide() {
    use portico_domain::{
        accounts::{sign_in_throttle, throttle},
        audit::RequestOrigin,
    };
    use sea_orm::EntityTrait;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let ruud = person(db, &clock, "ruud@example.nl", Some(StaffRole::Crew)).await;
        let now = clock.now();

        // Two first failures at the same moment: no key collision, both counted.
        let (a, b) = tokio::join!(
            throttle::record_failure(db, ruud.id, now),
            throttle::record_failure(db, ruud.id, now)
        );
        let mut counts = vec![a.expect("first"), b.expect("second")];
        counts.sort_unstable();
        assert_eq!(counts, vec![1, 2], "{label}");
        throttle::clear(db, ruud.id).await.expect("clear");

        // Forty wrong second factors at once: forty failures.
        let attempts: Vec<_> = (0..40)
            .map(|i| {
                let db = db.clone();
                let user_id = ruud.id;
                tokio::spawn(async move {
                    sign_in::check_second_factor(
                        &db,
                        &support::at_rest_key(),
                        now,
                        "Portico",
                        user_id,
                        &format!("{:06}", 100_000 + i),
                        &RequestOrigin::default(),
                    )
                    .await
                })
            })
            .collect();
        for attempt in futures_join_all(attempts).await {
            let outcome = attempt.expect("task").expect("no database error");
            assert!(outcome.is_err(), "{label}: a wrong code is refused");
        }
        let row = sign_in_throttle::Entity::find_by_id(ruud.id)
            .one(db)
            .await
            .expect("throttle")
            .expect("a row");
        assert_eq!(row.failures, 40, "{label}");
        // Databases keep microseconds at most: compare whole seconds.
        assert_eq!(
            row.blocked_until.map(|t| t.timestamp()),
            Some((now + throttle::delay_after(40)).timestamp()),
            "{label}: locked"
        );
        test_db.finish().await;
    }
}

/// Awaits every task, in order.
async fn futures_join_all<T>(
    tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await);
    }
    out
}

#[tokio::test]
async fn a_wrong_current_password_is_throttled_and_audited_like_a_sign_in() {
    use portico_domain::accounts::{sign_in_throttle, throttle};
    use sea_orm::EntityTrait;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let karim = person(db, &clock, "karim@example.nl", Some(StaffRole::Crew)).await;
        let mut browser = Browser::new(&app);
        sign_in(&mut browser, &karim, &clock).await;
        let change = |current: &str| {
            form(&[
                ("current", current),
                ("new_password", "orchid ferry lighthouse maple"),
            ])
        };
        for attempt in 1..=3 {
            let reply = browser
                .call(
                    "/api/accounts/change_password",
                    &change("guess guess guess"),
                )
                .await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
            assert!(
                matches!(error_of(&reply), PorticoError::Invalid { field, .. } if field == "current"),
                "{label}: attempt {attempt}"
            );
        }
        let row = sign_in_throttle::Entity::find_by_id(karim.id)
            .one(db)
            .await
            .expect("query")
            .expect("counted");
        assert_eq!(row.failures, 3, "{label}: every wrong guess counts");
        // Even the right password waits out the slow-down, with the same refusal.
        let reply = browser
            .call("/api/accounts/change_password", &change(PASSWORD))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        clock.advance(throttle::delay_after(4) + Duration::seconds(1));
        let reply = browser
            .call("/api/accounts/change_password", &change(PASSWORD))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert!(
            throttle::blocked_until(db, karim.id, clock.now())
                .await
                .expect("throttle")
                .is_none(),
            "{label}: a success clears the count"
        );
        let failures: Vec<_> = audit::latest(db, 50)
            .await
            .expect("audit")
            .into_iter()
            .filter(|a| a.action == "sign_in_failed")
            .filter(|a| {
                a.detail
                    .as_deref()
                    .is_some_and(|d| d.contains("password change"))
            })
            .collect();
        assert_eq!(failures.len(), 4, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn parallel_password_changes_from_one_person_are_checked_one_at_a_time() {
    use portico_domain::accounts::sign_in_throttle;
    use sea_orm::EntityTrait;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let sanne = person(db, &clock, "sanne@example.nl", None).await;
        let mut browser = Browser::new(&app);
        sign_in(&mut browser, &sanne, &clock).await;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let mut tab = Browser::new(&app);
            tab.cookie = browser.cookie.clone();
            tasks.spawn(async move {
                tab.call(
                    "/api/accounts/change_password",
                    &form(&[
                        ("current", "a wrong guess at it"),
                        ("new_password", "orchid ferry lighthouse maple"),
                    ]),
                )
                .await
                .status
            });
        }
        let mut statuses = Vec::new();
        while let Some(status) = tasks.join_next().await {
            statuses.push(status.expect("task"));
        }
        let checked = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
            .count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!(checked + refused, 20, "{label}: {statuses:?}");
        assert!(refused >= 10, "{label}: most wait their turn: {statuses:?}");
        let failures = sign_in_throttle::Entity::find_by_id(sanne.id)
            .one(db)
            .await
            .expect("query")
            .map_or(0, |row| row.failures);
        assert_eq!(
            usize::try_from(failures).expect("count"),
            checked,
            "{label}: every check that ran is counted"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn changes_to_sign_in_methods_need_a_recent_proof_not_just_a_session() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = start_clock();
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let eva = person(db, &clock, "eva@example.nl", None).await;
        let mut browser = Browser::new(&app);
        sign_in(&mut browser, &eva, &clock).await;
        // Just signed in: that is a proof.
        let reply = browser
            .call("/api/accounts/regenerate_recovery_codes", "")
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());

        // Eleven minutes on, the session still works but is no longer a proof.
        clock.advance(Duration::minutes(11));
        let state: portico_app::accounts::reauth::ProofState = serde_json::from_slice(
            &browser
                .call("/api/accounts/identity_confirmed", "")
                .await
                .body,
        )
        .expect("state");
        assert!(!state.confirmed && state.can_use_password && !state.can_use_passkey);
        for path in [
            "/api/accounts/regenerate_recovery_codes",
            "/api/accounts/totp_enrolment_start",
            "/api/accounts/passkey_registration_start",
        ] {
            let reply = browser.call(path, "").await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}: {path}");
            assert_eq!(
                error_of(&reply),
                PorticoError::ConfirmIdentity,
                "{label}: {path}"
            );
        }
        let reply = browser
            .call(
                "/api/accounts/change_password",
                &form(&[
                    ("current", PASSWORD),
                    ("new_password", "orchid ferry lighthouse maple"),
                ]),
            )
            .await;
        assert_eq!(
            error_of(&reply),
            PorticoError::ConfirmIdentity,
            "{label}: the current password alone is not enough"
        );

        // A wrong code does not confirm; the password with the current code does.
        let confirm = |code: &str| form(&[("password", PASSWORD), ("code", code)]);
        let reply = browser
            .call("/api/accounts/confirm_identity", &confirm("000000"))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        clock.advance(Duration::seconds(31));
        let reply = browser
            .call(
                "/api/accounts/confirm_identity",
                &confirm(&eva.totp.code_at(clock.now())),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let reply = browser
            .call("/api/accounts/regenerate_recovery_codes", "")
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert!(audit_actions(db)
            .await
            .iter()
            .any(|a| a == "identity_confirmed"));
        test_db.finish().await;
    }
}
