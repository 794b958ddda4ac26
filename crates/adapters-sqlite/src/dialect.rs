//! What SQLite spells differently from MySQL (see `adapters_sql::Dialect`).

/// SQLite, over diesel-async's `SyncConnectionWrapper<SqliteConnection>`.
pub struct Sqlite;

impl adapters_sql::Dialect for Sqlite {
    /// SQLite names the columns, not the constraint: `UNIQUE constraint failed:
    /// payment.client_id, payment.order_no`.
    const UQ_CLIENT_ORDER: &'static str = "payment.client_id, payment.order_no";
    const UQ_LOG_TRANSITION: &'static str = "payment_log.payment_id, payment_log.from_version";
    const UQ_USER_EMAIL: &'static str = "operator_user.email";
    const UQ_SETTLEMENT_BATCH_DAY: &'static str = "settlement_batch.client_id";
    const LAST_INSERT_ID: &'static str = "last_insert_rowid()";
    /// The host's clock in UTC, spelled like the stored instants (they compare as text).
    const NOW: &'static str = "strftime('%Y-%m-%d %H:%M:%f', 'now')";
    const INTEGER_CAST: &'static str = "INTEGER";
    /// `MAX` with two or more arguments is SQLite's scalar maximum.
    const GREATEST: &'static str = "MAX";
    /// A deferred read transaction: in WAL mode it reads one snapshot of the database.
    const BEGIN_SNAPSHOT: &'static str = "BEGIN DEFERRED";
    const CANNOT_CONNECT: &'static str = "cannot open the database file";
    const CONNECTION_LOST: &'static str = "the database is not usable right now";

    /// SQLite has no `DELETE .. LIMIT` (without a compile-time option): delete by `rowid`.
    fn delete_expired_batch(table: &str, batch: usize) -> String {
        format!(
            "DELETE FROM {table} WHERE rowid IN \
             (SELECT rowid FROM {table} WHERE expires_at < ? LIMIT {batch})"
        )
    }

    /// `database is locked` (the write lock stayed busy past `busy_timeout`) and I/O failures.
    fn means_unavailable(message: &str) -> bool {
        message.contains("database is locked")
            || message.contains("disk I/O error")
            || message.contains("unable to open database")
    }

    fn means_schema_behind(message: &str) -> bool {
        message.starts_with("no such table: ") || message.starts_with("no such column: ")
    }
}

#[cfg(test)]
mod tests {
    use adapters_sql::Dialect;

    use super::Sqlite;

    #[test]
    fn a_lock_held_past_the_busy_timeout_or_a_broken_file_means_unavailable() {
        assert!(Sqlite::means_unavailable("database is locked"));
        assert!(Sqlite::means_unavailable("disk I/O error"));
        assert!(!Sqlite::means_unavailable("no such table: payment"));
    }

    #[test]
    fn a_missing_table_or_column_means_the_schema_is_behind() {
        assert!(Sqlite::means_schema_behind("no such table: payment"));
        assert!(Sqlite::means_schema_behind(
            "no such column: cancelable_amount"
        ));
        assert!(!Sqlite::means_schema_behind("near \"SELEC\": syntax error"));
    }
}
