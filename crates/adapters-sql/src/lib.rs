//! The dialect-neutral SQL layer of SimplePG's two storage adapters (`adapters-mysql`,
//! `adapters-sqlite`): the one diesel [`schema`], the [`records`] and their conversions to and
//! from domain types, the hand-written statements ([`raw`]), the pure decisions the stores take
//! ([`decisions`], [`reporting`]), error translation ([`error`]), the migration runner
//! ([`migrations`]), and — through
//! [`sql_stores!`] — the implementations of every storage port, written once.
//!
//! An adapter supplies what its dialect forces: a [`Dialect`] (constraint names, a few SQL
//! spellings, which errors mean "unavailable"), its connection and pool types, its transaction
//! flavour and its row-lock clauses, its migrations. See docs/adr/0012-two-storage-adapters.md.
#![forbid(unsafe_code)]

pub mod decisions;
mod dialect;
pub mod error;
pub mod migrations;
pub mod raw;
pub mod records;
pub mod reporting;
pub mod retry;
pub mod schema;
mod stores;

pub use dialect::Dialect;

/// What the code [`sql_stores!`] expands to needs, so that an adapter does not have to name the
/// same crates and versions.
#[doc(hidden)]
pub mod __private {
    pub use async_trait::async_trait;
    pub use diesel;
    pub use diesel_async;
    pub use domain;
    pub use time;
}
