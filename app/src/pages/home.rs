//! The front page a customer lands on.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{company::use_company_profile, PorticoError};

#[component]
pub fn HomePage() -> impl IntoView {
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
