//! The raw ceiling: the same writes as a create — the nonce, the payment, its CREATE audit row
//! and its ACQUIRER_REQUEST outbox row, in one transaction — straight on the database, at the
//! same concurrency, with no HTTP, signing, JSON or domain code in the way.

use std::time::{Duration, Instant};

use anyhow::Context;
use diesel_async::AsyncMysqlConnection;
use diesel_async::{AsyncConnection, RunQueryDsl, pooled_connection::deadpool::Object};

use crate::{Args, report::Report};

const NOW: &str = "UTC_TIMESTAMP(6)";

/// The raw workload's database when `--database-url` is not given.
const DEFAULT_DATABASE_URL: &str = "mysql://root@127.0.0.1:3306/simplepg_bench_raw";

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let url = args.database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL);
    adapters_mysql::create_database_if_missing(url)
        .await
        .context("creating the raw database")?;
    adapters_mysql::run_migrations(url)
        .await
        .context("migrating the raw database")?;
    let pool = adapters_mysql::build_pool(url, args.concurrency.max(1), Duration::from_secs(5))?;
    let client = format!("mch_raw{}", uuid::Uuid::now_v7().simple());
    {
        let mut conn = pool.get().await.context("connecting")?;
        diesel::sql_query(format!(
            "INSERT INTO api_credential (client_id, client_name, client_secret, client_secret_key_version, \
             webhook_secret, webhook_secret_key_version, status, created_at, updated_at) \
             VALUES ('{client}', 'raw', x'00', 1, x'00', 1, 'ACTIVE', {NOW}, {NOW})"
        ))
        .execute(&mut conn)
        .await
        .context("inserting the merchant")?;
    }
    let start = Instant::now();
    let measure_from = start + args.warmup();
    let stop_at = measure_from + args.measure();
    let local = tokio::task::LocalSet::new();
    let reports = local
        .run_until(async {
            let mut workers = Vec::new();
            for w in 0..args.concurrency.max(1) {
                let (pool, client) = (pool.clone(), client.clone());
                let (pacing, stagger) = (args.pacing(), args.stagger(w));
                workers.push(tokio::task::spawn_local(async move {
                    let mut report = Report::new();
                    tokio::time::sleep(stagger).await;
                    while Instant::now() < stop_at {
                        let began = Instant::now();
                        let outcome = match pool.get().await {
                            Ok(mut conn) => match create_tx(&mut conn, &client).await {
                                Ok(()) => "201",
                                Err(_) => "db-error",
                            },
                            Err(_) => "pool-error",
                        };
                        if began >= measure_from {
                            report.record(began.elapsed(), outcome);
                        }
                        if let Some(p) = pacing {
                            let spent = began.elapsed();
                            if spent < p {
                                tokio::time::sleep(p - spent).await;
                            }
                        }
                    }
                    report
                }));
            }
            let mut out = Vec::new();
            for w in workers {
                if let Ok(r) = w.await {
                    out.push(r);
                }
            }
            out
        })
        .await;
    let mut total = Report::new();
    for r in &reports {
        total.merge(r);
    }
    total.elapsed = args.measure();
    Ok(total)
}

async fn create_tx(
    conn: &mut Object<AsyncMysqlConnection>,
    client: &str,
) -> Result<(), diesel::result::Error> {
    let id = uuid::Uuid::now_v7();
    let (payment_id, key, event) = (
        id.hyphenated().to_string(),
        format!("{}{}", id.simple(), id.simple()),
        uuid::Uuid::now_v7().hyphenated().to_string(),
    );
    let nonce = format!("raw{}", id.simple());
    let client = client.to_owned();
    conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
        diesel::sql_query(format!(
            "INSERT INTO request_nonce (client_id, nonce, expires_at) VALUES ('{client}', '{nonce}', {NOW} + INTERVAL 600 SECOND)"
        ))
        .execute(conn)
        .await?;
        diesel::sql_query(format!(
            "INSERT INTO payment (payment_id, payment_key, client_id, order_no, amount, currency, method_code, status, \
             version, created_at, updated_at, expires_at) VALUES ('{payment_id}', '{key}', '{client}', '{nonce}', 15002, \
             'KRW', 'CARD', 'READY', 0, {NOW}, {NOW}, {NOW} + INTERVAL 1800 SECOND)"
        ))
        .execute(conn)
        .await?;
        diesel::sql_query(format!(
            "INSERT INTO payment_log (payment_id, action, status, actor, details, created_at) \
             VALUES ('{payment_id}', 'CREATE', 'READY', 'MERCHANT', 'amount=15002 KRW', {NOW})"
        ))
        .execute(conn)
        .await?;
        diesel::sql_query(format!(
            "INSERT INTO outbox_event (event_id, kind, payment_id, client_id, target_url, payload, state, attempts, \
             not_before, next_attempt_at, created_at, updated_at) VALUES ('{event}', 'ACQUIRER_REQUEST', '{payment_id}', \
             '{client}', 'http://127.0.0.1:1/raw', '{{}}', 'DELIVERED', 0, {NOW}, {NOW}, {NOW}, {NOW})"
        ))
        .execute(conn)
        .await?;
        Ok(())
    })
    .await
}
