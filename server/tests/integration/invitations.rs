//! Invitations, set-up (passkey, or password + authenticator + recovery codes), password
//! reset by e-mail, staff-assisted recovery, and mail delivery through a real SMTP sink.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use portico_app::{
    accounts::{factors::TotpEnrolment, invitations::InvitationView, set_up::InvitationStatus},
    states::Shown,
    PorticoError,
};
use portico_domain::{
    accounts::{totp::TotpSecret, user},
    audit,
    clock::{Clock, ManualClock},
    seed, DatabaseConnection,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use url::Url;
use webauthn_authenticator_rs::{prelude::WebauthnAuthenticator, softpasskey::SoftPasskey};
use webauthn_rs_proto::CreationChallengeResponse;

use crate::support::{self, call_json, empty_site, form, link_in_outbox, Browser, Reply};

const NEW_PASSWORD: &str = "tulip barge windmill lantern";

async fn seeded(db: &DatabaseConnection, clock: &ManualClock) {
    seed::seed_demo_if_empty(db, clock.now())
        .await
        .expect("seed");
}

async fn sign_in_demo(browser: &mut Browser, email: &str, clock: &ManualClock) {
    let reply = browser.demo_sign_in(email, clock.now()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

async fn invite_contact(office: &mut Browser, email: &str, customer_id: i32) -> Reply {
    office
        .call(
            "/api/accounts/invite_person",
            &form(&[
                ("email", email),
                ("display_name", "Mila de Boer"),
                ("kind", "contact"),
                ("customer_id", &customer_id.to_string()),
                ("scope", "viewer"),
            ]),
        )
        .await
}

async fn status(browser: &mut Browser, token: &str) -> InvitationStatus {
    let reply = browser
        .call(
            "/api/accounts/invitation_status",
            &form(&[("token", token)]),
        )
        .await;
    serde_json::from_slice(&reply.body).expect("status")
}

async fn current_email(browser: &mut Browser) -> Option<String> {
    let reply = browser.call("/api/accounts/current_user", "").await;
    let user: Option<portico_app::accounts::SignedInUser> =
        serde_json::from_slice(&reply.body).expect("user");
    user.map(|u| u.email)
}

#[tokio::test]
async fn an_invited_contact_sets_up_a_password_and_authenticator_then_the_link_is_spent() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);

        // A customer cannot invite; the office can.
        let mut sanne = Browser::new(&app);
        sign_in_demo(&mut sanne, "sanne@deboer.example", &clock).await;
        let reply = invite_contact(&mut sanne, "mila@deboer.example", 1).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{label}");
        let mut office = Browser::new(&app);
        sign_in_demo(&mut office, "olga@vandijk.example", &clock).await;
        let reply = invite_contact(&mut office, "not-an-address", 1).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        assert!(
            matches!(serde_json::from_slice(&reply.body), Ok(PorticoError::Invalid { field, .. }) if field == "email")
        );
        let reply = invite_contact(&mut office, "mila@deboer.example", 9999).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{label}: an unknown customer"
        );
        let reply = invite_contact(&mut office, "Mila@DeBoer.example", 1).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let view: InvitationView = serde_json::from_slice(&reply.body).expect("view");
        assert_eq!(
            (view.email.as_str(), view.state.label()),
            ("mila@deboer.example", "open")
        );

        // The link is in the outbox; only its hash is in the database.
        let token = link_in_outbox(db, "mila@deboer.example", "invitation").await;
        assert_eq!(token.len(), 43);
        let stored = portico_domain::accounts::invitation::Entity::find_by_id(view.id)
            .one(db)
            .await
            .expect("row")
            .expect("invitation");
        assert_ne!(stored.token_hash, token);

        let mut mila = Browser::new(&app);
        assert!(
            matches!(
                status(&mut mila, &token).await,
                InvitationStatus::Open { .. }
            ),
            "{label}"
        );
        // The link alone does not sign in.
        assert_eq!(current_email(&mut mila).await, None);
        // A weak password is refused with a reason.
        let reply = mila
            .call(
                "/api/accounts/invitation_set_password",
                &form(&[("token", &token), ("password", "password1234")]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        let reply = mila
            .call(
                "/api/accounts/invitation_set_password",
                &form(&[("token", &token), ("password", NEW_PASSWORD)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let enrolment: TotpEnrolment = serde_json::from_slice(&reply.body).expect("enrolment");
        assert!(enrolment.qr_svg.contains("<svg"), "{label}: a QR code");
        let app_secret = TotpSecret::from_base32(&enrolment.secret, "x", "y").expect("secret");
        // A wrong code keeps the step open.
        let reply = mila
            .call(
                "/api/accounts/invitation_confirm_totp",
                &form(&[("token", &token), ("code", "000000")]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        let reply = mila
            .call(
                "/api/accounts/invitation_confirm_totp",
                &form(&[
                    ("token", &token),
                    ("code", &app_secret.code_at(clock.now())),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let codes: Vec<String> = serde_json::from_slice(&reply.body).expect("recovery codes");
        assert_eq!(codes.len(), 10);
        assert_eq!(
            current_email(&mut mila).await.as_deref(),
            Some("mila@deboer.example")
        );

        // The link is spent.
        let mut again = Browser::new(&app);
        assert!(
            matches!(
                status(&mut again, &token).await,
                InvitationStatus::NotUsable { .. }
            ),
            "{label}"
        );
        let reply = again
            .call(
                "/api/accounts/invitation_set_password",
                &form(&[("token", &token), ("password", NEW_PASSWORD)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{label}");

        // Mila signs in later with password + a recovery code.
        let mut later = Browser::new(&app);
        let reply = later
            .call(
                "/api/accounts/sign_in_password",
                &form(&[("email", "mila@deboer.example"), ("password", NEW_PASSWORD)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        let reply = later
            .call(
                "/api/accounts/sign_in_second_factor",
                &form(&[("code", &codes[0])]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");

        let actions: Vec<String> = audit::latest(db, 100)
            .await
            .expect("audit")
            .into_iter()
            .map(|a| a.action)
            .collect();
        for expected in [
            "invitation_sent",
            "invitation_accepted",
            "totp_enrolled",
            "recovery_codes_generated",
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
async fn an_invited_colleague_sets_up_a_passkey_and_links_expire_or_are_revoked() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let mut admin = Browser::new(&app);
        sign_in_demo(&mut admin, "anna@vandijk.example", &clock).await;
        let invite = |email: &'static str| {
            form(&[
                ("email", email),
                ("display_name", "New Colleague"),
                ("kind", "staff"),
                ("role", "crew"),
            ])
        };
        // Office may not invite staff; admin may.
        let mut office = Browser::new(&app);
        sign_in_demo(&mut office, "olga@vandijk.example", &clock).await;
        assert_eq!(
            office
                .call(
                    "/api/accounts/invite_person",
                    &invite("noor@vandijk.example")
                )
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            admin
                .call(
                    "/api/accounts/invite_person",
                    &invite("noor@vandijk.example")
                )
                .await
                .status,
            StatusCode::OK
        );
        let token = link_in_outbox(db, "noor@vandijk.example", "invitation").await;

        let mut noor = Browser::new(&app);
        let reply = noor
            .call(
                "/api/accounts/invitation_passkey_start",
                &form(&[("token", &token)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let challenge: CreationChallengeResponse =
            serde_json::from_slice(&reply.body).expect("challenge");
        let mut key = SoftPasskey::new(true);
        let credential = key
            .do_registration(Url::parse(support::ORIGIN).expect("url"), challenge)
            .expect("registers");
        let reply = noor
            .send(call_json(
                "/api/accounts/invitation_passkey_finish",
                &json!({ "token": token, "name": "Noor's phone", "credential": credential }),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_eq!(
            current_email(&mut noor).await.as_deref(),
            Some("noor@vandijk.example")
        );
        let noor_row = user::Entity::find()
            .filter(user::Column::Email.eq("noor@vandijk.example"))
            .one(db)
            .await
            .expect("user")
            .expect("noor");
        assert!(noor_row.staff_role.is_some());

        // An expired link shows "ask for a new invitation".
        assert_eq!(
            admin
                .call(
                    "/api/accounts/invite_person",
                    &invite("late@vandijk.example")
                )
                .await
                .status,
            StatusCode::OK
        );
        let late = link_in_outbox(db, "late@vandijk.example", "invitation").await;
        clock.advance(Duration::hours(72) + Duration::seconds(1));
        let mut late_browser = Browser::new(&app);
        assert_eq!(
            status(&mut late_browser, &late).await,
            InvitationStatus::NotUsable {
                reason: "This invitation has expired.".into()
            },
            "{label}"
        );
        // A revoked one too; the admin (signed in again: days have passed) sees the states.
        let mut admin = Browser::new(&app);
        sign_in_demo(&mut admin, "anna@vandijk.example", &clock).await;
        let reply = admin
            .call(
                "/api/accounts/invite_person",
                &invite("gone@vandijk.example"),
            )
            .await;
        let gone: InvitationView = serde_json::from_slice(&reply.body).expect("view");
        let gone_token = link_in_outbox(db, "gone@vandijk.example", "invitation").await;
        assert_eq!(
            admin
                .call(
                    "/api/accounts/revoke_invitation",
                    &form(&[("id", &gone.id.to_string())])
                )
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            status(&mut late_browser, &gone_token).await,
            InvitationStatus::NotUsable {
                reason: "This invitation was withdrawn.".into()
            }
        );
        let reply = admin.call("/api/accounts/list_invitations", "").await;
        let list: Vec<InvitationView> = serde_json::from_slice(&reply.body).expect("list");
        let states: Vec<(&str, &str)> = list
            .iter()
            .map(|i| (i.email.as_str(), i.state.label()))
            .collect();
        assert!(
            states.contains(&("noor@vandijk.example", "accepted")),
            "{label}: {states:?}"
        );
        assert!(
            states.contains(&("late@vandijk.example", "expired")),
            "{label}: {states:?}"
        );
        assert!(
            states.contains(&("gone@vandijk.example", "revoked")),
            "{label}: {states:?}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn password_reset_needs_the_second_factor_and_signs_nobody_in() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let secret =
            TotpSecret::from_base32(seed::DEMO_TOTP_SECRET, "demo", "demo").expect("secret");

        let mut elsewhere = Browser::new(&app);
        sign_in_demo(&mut elsewhere, "pieter@smit.example", &clock).await;

        // Same answer for a known and an unknown address; mail only for the known one.
        let mut browser = Browser::new(&app);
        for email in ["pieter@smit.example", "nobody@nowhere.example"] {
            let reply = browser
                .call(
                    "/api/accounts/request_password_reset",
                    &form(&[("email", email)]),
                )
                .await;
            assert_eq!(
                (reply.status, reply.text()),
                (StatusCode::OK, "null".to_owned()),
                "{label}"
            );
        }
        let token = link_in_outbox(db, "pieter@smit.example", "reset-password").await;
        assert!(portico_domain::mail::latest(db, 100)
            .await
            .expect("outbox")
            .iter()
            .all(|m| m.to_address != "nobody@nowhere.example"));

        let reset = |code: String| {
            form(&[
                ("token", token.as_str()),
                ("code", code.as_str()),
                ("new_password", NEW_PASSWORD),
            ])
        };
        // Without a valid second factor: refused.
        let reply = browser
            .call("/api/accounts/reset_password", &reset("123456".into()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: {}",
            reply.text()
        );
        clock.advance(Duration::seconds(31)); // past the slow-down and into a fresh step
        let reply = browser
            .call(
                "/api/accounts/reset_password",
                &reset(secret.code_at(clock.now())),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_eq!(
            current_email(&mut browser).await,
            None,
            "{label}: a reset does not sign in"
        );
        // Every session of Pieter ended.
        assert_eq!(current_email(&mut elsewhere).await, None, "{label}");
        // Single use.
        clock.advance(Duration::seconds(30));
        let reply = browser
            .call(
                "/api/accounts/reset_password",
                &reset(secret.code_at(clock.now())),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{label}");
        // The new password works; the old one does not.
        let reply = browser
            .call(
                "/api/accounts/sign_in_password",
                &form(&[
                    ("email", "pieter@smit.example"),
                    ("password", seed::DEMO_PASSWORD),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
        clock.advance(Duration::seconds(2));
        let reply = browser
            .call(
                "/api/accounts/sign_in_password",
                &form(&[("email", "pieter@smit.example"), ("password", NEW_PASSWORD)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");

        // A link expires after an hour.
        browser
            .call(
                "/api/accounts/request_password_reset",
                &form(&[("email", "pieter@smit.example")]),
            )
            .await;
        let stale = link_in_outbox(db, "pieter@smit.example", "reset-password").await;
        assert_ne!(stale, token);
        clock.advance(Duration::minutes(61));
        let reply = browser
            .call(
                "/api/accounts/reset_password",
                &form(&[
                    ("token", &stale),
                    ("code", &secret.code_at(clock.now())),
                    ("new_password", NEW_PASSWORD),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_newer_reset_link_revokes_the_older_and_mails_are_capped_per_account() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let secret =
            TotpSecret::from_base32(seed::DEMO_TOTP_SECRET, "demo", "demo").expect("secret");
        let mails_to = |to: &'static str| async move {
            portico_domain::mail::latest(db, 100)
                .await
                .expect("outbox")
                .iter()
                .filter(|m| m.to_address == to)
                .count()
        };
        let mut browser = Browser::new(&app);
        let ask = |email: &'static str| {
            let request = support::call(
                "/api/accounts/request_password_reset",
                &form(&[("email", email)]),
            );
            let app = app.clone();
            async move { support::send(&app, request).await }
        };
        let first = ask("eva@bakkerijmulder.example").await;
        assert_eq!(first.status, StatusCode::OK);
        let old = link_in_outbox(db, "eva@bakkerijmulder.example", "reset-password").await;
        ask("eva@bakkerijmulder.example").await;
        let new = link_in_outbox(db, "eva@bakkerijmulder.example", "reset-password").await;
        assert_ne!(old, new);
        // The first link no longer works.
        let reply = browser
            .call(
                "/api/accounts/reset_password",
                &form(&[
                    ("token", &old),
                    ("code", &secret.code_at(clock.now())),
                    ("new_password", NEW_PASSWORD),
                ]),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{label}: the older link"
        );

        // Three mails an hour; the fourth and fifth requests answer the same, send nothing.
        for _ in 0..3 {
            let reply = ask("eva@bakkerijmulder.example").await;
            assert_eq!(
                (reply.status, reply.text()),
                (StatusCode::OK, "null".into())
            );
        }
        assert_eq!(mails_to("eva@bakkerijmulder.example").await, 3, "{label}");
        let unknown = ask("nobody@nowhere.example").await;
        assert_eq!(
            (unknown.status, unknown.text()),
            (StatusCode::OK, "null".into())
        );
        // An hour later the account may have a mail again.
        clock.advance(Duration::minutes(61));
        ask("eva@bakkerijmulder.example").await;
        assert_eq!(mails_to("eva@bakkerijmulder.example").await, 4, "{label}");

        // Every request is in the audit log, known or not, capped or not.
        let requests: Vec<_> = audit::latest(db, 200)
            .await
            .expect("audit")
            .into_iter()
            .filter(|a| a.action == "password_reset_requested")
            .collect();
        assert_eq!(requests.len(), 7, "{label}");
        assert!(requests.iter().any(|a| a.subject == "unknown account"));
        assert!(requests
            .iter()
            .any(|a| a.detail.as_deref().is_some_and(|d| d.contains("no mail"))));
        test_db.finish().await;
    }
}

#[tokio::test]
async fn staff_reset_access_for_someone_who_lost_every_factor() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let eva = user::Entity::find()
            .filter(user::Column::Email.eq("eva@bakkerijmulder.example"))
            .one(db)
            .await
            .expect("user")
            .expect("eva");
        let mut eva_browser = Browser::new(&app);
        sign_in_demo(&mut eva_browser, "eva@bakkerijmulder.example", &clock).await;

        let mut office = Browser::new(&app);
        sign_in_demo(&mut office, "olga@vandijk.example", &clock).await;
        let target = form(&[("user_id", &eva.id.to_string())]);
        assert_eq!(
            office
                .call("/api/accounts/reset_person_access", &target)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let mut admin = Browser::new(&app);
        sign_in_demo(&mut admin, "anna@vandijk.example", &clock).await;
        assert_eq!(
            admin
                .call("/api/accounts/reset_person_access", &target)
                .await
                .status,
            StatusCode::OK,
            "{label}"
        );

        assert_eq!(
            current_email(&mut eva_browser).await,
            None,
            "{label}: sessions ended"
        );
        let reply = eva_browser
            .call(
                "/api/accounts/sign_in_password",
                &form(&[
                    ("email", "eva@bakkerijmulder.example"),
                    ("password", seed::DEMO_PASSWORD),
                ]),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{label}: the old password is gone"
        );
        let token = link_in_outbox(db, "eva@bakkerijmulder.example", "invitation").await;
        assert!(matches!(
            status(&mut eva_browser, &token).await,
            InvitationStatus::Open { .. }
        ));
        let details: Vec<String> = audit::latest(db, 50)
            .await
            .expect("audit")
            .into_iter()
            .filter_map(|a| a.detail)
            .collect();
        assert!(
            details.iter().any(|d| d.contains("staff-assisted reset")),
            "{label}: {details:?}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn security_page_changes_password_and_replaces_the_authenticator() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let mut phone = Browser::new(&app);
        sign_in_demo(&mut phone, "ayse@yilmaz.example", &clock).await;
        clock.advance(Duration::seconds(30));
        let mut laptop = Browser::new(&app);
        sign_in_demo(&mut laptop, "ayse@yilmaz.example", &clock).await;

        let change = |current: &str, new: &str| {
            form(&[
                ("current", current),
                ("new_password", new),
                ("end_other_sessions", "true"),
            ])
        };
        let reply = laptop
            .call(
                "/api/accounts/change_password",
                &change("wrong current password", NEW_PASSWORD),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label}: the current password is needed"
        );
        // A wrong current password counts like a failed sign-in: wait out its 1 s.
        clock.advance(Duration::seconds(2));
        let reply = laptop
            .call(
                "/api/accounts/change_password",
                &change(seed::DEMO_PASSWORD, "short"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        let reply = laptop
            .call(
                "/api/accounts/change_password",
                &change(seed::DEMO_PASSWORD, NEW_PASSWORD),
            )
            .await;
        assert_eq!(
            (reply.status, reply.text()),
            (StatusCode::OK, "1".to_owned()),
            "{label}"
        );
        assert_eq!(
            current_email(&mut phone).await,
            None,
            "{label}: the other session ended"
        );
        assert!(current_email(&mut laptop).await.is_some());

        // Replace the authenticator: the new secret is active only after a code confirms it.
        let reply = laptop.call("/api/accounts/totp_enrolment_start", "").await;
        let enrolment: TotpEnrolment = serde_json::from_slice(&reply.body).expect("enrolment");
        let new_secret = TotpSecret::from_base32(&enrolment.secret, "x", "y").expect("secret");
        let demo_secret =
            TotpSecret::from_base32(seed::DEMO_TOTP_SECRET, "demo", "demo").expect("secret");
        let reply = laptop
            .call(
                "/api/accounts/totp_enrolment_confirm",
                &form(&[("code", "999999")]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}");
        let reply = laptop
            .call(
                "/api/accounts/totp_enrolment_confirm",
                &form(&[("code", &new_secret.code_at(clock.now()))]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let codes: Vec<String> = serde_json::from_slice(&reply.body).expect("codes");
        assert_eq!(codes.len(), 10);

        clock.advance(Duration::seconds(30));
        let mut next = Browser::new(&app);
        next.call(
            "/api/accounts/sign_in_password",
            &form(&[("email", "ayse@yilmaz.example"), ("password", NEW_PASSWORD)]),
        )
        .await;
        let reply = next
            .call(
                "/api/accounts/sign_in_second_factor",
                &form(&[("code", &demo_secret.code_at(clock.now()))]),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{label}: the old app no longer works"
        );
        clock.advance(Duration::seconds(2));
        let reply = next
            .call(
                "/api/accounts/sign_in_second_factor",
                &form(&[("code", &new_secret.code_at(clock.now()))]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        test_db.finish().await;
    }
}

#[tokio::test]
async fn mail_is_delivered_over_smtp_and_retried_when_the_server_is_down() {
    use portico_server::mailer::{Delivery, Mailer};
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        portico_domain::mail::enqueue(
            db,
            clock.now(),
            "sanne@deboer.example",
            "Your invitation",
            "Hello Sanne,\nhttp://localhost:3000/invitation/abc\n",
        )
        .await
        .expect("enqueue");

        // Nobody listens on this port: the attempt fails, is recorded, and waits.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let dead_port = closed.local_addr().expect("addr").port();
        drop(closed);
        let down = Mailer::new(
            db.clone(),
            Arc::new(clock.clone()),
            &format!("smtp://127.0.0.1:{dead_port}"),
            "Van Dijk <portal@vandijk.example>",
        )
        .expect("mailer");
        assert_eq!(
            down.deliver_due().await.expect("round"),
            Delivery { sent: 0, failed: 1 },
            "{label}"
        );
        let waiting = portico_domain::mail::latest(db, 10).await.expect("outbox");
        assert_eq!(waiting[0].attempts, 1);
        assert!(waiting[0].last_error.is_some());
        assert!(waiting[0].sent_at.is_none());
        // Not due again yet.
        assert_eq!(
            down.deliver_due().await.expect("round"),
            Delivery::default()
        );

        let (port, mut inbox) = support::smtp_sink().await;
        let up = Mailer::new(
            db.clone(),
            Arc::new(clock.clone()),
            &format!("smtp://127.0.0.1:{port}"),
            "Van Dijk <portal@vandijk.example>",
        )
        .expect("mailer");
        clock.advance(Duration::minutes(2));
        assert_eq!(
            up.deliver_due().await.expect("round"),
            Delivery { sent: 1, failed: 0 },
            "{label}"
        );
        let received = tokio::time::timeout(std::time::Duration::from_secs(5), inbox.recv())
            .await
            .expect("the sink got mail")
            .expect("a message");
        assert!(received.contains("Subject: Your invitation"), "{received}");
        assert!(received.contains("To: sanne@deboer.example"), "{received}");
        assert!(
            received.contains("http://localhost:3000/invitation/abc"),
            "{received}"
        );
        let sent = portico_domain::mail::latest(db, 10).await.expect("outbox");
        assert!(sent[0].sent_at.is_some(), "{label}");
        assert_eq!(sent[0].attempts, 2);
        // Delivered: the outbox keeps no usable link.
        assert!(
            !sent[0].body_text.contains("/invitation/abc")
                && sent[0]
                    .body_text
                    .contains(portico_domain::mail::LINK_REMOVED),
            "{label}: {}",
            sent[0].body_text
        );
        // Sent once only.
        assert_eq!(up.deliver_due().await.expect("round"), Delivery::default());
        test_db.finish().await;
    }
}

#[tokio::test]
async fn outgoing_mail_page_is_for_office_in_demo_mode_only() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        for (demo, expected) in [("true", StatusCode::OK), ("false", StatusCode::NOT_FOUND)] {
            let app = support::app_with(
                db,
                &root,
                Arc::new(clock.clone()),
                &[("PORTICO_DEMO", demo)],
            );
            let mut office = Browser::new(&app);
            clock.advance(Duration::seconds(30));
            sign_in_demo(&mut office, "olga@vandijk.example", &clock).await;
            let reply = office.call("/api/mail/outgoing", "").await;
            assert_eq!(reply.status, expected, "{label}: demo={demo}");
            let mut customer = Browser::new(&app);
            sign_in_demo(&mut customer, "lars@studiohendriks.example", &clock).await;
            assert_eq!(
                customer.call("/api/mail/outgoing", "").await.status,
                StatusCode::FORBIDDEN,
                "{label}"
            );
        }
        test_db.finish().await;
    }
}

#[tokio::test]
async fn office_does_not_see_an_admins_invitation_in_the_outgoing_mail() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(
            db,
            &root,
            Arc::new(clock.clone()),
            &[("PORTICO_DEMO", "true")],
        );
        let mut anna = Browser::new(&app);
        sign_in_demo(&mut anna, "anna@vandijk.example", &clock).await;
        for (email, role) in [
            ("nina@vandijk.example", "admin"),
            ("tom@vandijk.example", "crew"),
        ] {
            let reply = anna
                .call(
                    "/api/accounts/invite_person",
                    &form(&[
                        ("email", email),
                        ("display_name", "New colleague"),
                        ("kind", "staff"),
                        ("role", role),
                    ]),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        }
        let recipients = |reply: Reply| -> Vec<String> {
            let mails: Vec<portico_app::mail::OutgoingMail> =
                serde_json::from_slice(&reply.body).expect("mails");
            mails.into_iter().map(|m| m.to).collect()
        };
        let for_admin = recipients(anna.call("/api/mail/outgoing", "").await);
        assert!(
            for_admin.iter().any(|to| to == "nina@vandijk.example"),
            "{label}"
        );
        let mut olga = Browser::new(&app);
        clock.advance(Duration::seconds(30));
        sign_in_demo(&mut olga, "olga@vandijk.example", &clock).await;
        let for_office = recipients(olga.call("/api/mail/outgoing", "").await);
        assert!(
            !for_office.iter().any(|to| to == "nina@vandijk.example"),
            "{label}: office must not read an admin's set-up link: {for_office:?}"
        );
        assert!(
            for_office.iter().any(|to| to == "tom@vandijk.example"),
            "{label}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn an_admin_changes_roles_disables_and_releases_locks_with_audit_rows() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let id_of = |email: &'static str| async move {
            user::Entity::find()
                .filter(user::Column::Email.eq(email))
                .one(db)
                .await
                .expect("user")
                .expect("person")
                .id
        };
        let ruud = id_of("ruud@vandijk.example").await;
        let karim = id_of("karim@vandijk.example").await;
        let anna = id_of("anna@vandijk.example").await;

        let mut ruud_browser = Browser::new(&app);
        sign_in_demo(&mut ruud_browser, "ruud@vandijk.example", &clock).await;
        let mut admin = Browser::new(&app);
        sign_in_demo(&mut admin, "anna@vandijk.example", &clock).await;

        // A promotion ends Ruud's session: the new role needs a new sign-in.
        let reply = admin
            .call(
                "/api/accounts/change_role",
                &form(&[("user_id", &ruud.to_string()), ("role", "office")]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_eq!(current_email(&mut ruud_browser).await, None, "{label}");
        let reply = admin
            .call(
                "/api/accounts/change_role",
                &form(&[("user_id", &anna.to_string()), ("role", "crew")]),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{label}: not one's own role"
        );

        // A locked account is released early.
        let mut attacker = Browser::new(&app);
        attacker
            .call(
                "/api/accounts/sign_in_password",
                &form(&[
                    ("email", "karim@vandijk.example"),
                    ("password", "wrong wrong wrong"),
                ]),
            )
            .await;
        let reply = admin
            .call(
                "/api/accounts/release_lock",
                &form(&[("user_id", &karim.to_string())]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        let reply = attacker
            .call(
                "/api/accounts/sign_in_password",
                &form(&[
                    ("email", "karim@vandijk.example"),
                    ("password", seed::DEMO_PASSWORD),
                ]),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{label}: released within the 1 s wait"
        );

        // Disabled: no sign-in, even with the right password and code.
        let reply = admin
            .call(
                "/api/accounts/disable_user",
                &form(&[("user_id", &karim.to_string())]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        clock.advance(Duration::seconds(30));
        let mut karim_browser = Browser::new(&app);
        let reply = karim_browser
            .call(
                "/api/accounts/sign_in_password",
                &form(&[
                    ("email", "karim@vandijk.example"),
                    ("password", seed::DEMO_PASSWORD),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");

        let actions: Vec<String> = audit::latest(db, 100)
            .await
            .expect("audit")
            .into_iter()
            .map(|a| a.action)
            .collect();
        for expected in ["role_changed", "lock_released", "user_disabled"] {
            assert!(
                actions.iter().any(|a| a == expected),
                "{label}: {expected} in {actions:?}"
            );
        }
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_contact_of_two_customers_switches_between_them_and_not_to_a_third() {
    use portico_app::accounts::customer_accounts::CustomerAccountView;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let mut pieter = Browser::new(&app);
        sign_in_demo(&mut pieter, "pieter@smit.example", &clock).await;
        let accounts = |reply: Reply| -> Vec<CustomerAccountView> {
            serde_json::from_slice(&reply.body).expect("accounts")
        };
        let list = accounts(pieter.call("/api/accounts/my_customer_accounts", "").await);
        let names: Vec<(&str, bool)> = list.iter().map(|a| (a.name.as_str(), a.active)).collect();
        assert_eq!(
            names,
            vec![("Pieter Smit", true), ("Bakkerij Mulder B.V.", false)],
            "{label}"
        );
        let bakery = list[1].customer_id;
        let reply = pieter
            .call(
                "/api/accounts/switch_customer_account",
                &form(&[("customer_id", &bakery.to_string())]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        let list = accounts(pieter.call("/api/accounts/my_customer_accounts", "").await);
        assert!(
            list.iter().any(|a| a.customer_id == bakery
                && a.active
                && a.scope == portico_app::states::Scope::Payer),
            "{label}: {list:?}"
        );
        // Familie De Boer (customer 1) is not his: "not found".
        let reply = pieter
            .call(
                "/api/accounts/switch_customer_account",
                &form(&[("customer_id", "1")]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{label}");
        test_db.finish().await;
    }
}

#[tokio::test]
async fn a_reset_link_can_be_confirmed_with_a_passkey_instead_of_a_code() {
    use webauthn_rs_proto::RequestChallengeResponse;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let origin = Url::parse(support::ORIGIN).expect("url");

        // Lars adds a passkey while signed in.
        let mut lars = Browser::new(&app);
        sign_in_demo(&mut lars, "lars@studiohendriks.example", &clock).await;
        let reply = lars
            .call("/api/accounts/passkey_registration_start", "")
            .await;
        let challenge: CreationChallengeResponse =
            serde_json::from_slice(&reply.body).expect("challenge");
        let mut key = SoftPasskey::new(true);
        let credential = key
            .do_registration(origin.clone(), challenge)
            .expect("registers");
        let reply = lars
            .send(call_json(
                "/api/accounts/passkey_registration_finish",
                &json!({ "name": "Laptop", "credential": credential }),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());

        // He forgot his password: the reset link plus his passkey set a new one.
        let mut browser = Browser::new(&app);
        browser
            .call(
                "/api/accounts/request_password_reset",
                &form(&[("email", "lars@studiohendriks.example")]),
            )
            .await;
        let token = link_in_outbox(db, "lars@studiohendriks.example", "reset-password").await;
        let reply = browser
            .call(
                "/api/accounts/reset_password_passkey_start",
                &form(&[("token", &token)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let challenge: RequestChallengeResponse =
            serde_json::from_slice(&reply.body).expect("challenge");
        let answer = key
            .do_authentication(origin.clone(), challenge)
            .expect("signs");
        let reply = browser
            .send(call_json(
                "/api/accounts/reset_password_with_passkey",
                &json!({ "token": token, "new_password": NEW_PASSWORD, "credential": answer }),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_eq!(
            current_email(&mut browser).await,
            None,
            "{label}: no sign-in by itself"
        );
        assert_eq!(
            current_email(&mut lars).await,
            None,
            "{label}: every session ended"
        );
        // The link is used up.
        let reply = browser
            .call(
                "/api/accounts/reset_password_passkey_start",
                &form(&[("token", &token)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{label}");
        let reply = browser
            .call(
                "/api/accounts/sign_in_password",
                &form(&[
                    ("email", "lars@studiohendriks.example"),
                    ("password", NEW_PASSWORD),
                ]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        test_db.finish().await;
    }
}

/// Log output, kept in memory.
#[derive(Clone, Default)]
struct CapturedLog(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn invitation_and_reset_tokens_never_reach_the_log() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let mut office = Browser::new(&app);
        sign_in_demo(&mut office, "olga@vandijk.example", &clock).await;
        let reply = invite_contact(&mut office, "mila@deboer.example", 1).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        let token = link_in_outbox(db, "mila@deboer.example", "invitation").await;

        let log = CapturedLog::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(log.clone())
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        let mut visitor = Browser::new(&app);
        visitor.get(&format!("/invitation/{token}")).await;
        visitor.get(&format!("/reset-password/{token}")).await;
        // A cross-origin POST is refused and logged with its path.
        let mut forged = support::call(&format!("/invitation/{token}"), "");
        forged
            .headers_mut()
            .insert("origin", "https://evil.example".parse().expect("header"));
        let refused = visitor.send(forged).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{label}");
        drop(guard);

        let text = String::from_utf8(log.0.lock().expect("log").clone()).expect("utf-8");
        assert!(
            text.contains("/invitation/[token]") && text.contains("/reset-password/[token]"),
            "{label}: the requests are logged: {text}"
        );
        assert!(text.contains("cross-origin request refused"), "{label}");
        assert!(
            !text.contains(&token),
            "{label}: a token in the log: {text}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn two_finishes_with_one_link_leave_one_set_of_credentials() {
    use portico_domain::accounts::{password::PasswordHasher, password_credential, recovery_code};
    use sea_orm::PaginatorTrait;
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let mut office = Browser::new(&app);
        sign_in_demo(&mut office, "olga@vandijk.example", &clock).await;
        let reply = invite_contact(&mut office, "mila@deboer.example", 1).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        let token = link_in_outbox(db, "mila@deboer.example", "invitation").await;

        // Two browsers with the same link, each with its own password and authenticator.
        let passwords = [
            "tulip barge windmill lantern",
            "orchid ferry lighthouse maple",
        ];
        let mut first = Browser::new(&app);
        let mut second = Browser::new(&app);
        let mut secrets = Vec::new();
        for (browser, password) in [(&mut first, passwords[0]), (&mut second, passwords[1])] {
            let reply = browser
                .call(
                    "/api/accounts/invitation_set_password",
                    &form(&[("token", &token), ("password", password)]),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
            let enrolment: TotpEnrolment = serde_json::from_slice(&reply.body).expect("enrolment");
            secrets.push(TotpSecret::from_base32(&enrolment.secret, "x", "y").expect("secret"));
        }
        let confirm = |secret: &TotpSecret| {
            form(&[("token", &token), ("code", &secret.code_at(clock.now()))])
        };
        let (form_a, form_b) = (confirm(&secrets[0]), confirm(&secrets[1]));
        let (a, b) = tokio::join!(
            first.call("/api/accounts/invitation_confirm_totp", &form_a),
            second.call("/api/accounts/invitation_confirm_totp", &form_b),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{label}: {} / {}",
            a.text(),
            b.text()
        );
        let winner = usize::from(a.status != StatusCode::OK);

        // What is stored is the winner's, and only theirs.
        let mila = portico_domain::accounts::sign_in::find_user_by_email(db, "mila@deboer.example")
            .await
            .expect("query")
            .expect("mila");
        let stored = password_credential::Entity::find_by_id(mila.id)
            .one(db)
            .await
            .expect("query")
            .expect("a password");
        let hasher = PasswordHasher::new(1).expect("hasher");
        assert!(hasher
            .verify(passwords[winner], &stored.password_hash)
            .await
            .expect("verify"));
        assert!(!hasher
            .verify(passwords[1 - winner], &stored.password_hash)
            .await
            .expect("verify"));
        let unused = recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(mila.id))
            .count(db)
            .await
            .expect("count");
        assert_eq!(unused, 10, "{label}: one set of recovery codes");
        let loser_code = secrets[1 - winner].code_at(clock.now() + Duration::seconds(30));
        let refused = portico_domain::accounts::sign_in::use_totp_code(
            db,
            &support::at_rest_key(),
            clock.now() + Duration::seconds(30),
            "x",
            mila.id,
            &loser_code,
        )
        .await
        .expect("check");
        assert!(!refused, "{label}: the loser's authenticator does not work");
        test_db.finish().await;
    }
}

/// Two people of the office invite the same new address at the same moment: one person row,
/// one open link, and every answer is a success or a 409 naming the e-mail field (the database's
/// unique key decides the race), never a 500.
#[tokio::test]
async fn the_same_new_address_invited_at_once_is_one_person_and_never_a_500() {
    use portico_domain::accounts::{invitation, user};
    use sea_orm::PaginatorTrait;

    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seeded(db, &clock).await;
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let mut office = Browser::new(&app);
        sign_in_demo(&mut office, "olga@vandijk.example", &clock).await;

        let mut at_once = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let mut tab = Browser::new(&app);
            tab.cookie = office.cookie.clone();
            at_once.spawn(async move { invite_contact(&mut tab, "twice@deboer.example", 1).await });
        }
        let mut succeeded = 0;
        while let Some(reply) = at_once.join_next().await {
            let reply = reply.expect("task");
            match reply.status {
                StatusCode::OK => succeeded += 1,
                StatusCode::CONFLICT => assert!(
                    matches!(
                        serde_json::from_slice(&reply.body),
                        Ok(PorticoError::Taken { field, .. }) if field == "email"
                    ),
                    "{label}: {}",
                    reply.text()
                ),
                other => panic!("{label}: {other}: {}", reply.text()),
            }
        }
        assert!(succeeded >= 1, "{label}: someone's invitation went out");
        let people = user::Entity::find()
            .filter(user::Column::Email.eq("twice@deboer.example"))
            .all(db)
            .await
            .expect("people");
        assert_eq!(people.len(), 1, "{label}");
        let open = invitation::Entity::find()
            .filter(invitation::Column::UserId.eq(people[0].id))
            .filter(invitation::Column::AcceptedAt.is_null())
            .filter(invitation::Column::RevokedAt.is_null())
            .count(db)
            .await
            .expect("count");
        assert_eq!(open, 1, "{label}: a newer link revokes the older");
        test_db.finish().await;
    }
}
