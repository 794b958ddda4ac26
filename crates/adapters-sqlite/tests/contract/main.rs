//! Contract tests of the SQLite adapter: the shared suite of `store-contract` (the MySQL adapter
//! runs the same), each test on a fresh database file in a temporary directory, plus what only
//! SQLite has.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns: a failed setup step must fail the test loudly"
)]

mod backfill;
mod sqlite;
mod support;

use support::SqliteFactory;

store_contract::contract_tests!(SqliteFactory);
