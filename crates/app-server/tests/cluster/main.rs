//! SimplePG on a 3-node multi-primary MariaDB Galera cluster (docs/ops/cluster.md):
//! instances pinned to different nodes race on the same payments, start at once on an empty
//! database, and live through a node cut from the quorum and a node killed under load. Each
//! test ends with `simplepg check` through every node.
//!
//! Needs the cluster of `scripts/galera start` (SQL on 127.0.0.1:3316-3318; `scripts/test`
//! starts it) and fails, not skips, without it. One test at a time (test group `galera`).
//! Run just these: `cargo nextest run -p app-server --test cluster`.
#![expect(
    clippy::expect_used,
    reason = "test code: a failed setup step or assertion must fail the test loudly"
)]

mod cancels;
mod faults;
mod races;
mod startup;
mod support;
