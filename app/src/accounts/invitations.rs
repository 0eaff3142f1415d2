//! Invitations, the staff's side: invite a customer's contact or a colleague, see and revoke
//! invitations, and the staff-assisted reset for someone who lost every factor. The invited
//! person's side (the link and the set-up) is in `set_up`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{staff::StatusBadge, PorticoError};

/// An invitation in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub state: crate::states::InvitationState,
    /// When the link stops working, in the company's time zone.
    pub expires: String,
    /// Still open: it can be revoked.
    pub may_revoke: bool,
}

/// A customer account the invitation form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerChoice {
    pub id: i32,
    pub name: String,
}

#[cfg(feature = "ssr")]
fn view_of(
    row: portico_domain::accounts::invitations::InvitationSummary,
    here: &crate::staff::local::Local,
) -> InvitationView {
    use portico_domain::accounts::invitations::InvitationState;

    InvitationView {
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        state: row.state.into(),
        expires: here.date_time(row.expires_at),
        may_revoke: row.state == InvitationState::Open,
    }
}

/// Staff invite a customer's contact (`kind` = "contact", with `customer_id` and `scope`) or a
/// colleague (`kind` = "staff", with `role`).
#[server(name = InvitePerson, prefix = "/api", endpoint = "accounts/invite_person")]
pub async fn invite_person(
    email: String,
    display_name: String,
    kind: String,
    customer_id: Option<i32>,
    scope: Option<String>,
    role: Option<String>,
) -> Result<InvitationView, PorticoError> {
    use portico_domain::{
        accounts::{
            invitations::{self, Invitee},
            ContactScope, StaffRole,
        },
        company,
        policy::Action,
    };

    use crate::server::{accounts, authorize, db, stamp};

    let invalid = |field: &str, message: &str| PorticoError::Invalid {
        field: field.to_owned(),
        message: message.to_owned(),
    };
    let invitee = match kind.as_str() {
        "contact" => {
            let customer_id = customer_id
                .ok_or_else(|| invalid("customer_id", "Choose the customer account."))?;
            let scope = match scope.as_deref() {
                Some("owner") => ContactScope::Owner,
                Some("payer") => ContactScope::Payer,
                Some("viewer") => ContactScope::Viewer,
                _ => return Err(invalid("scope", "Choose what the contact may do.")),
            };
            Invitee::Contact { customer_id, scope }
        }
        "staff" => {
            let role = match role.as_deref() {
                Some("admin") => StaffRole::Admin,
                Some("office") => StaffRole::Office,
                Some("crew") => StaffRole::Crew,
                _ => return Err(invalid("role", "Choose the colleague's role.")),
            };
            Invitee::Staff { role }
        }
        _ => return Err(invalid("kind", "Choose whom you are inviting.")),
    };
    let actor = match invitee {
        Invitee::Contact { customer_id, .. } => {
            authorize(Action::InviteContact { customer_id }).await?
        }
        Invitee::Staff { .. } => authorize(Action::InviteStaff).await?,
    };
    let accounts = accounts()?;
    let db = db()?;
    let company_name = company::name_or_portico(&db).await;
    let sent = invitations::invite(
        &db,
        &stamp(&actor)?,
        &email,
        &display_name,
        invitee,
        &company_name,
        &accounts.public_url,
    )
    .await?;
    accounts.mail_waiting();
    Ok(view_of(
        sent.summary,
        &crate::staff::local::Local::load(&db).await?,
    ))
}

/// The newest invitations and their state.
#[server(name = ListInvitations, prefix = "/api", endpoint = "accounts/list_invitations")]
pub async fn list_invitations() -> Result<Vec<InvitationView>, PorticoError> {
    use portico_domain::{accounts::invitations, policy::Action};

    use crate::server::{accounts, authorize, db};

    authorize(Action::ManageInvitations).await?;
    let now = accounts()?.clock.now();
    let db = db()?;
    let here = crate::staff::local::Local::load(&db).await?;
    Ok(invitations::latest(&db, now, 100)
        .await?
        .into_iter()
        .map(|row| view_of(row, &here))
        .collect())
}

#[server(name = RevokeInvitation, prefix = "/api", endpoint = "accounts/revoke_invitation")]
pub async fn revoke_invitation(id: i32) -> Result<(), PorticoError> {
    use portico_domain::{accounts::invitations, policy::Action};

    use crate::server::{authorize, db, stamp};

    let actor = authorize(Action::ManageInvitations).await?;
    invitations::revoke(&db()?, &stamp(&actor)?, id).await?;
    Ok(())
}

