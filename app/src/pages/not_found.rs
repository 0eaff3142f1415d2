//! The page for an address that leads nowhere; answered with status 404.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Page not found" />
        <section class="not-found" aria-labelledby="not-found-title">
            <p class="not-found__code" aria-hidden="true">"404"</p>
            <h1 id="not-found-title">"Page not found"</h1>
            <p>"The address may be mistyped, or the page has moved."</p>
            <A href="/" attr:class="button">"Back to the home page"</A>
        </section>
    }
}
