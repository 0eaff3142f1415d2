//! Invitations in the app: staff invite and revoke; the invited person opens the link and sets
//! up a passkey, or a password with an authenticator app (and gets recovery codes, shown once).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use webauthn_rs_proto::{CreationChallengeResponse, RegisterPublicKeyCredential};

use super::factors::TotpEnrolment;
use crate::PorticoError;

/// An invitation in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    /// "open", "accepted", "expired" or "revoked".
    pub state: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
}

/// What the invitation page shows for a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    Open {
        display_name: String,
        email: String,
    },
    /// Used, expired, revoked or unknown: the person must ask for a new one.
    NotUsable {
        reason: String,
    },
}

/// A customer account the invitation form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerChoice {
    pub id: i32,
    pub name: String,
}

#[cfg(feature = "ssr")]
impl From<portico_domain::accounts::invitations::InvitationSummary> for InvitationView {
    fn from(row: portico_domain::accounts::invitations::InvitationSummary) -> Self {
        use portico_domain::accounts::invitations::InvitationState as S;
        Self {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            state: match row.state {
                S::Open => "open",
                S::Accepted => "accepted",
                S::Expired => "expired",
                S::Revoked => "revoked",
            }
            .to_owned(),
            expires_at: row.expires_at.to_rfc3339(),
        }
    }
}

#[cfg(feature = "ssr")]
fn audit_entry<'a>(
    actor: i32,
    action: portico_domain::audit::AuditAction,
    subject: String,
    origin: &'a portico_domain::audit::RequestOrigin,
    detail: Option<String>,
) -> portico_domain::audit::AuditEntry<'a> {
    portico_domain::audit::AuditEntry {
        actor_user_id: Some(actor),
        action,
        subject,
        origin,
        detail,
    }
}

/// Staff invite a customer's contact (`kind` = "contact", with `customer_id` and `scope`) or a
/// colleague (`kind` = "staff", with `role`).
#[server(name = InvitePerson, prefix = "/api", endpoint = "accounts/invite_person")]
pub async fn invite_person(
    email: String,
    display_name: String,
    kind: String,
    customer_id: Option<i32>,
    scope: Option<String>,
    role: Option<String>,
) -> Result<InvitationView, PorticoError> {
    use portico_domain::{
        accounts::{
            invitations::{self, Invitee},
            ContactScope, StaffRole,
        },
        audit::{self, AuditAction},
        company,
        policy::Action,
    };

    use crate::server::{accounts, answer, authorize, db, request_origin};

    answer(async {
        let invalid = |field: &str, message: &str| PorticoError::Invalid {
            field: field.to_owned(),
            message: message.to_owned(),
        };
        let invitee = match kind.as_str() {
            "contact" => {
                let customer_id = customer_id
                    .ok_or_else(|| invalid("customer_id", "Choose the customer account."))?;
                let scope = match scope.as_deref() {
                    Some("owner") => ContactScope::Owner,
                    Some("payer") => ContactScope::Payer,
                    Some("viewer") => ContactScope::Viewer,
                    _ => return Err(invalid("scope", "Choose what the contact may do.")),
                };
                Invitee::Contact { customer_id, scope }
            }
            "staff" => {
                let role = match role.as_deref() {
                    Some("admin") => StaffRole::Admin,
                    Some("office") => StaffRole::Office,
                    Some("crew") => StaffRole::Crew,
                    _ => return Err(invalid("role", "Choose the colleague's role.")),
                };
                Invitee::Staff { role }
            }
            _ => return Err(invalid("kind", "Choose whom you are inviting.")),
        };
        let actor = match invitee {
            Invitee::Contact { customer_id, .. } => {
                authorize(Action::InviteContact { customer_id }).await?
            }
            Invitee::Staff { .. } => authorize(Action::InviteStaff).await?,
        };
        let staff_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
        let accounts = accounts()?;
        let now = accounts.clock.now();
        let db = db()?;
        if let Invitee::Contact { customer_id, .. } = invitee {
            // The customer must exist (a made-up id is "not found", not a half-made contact).
            portico_domain::customers::find(&db, customer_id).await?;
        }
        let company_name = company::name_or_portico(&db).await;
        let sent = invitations::invite(
            &db,
            now,
            Some(staff_id),
            &email,
            &display_name,
            invitee,
            &company_name,
            &accounts.public_url,
        )
        .await?;
        accounts.mail_waiting();
        audit::record(
            &db,
            now,
            audit_entry(
                staff_id,
                AuditAction::InvitationSent,
                format!("user:{}", sent.user_id),
                &request_origin(),
                Some(format!("invitation {} as {kind}", sent.invitation_id)),
            ),
        )
        .await?;
        Ok(sent.summary.into())
    })
    .await
}

