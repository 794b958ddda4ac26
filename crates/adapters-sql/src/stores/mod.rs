//! The storage ports implemented once, as [`sql_stores!`], for an adapter to instantiate with its
//! connection type.
//!
//! Why a macro: diesel-async's query methods are generic over the connection, and a function
//! generic over it needs a trait bound per statement shape (`LoadQuery<'_, C, Row>` for every
//! query, `Send` futures for `async_trait`) — dozens of bounds that restate each query. Expanded
//! in the adapter, the same code is checked against one concrete connection (a common pattern in
//! multi-backend diesel code). The code in the macro is only the statements and their
//! sequencing; row conversions, SQL text and decisions are ordinary functions elsewhere in this
//! crate.

mod health;
mod idempotency;
mod merchants;
mod nonces;
mod outbox;
mod payments;
mod reads;
mod reporting;

/// Defines the seven store types of an adapter and implements the storage ports on them.
///
/// ```ignore
/// adapters_sql::sql_stores! {
///     dialect: crate::dialect::Mysql,            // an `adapters_sql::Dialect`
///     pool: crate::pool::Pool,                   // a diesel-async deadpool of `connection`
///     connection: diesel_async::AsyncMysqlConnection,
///     write_transaction: transaction,            // the method that opens a write transaction
///     batch_insert: multi_row,                   // or `row_by_row`, where diesel-async cannot batch
///     lock_row: (.for_update()),                 // appended to a re-read that decides a write
///     lock_claim: (.for_update().skip_locked()), // appended to the outbox claim's re-check
///     migrations: crate::migrate::MIGRATIONS,   // the embedded migrations `/ready` checks for
///     stores: {
///         payments: MysqlPaymentStore,
///         merchants: MysqlMerchantStore,
///         nonces: MysqlNonceStore,
///         idempotency: MysqlIdempotencyStore,
///         outbox: MysqlOutboxStore,
///         reads: MysqlOperatorReads,
///         health: MysqlStoreHealth,
///     },
/// }
/// ```
///
/// Expand it in a module of its own: it brings diesel's query traits into scope and defines the
/// private helpers `Pool`, `Conn`, `Backend`, `D`, `pool_error` and `db_error` there.
#[macro_export]
macro_rules! sql_stores {
    (
        dialect: $dialect:ty,
        pool: $pool:ty,
        connection: $conn:ty,
        write_transaction: $tx:ident,
        batch_insert: $insert:ident,
        lock_row: ($($lock_row:tt)*),
        lock_claim: ($($lock_claim:tt)*),
        migrations: $migrations:path,
        stores: {
            payments: $payments:ident,
            merchants: $merchants:ident,
            nonces: $nonces:ident,
            idempotency: $idempotency:ident,
            outbox: $outbox:ident,
            reads: $reads:ident,
            health: $health:ident $(,)?
        } $(,)?
    ) => {
        // Not `#[expect]`: the import is used in one expansion (MySQL's `transaction` is a method
        // of `AsyncConnection`) and unused in the other (SQLite's `immediate_transaction` is
        // inherent), so an expectation would go unfulfilled in one of them.
        #[allow(
            unused_imports,
            reason = "AsyncConnection is needed by MySQL's `transaction` only"
        )]
        use $crate::__private::{
            async_trait,
            diesel::{
                self, BoolExpressionMethods as _, ExpressionMethods as _, OptionalExtension as _,
                QueryDsl as _, SelectableHelper as _,
            },
            diesel_async::{AsyncConnection as _, RunQueryDsl as _},
            domain::{self, RepositoryError},
        };

        type D = $dialect;
        type Pool = $pool;
        type Conn = $conn;
        type Backend = <Conn as $crate::__private::diesel_async::AsyncConnectionCore>::Backend;

        fn pool_error(
            e: $crate::__private::diesel_async::pooled_connection::deadpool::PoolError,
        ) -> RepositoryError {
            $crate::error::pool_error::<D>(e)
        }

        fn db_error(e: diesel::result::Error) -> RepositoryError {
            $crate::error::db_error::<D>(e)
        }

        $crate::__sql_store!($payments);
        $crate::__sql_store!($merchants);
        $crate::__sql_store!($nonces);
        $crate::__sql_store!($idempotency);
        $crate::__sql_store!($outbox);
        $crate::__sql_store!($reads);
        $crate::__sql_store!($health);

        /// Every storage port of this adapter on `pool`.
        pub fn ports(pool: Pool) -> domain::store_ports::StorePorts {
            use std::sync::Arc;
            domain::store_ports::StorePorts {
                payments: Arc::new($payments::new(pool.clone())),
                merchants: Arc::new($merchants::new(pool.clone())),
                nonces: Arc::new($nonces::new(pool.clone())),
                outbox: Arc::new($outbox::new(pool.clone())),
                idempotency: Arc::new($idempotency::new(pool.clone())),
                reads: Arc::new($reads::new(pool.clone())),
                health: Arc::new($health::new(pool)),
            }
        }

        $crate::__sql_payment_store!($payments, $tx);
        $crate::__sql_merchant_store!($merchants);
        $crate::__sql_nonce_store!($nonces);
        $crate::__sql_idempotency_store!($idempotency, $tx, ($($lock_row)*));
        $crate::__sql_outbox_store!($outbox, $tx, $insert, ($($lock_row)*), ($($lock_claim)*));
        $crate::__sql_operator_reads!($reads, $outbox);
        $crate::__sql_reporting!();
        $crate::__sql_health!($health, $migrations);
    };
}

/// One store: a handle on the shared pool.
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_store {
    ($name:ident) => {
        #[derive(Clone)]
        pub struct $name {
            pool: Pool,
        }

        impl $name {
            pub fn new(pool: Pool) -> Self {
                Self { pool }
            }
        }
    };
}
