//! Accounts in the app: who is signed in, signing in and out, and the pages for it.

#[cfg(feature = "ssr")]
pub mod address_limit;
pub mod admin;
pub mod customer_accounts;
pub mod email_change;
pub mod factors;
pub mod invitations;
pub mod passkeys;
pub mod profile;
pub mod reauth;
pub mod reset;
pub mod security;
pub mod set_up;
pub mod sign_in;

use serde::{Deserialize, Serialize};

/// What kind of person is signed in, as the pages need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Office,
    Crew,
    /// A customer's contact.
    Customer,
}

impl Role {
    /// A member of staff by their role; no staff role is a customer's contact.
    #[cfg(feature = "ssr")]
    pub fn of(staff_role: Option<portico_domain::accounts::StaffRole>) -> Self {
        use portico_domain::accounts::StaffRole;
        match staff_role {
            Some(StaffRole::Admin) => Self::Admin,
            Some(StaffRole::Office) => Self::Office,
            Some(StaffRole::Crew) => Self::Crew,
            None => Self::Customer,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Office => "office",
            Self::Crew => "crew",
            Self::Customer => "customer",
        }
    }
}

/// The signed-in person, for the header and the pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub display_name: String,
    pub email: String,
    pub role: Role,
    /// Office and admin in demo mode see the "Outgoing mail" page.
    pub sees_outgoing_mail: bool,
    /// A contact's unread messages and open items, for the menu (none for staff). Part of
    /// this answer rather than a resource of its own inside the menu's Suspense, which the
    /// browser could not hydrate.
    pub counts: Option<crate::portal::MenuCounts>,
    /// The newest live event when this answer was made: the page's first live stream asks for
    /// what came after it, so nothing between the server's render and the stream is missed.
    pub live_after: i64,
}

impl SignedInUser {
    pub fn is_office(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Office)
    }
}

/// The signed-in person as the layout fetched it for this page, shared with the pages inside
/// it so that one page load asks once (the home page needs the person too).
#[derive(Clone, Copy)]
pub struct CurrentUser(
    pub leptos::prelude::Resource<Result<Option<SignedInUser>, crate::PorticoError>>,
);

/// The layout's [`CurrentUser`], or a resource of its own where a page is rendered without
/// the layout.
pub fn use_current_user(
) -> leptos::prelude::Resource<Result<Option<SignedInUser>, crate::PorticoError>> {
    use leptos::prelude::*;

    use_context::<CurrentUser>()
        .map(|current| current.0)
        .unwrap_or_else(|| Resource::new(|| (), |_| sign_in::current_user()))
}

/// Sends an anonymous visitor to the sign-in page, to come back here afterwards.
#[leptos::component]
pub fn SignInRedirect() -> impl leptos::IntoView {
    use leptos::prelude::*;
    use leptos_router::{components::Redirect, hooks::use_location};

    let location = use_location();
    let search = location.search.get_untracked();
    let search = search.trim_start_matches('?');
    let mut here = location.pathname.get_untracked();
    if !search.is_empty() {
        here = format!("{here}?{search}");
    }
    let target = format!("/sign-in?next={}", urlencoding_path(&here));
    view! { <Redirect path=target /> }
}

/// Percent-encodes what `?next=` carries.
fn urlencoding_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// What a page shows when its data was refused: an anonymous visitor goes to sign-in (and
/// comes back); anything else is a notice, and the server-rendered page carries the error's
/// status (403, 404 …) rather than 200.
#[leptos::component]
pub fn ErrorView(error: crate::PorticoError) -> impl leptos::IntoView {
    use leptos::prelude::*;

    if error == crate::PorticoError::Unauthenticated {
        return view! { <SignInRedirect /> }.into_any();
    }
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(error.status()),
    ) {
        response.set_status(status);
    }
    view! { <p class="notice notice--error" role="alert">{error.to_string()}</p> }.into_any()
}
