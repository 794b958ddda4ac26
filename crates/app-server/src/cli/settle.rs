//! `simplepg settle --date D`: the settlement run of one day from the operator's cron job
//! (api.md §12.2), straight against the database, recorded in the operator audit log as actor
//! `cli`. Idempotent: a date already settled creates nothing and prints its batches again.

use std::sync::Arc;

use adapters_crypto::RandomKeyGenerator;
use anyhow::{Context, anyhow};
use domain::{
    people::{Guarded, Principal, RequestOrigin},
    services::settlement::{SettlementError, SettlementRun, SettlementService},
    settlement::SettlementDate,
};

use crate::{calendar::ZoneCalendar, clock::SystemClock, settings::Settings, startup::open_stores};

#[derive(Debug, clap::Args)]
pub struct SettleArgs {
    /// The settlement date, YYYY-MM-DD (a day that has ended in `settlement.timezone`).
    #[arg(long)]
    pub date: String,
}

/// The settlement service on the configured database.
pub fn service(settings: &Settings) -> anyhow::Result<SettlementService> {
    let stores = open_stores(settings).context("connecting to the database")?;
    Ok(SettlementService::new(
        stores.ports.settlements,
        stores.ports.merchants,
        Arc::new(RandomKeyGenerator::default()),
        Arc::new(SystemClock),
        Arc::new(ZoneCalendar::named(&settings.settlement.timezone)?),
    ))
}

pub async fn settle(settings: &Settings, args: &SettleArgs) -> anyhow::Result<SettlementRun> {
    let date = SettlementDate::parse(&args.date).map_err(|e| anyhow!("--date {e}"))?;
    let run = service(settings)?
        .run(&Principal::cli(), date, &RequestOrigin::default())
        .await
        .map_err(|e| match e {
            Guarded::Forbidden => anyhow!("the command line may not run settlements"),
            Guarded::Failed(e @ SettlementError::DateNotOver(_)) => anyhow!("{e}"),
            Guarded::Failed(e) => anyhow!(e),
        })?;
    adapters_http::record_settlement(&run);
    Ok(run)
}

/// One line per batch, then a summary.
pub fn render(run: &SettlementRun) -> String {
    let mut out = String::new();
    for b in &run.batches {
        out.push_str(&format!(
            "{} {} {} gross {} fees {} net {} lines {} payout {}\n",
            b.id,
            b.client_id,
            b.currency,
            b.totals.gross,
            b.totals.fees,
            b.totals.net,
            b.totals.line_count,
            b.payout_date
        ));
    }
    out.push_str(&format!(
        "{}: {} batches, {} created by this run\n",
        run.date,
        run.batches.len(),
        run.created
    ));
    out
}
