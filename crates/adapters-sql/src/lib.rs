//! The dialect-neutral SQL layer of SimplePG's two storage adapters (`adapters-mysql`,
//! `adapters-sqlite`): the one diesel [`schema`], the [`records`] and their conversions to and
//! from domain types, the hand-written statements ([`raw`]), the pure decisions the stores take
//! ([`decisions`], [`reporting`]), error translation ([`error`]), the migration runner
//! ([`migrations`]), the [`statements`] each store runs, and the implementations of every
//! storage port ([`stores`]), written once as generic code over an adapter's backend.
//!
//! An adapter supplies what its dialect forces: a [`Dialect`] (constraint names, a few SQL
//! spellings, which errors mean "unavailable"), a [`SqlBackend`] (its connection and pool, how
//! a write transaction begins, its migrations), the row-lock clauses and insert flavour its
//! expansion of [`sql_statements!`] checks the statements with, and its migrations. See
//! docs/adr/0012-two-storage-adapters.md.
#![forbid(unsafe_code)]

mod backend;
pub mod cached;
pub mod decisions;
mod dialect;
pub mod error;
pub mod migrations;
pub mod pool;
pub mod raw;
pub mod records;
pub mod reporting;
pub mod retry;
pub mod schema;
pub mod statements;
pub mod stores;

pub use backend::{ConnectionPool, QueryFuture, SqlBackend, write_tx};
pub use dialect::Dialect;
pub use statements::Statements;
pub use stores::{PeoplePorts, SqlStore, people_ports, ports};

/// What the code [`sql_statements!`] expands to needs, so that an adapter does not have to name the
/// same crates and versions.
#[doc(hidden)]
pub mod __private {
    pub use diesel;
    pub use diesel_async;
    pub use domain;
    pub use time;
}
