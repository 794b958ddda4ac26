//! MySQL/MariaDB storage adapter: implements the domain's storage ports with diesel-async over
//! the pure-Rust `mysql_async` driver (no C client library), plus the embedded migrations.
//!
//! Wiring, in order: [`create_database_if_missing`] (optional), [`run_migrations`],
//! [`build_pool`], then one store per port sharing the pool:
//! [`MysqlPaymentStore`], [`MysqlMerchantStore`], [`MysqlNonceStore`], [`MysqlOutboxStore`],
//! [`MysqlStoreHealth`].
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
#[cfg(feature = "test-util")]
pub mod test_util;

pub use health::MysqlStoreHealth;
pub use idempotency::MysqlIdempotencyStore;
pub use merchants::MysqlMerchantStore;
pub use migrate::{MIGRATIONS, MigrationError, create_database_if_missing, run_migrations};
pub use nonces::MysqlNonceStore;
pub use outbox::MysqlOutboxStore;
pub use payments::MysqlPaymentStore;
pub use pool::{Pool, PoolBuildError, PooledConnection, build_pool};
