//! Contract tests of the MySQL/MariaDB adapter against a real server: one fresh database per
//! test (`TestDatabase`), so they run in parallel. Needs the server named by
//! `TEST_DATABASE_ADMIN_URL` (default `mysql://root@127.0.0.1:3306`); fails, never skips,
//! when it is unreachable.
//!
//! The port-level tests are the shared suite of `store-contract` (the SQLite adapter runs the
//! same); `health` holds what only MySQL has (an unreachable server, the migrations table).
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns: a failed setup step must fail the test loudly"
)]

mod backfill;
mod health;
mod round_trips;
mod support;

use support::MysqlFactory;

store_contract::contract_tests!(MysqlFactory);
