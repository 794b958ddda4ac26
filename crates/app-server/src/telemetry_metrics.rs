//! Prometheus metrics: one process-wide recorder, rendered at `GET /metrics`, plus the gauges
//! that are sampled rather than counted (outbox backlog, PENDING cancels, database pool) and the
//! process's own (`process_*`, sampled at each scrape).
//!
//! At installation every series gets its `# HELP` text, and every counter whose label values are
//! known in advance is registered at 0, so that `rate()` and alerts see a value from the first
//! scrape instead of "no data" until the first event (docs/ops/runbook.md, "Metrics").

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use adapters_http::{ServerInfo, state::MetricsRender};
use domain::{
    money::Currency,
    outbox::OutboxKind,
    payment::PaymentStatus,
    ports::{Clock, OperatorReads},
};
use metrics::{describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use metrics_process::Collector;

static HANDLE: OnceLock<Option<(PrometheusHandle, Collector)>> = OnceLock::new();

/// The `outcome` label values of `simplepg_delivery_attempts_total`.
pub const DELIVERY_OUTCOMES: [&str; 4] = ["delivered", "retry", "dead", "unrecorded"];

/// The `result` label values of `simplepg_acquirer_webhooks_total` known in advance (other
/// error codes appear when they first happen).
pub const WEBHOOK_RESULTS: [&str; 5] = [
    "APPLIED",
    "DUPLICATE",
    "PAYMENT_NOT_FOUND",
    "INVALID_STATE_TRANSITION",
    "AMOUNT_MISMATCH",
];

/// The `(path, outcome)` label pairs of `simplepg_cancels_total`: the answers of the cancel
/// endpoints (`sync`: 200 succeeded, 202 accepted, 502 failed) and the outbox's settlements of
/// the cancels answered 202 (`outbox`: succeeded, failed).
pub const CANCEL_OUTCOMES: [(&str, &str); 5] = [
    ("sync", "succeeded"),
    ("sync", "accepted"),
    ("sync", "failed"),
    ("outbox", "succeeded"),
    ("outbox", "failed"),
];

/// Installs the recorder once per process (several in-process instances share it), describes
/// every series and registers the known counters at 0.
pub fn render() -> Option<MetricsRender> {
    let installed = HANDLE.get_or_init(|| {
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let handle = PrometheusBuilder::new()
            .set_buckets(&buckets)
            .ok()?
            .install_recorder()
            .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
            .ok()?;
        describe();
        register_known_series();
        let process = Collector::default();
        process.describe();
        process.collect();
        Some((handle, process))
    });
    installed.clone().map(|(handle, process)| {
        Arc::new(move || {
            process.collect();
            handle.render()
        }) as MetricsRender
    })
}

/// `simplepg_build_info{version, profile, store} 1`: which build runs where.
pub fn build_info(info: &ServerInfo) {
    metrics::gauge!(
        "simplepg_build_info",
        "version" => info.version,
        "profile" => info.profile.clone(),
        "store" => info.store,
    )
    .set(1.0);
}

/// The `# HELP` text of every `simplepg_*` series.
fn describe() {
    describe_counter!(
        "simplepg_http_requests_total",
        "HTTP requests answered, by method, route pattern (`unmatched` for 404s) and status"
    );
    describe_histogram!(
        "simplepg_http_request_duration_seconds",
        "HTTP request latency in seconds, by method and route pattern"
    );
    describe_counter!("simplepg_payments_created_total", "Payments created");
    describe_counter!(
        "simplepg_payment_transitions_total",
        "Payment state changes committed, by the status entered (`to`)"
    );
    describe_counter!(
        "simplepg_payment_transition_conflicts_total",
        "Compare-and-set races on a payment lost (then decided again)"
    );
    describe_counter!(
        "simplepg_acquirer_webhooks_total",
        "Inbound acquirer webhooks with a valid signature, by `result` (APPLIED, DUPLICATE or the error code)"
    );
    describe_counter!(
        "simplepg_delivery_attempts_total",
        "Outbound delivery attempts (acquirer requests, merchant notifications), by `kind` and `outcome` (delivered, retry, dead, unrecorded)"
    );
    describe_gauge!(
        "simplepg_outbox_due_messages",
        "Outbox messages due and free to send now (never attempted, or a retry whose time has come); stays near 0 while the dispatcher keeps up"
    );
    describe_gauge!(
        "simplepg_outbox_oldest_due_age_seconds",
        "Seconds the oldest due outbox message has waited since it became due; grows when the dispatcher is stalled"
    );
    describe_gauge!(
        "simplepg_outbox_retrying_messages",
        "Outbox messages waiting for their next attempt after a failed one, or queued behind a failing notification of the same payment (a receiver is down)"
    );
    describe_gauge!(
        "simplepg_outbox_oldest_retrying_age_seconds",
        "Seconds since the oldest retrying outbox message was created"
    );
    describe_counter!(
        "simplepg_settlement_batches_total",
        "Settlement batches created, by `currency`"
    );
    describe_counter!(
        "simplepg_settled_net_minor_units_total",
        "Net amount settled to merchants (gross − fees, minor units), by `currency`; cancels subtract"
    );
    describe_counter!(
        "simplepg_settled_fees_minor_units_total",
        "Fees kept on settled movements (minor units), by `currency`"
    );
    describe_gauge!(
        "simplepg_reconciliation_discrepancies",
        "Discrepancies found by the newest reconciliation against the acquirer's settlement file, by `kind` (AMOUNT_MISMATCH, MISSING_AT_ACQUIRER, MISSING_AT_SIMPLEPG); 0 when none or never reconciled"
    );
    describe_gauge!(
        "simplepg_outbox_dead_messages",
        "Outbox messages given up on after their last attempt (DEAD), waiting for an operator's redelivery"
    );
    describe_counter!(
        "simplepg_cancels_total",
        "Cancels by `path` and `outcome`: the cancel endpoints' answers (path=sync: succeeded 200, accepted 202 = PENDING, failed 502 = refused by the acquirer) and the outbox's settlements of PENDING cancels (path=outbox: succeeded, failed = refused or given up on)"
    );
    describe_gauge!(
        "simplepg_pending_cancels",
        "Cancels PENDING at the acquirer (their amount reserved); each ends within the acquirer retry schedule"
    );
    describe_gauge!(
        "simplepg_oldest_pending_cancel_age_seconds",
        "Seconds since the oldest PENDING cancel was requested (0 when there is none); grows when a cancel is stuck"
    );
    describe_gauge!(
        "simplepg_db_pool_connections",
        "Open database pool connections"
    );
    describe_gauge!(
        "simplepg_db_pool_available",
        "Idle database pool connections"
    );
    describe_gauge!("simplepg_db_pool_max", "Maximum database pool connections");
    describe_gauge!(
        "simplepg_db_pool_waiting",
        "Tasks waiting for a database pool connection"
    );
    describe_gauge!(
        "simplepg_build_info",
        "Always 1; the labels say which version runs, with which profile and store"
    );
}

/// Every counter whose label values are known in advance, at 0.
fn register_known_series() {
    metrics::counter!("simplepg_payments_created_total").increment(0);
    metrics::counter!("simplepg_payment_transition_conflicts_total").increment(0);
    for status in PaymentStatus::ALL {
        metrics::counter!("simplepg_payment_transitions_total", "to" => status.as_str())
            .increment(0);
    }
    for result in WEBHOOK_RESULTS {
        metrics::counter!("simplepg_acquirer_webhooks_total", "result" => result).increment(0);
    }
    for (path, outcome) in CANCEL_OUTCOMES {
        metrics::counter!("simplepg_cancels_total", "path" => path, "outcome" => outcome)
            .increment(0);
    }
    // The default currency's settlement series (other currencies appear with their first
    // batch), so `increase()` also counts the first batch after a restart.
    for name in [
        "simplepg_settlement_batches_total",
        "simplepg_settled_net_minor_units_total",
        "simplepg_settled_fees_minor_units_total",
    ] {
        metrics::counter!(name, "currency" => Currency::KRW.as_str().to_owned()).increment(0);
    }
    // Never reconciled is no discrepancy; the sampler replaces these with the newest run's.
    adapters_http::record_discrepancies(None);
    for kind in OutboxKind::ALL {
        for outcome in DELIVERY_OUTCOMES {
            metrics::counter!(
                "simplepg_delivery_attempts_total",
                "kind" => kind.as_str(),
                "outcome" => outcome
            )
            .increment(0);
        }
    }
}

/// Samples the outbox backlog (due and retrying, see `OutboxBacklog`), the PENDING cancels and
/// the pool, every `interval`.
pub async fn run_gauges(
    reads: Arc<dyn OperatorReads>,
    reconciliations: Arc<dyn domain::ports::ReconciliationStore>,
    pool_status: Arc<dyn Fn() -> crate::store::PoolStatus + Send + Sync>,
    clock: Arc<dyn Clock>,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        let now = clock.now();
        match reads.backlog(now, &Default::default()).await {
            Ok(backlog) => {
                let age =
                    |t: Option<domain::Timestamp>| t.map_or(0.0, |t| now.distance(t).as_secs_f64());
                metrics::gauge!("simplepg_outbox_due_messages").set(backlog.due as f64);
                metrics::gauge!("simplepg_outbox_oldest_due_age_seconds")
                    .set(age(backlog.oldest_due));
                metrics::gauge!("simplepg_outbox_retrying_messages").set(backlog.retrying as f64);
                metrics::gauge!("simplepg_outbox_oldest_retrying_age_seconds")
                    .set(age(backlog.oldest_retrying));
                metrics::gauge!("simplepg_outbox_dead_messages").set(backlog.dead as f64);
            }
            Err(e) => tracing::debug!(error = %e, "sampling the outbox backlog failed"),
        }
        match reads.pending_cancels_summary().await {
            Ok(pending) => {
                let age = pending
                    .oldest_requested_at
                    .map_or(0.0, |t| now.distance(t).as_secs_f64());
                metrics::gauge!("simplepg_pending_cancels").set(pending.count as f64);
                metrics::gauge!("simplepg_oldest_pending_cancel_age_seconds").set(age);
            }
            Err(e) => tracing::debug!(error = %e, "sampling the pending cancels failed"),
        }
        match reconciliations.latest().await {
            Ok(latest) => adapters_http::record_discrepancies(latest.as_ref()),
            Err(e) => tracing::debug!(error = %e, "sampling the latest reconciliation failed"),
        }
        let status = pool_status();
        metrics::gauge!("simplepg_db_pool_connections").set(status.size as f64);
        metrics::gauge!("simplepg_db_pool_available").set(status.available as f64);
        metrics::gauge!("simplepg_db_pool_max").set(status.max_size as f64);
        metrics::gauge!("simplepg_db_pool_waiting").set(status.waiting as f64);
        if let Some(Some((handle, _))) = HANDLE.get() {
            handle.run_upkeep();
        }
    }
}
