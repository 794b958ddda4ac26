//! The settlement workload: a fresh database migrated by the server's migrations, a past day of
//! `--payments` COMPLETED payments of `--merchants` merchants (a tenth of each merchant's
//! canceled in part) seeded with multi-row INSERTs, then the real `simplepg settle --date D`
//! timed, with its peak RSS from `/usr/bin/time`. The batches it made are checked against the
//! totals computed from the seed: a run that settled the wrong amounts, or not everything, is an
//! error, never a number.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow, bail, ensure};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Text},
};
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use serde_json::json;
use test_support::{
    settlement_day::{ExpectedBatch, SeededDay, seoul_date_days_ago},
    settlement_db::{self, StoredBatch, stored_batches},
};

use crate::Args;

/// `/usr/bin/time` (Debian package `time`) reports the child's peak RSS (`%M`, KiB).
const GNU_TIME: &str = "/usr/bin/time";

/// One payment of each merchant in this many is canceled in part.
const CANCEL_EVERY: usize = 10;

/// What a settlement run measured, and what it was checked against.
pub struct SettleReport {
    date: String,
    history_days: u32,
    merchants: usize,
    payments: usize,
    cancels: usize,
    seeding: Duration,
    elapsed: Duration,
    peak_rss_kib: u64,
    user_secs: f64,
    sys_secs: f64,
    batches: usize,
    lines: i64,
    net: i64,
    fees: i64,
}

impl SettleReport {
    fn per_second(&self, n: usize) -> f64 {
        n as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn render(&self) -> String {
        format!(
            "workload=settle date={} merchants={} payments={} partial cancels={} \
             earlier days settled before={}\n\
             seeded (and earlier days settled) in {:.1}s, not measured\n\
             simplepg settle: {:.2}s, {:.0} payments/s ({:.0} lines/s), peak RSS {:.1} MiB, \
             CPU user {:.2}s sys {:.2}s\n\
             verified: {} batches, {} lines, net {} and fees {} as computed from the seed",
            self.date,
            self.merchants,
            self.payments,
            self.cancels,
            self.history_days,
            self.seeding.as_secs_f64(),
            self.elapsed.as_secs_f64(),
            self.per_second(self.payments),
            self.per_second(self.payments + self.cancels),
            self.peak_rss_kib as f64 / 1024.0,
            self.user_secs,
            self.sys_secs,
            self.batches,
            self.lines,
            self.net,
            self.fees
        )
    }

    pub fn json(&self) -> String {
        json!({
            "workload": "settle",
            "date": self.date,
            "merchants": self.merchants,
            "payments": self.payments,
            "cancels": self.cancels,
            "history_days": self.history_days,
            "seed_seconds": self.seeding.as_secs_f64(),
            "seconds": self.elapsed.as_secs_f64(),
            "payments_per_second": self.per_second(self.payments),
            "lines_per_second": self.per_second(self.payments + self.cancels),
            "peak_rss_mib": self.peak_rss_kib as f64 / 1024.0,
            "user_seconds": self.user_secs,
            "sys_seconds": self.sys_secs,
            "batches": self.batches,
            "lines": self.lines,
            "net": self.net,
            "fees": self.fees,
        })
        .to_string()
    }
}

/// Creates the database (it must not exist: the run needs a fresh one), runs the workload, and
/// drops the database again unless `--keep-database`.
pub async fn run(args: &Args) -> anyhow::Result<SettleReport> {
    let url = args.settle_database_url();
    let (server, name) = url
        .rsplit_once('/')
        .filter(|(_, name)| !name.is_empty() && !name.contains('?'))
        .ok_or_else(|| anyhow!("--database-url {url}: expected mysql://…/<database>"))?;
    let mut admin = AsyncMysqlConnection::establish(server)
        .await
        .with_context(|| format!("connecting to {server}"))?;
    diesel::sql_query(format!(
        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    ))
    .execute(&mut admin)
    .await
    .with_context(|| format!("creating database {name} (it must not exist yet)"))?;
    let outcome = measure(args, &url).await;
    if !args.keep_database {
        diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("dropping database {name}"))?;
    }
    outcome
}

async fn measure(args: &Args, url: &str) -> anyhow::Result<SettleReport> {
    adapters_mysql::run_migrations(url)
        .await
        .context("migrating the settlement database")?;
    let day = SeededDay::new(
        seoul_date_days_ago(2),
        args.merchants.max(1),
        args.payments,
        CANCEL_EVERY,
    );
    let mut conn = AsyncMysqlConnection::establish(url)
        .await
        .context("connecting to the settlement database")?;
    let seeding = Instant::now();
    seed(&mut conn, &day).await?;
    let simplepg = args.simplepg_path()?;
    for back in (1..=args.history_days).rev() {
        let earlier = day.another_day(
            day.date
                .checked_sub(time::Duration::days(i64::from(back)))
                .ok_or_else(|| anyhow!("--history-days {back}: before the calendar"))?,
        );
        seed(&mut conn, &earlier).await?;
        settle(&simplepg, url, &earlier.date_string(), None)?;
    }
    let seeding = seeding.elapsed();

    let usage = std::env::temp_dir().join(format!("simplepg-settle-{}.time", std::process::id()));
    let date = day.date_string();
    let started = Instant::now();
    settle(&simplepg, url, &date, Some(&usage))?;
    let elapsed = started.elapsed();
    let (peak_rss_kib, user_secs, sys_secs) = read_usage(&usage)?;
    let _ = std::fs::remove_file(&usage);

    let verified = verify(&mut conn, &day).await?;
    Ok(SettleReport {
        date,
        history_days: args.history_days,
        merchants: day.merchants,
        payments: day.payments,
        cancels: day.cancels(),
        seeding,
        elapsed,
        peak_rss_kib,
        user_secs,
        sys_secs,
        batches: verified.batches,
        lines: verified.lines,
        net: verified.net,
        fees: verified.fees,
    })
}

