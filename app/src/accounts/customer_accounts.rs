//! A person may be a contact of several customer accounts (a household and a business, say)
//! and switches between them; the chosen one is kept in the session.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PorticoError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAccountView {
    pub customer_id: i32,
    pub name: String,
    pub scope: crate::states::Scope,
    pub active: bool,
}

/// The customer account the signed-in contact works in: the one chosen in this session if it is
/// still theirs, otherwise their first.
#[cfg(feature = "ssr")]
pub async fn active_customer(
    actor: &portico_domain::policy::Actor,
) -> Result<Option<i32>, PorticoError> {
    use portico_domain::{accounts::session::keys, policy::Actor};

    use crate::server::{session, session_error};

    let Actor::Contact { memberships, .. } = actor else {
        return Ok(None);
    };
    let chosen = session()?
        .get::<i32>(keys::ACTIVE_CUSTOMER)
        .await
        .map_err(session_error)?;
    Ok(chosen
        .filter(|id| memberships.iter().any(|m| m.customer_id == *id))
        .or_else(|| memberships.first().map(|m| m.customer_id)))
}

/// The customer accounts of the signed-in person (none for staff).
#[server(name = MyCustomerAccounts, prefix = "/api", endpoint = "accounts/my_customer_accounts")]
pub async fn my_customer_accounts() -> Result<Vec<CustomerAccountView>, PorticoError> {
    use portico_domain::policy::{Action, Actor};

    use crate::server::{authorize, db};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let active = active_customer(&actor).await?;
    let Actor::Contact { memberships, .. } = &actor else {
        return Ok(Vec::new());
    };
    let ids: Vec<i32> = memberships.iter().map(|m| m.customer_id).collect();
    let customers = portico_domain::customers::find_many(&db()?, &ids).await?;
    Ok(memberships
        .iter()
        .filter_map(|m| {
            let customer = customers.iter().find(|c| c.id == m.customer_id)?;
            Some(CustomerAccountView {
                customer_id: m.customer_id,
                name: customer.name.clone(),
                scope: m.scope.into(),
                active: active == Some(m.customer_id),
            })
        })
        .collect())
}

/// Switches to another of the person's customer accounts; any other id is "not found".
#[server(name = SwitchCustomerAccount, prefix = "/api", endpoint = "accounts/switch_customer_account")]
pub async fn switch_customer_account(customer_id: i32) -> Result<(), PorticoError> {
    use portico_domain::{
        accounts::session::keys,
        policy::{Action, Actor},
    };

    use crate::server::{authorize, session, session_error};

    let actor = authorize(Action::ViewCustomer { customer_id }).await?;
    if !matches!(actor, Actor::Contact { .. }) {
        return Err(PorticoError::Conflict(
            "Only a customer's contacts switch accounts.".to_owned(),
        ));
    }
    session()?
        .insert(keys::ACTIVE_CUSTOMER, customer_id)
        .await
        .map_err(session_error)?;
    Ok(())
}

/// The security page's list of the person's customer accounts, with a switch.
#[component]
pub fn CustomerAccounts() -> impl IntoView {
    let switch = ServerAction::<SwitchCustomerAccount>::new();
    let accounts = Resource::new(move || switch.version().get(), |_| my_customer_accounts());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match accounts.await {
                    Ok(list) if list.len() > 1 => view! {
                        <section class="card" aria-labelledby="accounts-title">
                            <h2 id="accounts-title">"Your customer accounts"</h2>
                            <ul class="item-list" id="customer-accounts">
                                {list.into_iter().map(|a| view! {
                                    <li class="item">
                                        <div>
                                            <p class="item__title">{a.name.clone()}
                                                {a.active.then(|| view! { <span class="badge">"Current"</span> })}</p>
                                            <p class="item__meta">{a.scope.label()}</p>
                                        </div>
                                        {(!a.active).then(|| view! {
                                            <ActionForm action=switch>
                                                <input type="hidden" name="customer_id" value=a.customer_id />
                                                <button type="submit" class="button button--secondary">"Switch to this account"</button>
                                            </ActionForm>
                                        })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}
