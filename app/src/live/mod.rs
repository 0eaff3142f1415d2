//! Live status in the browser: one `EventSource` per tab on `/live`, opened after hydration
//! (never during the server's render), and counters that pages key their resources on, so
//! that what a page shows is fetched again — only that — when news about it arrives.
//!
//! The stream reconnects by itself and resumes from the last event id it saw. When the browser
//! gives up (an HTTP error, a proxy in the way) this module opens it again after a pause drawn
//! at random between 2 and 6 s, growing to a minute. A small polite notice says when the
//! connection dropped and when it is back.

mod news;

use std::sync::{Arc, Mutex};

use leptos::prelude::*;

pub use news::{control, News, NewsKind};

/// How the tab's connection to live news stands, for the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// Not signed in, or not started yet (the server's render).
    Off,
    Open,
    /// Dropped; the browser is trying again.
    Lost,
    /// Back after a drop (shown for a few seconds).
    Back,
    /// The session ended: no more news until the person signs in again.
    SignedOut,
    /// Closed because the person opened more tabs than allowed.
    Paused,
}

type Filter = Box<dyn Fn(&News) -> bool + Send + Sync>;

struct Subscriber {
    id: u64,
    about: Filter,
    counter: RwSignal<u64>,
}

#[derive(Default)]
struct Subscribers {
    next: u64,
    list: Vec<Subscriber>,
}

/// The tab's live news: provided by the layout, used by pages.
#[derive(Clone, Copy)]
pub struct Live {
    subscribers: StoredValue<Arc<Mutex<Subscribers>>>,
    pub connection: RwSignal<Connection>,
}

impl Live {
    fn new() -> Self {
        Self {
            subscribers: StoredValue::new(Arc::new(Mutex::new(Subscribers::default()))),
            connection: RwSignal::new(Connection::Off),
        }
    }

    /// A counter that goes up whenever news matching `about` arrives, or when the page must
    /// refetch everything (a resync). Key a resource on it. Unsubscribes with the owner.
    pub fn changes(self, about: impl Fn(&News) -> bool + Send + Sync + 'static) -> Signal<u64> {
        let counter = RwSignal::new(0u64);
        let list = self.subscribers.get_value();
        let id = match list.lock() {
            Ok(mut subscribers) => {
                subscribers.next += 1;
                let id = subscribers.next;
                subscribers.list.push(Subscriber {
                    id,
                    about: Box::new(about),
                    counter,
                });
                id
            }
            Err(_) => 0,
        };
        on_cleanup(move || {
            if let Ok(mut subscribers) = list.lock() {
                subscribers.list.retain(|s| s.id != id);
            }
        });
        counter.into()
    }

    /// Bumps the counters of the pages this news concerns.
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    fn receive(self, news: Option<&News>) {
        let counters: Vec<RwSignal<u64>> = match self.subscribers.get_value().lock() {
            Ok(subscribers) => subscribers
                .list
                .iter()
                .filter(|s| news.is_none_or(|n| (s.about)(n)))
                .map(|s| s.counter)
                .collect(),
            Err(_) => Vec::new(),
        };
        for counter in counters {
            counter.try_update(|n| *n += 1);
        }
    }
}

/// The live news of this tab (a no-op outside the layout, e.g. in tests of one component).
pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_else(Live::new)
}

/// News about one move, other than its messages.
pub fn about_job(job_id: impl Fn() -> i32 + Send + Sync + 'static) -> impl Fn(&News) -> bool {
    move |news: &News| news.job_id == Some(job_id()) && !news.kind.is_about_messages()
}

/// A resource key that follows `wanted`, but never changes while the resource's last fetch is
/// still under way (`busy`, which [`Steady::fetch`] keeps): a change meanwhile is applied once
/// that fetch has ended and its page is drawn. Live news often comes right beside the page's own
/// refresh after a change (or two events for one change); two overlapping refetches would make
/// Leptos finish drawing a page it had already thrown away, with actions that no longer exist.
#[derive(Clone, Copy)]
pub struct Steady<T: Send + Sync + 'static> {
    key: RwSignal<T>,
    busy: RwSignal<bool>,
}

