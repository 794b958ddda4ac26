//! The connection pool: deadpool over diesel-async's pure-Rust MySQL connection.

use std::time::Duration;

use deadpool::{Runtime, managed::Timeouts};
use diesel::ConnectionResult;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, RunQueryDsl,
    pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, deadpool::BuildError},
};

/// A pool of MySQL/MariaDB connections. Cheap to clone (an `Arc` inside); share one per process.
pub type Pool = adapters_sql::pool::Pool<AsyncMysqlConnection>;

/// A pooled connection, as handed out by [`Pool::get`].
pub type PooledConnection = adapters_sql::pool::Object<AsyncMysqlConnection>;

/// The pool could not be built (only on invalid settings: no connection is made here).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the database pool: {0}")]
pub struct PoolBuildError(#[source] BuildError);

/// Builds a pool for `url` (`mysql://user:pass@host:port/db`). Connections are opened lazily.
///
/// `connect_timeout` bounds every wait for a connection: opening a new one, re-checking an idle
/// one (a `SELECT 1` before reusing one idle longer than `adapters_sql::pool::ALIVE_WINDOW`),
/// and queueing for a free one when all `max_connections` are busy. So an unreachable or
/// overloaded database fails a request within about that time with an error for which
/// `RepositoryError::is_unavailable()` is true, instead of hanging. A few seconds (e.g. 3 s) is a
/// good value.
pub fn build_pool(
    url: &str,
    max_connections: usize,
    connect_timeout: Duration,
) -> Result<Pool, PoolBuildError> {
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(|url| Box::pin(connect(url.to_owned())));
    let manager =
        AsyncDieselConnectionManager::<AsyncMysqlConnection>::new_with_config(url, config);
    Pool::builder(adapters_sql::pool::Manager::new(manager))
        .max_size(max_connections.max(1))
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(connect_timeout),
            create: Some(connect_timeout),
            recycle: Some(connect_timeout),
        })
        .build()
        .map_err(PoolBuildError)
}

/// Opens a connection (diesel-async sets `time_zone = '+00:00'`) and, on a Galera node, turns
/// on causal reads for the session (`wsrep_sync_wait = 1`): a read waits until the node has
/// applied every write the cluster committed before it, so a payment created through one node
/// is found at once through another (see docs/adr/0021-galera-conflicts-and-causal-reads.md).
/// On a server without Galera the statement fails (MySQL: unknown variable) or sets 0; either
/// way nothing changes.
async fn connect(url: String) -> ConnectionResult<AsyncMysqlConnection> {
    let mut conn = AsyncMysqlConnection::establish(&url).await?;
    let _not_galera = diesel::sql_query(CAUSAL_READS_ON_GALERA)
        .execute(&mut conn)
        .await;
    Ok(conn)
}

const CAUSAL_READS_ON_GALERA: &str =
    "SET SESSION wsrep_sync_wait = IF(@@global.wsrep_on = 1, 1, 0)";
