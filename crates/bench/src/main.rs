//! `simplepg-bench`: drives a running SimplePG with correctly signed requests (a fresh nonce
//! each), or issues the create transaction straight against the database (`raw`), at a fixed
//! concurrency (optionally paced to a fixed arrival rate) for a fixed duration, and reports
//! throughput, latency percentiles (HDR histogram) and errors by status. The `settle` workload
//! instead seeds a past day of payments into a fresh database and times the real `simplepg
//! settle` on it, with its peak memory.
//!
//! See docs/benchmarks.md for the commands and the numbers.

mod bare;
mod cancels;
mod flow;
mod http;
mod raw;
mod raw_flow;
mod receiver;
mod report;
mod settle;

use std::{path::PathBuf, time::Duration};

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Workload {
    /// POST /api/payments (amount ending 002: the mock accepts and stays silent).
    Create,
    /// GET /api/payments/{key} over a set of existing payments.
    Read,
    /// create → the `payment.approved` notification at this tool's own webhook receiver →
    /// complete → `payment.completed` received (approval latency reported).
    Flow,
    /// Signed acquirer webhooks approving READY payments.
    Webhook,
    /// The create transaction (nonce + payment + audit row + outbox row) straight on the database.
    Raw,
    /// Every statement and commit of one whole flow straight on the database (the flow's ceiling).
    RawFlow,
    /// The create requests of `create`, sent to a `bare-server` (the bare-HTTP ceiling).
    Bare,
    /// Serves the bare-HTTP ceiling on the port of `--url` until killed: one actix worker, one
    /// handler committing the raw create transaction, a pool of `--concurrency` connections.
    BareServer,
    /// 1 KRW partial cancels of one completed payment by every worker at once (contention on
    /// the money invariant); the invariant is checked at the end.
    CancelHot,
    /// The same cancels, each worker on its own payment (no contention).
    CancelSpread,
    /// A past day of `--payments` payments of `--merchants` merchants, seeded straight into a
    /// fresh database, settled by `simplepg settle --date D` (timed, peak RSS, totals verified).
    Settle,
}

#[derive(Clone, Debug, Parser)]
#[command(name = "simplepg-bench", about = "Load generator for SimplePG")]
pub struct Args {
    #[arg(long, value_enum, default_value = "create")]
    pub workload: Workload,
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    #[arg(long, default_value = "dev-admin-token")]
    pub admin_token: String,
    /// The acquirer secret (webhook workload).
    #[arg(
        long,
        default_value = "whsec_ZGV2ZWxvcG1lbnQtb25seS1hY3F1aXJlci1zZWNyZXQ="
    )]
    pub acquirer_secret: String,
    /// Database URL. Raw workload: a database that exists or can be created (default
    /// mysql://root@127.0.0.1:3306/simplepg_bench_raw). Settle workload: a database that does not
    /// exist yet, created and dropped again (default simplepg_bench_settle_<pid> on the same
    /// server).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Payments in the settled day (settle workload).
    #[arg(long, default_value_t = 100_000)]
    pub payments: usize,
    /// The `simplepg` binary to run (settle workload); default: the one next to this binary.
    #[arg(long)]
    pub simplepg: Option<PathBuf>,
    /// Keep the settle workload's database afterwards (to look at the batches).
    #[arg(long)]
    pub keep_database: bool,
    /// Settle workload: this many earlier days of the same payments, seeded and settled (not
    /// measured) before the measured day, so the run meets a database with history.
    #[arg(long, default_value_t = 0)]
    pub history_days: u32,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Seconds to run (after warm-up).
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Seconds of warm-up, not measured.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Target arrival rate in requests per second across all workers (0 = as fast as possible).
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Merchants to spread the load over (each has its own rate-limit bucket).
    #[arg(long, default_value_t = 8)]
    pub merchants: usize,
    /// Print the report as JSON too.
    #[arg(long)]
    pub json: bool,
}

impl Args {
    pub fn measure(&self) -> Duration {
        Duration::from_secs(self.duration)
    }

    pub fn warmup(&self) -> Duration {
        Duration::from_secs(self.warmup)
    }

    /// Per-worker pause between requests for the target rate.
    pub fn pacing(&self) -> Option<Duration> {
        (self.rate > 0).then(|| Duration::from_secs_f64(self.concurrency as f64 / self.rate as f64))
    }

    /// How long paced worker `w` waits before its first request: the workers' schedules are
    /// spread evenly over one pacing period, so requests arrive at the target rate one by one.
    /// Started together, every worker would fire in the same instant once per period: bursts
    /// of `concurrency` requests, whose queueing the latencies would then measure.
    pub fn stagger(&self, w: usize) -> Duration {
        self.pacing().map_or(Duration::ZERO, |p| {
            p.mul_f64(w as f64 / self.concurrency.max(1) as f64)
        })
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.workload == Workload::Settle {
        let report = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(settle::run(&args))?;
        println!("{}", report.render());
        if args.json {
            println!("{}", report.json());
        }
        return Ok(());
    }
    if args.workload == Workload::BareServer {
        return actix_web::rt::System::new().block_on(bare::serve(&args));
    }
    let report = if args.workload == Workload::Raw {
        actix_web::rt::System::new().block_on(raw::run(&args))?
    } else if args.workload == Workload::RawFlow {
        actix_web::rt::System::new().block_on(raw_flow::run(&args))?
    } else if matches!(args.workload, Workload::CancelHot | Workload::CancelSpread) {
        actix_web::rt::System::new().block_on(cancels::run(&args))?
    } else if args.workload == Workload::Flow {
        actix_web::rt::System::new().block_on(flow::run(&args))?
    } else {
        actix_web::rt::System::new().block_on(http::run(&args))?
    };
    println!("{}", report.render(&args));
    if args.json {
        println!("{}", report.json(&args));
    }
    Ok(())
}
