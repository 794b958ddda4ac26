//! What a storage adapter must say about its SQL dialect. Each adapter implements [`Dialect`] on
//! a unit type; everything else about the stores is written once in this crate.

/// The parts of a store that differ between MySQL/MariaDB and SQLite and are plain data or pure
/// functions. (The parts that need the connection type are [`crate::SqlBackend`] — the
/// transaction flavour — and the arguments of [`crate::sql_statements!`] — the row locks.)
pub trait Dialect {
    /// The part of a duplicate-key message that names `UNIQUE (client_id, order_no)` of
    /// `payment`: MySQL names the key, SQLite lists its columns.
    const UQ_CLIENT_ORDER: &'static str;
    /// The same for `UNIQUE (payment_id, from_version)` of `payment_log`.
    const UQ_LOG_TRANSITION: &'static str;
    /// The same for `UNIQUE (email)` of `operator_user`.
    const UQ_USER_EMAIL: &'static str;
    /// The same for `UNIQUE (client_id, currency, settlement_date)` of `settlement_batch`.
    const UQ_SETTLEMENT_BATCH_DAY: &'static str;
    /// An SQL expression for the key the connection's last `INSERT` gave an auto-increment
    /// column (`LAST_INSERT_ID()` / `last_insert_rowid()`): per connection, so it is the
    /// caller's own insert whatever other connections do.
    const LAST_INSERT_ID: &'static str;
    /// An SQL expression for the database's clock, in UTC, comparable with stored instants.
    const NOW: &'static str;
    /// The type to `CAST` an integer expression to (`SIGNED` / `INTEGER`).
    const INTEGER_CAST: &'static str;
    /// The scalar function that returns the largest of its arguments (`GREATEST` / `MAX`).
    const GREATEST: &'static str;
    /// Starts a read-only transaction that reads one snapshot of the database.
    const BEGIN_SNAPSHOT: &'static str;
    /// How "the database cannot be reached" reads in an error (the pool failed to connect).
    const CANNOT_CONNECT: &'static str;
    /// How "the connection broke during a query" reads in an error.
    const CONNECTION_LOST: &'static str;

    /// One `DELETE` of at most `batch` rows of `table` with `expires_at < ?` (one bind).
    fn delete_expired_batch(table: &str, batch: usize) -> String;

    /// True when the message of an untyped database error (diesel's `Unknown` or
    /// `ClosedConnection` kind) means the database is unusable right now — the connection was
    /// lost, the file is locked past the busy timeout, … — so callers answer 503, not 500.
    fn means_unavailable(message: &str) -> bool;

    /// True when the message of an untyped database error means the schema is behind this
    /// binary — a table or column it uses does not exist — because the database was not
    /// migrated (`simplepg migrate`). Not the request's fault, and over once the operator
    /// migrates: callers answer 503, not 500.
    fn means_schema_behind(message: &str) -> bool;
}
