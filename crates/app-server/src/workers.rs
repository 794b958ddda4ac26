//! Background work of `simplepg serve`: the outbox dispatcher, the expiry sweeper (READY payments,
//! authorizations) and the
//! nonce purge. They run as local tasks on the server's main runtime (the awc sender is
//! thread-local) and coordinate with other instances only through the database.

use std::{sync::Arc, time::Duration};

use domain::{
    idempotency::IdempotencyService,
    outbox::{AttemptOutcome, NextStep, OutboxKind},
    payment::CancelStatus,
    ports::{Clock, DispatchSignal, NonceStore, SessionStore},
    services::{dispatcher::Dispatcher, payments::PaymentService},
};
use tokio::sync::{Notify, Semaphore};

/// [`DispatchSignal`] on a tokio `Notify`: a wake while the dispatcher is busy is remembered.
#[derive(Clone, Default)]
pub struct NotifySignal(pub Arc<Notify>);

impl DispatchSignal for NotifySignal {
    fn wake(&self) {
        self.0.notify_one();
    }
}

/// Claims due outbox messages (as many as there are free delivery slots) and delivers each as
/// its own local task. Sleeps until woken by a commit or until the poll interval passes.
pub async fn run_dispatcher(
    dispatcher: Dispatcher,
    wake: Arc<Notify>,
    poll: Duration,
    max_in_flight: usize,
) {
    let slots = Arc::new(Semaphore::new(max_in_flight.max(1)));
    loop {
        let free = slots.available_permits();
        if free > 0 {
            match dispatcher
                .claim(u32::try_from(free).unwrap_or(u32::MAX))
                .await
            {
                Ok(batch) if !batch.is_empty() => {
                    for claimed in batch {
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            return;
                        };
                        let d = dispatcher.clone();
                        actix_web::rt::spawn(async move {
                            let message = &claimed.message;
                            let (id, kind, host) =
                                (message.id, message.kind, message.target_host());
                            let outcome = match d.deliver(claimed).await {
                                Ok(outcome) => {
                                    log_attempt(&id.to_string(), kind, &host, &outcome);
                                    count_settled_cancel(outcome.settled_cancel);
                                    match outcome.step {
                                        NextStep::Delivered => "delivered",
                                        NextStep::RetryAt(_) => "retry",
                                        NextStep::Dead => "dead",
                                    }
                                }
                                Err(e) => {
                                    tracing::warn!(event_id = %id, kind = kind.as_str(), host, error = %e, "recording a delivery attempt failed; the lease will expire and it is retried");
                                    "unrecorded"
                                }
                            };
                            metrics::counter!("simplepg_delivery_attempts_total", "kind" => kind.as_str(), "outcome" => outcome)
                                .increment(1);
                            drop(permit);
                        });
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "claiming outbox messages failed"),
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// A PENDING cancel the outbox settled: `simplepg_cancels_total{path="outbox"}`.
fn count_settled_cancel(settled: Option<CancelStatus>) {
    let outcome = match settled {
        Some(CancelStatus::Succeeded) => "succeeded",
        Some(CancelStatus::Failed) => "failed",
        Some(CancelStatus::Pending) | None => return,
    };
    metrics::counter!("simplepg_cancels_total", "path" => "outbox", "outcome" => outcome)
        .increment(1);
}

/// One line per attempt: DEBUG when delivered, WARN when it failed (to be retried, or DEAD).
/// The target is named by its host alone: the path and query of a merchant's URL may carry
/// tokens.
fn log_attempt(event_id: &str, kind: OutboxKind, host: &str, outcome: &AttemptOutcome) {
    let latency_ms = adapters_http::latency_ms(outcome.latency);
    let cause = outcome.cause.as_deref().unwrap_or("");
    let attempt = format!("{}/{}", outcome.attempt_no, outcome.max_attempts);
    match outcome.step {
        NextStep::Delivered => tracing::debug!(
            event_id,
            kind = kind.as_str(),
            host,
            attempt,
            latency_ms,
            "delivered"
        ),
        NextStep::RetryAt(at) => tracing::warn!(
            event_id, kind = kind.as_str(), host, attempt, cause, latency_ms,
            next_attempt_at = %at, "delivery failed; retrying"
        ),
        NextStep::Dead => tracing::warn!(
            event_id,
            kind = kind.as_str(),
            host,
            attempt,
            cause,
            latency_ms,
            "delivery failed; DEAD, no more attempts (POST /admin/api/deliveries/{{id}}/retry redelivers)"
        ),
    }
}

/// Expires READY payments past their deadline and voids APPROVED ones whose authorization
/// expired, every `interval`.
pub async fn run_expiry_sweeper(payments: PaymentService, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match payments.expire_due(100).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "READY payments expired"),
            Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
        }
        match payments.expire_authorizations(100).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                voided = n,
                "authorizations expired; acquirer cancels queued"
            ),
            Err(e) => tracing::warn!(error = %e, "authorization expiry sweep failed"),
        }
    }
}

/// Forgets nonces older than the replay window and idempotency records past their 24 h, every
/// `interval`.
pub async fn run_purges(
    nonces: Arc<dyn NonceStore>,
    idempotency: IdempotencyService,
    clock: Arc<dyn Clock>,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        match nonces.purge_expired(clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, "expired nonces purged"),
            Err(e) => tracing::warn!(error = %e, "purging expired nonces failed"),
        }
        match idempotency.purge_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, "expired idempotency records purged"),
            Err(e) => tracing::warn!(error = %e, "purging idempotency records failed"),
        }
    }
}

/// Forgets sessions that started longer ago than the absolute lifetime (they can admit nothing
/// any more), and revoked ones as old; every instance may run it, the delete is idempotent.
pub async fn run_session_purge(
    sessions: Arc<dyn SessionStore>,
    clock: Arc<dyn Clock>,
    absolute: Duration,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        match sessions.purge(clock.now().minus(absolute)).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, "ended sessions purged"),
            Err(e) => tracing::warn!(error = %e, "purging ended sessions failed"),
        }
    }
}

/// The daily settlement run (api.md §12.2): every `interval`, settles the past days that ended
/// `grace` ago and were not run, each claimed in the database for `lease` first so exactly one
/// instance runs it; counts what it settled.
pub async fn run_daily_settlement(
    settlements: domain::services::settlement::SettlementService,
    holder: String,
    lookback: u8,
    grace: Duration,
    lease: Duration,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match settlements.run_due(&holder, lookback, grace, lease).await {
            Ok(runs) => {
                for run in runs {
                    adapters_http::record_settlement(&run);
                    tracing::info!(
                        date = %run.date,
                        created = run.created,
                        batches = run.batches.len(),
                        "settlement run finished"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "the daily settlement run failed"),
        }
    }
}
