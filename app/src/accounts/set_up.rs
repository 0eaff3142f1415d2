//! The invited person's side: opening the link and setting up the account with a passkey, or
//! a password with an authenticator app (and recovery codes, shown once). The link never signs
//! anyone in by itself; finishing the set-up does.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use webauthn_rs_proto::{CreationChallengeResponse, RegisterPublicKeyCredential};

use super::factors::TotpEnrolment;
use crate::PorticoError;

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

/// The state of an invitation link, for the page it opens. Public: the token is the secret.
#[server(name = InvitationStatusOf, prefix = "/api", endpoint = "accounts/invitation_status")]
pub async fn invitation_status(token: String) -> Result<InvitationStatus, PorticoError> {
    use portico_domain::accounts::invitations::{self, InvitationState};

    use crate::server::{accounts, db};

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

    use crate::server::{accounts, db, session, session_error};

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

    use crate::server::{accounts, db, request_origin, session, session_error};

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
    match set_up::with_passkey(&db, &accounts.passkeys, finish, &name, &credential, &state).await? {
        Ok(_) => sign_in_after_set_up(person.id, now, &origin).await,
        Err(_) => Err(PorticoError::PasskeyRefused),
    }
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

    use crate::server::{accounts, db, session, session_error};

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
}

/// Set-up with a password, step two: a code from the app confirms it; password, app and ten
/// recovery codes are stored together, the invitation is used and the person signed in.
#[server(name = InvitationConfirmTotp, prefix = "/api", endpoint = "accounts/invitation_confirm_totp")]
pub async fn invitation_confirm_totp(
    token: String,
    code: String,
) -> Result<Vec<String>, PorticoError> {
    use portico_domain::accounts::{session::keys, set_up};

    use crate::server::{accounts, db, request_origin, session, session_error};

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
    let codes = set_up::with_password(&db, &accounts.at_rest, finish, &hash, &secret, step).await?;
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
