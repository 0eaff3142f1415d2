//! The customer's home page: their moves, upcoming first, each with its status in words and
//! the one next thing to do; unread messages and open items counted; a switch between customer
//! accounts for a person who belongs to several.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{HomeView, MoveCardView};
use crate::{
    accounts::{customer_accounts::SwitchCustomerAccount, ErrorView},
    staff::{loading, StatusBadge},
};

#[component]
pub fn CustomerHome(
    home: Resource<Result<HomeView, crate::PorticoError>>,
    switch: ServerAction<SwitchCustomerAccount>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text="Your moves" />
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) => view! { <Home home switch /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Home(home: HomeView, switch: ServerAction<SwitchCustomerAccount>) -> impl IntoView {
    let summary = match (home.open_items, home.unread) {
        (0, 0) => "Nothing waits for you right now.".to_owned(),
        (items, unread) => {
            let mut parts = Vec::new();
            if items > 0 {
                parts.push(format!(
                    "{items} {} for you",
                    if items == 1 {
                        "thing waits"
                    } else {
                        "things wait"
                    }
                ));
            }
            if unread > 0 {
                parts.push(format!(
                    "{unread} unread {}",
                    if unread == 1 { "message" } else { "messages" }
                ));
            }
            format!("{}.", parts.join(", "))
        }
    };
    let several = home.accounts.len() > 1;
    view! {
        <section class="portal-home" aria-labelledby="home-title">
            <h1 id="home-title">"Your moves"</h1>
            <p class="portal-home__account">
                {home.account_name.clone()}
                " · "
                <span class="portal-home__summary">{summary}</span>
            </p>
            {home.may_manage_people.then(|| view! {
                <p class="portal-home__people">
                    <A href="/account/people">"People on this account"</A>
                </p>
            })}
            {several.then(|| view! {
                <ActionForm action=switch attr:class="form form--inline account-switch">
                    <label for="account-switch">"Account"</label>
                    <select id="account-switch" name="customer_id">
                        {home.accounts.iter().map(|a| view! {
                            <option value=a.customer_id selected=a.active>{a.name.clone()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="button button--secondary">"Switch"</button>
                </ActionForm>
            })}
            {if home.moves.is_empty() {
                view! {
                    <div class="empty-state">
                        <h2>"No moves yet"</h2>
                        <p>
                            "When we have your request, your move appears here: the quote, "
                            "moving day, the crew on its way and the invoice, all in one place. "
                            "Questions in the meantime? Call or e-mail us (below)."
                        </p>
                    </div>
                }.into_any()
            } else {
                view! {
                    <ul class="move-cards" role="list">
                        {home.moves.into_iter().map(|card| view! { <MoveCard card /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn MoveCard(card: MoveCardView) -> impl IntoView {
    let href = format!("/moves/{}", card.id);
    let next_href = card.next.href(card.id);
    let download = card.next.is_download();
    let heading_id = format!("move-{}", card.id);
    let labelled_by = heading_id.clone();
    view! {
        <li class="move-card" aria-labelledby=labelled_by>
            <p class="move-card__top">
                <A href=href attr:id=heading_id attr:class="move-card__title">
                    {card.reference.clone()}
                </A>
                " "
                <StatusBadge state=card.state />
                {(card.unread > 0).then(|| view! {
                    <span class="count" aria-label=format!("{} unread messages", card.unread)>
                        {card.unread}
                    </span>
                })}
            </p>
            <p class="move-card__words">{card.words.clone()}</p>
            <p class="move-card__route muted">{card.route.clone()}</p>
            {if download {
                view! { <a class="button" href=next_href download>{card.next.label()}</a> }.into_any()
            } else {
                view! { <a class="button" href=next_href>{card.next.label()}</a> }.into_any()
            }}
        </li>
    }
}
