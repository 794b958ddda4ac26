//! `simplepg reconcile --date D`: the reconciliation of one day against the acquirer's
//! settlement file (api.md §12.3), from the operator's cron job, straight against the database,
//! recorded in the operator audit log as actor `cli`. The file is fetched from
//! `acquirer.settlement_file_url` (the built-in mock's is served by a running server, at
//! `server.public_url` or `http://{server.host}:{server.port}`). Exit code 0 when the day
//! matched, 1 when it has discrepancies (listed).

use std::{sync::Arc, time::Duration};

use adapters_crypto::RandomKeyGenerator;
use anyhow::{Context, anyhow};
use domain::{
    people::{Guarded, Principal, RequestOrigin},
    ports::{Clock, KeyGenerator},
    reconciliation::{Discrepancy, Reconciliation},
    services::reconciliation::{ReconciliationError, ReconciliationService},
    settlement::SettlementDate,
    signing::WebhookKey,
};
use secrecy::ExposeSecret;

use crate::{
    calendar::ZoneCalendar,
    clock::SystemClock,
    settings::Settings,
    startup::{open_stores, outbound_sender},
};

#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// The settlement date, YYYY-MM-DD (today or earlier in `settlement.timezone`).
    #[arg(long)]
    pub date: String,
}

/// The reconciliation service on the configured database and acquirer.
pub fn service(settings: &Settings) -> anyhow::Result<ReconciliationService> {
    let stores = open_stores(settings).context("connecting to the database")?;
    let keys: Arc<dyn KeyGenerator> = Arc::new(RandomKeyGenerator::default());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let key = WebhookKey::parse(settings.acquirer.webhook_secret.expose_secret())
        .map_err(|e| anyhow!("acquirer.webhook_secret {e}"))?;
    let public_url = settings.public_url(settings.server.port);
    let files = outbound_sender(settings)?.settlement_files(
        settings.acquirer_settlement_file_url(&public_url),
        key,
        Duration::from_millis(settings.acquirer.settlement_file_timeout_ms),
        keys.clone(),
        clock.clone(),
    );
    Ok(ReconciliationService::new(
        stores.ports.reconciliations,
        Arc::new(files),
        keys,
        clock,
        Arc::new(ZoneCalendar::named(&settings.settlement.timezone)?),
    ))
}

pub async fn reconcile(
    settings: &Settings,
    args: &ReconcileArgs,
) -> anyhow::Result<Reconciliation> {
    let date = SettlementDate::parse(&args.date).map_err(|e| anyhow!("--date {e}"))?;
    service(settings)?
        .run(&Principal::cli(), date, &RequestOrigin::default())
        .await
        .map_err(|e| match e {
            Guarded::Forbidden => anyhow!("the command line may not reconcile"),
            Guarded::Failed(e @ ReconciliationError::DateInFuture(_)) => anyhow!("{e}"),
            Guarded::Failed(e) => anyhow!(e),
        })
}

/// One line per discrepancy, then a summary.
pub fn render(r: &Reconciliation) -> String {
    let mut out = String::new();
    for d in &r.discrepancies {
        let line = match d {
            Discrepancy::AmountMismatch {
                ours,
                acquirer_amount,
            } => format!(
                "AMOUNT_MISMATCH {} {} simplepg {} acquirer {}",
                ours.payment_key, ours.line_type, ours.amount, acquirer_amount
            ),
            Discrepancy::MissingAtAcquirer(ours) => format!(
                "MISSING_AT_ACQUIRER {} {} {}",
                ours.payment_key, ours.line_type, ours.amount
            ),
            Discrepancy::MissingAtSimplePg(theirs) => format!(
                "MISSING_AT_SIMPLEPG {} {} {} {}",
                theirs.payment_key, theirs.line_type, theirs.amount, theirs.transaction_id
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!(
        "{} {}: {} {} matched, {} discrepancies\n",
        r.id,
        r.date,
        r.status(),
        r.matched,
        r.discrepancies.len()
    ));
    out
}
