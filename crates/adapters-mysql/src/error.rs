//! Translation of diesel and pool failures into the domain's [`RepositoryError`].
//!
//! The one distinction the domain cares about is *unreachable* versus *failed*: a connection that
//! cannot be made (refused, timed out, pool exhausted for too long) is marked with
//! [`Unavailable`] so the HTTP edge can answer 503 instead of 500. Everything else is an opaque
//! [`RepositoryError::new`] carrying the source chain for the logs.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::{PoolError as ManagerError, deadpool::PoolError};
use domain::{RepositoryError, error::Unavailable};

/// A pool checkout failed. Every way the pool can fail to hand out a live connection means the
/// database cannot be used right now.
pub(crate) fn pool_error(e: PoolError) -> RepositoryError {
    use deadpool::managed::PoolError as P;
    match e {
        P::Timeout(kind) => Unavailable(format!(
            "timed out waiting for a database connection ({kind:?})"
        ))
        .into(),
        P::Backend(ManagerError::ConnectionError(c)) => {
            Unavailable(format!("cannot connect to the database: {c}")).into()
        }
        P::Backend(ManagerError::QueryError(q)) => Unavailable(format!(
            "the database connection failed its health check: {q}"
        ))
        .into(),
        P::Closed => Unavailable("the connection pool is closed".to_owned()).into(),
        e @ (P::NoRuntimeSpecified | P::PostCreateHook(_)) => RepositoryError::new(e),
    }
}

/// A query failed. A lost connection mid-query surfaces from mysql_async as an untyped database
/// error; recognise its two messages so it also counts as unavailable.
pub(crate) fn db_error(e: DieselError) -> RepositoryError {
    if is_connection_lost(&e) {
        return Unavailable(format!("lost the database connection: {e}")).into();
    }
    RepositoryError::new(e)
}

pub(crate) fn is_connection_lost(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(
            DatabaseErrorKind::Unknown | DatabaseErrorKind::ClosedConnection,
            info,
        ) => {
            let m = info.message();
            m.starts_with("Input/output error") || m.contains("Connection to the server is closed")
        }
        _ => false,
    }
}

/// True when `e` is a duplicate key on the unique index named `index` (MySQL error 1062 names
/// the key in its message: `Duplicate entry '..' for key 'uq_..'`; MySQL 8 prefixes the table).
pub(crate) fn is_unique_violation_on(e: &DieselError, index: &str) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.message().contains(index)
        }
        _ => false,
    }
}

pub(crate) fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A stored row that breaks the schema's promises (e.g. an unknown status string).
pub(crate) fn corrupt(table: &str, key: &str, what: impl std::fmt::Display) -> RepositoryError {
    RepositoryError::msg(format!("corrupt {table} row {key}: {what}"))
}