/// The newest invitations and their state.
#[server(name = ListInvitations, prefix = "/api", endpoint = "accounts/list_invitations")]
pub async fn list_invitations() -> Result<Vec<InvitationView>, PorticoError> {
    use portico_domain::{accounts::invitations, policy::Action};

    use crate::server::{accounts, answer, authorize, db};

    answer(async {
        authorize(Action::ManageInvitations).await?;
        let now = accounts()?.clock.now();
        Ok(invitations::latest(&db()?, now, 100)
            .await?
            .into_iter()
            .map(InvitationView::from)
            .collect())
    })
    .await
}

#[server(name = RevokeInvitation, prefix = "/api", endpoint = "accounts/revoke_invitation")]
pub async fn revoke_invitation(id: i32) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::invitations,
        audit::{self, AuditAction},
        policy::Action,
    };

    use crate::server::{accounts, answer, authorize, db, request_origin};

    answer(async {
        let actor = authorize(Action::ManageInvitations).await?;
        let staff_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
        let now = accounts()?.clock.now();
        let db = db()?;
        invitations::revoke(&db, now, id).await?;
        audit::record(
            &db,
            now,
            audit_entry(
                staff_id,
                AuditAction::InvitationRevoked,
                format!("invitation:{id}"),
                &request_origin(),
                None,
            ),
        )
        .await?;
        Ok(())
    })
    .await
}

/// Staff-assisted recovery: removes every factor of the person, ends their sessions and sends
/// a new invitation. Recorded in the audit log.
#[server(name = ResetPersonAccess, prefix = "/api", endpoint = "accounts/reset_person_access")]
pub async fn reset_person_access(user_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::invitations,
        audit::{self, AuditAction},
        company,
        policy::Action,
    };

    use crate::server::{accounts, answer, authorize, db, request_origin};

    answer(async {
        let actor = authorize(Action::ManageUsers).await?;
        let staff_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
        let accounts = accounts()?;
        let now = accounts.clock.now();
        let db = db()?;
        let company_name = company::name_or_portico(&db).await;
        let sent = invitations::reset_access(
            &db,
            now,
            staff_id,
            user_id,
            &company_name,
            &accounts.public_url,
        )
        .await?;
        accounts.mail_waiting();
        audit::record(
            &db,
            now,
            audit_entry(
                staff_id,
                AuditAction::InvitationSent,
                format!("user:{user_id}"),
                &request_origin(),
                Some(format!(
                    "staff-assisted reset: every factor removed, invitation {}",
                    sent.invitation_id
                )),
            ),
        )
        .await?;
        Ok(())
    })
    .await
}

/// The customer accounts the invitation form offers.
#[server(name = InvitationCustomers, prefix = "/api", endpoint = "accounts/invitation_customers")]
pub async fn invitation_customers() -> Result<Vec<CustomerChoice>, PorticoError> {
    use portico_domain::policy::Action;

    use crate::server::{answer, authorize, db};

    answer(async {
        authorize(Action::ManageInvitations).await?;
        Ok(portico_domain::customers::all(&db()?)
            .await?
            .into_iter()
            .map(|c| CustomerChoice {
                id: c.id,
                name: c.name,
            })
            .collect())
    })
    .await
}

/// The state of an invitation link, for the page it opens. Public: the token is the secret.
#[server(name = InvitationStatusOf, prefix = "/api", endpoint = "accounts/invitation_status")]
pub async fn invitation_status(token: String) -> Result<InvitationStatus, PorticoError> {
    use portico_domain::accounts::invitations::{self, InvitationState};

    use crate::server::{accounts, answer, db};

    answer(async {
        let now = accounts()?.clock.now();
        Ok(match invitations::find_by_token(&db()?, &token).await? {
            None => InvitationStatus::NotUsable {
                reason: "This invitation link is not valid.".to_owned(),
            },
            Some((row, person)) => match invitations::state_of(&row, now) {
                InvitationState::Open => InvitationStatus::Open {
                    display_name: person.display_name,
                    email: person.email,
                },
                InvitationState::Accepted => InvitationStatus::NotUsable {
                    reason: "This invitation has already been used.".to_owned(),
                },
                InvitationState::Expired => InvitationStatus::NotUsable {
                    reason: "This invitation has expired.".to_owned(),
                },
                InvitationState::Revoked => InvitationStatus::NotUsable {
                    reason: "This invitation was withdrawn.".to_owned(),
                },
            },
        })
    })
    .await
}

