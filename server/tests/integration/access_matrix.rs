//! The access matrix: every server function and every page × {anonymous, customer A's owner,
//! customer A's viewer, customer B, crew, office, admin}, against the table below. A server
//! function missing from the table fails the test, so a new one cannot ship unlisted.
//!
//! Each cell is the exact HTTP status. Calls use harmless arguments (unknown ids, wrong
//! passwords), so a cell shows what the policy and then the function answer: 401 sign in
//! first, 403 not for you, 404 not yours (another customer's id), other codes from the
//! function itself once the policy let the call through.

use std::{collections::BTreeSet, sync::Arc};

use chrono::Utc;
use portico_domain::{clock::Clock, clock::ManualClock, seed};

use crate::support::{self, call_json, empty_site, form, Browser};

/// Columns, in order.
const PEOPLE: [(&str, Option<&str>); 8] = [
    ("anonymous", None),
    ("A owner", Some("sanne@deboer.example")),
    ("A viewer", Some("joost@deboer.example")),
    ("customer B", Some("lars@studiohendriks.example")),
    // Job 1 (the De Boers' move today) has Cees and Karim on its crew, not Ruud.
    ("crew", Some("cees@vandijk.example")),
    ("crew not on job 1", Some("ruud@vandijk.example")),
    ("office", Some("olga@vandijk.example")),
    ("admin", Some("anna@vandijk.example")),
];

enum Body {
    Form(Vec<(&'static str, &'static str)>),
    Json(serde_json::Value),
}

fn form_of(pairs: &[(&'static str, &'static str)]) -> Body {
    Body::Form(pairs.to_vec())
}

