//! Live status: every change reaches every open page allowed to see it, within a second and
//! without a reload.
//!
//! # Why Server-Sent Events
//!
//! The news only flows one way, server to browser; what a person does goes through the
//! ordinary server functions, which check the session, the origin and the policy. SSE is plain
//! HTTP (one long `GET /live` response, `text/event-stream`): the browser's `EventSource`
//! reconnects by itself, sends the last event id it saw (`Last-Event-ID`) and honours the
//! `retry` we give it, proxies and load balancers pass it unchanged, and it rides the session
//! cookie like any page. A WebSocket would add a second protocol with its own upgrade, origin
//! check and framing, and hyper keeps a WebSocket's read and write buffers (several KB each,
//! more with tungstenite's defaults) per connection; an SSE stream here is an idle HTTP/1.1
//! response with a small bounded queue.
//!
//! # How news travels
//!
//! 1. A domain service writes a `live_event` row in the transaction of its change
//!    (`portico_domain::live::publish`). On PostgreSQL the same transaction sends
//!    `NOTIFY portico_live, '<id>'`.
//! 2. Each instance's [`Hub`] has one dispatcher: woken by the commit (SQLite, same process) or
//!    by the notification (PostgreSQL, any instance: [`listener`]), it reads the rows after the
//!    last one it dispatched, from the table, in id order.
//! 3. For each row it asks the access policy, per open stream, whether that person may see it
//!    *now* (`portico_domain::live::may_see`, with the job's crew as it is now), and queues the
//!    event on the streams that may. A queue that is full belongs to a client that does not
//!    read: that stream is closed and the browser resumes from its last id.
//! 4. A stream that reconnects is given exactly what it missed, read from the table
//!    ([`stream`]).
//!
//! Control events (a person's access changed, some of their sessions ended) are rows too:
//! the streams of that person look their session and their access up again at once.

pub mod listener;
pub mod stream;

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, Weak,
    },
    time::Duration,
};

use portico_app::live::News;
use portico_domain::{
    clock::SharedClock,
    live::{self, LiveEvent},
    policy::Actor,
    DatabaseConnection,
};
use sea_orm::DatabaseBackend;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

/// Events queued for one stream before it counts as too slow and is closed.
pub const STREAM_QUEUE: usize = 64;

/// How often the dispatcher looks at the table even when nobody woke it: a safety net for a
/// wake-up lost in a crash between commit and notification, never the way news travels.
const SWEEP: Duration = Duration::from_secs(10);

/// Rows read per query by the dispatcher.
const BATCH: u64 = 256;

/// What a stream is told by the hub.
#[derive(Debug, Clone)]
pub enum Push {
    /// An event this person may see, serialised once for everyone.
    News(Arc<Prepared>),
    /// Look the session and the person's access up again.
    Recheck,
    /// The person opened more streams than allowed; this, their oldest, ends.
    Superseded,
}

/// One event, ready to send.
#[derive(Debug)]
pub struct Prepared {
    pub id: i64,
    pub json: String,
}

/// Counters for tests, the benchmark and the logs.
#[derive(Debug, Default)]
pub struct Stats {
    pub dispatched: AtomicU64,
    pub delivered: AtomicU64,
    pub dropped_slow: AtomicU64,
    pub superseded: AtomicU64,
    /// Times the PostgreSQL listener (re)connected and caught up from the table.
    pub listener_connects: AtomicU64,
    /// The server process id of the PostgreSQL listener's connection (0 when none).
    pub listener_pid: AtomicU64,
}

struct Entry {
    user_id: i32,
    actor: Actor,
    queue: mpsc::Sender<Push>,
}

#[derive(Default)]
struct Registry {
    next: u64,
    streams: HashMap<u64, Entry>,
    /// Each person's streams, oldest first.
    by_person: HashMap<i32, VecDeque<u64>>,
}

impl Registry {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.streams.remove(&id)?;
        if let Some(list) = self.by_person.get_mut(&entry.user_id) {
            list.retain(|s| *s != id);
            if list.is_empty() {
                self.by_person.remove(&entry.user_id);
            }
        }
        Some(entry)
    }
}

struct Inner {
    db: DatabaseConnection,
    clock: SharedClock,
    per_person: usize,
    registry: Mutex<Registry>,
    /// Cancelled at shutdown: every open stream ends, so the server can stop.
    closing: CancellationToken,
    /// Cancelled when the hub goes away: its background tasks stop.
    stop: CancellationToken,
    stats: Stats,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.cancel();
        self.closing.cancel();
    }
}

/// The live-status hub of one instance: open streams, and the dispatcher that feeds them.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// A stream's place in the hub; leaving it (dropping this) takes the stream off.
pub struct Registration {
    hub: Weak<Inner>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(inner) = self.hub.upgrade() {
            if let Ok(mut registry) = inner.registry.lock() {
                registry.remove(self.id);
            }
        }
    }
}

