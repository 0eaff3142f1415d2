//! PostgreSQL: every instance LISTENs on one channel, on one connection taken from the
//! sea-orm pool for good. A notification carries only an event id; the dispatcher reads the
//! event itself from the table. PostgreSQL drops notifications sent while a listener is not
//! connected, so after every (re)connection the dispatcher is woken to catch up from the table.

use std::{
    sync::{atomic::Ordering, Arc, Weak},
    time::Duration,
};

use portico_domain::live::CHANNEL;
use sea_orm::sqlx::{postgres::PgListener, PgPool};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::Inner;

/// Listens until `stop`, reconnecting with a growing pause (up to 5 s) when the connection is
/// lost.
pub(super) async fn listen(
    pool: PgPool,
    wake: Arc<Notify>,
    hub: Weak<Inner>,
    stop: CancellationToken,
) {
    let mut pause = Duration::from_millis(100);
    loop {
        let connected = tokio::select! {
            () = stop.cancelled() => return,
            connected = connect(&pool) => connected,
        };
        let mut listener = match connected {
            Ok((listener, pid)) => {
                if let Some(inner) = hub.upgrade() {
                    inner.stats.listener_pid.store(pid, Ordering::Relaxed);
                }
                listener
            }
            Err(sea_orm::sqlx::Error::PoolClosed) => return,
            Err(e) => {
                tracing::warn!(error = %e, "live: PostgreSQL listener could not connect");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(pause) => {}
                }
                pause = (pause * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        pause = Duration::from_millis(100);
        let Some(inner) = hub.upgrade() else {
            return;
        };
        inner
            .stats
            .listener_connects
            .fetch_add(1, Ordering::Relaxed);
        drop(inner);
        // Whatever was committed while nobody here listened is in the table.
        wake.notify_one();
        loop {
            let received = tokio::select! {
                () = stop.cancelled() => return,
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(_notification)) => wake.notify_one(),
                // The connection was lost: start again with a fresh one (and catch up).
                Ok(None) => {
                    tracing::warn!("live: PostgreSQL listener lost its connection; reconnecting");
                    break;
                }
                // The pool was closed: the instance is going away.
                Err(sea_orm::sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "live: PostgreSQL listener failed; reconnecting");
                    break;
                }
            }
        }
        if let Some(inner) = hub.upgrade() {
            inner.stats.listener_pid.store(0, Ordering::Relaxed);
        }
    }
}

/// A listener on [`CHANNEL`], with the server process id of its connection (asked before the
/// `LISTEN`, so that the connection's last statement in `pg_stat_activity` is the `LISTEN`).
async fn connect(pool: &PgPool) -> Result<(PgListener, u64), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    let pid = backend_pid(&mut listener).await?;
    listener.listen(CHANNEL).await?;
    Ok((listener, pid))
}

async fn backend_pid(listener: &mut PgListener) -> Result<u64, sea_orm::sqlx::Error> {
    let pid: i32 = sea_orm::sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(listener)
        .await?;
    Ok(u64::try_from(pid).unwrap_or(0))
}