/// The open invitation behind a token, or the error the set-up steps answer with.
#[cfg(feature = "ssr")]
async fn open_invitation(
    db: &portico_domain::DatabaseConnection,
    token: &str,
) -> Result<
    (
        portico_domain::accounts::invitation::Model,
        portico_domain::accounts::user::Model,
    ),
    PorticoError,
> {
    use portico_domain::accounts::invitations::{self, InvitationState};

    let now = crate::server::accounts()?.clock.now();
    match invitations::find_by_token(db, token).await? {
        Some((row, person)) if invitations::state_of(&row, now) == InvitationState::Open => {
            Ok((row, person))
        }
        _ => Err(PorticoError::Conflict(
            "This invitation can no longer be used. Ask us for a new invitation.".to_owned(),
        )),
    }
}

/// Signs the person in once the set-up (link, factor, audit rows) has been committed.
#[cfg(feature = "ssr")]
async fn sign_in_after_set_up(
    user_id: i32,
    now: chrono::DateTime<chrono::Utc>,
    origin: &portico_domain::audit::RequestOrigin,
) -> Result<(), PorticoError> {
    super::sign_in::begin_signed_in_session(&crate::server::session()?, user_id, now, origin).await
}

/// Set-up with a passkey, step one.
#[server(name = InvitationPasskeyStart, prefix = "/api", endpoint = "accounts/invitation_passkey_start")]
pub async fn invitation_passkey_start(
    token: String,
) -> Result<CreationChallengeResponse, PorticoError> {
    use portico_domain::accounts::session::keys;

    use crate::server::{accounts, answer, db, session, session_error};

    answer(async {
        let db = db()?;
        let (_, person) = open_invitation(&db, &token).await?;
        let (challenge, state) = accounts()?
            .passkeys
            .start_registration(&db, &person)
            .await?;
        session()?
            .insert(keys::PASSKEY_REGISTRATION, (person.id, state))
            .await
            .map_err(session_error)?;
        Ok(challenge)
    })
    .await
}

/// Set-up with a passkey, step two: the passkey is stored, the invitation used, the person in.
#[server(
    name = InvitationPasskeyFinish,
    prefix = "/api",
    endpoint = "accounts/invitation_passkey_finish",
    input = server_fn::codec::Json
)]
pub async fn invitation_passkey_finish(
    token: String,
    name: String,
    credential: RegisterPublicKeyCredential,
) -> Result<(), PorticoError> {
    use portico_domain::accounts::{session::keys, set_up};
    use webauthn_rs::prelude::PasskeyRegistration;

    use crate::server::{accounts, answer, db, request_origin, session, session_error};

    answer(async {
        let db = db()?;
        let (invitation, person) = open_invitation(&db, &token).await?;
        let (for_user, state) = session()?
            .remove::<(i32, PasskeyRegistration)>(keys::PASSKEY_REGISTRATION)
            .await
            .map_err(session_error)?
            .filter(|(for_user, _)| *for_user == person.id)
            .ok_or_else(|| {
                PorticoError::Conflict("That step has expired. Please start it again.".to_owned())
            })?;
        let accounts = accounts()?;
        let now = accounts.clock.now();
        let name = if name.trim().is_empty() {
            "My passkey".to_owned()
        } else {
            name
        };
        let origin = request_origin();
        let finish = set_up::Finish {
            invitation_id: invitation.id,
            user_id: for_user,
            now,
            origin: &origin,
        };
        match set_up::with_passkey(&db, &accounts.passkeys, finish, &name, &credential, &state)
            .await?
        {
            Ok(_) => sign_in_after_set_up(person.id, now, &origin).await,
            Err(_) => Err(PorticoError::PasskeyRefused),
        }
    })
    .await
}

/// The chosen password's hash until the authenticator is confirmed, as the session keeps it:
/// sealed with the at-rest key. Deliberately not `Debug`.
#[cfg(feature = "ssr")]
#[derive(Clone, Serialize, Deserialize)]
struct PendingPassword {
    user_id: i32,
    sealed_hash: String,
}

