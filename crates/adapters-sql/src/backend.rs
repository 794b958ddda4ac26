//! What an adapter supplies beyond its [`Dialect`]: the connection type, the embedded
//! migrations, how a write transaction begins — and, through [`crate::sql_statements!`], the
//! statements checked against that connection ([`Statements`]).
//!
//! Everything else — sequencing, transactions, error mapping, the port implementations — is
//! ordinary generic code in [`crate::stores`], written once over `B: Statements`.

use std::ops::DerefMut;

use diesel::result::{Error as DieselError, QueryResult};
use diesel_async::{AsyncConnection, TransactionManager, pooled_connection::PoolableConnection};
use diesel_migrations::EmbeddedMigrations;
use domain::RepositoryError;

use crate::Dialect;

/// The future of one statement: diesel's result, `Send` like every future of the stores.
pub trait QueryFuture<T>: Future<Output = QueryResult<T>> + Send {}

impl<T, F: Future<Output = QueryResult<T>> + Send> QueryFuture<T> for F {}

/// The backend an adapter stores in: implemented by hand on the adapter's dialect type.
pub trait SqlBackend: Dialect + Send + Sync + 'static {
    /// diesel-async's connection for this database.
    type Conn: PoolableConnection + 'static;

    /// The embedded migrations `/ready` checks the schema against.
    const MIGRATIONS: EmbeddedMigrations;

    /// Opens a write transaction on `conn` (MySQL: `BEGIN`, InnoDB row locks do the
    /// serialising; SQLite: `BEGIN IMMEDIATE`, the single write lock up front). It is ended by
    /// [`write_tx`], the one place a transaction is committed or rolled back.
    fn begin_write(conn: &mut Self::Conn) -> impl Future<Output = QueryResult<()>> + Send;
}

/// Where the stores get connections: the adapter's diesel-async deadpool. Implemented by
/// [`crate::sql_statements!`], because deadpool's `Manager` is implemented per connection type
/// (it pings with a query), so a generic function cannot name the pool without that bound.
pub trait ConnectionPool: SqlBackend {
    /// The pool (cheap to clone).
    type Pool: Clone + Send + Sync + 'static;

    /// A connection checked out of [`Self::Pool`].
    type Pooled: DerefMut<Target = Self::Conn> + Send;

    /// Checks a connection out of `pool`; a failure means the database is unavailable
    /// ([`crate::error::pool_error`]).
    fn checkout(
        pool: &Self::Pool,
    ) -> impl Future<Output = Result<Self::Pooled, RepositoryError>> + Send;
}

/// Runs `steps` in one write transaction ([`SqlBackend::begin_write`]): commits when they
/// succeed, rolls back when they fail (a failed rollback is reported unless the transaction
/// manager is already broken, as diesel-async's `transaction` does). Every multi-statement write
/// of the stores goes through here. When the database rolls one back as a conflict, the short
/// ones run again through [`crate::retrying!`]; a payment's state change does not, the domain
/// decides it again (adr/0021).
pub async fn write_tx<B, R, E>(
    conn: &mut B::Conn,
    steps: impl AsyncFnOnce(&mut B::Conn) -> Result<R, E>,
) -> Result<R, E>
where
    B: SqlBackend,
    E: From<DieselError>,
{
    type Manager<C> = <C as AsyncConnection>::TransactionManager;
    B::begin_write(conn).await?;
    match steps(&mut *conn).await {
        Ok(value) => {
            Manager::<B::Conn>::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(failure) => match Manager::<B::Conn>::rollback_transaction(conn).await {
            Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(failure),
            Err(rollback) => Err(rollback.into()),
        },
    }
}