/// Staff-assisted recovery: removes every factor of the person, ends their sessions and sends
/// a new invitation. Recorded in the audit log.
#[server(name = ResetPersonAccess, prefix = "/api", endpoint = "accounts/reset_person_access")]
pub async fn reset_person_access(user_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{accounts::invitations, company, policy::Action};

    use crate::server::{accounts, authorize, db, stamp};

    let actor = authorize(Action::ManageUsers).await?;
    let accounts = accounts()?;
    let db = db()?;
    let company_name = company::name_or_portico(&db).await;
    invitations::reset_access(
        &db,
        &stamp(&actor)?,
        user_id,
        &company_name,
        &accounts.public_url,
    )
    .await?;
    accounts.mail_waiting();
    Ok(())
}

/// The customer accounts the invitation form offers.
#[server(name = InvitationCustomers, prefix = "/api", endpoint = "accounts/invitation_customers")]
pub async fn invitation_customers() -> Result<Vec<CustomerChoice>, PorticoError> {
    use portico_domain::policy::Action;

    use crate::server::{authorize, db};

    authorize(Action::ManageInvitations).await?;
    Ok(portico_domain::customers::all(&db()?)
        .await?
        .into_iter()
        .map(|c| CustomerChoice {
            id: c.id,
            name: c.name,
        })
        .collect())
}

/// `/staff/invitations`: invite people and see or revoke invitations.
#[component]
pub fn InvitationsPage() -> impl IntoView {
    use leptos_meta::Title;

    let invite = ServerAction::<InvitePerson>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let list = Resource::new(
        move || (invite.version().get(), revoke.version().get()),
        |_| list_invitations(),
    );
    let customers = Resource::new(|| (), |_| invitation_customers());
    let (kind, set_kind) = signal("contact".to_owned());
    let invite_error = move || {
        invite
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let invite_ok = move || matches!(invite.value().get(), Some(Ok(_)));

    view! {
        <Title text="Invitations" />
        <section class="account" aria-labelledby="invitations-title">
            <h1 id="invitations-title">"Invitations"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match customers.await {
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                        Ok(customers) => view! {
                            <ActionForm action=invite attr:class="form card">
                                <h2>"Invite someone"</h2>
                                <fieldset class="field">
                                    <legend>"Who"</legend>
                                    <label><input type="radio" name="kind" value="contact" checked=true on:change=move |_| set_kind.set("contact".into()) />" A customer's contact"</label>
                                    <label><input type="radio" name="kind" value="staff" on:change=move |_| set_kind.set("staff".into()) />" A colleague"</label>
                                </fieldset>
                                <div class="field">
                                    <label for="invite-name">"Name"</label>
                                    <input id="invite-name" name="display_name" type="text" autocomplete="off" required />
                                </div>
                                <div class="field">
                                    <label for="invite-email">"E-mail address"</label>
                                    <input id="invite-email" name="email" type="email" autocomplete="off" required />
                                </div>
                                <Show when=move || kind.get() == "contact">
                                    <div class="field">
                                        <label for="invite-customer">"Customer account"</label>
                                        <select id="invite-customer" name="customer_id">
                                            {customers.clone().into_iter().map(|c| view! { <option value=c.id.to_string()>{c.name}</option> }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field">
                                        <label for="invite-scope">"May"</label>
                                        <select id="invite-scope" name="scope">
                                            <option value="owner">"do everything (owner)"</option>
                                            <option value="payer">"see jobs, see and pay invoices (payer)"</option>
                                            <option value="viewer">"see jobs and documents only (viewer)"</option>
                                        </select>
                                    </div>
                                </Show>
                                <Show when=move || kind.get() == "staff">
                                    <div class="field">
                                        <label for="invite-role">"Role"</label>
                                        <select id="invite-role" name="role">
                                            <option value="office">"Office"</option>
                                            <option value="crew">"Crew"</option>
                                            <option value="admin">"Admin"</option>
                                        </select>
                                    </div>
                                </Show>
                                {move || invite_error().map(|m| view! { <p class="notice notice--error" role="alert">{m}</p> })}
                                {move || invite_ok().then(|| view! { <p class="notice" role="status">"Invitation sent."</p> })}
                                <button type="submit" class="button">"Send invitation"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <h2>"Sent invitations"</h2>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">"No invitations yet."</p> }.into_any(),
                        Ok(rows) => view! {
                            <ul class="item-list" id="invitation-list">
                                {rows.into_iter().map(|row| {
                                    let open = row.may_revoke;
                                    view! {
                                        <li class="item">
                                            <div>
                                                <p class="item__title">{row.display_name.clone()} " · " {row.email.clone()}</p>
                                                <p class="item__meta"><StatusBadge state=row.state />
                                                    " · expires " {row.expires.clone()}</p>
                                            </div>
                                            {open.then(|| view! {
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="id" value=row.id />
                                                    <button type="submit" class="button button--secondary">"Revoke"</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}