impl Hub {
    /// Starts the hub's dispatcher (and, on PostgreSQL, its listener) on the current runtime.
    pub fn start(db: DatabaseConnection, clock: SharedClock, per_person: usize) -> Self {
        let inner = Arc::new(Inner {
            db: db.clone(),
            clock,
            per_person: per_person.max(1),
            registry: Mutex::new(Registry::default()),
            closing: CancellationToken::new(),
            stop: CancellationToken::new(),
            stats: Stats::default(),
        });
        let wake = Arc::new(Notify::new());
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        if postgres {
            tokio::spawn(listener::listen(
                db.get_postgres_connection_pool().clone(),
                wake.clone(),
                Arc::downgrade(&inner),
                inner.stop.clone(),
            ));
        }
        // On SQLite the commits of this process are all there is; on PostgreSQL news from any
        // instance, this one included, arrives by notification only.
        let local = (!postgres).then(live::local_commits);
        tokio::spawn(dispatch(
            Arc::downgrade(&inner),
            wake,
            local,
            inner.stop.clone(),
        ));
        Self { inner }
    }

    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// Open streams now.
    pub fn open_streams(&self) -> usize {
        self.inner.registry.lock().map_or(0, |r| r.streams.len())
    }

    /// Ends every open stream (at shutdown, before the server waits for requests to finish).
    pub fn close_all(&self) {
        self.inner.closing.cancel();
    }

    fn closing(&self) -> CancellationToken {
        self.inner.closing.clone()
    }

    fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// Adds a stream for `user_id`; their oldest stream beyond the cap is told it is
    /// superseded and closed.
    fn open(&self, user_id: i32, actor: Actor) -> (Registration, mpsc::Receiver<Push>) {
        let (queue, receiver) = mpsc::channel(STREAM_QUEUE);
        let mut evicted = Vec::new();
        let id = match self.inner.registry.lock() {
            Ok(mut registry) => {
                registry.next += 1;
                let id = registry.next;
                registry.streams.insert(
                    id,
                    Entry {
                        user_id,
                        actor,
                        queue,
                    },
                );
                let list = registry.by_person.entry(user_id).or_default();
                list.push_back(id);
                let mut over = Vec::new();
                while list.len() > self.inner.per_person {
                    if let Some(oldest) = list.pop_front() {
                        over.push(oldest);
                    }
                }
                for oldest in over {
                    if let Some(entry) = registry.remove(oldest) {
                        evicted.push(entry);
                    }
                }
                id
            }
            Err(_) => 0,
        };
        for entry in evicted {
            self.inner.stats.superseded.fetch_add(1, Ordering::Relaxed);
            let _ = entry.queue.try_send(Push::Superseded);
        }
        (
            Registration {
                hub: Arc::downgrade(&self.inner),
                id,
            },
            receiver,
        )
    }

    /// The stream's person as they are now (after a recheck).
    fn update_actor(&self, registration: &Registration, actor: Actor) {
        if let Ok(mut registry) = self.inner.registry.lock() {
            if let Some(entry) = registry.streams.get_mut(&registration.id) {
                entry.actor = actor;
            }
        }
    }
}

impl Inner {
    /// Queues one event on every stream whose person may see it now.
    fn deliver(&self, event: &LiveEvent, crew: &[i32]) {
        self.stats.dispatched.fetch_add(1, Ordering::Relaxed);
        let Ok(mut registry) = self.registry.lock() else {
            return;
        };
        let mut slow = Vec::new();
        if event.kind.is_control() {
            if let Some(ids) = event.user_id.and_then(|u| registry.by_person.get(&u)) {
                for id in ids {
                    if let Some(entry) = registry.streams.get(id) {
                        if entry.queue.try_send(Push::Recheck).is_err() {
                            slow.push(*id);
                        }
                    }
                }
            }
        } else if let Some(news) = News::of(event) {
            let Ok(json) = serde_json::to_string(&news) else {
                return;
            };
            let prepared = Arc::new(Prepared { id: event.id, json });
            for (id, entry) in &registry.streams {
                if !live::may_see(&entry.actor, event, crew) {
                    continue;
                }
                match entry.queue.try_send(Push::News(prepared.clone())) {
                    Ok(()) => {
                        self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => slow.push(*id),
                }
            }
        }
        for id in slow {
            // Dropping its queue ends the stream once it has sent what it holds; the browser
            // comes back with its last id and is given the rest from the table.
            if registry.remove(id).is_some() {
                self.stats.dropped_slow.fetch_add(1, Ordering::Relaxed);
                tracing::info!(stream = id, "live stream too slow: closed to resume later");
            }
        }
    }
}

/// The dispatcher: reads new rows in id order and delivers them.
async fn dispatch(
    hub: Weak<Inner>,
    wake: Arc<Notify>,
    mut local: Option<tokio::sync::watch::Receiver<u64>>,
    stop: CancellationToken,
) {
    let mut cursor = match hub.upgrade() {
        Some(inner) => match live::newest(&inner.db).await {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(error = %e, "live: reading the newest event; starting from 0");
                0
            }
        },
        None => return,
    };
    loop {
        let local_commit = async {
            match local.as_mut() {
                Some(receiver) => {
                    if receiver.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = wake.notified() => {}
            () = local_commit => {}
            () = tokio::time::sleep(SWEEP) => {}
        }
        let Some(inner) = hub.upgrade() else { return };
        loop {
            let batch = match live::after(&inner.db, cursor, BATCH).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "live: reading new events");
                    break;
                }
            };
            let Some(last) = batch.last().map(|e| e.id) else {
                break;
            };
            let crews = match live::crews_for(&inner.db, &batch).await {
                Ok(crews) => crews,
                Err(e) => {
                    tracing::warn!(error = %e, "live: reading crews");
                    break;
                }
            };
            for event in &batch {
                let crew = event
                    .job_id
                    .and_then(|id| crews.get(&id))
                    .map_or(&[][..], Vec::as_slice);
                inner.deliver(event, crew);
            }
            cursor = last;
            if (batch.len() as u64) < BATCH {
                break;
            }
        }
    }
}
