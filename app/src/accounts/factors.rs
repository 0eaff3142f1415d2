//! Second factors and passwords on the security page and during invitation set-up:
//! enrolling an authenticator app (QR code + text secret, confirmed with a code), recovery
//! codes shown once, and changing the password.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PorticoError;

/// What a person needs to add Portico to an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// Base32, for typing in by hand.
    pub secret: String,
    /// The same as a QR code, as SVG markup rendered on the server.
    pub qr_svg: String,
}

/// What the security page shows about the person's factors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorOverview {
    pub has_password: bool,
    pub has_totp: bool,
    pub recovery_codes_left: u64,
}

/// A TOTP secret waiting for its first code, as the session keeps it: sealed with the at-rest
/// key (session rows sit in the database too). Deliberately neither `Debug` nor readable.
#[cfg(feature = "ssr")]
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PendingTotp {
    pub user_id: i32,
    sealed_secret: String,
}

/// What sealed pending secrets are bound to, so one cannot stand in for another.
#[cfg(feature = "ssr")]
pub(crate) fn pending_context(what: &str, user_id: i32) -> String {
    format!("session:{what}:user:{user_id}")
}

/// A new secret for `email`, kept in the session until confirmed.
#[cfg(feature = "ssr")]
pub(crate) async fn new_enrolment(
    user_id: i32,
    email: &str,
) -> Result<TotpEnrolment, PorticoError> {
    use portico_domain::accounts::{session::keys, totp::TotpSecret};

    use crate::server::{accounts, db, session, session_error};

    let issuer = portico_domain::company::name_or_portico(&db()?).await;
    let secret = TotpSecret::generate(&issuer, email)?;
    let url = secret.provisioning_url()?;
    let qr_svg = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| {
            tracing::error!(error = %e, "QR code");
            PorticoError::Internal
        })?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    session()?
        .insert(
            keys::TOTP_ENROLMENT,
            PendingTotp {
                user_id,
                sealed_secret: accounts()?
                    .at_rest
                    .seal(&secret.base32(), &pending_context("totp", user_id))?,
            },
        )
        .await
        .map_err(session_error)?;
    Ok(TotpEnrolment {
        secret: secret.base32(),
        qr_svg,
    })
}

/// Checks a code against the pending secret; returns the secret and the code's time step.
#[cfg(feature = "ssr")]
pub(crate) async fn check_enrolment(
    user_id: i32,
    code: &str,
) -> Result<(String, i64), PorticoError> {
    use portico_domain::accounts::{session::keys, totp::TotpSecret};

    use crate::server::{accounts, session, session_error};

    let pending = session()?
        .get::<PendingTotp>(keys::TOTP_ENROLMENT)
        .await
        .map_err(session_error)?
        .filter(|p| p.user_id == user_id)
        .ok_or_else(|| {
            PorticoError::Conflict("That step has expired. Please start it again.".to_owned())
        })?;
    let plain = accounts()?
        .at_rest
        .open(&pending.sealed_secret, &pending_context("totp", user_id))?;
    let secret = TotpSecret::from_base32(&plain, "Portico", "enrolment")?;
    let step = secret
        .accept(code, accounts()?.clock.now(), None)
        .ok_or_else(|| PorticoError::Invalid {
            field: "code".to_owned(),
            message:
                "That code does not match. Check the time on your phone and enter the current code."
                    .to_owned(),
        })?;
    Ok((plain, step))
}

/// Where the person's factors stand.
#[server(name = MyFactors, prefix = "/api", endpoint = "accounts/my_factors")]
pub async fn my_factors() -> Result<FactorOverview, PorticoError> {
    use portico_domain::{accounts::factors, policy::Action};

    use crate::server::{authorize, db};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let overview = factors::overview(&db()?, user_id).await?;
    Ok(FactorOverview {
        has_password: overview.has_password,
        has_totp: overview.has_totp,
        recovery_codes_left: overview.recovery_codes_left,
    })
}