/// Set-up with a password, step one: the password is checked and kept (hashed) in the session
/// until the authenticator app is confirmed; nothing is stored before that.
#[server(name = InvitationSetPassword, prefix = "/api", endpoint = "accounts/invitation_set_password")]
pub async fn invitation_set_password(
    token: String,
    password: String,
) -> Result<TotpEnrolment, PorticoError> {
    use portico_domain::accounts::password;

    use crate::server::{accounts, answer, db, session, session_error};

    answer(async {
        let db = db()?;
        let (_, person) = open_invitation(&db, &token).await?;
        password::check_new_password(&password, &[&person.email, &person.display_name])?;
        let accounts = accounts()?;
        let hash = accounts.hasher.hash(&password).await?;
        let sealed_hash = accounts.at_rest.seal(
            &hash,
            &super::factors::pending_context("password", person.id),
        )?;
        session()?
            .insert(
                "invitation_password",
                PendingPassword {
                    user_id: person.id,
                    sealed_hash,
                },
            )
            .await
            .map_err(session_error)?;
        super::factors::new_enrolment(person.id, &person.email).await
    })
    .await
}

/// Set-up with a password, step two: a code from the app confirms it; password, app and ten
/// recovery codes are stored together, the invitation is used and the person signed in.
#[server(name = InvitationConfirmTotp, prefix = "/api", endpoint = "accounts/invitation_confirm_totp")]
pub async fn invitation_confirm_totp(
    token: String,
    code: String,
) -> Result<Vec<String>, PorticoError> {
    use portico_domain::accounts::{session::keys, set_up};

    use crate::server::{accounts, answer, db, request_origin, session, session_error};

    answer(async {
        let db = db()?;
        let (invitation, person) = open_invitation(&db, &token).await?;
        let pending = session()?
            .get::<PendingPassword>("invitation_password")
            .await
            .map_err(session_error)?
            .filter(|p| p.user_id == person.id)
            .ok_or_else(|| {
                PorticoError::Conflict("That step has expired. Please start it again.".to_owned())
            })?;
        let (secret, step) = super::factors::check_enrolment(person.id, &code).await?;
        let accounts = accounts()?;
        let now = accounts.clock.now();
        let origin = request_origin();
        let finish = set_up::Finish {
            invitation_id: invitation.id,
            user_id: person.id,
            now,
            origin: &origin,
        };
        let hash = accounts.at_rest.open(
            &pending.sealed_hash,
            &super::factors::pending_context("password", person.id),
        )?;
        let codes =
            set_up::with_password(&db, &accounts.at_rest, finish, &hash, &secret, step).await?;
        let session = session()?;
        let _ = session
            .remove_value("invitation_password")
            .await
            .map_err(session_error)?;
        let _ = session
            .remove_value(keys::TOTP_ENROLMENT)
            .await
            .map_err(session_error)?;
        sign_in_after_set_up(person.id, now, &origin).await?;
        Ok(codes)
    })
    .await
}

/// Shows recovery codes once, with a clear instruction.
#[component]
pub fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <div class="recovery-codes" role="region" aria-labelledby="recovery-title">
            <h2 id="recovery-title">"Your recovery codes"</h2>
            <p>
                "Each code signs you in once if you lose your phone. Save them somewhere safe now: "
                "they are shown only this once."
            </p>
            <ol class="recovery-codes__list" id="recovery-codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ol>
        </div>
    }
}

/// The authenticator-app step: QR code, the secret as text, and the code that confirms it.
#[component]
pub fn TotpSetup(
    enrolment: TotpEnrolment,
    on_code: Callback<String>,
    busy: Signal<bool>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let (code, set_code) = signal(String::new());
    view! {
        <div class="totp-setup">
            <h2>"Add the authenticator app"</h2>
            <p>"Scan this code with an authenticator app (such as Google Authenticator, Microsoft Authenticator or 1Password)."</p>
            <div class="qr" inner_html=enrolment.qr_svg.clone() role="img" aria-label="QR code for your authenticator app"></div>
            <p>"Or type this key in by hand:"</p>
            <p><code class="secret" id="totp-secret">{enrolment.secret.clone()}</code></p>
            <form class="form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                on_code.run(code.get_untracked());
            }>
                <div class="field">
                    <label for="totp-code">"The 6-digit code the app shows"</label>
                    <input id="totp-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                        prop:value=code on:input=move |ev| set_code.set(event_target_value(&ev)) required />
                </div>
                {move || error.get().map(|message| view! { <p class="notice notice--error" role="alert">{message}</p> })}
                <button type="submit" class="button" disabled=busy>{move || if busy.get() { "Checking…" } else { "Confirm" }}</button>
            </form>
        </div>
    }
}

