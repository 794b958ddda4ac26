//! A settlement run killed mid-way (SIGKILL of the real `simplepg settle`) leaves whole batches
//! or none, and the next run finishes the day (docs/settlement.md, "Exactly once"; the
//! runbook's "A run was killed mid-way").

use std::{
    os::unix::process::ExitStatusExt,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use adapters_mysql::test_util::TestDatabase;
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Text},
};
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};
use test_support::{
    server_env,
    settlement_day::{SeededDay, seoul_date_days_ago},
    settlement_db::{StoredBatch, seed, stored_batches},
};

type Conn = AsyncMysqlConnection;

const MERCHANTS: usize = 8;
/// Each merchant's payments in the first attempt; doubled for the next when the run got too far
/// to be killed mid-way. With 1,000 (and a tenth canceled in part), a debug build's run commits a
/// batch about every 0.1 s, over about 1 s: the kill lands after the first batch, long before the
/// last. More would only slow the test: `simplepg check` reads every payment (about 4 ms each in
/// a debug build).
const FIRST_PER_MERCHANT: usize = 1_000;
const ATTEMPTS: usize = 3;

/// `simplepg settle --date date` on the database at `url`, as a child process.
fn settle(url: &str, date: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_simplepg"))
        .args(["settle", "--date", date])
        .envs(server_env(url, &[("SIMPLEPG__LOG__LEVEL", "warn")]))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("simplepg settle starts")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `sql` (a `SELECT COUNT(*) AS n` binding the settlement date) on `date`.
async fn count(conn: &mut Conn, sql: &str, date: &str) -> i64 {
    diesel::sql_query(sql)
        .bind::<Text, _>(date)
        .get_result::<Count>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// `sql`, a `SELECT COUNT(*) AS n` without binds.
async fn count_all(conn: &mut Conn, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

const BATCHES: &str = "SELECT COUNT(*) AS n FROM settlement_batch WHERE settlement_date = ?";
const RUN_FINISHED: &str = "SELECT COUNT(*) AS n FROM settlement_run WHERE settlement_date = ? AND finished_at IS NOT NULL";

async fn batches(conn: &mut Conn, date: &str) -> Vec<StoredBatch> {
    stored_batches(conn, date)
        .await
        .expect("the batches and their lines")
}

/// Every batch of the date is whole: its header is the sum of its lines, and both are what the
/// seed says its merchant's day comes to. Their number.
async fn assert_whole_batches(conn: &mut Conn, day: &SeededDay) -> usize {
    let expected = day.expected();
    let found = batches(conn, &day.date_string()).await;
    for b in &found {
        let want = expected
            .iter()
            .find(|e| e.client_id == b.client_id)
            .unwrap_or_else(|| panic!("a batch of an unknown merchant: {b:?}"));
        assert_eq!(&b.sum_of_lines(), want, "the lines of {}", b.client_id);
        assert_eq!(&b.header(), want, "the header of {}", b.client_id);
    }
    let orphans = count_all(
        conn,
        "SELECT COUNT(*) AS n FROM settlement_line l \
         LEFT JOIN settlement_batch b ON b.settlement_id = l.settlement_id \
         WHERE b.settlement_id IS NULL",
    )
    .await;
    assert_eq!(orphans, 0, "no line exists without its batch");
    assert_eq!(
        count_all(conn, "SELECT COUNT(*) AS n FROM settlement_line").await,
        found.iter().map(|b| b.stored_lines).sum::<i64>(),
        "every line is in one of the date's batches"
    );
    found.len()
}

/// A day seeded on a fresh database, its run killed once a batch is committed and others are
/// not; `None` when the run got too far (done, or every batch in) before the kill.
async fn killed_midway(per_merchant: usize) -> Option<(TestDatabase, SeededDay, usize)> {
    let db = TestDatabase::create().await;
    let day = SeededDay::new(
        seoul_date_days_ago(2),
        MERCHANTS,
        MERCHANTS * per_merchant,
        10,
    );
    let pool = db.pool(1);
    let mut conn = pool.get().await.expect("a connection");
    let seeding = Instant::now();
    seed(&mut conn, &day).await.expect("seeding the day");
    eprintln!(
        "seeded {} payments in {:?}",
        day.payments,
        seeding.elapsed()
    );
    let date = day.date_string();
    let started = Instant::now();
    let mut run = settle(db.url(), &date);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = run.try_wait().expect("try_wait") {
            let out = run.wait_with_output().expect("output");
            assert!(status.success(), "simplepg settle failed: {}", text(&out));
            return None; // finished before a batch was seen
        }
        if count(&mut conn, BATCHES, &date).await >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no batch committed in 120 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    run.kill().expect("SIGKILL");
    let status = run.wait().expect("wait");
    let at_kill = usize::try_from(count(&mut conn, BATCHES, &date).await).unwrap();
    let finished = count(&mut conn, RUN_FINISHED, &date).await > 0;
    let midway = status.signal() == Some(9) && !finished && at_kill < MERCHANTS;
    eprintln!(
        "{per_merchant} payments per merchant: {status} after {:?}, {at_kill} of {MERCHANTS} \
         batches, run finished: {finished}",
        started.elapsed()
    );
    drop(conn);
    midway.then_some((db, day, at_kill))
}

#[actix_web::test]
async fn a_settlement_run_killed_midway_leaves_whole_batches_and_the_next_run_finishes_the_day() {
    let mut per_merchant = FIRST_PER_MERCHANT;
    let mut killed = None;
    for _ in 0..ATTEMPTS {
        killed = killed_midway(per_merchant).await;
        if killed.is_some() {
            break;
        }
        per_merchant *= 2;
    }
    let (db, day, at_kill) = killed.unwrap_or_else(|| {
        panic!(
            "in {ATTEMPTS} attempts (up to {} payments) the settlement run was never caught \
             mid-way: nothing was tested",
            MERCHANTS * per_merchant / 2
        )
    });
    let date = day.date_string();
    let pool = db.pool(1);
    let mut conn = pool.get().await.expect("a connection");

    // Whole batches only, each exactly its merchant's day; the others not begun.
    let whole = assert_whole_batches(&mut conn, &day).await;
    assert_eq!(whole, at_kill);
    assert!((1..MERCHANTS).contains(&whole), "{whole} batches");

    // The next run makes the rest.
    let started = Instant::now();
    let out = settle(db.url(), &date).wait_with_output().expect("output");
    eprintln!("the next run took {:?}", started.elapsed());
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "{date}: {MERCHANTS} batches, {} created by this run",
            MERCHANTS - whole
        )),
        "{}",
        text(&out)
    );
    assert_eq!(assert_whole_batches(&mut conn, &day).await, MERCHANTS);

    // Every movement settled exactly once, and the day's totals are the seed's.
    let movements = i64::try_from(day.movements()).unwrap();
    for (what, sql, n) in [
        (
            "lines",
            "SELECT COUNT(*) AS n FROM settlement_line",
            movements,
        ),
        (
            "movements settled",
            "SELECT COUNT(DISTINCT settles) AS n FROM settlement_line",
            movements,
        ),
        (
            "payments in no line",
            "SELECT COUNT(*) AS n FROM payment p \
             WHERE NOT EXISTS (SELECT 1 FROM settlement_line l WHERE l.settles = p.payment_id)",
            0,
        ),
        (
            "cancels in no line",
            "SELECT COUNT(*) AS n FROM payment_cancel c \
             WHERE NOT EXISTS (SELECT 1 FROM settlement_line l WHERE l.settles = c.cancel_id)",
            0,
        ),
    ] {
        assert_eq!(count_all(&mut conn, sql).await, n, "{what}");
    }
    let found = batches(&mut conn, &date).await;
    let expected = day.expected();
    assert_eq!(
        found.iter().map(|b| b.net).sum::<i64>(),
        expected.iter().map(|b| b.net).sum::<i64>()
    );
    assert_eq!(
        found.iter().map(|b| b.fees).sum::<i64>(),
        expected.iter().map(|b| b.fees).sum::<i64>()
    );
    assert_eq!(
        count(&mut conn, RUN_FINISHED, &date).await,
        1,
        "the day is run"
    );

    // And the operator's check finds the day clean.
    let started = Instant::now();
    let check = Command::new(env!("CARGO_BIN_EXE_simplepg"))
        .arg("check")
        .envs(server_env(db.url(), &[("SIMPLEPG__LOG__LEVEL", "warn")]))
        .output()
        .expect("simplepg check runs");
    eprintln!("simplepg check took {:?}", started.elapsed());
    assert!(check.status.success(), "{}", text(&check));
    assert!(
        text(&check).contains(&format!("{} payments checked, 0 violations", day.payments))
            && text(&check).contains("settlements checked, 0 violations"),
        "{}",
        text(&check)
    );
}