/// Starts enrolling (or replacing) the authenticator app.
#[server(name = TotpEnrolmentStart, prefix = "/api", endpoint = "accounts/totp_enrolment_start")]
pub async fn totp_enrolment_start() -> Result<TotpEnrolment, PorticoError> {
    use portico_domain::policy::Action;

    use crate::server::{authorize, db};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    super::reauth::require_recent_proof().await?;
    let person = crate::server::signed_in_person(&db()?, user_id).await?;
    new_enrolment(user_id, &person.email).await
}

/// Confirms the new authenticator with a code; it replaces the old one. Returns new recovery
/// codes (shown once).
#[server(name = TotpEnrolmentConfirm, prefix = "/api", endpoint = "accounts/totp_enrolment_confirm")]
pub async fn totp_enrolment_confirm(code: String) -> Result<Vec<String>, PorticoError> {
    use portico_domain::{
        accounts::{factors, session::keys},
        policy::Action,
    };

    use crate::server::{accounts, authorize, db, session, session_error, stamp};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    super::reauth::require_recent_proof().await?;
    let (secret, step) = check_enrolment(user_id, &code).await?;
    let codes = factors::enrol_authenticator(
        &db()?,
        &accounts()?.at_rest,
        &stamp(&actor)?,
        user_id,
        &secret,
        step,
    )
    .await?;
    let _ = session()?
        .remove_value(keys::TOTP_ENROLMENT)
        .await
        .map_err(session_error)?;
    Ok(codes)
}

/// Replaces the recovery codes with ten new ones (the old ones stop working).
#[server(name = RegenerateRecoveryCodes, prefix = "/api", endpoint = "accounts/regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes() -> Result<Vec<String>, PorticoError> {
    use portico_domain::{accounts::factors, policy::Action};

    use crate::server::{authorize, db, stamp};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    super::reauth::require_recent_proof().await?;
    let codes = factors::regenerate_recovery_codes(&db()?, &stamp(&actor)?, user_id).await?;
    Ok(codes)
}

/// Changes the password; the current one is required (when there is one). Other sessions
/// end when `end_other_sessions` is set.
#[server(name = ChangePassword, prefix = "/api", endpoint = "accounts/change_password")]
pub async fn change_password(
    current: String,
    new_password: String,
    end_other_sessions: Option<String>,
) -> Result<u64, PorticoError> {
    use portico_domain::{
        accounts::{
            password_change::{self, PasswordChange},
            session,
        },
        policy::Action,
    };

    use crate::server::{accounts, authorize, db, request_origin};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    super::reauth::require_recent_proof().await?;
    let accounts = accounts()?;
    let origin = request_origin();
    super::sign_in::check_address_limit(&accounts, &origin)?;
    let _one_at_a_time = accounts.one_check_for(user_id)?;
    let keep = if end_other_sessions.is_some_and(|v| !v.is_empty() && v != "false") {
        crate::server::session()?
            .id()
            .map(|id| session::storage_key(&id.to_string()))
    } else {
        None
    };
    Ok(password_change::change(
        &db()?,
        &accounts.hasher,
        accounts.clock.now(),
        PasswordChange {
            user_id,
            current: &current,
            new_password: &new_password,
            end_others_except: keep.as_deref(),
        },
        &origin,
    )
    .await?)
}