/// `/invitation/:token`: account set-up from an e-mailed link.
#[component]
pub fn InvitationPage() -> impl IntoView {
    use leptos_meta::Title;
    use leptos_router::hooks::use_params_map;

    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let status = Resource::new(move || token.get(), invitation_status);

    view! {
        <Title text="Set up your account" />
        <section class="auth" aria-labelledby="invitation-title">
            <h1 id="invitation-title">"Set up your account"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(InvitationStatus::Open { display_name, email }) => view! {
                            <SetUp token=token.get_untracked() display_name email />
                        }.into_any(),
                        Ok(InvitationStatus::NotUsable { reason }) => view! {
                            <div class="notice notice--error" role="alert" id="invitation-unusable">
                                <p>{reason}</p>
                                <p>"Ask us for a new invitation: reply to the e-mail, or use the contact details below."</p>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[derive(Clone, PartialEq)]
#[cfg_attr(not(any(feature = "hydrate", feature = "csr")), allow(dead_code))]
enum SetUpStep {
    Choose,
    Totp(TotpEnrolment),
    Done(Vec<String>),
}

#[component]
fn SetUp(token: String, display_name: String, email: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let (step, set_step) = signal(SetUpStep::Choose);
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<String>);
    let (password, set_password) = signal(String::new());
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));

    let with_passkey = move |_| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        {
            use leptos::task::spawn_local;
            set_busy.set(true);
            set_error.set(None);
            spawn_local(async move {
                let result = async {
                    let challenge = invitation_passkey_start(token.get_value())
                        .await
                        .map_err(|e| e.to_string())?;
                    let credential = super::passkeys::browser::create(challenge).await?;
                    invitation_passkey_finish(
                        token.get_value(),
                        "My passkey".to_owned(),
                        credential,
                    )
                    .await
                    .map_err(|e| e.to_string())
                }
                .await;
                set_busy.set(false);
                match result {
                    Ok(()) => {
                        let _ = window().location().assign("/account/security?welcome=1");
                    }
                    Err(message) => set_error.set(Some(message)),
                }
            });
        }
    };
    let set_pw = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        {
            use leptos::task::spawn_local;
            set_busy.set(true);
            set_error.set(None);
            spawn_local(async move {
                let result =
                    invitation_set_password(token.get_value(), password.get_untracked()).await;
                set_busy.set(false);
                match result {
                    Ok(enrolment) => set_step.set(SetUpStep::Totp(enrolment)),
                    Err(e) => set_error.set(Some(e.to_string())),
                }
            });
        }
    };
    let confirm = Callback::new(move |code: String| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        {
            use leptos::task::spawn_local;
            set_busy.set(true);
            set_error.set(None);
            spawn_local(async move {
                let result = invitation_confirm_totp(token.get_value(), code).await;
                set_busy.set(false);
                match result {
                    Ok(codes) => set_step.set(SetUpStep::Done(codes)),
                    Err(e) => set_error.set(Some(e.to_string())),
                }
            });
        }
        #[cfg(not(any(feature = "hydrate", feature = "csr")))]
        let _ = (code, &set_step, &set_busy, &set_error);
    });
    #[cfg(not(any(feature = "hydrate", feature = "csr")))]
    let _ = (&set_password, &with_passkey, &token);

    view! {
        <p class="form__intro">"Welcome, " {display_name} ". You will sign in as " <strong>{email}</strong> "."</p>
        <Show when=move || hydrated.get() fallback=|| view! { <p class="notice">"Setting up an account needs JavaScript."</p> }>
            {move || match step.get() {
                SetUpStep::Choose => view! {
                    <div class="choice">
                        <h2>"Sign in with a passkey (recommended)"</h2>
                        <p>"Use your phone's or computer's screen lock. Nothing to remember."</p>
                        <button type="button" class="button" id="setup-passkey" on:click=with_passkey disabled=busy>
                            {move || if busy.get() { "Waiting for your device…" } else { "Create a passkey" }}
                        </button>
                    </div>
                    <div class="choice">
                        <h2>"Or: a password and an authenticator app"</h2>
                        <form class="form" on:submit=set_pw>
                            <div class="field">
                                <label for="setup-password">"Choose a password"</label>
                                <p class="field__hint" id="setup-password-hint">"At least 12 characters. A few unrelated words work well."</p>
                                <input id="setup-password" type="password" autocomplete="new-password" aria-describedby="setup-password-hint"
                                    prop:value=password on:input=move |ev| set_password.set(event_target_value(&ev)) required />
                            </div>
                            <button type="submit" class="button button--secondary" id="setup-password-submit" disabled=busy>"Continue"</button>
                        </form>
                    </div>
                    {move || error.get().map(|message| view! { <p class="notice notice--error" role="alert" id="setup-error">{message}</p> })}
                }.into_any(),
                SetUpStep::Totp(enrolment) => view! {
                    <TotpSetup enrolment on_code=confirm busy=busy.into() error=error.into() />
                }.into_any(),
                SetUpStep::Done(codes) => view! {
                    <RecoveryCodes codes />
                    <a class="button" href="/account/security" rel="external" id="setup-done">"I have saved them — continue"</a>
                }.into_any(),
            }}
        </Show>
    }
    .into_any()
}

