//! A new e-mail address: asked for on the security page after "Confirm it's you", confirmed
//! with the link sent to the new address (`/account/email/{token}`), used while signed in.
//! The rules and the mail to the old address are `portico_domain::accounts::email_change`'s.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::{
    staff::{action_error, loading, FieldError, FormError},
    PorticoError,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailView {
    pub email: String,
    /// Asked for, waiting for its link to be used.
    pub pending: Option<String>,
}

#[server(name = MyEmail, prefix = "/api", endpoint = "accounts/email")]
pub async fn my_email() -> Result<EmailView, PorticoError> {
    use portico_domain::{accounts::email_change, policy::Action};

    use crate::server;

    let actor = server::authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let db = server::db()?;
    let person = server::signed_in_person(&db, user_id).await?;
    Ok(EmailView {
        email: person.email,
        pending: email_change::pending(&db, user_id, server::now()?).await?,
    })
}

/// Sends the confirmation link to `email` (and a note to the current address). Needs a proof
/// from the last minutes: a session alone does not move an account to another inbox.
#[server(name = ChangeEmail, prefix = "/api", endpoint = "accounts/change_email")]
pub async fn change_email(#[server(default)] email: String) -> Result<(), PorticoError> {
    use portico_domain::{accounts::email_change, company, policy::Action};

    use crate::server;

    let actor = server::authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    super::reauth::require_recent_proof().await?;
    let db = server::db()?;
    email_change::request(
        &db,
        &server::stamp(&actor)?,
        user_id,
        &email,
        &company::name_or_portico(&db).await,
        &server::accounts()?.public_url,
    )
    .await?;
    Ok(())
}

/// Uses the link from the mail; the browser then goes to the security page.
#[server(name = ConfirmEmail, prefix = "/api", endpoint = "accounts/confirm_email")]
pub async fn confirm_email(#[server(default)] token: String) -> Result<(), PorticoError> {
    use portico_domain::{accounts::email_change, company, policy::Action};

    use crate::server;

    let actor = server::authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let db = server::db()?;
    email_change::confirm(
        &db,
        &server::stamp(&actor)?,
        user_id,
        &token,
        &company::name_or_portico(&db).await,
    )
    .await?;
    leptos_axum::redirect("/account/security#email");
    Ok(())
}

/// The security page's "E-mail address" section.
#[component]
pub fn EmailSection(confirmed: RwSignal<u32>) -> impl IntoView {
    let change = ServerAction::<ChangeEmail>::new();
    let email = Resource::new(
        move || (change.version().get(), confirmed.get()),
        |_| my_email(),
    );
    let error = action_error(change);
    let sent = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <section class="card" id="email" aria-labelledby="email-title">
            <h2 id="email-title">"E-mail address"</h2>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match email.await {
                        Ok(view) => view! {
                            <p>"You sign in with " <strong>{view.email}</strong> "; our mail goes there."</p>
                            {view.pending.map(|p| view! {
                                <p class="notice" role="status">
                                    "Waiting for you to open the link we sent to " <strong>{p}</strong> "."
                                </p>
                            })}
                        }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action=change attr:class="form">
                <div class="field">
                    <label for="new-email">"New e-mail address"</label>
                    <input id="new-email" name="email" type="email" autocomplete="email" required
                        maxlength="254" aria-describedby="email-error email-hint" />
                    <p class="field__hint" id="email-hint">
                        "We send a link to the new address; it changes when you open it. Your current address is told."
                    </p>
                    <FieldError error field="email" />
                </div>
                <FormError error />
                {move || sent().then(|| view! {
                    <p class="notice notice--success" role="status">"Sent: open the link in that mailbox to finish."</p>
                })}
                <button type="submit" class="button" disabled=move || change.pending().get()>
                    {move || if change.pending().get() { "Sending…" } else { "Send the link" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// `/account/email/{token}`: one button, so that opening the link (or a mail scanner fetching
/// it) changes nothing by itself.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let confirm = ServerAction::<ConfirmEmail>::new();
    let who = Resource::new(
        || (),
        |_| async {
            match crate::accounts::sign_in::current_user().await? {
                Some(person) => Ok(person),
                None => Err(PorticoError::Unauthenticated),
            }
        },
    );
    let error = action_error(confirm);
    view! {
        <Title text="Confirm your new e-mail address" />
        <h1>"Confirm your new e-mail address"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match who.await {
                    Ok(person) => view! {
                        <ActionForm action=confirm attr:class="form card">
                            <p>{format!("Signed in as {}. Use the new address for this account from now on?", person.display_name)}</p>
                            <input type="hidden" name="token" value=token />
                            <FormError error />
                            <button type="submit" class="button" disabled=move || confirm.pending().get()>
                                {move || if confirm.pending().get() { "Changing…" } else { "Use the new address" }}
                            </button>
                        </ActionForm>
                    }.into_any(),
                    Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
