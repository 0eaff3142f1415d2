//! Passkeys in the app: sign in with one (a button, and the browser's autofill where it
//! supports conditional UI), and add, rename and remove them on the security page.
//!
//! The browser side converts webauthn-rs' JSON into `navigator.credentials` calls
//! (webauthn-rs-proto's `wasm` conversions); the ceremony state never leaves the server.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

use crate::PorticoError;

/// One of the person's passkeys, as the security page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: i32,
    pub name: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[cfg(feature = "ssr")]
impl From<portico_domain::accounts::passkey::PasskeySummary> for PasskeyView {
    fn from(p: portico_domain::accounts::passkey::PasskeySummary) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: p.created_at.to_rfc3339(),
            last_used_at: p.last_used_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// Starts a passkey sign-in. `conditional`: offered in the e-mail field's autofill.
#[server(name = PasskeySignInStart, prefix = "/api", endpoint = "accounts/passkey_sign_in_start")]
pub async fn passkey_sign_in_start(
    conditional: bool,
) -> Result<RequestChallengeResponse, PorticoError> {
    use portico_domain::accounts::session::keys;

    use crate::server::{accounts, session, session_error};

    let accounts = accounts()?;
    // Each start keeps a challenge in a (short-lived) session row: bounded per address.
    super::sign_in::check_address_limit(&accounts, &crate::server::request_origin())?;
    let (challenge, state) = accounts.passkeys.start_sign_in(conditional)?;
    session()?
        .insert(keys::PASSKEY_AUTHENTICATION, state)
        .await
        .map_err(session_error)?;
    Ok(challenge)
}

/// Finishes a passkey sign-in: on success the session gets a new id and the person is in.
#[server(
    name = PasskeySignInFinish,
    prefix = "/api",
    endpoint = "accounts/passkey_sign_in_finish",
    input = server_fn::codec::Json
)]
pub async fn passkey_sign_in_finish(credential: PublicKeyCredential) -> Result<(), PorticoError> {
    use portico_domain::{accounts::session::keys, audit::Stamp};
    use webauthn_rs::prelude::DiscoverableAuthentication;

    use super::sign_in::{begin_signed_in_session, check_address_limit};
    use crate::server::{accounts, db, request_origin, session, session_error};

    let accounts = accounts()?;
    let origin = request_origin();
    check_address_limit(&accounts, &origin)?;
    let session = session()?;
    // Single use: taken out of the session before it is checked.
    let state = session
        .remove::<DiscoverableAuthentication>(keys::PASSKEY_AUTHENTICATION)
        .await
        .map_err(session_error)?
        .ok_or(PorticoError::SignInExpired)?;
    let now = accounts.clock.now();
    let stamp = Stamp::new(now, None, origin.clone());
    match accounts
        .passkeys
        .sign_in(&db()?, &stamp, &credential, state)
        .await?
    {
        Ok(user_id) => begin_signed_in_session(&session, user_id, now, &origin).await,
        Err(_) => Err(PorticoError::PasskeyRefused),
    }
}

/// Starts adding a passkey to the signed-in person's account.
#[server(name = PasskeyRegistrationStart, prefix = "/api", endpoint = "accounts/passkey_registration_start")]
pub async fn passkey_registration_start() -> Result<CreationChallengeResponse, PorticoError> {
    use portico_domain::{accounts::session::keys, policy::Action};

    use crate::server::{accounts, authorize, db, session, session_error};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    super::reauth::require_recent_proof().await?;
    let db = db()?;
    let person = crate::server::signed_in_person(&db, user_id).await?;
    let (challenge, state) = accounts()?
        .passkeys
        .start_registration(&db, &person)
        .await?;
    session()?
        .insert(keys::PASSKEY_REGISTRATION, (user_id, state))
        .await
        .map_err(session_error)?;
    Ok(challenge)
}