impl<T: Clone + PartialEq + Send + Sync + 'static> Steady<T> {
    pub fn new(wanted: impl Fn() -> T + Send + Sync + 'static) -> Self {
        let key = RwSignal::new(untrack(&wanted));
        let busy = RwSignal::new(false);
        // Effects run in the browser only; the server renders with the first key.
        Effect::new(move |_| {
            let now = wanted();
            if !busy.get() && key.with_untracked(|k| *k != now) {
                key.set(now);
            }
        });
        Self { key, busy }
    }

    /// The key, for the resource.
    pub fn key(self) -> T {
        self.key.get()
    }

    /// Runs a fetch, marking the resource busy until it has ended and the page had a moment
    /// to draw its answer.
    pub fn fetch<O>(
        self,
        fetch: impl std::future::Future<Output = O>,
    ) -> impl std::future::Future<Output = O> {
        let busy = self.busy;
        // Set when the fetch runs, not when it is made: a hydrating page makes the future for a
        // value it already has and never runs it.
        async move {
            busy.set(true);
            let out = fetch.await;
            #[cfg(feature = "browser")]
            set_timeout(
                move || busy.set(false),
                std::time::Duration::from_millis(60),
            );
            #[cfg(not(feature = "browser"))]
            busy.set(false);
            out
        }
    }
}

/// Creates the tab's live news and, once the page is hydrated and someone is signed in,
/// opens the stream; `after` is the newest event id the server knew when it rendered.
pub fn provide_live(signed_in: Signal<Option<i64>>) -> Live {
    let live = Live::new();
    provide_context(live);
    #[cfg(feature = "browser")]
    browser::run(live, signed_in);
    #[cfg(not(feature = "browser"))]
    let _ = signed_in;
    live
}

/// The notice: empty while all is well, a polite status message when the connection drops,
/// when it is back, and when it stopped for good.
#[component]
pub fn LiveNotice() -> impl IntoView {
    let live = use_live();
    let words = move || match live.connection.get() {
        Connection::Off | Connection::Open => None,
        Connection::Lost => Some((
            "live-notice live-notice--lost",
            "Connection lost: trying again. What you see may be out of date.",
        )),
        Connection::Back => Some(("live-notice live-notice--back", "Back online: up to date.")),
        Connection::SignedOut => Some((
            "live-notice live-notice--lost",
            "You were signed out: sign in again for live updates.",
        )),
        Connection::Paused => Some((
            "live-notice live-notice--lost",
            "Live updates are paused in this tab because many are open: reload to resume.",
        )),
    };
    view! {
        <div class="live-notice-region" role="status" aria-live="polite">
            {move || words().map(|(class, text)| view! { <p class=class>{text}</p> })}
        </div>
    }
}

#[cfg(feature = "browser")]
mod browser {
    //! The `EventSource` itself (browser only).

    use std::{cell::RefCell, rc::Rc, time::Duration};

    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{EventSource, MessageEvent};

    use super::{control, Connection, Live, News};

    /// One open `EventSource` and the handlers it calls.
    struct Source {
        source: EventSource,
        _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    }

    impl Drop for Source {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    #[derive(Default)]
    struct State {
        source: Option<Source>,
        /// The newest event id this tab has seen.
        last: Option<i64>,
        /// Manual reconnections in a row (for the growing pause).
        attempts: u32,
        /// Stopped for good (signed out, superseded).
        stopped: bool,
    }

    type Shared = Rc<RefCell<State>>;

    /// `data-live` on the document: "open" or "lost" (for tests and styles; the notice is what
    /// people read).
    fn mark(state: &str) {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-live", state);
        }
    }

