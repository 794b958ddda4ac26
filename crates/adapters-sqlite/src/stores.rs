//! The storage ports on SQLite: the shared implementation (`adapters_sql::sql_stores!`)
//! instantiated with the SQLite connection and `immediate_transaction` — every multi-statement
//! write runs in `BEGIN IMMEDIATE`, which takes SQLite's single write lock up front. That lock is
//! what MySQL's row locks achieve, so no row-lock clause is added (SQLite has none). Outbox
//! messages are inserted one statement per row: diesel-async cannot batch an SQLite `INSERT`
//! whose records have optional columns (no `DEFAULT` keyword in SQLite's `VALUES`).

adapters_sql::sql_stores! {
    dialect: crate::dialect::Sqlite,
    pool: crate::pool::Pool,
    connection: crate::pool::SqliteConn,
    write_transaction: immediate_transaction,
    batch_insert: row_by_row,
    lock_row: (),
    lock_claim: (),
    migrations: crate::migrate::MIGRATIONS,
    stores: {
        payments: SqlitePaymentStore,
        merchants: SqliteMerchantStore,
        nonces: SqliteNonceStore,
        idempotency: SqliteIdempotencyStore,
        outbox: SqliteOutboxStore,
        reads: SqliteOperatorReads,
        health: SqliteStoreHealth,
    },
}
