//! The demo's "Outgoing mail" page: what Portico would have sent, for following the
//! invitation flow without a mail server. Shown only in demo mode, to office and admin.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::PorticoError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub id: i32,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    pub sent: bool,
    pub last_error: Option<String>,
}

#[server(name = ListOutgoingMail, prefix = "/api", endpoint = "mail/outgoing")]
pub async fn outgoing_mail() -> Result<Vec<OutgoingMail>, PorticoError> {
    use portico_domain::policy::Action;

    use crate::server::{accounts, authorize, db};

    let actor = authorize(Action::ViewOutbox).await?;
    if !accounts()?.demo {
        return Err(PorticoError::NotFound);
    }
    Ok(portico_domain::mail::outbox_for(&db()?, &actor, 50)
        .await?
        .into_iter()
        .map(|m| OutgoingMail {
            id: m.id,
            to: m.to_address,
            subject: m.subject,
            body: m.body_text,
            created_at: m.created_at.to_rfc3339(),
            sent: m.sent_at.is_some(),
            last_error: m.last_error,
        })
        .collect())
}

/// Turns the lines of a plain-text mail into paragraphs, with links clickable.
fn body_view(body: &str) -> impl IntoView {
    body.lines()
        .map(|line| {
            let line = line.trim().to_owned();
            if line.starts_with("http://") || line.starts_with("https://") {
                view! { <p><a href=line.clone() class="mail__link">{line.clone()}</a></p> }
                    .into_any()
            } else {
                view! { <p>{line}</p> }.into_any()
            }
        })
        .collect_view()
}

#[component]
pub fn OutgoingMailPage() -> impl IntoView {
    use leptos_meta::Title;

    let mail = Resource::new(|| (), |_| outgoing_mail());
    view! {
        <Title text="Outgoing mail" />
        <section class="account" aria-labelledby="mail-title">
            <h1 id="mail-title">"Outgoing mail"</h1>
            <p class="notice">"Demo mode: without a mail server, Portico keeps its e-mails here so you can follow the links."</p>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match mail.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No mail yet. Invite someone to see one here."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="item-list" id="outgoing-mail">
                                {list.into_iter().map(|m| view! {
                                    <li class="mail card">
                                        <p class="item__title">{m.subject.clone()}</p>
                                        <p class="item__meta">"To " {m.to.clone()} " · " {m.created_at.replace('T', " ").chars().take(16).collect::<String>()} " UTC · "
                                            {if m.sent { "sent" } else { "not sent (no mail server)" }}</p>
                                        <div class="mail__body">{body_view(&m.body)}</div>
                                    </li>
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
