//! "Confirm it's you" before a change that would turn a stolen session into a permanent
//! takeover: adding a passkey, replacing the authenticator, new recovery codes, setting or
//! changing the password. Each needs a proof from the last ten minutes — the password with a
//! code, or a passkey — recorded in the session when the person signs in and when they confirm
//! here. A session cookie alone is not a proof.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PorticoError;

/// How long a proof counts.
pub const PROOF_WINDOW_SECS: i64 = 10 * 60;

/// Whether this session has a recent proof, and which ways of confirming the person has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofState {
    pub confirmed: bool,
    pub can_use_password: bool,
    pub can_use_passkey: bool,
}

/// Refuses with [`PorticoError::ConfirmIdentity`] unless the session holds a proof from the last
/// [`PROOF_WINDOW_SECS`].
#[cfg(feature = "ssr")]
pub(crate) async fn require_recent_proof() -> Result<(), PorticoError> {
    if proven_recently().await? {
        Ok(())
    } else {
        Err(PorticoError::ConfirmIdentity)
    }
}

#[cfg(feature = "ssr")]
async fn proven_recently() -> Result<bool, PorticoError> {
    use portico_domain::accounts::session::keys;

    use crate::server::{accounts, session, session_error};

    let now = accounts()?.clock.now().timestamp();
    let proven = session()?
        .get::<i64>(keys::PROVEN_AT)
        .await
        .map_err(session_error)?;
    Ok(proven.is_some_and(|at| now - at <= PROOF_WINDOW_SECS))
}

/// Records a fresh proof in the session, and in the audit log.
#[cfg(feature = "ssr")]
async fn record_proof(user_id: i32, how: &str) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::session::{self, keys},
        audit::Stamp,
    };

    use crate::server::{accounts, db, request_origin, session_error};

    let now = accounts()?.clock.now();
    crate::server::session()?
        .insert(keys::PROVEN_AT, now.timestamp())
        .await
        .map_err(session_error)?;
    session::identity_confirmed(
        &db()?,
        &Stamp::new(now, Some(user_id), request_origin()),
        user_id,
        how,
    )
    .await?;
    Ok(())
}

#[server(name = IdentityConfirmed, prefix = "/api", endpoint = "accounts/identity_confirmed")]
pub async fn identity_confirmed() -> Result<ProofState, PorticoError> {
    use portico_domain::{accounts::passkey, accounts::sign_in, policy::Action};

    use crate::server::{authorize, db};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let db = db()?;
    Ok(ProofState {
        confirmed: proven_recently().await?,
        can_use_password: sign_in::has_second_factor(&db, user_id).await?,
        can_use_passkey: !passkey::list(&db, user_id).await?.is_empty(),
    })
}

/// Confirms with the password and a code (authenticator or recovery code). Wrong answers count
/// against the account like a failed sign-in.
#[server(name = ConfirmIdentity, prefix = "/api", endpoint = "accounts/confirm_identity")]
pub async fn confirm_identity(password: String, code: String) -> Result<(), PorticoError> {
    use portico_domain::{accounts::sign_in, company, policy::Action};

    use crate::server::{accounts, authorize, db, request_origin};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let accounts = accounts()?;
    let origin = request_origin();
    super::sign_in::check_address_limit(&accounts, &origin)?;
    let _one_at_a_time = accounts.one_check_for(user_id)?;
    let db = db()?;
    let person = crate::server::signed_in_person(&db, user_id).await?;
    let now = accounts.clock.now();
    let refused = || {
        PorticoError::Invalid {
        field: "password".to_owned(),
        message: "That did not work. Check your password and the code; after several tries, wait a minute.".to_owned(),
    }
    };
    let checked = sign_in::check_password(
        &db,
        &accounts.hasher,
        now,
        &person.email,
        &password,
        &origin,
    )
    .await?;
    if checked != Ok(user_id) {
        return Err(refused());
    }
    let issuer = company::name_or_portico(&db).await;
    if sign_in::check_second_factor(
        &db,
        &accounts.at_rest,
        now,
        &issuer,
        user_id,
        &code,
        &origin,
    )
    .await?
    .is_err()
    {
        return Err(refused());
    }
    record_proof(user_id, "password and code").await
}

#[cfg(feature = "ssr")]
const CONFIRM_PASSKEY: &str = "confirm_identity_passkey";

