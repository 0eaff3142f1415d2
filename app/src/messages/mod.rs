//! The message thread of a job: staff and the customer's contacts, newest at the bottom, with
//! what is new since the reader last looked.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    staff::{action_error, loading, FieldError, FormError},
    PorticoError,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: i32,
    pub author: String,
    pub from_staff: bool,
    pub mine: bool,
    pub body: String,
    pub at: String,
    pub new: bool,
}

/// A job's thread, with what is new for this person; reading changes nothing (see
/// [`mark_thread_read`]).
#[server(name = JobThread, prefix = "/api", endpoint = "messages/thread")]
pub async fn job_thread(job_id: i32) -> Result<Vec<MessageView>, PorticoError> {
    use portico_domain::messages;

    use crate::{jobs::access, server, staff::local::Local};

    let (actor, _, _) = access::job_for(job_id, access::On::View).await?;
    let db = server::db()?;
    let here = Local::load(&db).await?;
    let reader = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    Ok(messages::read_thread(&db, job_id, reader)
        .await?
        .into_iter()
        .map(|m| MessageView {
            id: m.id,
            author: m.author,
            from_staff: m.from_staff,
            mine: m.mine,
            body: m.body,
            at: here.date_time(m.at),
            new: m.new,
        })
        .collect())
}

/// Marks a job's thread read up to the newest message the page showed. The page calls it once
/// the thread is on screen (after hydration), so that no GET changes state.
#[server(name = MarkThreadRead, prefix = "/api", endpoint = "messages/mark_read")]
pub async fn mark_thread_read(job_id: i32, up_to: i32) -> Result<(), PorticoError> {
    use portico_domain::messages;

    use crate::{jobs::access, server};

    let (actor, _, _) = access::job_for(job_id, access::On::View).await?;
    let reader = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    messages::mark_thread_read(
        &server::db()?,
        job_id,
        reader,
        up_to,
        server::accounts()?.clock.now(),
    )
    .await?;
    Ok(())
}

/// Posts a message on a job's thread.
#[server(name = PostMessage, prefix = "/api", endpoint = "messages/post")]
pub async fn post_message(job_id: i32, body: String) -> Result<(), PorticoError> {
    use portico_domain::messages;

    use crate::{jobs::access, server};

    let (actor, _, _) = access::job_for(job_id, access::On::Message).await?;
    let author = actor.user_id().ok_or(PorticoError::Unauthenticated)?;
    let db = server::db()?;
    messages::post(&db, &server::stamp(&actor)?, job_id, author, &body).await?;
    server::notify(
        &db,
        portico_domain::notices::Notice::Reply { job_id, author },
    )
    .await;
    Ok(())
}

/// A job's message thread and the signal that reloads it; created by the page beside the job's
/// own resource, outside any `Suspense` (see `documents::DocumentList`).
#[derive(Clone, Copy)]
pub struct Thread {
    pub messages: Resource<Result<Vec<MessageView>, PorticoError>>,
    /// Bumped after a message is posted.
    pub reload: RwSignal<usize>,
    /// What the person is writing, kept here (outside the page's `Transition`) so that a live
    /// update of the page around the box does not lose it.
    pub draft: RwSignal<String>,
}

impl Thread {
    pub fn new(
        job_id: impl Fn() -> i32 + Send + Sync + 'static,
        also: impl Fn() -> usize + Send + Sync + 'static,
    ) -> Self {
        let reload = RwSignal::new(0usize);
        let messages = Resource::new(
            move || (job_id(), also(), reload.get()),
            |(id, _, _)| job_thread(id),
        );
        Self {
            messages,
            reload,
            draft: RwSignal::new(String::new()),
        }
    }
}

/// The thread with a box to answer in.
#[component]
pub fn MessageThread(
    job_id: i32,
    thread: Thread,
    /// Offers the box to write in (a payer or viewer contact only reads).
    #[prop(default = true)]
    may_write: bool,
) -> impl IntoView {
    let post = ServerAction::<PostMessage>::new();
    let Thread {
        messages: thread,
        reload,
        draft,
    } = thread;
    let error = action_error(post);
    let set_draft = draft.write_only();
    // Once new messages are on screen, say so; effects run in the browser only.
    let mark_read = ServerAction::<MarkThreadRead>::new();
    Effect::new(move |_| {
        if let Some(Ok(list)) = thread.get() {
            if let (true, Some(newest)) = (list.iter().any(|m| m.new), list.last()) {
                mark_read.dispatch(MarkThreadRead {
                    job_id,
                    up_to: newest.id,
                });
            }
        }
    });
    Effect::new(move |_| {
        if matches!(post.value().get(), Some(Ok(()))) {
            set_draft.set(String::new());
            reload.update(|n| *n += 1);
        }
    });

    view! {
        <section class="card" aria-labelledby="messages-title">
            <h2 id="messages-title">"Messages"</h2>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match thread.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No messages yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ol class="thread">
                                {list.into_iter().map(|m| view! {
                                    <li class="thread__message" class:thread__message--mine=m.mine class:thread__message--staff=m.from_staff>
                                        <p class="thread__meta">
                                            <strong>{m.author}</strong>" · "{m.at}
                                            {m.new.then(|| view! { <span class="badge badge--new">"new"</span> })}
                                        </p>
                                        <p class="thread__body">{m.body}</p>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(error) => view! { <crate::accounts::ErrorView error /> }.into_any(),
                    }
                })}
            </Transition>
            {(!may_write).then(|| view! {
                <p class="muted">"The account owner writes to the office here; you can read along."</p>
            })}
            <ActionForm action=post attr:class="form" attr:hidden=!may_write>
                <input type="hidden" name="job_id" value=job_id />
                <div class="field">
                    <label for="message-body">"Your message"</label>
                    <textarea id="message-body" name="body" rows="3" maxlength="5000"
                        prop:value=draft on:input=move |ev| set_draft.set(event_target_value(&ev))></textarea>
                    <FieldError error field="body" />
                </div>
                <FormError error />
                <button type="submit" class="button" disabled=move || post.pending().get()>
                    {move || if post.pending().get() { "Sending…" } else { "Send" }}
                </button>
            </ActionForm>
        </section>
    }
    .into_any()
}
