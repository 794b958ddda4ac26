//! The pool both adapters use: deadpool over diesel-async's connection manager, with one change
//! (issue 19): a connection handed out again within [`ALIVE_WINDOW`] of its last checkout is not
//! pinged first.
//!
//! diesel-async's manager checks every connection with a `SELECT 1` before handing it out: one
//! more round trip on each checkout, and a flow makes about 26 checkouts. A connection that was
//! working a moment ago is as likely to work now as one that has just answered a ping — the
//! database can go away right after a ping, too, and then the statement fails the same way. So,
//! as HikariCP does (`aliveBypassWindowMs`, 500 ms), the ping is kept only for connections that
//! have been idle: those are the ones a restarted database or an idle timeout has closed. A
//! connection diesel-async knows to be broken (an interrupted transaction) is still refused.
//!
//! And, as HikariCP evicts a connection whose statement failed with a connection error: once any
//! statement of this process has lost its connection ([`connection_lost`], called by
//! [`crate::error::db_error`]), every connection checked out before that moment is pinged again
//! at its next checkout. Without this, a connection the database dropped while it was busy would
//! be handed out again and again without a ping as long as it is used often (a readiness probe
//! every 100 ms), and never replaced.

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, PoolError, PoolableConnection,
};

/// How recently a connection must have been checked out for its ping to be skipped.
pub const ALIVE_WINDOW: Duration = Duration::from_millis(500);

/// Nanoseconds after [`epoch`] at which a statement last lost its connection; 0: never.
static LAST_LOSS: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Records that a statement has just lost its connection: every connection checked out before
/// now is pinged at its next checkout.
pub fn connection_lost() {
    let nanos = u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX);
    LAST_LOSS.store(nanos.max(1), Ordering::Relaxed);
}

/// Whether a statement lost its connection at or after `since`.
fn lost_since(since: Instant) -> bool {
    match LAST_LOSS.load(Ordering::Relaxed) {
        0 => false,
        nanos => epoch() + Duration::from_nanos(nanos) >= since,
    }
}

/// A pool of `C` connections.
pub type Pool<C> = managed::Pool<Manager<C>>;

/// A connection checked out of a [`Pool`].
pub type Object<C> = managed::Object<Manager<C>>;

/// diesel-async's manager, without the ping for connections used within [`ALIVE_WINDOW`] (unless
/// a statement has lost its connection since).
pub struct Manager<C> {
    inner: AsyncDieselConnectionManager<C>,
}

impl<C> Manager<C> {
    pub fn new(inner: AsyncDieselConnectionManager<C>) -> Self {
        Self { inner }
    }
}

impl<C> std::fmt::Debug for Manager<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager").finish_non_exhaustive()
    }
}

impl<C> managed::Manager for Manager<C>
where
    C: PoolableConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: managed::Manager<Type = C, Error = PoolError>,
{
    type Type = C;
    type Error = PoolError;

    async fn create(&self) -> Result<C, PoolError> {
        self.inner.create().await
    }

    async fn recycle(&self, conn: &mut C, metrics: &Metrics) -> RecycleResult<PoolError> {
        let checked_out = metrics.recycled.unwrap_or(metrics.created);
        if metrics.last_used() < ALIVE_WINDOW && !lost_since(checked_out) {
            if std::thread::panicking() || conn.is_broken() {
                return Err(RecycleError::Message("Broken connection".into()));
            }
            return Ok(());
        }
        self.inner.recycle(conn, metrics).await
    }
}
