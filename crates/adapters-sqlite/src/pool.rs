//! The connection pool: deadpool over diesel-async's `SyncConnectionWrapper<SqliteConnection>`
//! (every query runs on tokio's blocking pool).
//!
//! Concurrency model (docs/adr/0012-two-storage-adapters.md): SQLite has one writer at a time.
//! The pool holds a few connections so reads run in parallel (WAL mode); every multi-statement
//! write runs in `BEGIN IMMEDIATE`, which takes the write lock up front, and every connection
//! waits up to `busy_timeout` for it instead of failing with `SQLITE_BUSY`. Single statements
//! are autocommit and wait the same way. That makes writers queue on the database lock, which is
//! what `FOR UPDATE` achieves on MySQL.

use std::time::Duration;

use deadpool::{Runtime, managed::Timeouts};
use diesel::SqliteConnection;
use diesel_async::{
    SimpleAsyncConnection,
    pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, deadpool::BuildError},
    sync_connection_wrapper::SyncConnectionWrapper,
};

/// The async connection every store uses.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// A pool of SQLite connections to one file. Cheap to clone; share one per process.
pub type Pool = adapters_sql::pool::Pool<SqliteConn>;

/// A pooled connection, as handed out by [`Pool::get`].
pub type PooledConnection = adapters_sql::pool::Object<SqliteConn>;

/// How long a connection waits for another writer before giving up (`PRAGMA busy_timeout`).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The pool could not be built (only on invalid settings: no connection is made here).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the database pool: {0}")]
pub struct PoolBuildError(#[source] BuildError);

/// The per-connection settings: `busy_timeout` (first, so the others wait for a busy file too),
/// WAL journal, foreign keys enforced.
pub(crate) fn pragmas() -> String {
    format!(
        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        BUSY_TIMEOUT.as_millis()
    )
}

/// Builds a pool for `url` (`sqlite://path/to/file.db`, or a plain path). Connections are opened
/// lazily; each gets [`pragmas`] on open. `connect_timeout` bounds every wait for a connection.
pub fn build_pool(
    url: &str,
    max_connections: usize,
    connect_timeout: Duration,
) -> Result<Pool, PoolBuildError> {
    let mut config = ManagerConfig::<SqliteConn>::default();
    config.custom_setup = Box::new(|path| {
        let path = path.to_owned();
        Box::pin(async move {
            let mut conn = <SqliteConn as diesel_async::AsyncConnection>::establish(&path).await?;
            conn.batch_execute(&pragmas())
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager =
        AsyncDieselConnectionManager::<SqliteConn>::new_with_config(file_path(url), config);
    Pool::builder(adapters_sql::pool::Manager::new(manager))
        .max_size(max_connections.clamp(1, 8))
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(connect_timeout.max(BUSY_TIMEOUT)),
            create: Some(connect_timeout),
            recycle: Some(connect_timeout),
        })
        .build()
        .map_err(PoolBuildError)
}

/// `sqlite://path` → `path` (relative to the working directory; `sqlite:///abs` → `/abs`).
pub fn file_path(url: &str) -> String {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_path_is_what_follows_the_scheme() {
        assert_eq!(file_path("sqlite://simplepg.db"), "simplepg.db");
        assert_eq!(file_path("sqlite:///var/lib/x.db"), "/var/lib/x.db");
        assert_eq!(file_path("/tmp/x.db"), "/tmp/x.db");
    }
}
