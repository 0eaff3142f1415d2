//! The security page every signed-in person has: their sessions (device, address, last seen),
//! with "sign out" per session and "sign out everywhere else".

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PorticoError;

/// One active session, as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// An opaque handle (a hash of the cookie, never the cookie itself).
    pub id: String,
    pub current: bool,
    pub device: String,
    pub ip: Option<String>,
    /// RFC 3339, UTC.
    pub last_seen: String,
    pub signed_in: String,
}

/// A short device description from a user agent: browser and system.
pub fn describe_device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return "Unknown device".to_owned();
    };
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        "Browser"
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        "unknown system"
    };
    format!("{browser} on {system}")
}

#[cfg(feature = "ssr")]
async fn current_session_key() -> Result<Option<String>, PorticoError> {
    let session = crate::server::session()?;
    Ok(session
        .id()
        .map(|id| portico_domain::accounts::session::storage_key(&id.to_string())))
}

/// The signed-in person's active sessions, this one first.
#[server(name = MySessions, prefix = "/api", endpoint = "accounts/my_sessions")]
pub async fn my_sessions() -> Result<Vec<SessionView>, PorticoError> {
    use portico_domain::{accounts::session, policy::Action};

    use crate::server::{accounts, authorize, db};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let current = current_session_key().await?;
    let now = accounts()?.clock.now();
    let mut sessions: Vec<SessionView> = session::active_for_user(&db()?, user_id, now)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: current.as_deref() == Some(s.id.as_str()),
            device: describe_device(s.user_agent.as_deref()),
            ip: s.ip,
            last_seen: s.last_seen_at.to_rfc3339(),
            signed_in: s.created_at.to_rfc3339(),
            id: s.id,
        })
        .collect();
    sessions.sort_by_key(|s| !s.current);
    Ok(sessions)
}

/// Signs out one of the person's sessions (another person's id is "not found").
#[server(name = EndSession, prefix = "/api", endpoint = "accounts/end_session")]
pub async fn end_session(id: String) -> Result<(), PorticoError> {
    use portico_domain::{accounts::session, policy::Action};

    use crate::server::{authorize, db, stamp};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    session::end_one(&db()?, &stamp(&actor)?, user_id, &id).await?;
    Ok(())
}

/// Signs out every other session of the person; this one stays.
#[server(name = EndOtherSessions, prefix = "/api", endpoint = "accounts/end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, PorticoError> {
    use portico_domain::{accounts::session, policy::Action};

    use crate::server::{authorize, db, stamp};

    let actor = authorize(Action::ManageOwnAccount).await?;
    let user_id = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let keep = current_session_key().await?;
    let ended = session::end_others(&db()?, &stamp(&actor)?, user_id, keep.as_deref()).await?;
    Ok(ended)
}

/// `/account/security`.
#[component]
pub fn SecurityPage() -> impl IntoView {
    use leptos_meta::Title;

    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new(
        move || (end_one.version().get(), end_others.version().get()),
        |_| my_sessions(),
    );
    let confirmed = RwSignal::new(0u32);

    view! {
        <Title text="Security" />
        <section class="account" aria-labelledby="security-title">
            <h1 id="security-title">"Security"</h1>
            <super::customer_accounts::CustomerAccounts />
            <super::reauth::ConfirmIdentityCard confirmed />
            <super::email_change::EmailSection confirmed />
            <super::passkeys::PasskeyManager />
            <super::factors::FactorsSection />
            <h2>"Where you are signed in"</h2>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => view! { <SessionList list end_one end_others /> }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn SessionList(
    list: Vec<SessionView>,
    end_one: ServerAction<EndSession>,
    end_others: ServerAction<EndOtherSessions>,
) -> impl IntoView {
    let others = list.iter().filter(|s| !s.current).count();
    let (confirming, set_confirming) = signal(false);
    view! {
        <ul class="session-list">
            {list.into_iter().map(|s| {
                let id = s.id.clone();
                view! {
                    <li class="session" class:session--current=s.current>
                        <div>
                            <p class="session__device">
                                {s.device.clone()}
                                {s.current.then(|| view! { <span class="badge">"This device"</span> })}
                            </p>
                            <p class="session__meta">
                                {s.ip.clone().unwrap_or_else(|| "unknown address".to_owned())}
                                " · last seen "
                                <time datetime=s.last_seen.clone()>{s.last_seen.replace('T', " ").chars().take(16).collect::<String>()}" UTC"</time>
                            </p>
                        </div>
                        {(!s.current).then(|| view! {
                            <ActionForm action=end_one>
                                <input type="hidden" name="id" value=id />
                                <button type="submit" class="button button--secondary">"Sign out"</button>
                            </ActionForm>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
        {(others > 0).then(|| view! {
            <div class="danger-zone">
                <Show
                    when=move || confirming.get()
                    fallback=move || view! {
                        <button type="button" class="button button--secondary" on:click=move |_| set_confirming.set(true)>
                            "Sign out everywhere else"
                        </button>
                    }
                >
                    <ActionForm action=end_others>
                        <p>{format!("Sign out {others} other session(s)? Those devices will need to sign in again.")}</p>
                        <button type="submit" class="button button--danger">"Yes, sign them out"</button>
                        <button type="button" class="link-button" on:click=move |_| set_confirming.set(false)>"Cancel"</button>
                    </ActionForm>
                </Show>
            </div>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::describe_device;

    #[test]
    fn devices_are_named_by_browser_and_system() {
        assert_eq!(
            describe_device(Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36")),
            "Chrome on Linux"
        );
        assert_eq!(
            describe_device(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")),
            "Safari on iOS"
        );
        assert_eq!(describe_device(None), "Unknown device");
    }
}
