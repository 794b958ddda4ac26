//! The raw ceilings: SimplePG's own writes issued straight on the database at the same
//! concurrency, with no HTTP, signing, JSON or domain code in the way.
//!
//! - `raw`: the writes of one create — the nonce, the payment, its CREATE audit row and its
//!   ACQUIRER_REQUEST outbox row, in one transaction.
//! - `raw-flow` ([`crate::raw_flow`]): every statement and commit of one whole flow.
//!
//! Each statement is sent as text (`COM_QUERY`): one round trip, the fewest the database can be
//! asked in. (Until 2026-12-07 the ceiling went through diesel's `sql_query`, which diesel-async
//! prepares, runs and closes each time: two round trips a statement, so it was no ceiling.)

use std::time::{Duration, Instant};

use anyhow::Context;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};

use crate::{Args, report::Report};

pub const NOW: &str = "UTC_TIMESTAMP(6)";

/// The raw workloads' database when `--database-url` is not given.
const DEFAULT_DATABASE_URL: &str = "mysql://root@127.0.0.1:3306/simplepg_bench_raw";

pub type Pool = adapters_mysql::Pool;
pub type Conn = adapters_mysql::PooledConnection;

/// The migrated database, a pool of `args.concurrency` connections and a merchant's client id.
pub async fn prepare(args: &Args) -> anyhow::Result<(Pool, String)> {
    let url = args.database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL);
    adapters_mysql::create_database_if_missing(url)
        .await
        .context("creating the raw database")?;
    adapters_mysql::run_migrations(url)
        .await
        .context("migrating the raw database")?;
    let pool = adapters_mysql::build_pool(url, args.concurrency.max(1), Duration::from_secs(5))?;
    let client = format!("mch_raw{}", uuid::Uuid::now_v7().simple());
    let mut conn = pool.get().await.context("connecting")?;
    conn.batch_execute(&format!(
        "INSERT INTO api_credential (client_id, client_name, client_secret, client_secret_key_version, \
         webhook_secret, webhook_secret_key_version, status, created_at, updated_at) \
         VALUES ('{client}', 'raw', x'00', 1, x'00', 1, 'ACTIVE', {NOW}, {NOW})"
    ))
    .await
    .context("inserting the merchant")?;
    Ok((pool, client))
}

/// Runs `one` in every worker until the measured time is over; `one` answers its outcome. Paced
/// and gathered as the HTTP workloads are ([`crate::report::pace`], [`crate::report::gather`]).
pub async fn drive<F, Fut>(args: &Args, pool: Pool, client: String, one: F) -> Report
where
    F: Fn(Pool, String) -> Fut + Clone + 'static,
    Fut: Future<Output = &'static str>,
{
    let measure_from = Instant::now() + args.warmup();
    let stop_at = measure_from + args.measure();
    let mut workers = Vec::new();
    for w in 0..args.concurrency.max(1) {
        let (pool, client, one) = (pool.clone(), client.clone(), one.clone());
        let (pacing, stagger) = (args.pacing(), args.stagger(w));
        workers.push(actix_web::rt::spawn(async move {
            let mut report = Report::new();
            actix_web::rt::time::sleep(stagger).await;
            while Instant::now() < stop_at {
                let began = Instant::now();
                let outcome = one(pool.clone(), client.clone()).await;
                if began >= measure_from {
                    report.record(began.elapsed(), outcome);
                }
                crate::report::pace(began, pacing).await;
            }
            report
        }));
    }
    crate::report::gather(workers, measure_from, args.measure()).await
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let (pool, client) = prepare(args).await?;
    Ok(drive(args, pool, client, |pool, client| async move {
        match pool.get().await {
            Ok(mut conn) => match create_tx(&mut conn, &client).await {
                Ok(_) => "201",
                Err(_) => "db-error",
            },
            Err(_) => "pool-error",
        }
    })
    .await)
}

/// A create's ids: the payment's id and key and its order number (also the nonce).
pub struct Created {
    pub payment_id: String,
    pub key: String,
    pub order_no: String,
}

/// The create transaction; the created payment.
pub async fn create_tx(conn: &mut Conn, client: &str) -> Result<Created, diesel::result::Error> {
    let id = uuid::Uuid::now_v7();
    let created = Created {
        payment_id: id.hyphenated().to_string(),
        key: format!("{}{}", id.simple(), id.simple()),
        order_no: format!("raw{}", id.simple()),
    };
    let event = uuid::Uuid::now_v7().hyphenated().to_string();
    let (payment_id, key, nonce) = (&created.payment_id, &created.key, &created.order_no);
    let statements = [
        format!(
            "INSERT INTO request_nonce (client_id, nonce, expires_at) VALUES ('{client}', '{nonce}', {NOW} + INTERVAL 600 SECOND)"
        ),
        format!(
            "INSERT INTO payment (payment_id, payment_key, client_id, order_no, amount, currency, method_code, status, \
             version, created_at, updated_at, expires_at) VALUES ('{payment_id}', '{key}', '{client}', '{nonce}', 15002, \
             'KRW', 'CARD', 'READY', 0, {NOW}, {NOW}, {NOW} + INTERVAL 1800 SECOND)"
        ),
        format!(
            "INSERT INTO payment_log (payment_id, action, status, actor, details, created_at) \
             VALUES ('{payment_id}', 'CREATE', 'READY', 'MERCHANT', 'amount=15002 KRW', {NOW})"
        ),
        format!(
            "INSERT INTO outbox_event (event_id, kind, payment_id, client_id, target_url, payload, state, attempts, \
             not_before, next_attempt_at, created_at, updated_at) VALUES ('{event}', 'ACQUIRER_REQUEST', '{payment_id}', \
             '{client}', 'http://127.0.0.1:1/raw', '{{}}', 'DELIVERED', 0, {NOW}, {NOW}, {NOW}, {NOW})"
        ),
    ];
    in_tx(conn, &statements).await?;
    Ok(created)
}

/// `statements` in one transaction, one round trip each.
pub async fn in_tx(conn: &mut Conn, statements: &[String]) -> Result<(), diesel::result::Error> {
    conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
        for s in statements {
            conn.batch_execute(s).await?;
        }
        Ok(())
    })
    .await
}
