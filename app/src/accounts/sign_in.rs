//! Signing in with e-mail, password and a second factor; signing out; who is signed in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::SignedInUser;
use crate::PorticoError;

/// Where the sign-in stands after the password step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInProgress {
    /// The password was accepted; a TOTP code or a recovery code must follow.
    SecondFactorNeeded,
}

/// How long after the password the second factor may come.
#[cfg(feature = "ssr")]
const SECOND_FACTOR_WINDOW_SECS: i64 = 5 * 60;

#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct PendingSecondFactor {
    user_id: i32,
    at: i64,
}

/// The person signed in on this session, if any.
#[server(name = CurrentUser, prefix = "/api", endpoint = "accounts/current_user")]
pub async fn current_user() -> Result<Option<SignedInUser>, PorticoError> {
    use portico_domain::policy::Actor;

    use super::Role;
    use crate::server::{current_actor, db};

    let actor = current_actor().await?;
    // Read before anything else this page shows, so that news after it is not missed.
    let live_after = portico_domain::live::newest(&db()?).await?;
    let role = match &actor {
        Actor::Anonymous => return Ok(None),
        Actor::Staff { role, .. } => Role::of(Some(*role)),
        Actor::Contact { .. } => Role::Customer,
    };
    let Some(user_id) = actor.user_id() else {
        return Ok(None);
    };
    let person = crate::server::signed_in_person(&db()?, user_id).await?;
    let sees_outgoing_mail =
        matches!(role, Role::Admin | Role::Office) && crate::server::accounts()?.demo;
    let counts = match role {
        Role::Customer => crate::portal::my_counts().await.ok(),
        _ => None,
    };
    Ok(Some(SignedInUser {
        display_name: person.display_name,
        email: person.email,
        role,
        sees_outgoing_mail,
        counts,
        live_after,
    }))
}

/// Whether this session is waiting for the second factor (so a reload keeps the step).
#[server(name = SignInState, prefix = "/api", endpoint = "accounts/sign_in_state")]
pub async fn awaiting_second_factor() -> Result<bool, PorticoError> {
    use portico_domain::accounts::session::keys;

    use crate::server::{accounts, session, session_error};

    let now = accounts()?.clock.now().timestamp();
    let pending = session()?
        .get::<PendingSecondFactor>(keys::PENDING_SECOND_FACTOR)
        .await
        .map_err(session_error)?;
    Ok(pending.is_some_and(|p| now - p.at <= SECOND_FACTOR_WINDOW_SECS))
}

/// Step one: e-mail and password. Every failure is the same [`PorticoError::SignInRefused`].
#[server(name = SignInWithPassword, prefix = "/api", endpoint = "accounts/sign_in_password")]
pub async fn sign_in_with_password(
    email: String,
    password: String,
) -> Result<SignInProgress, PorticoError> {
    use portico_domain::accounts::{session::keys, sign_in};

    use crate::server::{accounts, db, request_origin, session, session_error};

    let accounts = accounts()?;
    let origin = request_origin();
    check_address_limit(&accounts, &origin)?;
    let now = accounts.clock.now();
    let session = session()?;
    let outcome =
        sign_in::check_password(&db()?, &accounts.hasher, now, &email, &password, &origin).await?;
    match outcome {
        Ok(user_id) => {
            session
                .insert(
                    keys::PENDING_SECOND_FACTOR,
                    PendingSecondFactor {
                        user_id,
                        at: now.timestamp(),
                    },
                )
                .await
                .map_err(session_error)?;
            Ok(SignInProgress::SecondFactorNeeded)
        }
        Err(sign_in::Refused) => Err(PorticoError::SignInRefused),
    }
}

/// Step two: a TOTP code or a recovery code. On success the session gets a new id.
#[server(name = SignInSecondFactor, prefix = "/api", endpoint = "accounts/sign_in_second_factor")]
pub async fn sign_in_second_factor(code: String) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::{session::keys, sign_in},
        audit::Stamp,
        company,
    };

    use crate::server::{accounts, db, request_origin, session, session_error};

    let accounts = accounts()?;
    let origin = request_origin();
    check_address_limit(&accounts, &origin)?;
    let now = accounts.clock.now();
    let session = session()?;
    let pending = session
        .get::<PendingSecondFactor>(keys::PENDING_SECOND_FACTOR)
        .await
        .map_err(session_error)?
        .filter(|p| now.timestamp() - p.at <= SECOND_FACTOR_WINDOW_SECS)
        .ok_or(PorticoError::SignInExpired)?;
    let db = db()?;
    let issuer = company::name_or_portico(&db).await;
    let factor = match sign_in::check_second_factor(
        &db,
        &accounts.at_rest,
        now,
        &issuer,
        pending.user_id,
        &code,
        &origin,
    )
    .await?
    {
        Ok(factor) => factor,
        Err(sign_in::Refused) => return Err(PorticoError::SignInRefused),
    };
    begin_signed_in_session(&session, pending.user_id, now, &origin).await?;
    let how = match factor {
        sign_in::SecondFactor::Totp => "password and authenticator code",
        sign_in::SecondFactor::RecoveryCode => "password and recovery code",
    };
    portico_domain::accounts::session::signed_in(
        &db,
        &Stamp::new(now, Some(pending.user_id), origin),
        pending.user_id,
        how,
    )
    .await?;
    Ok(())
}