    pub(super) fn run(live: Live, signed_in: Signal<Option<i64>>) {
        let state: StoredValue<Shared, LocalStorage> =
            StoredValue::new_local(Rc::new(RefCell::new(State::default())));
        Effect::new(move |_| {
            let after = signed_in.get();
            let shared: Shared = state.with_value(Rc::clone);
            match after {
                Some(after) => {
                    let open = shared.borrow().source.is_some() || shared.borrow().stopped;
                    if !open {
                        let last = *shared.borrow_mut().last.get_or_insert(after);
                        connect(live, &shared, last);
                    }
                }
                None => {
                    shared.borrow_mut().source = None;
                    live.connection.set(Connection::Off);
                }
            }
        });
        on_cleanup(move || {
            state.with_value(|s| s.borrow_mut().source = None);
        });
    }

    fn connect(live: Live, shared: &Shared, after: i64) {
        let Ok(source) = EventSource::new(&format!("/live?after={after}")) else {
            return;
        };
        let mut handlers: Vec<Closure<dyn FnMut(web_sys::Event)>> = Vec::new();

        let on_open = {
            let shared = Rc::clone(shared);
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                mark("open");
                shared.borrow_mut().attempts = 0;
                if live.connection.get_untracked() == Connection::Lost {
                    live.connection.set(Connection::Back);
                    set_timeout(
                        move || {
                            if live.connection.get_untracked() == Connection::Back {
                                live.connection.set(Connection::Open);
                            }
                        },
                        Duration::from_secs(4),
                    );
                } else {
                    live.connection.set(Connection::Open);
                }
            })
        };
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        handlers.push(on_open);

        let on_message = {
            let shared = Rc::clone(shared);
            Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                let Some(message) = event.dyn_ref::<MessageEvent>() else {
                    return;
                };
                let Some(text) = message.data().as_string() else {
                    return;
                };
                if let Ok(news) = serde_json::from_str::<News>(&text) {
                    shared.borrow_mut().last = Some(news.id);
                    live.receive(Some(&news));
                }
            })
        };
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        handlers.push(on_message);

        let on_resync = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| live.receive(None));
        let _ = source
            .add_event_listener_with_callback(control::RESYNC, on_resync.as_ref().unchecked_ref());
        handlers.push(on_resync);

        for (name, stopped_as) in [
            (control::SIGNED_OUT, Connection::SignedOut),
            (control::SUPERSEDED, Connection::Paused),
        ] {
            let shared = Rc::clone(shared);
            let stop = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                let mut state = shared.borrow_mut();
                state.stopped = true;
                state.source = None;
                mark("stopped");
                live.connection.set(stopped_as);
            });
            let _ = source.add_event_listener_with_callback(name, stop.as_ref().unchecked_ref());
            handlers.push(stop);
        }

        let on_error = {
            let shared = Rc::clone(shared);
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                if shared.borrow().stopped {
                    return;
                }
                mark("lost");
                live.connection.set(Connection::Lost);
                let closed = shared
                    .borrow()
                    .source
                    .as_ref()
                    .is_some_and(|s| s.source.ready_state() == EventSource::CLOSED);
                if closed {
                    // The browser gave up (an HTTP error): try again ourselves, later.
                    let attempts = {
                        let mut state = shared.borrow_mut();
                        state.source = None;
                        state.attempts += 1;
                        state.attempts
                    };
                    let ceiling = (2_000.0 * 2f64.powi(attempts.min(5) as i32)).min(60_000.0);
                    let pause = 2_000.0 + js_sys::Math::random() * (ceiling - 2_000.0).max(4_000.0);
                    let shared = Rc::clone(&shared);
                    set_timeout(
                        move || {
                            let (open, last) = {
                                let state = shared.borrow();
                                (state.source.is_some() || state.stopped, state.last)
                            };
                            if !open {
                                connect(live, &shared, last.unwrap_or(0));
                            }
                        },
                        Duration::from_millis(pause as u64),
                    );
                }
            })
        };
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        handlers.push(on_error);

        shared.borrow_mut().source = Some(Source {
            source,
            _handlers: handlers,
        });
    }
}
