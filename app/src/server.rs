//! What server functions reach on the server: the database and the accounts services, provided
//! as context by the host; who is asking (session → actor) and what the policy says; and the
//! mapping of their errors to HTTP statuses.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::use_context;
use portico_domain::{
    accounts::{actor::actor_for, passkey::Passkeys, password::PasswordHasher, session::keys},
    audit::RequestOrigin,
    clock::SharedClock,
    policy::{self, Action, Actor, Decision},
    DatabaseConnection,
};
use tower_sessions::Session;

use crate::PorticoError;

/// How long sessions live; from the host's configuration.
#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// Ended after this long without a request.
    pub idle: Duration,
    /// Ended this long after sign-in, however active.
    pub absolute: Duration,
}

/// Services the accounts server functions need, built once by the host.
#[derive(Clone)]
pub struct AccountsContext {
    pub hasher: PasswordHasher,
    pub clock: SharedClock,
    pub sessions: SessionSettings,
    /// Password and second-factor attempts per client address.
    pub sign_in_limiter: Arc<crate::accounts::address_limit::AddressLimiter>,
    /// Demo mode: the "Outgoing mail" page is shown.
    pub demo: bool,
    /// The WebAuthn relying party (from the public URL).
    pub passkeys: Passkeys,
    /// The public URL, for links in e-mails (no trailing slash).
    pub public_url: String,
    /// Wakes the mail sender after something was put in the outbox (absent without SMTP).
    pub mail_wake: Option<Arc<tokio::sync::Notify>>,
    /// Seals the authenticator secrets in the database (from the configuration or the data
    /// directory).
    pub at_rest: portico_domain::accounts::at_rest::AtRestKey,
    /// People whose current password is being checked right now (see [`Self::one_check_for`]).
    checking: Arc<std::sync::Mutex<std::collections::HashSet<i32>>>,
}

/// Held while a person's password is checked; lets the next check in when dropped.
pub struct PasswordCheck {
    user_id: i32,
    checking: Arc<std::sync::Mutex<std::collections::HashSet<i32>>>,
}

impl Drop for PasswordCheck {
    fn drop(&mut self) {
        if let Ok(mut checking) = self.checking.lock() {
            checking.remove(&self.user_id);
        }
    }
}

impl AccountsContext {
    /// One password check per person at a time: a second one while the first runs is refused
    /// at once (429), so one signed-in session firing requests in parallel cannot fill the
    /// hashing queue that everyone's sign-in shares.
    pub fn one_check_for(&self, user_id: i32) -> Result<PasswordCheck, PorticoError> {
        let mut checking = self.checking.lock().map_err(|_| PorticoError::Internal)?;
        if !checking.insert(user_id) {
            return Err(PorticoError::TooManyAttempts {
                retry_after_secs: 1,
            });
        }
        Ok(PasswordCheck {
            user_id,
            checking: self.checking.clone(),
        })
    }

    /// Tells the mail sender that the outbox has something new.
    pub fn mail_waiting(&self) {
        if let Some(wake) = &self.mail_wake {
            wake.notify_one();
        }
    }
}

impl AccountsContext {
    /// `attempts_per_minute` sign-in attempts per address, with that many allowed at once.
    #[allow(clippy::too_many_arguments)] // each is one setting from the host's configuration
    pub fn new(
        hasher: PasswordHasher,
        clock: SharedClock,
        sessions: SessionSettings,
        attempts_per_minute: u32,
        demo: bool,
        passkeys: Passkeys,
        public_url: &str,
        at_rest: portico_domain::accounts::at_rest::AtRestKey,
    ) -> Self {
        Self {
            hasher,
            clock,
            sessions,
            sign_in_limiter: Arc::new(crate::accounts::address_limit::AddressLimiter::per_minute(
                attempts_per_minute,
            )),
            demo,
            passkeys,
            public_url: public_url.trim_end_matches('/').to_owned(),
            mail_wake: None,
            at_rest,
            checking: Arc::default(),
        }
    }
}

/// The database connection the host provided for this request. Missing only when a server
/// function runs outside a request's reactive owner; the log names the caller.
#[track_caller]
pub fn db() -> Result<DatabaseConnection, PorticoError> {
    let caller = std::panic::Location::caller();
    use_context::<DatabaseConnection>().ok_or_else(|| {
        tracing::error!(%caller, "no database connection in the request context");
        PorticoError::Internal
    })
}

/// Where documents are kept (issued paperwork is frozen there), as the host provided it.
#[track_caller]
pub fn storage() -> Result<portico_domain::documents::SharedStorage, PorticoError> {
    let caller = std::panic::Location::caller();
    use_context::<portico_domain::documents::SharedStorage>().ok_or_else(|| {
        tracing::error!(%caller, "no document storage in the request context");
        PorticoError::Internal
    })
}

#[track_caller]
pub fn accounts() -> Result<AccountsContext, PorticoError> {
    let caller = std::panic::Location::caller();
    use_context::<AccountsContext>().ok_or_else(|| {
        tracing::error!(%caller, "no accounts context in the request context");
        PorticoError::Internal
    })
}

