//! "My people" (`/account/people`): an owner contact sees who is on their customer account and
//! with which scope, invites a partner or a bookkeeper as payer or viewer, changes a scope and
//! takes someone off. The rules (never the last owner) are the domain's; the page shows what
//! the server allows.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::{
    accounts::ErrorView,
    staff::{action_error, loading, FieldError, FormError},
    states::Scope,
    PorticoError,
};

#[cfg(feature = "ssr")]
fn scope_from_form(
    code: &str,
    field: &str,
) -> Result<portico_domain::accounts::ContactScope, PorticoError> {
    use portico_domain::accounts::ContactScope as S;
    match code {
        "owner" => Ok(S::Owner),
        "payer" => Ok(S::Payer),
        "viewer" => Ok(S::Viewer),
        _ => Err(PorticoError::Invalid {
            field: field.to_owned(),
            message: "Choose owner, payer or viewer.".to_owned(),
        }),
    }
}

/// One person on the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub user_id: i32,
    pub display_name: String,
    pub email: String,
    pub scope: Scope,
    /// Invited and not signed up yet.
    pub invited: bool,
    pub is_you: bool,
    /// Computed on the server: the last owner can be neither demoted nor removed.
    pub may_change: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleView {
    pub account_name: String,
    pub people: Vec<PersonView>,
}

/// The active account, for an owner contact (others: 403; staff have the customer pages).
#[cfg(feature = "ssr")]
async fn my_account() -> Result<(portico_domain::policy::Actor, i32), PorticoError> {
    use portico_domain::policy::Action;

    use crate::{accounts::customer_accounts::active_customer, server};

    let actor = server::current_actor().await?;
    let Some(customer_id) = active_customer(&actor).await? else {
        return Err(match actor {
            portico_domain::policy::Actor::Anonymous => PorticoError::Unauthenticated,
            _ => PorticoError::Forbidden,
        });
    };
    server::permit(&actor, Action::ManagePeople { customer_id })?;
    Ok((actor, customer_id))
}

#[server(name = MyPeople, prefix = "/api", endpoint = "people/list")]
pub async fn my_people() -> Result<PeopleView, PorticoError> {
    use portico_domain::{accounts::ContactScope, customers};

    use crate::server;

    let (actor, customer_id) = my_account().await?;
    let db = server::db()?;
    let people = customers::people::on_account(&db, &actor, customer_id).await?;
    let owners = people
        .iter()
        .filter(|p| p.scope == ContactScope::Owner)
        .count();
    Ok(PeopleView {
        account_name: customers::find(&db, customer_id).await?.name,
        people: people
            .into_iter()
            .map(|p| PersonView {
                may_change: p.scope != ContactScope::Owner || owners > 1,
                user_id: p.user_id,
                display_name: p.display_name,
                email: p.email,
                scope: p.scope.into(),
                invited: p.invited,
                is_you: p.is_you,
            })
            .collect(),
    })
}

/// Invites someone to the active account as payer or viewer.
#[server(name = InviteToAccount, prefix = "/api", endpoint = "people/invite")]
pub async fn invite_to_account(
    #[server(default)] display_name: String,
    #[server(default)] email: String,
    #[server(default)] scope: String,
) -> Result<(), PorticoError> {
    use portico_domain::{company, customers};

    use crate::server;

    let (actor, customer_id) = my_account().await?;
    let scope = scope_from_form(&scope, "scope")?;
    let db = server::db()?;
    let accounts = server::accounts()?;
    customers::people::invite(
        &db,
        &actor,
        &server::stamp(&actor)?,
        customer_id,
        &email,
        &display_name,
        scope,
        &company::name_or_portico(&db).await,
        &accounts.public_url,
    )
    .await?;
    Ok(())
}

#[server(name = ChangeScope, prefix = "/api", endpoint = "people/change_scope")]
pub async fn change_scope(
    user_id: i32,
    #[server(default)] scope: String,
) -> Result<(), PorticoError> {
    use portico_domain::customers;

    use crate::server;

    let (actor, customer_id) = my_account().await?;
    let scope = scope_from_form(&scope, "scope")?;
    customers::people::change_scope(
        &server::db()?,
        &actor,
        &server::stamp(&actor)?,
        customer_id,
        user_id,
        scope,
    )
    .await?;
    Ok(())
}

