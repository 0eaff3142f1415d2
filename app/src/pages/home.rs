//! `/`: a signed-in customer's contact sees their moves, staff go to their workspace, and a
//! visitor sees the company's page with "Sign in".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::{
    accounts::{customer_accounts::SwitchCustomerAccount, use_current_user, Role},
    company::use_company_profile,
    PorticoError,
};

#[component]
pub fn HomePage() -> impl IntoView {
    let user = use_current_user();
    // Made here, beside `user`, not inside the Suspense once the person is known: a resource
    // created after an await gets its place among the serialized resources in the order the
    // server resolved them, which the hydrating browser cannot follow. Only a contact's
    // moves are asked for; staff are on their way to their workspace.
    let switch = use_context::<ServerAction<SwitchCustomerAccount>>().unwrap_or_default();
    // News about any move of theirs fetches the list again (the server sends only theirs).
    let news = crate::live::use_live().changes(|n| n.job_id.is_some());
    let moves = Resource::new(
        move || (switch.version().get(), news.get()),
        move |_| async move {
            match user.await? {
                Some(person) if person.role == Role::Customer => crate::portal::my_moves().await,
                Some(_) => Err(PorticoError::Forbidden),
                None => Err(PorticoError::Unauthenticated),
            }
        },
    );
    view! {
        <Transition fallback=crate::staff::loading>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(person)) => match person.role {
                        Role::Customer => view! {
                            <Title text="Your moves" />
                            <crate::portal::home::CustomerHome home=moves switch />
                        }.into_any(),
                        Role::Admin | Role::Office => view! { <Redirect path="/staff" /> }.into_any(),
                        Role::Crew => view! { <Redirect path="/crew" /> }.into_any(),
                    },
                    _ => view! { <Welcome /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The company's page for a visitor who has not signed in.
#[component]
fn Welcome() -> impl IntoView {
    let company = use_company_profile();

    view! {
        <Title text="Welcome" />
        <section class="hero" aria-labelledby="hero-title">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match company.await {
                        Ok(profile) => view! {
                            <h1 id="hero-title">"Your move with " {profile.name} ", in one place"</h1>
                        }.into_any(),
                        // A new installation has no company profile yet: nothing is wrong.
                        Err(PorticoError::NotFound) => view! {
                            <h1 id="hero-title">"Your move, in one place"</h1>
                        }.into_any(),
                        Err(error) => view! {
                            <h1 id="hero-title">"Your move, in one place"</h1>
                            <p class="notice notice--error" role="alert">{error.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <p class="hero__lead">
                "Day or night: see where your quote stands, when the crew comes and whether "
                "they are on their way, and find your documents and invoices."
            </p>
            <p><a class="button" href="/sign-in">"Open your portal"</a></p>
        </section>
        <section class="features" aria-label="What you can do here">
            <article class="feature">
                <h2>"Your quote"</h2>
                <p>"Read every line, accept it with your name, or ask for a change."</p>
            </article>
            <article class="feature">
                <h2>"Moving day"</h2>
                <p>"Your date and time slot, and a live notice when the crew is on its way."</p>
            </article>
            <article class="feature">
                <h2>"Documents and invoices"</h2>
                <p>"Download your contract, inventory list and invoices, and pay online."</p>
            </article>
            <article class="feature">
                <h2>"Questions"</h2>
                <p>"One conversation per move with our office, so nothing gets lost."</p>
            </article>
        </section>
    }
}