/// Ends this session on the server; the old cookie is worthless afterwards. The browser goes
/// to the home page: the page it came from is behind the sign-in, so a plain form's usual
/// "back to where you were" would only bounce it to the sign-in page.
#[server(name = SignOut, prefix = "/api", endpoint = "accounts/sign_out")]
pub async fn sign_out() -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::session::{self, keys},
        audit::Stamp,
    };

    use crate::server::{accounts, db, request_origin, session_error};

    let session = crate::server::session()?;
    let user_id = session
        .get::<i32>(keys::USER_ID)
        .await
        .map_err(session_error)?;
    session.flush().await.map_err(session_error)?;
    if let Some(user_id) = user_id {
        session::signed_out(
            &db()?,
            &Stamp::new(accounts()?.clock.now(), Some(user_id), request_origin()),
        )
        .await?;
    }
    leptos_axum::redirect("/");
    Ok(())
}

/// Starts the signed-in session: a new id (the old one is deleted), who, when, from where.
#[cfg(feature = "ssr")]
pub(crate) async fn begin_signed_in_session(
    session: &tower_sessions::Session,
    user_id: i32,
    now: chrono::DateTime<chrono::Utc>,
    origin: &portico_domain::audit::RequestOrigin,
) -> Result<(), PorticoError> {
    use portico_domain::accounts::session::keys;

    use crate::server::session_error;

    session.clear().await;
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(keys::USER_ID, user_id)
        .await
        .map_err(session_error)?;
    session
        .insert(keys::SIGNED_IN_AT, now.timestamp())
        .await
        .map_err(session_error)?;
    session
        .insert(keys::LAST_SEEN, now.timestamp())
        .await
        .map_err(session_error)?;
    // Signing in is a proof: changes to the sign-in methods need no second one for a while.
    session
        .insert(keys::PROVEN_AT, now.timestamp())
        .await
        .map_err(session_error)?;
    if let Some(ip) = &origin.ip {
        session.insert(keys::IP, ip).await.map_err(session_error)?;
    }
    if let Some(agent) = &origin.user_agent {
        session
            .insert(keys::USER_AGENT, agent)
            .await
            .map_err(session_error)?;
    }
    Ok(())
}

/// The per-address limit on sign-in attempts, checked before any password work.
#[cfg(feature = "ssr")]
pub(crate) fn check_address_limit(
    accounts: &crate::server::AccountsContext,
    origin: &portico_domain::audit::RequestOrigin,
) -> Result<(), PorticoError> {
    let Some(ip) = origin
        .ip
        .as_deref()
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
    else {
        return Ok(());
    };
    accounts
        .sign_in_limiter
        .check(ip)
        .map_err(|retry_after_secs| PorticoError::TooManyAttempts { retry_after_secs })
}

/// Only paths on this site are followed after sign-in, never another host. The target is parsed
/// the way a browser would (WHATWG URL: tabs and newlines dropped, `\\` read as `/`, `..` and
/// `.` resolved) against a stand-in origin, and only a result on that origin is kept, as its
/// normalised path, query and fragment. Anything else, or nothing, is `/`.
pub fn safe_next(next: Option<String>) -> String {
    next.and_then(|target| same_origin_path(&target))
        .unwrap_or_else(|| "/".to_owned())
}

