//! Black-box HTTP tests of the console's admin endpoints (statistics, live events, acquirer
//! simulator) and of the console's static files. Each test starts the real server on port 0
//! over its own fresh MariaDB database (`TEST_DATABASE_ADMIN_URL`, default
//! `mysql://root@127.0.0.1:3306`) and speaks HTTP only. Fails, never skips, without MariaDB.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed setup step or assertion must fail the test loudly"
)]

mod cancels;
mod harness;
mod simulator;
mod static_files;
mod stats;
mod stream;