/// Finishes adding a passkey, under the name the person chose.
#[server(
    name = PasskeyRegistrationFinish,
    prefix = "/api",
    endpoint = "accounts/passkey_registration_finish",
    input = server_fn::codec::Json
)]
pub async fn passkey_registration_finish(
    name: String,
    credential: RegisterPublicKeyCredential,
) -> Result<PasskeyView, PorticoError> {
    use portico_domain::{
        accounts::{passkey::PasskeyRefusal, session::keys},
        policy::Action,
    };
    use webauthn_rs::prelude::PasskeyRegistration;

    use crate::server::{accounts, authorize, db, session, session_error, stamp};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    super::reauth::require_recent_proof().await?;
    let (for_user, state) = session()?
        .remove::<(i32, PasskeyRegistration)>(keys::PASSKEY_REGISTRATION)
        .await
        .map_err(session_error)?
        .filter(|(for_user, _)| *for_user == user_id)
        .ok_or_else(|| {
            PorticoError::Conflict("That step has expired. Please start it again.".to_owned())
        })?;
    let added = accounts()?
        .passkeys
        .add(
            &db()?,
            &stamp(&actor)?,
            for_user,
            &name,
            &credential,
            &state,
        )
        .await?;
    match added {
        Ok(passkey) => Ok(passkey.into()),
        Err(PasskeyRefusal::AlreadyRegistered) => Err(PorticoError::Conflict(
            "This passkey is already registered.".to_owned(),
        )),
        Err(refusal) => {
            tracing::info!(?refusal, "passkey registration refused");
            Err(PorticoError::Invalid {
                field: "passkey".to_owned(),
                message: "Your device's answer could not be verified. Please try again.".to_owned(),
            })
        }
    }
}

/// The signed-in person's passkeys.
#[server(name = MyPasskeys, prefix = "/api", endpoint = "accounts/my_passkeys")]
pub async fn my_passkeys() -> Result<Vec<PasskeyView>, PorticoError> {
    use portico_domain::{accounts::passkey, policy::Action};

    use crate::server::{authorize, db};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    Ok(passkey::list(&db()?, user_id)
        .await?
        .into_iter()
        .map(PasskeyView::from)
        .collect())
}

#[server(name = RenamePasskey, prefix = "/api", endpoint = "accounts/rename_passkey")]
pub async fn rename_passkey(id: i32, name: String) -> Result<(), PorticoError> {
    use portico_domain::{accounts::passkey, policy::Action};

    use crate::server::{authorize, db, stamp};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    passkey::rename(&db()?, &stamp(&actor)?, user_id, id, &name).await?;
    Ok(())
}

#[server(name = RemovePasskey, prefix = "/api", endpoint = "accounts/remove_passkey")]
pub async fn remove_passkey(id: i32) -> Result<(), PorticoError> {
    use portico_domain::{accounts::passkey, policy::Action};

    use crate::server::{authorize, db, stamp};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    passkey::remove(&db()?, &stamp(&actor)?, user_id, id).await?;
    Ok(())
}

/// The browser's side of the ceremonies.
#[cfg(any(feature = "hydrate", feature = "csr"))]
pub mod browser {
    use wasm_bindgen::JsValue;
    use wasm_bindgen_futures::JsFuture;
    use webauthn_rs_proto::{
        CreationChallengeResponse, PublicKeyCredential, PublicKeyCredentialExt,
        RegisterPublicKeyCredential, RequestChallengeResponse,
    };

    /// Why the browser did not give us a credential, in words for the person.
    fn explain(error: JsValue) -> String {
        let name = js_sys::Reflect::get(&error, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" => "The passkey request was cancelled or timed out.".to_owned(),
            "InvalidStateError" => {
                "This device already holds a passkey for your account.".to_owned()
            }
            "AbortError" => "The passkey request was stopped.".to_owned(),
            "SecurityError" => {
                "Passkeys only work on this site's own address (use localhost or the public URL)."
                    .to_owned()
            }
            _ => "This browser could not use a passkey here.".to_owned(),
        }
    }

    fn credentials() -> Result<web_sys::CredentialsContainer, String> {
        web_sys::window()
            .map(|w| w.navigator().credentials())
            .ok_or_else(|| "No browser window.".to_owned())
    }

