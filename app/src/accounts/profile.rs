//! The person's own profile: name, phone, language, and which notification mail they receive
//! (security mail, such as a password reset, is always sent).

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::{
    staff::{action_error, loading, FieldError, FormError},
    PorticoError,
};

/// One kind of notification mail and whether it is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailChoice {
    /// The form field's name (`quote_ready` …).
    pub code: String,
    pub label: String,
    pub on: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub display_name: String,
    pub email: String,
    pub phone: String,
    pub language: String,
    /// (code, name) of the languages offered.
    pub languages: Vec<(String, String)>,
    pub mail: Vec<MailChoice>,
}

#[server(name = MyProfile, prefix = "/api", endpoint = "accounts/profile")]
pub async fn my_profile() -> Result<ProfileView, PorticoError> {
    use portico_domain::{accounts::profile::LANGUAGES, notices::NoticeKind, policy::Action};

    use crate::server;

    let actor = server::authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let person = server::signed_in_person(&server::db()?, user_id).await?;
    Ok(ProfileView {
        mail: NoticeKind::ALL
            .into_iter()
            .map(|k| MailChoice {
                code: k.code().to_owned(),
                label: k.label().to_owned(),
                on: person.wants_mail(k.code()),
            })
            .collect(),
        display_name: person.display_name,
        email: person.email,
        phone: person.phone,
        language: person.language,
        languages: LANGUAGES
            .iter()
            .map(|(code, name)| ((*code).to_owned(), (*name).to_owned()))
            .collect(),
    })
}

/// Saves the profile; a notification kind is on when its box was ticked.
#[server(name = SaveProfile, prefix = "/api", endpoint = "accounts/save_profile")]
#[allow(clippy::too_many_arguments)] // one per form field
pub async fn save_profile(
    display_name: String,
    #[server(default)] phone: String,
    language: String,
    #[server(default)] quote_ready: Option<String>,
    #[server(default)] moving_day: Option<String>,
    #[server(default)] invoice_issued: Option<String>,
    #[server(default)] messages: Option<String>,
) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::profile::{self, ProfileInput},
        notices::NoticeKind,
        policy::Action,
    };

    use crate::server;

    let actor = server::authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let ticked = [
        (NoticeKind::QuoteReady, quote_ready),
        (NoticeKind::MovingDay, moving_day),
        (NoticeKind::InvoiceIssued, invoice_issued),
        (NoticeKind::Messages, messages),
    ];
    profile::update(
        &server::db()?,
        &server::stamp(&actor)?,
        user_id,
        ProfileInput {
            display_name,
            phone,
            language,
            mail_on: ticked
                .into_iter()
                .filter(|(_, box_value)| box_value.as_deref().is_some_and(|v| !v.is_empty()))
                .map(|(kind, _)| kind)
                .collect(),
        },
    )
    .await?;
    Ok(())
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let save = ServerAction::<SaveProfile>::new();
    let profile = Resource::new(move || save.version().get(), |_| my_profile());
    view! {
        <Title text="Your profile" />
        <h1>"Your profile"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(p) => view! { <ProfileForm profile=p save /> }.into_any(),
                    Err(error) => view! { <super::ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProfileForm(profile: ProfileView, save: ServerAction<SaveProfile>) -> impl IntoView {
    let error = action_error(save);
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    view! {
        <ActionForm action=save attr:class="form card profile">
            <div class="field">
                <label for="profile-name">"Your name"</label>
                <input id="profile-name" name="display_name" type="text" autocomplete="name"
                    required maxlength="120" value=profile.display_name.clone() />
                <FieldError error field="display_name" />
            </div>
            <div class="field">
                <label for="profile-email">"E-mail address"</label>
                <input id="profile-email" type="email" value=profile.email.clone() readonly aria-describedby="profile-email-note" />
                <p class="field__hint" id="profile-email-note">
                    "To use another address: "
                    <a href="/account/security#email">"Security → E-mail address"</a>
                    " (you confirm it's you, then open a link we send there)."
                </p>
            </div>
            <div class="field">
                <label for="profile-phone">"Phone (for moving day)"</label>
                <input id="profile-phone" name="phone" type="tel" autocomplete="tel" maxlength="40" value=profile.phone.clone() />
                <FieldError error field="phone" />
            </div>
            <div class="field">
                <label for="profile-language">"Language"</label>
                <select id="profile-language" name="language">
                    {profile.languages.iter().map(|(code, name)| view! {
                        <option value=code.clone() selected=*code == profile.language>{name.clone()}</option>
                    }).collect_view()}
                </select>
                <FieldError error field="language" />
            </div>
            <fieldset class="field">
                <legend>"E-mail me when"</legend>
                {profile.mail.iter().map(|m| view! {
                    <label class="check">
                        <input type="checkbox" name=m.code.clone() value="on" checked=m.on />
                        " " {m.label.clone()}
                    </label>
                }).collect_view()}
                <p class="field__hint">"Security e-mail (a password reset, a new sign-in method) always comes."</p>
            </fieldset>
            <FormError error />
            {move || saved().then(|| view! { <p class="notice notice--success" role="status">"Saved."</p> })}
            <button type="submit" class="button" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save" }}
            </button>
        </ActionForm>
    }
}