/// The security page's section on the password, the authenticator app and recovery codes.
#[component]
pub fn FactorsSection() -> impl IntoView {
    use super::set_up::{RecoveryCodes, TotpSetup};

    let change = ServerAction::<ChangePassword>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let (enrolled, set_enrolled) = signal(0u32);
    let overview = Resource::new(
        move || {
            (
                change.version().get(),
                regenerate.version().get(),
                enrolled.get(),
            )
        },
        |_| my_factors(),
    );
    let (enrolment, set_enrolment) = signal(None::<TotpEnrolment>);
    let (new_codes, set_new_codes) = signal(None::<Vec<String>>);
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<String>);
    let (confirm_regenerate, set_confirm_regenerate) = signal(false);

    Effect::new(move |_| {
        if let Some(Ok(codes)) = regenerate.value().get() {
            set_new_codes.set(Some(codes));
            set_confirm_regenerate.set(false);
        }
    });

    let start_totp = move |_| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        leptos::task::spawn_local(async move {
            set_error.set(None);
            match totp_enrolment_start().await {
                Ok(e) => set_enrolment.set(Some(e)),
                Err(e) => set_error.set(Some(e.to_string())),
            }
        });
    };
    let confirm = Callback::new(move |code: String| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        leptos::task::spawn_local(async move {
            set_busy.set(true);
            let result = totp_enrolment_confirm(code).await;
            set_busy.set(false);
            match result {
                Ok(codes) => {
                    set_enrolment.set(None);
                    set_new_codes.set(Some(codes));
                    set_enrolled.update(|n| *n += 1);
                }
                Err(e) => set_error.set(Some(e.to_string())),
            }
        });
        #[cfg(not(any(feature = "hydrate", feature = "csr")))]
        let _ = (code, &set_busy, &set_enrolled, &set_new_codes);
    });
    #[cfg(not(any(feature = "hydrate", feature = "csr")))]
    let _ = (&set_enrolment, &start_totp, &set_error);
    let change_error = move || {
        change
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let change_ok = move || change.value().get().and_then(Result::ok);

    view! {
        <section class="card" aria-labelledby="factors-title">
            <h2 id="factors-title">"Password and authenticator app"</h2>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    overview.await.map(|o| view! {
                        <ul class="facts">
                            <li>{if o.has_password { "A password is set." } else { "No password: you sign in with a passkey." }}</li>
                            <li>{if o.has_totp { "An authenticator app is set up." } else { "No authenticator app yet." }}</li>
                            <li>{format!("{} unused recovery code(s).", o.recovery_codes_left)}</li>
                        </ul>
                    }.into_any()).unwrap_or_else(|e| view! { <p class="notice notice--error">{e.to_string()}</p> }.into_any())
                })}
            </Suspense>
            {move || new_codes.get().map(|codes| view! { <RecoveryCodes codes /> })}
            {move || match enrolment.get() {
                Some(e) => view! { <TotpSetup enrolment=e on_code=confirm busy=busy.into() error=error.into() /> }.into_any(),
                None => view! {
                    <button type="button" class="button button--secondary" id="totp-start" on:click=start_totp>"Set up or replace the authenticator app"</button>
                    {move || error.get().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                }.into_any(),
            }}
            <div class="danger-zone">
                <Show when=move || confirm_regenerate.get() fallback=move || view! {
                    <button type="button" class="button button--secondary" on:click=move |_| set_confirm_regenerate.set(true)>"New recovery codes"</button>
                }>
                    <ActionForm action=regenerate>
                        <p>"Your current recovery codes will stop working."</p>
                        <button type="submit" class="button button--danger">"Make new codes"</button>
                        <button type="button" class="link-button" on:click=move |_| set_confirm_regenerate.set(false)>"Cancel"</button>
                    </ActionForm>
                </Show>
            </div>
            <ActionForm action=change attr:class="form">
                <h3>"Change your password"</h3>
                <div class="field">
                    <label for="current-password">"Current password"</label>
                    <input id="current-password" name="current" type="password" autocomplete="current-password" />
                </div>
                <div class="field">
                    <label for="new-password">"New password"</label>
                    <p class="field__hint" id="new-password-hint">"At least 12 characters."</p>
                    <input id="new-password" name="new_password" type="password" autocomplete="new-password" aria-describedby="new-password-hint" required />
                </div>
                <label class="check"><input type="checkbox" name="end_other_sessions" value="true" checked=true />" Sign out my other sessions"</label>
                {move || change_error().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                {move || change_ok().map(|n| view! { <p class="notice" role="status">{format!("Password changed; {n} other session(s) signed out.")}</p> })}
                <button type="submit" class="button">"Change password"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}
