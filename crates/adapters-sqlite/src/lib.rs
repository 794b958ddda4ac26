//! Embedded SQLite storage adapter: implements the domain's storage ports with diesel-async's
//! `SyncConnectionWrapper<SqliteConnection>` over a bundled SQLite, plus its own embedded
//! migrations. For a single server instance (a local sandbox): see
//! docs/adr/0012-two-storage-adapters.md. The queries themselves are `adapters-sql`'s, shared
//! with the MySQL adapter; this crate holds what SQLite forces: the pool and its pragmas, the
//! migrations, the dialect (`dialect.rs`) and the transaction flavour (`stores.rs`).
//!
//! Wiring, in order: [`run_migrations`] (creates the file), [`build_pool`], then one store per
//! port sharing the pool, [`SqliteStore`] of the port's marker: [`Payments`], [`Merchants`],
//! [`Nonces`], [`Outbox`], [`Idempotency`], [`Reads`], [`Health`] ([`ports`]: all of them), and
//! the people ports ([`people_ports`]: [`Users`], [`Sessions`], [`OperatorAudit`]).
#![forbid(unsafe_code)]

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
pub use migrate::{MIGRATIONS, MigrationError, run_migrations};
pub use pool::{
    BUSY_TIMEOUT, Pool, PoolBuildError, PooledConnection, SqliteConn, build_pool, file_path,
};
pub use stores::{SqliteStore, people_ports, ports};