fn same_origin_path(target: &str) -> Option<String> {
    // A name under `.invalid` (RFC 2606) that no real site has.
    let base = url::Url::parse("https://portico.invalid/").ok()?;
    if target.chars().any(char::is_control) {
        return None;
    }
    let resolved = base.join(target).ok()?;
    if resolved.origin() != base.origin() || resolved.username() != "" {
        return None;
    }
    let path = resolved.path();
    // `/.//host` resolves to the path `//host`, which a browser reads as another host.
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    let mut out = path.to_owned();
    if let Some(query) = resolved.query() {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = resolved.fragment() {
        out.push('#');
        out.push_str(fragment);
    }
    Some(out)
}

/// Sends the browser to `path` with a full load, so every part of the page sees the new session.
fn go_to(path: &str) {
    #[cfg(any(feature = "hydrate", feature = "csr"))]
    {
        let _ = window().location().assign(path);
    }
    #[cfg(not(any(feature = "hydrate", feature = "csr")))]
    let _ = path;
}

/// `/sign-in?next=/somewhere`: e-mail and password, then a code.
#[component]
pub fn SignInPage() -> impl IntoView {
    use leptos_meta::Title;
    use leptos_router::{components::Redirect, hooks::use_query_map};

    let query = use_query_map();
    let next = Memo::new(move |_| safe_next(query.read().get("next")));
    let password_step = ServerAction::<SignInWithPassword>::new();
    let code_step = ServerAction::<SignInSecondFactor>::new();
    let restart = ServerAction::<SignOut>::new();
    let state = Resource::new(
        move || {
            (
                password_step.version().get(),
                code_step.version().get(),
                restart.version().get(),
            )
        },
        |_| async move {
            let user = current_user().await?;
            let awaiting = awaiting_second_factor().await?;
            Ok::<_, PorticoError>((user, awaiting))
        },
    );
    Effect::new(move |_| {
        if matches!(code_step.value().get(), Some(Ok(()))) {
            go_to(&next.get_untracked());
        }
    });

    view! {
        <Title text="Sign in" />
        <section class="auth" aria-labelledby="sign-in-title">
            <h1 id="sign-in-title">"Sign in"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match state.await {
                        Ok((Some(_), _)) => view! { <Redirect path=next.get_untracked() /> }.into_any(),
                        Ok((None, true)) => view! { <SecondFactorForm action=code_step restart /> }.into_any(),
                        Ok((None, false)) => view! {
                            <PasswordForm action=password_step />
                            <super::passkeys::PasskeySignIn on_signed_in=Callback::new(move |()| go_to(&next.get_untracked())) />
                        }.into_any(),
                        Err(error) => view! {
                            <p class="notice notice--error" role="alert">{error.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn PasswordForm(action: ServerAction<SignInWithPassword>) -> impl IntoView {
    let pending = action.pending();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <ActionForm action attr:class="form" attr:novalidate=true>
            <p class="form__intro">"Use the e-mail address we sent your invitation to."</p>
            <div class="field">
                <label for="sign-in-email">"E-mail address"</label>
                <input
                    id="sign-in-email"
                    name="email"
                    type="email"
                    autocomplete="username webauthn"
                    required
                    autofocus
                />
            </div>
            <div class="field">
                <label for="sign-in-password">"Password"</label>
                <input
                    id="sign-in-password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
            </div>
            {move || error().map(|message| view! {
                <p class="notice notice--error" role="alert" id="sign-in-error">{message}</p>
            })}
            <button type="submit" class="button" disabled=pending>
                {move || if pending.get() { "Checking…" } else { "Continue" }}
            </button>
            <p class="form__aside"><a href="/forgot-password">"Forgot your password?"</a></p>
        </ActionForm>
    }
}

#[component]
fn SecondFactorForm(
    action: ServerAction<SignInSecondFactor>,
    restart: ServerAction<SignOut>,
) -> impl IntoView {
    let pending = action.pending();
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    view! {
        <ActionForm action attr:class="form" attr:novalidate=true>
            <div class="field">
                <label for="sign-in-code">"Code from your authenticator app"</label>
                <p class="field__hint" id="sign-in-code-hint">
                    "Six digits. No phone at hand? Enter one of your recovery codes instead."
                </p>
                <input
                    id="sign-in-code"
                    name="code"
                    type="text"
                    autocomplete="one-time-code"
                    autocapitalize="off"
                    spellcheck="false"
                    aria-describedby="sign-in-code-hint"
                    required
                    autofocus
                />
            </div>
            {move || error().map(|message| view! {
                <p class="notice notice--error" role="alert" id="sign-in-error">{message}</p>
            })}
            <button type="submit" class="button" disabled=pending>
                {move || if pending.get() { "Checking…" } else { "Sign in" }}
            </button>
        </ActionForm>
        <ActionForm action=restart attr:class="form__aside">
            <button type="submit" class="link-button">"Start again"</button>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/account".into())), "/account");
        assert_eq!(safe_next(Some("//evil.example/".into())), "/");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/");
        assert_eq!(safe_next(Some("https://evil.example/".into())), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(
            safe_next(Some("/staff/jobs/3?tab=x".into())),
            "/staff/jobs/3?tab=x"
        );
        // Each of these must stay on this site.
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https:evil.example",
            "https://evil.example",
            "http://evil.example",
            "//evil.example",
            "///evil.example",
            "/.//evil.example",
            "/x/..//evil.example",
            "javascript:alert(1)",
            "data:text/html,hi",
            "https://portico.invalid@evil.example/",
            "/\u{0}/evil.example",
        ] {
            let landed = safe_next(Some(hostile.into()));
            assert!(
                landed.starts_with('/') && !landed.starts_with("//"),
                "{hostile:?} -> {landed:?}"
            );
            let url = url::Url::parse("https://portico.invalid/")
                .and_then(|base| base.join(&landed))
                .expect("a path");
            assert_eq!(
                url.host_str(),
                Some("portico.invalid"),
                "{hostile:?} -> {landed:?}"
            );
        }
        // Percent-encoded tab and backslash stay encoded in the path: same origin.
        assert_eq!(
            safe_next(Some("/%09/evil.example".into())),
            "/%09/evil.example"
        );
        assert_eq!(
            safe_next(Some("/%5Cevil.example".into())),
            "/%5Cevil.example"
        );
        assert_eq!(safe_next(Some("/a/../b".into())), "/b");
    }
}