/// (endpoint, arguments, expected status per person).
fn server_functions() -> Vec<(&'static str, Body, [u16; 8])> {
    use serde_json::json;
    let any_credential = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
        "response": { "authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": null }
    });
    let any_registration = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
        "response": { "attestationObject": "AAAA", "clientDataJSON": "AAAA" }
    });
    vec![
        // Public: anyone may ask.
        (
            "/api/company_profile",
            form_of(&[]),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/current_user",
            form_of(&[]),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/sign_in_state",
            form_of(&[]),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/sign_in_password",
            form_of(&[
                ("email", "nobody@nowhere.example"),
                ("password", "wrong password here"),
            ]),
            [401, 401, 401, 401, 401, 401, 401, 401],
        ),
        (
            "/api/accounts/sign_in_second_factor",
            form_of(&[("code", "123456")]),
            [401, 401, 401, 401, 401, 401, 401, 401],
        ),
        (
            "/api/accounts/passkey_sign_in_start",
            form_of(&[("conditional", "true")]),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/passkey_sign_in_finish",
            Body::Json(json!({ "credential": any_credential.clone() })),
            [401, 401, 401, 401, 401, 401, 401, 401],
        ),
        (
            "/api/accounts/invitation_status",
            form_of(&[("token", "no-such-token")]),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/invitation_passkey_start",
            form_of(&[("token", "no-such-token")]),
            [409, 409, 409, 409, 409, 409, 409, 409],
        ),
        (
            "/api/accounts/invitation_passkey_finish",
            Body::Json(
                json!({ "token": "no-such-token", "name": "x", "credential": any_registration }),
            ),
            [409, 409, 409, 409, 409, 409, 409, 409],
        ),
        (
            "/api/accounts/invitation_set_password",
            form_of(&[
                ("token", "no-such-token"),
                ("password", "tulip barge windmill lantern"),
            ]),
            [409, 409, 409, 409, 409, 409, 409, 409],
        ),
        (
            "/api/accounts/invitation_confirm_totp",
            form_of(&[("token", "no-such-token"), ("code", "123456")]),
            [409, 409, 409, 409, 409, 409, 409, 409],
        ),
        (
            "/api/accounts/request_password_reset",
            form_of(&[("email", "nobody@nowhere.example")]),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/reset_password",
            form_of(&[
                ("token", "no-such-token"),
                ("code", "123456"),
                ("new_password", "tulip barge windmill lantern"),
            ]),
            [409, 409, 409, 409, 409, 409, 409, 409],
        ),
        (
            "/api/accounts/reset_password_passkey_start",
            form_of(&[("token", "no-such-token")]),
            [409, 409, 409, 409, 409, 409, 409, 409],
        ),
        (
            "/api/accounts/reset_password_with_passkey",
            Body::Json(
                json!({ "token": "no-such-token", "new_password": "tulip barge windmill lantern", "credential": any_credential.clone() }),
            ),
            [409, 409, 409, 409, 409, 409, 409, 409],
        ),
        // One's own account: everyone signed in.
        (
            "/api/accounts/my_sessions",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/end_session",
            form_of(&[("id", "not-a-session")]),
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            "/api/accounts/end_other_sessions",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/my_passkeys",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/passkey_registration_start",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/passkey_registration_finish",
            Body::Json(json!({ "name": "x", "credential": any_registration })),
            // The start above left a ceremony open; this made-up answer does not verify.
            [401, 422, 422, 422, 422, 422, 422, 422],
        ),
        (
            "/api/accounts/rename_passkey",
            form_of(&[("id", "999999"), ("name", "x")]),
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            "/api/accounts/remove_passkey",
            form_of(&[("id", "999999")]),
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            "/api/accounts/my_factors",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/totp_enrolment_start",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/totp_enrolment_confirm",
            form_of(&[("code", "123456")]),
            [401, 422, 422, 422, 422, 422, 422, 422],
        ),
        (
            "/api/accounts/regenerate_recovery_codes",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/change_password",
            form_of(&[
                ("current", "not my password at all"),
                ("new_password", "tulip barge windmill lantern"),
            ]),
            [401, 422, 422, 422, 422, 422, 422, 422],
        ),
        (
            "/api/accounts/identity_confirmed",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        // A wrong password: refused as input (and counted against the account).
        (
            "/api/accounts/confirm_identity",
            form_of(&[("password", "not my password at all"), ("code", "123456")]),
            [401, 422, 422, 422, 422, 422, 422, 422],
        ),
        // Nobody in the demo has a passkey yet.
        (
            "/api/accounts/confirm_identity_passkey_start",
            form_of(&[]),
            [401, 409, 409, 409, 409, 409, 409, 409],
        ),
        (
            "/api/accounts/confirm_identity_passkey_finish",
            Body::Json(json!({ "credential": any_credential.clone() })),
            [401, 409, 409, 409, 409, 409, 409, 409],
        ),
        // Staff work. Customer A is id 1; B's contact asking about A gets "not found".
        (
            "/api/accounts/invite_person",
            form_of(&[
                ("email", "bad address"),
                ("display_name", "X"),
                ("kind", "contact"),
                ("customer_id", "1"),
                ("scope", "viewer"),
            ]),
            [401, 403, 403, 404, 403, 403, 422, 422],
        ),
        (
            "/api/accounts/invite_person",
            form_of(&[
                ("email", "bad address"),
                ("display_name", "X"),
                ("kind", "staff"),
                ("role", "crew"),
            ]),
            [401, 403, 403, 403, 403, 403, 403, 422],
        ),
        (
            "/api/accounts/list_invitations",
            form_of(&[]),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "/api/accounts/invitation_customers",
            form_of(&[]),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "/api/accounts/revoke_invitation",
            form_of(&[("id", "999999")]),
            [401, 403, 403, 403, 403, 403, 404, 404],
        ),
        (
            "/api/accounts/reset_person_access",
            form_of(&[("user_id", "999999")]),
            [401, 403, 403, 403, 403, 403, 403, 404],
        ),
        (
            "/api/mail/outgoing",
            form_of(&[]),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "/api/accounts/my_customer_accounts",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        // Customer A's id: its contacts may switch to it, B's contact gets "not found", staff
        // (who do not switch) a conflict.
        (
            "/api/accounts/switch_customer_account",
            form_of(&[("customer_id", "1")]),
            [401, 200, 200, 404, 403, 403, 409, 409],
        ),
        (
            "/api/accounts/change_role",
            form_of(&[("user_id", "999999"), ("role", "crew")]),
            [401, 403, 403, 403, 403, 403, 403, 404],
        ),
        (
            "/api/accounts/disable_user",
            form_of(&[("user_id", "999999")]),
            [401, 403, 403, 403, 403, 403, 403, 404],
        ),
        (
            "/api/accounts/release_lock",
            form_of(&[("user_id", "999999")]),
            [401, 403, 403, 403, 403, 403, 403, 404],
        ),
        // The business core. Job 1 is customer A's move today, with the crew member assigned.
        (
            "/api/jobs/staff_job",
            form_of(&[("job_id", "1")]),
            [401, 403, 403, 404, 200, 404, 200, 200],
        ),
        (
            "/api/jobs/create_job",
            form_of(&[("customer_id", "1"), ("details[origin_address]", "")]),
            [401, 403, 403, 403, 403, 403, 422, 422],
        ),
        (
            "/api/jobs/update_job",
            form_of(&[("job_id", "1"), ("details[origin_address]", "")]),
            [401, 403, 403, 403, 403, 403, 422, 422],
        ),
        (
            "/api/jobs/schedule_job",
            form_of(&[
                ("job_id", "1"),
                ("date", "not a date"),
                ("slot_start", "08:00"),
                ("slot_end", "10:00"),
                ("crew[0]", "3"),
            ]),
            [401, 403, 403, 403, 403, 403, 422, 422],
        ),
        // Scheduled → completed skips the day: refused with both states named.
        (
            "/api/jobs/change_status",
            form_of(&[("job_id", "1"), ("status", "completed")]),
            [401, 403, 403, 404, 409, 404, 409, 409],
        ),
        // Job 1 is scheduled, not on its way: the crew and the office are told so.
        (
            "/api/jobs/update_eta",
            form_of(&[("job_id", "1"), ("eta", "12:00")]),
            [401, 403, 403, 404, 409, 404, 409, 409],
        ),
        (
            "/api/quotes/save_quote",
            Body::Json(json!({ "job_id": 1, "valid_until": "not a date", "lines": [] })),
            [401, 403, 403, 403, 403, 403, 422, 422],
        ),
        (
            "/api/quotes/preview",
            Body::Json(json!({ "lines": [] })),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "/api/quotes/send_quote",
            form_of(&[("quote_id", "999999")]),
            [401, 403, 403, 403, 403, 403, 404, 404],
        ),
        (
            "/api/quotes/record_answer",
            form_of(&[
                ("quote_id", "999999"),
                ("answer", "accepted"),
                ("name", "Sanne de Boer"),
            ]),
            [401, 403, 403, 403, 403, 403, 404, 404],
        ),
        (
            "/api/invoices/from_quote",
            form_of(&[("quote_id", "999999")]),
            [401, 403, 403, 403, 403, 403, 404, 404],
        ),
        (
            "/api/invoices/by_hand",
            form_of(&[("job_id", "1")]),
            [401, 403, 403, 403, 403, 403, 422, 422],
        ),
        (
            "/api/invoices/issue",
            form_of(&[("invoice_id", "999999")]),
            [401, 403, 403, 403, 403, 403, 404, 404],
        ),
        // Paying online: the customer's owner and payer; staff see but never pay.
        (
            "/api/payments/pay",
            form_of(&[("invoice_id", "999999")]),
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            "/api/payments/outcome",
            form_of(&[("attempt_id", "999999")]),
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            "/api/invoices/record_payment",
            form_of(&[
                ("invoice_id", "999999"),
                ("amount", "1,00"),
                ("method", "cash"),
            ]),
            [401, 403, 403, 403, 403, 403, 404, 404],
        ),
        (
            "/api/invoices/credit",
            form_of(&[("invoice_id", "999999")]),
            [401, 403, 403, 403, 403, 403, 404, 404],
        ),
        (
            "/api/messages/thread",
            form_of(&[("job_id", "1")]),
            [401, 200, 200, 404, 200, 404, 200, 200],
        ),
        (
            "/api/messages/mark_read",
            form_of(&[("job_id", "1"), ("up_to", "999999")]),
            [401, 200, 200, 404, 200, 404, 200, 200],
        ),
        // An empty message: refused as input by those who may write, 403/404 for the rest.
        (
            "/api/messages/post",
            form_of(&[("job_id", "1"), ("body", "")]),
            [401, 422, 403, 404, 422, 404, 422, 422],
        ),
        (
            "/api/crew/today",
            form_of(&[]),
            [401, 403, 403, 403, 200, 200, 200, 200],
        ),
        (
            "/api/staff/dashboard",
            form_of(&[]),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "/api/staff/may_manage_jobs",
            form_of(&[]),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "/api/customers/list",
            form_of(&[("query", "boer")]),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "/api/customers/detail",
            form_of(&[("customer_id", "1")]),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        (
            "/api/customers/save",
            form_of(&[("customer[name]", ""), ("customer[kind]", "household")]),
            [401, 403, 403, 403, 403, 403, 422, 422],
        ),
        (
            "/api/documents/for_job",
            form_of(&[("job_id", "1")]),
            [401, 403, 403, 404, 200, 404, 200, 200],
        ),
        (
            "/api/documents/visibility",
            form_of(&[("document_id", "999999"), ("visibility", "customer")]),
            [401, 403, 403, 403, 403, 403, 404, 404],
        ),
        // Admin only.
        (
            "/api/admin/people",
            form_of(&[]),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (
            "/api/admin/enable_user",
            form_of(&[("user_id", "999999")]),
            [401, 403, 403, 403, 403, 403, 403, 404],
        ),
        (
            "/api/admin/company",
            form_of(&[]),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (
            "/api/admin/save_company",
            form_of(&[("company[name]", ""), ("company[payment_term_days]", "14")]),
            [401, 403, 403, 403, 403, 403, 403, 422],
        ),
        (
            "/api/admin/audit",
            form_of(&[("filter[action]", "signed_in")]),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        // The customer's side.
        (
            "/api/portal/my_moves",
            form_of(&[]),
            [401, 200, 200, 200, 403, 403, 403, 403],
        ),
        (
            "/api/portal/move",
            form_of(&[("job_id", "1")]),
            [401, 200, 200, 404, 200, 404, 200, 200],
        ),
        (
            "/api/portal/accept_quote",
            form_of(&[("quote_id", "999999"), ("signed_name", "Sanne de Boer")]),
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            "/api/portal/decline_quote",
            form_of(&[("quote_id", "999999")]),
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        // No date: refused as input for the owner; the policy answers the rest.
        (
            "/api/portal/ask_to_reschedule",
            form_of(&[("job_id", "1")]),
            [401, 422, 403, 404, 403, 404, 403, 403],
        ),
        (
            "/api/portal/ask_for_change",
            form_of(&[("quote_id", "999999"), ("note", "Fewer boxes")]),
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            "/api/requests/answer",
            form_of(&[
                ("request_id", "999999"),
                ("answer", "decline"),
                ("note", "No crew that day"),
            ]),
            [401, 403, 403, 403, 403, 403, 404, 404],
        ),
        (
            "/api/portal/counts",
            form_of(&[]),
            [401, 200, 200, 200, 403, 403, 403, 403],
        ),
        // "My people": owners of the account they are in; staff manage contacts elsewhere.
        (
            "/api/people/list",
            form_of(&[]),
            [401, 200, 403, 200, 403, 403, 403, 403],
        ),
        // No address: refused as input for an owner.
        (
            "/api/people/invite",
            form_of(&[("display_name", "Mila"), ("email", ""), ("scope", "payer")]),
            [401, 422, 403, 422, 403, 403, 403, 403],
        ),
        (
            "/api/people/change_scope",
            form_of(&[("user_id", "999999"), ("scope", "viewer")]),
            [401, 404, 403, 404, 403, 403, 403, 403],
        ),
        (
            "/api/people/remove",
            form_of(&[("user_id", "999999")]),
            [401, 404, 403, 404, 403, 403, 403, 403],
        ),
        // Any signed-in person may check a fingerprint; what it finds is scoped to them.
        (
            "/api/quotes/check_receipt",
            form_of(&[(
                "sha256",
                "0000000000000000000000000000000000000000000000000000000000000000",
            )]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        (
            "/api/accounts/email",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        // Signed in a moment ago (a fresh proof): the empty address is refused as input.
        (
            "/api/accounts/change_email",
            form_of(&[("email", "")]),
            [401, 422, 422, 422, 422, 422, 422, 422],
        ),
        (
            "/api/accounts/confirm_email",
            form_of(&[("token", "no-such-link")]),
            [401, 404, 404, 404, 404, 404, 404, 404],
        ),
        (
            "/api/accounts/profile",
            form_of(&[]),
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        // An empty name: refused as input for everyone signed in.
        (
            "/api/accounts/save_profile",
            form_of(&[("display_name", ""), ("language", "en")]),
            [401, 422, 422, 422, 422, 422, 422, 422],
        ),
        // Last: it ends the session it is called with.
        (
            "/api/accounts/sign_out",
            form_of(&[]),
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
    ]
}

/// Pages (GET), with the status of the server-rendered answer: 302 is the redirect to sign-in.
const PAGES: &[(&str, [u16; 8])] = &[
    // Contacts see their moves, staff are sent to their workspace.
    ("/", [200, 200, 200, 200, 302, 302, 302, 302]),
    ("/moves/1", [302, 200, 200, 404, 200, 404, 200, 200]),
    ("/account/people", [302, 200, 403, 200, 403, 403, 403, 403]),
    ("/receipts/check", [302, 200, 200, 200, 200, 200, 200, 200]),
    // One button; nothing changes by opening the link.
    (
        "/account/email/no-such-link",
        [302, 200, 200, 200, 200, 200, 200, 200],
    ),
    ("/moves/999999", [302, 404, 404, 404, 404, 404, 404, 404]),
    (
        "/files/moves/1/moving-day.ics",
        [401, 200, 200, 404, 200, 404, 200, 200],
    ),
    (
        "/files/moves/999999/moving-day.ics",
        [401, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "/files/quotes/999999/receipt.pdf",
        [401, 404, 404, 404, 404, 404, 404, 404],
    ),
    ("/sign-in", [200, 302, 302, 302, 302, 302, 302, 302]),
    ("/forgot-password", [200, 200, 200, 200, 200, 200, 200, 200]),
    (
        "/reset-password/no-such-token",
        [200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "/invitation/no-such-token",
        [200, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "/account/security",
        [302, 200, 200, 200, 200, 200, 200, 200],
    ),
    ("/account/profile", [302, 200, 200, 200, 200, 200, 200, 200]),
    (
        "/staff/invitations",
        [302, 403, 403, 403, 403, 403, 200, 200],
    ),
    (
        "/staff/outgoing-mail",
        [302, 403, 403, 403, 403, 403, 200, 200],
    ),
    ("/staff", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/staff/customers", [302, 403, 403, 403, 403, 403, 200, 200]),
    (
        "/staff/customers/new",
        [302, 403, 403, 403, 403, 403, 200, 200],
    ),
    (
        "/staff/customers/1",
        [302, 403, 403, 403, 403, 403, 200, 200],
    ),
    ("/staff/jobs/1", [302, 403, 403, 404, 200, 404, 200, 200]),
    (
        "/staff/jobs/999999",
        [302, 404, 404, 404, 404, 404, 404, 404],
    ),
    ("/crew", [302, 403, 403, 403, 200, 200, 200, 200]),
    ("/admin/users", [302, 403, 403, 403, 403, 403, 403, 200]),
    ("/admin/company", [302, 403, 403, 403, 403, 403, 403, 200]),
    ("/admin/audit", [302, 403, 403, 403, 403, 403, 403, 200]),
    // Files answer like server functions: 401 before sign-in, 404 for what is not there.
    (
        "/files/invoices/999999.pdf",
        [401, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "/files/quotes/999999.pdf",
        [401, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "/files/documents/999999",
        [401, 404, 404, 404, 404, 404, 404, 404],
    ),
    ("/healthz", [200, 200, 200, 200, 200, 200, 200, 200]),
    // The test checkout stands outside the portal, like a provider's page: its address is the
    // secret, and one that is not a test payment is not there for anyone.
    (
        "/pay/test/test_nosuchpayment",
        [404, 404, 404, 404, 404, 404, 404, 404],
    ),
    ("/payments/999999", [302, 404, 404, 404, 404, 404, 404, 404]),
    ("/no-such-page", [404, 404, 404, 404, 404, 404, 404, 404]),
];

/// Long-lived streams (GET): only the status of the response's head is compared, as its body
/// never ends. Everyone signed in gets their own news (who hears of what is `live.rs`).
const STREAMS: &[(&str, [u16; 8])] = &[("/live", [401, 200, 200, 200, 200, 200, 200, 200])];

/// Upload routes (multipart POSTs from our own page), with a form that holds no file: the
/// policy answers first (401, 403, 404), then the route says what is missing (422); the
/// receipt check hashes the empty file and sends the browser to its result (303).
const UPLOADS: &[(&str, [u16; 8])] = &[
    (
        "/files/jobs/1/documents",
        [401, 422, 403, 404, 403, 404, 422, 422],
    ),
    (
        "/files/jobs/999999/documents",
        [401, 404, 404, 404, 404, 404, 404, 404],
    ),
    (
        "/files/company/logo",
        [401, 403, 403, 403, 403, 403, 403, 422],
    ),
    (
        "/files/receipts/check",
        [401, 303, 303, 303, 303, 303, 303, 303],
    ),
];

/// A multipart form with one field that is not a file, or an empty file for the receipt check.
fn upload_request(path: &str) -> axum::http::Request<axum::body::Body> {
    let boundary = "matrix-boundary";
    let part = if path == "/files/receipts/check" {
        "Content-Disposition: form-data; name=\"file\"; filename=\"quote.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    } else {
        "Content-Disposition: form-data; name=\"note\"\r\n\r\nnothing"
    };
    axum::http::Request::post(path)
        .header("host", "localhost:3000")
        .header("origin", support::ORIGIN)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(axum::body::Body::from(format!(
            "--{boundary}\r\n{part}\r\n--{boundary}--\r\n"
        )))
        .expect("request")
}

/// Real files of customer A (the De Boers, customer 1), so that every file route is tried with
/// an id that exists and belongs to someone else, not only with a missing one.
async fn customer_a_files(db: &portico_domain::DatabaseConnection) -> Vec<(String, [u16; 8])> {
    use portico_domain::{
        documents::{entity as document, DocumentKind},
        invoices::{entity as invoice, InvoiceStatus},
        quotes::{entity as quote, QuoteStatus},
    };
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let invoice = invoice::Entity::find()
        .filter(invoice::Column::CustomerId.eq(1))
        .filter(invoice::Column::Status.ne(InvoiceStatus::Draft))
        .one(db)
        .await
        .expect("query")
        .expect("an issued invoice of customer A");
    let quote = quote::Entity::find()
        .filter(quote::Column::JobId.eq(1))
        .filter(quote::Column::Status.ne(QuoteStatus::Draft))
        .one(db)
        .await
        .expect("query")
        .expect("a sent quote on job 1");
    let documents = document::Entity::find()
        .filter(document::Column::CustomerId.eq(1))
        .all(db)
        .await
        .expect("query");
    let money = documents
        .iter()
        .find(|d| d.kind == DocumentKind::Invoice && d.job_id.is_some())
        .expect("an invoice PDF among A's documents");
    let photo = documents
        .iter()
        .find(|d| d.kind == DocumentKind::Photo && d.job_id == Some(1))
        .expect("the staff-only photo on job 1");
    // Money papers: owner and office only (A's payer would be too; A has none). Crew never.
    let money_row = [401, 200, 404, 404, 404, 404, 200, 200];
    vec![
        (format!("/files/invoices/{}.pdf", invoice.id), money_row),
        (format!("/files/quotes/{}.pdf", quote.id), money_row),
        (format!("/files/documents/{}", money.id), money_row),
        // A staff-only photo: the crew of its job and the office.
        (
            format!("/files/documents/{}", photo.id),
            [401, 404, 404, 404, 200, 404, 200, 200],
        ),
    ]
}

/// An issued invoice of customer A.
async fn customer_a_invoice(db: &portico_domain::DatabaseConnection) -> i32 {
    use portico_domain::invoices::{entity as invoice, InvoiceKind, InvoiceStatus};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    invoice::Entity::find()
        .filter(invoice::Column::CustomerId.eq(1))
        .filter(invoice::Column::Kind.eq(InvoiceKind::Invoice))
        .filter(invoice::Column::Status.ne(InvoiceStatus::Draft))
        .one(db)
        .await
        .expect("query")
        .expect("an issued invoice of customer A")
        .id
}

#[tokio::test]
async fn every_server_function_and_page_against_the_expected_table() {
    // The table covers exactly the registered server functions.
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let listed: BTreeSet<String> = server_functions()
        .iter()
        .map(|(path, _, _)| (*path).to_owned())
        .collect();
    let unlisted: Vec<_> = registered.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(
        unlisted.is_empty(),
        "server functions missing from the access matrix: {unlisted:?}"
    );
    assert!(
        stale.is_empty(),
        "the access matrix lists functions that do not exist: {stale:?}"
    );

    for test_db in support::migrated_databases().await {
        let label = test_db.label;
        let db = &test_db.db;
        let clock = ManualClock::new(Utc::now());
        seed::seed_demo_if_empty(db, clock.now())
            .await
            .expect("seed");
        let data = tempfile::tempdir().expect("data");
        let storage = portico_domain::documents::LocalDisk::new(data.path().join("documents"));
        seed::attach_demo_documents(db, &storage, clock.now())
            .await
            .expect("demo documents");
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
        let mut browsers = Vec::new();
        for (_, email) in PEOPLE {
            let browser = match email {
                Some(email) => Browser::signed_in_demo(&app, email, clock.now()).await,
                None => Browser::new(&app),
            };
            browsers.push(browser);
        }

        let files = customer_a_files(db).await;
        let pages = PAGES
            .iter()
            .map(|(path, row)| ((*path).to_owned(), *row))
            .chain(files);
        let mut wrong = Vec::new();
        for (path, expected) in pages {
            for (((who, _), browser), want) in PEOPLE.iter().zip(browsers.iter_mut()).zip(expected)
            {
                let got = browser.get(&path).await.status.as_u16();
                if got != want {
                    wrong.push(format!("GET {path} as {who}: expected {want}, got {got}"));
                }
            }
        }
        for (path, expected) in STREAMS {
            for (((who, _), browser), want) in PEOPLE.iter().zip(browsers.iter_mut()).zip(expected)
            {
                let mut request = support::get(path);
                if let Some(cookie) = &browser.cookie {
                    request
                        .headers_mut()
                        .insert("cookie", cookie.parse().expect("cookie"));
                }
                let got = tower::ServiceExt::oneshot(app.clone(), request)
                    .await
                    .expect("router answers")
                    .status()
                    .as_u16();
                if got != *want {
                    wrong.push(format!("GET {path} as {who}: expected {want}, got {got}"));
                }
            }
        }
        for (path, expected) in UPLOADS {
            for (((who, _), browser), want) in PEOPLE.iter().zip(browsers.iter_mut()).zip(expected)
            {
                let reply = browser.send(upload_request(path)).await;
                let got = reply.status.as_u16();
                if got != *want {
                    wrong.push(format!(
                        "POST {path} as {who}: expected {want}, got {got} {}",
                        reply.text()
                    ));
                }
            }
        }
        // Customer A's invoice (paid in the demo): the owner may pay (nothing is left: 409), the
        // viewer may not (403), another customer does not see it (404), staff never pay (403).
        // The webhook is open to anyone and says nothing about ids it does not know.
        let a_invoice = customer_a_invoice(db).await;
        let dynamic: Vec<(String, String, [u16; 8])> = vec![
            (
                "/api/payments/pay".to_owned(),
                form(&[("invoice_id", &a_invoice.to_string())]),
                [401, 409, 403, 404, 403, 403, 403, 403],
            ),
            (
                "/payments/webhook".to_owned(),
                form(&[("id", "tr_NoSuchPayment")]),
                [200, 200, 200, 200, 200, 200, 200, 200],
            ),
        ];
        for (path, body, expected) in &dynamic {
            for (((who, _), browser), want) in PEOPLE.iter().zip(browsers.iter_mut()).zip(expected)
            {
                let reply = browser.call(path, body).await;
                let got = reply.status.as_u16();
                if got != *want {
                    wrong.push(format!(
                        "{path} as {who}: expected {want}, got {got} {}",
                        reply.text()
                    ));
                }
            }
        }
        for (path, body, expected) in server_functions() {
            for (((who, _), browser), want) in PEOPLE.iter().zip(browsers.iter_mut()).zip(expected)
            {
                let request = match &body {
                    Body::Form(pairs) => support::call(path, &form(pairs)),
                    Body::Json(value) => call_json(path, value),
                };
                let reply = browser.send(request).await;
                let got = reply.status.as_u16();
                if got != want {
                    wrong.push(format!(
                        "{path} as {who}: expected {want}, got {got} {}",
                        reply.text()
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{label}:\n{}", wrong.join("\n"));
        test_db.finish().await;
    }
}
