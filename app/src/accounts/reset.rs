//! "Forgot your password?": a link by e-mail, then a new password confirmed with the second
//! factor. The reset does not sign in.

use leptos::prelude::*;

use crate::PorticoError;

/// Sends a reset link when the address has an account; answers the same either way.
#[server(name = RequestPasswordReset, prefix = "/api", endpoint = "accounts/request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), PorticoError> {
    use portico_domain::{accounts::resets, company};

    use crate::server::{accounts, db, request_origin};

    let accounts = accounts()?;
    let origin = request_origin();
    super::sign_in::check_address_limit(&accounts, &origin)?;
    let now = accounts.clock.now();
    let db = db()?;
    let company_name = company::name_or_portico(&db).await;
    let outcome = resets::request(
        &db,
        now,
        &email,
        &company_name,
        &accounts.public_url,
        &origin,
    )
    .await?;
    if outcome == resets::ResetRequest::Sent {
        accounts.mail_waiting();
    }
    Ok(())
}

/// Sets a new password from a reset link, with an authenticator or recovery code. Every
/// session of the person ends; they then sign in with the new password.
#[server(name = ResetPassword, prefix = "/api", endpoint = "accounts/reset_password")]
pub async fn reset_password(
    token: String,
    code: String,
    new_password: String,
) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::{password, resets, sign_in},
        company,
    };

    use crate::server::{accounts, db, request_origin};

    let accounts = accounts()?;
    let origin = request_origin();
    super::sign_in::check_address_limit(&accounts, &origin)?;
    let now = accounts.clock.now();
    let db = db()?;
    let (reset, person) = resets::open(&db, now, &token).await?.ok_or_else(expired)?;
    password::check_new_password(&new_password, &[&person.email, &person.display_name])?;
    let issuer = company::name_or_portico(&db).await;
    if sign_in::check_second_factor(
        &db,
        &accounts.at_rest,
        now,
        &issuer,
        person.id,
        &code,
        &origin,
    )
    .await?
    .is_err()
    {
        return Err(PorticoError::Invalid {
            field: "code".to_owned(),
            message: "That code did not work. Use the current code from your authenticator app, or a recovery code.".to_owned(),
        });
    }
    finish_reset(
        &db,
        &accounts,
        reset.id,
        person.id,
        &new_password,
        "by e-mail link and second factor",
    )
    .await
}

/// The reset link's person confirms with a passkey instead of a code: step one.
#[server(name = ResetPasswordPasskeyStart, prefix = "/api", endpoint = "accounts/reset_password_passkey_start")]
pub async fn reset_password_passkey_start(
    token: String,
) -> Result<webauthn_rs_proto::RequestChallengeResponse, PorticoError> {
    use portico_domain::accounts::resets;

    use crate::server::{accounts, db, session, session_error};

    let accounts = accounts()?;
    let db = db()?;
    let (_, person) = resets::open(&db, accounts.clock.now(), &token)
        .await?
        .ok_or_else(expired)?;
    let (challenge, state) = accounts
        .passkeys
        .start_confirmation(&db, person.id)
        .await?
        .ok_or_else(|| {
            PorticoError::Conflict("You have no passkey; use a code instead.".to_owned())
        })?;
    session()?
        .insert(RESET_PASSKEY, (person.id, state))
        .await
        .map_err(session_error)?;
    Ok(challenge)
}

/// Step two: the passkey's answer confirms the reset; the new password is stored.
#[server(
    name = ResetPasswordWithPasskey,
    prefix = "/api",
    endpoint = "accounts/reset_password_with_passkey",
    input = server_fn::codec::Json
)]
pub async fn reset_password_with_passkey(
    token: String,
    new_password: String,
    credential: webauthn_rs_proto::PublicKeyCredential,
) -> Result<(), PorticoError> {
    use portico_domain::accounts::{password, resets};
    use webauthn_rs::prelude::PasskeyAuthentication;

    use crate::server::{accounts, db, request_origin, session, session_error};

    let accounts = accounts()?;
    let origin = request_origin();
    super::sign_in::check_address_limit(&accounts, &origin)?;
    let now = accounts.clock.now();
    let db = db()?;
    let (reset, person) = resets::open(&db, now, &token).await?.ok_or_else(expired)?;
    password::check_new_password(&new_password, &[&person.email, &person.display_name])?;
    let (for_user, state) = session()?
        .remove::<(i32, PasskeyAuthentication)>(RESET_PASSKEY)
        .await
        .map_err(session_error)?
        .filter(|(for_user, _)| *for_user == person.id)
        .ok_or_else(|| {
            PorticoError::Conflict("That step has expired. Please start it again.".to_owned())
        })?;
    if accounts
        .passkeys
        .finish_confirmation(&db, now, for_user, &credential, &state)
        .await?
        .is_err()
    {
        return Err(PorticoError::PasskeyRefused);
    }
    finish_reset(
        &db,
        &accounts,
        reset.id,
        person.id,
        &new_password,
        "by e-mail link and passkey",
    )
    .await
}

