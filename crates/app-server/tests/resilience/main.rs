//! Resilience proofs (issue 5): concurrency races across two instances on one database, each
//! ending with the invariant check over the whole database; and faults — database outage,
//! SIGKILL under load, graceful SIGTERM — against the real `simplepg` binary.
//!
//! Run just these: `cargo nextest run -p app-server --test resilience`.

mod concurrency;
mod faults;
mod hostile;
mod support;
