//! Latency histogram, error counts and the printed report.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use serde_json::json;

use crate::Args;

pub struct Report {
    latencies: Histogram<u64>,
    /// The flow workload's approval latencies (create's 201 → approved notification received).
    approvals: Histogram<u64>,
    statuses: BTreeMap<String, u64>,
    pub elapsed: Duration,
}

impl Report {
    pub fn new() -> Self {
        // 1 µs .. 60 s, 3 significant digits.
        let histogram = || {
            Histogram::new_with_bounds(1, 60_000_000, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable_histogram()))
        };
        Self {
            latencies: histogram(),
            approvals: histogram(),
            statuses: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub fn record(&mut self, latency: Duration, outcome: &str) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let _ = self.latencies.record(micros.min(60_000_000));
        *self.statuses.entry(outcome.to_owned()).or_default() += 1;
    }

    pub fn record_approval(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let _ = self.approvals.record(micros.min(60_000_000));
    }

    /// Counts `n` events of `outcome` that are not requests (e.g. a notification that did not
    /// verify).
    pub fn note(&mut self, outcome: &str, n: u64) {
        *self.statuses.entry(outcome.to_owned()).or_default() += n;
    }

    pub fn merge(&mut self, other: &Report) {
        let _ = self.latencies.add(&other.latencies);
        let _ = self.approvals.add(&other.approvals);
        for (k, v) in &other.statuses {
            *self.statuses.entry(k.clone()).or_default() += v;
        }
    }

    fn count(&self) -> u64 {
        self.latencies.len()
    }

    fn ok(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(k, _)| k.starts_with('2'))
            .map(|(_, v)| v)
            .sum()
    }

    pub fn throughput(&self) -> f64 {
        self.ok() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn ms(&self, q: f64) -> f64 {
        self.latencies.value_at_quantile(q) as f64 / 1000.0
    }

    fn approval_ms(&self, q: f64) -> f64 {
        self.approvals.value_at_quantile(q) as f64 / 1000.0
    }

    /// The approval latency line, when the workload measured any.
    fn approval_line(&self) -> String {
        if self.approvals.is_empty() {
            return String::new();
        }
        format!(
            "\napproval latency ms (201 → payment.approved received): p50={:.2} p90={:.2} p99={:.2} max={:.2}",
            self.approval_ms(0.5),
            self.approval_ms(0.9),
            self.approval_ms(0.99),
            self.approvals.max() as f64 / 1000.0
        )
    }

    pub fn render(&self, args: &Args) -> String {
        format!(
            "workload={:?} concurrency={} rate={} duration={:.1}s\n\
             requests={} ok={} throughput={:.0}/s\n\
             latency ms: p50={:.2} p90={:.2} p99={:.2} max={:.2}{}\n\
             outcomes: {:?}",
            args.workload,
            args.concurrency,
            if args.rate == 0 {
                "max".to_owned()
            } else {
                args.rate.to_string()
            },
            self.elapsed.as_secs_f64(),
            self.count(),
            self.ok(),
            self.throughput(),
            self.ms(0.5),
            self.ms(0.9),
            self.ms(0.99),
            self.latencies.max() as f64 / 1000.0,
            self.approval_line(),
            self.statuses
        )
    }

    pub fn json(&self, args: &Args) -> String {
        json!({
            "workload": format!("{:?}", args.workload).to_lowercase(),
            "concurrency": args.concurrency,
            "rate": args.rate,
            "seconds": self.elapsed.as_secs_f64(),
            "requests": self.count(),
            "ok": self.ok(),
            "throughput": self.throughput(),
            "p50_ms": self.ms(0.5), "p90_ms": self.ms(0.9), "p99_ms": self.ms(0.99),
            "max_ms": self.latencies.max() as f64 / 1000.0,
            "approval_p50_ms": (!self.approvals.is_empty()).then(|| self.approval_ms(0.5)),
            "approval_p90_ms": (!self.approvals.is_empty()).then(|| self.approval_ms(0.9)),
            "approval_p99_ms": (!self.approvals.is_empty()).then(|| self.approval_ms(0.99)),
            "outcomes": self.statuses,
        })
        .to_string()
    }
}

/// Waits out the rest of a paced worker's period that began at `began` (nothing unpaced).
pub async fn pace(began: Instant, pacing: Option<Duration>) {
    if let Some(period) = pacing {
        let spent = began.elapsed();
        if spent < period {
            actix_web::rt::time::sleep(period - spent).await;
        }
    }
}

/// The workers' reports merged; the time measured runs from `measure_from`, at most `measure`
/// (a run that ended early is measured over the time it ran).
pub async fn gather(
    workers: Vec<actix_web::rt::task::JoinHandle<Report>>,
    measure_from: Instant,
    measure: Duration,
) -> Report {
    let mut total = Report::new();
    for w in workers {
        if let Ok(r) = w.await {
            total.merge(&r);
        }
    }
    total.elapsed = Instant::now()
        .saturating_duration_since(measure_from)
        .min(measure);
    total
}

#[cold]
fn unreachable_histogram() -> Histogram<u64> {
    #[expect(
        clippy::expect_used,
        reason = "a 3-significant-digit histogram is always valid"
    )]
    Histogram::new(3).expect("valid histogram")
}
