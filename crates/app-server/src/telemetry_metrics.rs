//! Prometheus metrics: one process-wide recorder, rendered at `GET /metrics`, plus the gauges
//! that are sampled rather than counted (outbox backlog, database pool).

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use adapters_http::state::MetricsRender;
use domain::ports::{Clock, OutboxStore};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder once per process (several in-process instances share it).
pub fn render() -> Option<MetricsRender> {
    let handle = HANDLE.get_or_init(|| {
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        PrometheusBuilder::new()
            .set_buckets(&buckets)
            .ok()?
            .install_recorder()
            .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
            .ok()
    });
    handle
        .clone()
        .map(|h| Arc::new(move || h.render()) as MetricsRender)
}

/// Samples the outbox backlog, the age of its oldest due message and the pool, every `interval`.
pub async fn run_gauges(
    outbox: Arc<dyn OutboxStore>,
    pool_status: Arc<dyn Fn() -> crate::store::PoolStatus + Send + Sync>,
    clock: Arc<dyn Clock>,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        let now = clock.now();
        match outbox.backlog(now).await {
            Ok(backlog) => {
                let age =
                    |t: Option<domain::Timestamp>| t.map_or(0.0, |t| now.distance(t).as_secs_f64());
                metrics::gauge!("simplepg_outbox_due_messages").set(backlog.due as f64);
                metrics::gauge!("simplepg_outbox_oldest_due_age_seconds")
                    .set(age(backlog.oldest_due));
                metrics::gauge!("simplepg_outbox_retrying_messages").set(backlog.retrying as f64);
                metrics::gauge!("simplepg_outbox_oldest_retrying_age_seconds")
                    .set(age(backlog.oldest_retrying));
            }
            Err(e) => tracing::debug!(error = %e, "sampling the outbox backlog failed"),
        }
        let status = pool_status();
        metrics::gauge!("simplepg_db_pool_connections").set(status.size as f64);
        metrics::gauge!("simplepg_db_pool_available").set(status.available as f64);
        metrics::gauge!("simplepg_db_pool_max").set(status.max_size as f64);
        metrics::gauge!("simplepg_db_pool_waiting").set(status.waiting as f64);
        if let Some(Some(handle)) = HANDLE.get() {
            handle.run_upkeep();
        }
    }
}