async fn seed(conn: &mut AsyncMysqlConnection, day: &SeededDay) -> anyhow::Result<()> {
    settlement_db::seed(conn, day)
        .await
        .with_context(|| format!("seeding {}", day.date_string()))
}

/// `simplepg settle --date date` on the database at `url`; under `/usr/bin/time` writing its
/// peak RSS and CPU times to `usage` when given.
fn settle(simplepg: &Path, url: &str, date: &str, usage: Option<&Path>) -> anyhow::Result<()> {
    let mut cmd = match usage {
        Some(usage) => {
            let mut cmd = Command::new(GNU_TIME);
            cmd.args(["-f", "%M %U %S", "-o"]).arg(usage).arg(simplepg);
            cmd
        }
        None => Command::new(simplepg),
    };
    let out = cmd
        .args(["settle", "--date", date])
        .env("SIMPLEPG_PROFILE", "local")
        .env("SIMPLEPG__DATABASE__URL", url)
        .env("SIMPLEPG__LOG__LEVEL", "warn")
        .output()
        .with_context(|| match usage {
            Some(_) => format!(
                "running {GNU_TIME} (apt-get install time) {}",
                simplepg.display()
            ),
            None => format!("running {}", simplepg.display()),
        })?;
    ensure!(
        out.status.success(),
        "simplepg settle --date {date} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// `%M %U %S` as written by `/usr/bin/time -o`: peak RSS in KiB, user and system CPU seconds.
fn read_usage(path: &Path) -> anyhow::Result<(u64, f64, f64)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let line = text.lines().last().unwrap_or_default();
    let mut fields = line.split_whitespace();
    let mut next = || {
        fields
            .next()
            .ok_or_else(|| anyhow!("{GNU_TIME} wrote {line:?}"))
    };
    Ok((next()?.parse()?, next()?.parse()?, next()?.parse()?))
}

#[derive(QueryableByName)]
struct LineCounts {
    #[diesel(sql_type = BigInt)]
    stored_lines: i64,
    #[diesel(sql_type = BigInt)]
    settled: i64,
}

struct Verified {
    batches: usize,
    lines: i64,
    net: i64,
    fees: i64,
}

/// The day's batches are exactly the expected ones (one per merchant, its totals and line count
/// those of the seed, its lines all stored), and every movement is settled once.
async fn verify(conn: &mut AsyncMysqlConnection, day: &SeededDay) -> anyhow::Result<Verified> {
    let date = day.date_string();
    let rows = stored_batches(conn, &date)
        .await
        .context("reading the batches")?;
    let found: Vec<ExpectedBatch> = rows.iter().map(StoredBatch::header).collect();
    let mut expected = day.expected();
    expected.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    if found != expected {
        bail!(
            "the batches of {date} are not the seed's:\nfound    {found:?}\nexpected {expected:?}"
        );
    }
    if let Some(r) = rows.iter().find(|r| r.stored_lines != r.line_count) {
        bail!(
            "batch of {} says {} lines, {} stored",
            r.client_id,
            r.line_count,
            r.stored_lines
        );
    }
    let counts: LineCounts = diesel::sql_query(
        "SELECT COUNT(*) AS stored_lines, COUNT(DISTINCT l.settles) AS settled \
         FROM settlement_line l JOIN settlement_batch b ON b.settlement_id = l.settlement_id \
         WHERE b.settlement_date = ?",
    )
    .bind::<Text, _>(&date)
    .get_result(conn)
    .await
    .context("counting the lines")?;
    let movements = day.movements() as i64;
    ensure!(
        counts.stored_lines == movements && counts.settled == movements,
        "{} lines settling {} movements; the seed has {movements} movements",
        counts.stored_lines,
        counts.settled
    );
    Ok(Verified {
        batches: rows.len(),
        lines: counts.stored_lines,
        net: expected.iter().map(|b| b.net).sum(),
        fees: expected.iter().map(|b| b.fees).sum(),
    })
}

impl Args {
    /// `--database-url`, or a database of its own for this run.
    pub fn settle_database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "mysql://root@127.0.0.1:3306/simplepg_bench_settle_{}",
                std::process::id()
            )
        })
    }

    /// `--simplepg`, or the `simplepg` next to this binary (both are built into one target
    /// directory).
    pub fn simplepg_path(&self) -> anyhow::Result<PathBuf> {
        match &self.simplepg {
            Some(path) => Ok(path.clone()),
            None => Ok(std::env::current_exe()
                .context("locating simplepg-bench")?
                .with_file_name("simplepg")),
        }
    }
}
