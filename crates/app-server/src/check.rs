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

/// What the settlement check found (api.md §12.2: every movement of a settled day settled
/// exactly once, every line agreeing with its movement, every batch the sum of its lines).
pub fn render_settlements(f: &domain::ports::SettlementFindings) -> String {
    let mut out = String::new();
    for (key, settles) in &f.unsettled {
        out.push_str(&format!(
            "VIOLATION settlement: {settles} of payment {key} falls on a settled day and is in no batch\n"
        ));
    }
    for settles in &f.mismatched {
        out.push_str(&format!(
            "VIOLATION settlement: the line settling {settles} disagrees with it (amount, time or day)\n"
        ));
    }
    for id in &f.wrong_totals {
        out.push_str(&format!(
            "VIOLATION settlement: batch {id} totals are not the sums of its lines\n"
        ));
    }
    out.push_str(&format!(
        "settlements checked, {} violations\n",
        f.unsettled.len() + f.mismatched.len() + f.wrong_totals.len()
    ));
    out
}
