//! Installing for a real company: the first admin comes from the operator's console, sets up
//! their account through the normal invitation, and signs in; the demo and a real company never
//! mix.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use portico_app::accounts::{factors::TotpEnrolment, Role, SignedInUser};
use portico_domain::{
    accounts::totp::TotpSecret,
    audit,
    clock::{Clock, ManualClock},
    installation::{self, Installation},
    seed, DomainError,
};

use sea_orm::EntityTrait;

use crate::support::{self, empty_site, form, link_in_outbox, Browser};

const PASSWORD: &str = "harbour crane ledger autumn";

#[tokio::test]
async fn a_company_starts_from_an_empty_database_with_an_admin_invited_from_the_console() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        assert_eq!(
            installation::inspect(db).await.expect("inspect"),
            Installation::Empty,
            "{label}"
        );

        // A new database needs the company's name.
        let refused = installation::invite_admin(
            db,
            clock.now(),
            "ilse@verhuisbedrijf.nl",
            "Ilse Kramer",
            None,
            "http://localhost:3000",
        )
        .await;
        assert!(
            matches!(
                refused,
                Err(DomainError::Invalid {
                    field: "company",
                    ..
                })
            ),
            "{label}: {refused:?}"
        );
        assert_eq!(
            installation::inspect(db).await.expect("inspect"),
            Installation::Empty,
            "{label}: nothing half-made"
        );

        let sent = installation::invite_admin(
            db,
            clock.now(),
            "Ilse@Verhuisbedrijf.nl",
            "Ilse Kramer",
            Some("Kramer Verhuizingen"),
            "http://localhost:3000/",
        )
        .await
        .expect("invited");
        assert!(
            sent.link.starts_with("http://localhost:3000/invitation/"),
            "{label}: {}",
            sent.link
        );
        assert_eq!(
            installation::inspect(db).await.expect("inspect"),
            Installation::Company {
                name: "Kramer Verhuizingen".into(),
                staff: 1
            },
            "{label}"
        );
        let row = audit::latest(db, 10)
            .await
            .expect("audit")
            .into_iter()
            .find(|a| a.action == "invitation_sent")
            .expect("the invitation is audited");
        assert_eq!(row.actor_user_id, None, "{label}: the operator, not a user");
        assert_eq!(row.subject, format!("user:{}", sent.user_id));

        // The link leads through the normal set-up and makes an admin.
        let token = link_in_outbox(db, "ilse@verhuisbedrijf.nl", "invitation").await;
        assert!(sent.link.ends_with(&token), "{label}");
        let (_site, root) = empty_site();
        let app = support::app_with(db, &root, Arc::new(clock.clone()), &[]);
        let mut ilse = Browser::new(&app);
        let reply = ilse
            .call(
                "/api/accounts/invitation_set_password",
                &form(&[("token", &token), ("password", PASSWORD)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        let enrolment: TotpEnrolment = serde_json::from_slice(&reply.body).expect("enrolment");
        let secret = TotpSecret::from_base32(&enrolment.secret, "x", "y").expect("secret");
        // The pending password hash and TOTP secret are sealed in the session row too.
        let sessions = portico_domain::accounts::session::entity::Entity::find()
            .all(db)
            .await
            .expect("sessions");
        assert!(!sessions.is_empty(), "{label}");
        for row in &sessions {
            assert!(
                !row.data.contains("$argon2id") && !row.data.contains(&enrolment.secret),
                "{label}: a secret in a session row: {}",
                row.data
            );
        }
        let reply = ilse
            .call(
                "/api/accounts/invitation_confirm_totp",
                &form(&[("token", &token), ("code", &secret.code_at(clock.now()))]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        // The authenticator secret is sealed at rest: the row does not hold it.
        let row = portico_domain::accounts::totp_credential::Entity::find_by_id(sent.user_id)
            .one(db)
            .await
            .expect("query")
            .expect("a TOTP row");
        assert!(
            portico_domain::accounts::at_rest::is_sealed(&row.secret_base32)
                && !row.secret_base32.contains(&enrolment.secret),
            "{label}: {}",
            row.secret_base32
        );
        let reply = ilse.call("/api/accounts/current_user", "").await;
        let user: Option<SignedInUser> = serde_json::from_slice(&reply.body).expect("user");
        let user = user.expect("signed in after set-up");
        assert_eq!(
            (user.email.as_str(), user.role),
            ("ilse@verhuisbedrijf.nl", Role::Admin),
            "{label}"
        );
        let reply = ilse.get("/admin/company").await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        assert!(reply.text().contains("Kramer Verhuizingen"), "{label}");

        // A second admin needs no company name; the demo is never written over the company.
        installation::invite_admin(
            db,
            clock.now(),
            "bram@verhuisbedrijf.nl",
            "Bram Kramer",
            None,
            "http://localhost:3000",
        )
        .await
        .expect("a second admin");
        let seeded = seed::seed_demo_if_empty(db, clock.now()).await;
        assert!(
            matches!(&seeded, Err(DomainError::Conflict(m)) if m.contains("Kramer Verhuizingen")),
            "{label}: {seeded:?}"
        );
        test_db.finish().await;
    }
}

#[tokio::test]
async fn the_demo_database_is_recognised_and_gets_no_console_admin() {
    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let now = Utc::now();
        seed::seed_demo_if_empty(db, now).await.expect("seed");
        assert_eq!(
            installation::inspect(db).await.expect("inspect"),
            Installation::Demo,
            "{label}"
        );
        assert!(
            seed::seed_demo_if_empty(db, now)
                .await
                .expect("the demo again")
                .is_none(),
            "{label}: seeding twice changes nothing"
        );
        // Start-up seals the demo's plain secrets; signing in still works.
        let key = support::at_rest_key();
        let sealed = portico_domain::accounts::sign_in::seal_plain_totp_secrets(db, &key)
            .await
            .expect("seal");
        assert!(sealed >= 12, "{label}: every demo person, got {sealed}");
        assert_eq!(
            portico_domain::accounts::sign_in::seal_plain_totp_secrets(db, &key)
                .await
                .expect("seal again"),
            0
        );
        let rows = portico_domain::accounts::totp_credential::Entity::find()
            .all(db)
            .await
            .expect("rows");
        assert!(rows
            .iter()
            .all(
                |r| portico_domain::accounts::at_rest::is_sealed(&r.secret_base32)
                    && !r.secret_base32.contains(seed::DEMO_TOTP_SECRET)
            ));
        let (_site, root) = empty_site();
        let app = support::app(db, &root);
        let mut anna = Browser::new(&app);
        let reply = anna.demo_sign_in("anna@vandijk.example", now).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());

        let refused = installation::invite_admin(
            db,
            now,
            "ilse@verhuisbedrijf.nl",
            "Ilse Kramer",
            Some("Kramer Verhuizingen"),
            "http://localhost:3000",
        )
        .await;
        assert!(
            matches!(refused, Err(DomainError::Conflict(_))),
            "{label}: {refused:?}"
        );
        test_db.finish().await;
    }
}
