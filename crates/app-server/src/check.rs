//! `simplepg check`: verifies the invariants of architecture.md §3 over the whole database.

use std::time::Duration;

use anyhow::Context;
use domain::operator::invariants::{InvariantChecker, Report};
use secrecy::ExposeSecret;

use crate::settings::Settings;

/// Checks every payment of the configured database.
pub async fn run(settings: &Settings) -> anyhow::Result<Report> {
    check_database(settings.database.url.expose_secret()).await
}

/// Checks every payment of the database at `url` (the concurrency tests call this directly).
pub async fn check_database(url: &str) -> anyhow::Result<Report> {
    crate::store::require_existing(url)?;
    let stores =
        crate::store::open(url, 2, Duration::from_secs(5)).context("connecting to the database")?;
    let checker = InvariantChecker::new(
        stores.ports.payments,
        stores.ports.merchants,
        stores.ports.reads,
    );
    Ok(checker.run().await?)
}

/// The report as text: one line per violation, then a summary.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for v in &report.violations {
        out.push_str(&format!("VIOLATION {v}\n"));
    }
    out.push_str(&format!(
        "{} payments checked, {} violations\n",
        report.payments_checked,
        report.violations.len()
    ));
    out
}