#[server(name = RemoveFromAccount, prefix = "/api", endpoint = "people/remove")]
pub async fn remove_from_account(user_id: i32) -> Result<(), PorticoError> {
    use portico_domain::customers;

    use crate::server;

    let (actor, customer_id) = my_account().await?;
    customers::people::remove(
        &server::db()?,
        &actor,
        &server::stamp(&actor)?,
        customer_id,
        user_id,
    )
    .await?;
    Ok(())
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let invite = ServerAction::<InviteToAccount>::new();
    let change = ServerAction::<ChangeScope>::new();
    let remove = ServerAction::<RemoveFromAccount>::new();
    let people = Resource::new(
        move || {
            (
                invite.version().get(),
                change.version().get(),
                remove.version().get(),
            )
        },
        |_| my_people(),
    );
    view! {
        <Title text="People on your account" />
        <h1>"People on your account"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match people.await {
                    Ok(view) => view! { <People view invite change remove /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn People(
    view: PeopleView,
    invite: ServerAction<InviteToAccount>,
    change: ServerAction<ChangeScope>,
    remove: ServerAction<RemoveFromAccount>,
) -> impl IntoView {
    let change_error = action_error(change);
    let remove_error = action_error(remove);
    view! {
        <p class="muted">
            {view.account_name.clone()}
            ": who can sign in to see your moves, and what each may do."
        </p>
        <FormError error=change_error />
        <FieldError error=change_error field="scope" />
        <FormError error=remove_error />
        <FieldError error=remove_error field="user_id" />
        <ul class="people" role="list" id="people-list">
            {view.people.into_iter().map(|person| view! { <PersonRow person change remove /> }).collect_view()}
        </ul>
        <InviteForm invite />
    }
}

#[component]
fn PersonRow(
    person: PersonView,
    change: ServerAction<ChangeScope>,
    remove: ServerAction<RemoveFromAccount>,
) -> impl IntoView {
    let select_id = format!("scope-{}", person.user_id);
    let name = if person.is_you {
        format!("{} (you)", person.display_name)
    } else {
        person.display_name.clone()
    };
    let scope = person.scope;
    view! {
        <li class="card person">
            <p class="person__name">
                <strong>{name.clone()}</strong>
                {person.invited.then(|| view! { " " <span class="badge badge--draft">"Invited"</span> })}
            </p>
            <p class="person__email muted">{person.email.clone()}</p>
            {if person.may_change {
                view! {
                    <ActionForm action=change attr:class="form form--inline">
                        <input type="hidden" name="user_id" value=person.user_id />
                        <div class="field">
                            <label for=select_id.clone()>"May"</label>
                            <select id=select_id.clone() name="scope">
                                {Scope::ALL.into_iter().map(|s| view! {
                                    <option value=s.label() selected=s == scope>{s.meaning()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                        <button type="submit" class="button button--secondary">"Change"</button>
                    </ActionForm>
                    <details class="disclosure">
                        <summary class="button button--secondary">"Remove…"</summary>
                        <ActionForm action=remove attr:class="form">
                            <input type="hidden" name="user_id" value=person.user_id />
                            <p>
                                {format!("{} can no longer sign in to see this account's moves.", person.display_name)}
                            </p>
                            <button type="submit" class="button button--danger">
                                {format!("Yes, remove {}", person.display_name)}
                            </button>
                        </ActionForm>
                    </details>
                }.into_any()
            } else {
                view! {
                    <p class="person__scope">{scope.meaning()}</p>
                    <p class="field__hint">"The only owner: make someone else an owner to change this."</p>
                }.into_any()
            }}
        </li>
    }
}

#[component]
fn InviteForm(invite: ServerAction<InviteToAccount>) -> impl IntoView {
    let error = action_error(invite);
    let sent = move || matches!(invite.value().get(), Some(Ok(())));
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite someone"</h2>
            <p class="muted">"A partner who pays, or a bookkeeper who only looks. They get an e-mail with a link to set up their sign-in."</p>
            <ActionForm action=invite attr:class="form">
                <div class="field">
                    <label for="invite-name">"Name"</label>
                    <input id="invite-name" name="display_name" type="text" required maxlength="100" autocomplete="off" aria-describedby="display_name-error" />
                    <FieldError error field="display_name" />
                </div>
                <div class="field">
                    <label for="invite-email">"E-mail address"</label>
                    <input id="invite-email" name="email" type="email" required maxlength="254" autocomplete="off" aria-describedby="email-error" />
                    <FieldError error field="email" />
                </div>
                <div class="field">
                    <label for="invite-scope">"May"</label>
                    <select id="invite-scope" name="scope">
                        <option value="payer">{Scope::Payer.meaning()}</option>
                        <option value="viewer">{Scope::Viewer.meaning()}</option>
                    </select>
                    <FieldError error field="scope" />
                </div>
                <FormError error />
                {move || sent().then(|| view! { <p class="notice notice--success" role="status">"Invitation sent."</p> })}
                <button type="submit" class="button" disabled=move || invite.pending().get()>
                    {move || if invite.pending().get() { "Sending…" } else { "Send invitation" }}
                </button>
            </ActionForm>
        </section>
    }
}
