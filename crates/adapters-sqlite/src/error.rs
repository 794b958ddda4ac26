//! Translation of diesel and pool failures into the domain's [`RepositoryError`].
//!
//! As on MySQL, the one distinction the domain cares about is *unavailable* versus *failed*: a
//! database file that cannot be opened, a pool that cannot hand out a connection in time, or a
//! write lock that stays busy past `busy_timeout` is marked with [`Unavailable`] (HTTP 503).

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::{PoolError as ManagerError, deadpool::PoolError};
use domain::{RepositoryError, error::Unavailable};

/// A pool checkout failed: the database cannot be used right now.
pub(crate) fn pool_error(e: PoolError) -> RepositoryError {
    use deadpool::managed::PoolError as P;
    match e {
        P::Timeout(kind) => Unavailable(format!(
            "timed out waiting for a database connection ({kind:?})"
        ))
        .into(),
        P::Backend(ManagerError::ConnectionError(c)) => {
            Unavailable(format!("cannot open the database file: {c}")).into()
        }
        P::Backend(ManagerError::QueryError(q)) => Unavailable(format!(
            "the database connection failed its health check: {q}"
        ))
        .into(),
        P::Closed => Unavailable("the connection pool is closed".to_owned()).into(),
        e @ (P::NoRuntimeSpecified | P::PostCreateHook(_)) => RepositoryError::new(e),
    }
}

/// A query failed. `database is locked` (the write lock stayed busy past `busy_timeout`) and
/// I/O failures count as unavailable.
pub(crate) fn db_error(e: DieselError) -> RepositoryError {
    if is_connection_lost(&e) {
        return Unavailable(format!("the database is not usable right now: {e}")).into();
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
            m.contains("database is locked")
                || m.contains("disk I/O error")
                || m.contains("unable to open database")
        }
        _ => false,
    }
}

/// True when `e` is a unique violation on the constraint made of `columns` (SQLite names the
/// columns, not the constraint: `UNIQUE constraint failed: payment.client_id, payment.order_no`).
pub(crate) fn is_unique_violation_on(e: &DieselError, columns: &str) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.message().contains(columns)
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
