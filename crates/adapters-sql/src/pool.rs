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

use std::time::Duration;

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, PoolError, PoolableConnection,
};

/// How recently a connection must have been checked out for its ping to be skipped.
pub const ALIVE_WINDOW: Duration = Duration::from_millis(500);

/// A pool of `C` connections.
pub type Pool<C> = managed::Pool<Manager<C>>;

/// A connection checked out of a [`Pool`].
pub type Object<C> = managed::Object<Manager<C>>;

/// diesel-async's manager, without the ping for connections used within [`ALIVE_WINDOW`].
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
        if metrics.last_used() < ALIVE_WINDOW {
            if std::thread::panicking() || conn.is_broken() {
                return Err(RecycleError::Message("Broken connection".into()));
            }
            return Ok(());
        }
        self.inner.recycle(conn, metrics).await
    }
}