    pub async fn create(
        challenge: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, String> {
        let options: web_sys::CredentialCreationOptions = challenge.into();
        let promise = credentials()?
            .create_with_options(&options)
            .map_err(explain)?;
        let credential = JsFuture::from(promise).await.map_err(explain)?;
        Ok(RegisterPublicKeyCredential::from(
            web_sys::PublicKeyCredential::from(credential),
        ))
    }

    pub async fn get(
        challenge: RequestChallengeResponse,
        signal: Option<&web_sys::AbortSignal>,
    ) -> Result<PublicKeyCredential, String> {
        let options: web_sys::CredentialRequestOptions = challenge.into();
        if let Some(signal) = signal {
            options.set_signal(signal);
        }
        let promise = credentials()?.get_with_options(&options).map_err(explain)?;
        let credential = JsFuture::from(promise).await.map_err(explain)?;
        Ok(PublicKeyCredential::from(
            web_sys::PublicKeyCredential::from(credential),
        ))
    }

    /// Whether the browser can offer passkeys in autofill (conditional mediation).
    pub async fn conditional_available() -> bool {
        let Ok(promise) = PublicKeyCredentialExt::is_conditional_mediation_available() else {
            return false;
        };
        JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
}

/// True once the page runs in the browser (passkeys need JavaScript).
fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// Runs the whole sign-in ceremony; `Ok` means the person is signed in.
#[cfg(any(feature = "hydrate", feature = "csr"))]
async fn sign_in_with_passkey(
    conditional: bool,
    signal: Option<web_sys::AbortSignal>,
) -> Result<(), String> {
    let challenge = passkey_sign_in_start(conditional)
        .await
        .map_err(|e| e.to_string())?;
    let credential = browser::get(challenge, signal.as_ref()).await?;
    passkey_sign_in_finish(credential)
        .await
        .map_err(|e| e.to_string())
}

/// "Sign in with a passkey", and the autofill offer in the e-mail field where the browser
/// supports conditional UI. `on_signed_in` runs after a successful sign-in.
#[component]
pub fn PasskeySignIn(on_signed_in: Callback<()>) -> impl IntoView {
    let hydrated = use_hydrated();
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<String>);

    #[cfg(any(feature = "hydrate", feature = "csr"))]
    let autofill = StoredValue::new_local(None::<web_sys::AbortController>);
    #[cfg(any(feature = "hydrate", feature = "csr"))]
    Effect::new(move |_| {
        use leptos::task::spawn_local;
        spawn_local(async move {
            if !browser::conditional_available().await {
                return;
            }
            let Ok(controller) = web_sys::AbortController::new() else {
                return;
            };
            let signal = controller.signal();
            autofill.set_value(Some(controller));
            // Waits until the person picks a passkey from autofill, or is aborted by the button.
            if sign_in_with_passkey(true, Some(signal)).await.is_ok() {
                on_signed_in.run(());
            }
        });
    });

    let start = move |_| {
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        {
            use leptos::task::spawn_local;
            if let Some(controller) = autofill.get_value() {
                controller.abort();
            }
            set_busy.set(true);
            set_error.set(None);
            spawn_local(async move {
                let result = sign_in_with_passkey(false, None).await;
                set_busy.set(false);
                match result {
                    Ok(()) => on_signed_in.run(()),
                    Err(message) => set_error.set(Some(message)),
                }
            });
        }
    };
    #[cfg(not(any(feature = "hydrate", feature = "csr")))]
    let _ = (&set_busy, &set_error, &on_signed_in);

    view! {
        <Show when=move || hydrated.get()>
            <div class="passkey-sign-in">
                <p class="divider"><span>"or"</span></p>
                <button type="button" class="button button--secondary" id="passkey-sign-in" on:click=start disabled=busy>
                    {move || if busy.get() { "Waiting for your passkey…" } else { "Sign in with a passkey" }}
                </button>
                {move || error.get().map(|message| view! {
                    <p class="notice notice--error" role="alert">{message}</p>
                })}
            </div>
        </Show>
    }
}

/// The passkeys section of the security page.
#[component]
pub fn PasskeyManager() -> impl IntoView {
    let hydrated = use_hydrated();
    let rename = ServerAction::<RenamePasskey>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    let (added, set_added) = signal(0u32);
    let passkeys = Resource::new(
        move || (rename.version().get(), remove.version().get(), added.get()),
        |_| my_passkeys(),
    );
    let (name, set_name) = signal(String::new());
    let (busy, set_busy) = signal(false);
    let (error, set_error) = signal(None::<String>);

    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(any(feature = "hydrate", feature = "csr"))]
        {
            use leptos::task::spawn_local;
            let chosen = name.get_untracked();
            if chosen.trim().is_empty() {
                set_error.set(Some(
                    "Give the passkey a name, e.g. \"My phone\".".to_owned(),
                ));
                return;
            }
            set_busy.set(true);
            set_error.set(None);
            spawn_local(async move {
                let result = async {
                    let challenge = passkey_registration_start()
                        .await
                        .map_err(|e| e.to_string())?;
                    let credential = browser::create(challenge).await?;
                    passkey_registration_finish(chosen, credential)
                        .await
                        .map_err(|e| e.to_string())
                }
                .await;
                set_busy.set(false);
                match result {
                    Ok(_) => {
                        set_name.set(String::new());
                        set_added.update(|n| *n += 1);
                    }
                    Err(message) => set_error.set(Some(message)),
                }
            });
        }
        #[cfg(not(any(feature = "hydrate", feature = "csr")))]
        let _ = (&set_added, &set_busy, &set_error, &set_name);
    };
    let remove_error = move || {
        remove
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let rename_error = move || {
        rename
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };

    view! {
        <section class="card" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">"Passkeys"</h2>
            <p class="card__intro">
                "A passkey signs you in with your phone's or computer's screen lock: no password, no code."
            </p>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match passkeys.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"You have no passkeys yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="item-list" id="passkey-list">
                                {list.into_iter().map(|p| view! { <PasskeyItem passkey=p rename remove /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! {
                            <p class="notice notice--error" role="alert">{error.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            {move || remove_error().or_else(rename_error).map(|message| view! {
                <p class="notice notice--error" role="alert">{message}</p>
            })}
            <Show
                when=move || hydrated.get()
                fallback=|| view! { <p class="field__hint">"Adding a passkey needs JavaScript."</p> }
            >
                <form class="inline-form" on:submit=add>
                    <div class="field">
                        <label for="passkey-name">"Name for a new passkey"</label>
                        <input
                            id="passkey-name"
                            type="text"
                            maxlength="60"
                            placeholder="e.g. My phone"
                            prop:value=name
                            on:input=move |ev| set_name.set(event_target_value(&ev))
                        />
                    </div>
                    <button type="submit" class="button" id="add-passkey" disabled=busy>
                        {move || if busy.get() { "Waiting for your device…" } else { "Add a passkey" }}
                    </button>
                </form>
                {move || error.get().map(|message| view! {
                    <p class="notice notice--error" role="alert">{message}</p>
                })}
            </Show>
        </section>
    }
    .into_any()
}

#[component]
fn PasskeyItem(
    passkey: PasskeyView,
    rename: ServerAction<RenamePasskey>,
    remove: ServerAction<RemovePasskey>,
) -> impl IntoView {
    let (editing, set_editing) = signal(false);
    let (confirming, set_confirming) = signal(false);
    let id = passkey.id;
    let name = passkey.name.clone();
    let current_name = StoredValue::new(passkey.name.clone());
    let used = passkey
        .last_used_at
        .clone()
        .map(|t| {
            format!(
                "last used {} UTC",
                t.replace('T', " ").chars().take(16).collect::<String>()
            )
        })
        .unwrap_or_else(|| "not used yet".to_owned());
    view! {
        <li class="item">
            <Show
                when=move || editing.get()
                fallback=move || view! {
                    <div>
                        <p class="item__title">{name.clone()}</p>
                        <p class="item__meta">{used.clone()}</p>
                    </div>
                    <div class="item__actions">
                        <button type="button" class="link-button" on:click=move |_| set_editing.set(true)>"Rename"</button>
                        <Show
                            when=move || confirming.get()
                            fallback=move || view! {
                                <button type="button" class="link-button link-button--danger" on:click=move |_| set_confirming.set(true)>
                                    "Remove"
                                </button>
                            }
                        >
                            <ActionForm action=remove attr:class="confirm">
                                <input type="hidden" name="id" value=id />
                                <span>"Remove this passkey?"</span>
                                <button type="submit" class="button button--danger">"Remove"</button>
                                <button type="button" class="link-button" on:click=move |_| set_confirming.set(false)>"Keep"</button>
                            </ActionForm>
                        </Show>
                    </div>
                }
            >
                <ActionForm action=rename attr:class="inline-form" on:submit=move |_| set_editing.set(false)>
                    <input type="hidden" name="id" value=id />
                    <label class="visually-hidden" for=format!("rename-{id}")>"New name"</label>
                    <input id=format!("rename-{id}") name="name" type="text" maxlength="60" value=current_name.get_value() required />
                    <button type="submit" class="button">"Save"</button>
                    <button type="button" class="link-button" on:click=move |_| set_editing.set(false)>"Cancel"</button>
                </ActionForm>
            </Show>
        </li>
    }
}
