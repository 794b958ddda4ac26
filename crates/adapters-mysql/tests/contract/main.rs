//! Contract tests of the MySQL/MariaDB adapter against a real server: one fresh database per
//! test (`TestDatabase`), so they run in parallel. Needs the server named by
//! `TEST_DATABASE_ADMIN_URL` (default `mysql://root@127.0.0.1:3306`); fails, never skips,
//! when it is unreachable.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] fns: a failed setup step must fail the test loudly"
)]

mod concurrency;
mod health;
mod merchants;
mod nonces;
mod outbox;
mod payment_outbox;
mod payments;
mod reporting;
mod support;
