//! Contract tests of the MySQL/MariaDB adapter against a real server: one fresh database per
//! test (`TestDatabase`), so they run in parallel. Needs the server named by
//! `TEST_DATABASE_ADMIN_URL` (default `mysql://root@127.0.0.1:3306`); fails, never skips,
//! when it is unreachable.

mod concurrency;
mod health;
mod merchants;
mod nonces;
mod payments;
mod support;
