//! What MySQL/MariaDB spells differently from SQLite (see `adapters_sql::Dialect`).

/// MySQL/MariaDB, over diesel-async's pure-Rust `mysql_async` connection.
pub struct Mysql;

impl adapters_sql::Dialect for Mysql {
    /// MySQL error 1062 names the key: `Duplicate entry '..' for key 'uq_..'` (MySQL 8 prefixes
    /// the table).
    const UQ_CLIENT_ORDER: &'static str = "uq_payment_client_order";
    const UQ_LOG_TRANSITION: &'static str = "uq_payment_log_transition";
    const UQ_USER_EMAIL: &'static str = "uq_operator_user_email";
    const UQ_SETTLEMENT_BATCH_DAY: &'static str = "uq_settlement_batch_day";
    const LAST_INSERT_ID: &'static str = "LAST_INSERT_ID()";
    /// Connections run with `time_zone = '+00:00'`; `DATETIME(6)` precision.
    const NOW: &'static str = "UTC_TIMESTAMP(6)";
    const INTEGER_CAST: &'static str = "SIGNED";
    const GREATEST: &'static str = "GREATEST";
    const BEGIN_SNAPSHOT: &'static str = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";
    const CANNOT_CONNECT: &'static str = "cannot connect to the database";
    const CONNECTION_LOST: &'static str = "lost the database connection";

    fn delete_expired_batch(table: &str, batch: usize) -> String {
        format!("DELETE FROM {table} WHERE expires_at < ? LIMIT {batch}")
    }

    /// A lost connection mid-query surfaces from mysql_async as an untyped database error;
    /// recognise its two messages. A Galera node that is up but not part of the primary
    /// component (out of quorum, still joining) answers error 1047 "WSREP has not yet prepared
    /// node for application use" (older servers: "Unknown command"); a server going down, 1053
    /// or 1927. None of these is the query's fault: the node cannot serve right now.
    fn means_unavailable(message: &str) -> bool {
        message.starts_with("Input/output error")
            || message.contains("Connection to the server is closed")
            || message.starts_with("WSREP has not yet prepared node")
            || message == "Unknown command"
            || message.starts_with("Server shutdown in progress")
            || message.starts_with("Connection was killed")
    }

    /// Errors 1146 `Table 'db.t' doesn't exist` and 1054 `Unknown column 'c' in '…'`.
    fn means_schema_behind(message: &str) -> bool {
        (message.starts_with("Table '") && message.ends_with("' doesn't exist"))
            || message.starts_with("Unknown column '")
    }
}

#[cfg(test)]
mod tests {
    use adapters_sql::{Dialect, error::db_error};
    use diesel::result::{DatabaseErrorKind, Error};

    use super::Mysql;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_missing_table_or_column_means_the_schema_is_behind_and_unavailable() {
        for message in [
            "Table 'simplepg.payment' doesn't exist",
            "Unknown column 'cancelable_amount' in 'field list'",
        ] {
            assert!(Mysql::means_schema_behind(message), "{message}");
            let e = db_error::<Mysql>(database_error(DatabaseErrorKind::Unknown, message));
            assert!(e.is_unavailable(), "{message}");
            assert!(e.to_string().contains("simplepg migrate"), "{e}");
        }
        assert!(!Mysql::means_schema_behind(
            "You have an error in your SQL syntax"
        ));
    }

    #[test]
    fn the_messages_of_a_lost_connection_mean_unavailable() {
        assert!(Mysql::means_unavailable("Input/output error: broken pipe"));
        assert!(Mysql::means_unavailable(
            "Connection to the server is closed"
        ));
        assert!(!Mysql::means_unavailable(
            "You have an error in your SQL syntax"
        ));
    }

    #[test]
    fn a_galera_node_out_of_the_primary_component_or_shutting_down_is_unavailable() {
        for message in [
            "WSREP has not yet prepared node for application use",
            "Unknown command",
            "Server shutdown in progress",
            "Connection was killed",
        ] {
            assert!(Mysql::means_unavailable(message), "{message}");
            assert!(
                db_error::<Mysql>(database_error(DatabaseErrorKind::Unknown, message))
                    .is_unavailable()
            );
        }
    }

    #[test]
    fn a_conflict_that_outlived_its_retries_is_unavailable_not_a_failure() {
        let e = database_error(
            DatabaseErrorKind::Unknown,
            "Deadlock found when trying to get lock; try restarting transaction",
        );
        assert!(db_error::<Mysql>(e).is_unavailable());
    }

    #[test]
    fn only_an_untyped_database_error_can_mean_unavailable() {
        let lost = "Input/output error: broken pipe";
        assert!(
            db_error::<Mysql>(database_error(DatabaseErrorKind::Unknown, lost)).is_unavailable()
        );
        assert!(
            db_error::<Mysql>(database_error(DatabaseErrorKind::ClosedConnection, lost))
                .is_unavailable()
        );
        assert!(
            !db_error::<Mysql>(database_error(DatabaseErrorKind::UniqueViolation, lost))
                .is_unavailable()
        );
    }
}