/// `/staff/invitations`: invite people and see or revoke invitations.
#[component]
pub fn InvitationsPage() -> impl IntoView {
    use leptos_meta::Title;

    let invite = ServerAction::<InvitePerson>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let list = Resource::new(
        move || (invite.version().get(), revoke.version().get()),
        |_| list_invitations(),
    );
    let customers = Resource::new(|| (), |_| invitation_customers());
    let (kind, set_kind) = signal("contact".to_owned());
    let invite_error = move || {
        invite
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let invite_ok = move || matches!(invite.value().get(), Some(Ok(_)));

    view! {
        <Title text="Invitations" />
        <section class="account" aria-labelledby="invitations-title">
            <h1 id="invitations-title">"Invitations"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match customers.await {
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                        Ok(customers) => view! {
                            <ActionForm action=invite attr:class="form card">
                                <h2>"Invite someone"</h2>
                                <fieldset class="field">
                                    <legend>"Who"</legend>
                                    <label><input type="radio" name="kind" value="contact" checked=true on:change=move |_| set_kind.set("contact".into()) />" A customer's contact"</label>
                                    <label><input type="radio" name="kind" value="staff" on:change=move |_| set_kind.set("staff".into()) />" A colleague"</label>
                                </fieldset>
                                <div class="field">
                                    <label for="invite-name">"Name"</label>
                                    <input id="invite-name" name="display_name" type="text" autocomplete="off" required />
                                </div>
                                <div class="field">
                                    <label for="invite-email">"E-mail address"</label>
                                    <input id="invite-email" name="email" type="email" autocomplete="off" required />
                                </div>
                                <Show when=move || kind.get() == "contact">
                                    <div class="field">
                                        <label for="invite-customer">"Customer account"</label>
                                        <select id="invite-customer" name="customer_id">
                                            {customers.clone().into_iter().map(|c| view! { <option value=c.id.to_string()>{c.name}</option> }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field">
                                        <label for="invite-scope">"May"</label>
                                        <select id="invite-scope" name="scope">
                                            <option value="owner">"do everything (owner)"</option>
                                            <option value="payer">"see jobs, see and pay invoices (payer)"</option>
                                            <option value="viewer">"see jobs and documents only (viewer)"</option>
                                        </select>
                                    </div>
                                </Show>
                                <Show when=move || kind.get() == "staff">
                                    <div class="field">
                                        <label for="invite-role">"Role"</label>
                                        <select id="invite-role" name="role">
                                            <option value="office">"Office"</option>
                                            <option value="crew">"Crew"</option>
                                            <option value="admin">"Admin"</option>
                                        </select>
                                    </div>
                                </Show>
                                {move || invite_error().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                                {move || invite_ok().then(|| view! { <p class="notice" role="status">"Invitation sent."</p> })}
                                <button type="submit" class="button">"Send invitation"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <h2>"Sent invitations"</h2>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">"No invitations yet."</p> }.into_any(),
                        Ok(rows) => view! {
                            <ul class="item-list" id="invitation-list">
                                {rows.into_iter().map(|row| {
                                    let open = row.state == "open";
                                    view! {
                                        <li class="item">
                                            <div>
                                                <p class="item__title">{row.display_name.clone()} " · " {row.email.clone()}</p>
                                                <p class="item__meta"><span class=format!("badge badge--{}", row.state)>{row.state.clone()}</span>
                                                    " · expires " {row.expires_at.replace('T', " ").chars().take(16).collect::<String>()} " UTC"</p>
                                            </div>
                                            {open.then(|| view! {
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="id" value=row.id />
                                                    <button type="submit" class="button button--secondary">"Revoke"</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}
