//! Server-side sessions: tower-sessions over Portico's own `user_session` table (SQLite or
//! PostgreSQL), keyed by a hash of the cookie value.

use std::{collections::HashMap, fmt};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use portico_domain::{
    accounts::session::{entity, keys, storage_key},
    clock::SharedClock,
    DatabaseConnection,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TryInsertResult};
use serde_json::Value;
use time::OffsetDateTime;
use tower_sessions::{
    cookie::SameSite,
    session::{Id, Record},
    session_store, Expiry, SessionManagerLayer, SessionStore,
};

/// How long a session nobody has signed in to lives without a request: long enough to scan a
/// QR code or find a passkey, short enough that the rows anonymous visitors make (a passkey
/// challenge, a pending second factor) are gone in minutes.
pub const ANONYMOUS_IDLE: chrono::Duration = chrono::Duration::minutes(10);

/// The session cookie. `__Host-` makes the browser insist on Secure, Path=/ and no Domain.
pub const COOKIE_NAME: &str = "__Host-portico-session";

#[derive(Clone)]
pub struct DatabaseSessionStore {
    db: DatabaseConnection,
    clock: SharedClock,
    idle: chrono::Duration,
}

impl fmt::Debug for DatabaseSessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DatabaseSessionStore")
    }
}

impl DatabaseSessionStore {
    /// Sessions expire `idle` after they were last saved, by `clock` (so tests can move time).
    pub fn new(db: DatabaseConnection, clock: SharedClock, idle: std::time::Duration) -> Self {
        let idle =
            chrono::Duration::from_std(idle).unwrap_or_else(|_| chrono::Duration::minutes(30));
        Self { db, clock, idle }
    }
}

/// The session layer: the store above, the cookie as SECURITY.md asks, and the idle timeout
/// (the cookie's own expiry follows it; the store's `expires_at` is what counts).
pub fn layer(
    store: DatabaseSessionStore,
    idle: std::time::Duration,
) -> SessionManagerLayer<DatabaseSessionStore> {
    let idle = time::Duration::try_from(idle).unwrap_or(time::Duration::minutes(30));
    SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_secure(true)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

impl DatabaseSessionStore {
    /// When a session saved now expires: the idle timeout once someone is signed in to it,
    /// [`ANONYMOUS_IDLE`] before that.
    fn expires(&self, signed_in: bool) -> DateTime<Utc> {
        let idle = if signed_in {
            self.idle
        } else {
            self.idle.min(ANONYMOUS_IDLE)
        };
        self.clock.now() + idle
    }
}

fn backend(error: impl fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn text(data: &HashMap<String, Value>, key: &str) -> Option<String> {
    data.get(key)
        .and_then(Value::as_str)
        .map(|s| s.chars().take(300).collect())
}

/// The columns copied out of the record, so sessions can be listed per person.
struct Columns {
    user_id: Option<i32>,
    last_seen_at: Option<DateTime<Utc>>,
    ip: Option<String>,
    user_agent: Option<String>,
}

fn columns(record: &Record) -> Columns {
    let data = &record.data;
    Columns {
        user_id: data
            .get(keys::USER_ID)
            .and_then(Value::as_i64)
            .and_then(|id| i32::try_from(id).ok()),
        last_seen_at: data
            .get(keys::LAST_SEEN)
            .and_then(Value::as_i64)
            .and_then(|secs| DateTime::from_timestamp(secs, 0)),
        ip: text(data, keys::IP),
        user_agent: text(data, keys::USER_AGENT),
    }
}

#[async_trait]
impl SessionStore for DatabaseSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = self.clock.now();
        loop {
            let c = columns(record);
            let row = entity::ActiveModel {
                id: Set(storage_key(&record.id.to_string())),
                user_id: Set(c.user_id),
                data: Set(serde_json::to_string(&record.data)
                    .map_err(|e| session_store::Error::Encode(e.to_string()))?),
                expires_at: Set(self.expires(c.user_id.is_some())),
                created_at: Set(now),
                last_seen_at: Set(c.last_seen_at.unwrap_or(now)),
                ip: Set(c.ip),
                user_agent: Set(c.user_agent),
            };
            let inserted = entity::Entity::insert(row)
                .on_conflict_do_nothing_on([entity::Column::Id])
                .exec_without_returning(&self.db)
                .await
                .map_err(backend)?;
            match inserted {
                TryInsertResult::Inserted(n) if n > 0 => return Ok(()),
                // 128 random bits collided: take another id.
                _ => record.id = Id::default(),
            }
        }
    }

    /// An update only: a session ended elsewhere (sign-out, "sign out everywhere") must not
    /// come back because a request that still held it finished later.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let c = columns(record);
        let mut row = entity::ActiveModel {
            user_id: Set(c.user_id),
            data: Set(serde_json::to_string(&record.data)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?),
            expires_at: Set(self.expires(c.user_id.is_some())),
            ip: Set(c.ip),
            user_agent: Set(c.user_agent),
            ..Default::default()
        };
        if let Some(seen) = c.last_seen_at {
            row.last_seen_at = Set(seen);
        }
        entity::Entity::update_many()
            .set(row)
            .filter(entity::Column::Id.eq(storage_key(&record.id.to_string())))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = entity::Entity::find_by_id(storage_key(&id.to_string()))
            .filter(entity::Column::ExpiresAt.gt(self.clock.now()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    /// A sign-out: the person's open live streams hear of it and close.
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        portico_domain::accounts::session::end_by_key(&self.db, &storage_key(&id.to_string()))
            .await
            .map_err(backend)?;
        Ok(())
    }
}
