//! Passkeys through the real router with webauthn-authenticator-rs' SoftPasskey: registration,
//! sign-in by itself, a wrong challenge, a counter that goes backwards, a credential already
//! registered, and never removing the last way to sign in.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use portico_app::{accounts::passkeys::PasskeyView, PorticoError};
use portico_domain::{
    accounts::{passkey, sign_in, totp::TotpSecret, user},
    audit,
    clock::{Clock, ManualClock},
    DatabaseConnection,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use url::Url;
use webauthn_authenticator_rs::{prelude::WebauthnAuthenticator, softpasskey::SoftPasskey};
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredential, RequestChallengeResponse,
    ResidentKeyRequirement,
};

use crate::support::{self, call_json, empty_site, form, Browser, Reply};

const PASSWORD: &str = "lantern quarry mosaic velvet";

fn origin() -> Url {
    Url::parse(support::ORIGIN).expect("origin")
}

/// A person with a password and TOTP, signed in on `browser`.
async fn signed_in_person(
    db: &DatabaseConnection,
    clock: &ManualClock,
    browser: &mut Browser,
    email: &str,
) -> i32 {
    let now = clock.now();
    let person = user::ActiveModel {
        email: Set(email.to_owned()),
        display_name: Set(email.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("user");
    let hash = portico_domain::accounts::password::hash_once(PASSWORD)
        .await
        .expect("hash");
    sign_in::save_password_hash(db, now, person.id, &hash)
        .await
        .expect("password");
    let totp = TotpSecret::generate("Portico", email).expect("totp");
    sign_in::save_totp(
        db,
        &support::at_rest_key(),
        now,
        person.id,
        &totp.base32(),
        0,
    )
    .await
    .expect("save totp");
    let reply = browser
        .call(
            "/api/accounts/sign_in_password",
            &form(&[("email", email), ("password", PASSWORD)]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let reply = browser
        .call(
            "/api/accounts/sign_in_second_factor",
            &form(&[("code", &totp.code_at(now))]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    person.id
}

async fn start_registration(browser: &mut Browser) -> CreationChallengeResponse {
    let reply = browser
        .call("/api/accounts/passkey_registration_start", "")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    serde_json::from_slice(&reply.body).expect("creation challenge")
}

async fn finish_registration(
    browser: &mut Browser,
    name: &str,
    credential: &impl serde::Serialize,
) -> Reply {
    browser
        .send(call_json(
            "/api/accounts/passkey_registration_finish",
            &json!({ "name": name, "credential": credential }),
        ))
        .await
}

/// Registers a SoftPasskey for the signed-in person; returns its credential id.
async fn register(browser: &mut Browser, key: &mut SoftPasskey, name: &str) -> Vec<u8> {
    let challenge = start_registration(browser).await;
    let credential = key
        .do_registration(origin(), challenge)
        .expect("authenticator registers");
    let id = credential.raw_id.to_vec();
    let reply = finish_registration(browser, name, &credential).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    id
}

async fn start_sign_in(browser: &mut Browser) -> RequestChallengeResponse {
    let reply = browser
        .call(
            "/api/accounts/passkey_sign_in_start",
            &form(&[("conditional", "false")]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    serde_json::from_slice(&reply.body).expect("request challenge")
}

/// SoftPasskey cannot answer a discoverable request by itself: name the credential for it and
/// put the user handle in its answer, as a platform authenticator would.
async fn answer(
    db: &DatabaseConnection,
    key: &mut SoftPasskey,
    mut challenge: RequestChallengeResponse,
    credential_id: &[u8],
    user_id: i32,
) -> PublicKeyCredential {
    challenge
        .public_key
        .allow_credentials
        .push(AllowCredentials {
            type_: "public-key".into(),
            id: credential_id.to_vec(),
            transports: None,
        });
    let mut answer = key
        .do_authentication(origin(), challenge)
        .expect("authenticator signs");
    let handle = user::Entity::find_by_id(user_id)
        .one(db)
        .await
        .expect("user")
        .and_then(|u| u.webauthn_handle)
        .expect("a WebAuthn user handle");
    let uuid = uuid_bytes(&handle);
    answer.response.user_handle = Some(uuid);
    answer
}

fn uuid_bytes(text: &str) -> Vec<u8> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    (0..16)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).expect("hex"))
        .collect()
}

async fn finish_sign_in(browser: &mut Browser, answer: &PublicKeyCredential) -> Reply {
    browser
        .send(call_json(
            "/api/accounts/passkey_sign_in_finish",
            &json!({ "credential": answer }),
        ))
        .await
}

async fn current_email(browser: &mut Browser) -> Option<String> {
    let reply = browser.call("/api/accounts/current_user", "").await;
    let user: Option<portico_app::accounts::SignedInUser> =
        serde_json::from_slice(&reply.body).expect("current user");
    user.map(|u| u.email)
}

#[tokio::test]
async fn a_passkey_is_registered_then_signs_in_by_itself() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let mut browser = Browser::new(&app);
        let user_id = signed_in_person(db, &clock, &mut browser, "sanne@deboer.example").await;

        let challenge = start_registration(&mut browser).await;
        let selection = challenge
            .public_key
            .authenticator_selection
            .clone()
            .expect("selection");
        assert_eq!(
            selection.resident_key,
            Some(ResidentKeyRequirement::Required),
            "{label}: discoverable"
        );
        let mut key = SoftPasskey::new(true);
        let credential = key.do_registration(origin(), challenge).expect("registers");
        let credential_id = credential.raw_id.to_vec();
        let reply = finish_registration(&mut browser, "  ", &credential).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: a name is needed"
        );
        // The failed attempt used up the ceremony: start again.
        let challenge = start_registration(&mut browser).await;
        let credential = key.do_registration(origin(), challenge).expect("registers");
        let credential_id_2 = credential.raw_id.to_vec();
        let reply = finish_registration(&mut browser, "Sanne's phone", &credential).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let view: PasskeyView = serde_json::from_slice(&reply.body).expect("view");
        assert_eq!(view.name, "Sanne's phone");
        assert_ne!(credential_id, credential_id_2);

        // Sign in on another device with the passkey alone.
        let mut other = Browser::new(&app);
        let challenge = start_sign_in(&mut other).await;
        let response = answer(db, &mut key, challenge, &credential_id_2, user_id).await;
        let before = other.cookie.clone();
        let reply = finish_sign_in(&mut other, &response).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_ne!(other.cookie, before, "{label}: a new session id");
        assert_eq!(
            current_email(&mut other).await.as_deref(),
            Some("sanne@deboer.example")
        );

        // The answer cannot be replayed: the ceremony state was used up.
        let mut replay = Browser::new(&app);
        start_sign_in(&mut replay).await;
        let reply = finish_sign_in(&mut replay, &response).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}: replay");

        // Listed, renamed, last use recorded.
        let reply = other.call("/api/accounts/my_passkeys", "").await;
        let list: Vec<PasskeyView> = serde_json::from_slice(&reply.body).expect("list");
        assert_eq!(list.len(), 1);
        assert!(list[0].last_used_at.is_some(), "{label}");
        let reply = other
            .call(
                "/api/accounts/rename_passkey",
                &form(&[("id", &list[0].id.to_string()), ("name", "Phone")]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        // The person still has password + TOTP, so the passkey may go.
        let reply = other
            .call(
                "/api/accounts/remove_passkey",
                &form(&[("id", &list[0].id.to_string())]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());

        let actions: Vec<String> = audit::latest(db, 100)
            .await
            .expect("audit")
            .into_iter()
            .map(|a| a.action)
            .collect();
        for expected in [
            "passkey_added",
            "passkey_renamed",
            "passkey_removed",
            "signed_in",
        ] {
            assert!(
                actions.iter().any(|a| a == expected),
                "{label}: {expected} in {actions:?}"
            );
        }
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_wrong_challenge_and_a_counter_going_backwards_are_refused() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let mut browser = Browser::new(&app);
        let user_id = signed_in_person(db, &clock, &mut browser, "pieter@smit.example").await;
        let mut key = SoftPasskey::new(true);
        let credential_id = register(&mut browser, &mut key, "Laptop").await;

        // Answering the first challenge after a second one was issued: refused.
        let mut device = Browser::new(&app);
        let first = start_sign_in(&mut device).await;
        let _second = start_sign_in(&mut device).await;
        let response = answer(db, &mut key, first, &credential_id, user_id).await;
        let reply = finish_sign_in(&mut device, &response).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{label}: wrong challenge"
        );
        assert!(matches!(
            serde_json::from_slice(&reply.body),
            Ok(PorticoError::PasskeyRefused)
        ));
        assert_eq!(current_email(&mut device).await, None);

        // A good sign-in moves the stored counter forward.
        let challenge = start_sign_in(&mut device).await;
        let response = answer(db, &mut key, challenge, &credential_id, user_id).await;
        assert_eq!(
            finish_sign_in(&mut device, &response).await.status,
            StatusCode::OK,
            "{label}"
        );

        // Pretend another copy of the key already signed 1000 times: the next signature's
        // counter is lower than the stored one, so it is refused as a possible clone.
        let row = passkey::entity::Entity::find()
            .filter(passkey::entity::Column::UserId.eq(user_id))
            .one(db)
            .await
            .expect("row")
            .expect("passkey");
        let mut stored: serde_json::Value = serde_json::from_str(&row.credential).expect("json");
        assert!(
            stored["cred"]["counter"].as_u64().unwrap_or(0) >= 1,
            "{label}: counter stored"
        );
        stored["cred"]["counter"] = json!(1000);
        let mut update: passkey::entity::ActiveModel = row.into();
        update.credential = Set(stored.to_string());
        update.update(db).await.expect("update");

        let mut clone_user = Browser::new(&app);
        let challenge = start_sign_in(&mut clone_user).await;
        let response = answer(db, &mut key, challenge, &credential_id, user_id).await;
        let reply = finish_sign_in(&mut clone_user, &response).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{label}: counter regression"
        );
        let details: Vec<String> = audit::latest(db, 50)
            .await
            .expect("audit")
            .into_iter()
            .filter_map(|a| a.detail)
            .collect();
        assert!(
            details.iter().any(|d| d.contains("counter went backwards")),
            "{label}: {details:?}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_key_registered_elsewhere_and_the_last_factor_are_protected() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);

        let mut anna = Browser::new(&app);
        let anna_id = signed_in_person(db, &clock, &mut anna, "anna@vandijk.example").await;
        let mut anna_key = SoftPasskey::new(true);
        register(&mut anna, &mut anna_key, "Anna's key").await;

        // Olga's new credential id is made to collide with Anna's registered one.
        let mut olga = Browser::new(&app);
        signed_in_person(db, &clock, &mut olga, "olga@vandijk.example").await;
        let mut olga_key = SoftPasskey::new(true);
        let challenge = start_registration(&mut olga).await;
        let credential = olga_key
            .do_registration(origin(), challenge)
            .expect("registers");
        let colliding = base64_url(&credential.raw_id.to_vec());
        let anna_row = passkey::entity::Entity::find()
            .filter(passkey::entity::Column::UserId.eq(anna_id))
            .one(db)
            .await
            .expect("row")
            .expect("anna's passkey");
        let mut update: passkey::entity::ActiveModel = anna_row.clone().into();
        update.credential_id = Set(colliding);
        update.update(db).await.expect("update");
        let reply = finish_registration(&mut olga, "Olga's key", &credential).await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{label}: {}",
            reply.text()
        );

        // Anna without password or TOTP: her only passkey cannot be removed.
        portico_domain::accounts::password_credential::Entity::delete_by_id(anna_id)
            .exec(db)
            .await
            .expect("drop password");
        let reply = anna
            .call(
                "/api/accounts/remove_passkey",
                &form(&[("id", &anna_row.id.to_string())]),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{label}: {}",
            reply.text()
        );
        // And another person's passkey id is "not found".
        let reply = olga
            .call(
                "/api/accounts/remove_passkey",
                &form(&[("id", &anna_row.id.to_string())]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{label}");
        test_db.finish().await;
    }
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[tokio::test]
async fn anonymous_passkey_starts_are_bounded_per_address_and_expire_in_minutes() {
    use portico_domain::accounts::session::entity as session_row;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let start = || form(&[("conditional", "true")]);

        let mut visitor = Browser::new(&app);
        visitor.client = Some("198.51.100.20:5000".parse().expect("addr"));
        let reply = visitor
            .call("/api/accounts/passkey_sign_in_start", &start())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        let rows = session_row::Entity::find()
            .filter(session_row::Column::UserId.is_null())
            .all(db)
            .await
            .expect("sessions");
        assert_eq!(rows.len(), 1, "{label}");
        assert!(
            rows[0].expires_at <= clock.now() + chrono::Duration::minutes(10),
            "{label}: an anonymous session lives minutes, not the idle half hour"
        );

        // Thirty starts a minute per address; a new browser each time (a fresh session each).
        let mut refused = None;
        for n in 2..=31 {
            let mut scanner = Browser::new(&app);
            scanner.client = Some("198.51.100.20:5000".parse().expect("addr"));
            let reply = scanner
                .call("/api/accounts/passkey_sign_in_start", &start())
                .await;
            if reply.status != StatusCode::OK {
                refused = Some((n, reply));
                break;
            }
        }
        let (n, reply) = refused.expect("the address is stopped");
        assert_eq!(n, 31, "{label}");
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS, "{label}");
        assert!(reply.header("retry-after").is_some(), "{label}");
        let mut elsewhere = Browser::new(&app);
        elsewhere.client = Some("203.0.113.5:5000".parse().expect("addr"));
        assert_eq!(
            elsewhere
                .call("/api/accounts/passkey_sign_in_start", &start())
                .await
                .status,
            StatusCode::OK,
            "{label}: another client is not affected"
        );
        let anonymous = session_row::Entity::find()
            .filter(session_row::Column::UserId.is_null())
            .all(db)
            .await
            .expect("sessions")
            .len();
        assert!(
            anonymous <= 31,
            "{label}: the refused start made no row ({anonymous})"
        );
        test_db.finish().await;
    }
}
