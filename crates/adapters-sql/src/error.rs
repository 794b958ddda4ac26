//! Translation of diesel and pool failures into the domain's [`RepositoryError`].
//!
//! The one distinction the domain cares about is *unavailable* versus *failed*: a database that
//! cannot be used right now (connection refused or lost, pool exhausted for too long, a lock that
//! stays busy) is marked with [`Unavailable`] so the HTTP edge can answer 503 instead of 500.
//! Everything else is an opaque [`RepositoryError::new`] carrying the source chain for the logs.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::{PoolError as ManagerError, deadpool::PoolError};
use domain::{RepositoryError, error::Unavailable};

use crate::Dialect;

/// A pool checkout failed. Every way the pool can fail to hand out a live connection means the
/// database cannot be used right now.
pub fn pool_error<D: Dialect>(e: PoolError) -> RepositoryError {
    use deadpool::managed::PoolError as P;
    match e {
        P::Timeout(kind) => Unavailable(format!(
            "timed out waiting for a database connection ({kind:?})"
        ))
        .into(),
        P::Backend(ManagerError::ConnectionError(c)) => {
            Unavailable(format!("{}: {c}", D::CANNOT_CONNECT)).into()
        }
        P::Backend(ManagerError::QueryError(q)) => Unavailable(format!(
            "the database connection failed its health check: {q}"
        ))
        .into(),
        P::Closed => Unavailable("the connection pool is closed".to_owned()).into(),
        e @ (P::NoRuntimeSpecified | P::PostCreateHook(_)) => RepositoryError::new(e),
    }
}

/// A query failed; [`is_connection_lost`] decides whether that means unavailable.
pub fn db_error<D: Dialect>(e: DieselError) -> RepositoryError {
    if is_connection_lost::<D>(&e) {
        return Unavailable(format!("{}: {e}", D::CONNECTION_LOST)).into();
    }
    RepositoryError::new(e)
}

/// True when `e` means the database cannot be used right now: an untyped database error whose
/// message the dialect recognises ([`Dialect::means_unavailable`]).
pub fn is_connection_lost<D: Dialect>(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(
            DatabaseErrorKind::Unknown | DatabaseErrorKind::ClosedConnection,
            info,
        ) => D::means_unavailable(info.message()),
        _ => false,
    }
}

/// True when `e` is a duplicate key on the unique constraint that `constraint` identifies in the
/// database's message (see [`Dialect::UQ_CLIENT_ORDER`]).
pub fn is_unique_violation_on(e: &DieselError, constraint: &str) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.message().contains(constraint)
        }
        _ => false,
    }
}

pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A stored row that breaks the schema's promises (e.g. an unknown status string).
pub fn corrupt(table: &str, key: &str, what: impl std::fmt::Display) -> RepositoryError {
    RepositoryError::msg(format!("corrupt {table} row {key}: {what}"))
}

/// True when `e` says this transaction was chosen as a deadlock's victim and rolled back (MySQL
/// and MariaDB error 1213; SQLite's single writer never deadlocks).
pub fn is_deadlock(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message().starts_with("Deadlock found")
        }
        _ => false,
    }
}

/// Why `PaymentStore::insert`'s transaction rolled back: a statement failed, or the row of the
/// nonce it was to record is there already (or its `INSERT` lost a deadlock over it).
#[derive(Debug)]
pub enum InsertTxError {
    Db(DieselError),
    NonceTaken,
}

impl From<DieselError> for InsertTxError {
    fn from(e: DieselError) -> Self {
        Self::Db(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unique_violation_is_attributed_to_the_constraint_its_message_names() {
        let e = DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new("Duplicate entry 'x' for key 'uq_payment_client_order'".to_owned()),
        );
        assert!(is_unique_violation(&e));
        assert!(is_unique_violation_on(&e, "uq_payment_client_order"));
        assert!(!is_unique_violation_on(&e, "uq_payment_log_transition"));
    }
}
