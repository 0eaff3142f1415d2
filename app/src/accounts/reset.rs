//! "Forgot your password?": a link by e-mail, then a new password confirmed with the second
//! factor. The reset does not sign in.

use leptos::prelude::*;

use crate::PorticoError;

/// Sends a reset link when the address has an account; answers the same either way.
#[server(name = RequestPasswordReset, prefix = "/api", endpoint = "accounts/request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::resets,
        audit::{self, AuditAction, AuditEntry},
        company,
    };

    use crate::server::{accounts, answer, db, request_origin};

    answer(async {
        let accounts = accounts()?;
        let origin = request_origin();
        super::sign_in::check_address_limit(&accounts, &origin)?;
        let now = accounts.clock.now();
        let db = db()?;
        let company_name = company::profile(&db)
            .await
            .map(|c| c.name)
            .unwrap_or_else(|_| "Portico".to_owned());
        if resets::request(&db, now, &email, &company_name, &accounts.public_url).await? {
            accounts.mail_waiting();
            if let Some(person) =
                portico_domain::accounts::sign_in::find_user_by_email(&db, &email).await?
            {
                audit::record(
                    &db,
                    now,
                    AuditEntry {
                        actor_user_id: None,
                        action: AuditAction::PasswordResetRequested,
                        subject: format!("user:{}", person.id),
                        origin: &origin,
                        detail: None,
                    },
                )
                .await?;
            }
        }
        Ok(())
    })
    .await
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
        accounts::{password, resets, session, sign_in},
        audit::{self, AuditAction, AuditEntry},
        company,
    };

    use crate::server::{accounts, answer, db, request_origin};

    answer(async {
        let accounts = accounts()?;
        let origin = request_origin();
        super::sign_in::check_address_limit(&accounts, &origin)?;
        let now = accounts.clock.now();
        let db = db()?;
        let (reset, person) = resets::open(&db, now, &token).await?.ok_or_else(|| {
            PorticoError::Conflict("This reset link has expired or was already used. Ask for a new one.".to_owned())
        })?;
        password::check_new_password(&new_password, &[&person.email, &person.display_name])?;
        let issuer = company::profile(&db).await.map(|c| c.name).unwrap_or_else(|_| "Portico".to_owned());
        if sign_in::check_second_factor(&db, now, &issuer, person.id, &code, &origin).await?.is_err() {
            return Err(PorticoError::Invalid {
                field: "code".to_owned(),
                message: "That code did not work. Use the current code from your authenticator app, or a recovery code.".to_owned(),
            });
        }
        let hash = accounts.hasher.hash(&new_password).await?;
        if !resets::mark_used(&db, now, reset.id).await? {
            return Err(PorticoError::Conflict("This reset link was already used.".to_owned()));
        }
        sign_in::save_password_hash(&db, now, person.id, &hash).await?;
        session::end_all(&db, person.id, None).await?;
        audit::record(
            &db,
            now,
            AuditEntry {
                actor_user_id: Some(person.id),
                action: AuditAction::PasswordReset,
                subject: format!("user:{}", person.id),
                origin: &origin,
                detail: Some("by e-mail link and second factor; all sessions ended".to_owned()),
            },
        )
        .await?;
        Ok(())
    })
    .await
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

/// `/reset-password/:token`.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    use leptos_meta::Title;
    use leptos_router::hooks::use_params_map;

    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let action = ServerAction::<ResetPassword>::new();
    let done = move || matches!(action.value().get(), Some(Ok(())));
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
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
                        <input id="reset-password" name="new_password" type="password" autocomplete="new-password" aria-describedby="reset-password-hint" required />
                    </div>
                    <div class="field">
                        <label for="reset-code">"Code from your authenticator app, or a recovery code"</label>
                        <input id="reset-code" name="code" type="text" autocomplete="one-time-code" required />
                    </div>
                    {move || error().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                    <button type="submit" class="button">"Set new password"</button>
                    <p class="field__hint">"Lost your phone and your recovery codes? Ask us to re-invite you."</p>
                </ActionForm>
            }>
                <p class="notice" role="status">"Your password has been changed and you were signed out everywhere."</p>
                <a class="button" href="/sign-in">"Sign in"</a>
            </Show>
        </section>
    }
    .into_any()
}
