//! `GET /live`: one signed-in browser tab's stream of news.
//!
//! Same origin only (a browser says so in `Sec-Fetch-Site`), and only with a session: the
//! anonymous get 401. While it is open the stream watches its session: a sign-out, a revoked
//! session, a disabled account or a changed role ends the session row, and the person's
//! streams hear of it at once (a control event) and close with `signed_out`; an idle or
//! absolute expiry ends it at the moment it falls due. A change of what the person may see
//! (a scope, an account taken away) makes the stream look them up again and tell the page to
//! refetch (`resync`).
//!
//! On (re)connection the browser names the last event it saw (`Last-Event-ID`, or `?after=`
//! for the first connection of a page, whose HTML says which event it was rendered after) and
//! is given exactly the events it missed that it may see, in order, from the table; a gap
//! older than the table keeps, or longer than [`REPLAY_LIMIT`], is a `resync` instead.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use portico_app::{
    live::{control, News},
    server::actor_of,
    PorticoError,
};
use portico_domain::{
    accounts::{actor::actor_for, session},
    live::{self, Replay},
    policy::Actor,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{Hub, Push, Registration};
use crate::{errors::Refusal, AppState};

/// Missed events replayed at most; beyond that the page refetches.
pub const REPLAY_LIMIT: usize = 500;

/// The heartbeat: a comment line this often keeps proxies from closing an idle stream (most
/// close after 60 s of silence) and lets the server notice a browser that went away.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, Deserialize)]
pub struct Resume {
    after: Option<i64>,
}

/// Where a browser's reconnection delay is drawn from: spread out, so that a restart does not
/// bring every browser back in the same instant.
fn retry_after() -> Duration {
    let jitter = getrandom::u64().unwrap_or(0) % 4000;
    Duration::from_millis(2000 + jitter)
}

pub async fn live(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Result<Response, Refusal> {
    // A page of another site cannot read our stream (no CORS), but it need not open it either.
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes() != b"same-origin" {
            return Err(PorticoError::Forbidden.into());
        }
    }
    let actor = actor_of(&session, &state.accounts, &state.db).await?;
    let (Some(user_id), Some(id)) = (actor.user_id(), session.id()) else {
        return Err(PorticoError::Unauthenticated.into());
    };
    let key = session::storage_key(&id.to_string());
    let signed_in_at = session
        .get::<i64>(session::keys::SIGNED_IN_AT)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    let absolute = DateTime::<Utc>::from_timestamp(signed_in_at, 0).unwrap_or_default()
        + state.accounts.sessions.absolute;
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(resume.after);
    // Saving now, not when the stream ends: the session's last use is this moment.
    session.save().await.map_err(|_| PorticoError::Internal)?;
    let watch = Watch {
        hub: state.live.clone(),
        key,
        user_id,
        absolute,
    };
    let stream = events(watch, actor, last_seen);
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response();
    // Proxies (nginx) must pass events on at once rather than buffer the response.
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// What a stream needs to check its session while it is open.
struct Watch {
    hub: Hub,
    key: String,
    user_id: i32,
    absolute: DateTime<Utc>,
}

enum Checked {
    Same,
    Changed(Actor),
    Ended,
}

impl Watch {
    /// When the session ends unless it is used meanwhile (`None`: it has ended).
    async fn until(&self) -> Option<DateTime<Utc>> {
        let now = self.hub.clock().now();
        if now >= self.absolute {
            return None;
        }
        match session::live_until(self.hub.db(), &self.key, self.user_id, now).await {
            Ok(Some(until)) => Some(until.min(self.absolute)),
            Ok(None) => None,
            // The database is away for a moment: look again soon rather than close.
            Err(_) => Some(now + chrono::Duration::seconds(5)),
        }
    }

    async fn recheck(&self, actor: &Actor) -> Checked {
        if self.until().await.is_none() {
            return Checked::Ended;
        }
        match actor_for(self.hub.db(), self.user_id).await {
            Ok(Actor::Anonymous) => Checked::Ended,
            Ok(now) if now == *actor => Checked::Same,
            Ok(now) => Checked::Changed(now),
            Err(_) => Checked::Same,
        }
    }
}

fn news(id: i64, json: &str) -> Event {
    Event::default().id(id.to_string()).data(json)
}

fn control(name: &str) -> Event {
    Event::default().event(name).data("{}")
}

/// The stream itself: first what was missed, then news as it comes, until the session ends,
/// the person opens too many tabs, the client is too slow, or the server shuts down.
fn events(
    watch: Watch,
    mut actor: Actor,
    last_seen: Option<i64>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    async_stream::stream! {
        let hub = watch.hub.clone();
        let closing = hub.closing();
        // Registered before reading the table, so nothing committed meanwhile is missed; what
        // arrives twice is skipped by id.
        let (registration, mut queue): (Registration, _) = hub.open(watch.user_id, actor.clone());
        yield Ok(Event::default().retry(retry_after()).comment("portico live"));
        let mut last = last_seen.unwrap_or(i64::MAX);
        if let Some(after) = last_seen {
            match live::replay(hub.db(), &actor, after, REPLAY_LIMIT).await {
                Ok(Replay::Missed(missed)) => {
                    for event in &missed {
                        if let Some(item) = News::of(event) {
                            if let Ok(json) = serde_json::to_string(&item) {
                                yield Ok(news(event.id, &json));
                            }
                        }
                        last = event.id;
                    }
                }
                Ok(Replay::TooOld) | Err(_) => {
                    yield Ok(control(control::RESYNC));
                    last = live::newest(hub.db()).await.unwrap_or(after);
                }
            }
        }
        let mut deadline = watch.until().await;
        loop {
            let Some(until) = deadline else {
                yield Ok(control(control::SIGNED_OUT));
                break;
            };
            let wait = (until - hub.clock().now()).to_std().unwrap_or_default();
            tokio::select! {
                biased;
                () = closing.cancelled() => break,
                push = queue.recv() => match push {
                    // Closed by the hub: too slow (the browser resumes from `last`).
                    None => break,
                    Some(Push::News(prepared)) => {
                        // Before the first replay, `last` is unknown: take everything.
                        if last == i64::MAX || prepared.id > last {
                            last = prepared.id;
                            yield Ok(news(prepared.id, &prepared.json));
                        }
                    }
                    Some(Push::Recheck) => match watch.recheck(&actor).await {
                        Checked::Same => {}
                        Checked::Ended => deadline = None,
                        Checked::Changed(now) => {
                            hub.update_actor(&registration, now.clone());
                            actor = now;
                            yield Ok(control(control::RESYNC));
                        }
                    },
                    Some(Push::Superseded) => {
                        yield Ok(control(control::SUPERSEDED));
                        break;
                    }
                },
                () = tokio::time::sleep(wait) => deadline = watch.until().await,
            }
        }
        drop(registration);
    }
}
