//! Resilience proofs (issue 5): concurrency races across two instances on one database, each
//! ending with the invariant check over the whole database; faults — database outage,
//! SIGKILL under load, graceful SIGTERM — against the real `simplepg` binary; and the logs an
//! operator reads when something fails; a settlement run killed mid-way.
//!
//! Run just these: `cargo nextest run -p app-server --test resilience`.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed setup step or assertion must fail the test loudly"
)]

mod cancels;
mod cli;
mod cli_cancel;
mod cli_reconcile;
mod cli_users;
mod concurrency;
mod faults;
mod hostile;
mod key_rotation;
mod lockout;
mod logs;
mod settlement_crash;
mod startup;
mod support;
