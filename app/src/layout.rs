//! The frame of every page: header with the company's name and navigation, main, footer.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    accounts::sign_in::{current_user, SignOut},
    company::{use_company_profile, CompanyProfile},
};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let company = use_company_profile();
    let (menu_open, set_menu_open) = signal(false);
    let sign_out = ServerAction::<SignOut>::new();
    // Switching customer accounts (on the home page) changes the menu's counts too.
    let switch = ServerAction::<crate::accounts::customer_accounts::SwitchCustomerAccount>::new();
    provide_context(switch);
    // Live news: the stream opens once someone is signed in (after hydration); a contact's
    // menu counts follow the news about their messages, quotes and invoices.
    let signed_in = RwSignal::new(None::<i64>);
    let live = crate::live::provide_live(signed_in.into());
    let counts_matter = RwSignal::new(false);
    let counts_changed = live.changes(move |news| {
        counts_matter.get_untracked() && !matches!(news.kind, crate::live::NewsKind::JobCreated)
    });
    let user = Resource::new(
        move || {
            (
                sign_out.version().get(),
                switch.version().get(),
                counts_changed.get(),
            )
        },
        |_| current_user(),
    );
    provide_context(crate::accounts::CurrentUser(user));
    Effect::new(move |_| {
        let person = user.get().and_then(Result::ok).flatten();
        counts_matter.set(
            person
                .as_ref()
                .is_some_and(|p| p.role == crate::accounts::Role::Customer),
        );
        signed_in.set(person.map(|p| p.live_after));
    });
    Effect::new(move |_| {
        if matches!(sign_out.value().get(), Some(Ok(()))) {
            #[cfg(any(feature = "hydrate", feature = "csr"))]
            let _ = window().location().assign("/");
        }
    });

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="site-header__inner">
                <A href="/" attr:class="brand">
                    <Suspense fallback=|| view! { <span class="brand__mark" aria-hidden="true">"P"</span> }>
                        {move || Suspend::new(async move {
                            match company.await.ok().and_then(|c| c.logo_url) {
                                Some(url) => view! { <img class="brand__logo" src=url alt="" /> }.into_any(),
                                None => view! { <span class="brand__mark" aria-hidden="true">"P"</span> }.into_any(),
                            }
                        })}
                    </Suspense>
                    <span class="brand__name">
                        <Suspense fallback=|| "Portico">
                            {move || Suspend::new(async move {
                                company.await.map(|c| c.name).unwrap_or_else(|_| "Portico".into())
                            })}
                        </Suspense>
                    </span>
                </A>
                <button
                    type="button"
                    class="menu-toggle"
                    aria-controls="site-nav"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| set_menu_open.update(|open| *open = !*open)
                >
                    <span class="menu-toggle__bars" aria-hidden="true"></span>
                    <span class="visually-hidden">"Menu"</span>
                </button>
                <nav id="site-nav" class="site-nav" class:open=menu_open aria-label="Main">
                    <a href="#contact" on:click=move |_| set_menu_open.set(false)>"Contact"</a>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match user.await {
                                Ok(Some(person)) => view! {
                                    {(person.role == crate::accounts::Role::Customer).then(|| view! {
                                        <crate::portal::MovesLink counts=person.counts on_click=move |_| set_menu_open.set(false) />
                                    })}
                                    {person.is_office().then(|| view! {
                                        <A href="/staff">"Dashboard"</A>
                                        <A href="/staff/customers">"Customers"</A>
                                        <A href="/staff/invitations">"Invitations"</A>
                                    })}
                                    {(person.role != crate::accounts::Role::Customer).then(|| view! { <A href="/crew">"Today"</A> })}
                                    {(person.role == crate::accounts::Role::Admin).then(|| view! { <A href="/admin/users">"Admin"</A> })}
                                    {person.sees_outgoing_mail.then(|| view! { <A href="/staff/outgoing-mail">"Outgoing mail"</A> })}
                                    <A href="/account/profile">"Profile"</A>
                                    <A href="/account/security" attr:class="site-nav__account">
                                        <span class="visually-hidden">"Security settings for "</span>
                                        {person.display_name}
                                    </A>
                                    <ActionForm action=sign_out attr:class="site-nav__form">
                                        <button type="submit" class="site-nav__button">"Sign out"</button>
                                    </ActionForm>
                                }.into_any(),
                                _ => view! {
                                    <A href="/" on:click=move |_| set_menu_open.set(false)>"Home"</A>
                                    <A href="/sign-in">"Sign in"</A>
                                }.into_any(),
                            }
                        })}
                    </Transition>
                </nav>
            </div>
        </header>
        <crate::live::LiveNotice />
        <main id="main" class="site-main" tabindex="-1">{children()}</main>
        <footer class="site-footer" id="contact">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    company.await.ok().map(|c| view! { <FooterContact company=c /> })
                })}
            </Suspense>
            <p class="site-footer__powered">"Customer portal by Portico"</p>
        </footer>
    }
}

#[component]
fn FooterContact(company: CompanyProfile) -> impl IntoView {
    let tel = format!("tel:{}", company.phone.replace(' ', ""));
    let mailto = format!("mailto:{}", company.email);
    view! {
        <div class="site-footer__contact">
            <p class="site-footer__name">{company.name}</p>
            <p>
                <a href=tel>{company.phone}</a>
                <a href=mailto>{company.email}</a>
            </p>
        </div>
    }
}
