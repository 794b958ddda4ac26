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

/// A query failed; [`is_connection_lost`] decides whether that means unavailable. A conflict
/// ([`is_conflict`]) that reaches here has outlived its retries: the database is too contended
/// to serve this request right now, which is also "unavailable, try again" (503), never a 500.
pub fn db_error<D: Dialect>(e: DieselError) -> RepositoryError {
    if is_connection_lost::<D>(&e) {
        crate::pool::connection_lost();
        return Unavailable(format!("{}: {e}", D::CONNECTION_LOST)).into();
    }
    if is_conflict(&e) {
        return Unavailable(format!(
            "the database kept reporting conflicting transactions: {e}"
        ))
        .into();
    }
    if matches!(&e, DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
        if D::means_schema_behind(info.message()))
    {
        return Unavailable(format!(
            "the database schema is not migrated (run `simplepg migrate`): {e}"
        ))
        .into();
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

/// True when `e` is a retryable conflict: the database rolled this transaction back because of
/// another one, and running it again on fresh data is the answer. MySQL/MariaDB report it as
/// error 1213 (a deadlock victim; on a Galera cluster also a certification failure at `COMMIT`
/// or a brute-force abort by a replicated write) and 1205 (a lock wait timeout), MySQL Group
/// Replication as 3101. diesel-async keeps only the message of these (as an `Unknown` database
/// error), so they are recognised by it. SQLite's single writer never deadlocks, and its busy
/// handler already waits `busy_timeout` for the lock (past that it is unavailable).
pub fn is_conflict(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            CONFLICT_MESSAGES
                .iter()
                .any(|conflict| message.starts_with(conflict))
        }
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        _ => false,
    }
}

/// The messages of MySQL/MariaDB errors 1213, 1205 and 3101.
const CONFLICT_MESSAGES: [&str; 3] = [
    "Deadlock found when trying to get lock",
    "Lock wait timeout exceeded",
    "Plugin instructed the server to rollback the current transaction",
];

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

    fn unknown(message: &str) -> DieselError {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_owned()))
    }

    #[test]
    fn deadlocks_lock_wait_timeouts_and_certification_failures_are_retryable_conflicts() {
        for message in [
            "Deadlock found when trying to get lock; try restarting transaction",
            "Lock wait timeout exceeded; try restarting transaction",
            "Plugin instructed the server to rollback the current transaction.",
        ] {
            assert!(is_conflict(&unknown(message)), "{message}");
        }
        assert!(!is_conflict(&unknown(
            "You have an error in your SQL syntax"
        )));
        assert!(!is_conflict(&DieselError::NotFound));
    }
}
