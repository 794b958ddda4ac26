//! Embedded SQLite storage adapter: implements the domain's storage ports with diesel-async's
//! `SyncConnectionWrapper<SqliteConnection>` over a bundled SQLite, plus its own embedded
//! migrations. For a single server instance (a local sandbox): see
//! docs/adr/0012-two-storage-adapters.md.
//!
//! Wiring, in order: [`run_migrations`] (creates the file), [`build_pool`], then one store per
//! port sharing the pool: [`SqlitePaymentStore`], [`SqliteMerchantStore`], [`SqliteNonceStore`],
//! [`SqliteOutboxStore`], [`SqliteIdempotencyStore`], [`SqliteStoreHealth`].
#![forbid(unsafe_code)]

mod error;
mod health;
mod idempotency;
mod merchants;
mod migrate;
mod nonces;
mod outbox;
mod payments;
mod pool;
mod reporting;
mod rows;
mod schema;

pub use health::SqliteStoreHealth;
pub use idempotency::SqliteIdempotencyStore;
pub use merchants::SqliteMerchantStore;
pub use migrate::{MIGRATIONS, MigrationError, run_migrations};
pub use nonces::SqliteNonceStore;
pub use outbox::SqliteOutboxStore;
pub use payments::SqlitePaymentStore;
pub use pool::{
    BUSY_TIMEOUT, Pool, PoolBuildError, PooledConnection, SqliteConn, build_pool, file_path,
};