#[track_caller]
fn request_parts() -> Result<http::request::Parts, PorticoError> {
    let caller = std::panic::Location::caller();
    use_context::<http::request::Parts>().ok_or_else(|| {
        tracing::error!(%caller, "no request in the context");
        PorticoError::Internal
    })
}

/// The request's server-side session (the session layer puts it in every request).
#[track_caller]
pub fn session() -> Result<Session, PorticoError> {
    request_parts()?
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("no session layer");
            PorticoError::Internal
        })
}

/// Client address and user agent, as the host recorded them.
pub fn request_origin() -> RequestOrigin {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestOrigin>().cloned())
        .unwrap_or_default()
}

pub fn session_error(error: tower_sessions::session::Error) -> PorticoError {
    tracing::error!(%error, "session store");
    PorticoError::Internal
}

/// Unix seconds, as sessions keep times.
pub fn unix(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// Who is asking. Ends the session when it is past its absolute lifetime, and refreshes it
/// (which moves the idle deadline) at most once a minute.
pub async fn current_actor() -> Result<Actor, PorticoError> {
    actor_of(&session()?, &accounts()?, &db()?).await
}

/// [`current_actor`] for handlers outside Leptos (file downloads and uploads), which hold the
/// session, the accounts context and the database themselves.
pub async fn actor_of(
    session: &Session,
    accounts: &AccountsContext,
    db: &DatabaseConnection,
) -> Result<Actor, PorticoError> {
    let Some(user_id) = session
        .get::<i32>(keys::USER_ID)
        .await
        .map_err(session_error)?
    else {
        return Ok(Actor::Anonymous);
    };
    let now = accounts.clock.now();
    let signed_in_at = session
        .get::<i64>(keys::SIGNED_IN_AT)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    if now.timestamp() - signed_in_at > accounts.sessions.absolute.num_seconds() {
        session.flush().await.map_err(session_error)?;
        return Ok(Actor::Anonymous);
    }
    let last_seen = session
        .get::<i64>(keys::LAST_SEEN)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    if now.timestamp() - last_seen >= 60 {
        session
            .insert(keys::LAST_SEEN, now.timestamp())
            .await
            .map_err(session_error)?;
    }
    let actor = actor_for(db, user_id).await?;
    if actor == Actor::Anonymous {
        // Disabled or removed since signing in.
        session.flush().await.map_err(session_error)?;
    }
    Ok(actor)
}

/// The signed-in person's own record. Removed since signing in is "please sign in"; a database
/// fault stays a fault (500), not a sign-out.
pub async fn signed_in_person(
    db: &DatabaseConnection,
    user_id: i32,
) -> Result<portico_domain::accounts::user::Model, PorticoError> {
    portico_domain::accounts::admin::person(db, user_id)
        .await
        .map_err(|error| match error {
            portico_domain::DomainError::NotFound(_) => PorticoError::Unauthenticated,
            other => other.into(),
        })
}

/// Who makes a change, when and from where: the services write it into the audit log.
pub fn stamp(actor: &Actor) -> Result<portico_domain::audit::Stamp, PorticoError> {
    Ok(portico_domain::audit::Stamp::new(
        accounts()?.clock.now(),
        actor.user_id(),
        request_origin(),
    ))
}

/// Records that staff looked at a customer's record (`job:12`, `customer:3`); at most one row
/// per person and record in `audit::VIEW_WINDOW`. The customer's own contacts are not recorded.
pub async fn record_staff_view(
    db: &DatabaseConnection,
    actor: &Actor,
    subject: String,
) -> Result<(), PorticoError> {
    if matches!(actor, Actor::Staff { .. }) {
        portico_domain::audit::record_view(db, &stamp(actor)?, subject).await?;
    }
    Ok(())
}

/// Now, from the host's clock (a manual clock in tests).
pub fn now() -> Result<DateTime<Utc>, PorticoError> {
    Ok(accounts()?.clock.now())
}

/// Asks the policy; a refusal becomes the matching error (401, 403 or 404).
pub async fn authorize(action: Action<'_>) -> Result<Actor, PorticoError> {
    let actor = current_actor().await?;
    permit(&actor, action)?;
    Ok(actor)
}

/// Asks the policy about an actor already known.
pub fn permit(actor: &Actor, action: Action<'_>) -> Result<(), PorticoError> {
    match policy::can(actor, action) {
        Decision::Allow => Ok(()),
        Decision::Unauthenticated => Err(PorticoError::Unauthenticated),
        Decision::Forbidden => Err(PorticoError::Forbidden),
        Decision::NotFound => Err(PorticoError::NotFound),
    }
}

/// Mails a notice about a change that has just been made (quote ready, moving day, invoice,
/// a reply), through the outbox, and wakes the sender. The change stands whatever happens
/// here, so a failure is logged rather than answered as the request's error.
pub async fn notify(db: &DatabaseConnection, notice: portico_domain::notices::Notice) {
    let Ok(accounts) = accounts() else {
        return;
    };
    match portico_domain::notices::send(db, notice, &accounts.public_url, accounts.clock.now())
        .await
    {
        Ok(0) => {}
        Ok(_) => accounts.mail_waiting(),
        Err(error) => tracing::warn!(%error, ?notice, "a notification mail was not queued"),
    }
}