/// Confirms with one of the person's own passkeys, step one.
#[server(name = ConfirmIdentityPasskeyStart, prefix = "/api", endpoint = "accounts/confirm_identity_passkey_start")]
pub async fn confirm_identity_passkey_start(
) -> Result<webauthn_rs_proto::RequestChallengeResponse, PorticoError> {
    use portico_domain::policy::Action;

    use crate::server::{accounts, authorize, db, session, session_error};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let (challenge, state) = accounts()?
        .passkeys
        .start_confirmation(&db()?, user_id)
        .await?
        .ok_or_else(|| {
            PorticoError::Conflict(
                "You have no passkey; confirm with your password and a code.".to_owned(),
            )
        })?;
    session()?
        .insert(CONFIRM_PASSKEY, (user_id, state))
        .await
        .map_err(session_error)?;
    Ok(challenge)
}

/// Confirms with a passkey, step two.
#[server(
    name = ConfirmIdentityPasskeyFinish,
    prefix = "/api",
    endpoint = "accounts/confirm_identity_passkey_finish",
    input = server_fn::codec::Json
)]
pub async fn confirm_identity_passkey_finish(
    credential: webauthn_rs_proto::PublicKeyCredential,
) -> Result<(), PorticoError> {
    use portico_domain::policy::Action;
    use webauthn_rs::prelude::PasskeyAuthentication;

    use crate::server::{accounts, authorize, db, session, session_error};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let (for_user, state) = session()?
        .remove::<(i32, PasskeyAuthentication)>(CONFIRM_PASSKEY)
        .await
        .map_err(session_error)?
        .filter(|(for_user, _)| *for_user == user_id)
        .ok_or_else(|| {
            PorticoError::Conflict("That step has expired. Please start it again.".to_owned())
        })?;
    let accounts = accounts()?;
    if accounts
        .passkeys
        .finish_confirmation(&db()?, accounts.clock.now(), for_user, &credential, &state)
        .await?
        .is_err()
    {
        return Err(PorticoError::PasskeyRefused);
    }
    record_proof(user_id, "passkey").await
}

/// The "Confirm it's you" card at the top of the security page: shown while there is no recent
/// proof; `confirmed` is bumped when one is made, so the sections below can retry.
#[component]
pub fn ConfirmIdentityCard(confirmed: RwSignal<u32>) -> impl IntoView {
    let confirm = ServerAction::<ConfirmIdentity>::new();
    let state = Resource::new(
        move || (confirm.version().get(), confirmed.get()),
        |_| identity_confirmed(),
    );
    Effect::new(move |_| {
        if matches!(confirm.value().get(), Some(Ok(()))) {
            confirmed.update(|n| *n += 1);
        }
    });
    let error = move || {
        confirm
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let (passkey_error, set_passkey_error) = signal(None::<String>);
    let with_passkey = move |_| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        leptos::task::spawn_local(async move {
            set_passkey_error.set(None);
            let result = async {
                let challenge = confirm_identity_passkey_start()
                    .await
                    .map_err(|e| e.to_string())?;
                let credential = super::passkeys::browser::get(challenge, None).await?;
                confirm_identity_passkey_finish(credential)
                    .await
                    .map_err(|e| e.to_string())
            }
            .await;
            match result {
                Ok(()) => confirmed.update(|n| *n += 1),
                Err(message) => set_passkey_error.set(Some(message)),
            }
        });
    };
    #[cfg(not(any(feature = "hydrate", feature = "csr")))]
    let _ = (&set_passkey_error, &with_passkey);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(ProofState { confirmed: true, .. }) => view! {
                        <p class="notice" role="status" id="identity-confirmed">
                            "You confirmed it's you: for the next few minutes you can change how you sign in."
                        </p>
                    }.into_any(),
                    Ok(proof) => view! {
                        <section class="card" aria-labelledby="confirm-title" id="confirm-identity">
                            <h2 id="confirm-title">"Confirm it's you"</h2>
                            <p>
                                "Before you change how you sign in (password, passkeys, authenticator app, recovery codes), "
                                "confirm it's you. This counts for 10 minutes."
                            </p>
                            {proof.can_use_password.then(|| view! {
                                <ActionForm action=confirm attr:class="form">
                                    <div class="field">
                                        <label for="confirm-password">"Your password"</label>
                                        <input id="confirm-password" name="password" type="password" autocomplete="current-password" required />
                                    </div>
                                    <div class="field">
                                        <label for="confirm-code">"Code from your authenticator app, or a recovery code"</label>
                                        <input id="confirm-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required />
                                    </div>
                                    {move || error().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                                    <button type="submit" class="button" disabled=move || confirm.pending().get()>
                                        {move || if confirm.pending().get() { "Checking…" } else { "Confirm" }}
                                    </button>
                                </ActionForm>
                            })}
                            {proof.can_use_passkey.then(|| view! {
                                <button type="button" class="button button--secondary" id="confirm-with-passkey" on:click=with_passkey>
                                    "Confirm with a passkey"
                                </button>
                                {move || passkey_error.get().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                            })}
                        </section>
                    }.into_any(),
                    Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}
