//! Portico's Leptos application: the shell, the routes, the pages and the server functions.
//!
//! The same code renders on the server (feature `ssr`), hydrates in the browser (`hydrate`), and
//! renders client-side for Trunk (`csr`). Server functions are thin: they find who is asking, ask
//! the policy, call a `portico_domain` service and map the result to a DTO.

// The view types of the larger pages nest deeper than the default 128 allows in release builds.
#![recursion_limit = "256"]

pub mod accounts;
pub mod admin;
pub mod company;
pub mod crew;
pub mod customers;
pub mod documents;
pub mod error;
pub mod invoices;
pub mod jobs;
mod layout;
pub mod live;
pub mod mail;
pub mod messages;
pub mod pages;
pub mod payments;
pub mod portal;
pub mod quotes;
pub mod requests;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod server;
pub mod staff;
pub mod states;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    ParamSegment, SsrMode, StaticSegment,
};

pub use error::PorticoError;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::apply_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="stylesheet" href="/pkg/portico.css" />
                // The company's colour, from its settings (after the defaults, so it wins).
                <link rel="stylesheet" href="/brand.css" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    company::provide_company_profile();

    // Marks the document once the WASM runs, so that styles and tests can tell a
    // server-rendered page from a hydrated one.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|text: String| {
            if text.is_empty() { "Portico".to_owned() } else { format!("{text} · Portico") }
        } />
        <Router>
            <layout::Layout>
                <Routes fallback=pages::NotFound>
                    // Async: the server waits for the page's data and sends whole HTML, so
                    // the page reads fine before (or without) the WASM.
                    <Route path=StaticSegment("") view=pages::HomePage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("moves"), ParamSegment("id"))
                        view=portal::move_page::MovePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("payments"), ParamSegment("attempt"))
                        view=payments::page::PaymentReturnPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("account"), StaticSegment("profile"))
                        view=accounts::profile::ProfilePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("receipts"), StaticSegment("check"))
                        view=quotes::receipt_check::ReceiptCheckPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("account"), StaticSegment("email"), ParamSegment("token"))
                        view=accounts::email_change::ConfirmEmailPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("account"), StaticSegment("people"))
                        view=portal::people::PeoplePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("account"), StaticSegment("security"))
                        view=accounts::security::SecurityPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("invitation"), ParamSegment("token"))
                        view=accounts::set_up::InvitationPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("staff"), StaticSegment("invitations"))
                        view=accounts::invitations::InvitationsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("staff"), StaticSegment("outgoing-mail"))
                        view=mail::OutgoingMailPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("forgot-password")
                        view=accounts::reset::ForgotPasswordPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("reset-password"), ParamSegment("token"))
                        view=accounts::reset::ResetPasswordPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("staff") view=staff::dashboard::DashboardPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("staff"), StaticSegment("customers"))
                        view=customers::CustomersPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("staff"), StaticSegment("customers"), StaticSegment("new"))
                        view=customers::NewCustomerPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("staff"), StaticSegment("customers"), ParamSegment("id"))
                        view=customers::CustomerPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("staff"), StaticSegment("jobs"), ParamSegment("id"))
                        view=jobs::page::StaffJobPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("crew") view=crew::CrewPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("users"))
                        view=admin::UsersPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("company"))
                        view=admin::CompanyPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("admin"), StaticSegment("audit"))
                        view=admin::AuditPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("sign-in")
                        view=accounts::sign_in::SignInPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </layout::Layout>
        </Router>
    }
}

#[cfg(test)]
mod layering {
    /// The app crate reaches the database only through `portico_domain`'s services: without
    /// sea-orm or sqlx among its dependencies, a query in a server function does not compile.
    #[test]
    fn the_app_crate_has_no_database_dependency() {
        let manifest = include_str!("../Cargo.toml");
        for crate_name in ["sea-orm", "sea_orm", "sqlx"] {
            assert!(
                !manifest.contains(crate_name),
                "app/Cargo.toml names {crate_name}"
            );
        }
    }
}
