//! MySQL/MariaDB storage adapter: implements the domain's storage ports with diesel-async over
//! the pure-Rust `mysql_async` driver (no C client library), plus the embedded migrations. The
//! queries themselves are `adapters-sql`'s, shared with the SQLite adapter; this crate holds what
//! MySQL forces (see docs/adr/0012-two-storage-adapters.md): the pool, the migrations, the
//! dialect (`dialect.rs`) and the transaction flavour and row locks (`stores.rs`).
//!
//! Wiring, in order: [`create_database_if_missing`] (optional), [`run_migrations`],
//! [`build_pool`], then one store per port sharing the pool, [`MysqlStore`] of the port's
//! marker: [`Payments`], [`Merchants`], [`Nonces`], [`Outbox`], [`Idempotency`], [`Reads`],
//! [`Health`] ([`ports`]: all of them), and the people ports ([`people_ports`]: [`Users`],
//! [`Sessions`], [`OperatorAudit`]).
#![forbid(unsafe_code)]

mod cluster_health;
mod dialect;
mod migrate;
mod migration_lock;
mod pool;
mod stores;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use adapters_sql::PeoplePorts;
pub use adapters_sql::stores::{
    Health, Idempotency, Merchants, Nonces, OperatorAudit, Outbox, Payments, Reads, Sessions, Users,
};
pub use cluster_health::{ClusterAwareHealth, NodeState};
pub use migrate::{MIGRATIONS, MigrationError, create_database_if_missing, run_migrations};
pub use pool::{Pool, PoolBuildError, PooledConnection, build_pool};
pub use stores::{MysqlStore, people_ports, ports};