#[cfg(feature = "ssr")]
const RESET_PASSKEY: &str = "reset_passkey";

#[cfg(feature = "ssr")]
fn expired() -> PorticoError {
    PorticoError::Conflict(
        "This reset link has expired or was already used. Ask for a new one.".to_owned(),
    )
}

/// Hashes the new password and hands it to the domain, which uses up the link, stores the
/// hash, ends every session and records it, in one transaction.
#[cfg(feature = "ssr")]
async fn finish_reset(
    db: &portico_domain::DatabaseConnection,
    accounts: &crate::server::AccountsContext,
    reset_id: i32,
    user_id: i32,
    new_password: &str,
    how: &str,
) -> Result<(), PorticoError> {
    use portico_domain::{accounts::resets, audit::Stamp};

    let hash = accounts.hasher.hash(new_password).await?;
    let stamp = Stamp::new(
        accounts.clock.now(),
        Some(user_id),
        crate::server::request_origin(),
    );
    resets::complete(db, &stamp, reset_id, user_id, &hash, how).await?;
    Ok(())
}

/// `/forgot-password`.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    use leptos_meta::Title;

    let action = ServerAction::<RequestPasswordReset>::new();
    let done = move || matches!(action.value().get(), Some(Ok(())));
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Forgot your password" />
        <section class="auth" aria-labelledby="forgot-title">
            <h1 id="forgot-title">"Forgot your password?"</h1>
            <Show when=done fallback=move || view! {
                <ActionForm action attr:class="form">
                    <div class="field">
                        <label for="forgot-email">"Your e-mail address"</label>
                        <input id="forgot-email" name="email" type="email" autocomplete="username" required />
                    </div>
                    {move || error().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                    <button type="submit" class="button">"Send me a link"</button>
                </ActionForm>
            }>
                <p class="notice" role="status" id="forgot-sent">
                    "If that address has an account with a password, we have sent it a link. It works for one hour."
                </p>
            </Show>
            <p class="form__aside"><a href="/sign-in">"Back to sign in"</a></p>
        </section>
    }
    .into_any()
}

/// `/reset-password/:token`: a new password, confirmed with a code or with a passkey.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    use leptos_meta::Title;
    use leptos_router::hooks::use_params_map;

    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let action = ServerAction::<ResetPassword>::new();
    let (by_passkey, set_by_passkey) = signal(false);
    let (passkey_error, set_passkey_error) = signal(None::<String>);
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let password_input = NodeRef::<leptos::html::Input>::new();
    let done = move || matches!(action.value().get(), Some(Ok(()))) || by_passkey.get();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let with_passkey = move |_| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        leptos::task::spawn_local(async move {
            set_passkey_error.set(None);
            let new_password = password_input
                .get_untracked()
                .map(|i| i.value())
                .unwrap_or_default();
            let token = token();
            let result = async {
                let challenge = reset_password_passkey_start(token.clone())
                    .await
                    .map_err(|e| e.to_string())?;
                let credential = super::passkeys::browser::get(challenge, None).await?;
                reset_password_with_passkey(token, new_password, credential)
                    .await
                    .map_err(|e| e.to_string())
            }
            .await;
            match result {
                Ok(()) => set_by_passkey.set(true),
                Err(message) => set_passkey_error.set(Some(message)),
            }
        });
    };
    #[cfg(not(any(feature = "hydrate", feature = "csr")))]
    let _ = (&set_by_passkey, &set_passkey_error, &with_passkey);
    view! {
        <Title text="Choose a new password" />
        <section class="auth" aria-labelledby="reset-title">
            <h1 id="reset-title">"Choose a new password"</h1>
            <Show when=done fallback=move || view! {
                <ActionForm action attr:class="form">
                    <input type="hidden" name="token" value=token />
                    <div class="field">
                        <label for="reset-password">"New password"</label>
                        <p class="field__hint" id="reset-password-hint">"At least 12 characters."</p>
                        <input id="reset-password" name="new_password" type="password" autocomplete="new-password"
                            aria-describedby="reset-password-hint" node_ref=password_input required />
                    </div>
                    <div class="field">
                        <label for="reset-code">"Code from your authenticator app, or a recovery code"</label>
                        <input id="reset-code" name="code" type="text" autocomplete="one-time-code" />
                    </div>
                    {move || error().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                    <button type="submit" class="button">"Set new password"</button>
                </ActionForm>
                <Show when=move || hydrated.get()>
                    <p class="divider"><span>"or"</span></p>
                    <button type="button" class="button button--secondary" id="reset-with-passkey" on:click=with_passkey>
                        "Confirm with a passkey instead"
                    </button>
                    {move || passkey_error.get().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                </Show>
                <p class="field__hint">"Lost your phone, your passkeys and your recovery codes? Ask us to re-invite you."</p>
            }>
                <p class="notice" role="status">"Your password has been changed and you were signed out everywhere."</p>
                <a class="button" href="/sign-in">"Sign in"</a>
            </Show>
        </section>
    }
    .into_any()
}
