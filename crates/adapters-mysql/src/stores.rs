//! The storage ports on MySQL/MariaDB: the shared implementation (`adapters_sql::sql_stores!`)
//! instantiated with MySQL's connection, its plain `transaction` (InnoDB row locks do the
//! serialising), and its row locks: `FOR UPDATE` on a re-read that decides a write,
//! `FOR UPDATE SKIP LOCKED` on the outbox claim so concurrent dispatchers (on any instance) take
//! disjoint messages.

adapters_sql::sql_stores! {
    dialect: crate::dialect::Mysql,
    pool: crate::pool::Pool,
    connection: diesel_async::AsyncMysqlConnection,
    write_transaction: transaction,
    batch_insert: multi_row,
    lock_row: (.for_update()),
    lock_claim: (.for_update().skip_locked()),
    migrations: crate::migrate::MIGRATIONS,
    stores: {
        payments: MysqlPaymentStore,
        merchants: MysqlMerchantStore,
        nonces: MysqlNonceStore,
        idempotency: MysqlIdempotencyStore,
        outbox: MysqlOutboxStore,
        reads: MysqlOperatorReads,
        health: MysqlStoreHealth,
    },
}
