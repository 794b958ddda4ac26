//! StoreHealth, migrations and failure classification.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use adapters_mysql::{
    ClusterAwareHealth, Health, MysqlStore, Nonces, Payments, Pool, build_pool,
    create_database_if_missing, run_migrations,
    test_util::{TestDatabase, admin_url},
};
use domain::{
    ids::PaymentKey,
    ports::{NonceStore, PaymentStore, StoreHealth},
};

use store_contract::{
    RawSql,
    diesel_raw::PoolRaw,
    support::{Env, client},
};

use crate::support::MysqlFactory;

/// `SELECT COUNT(*)` of `from_where` through `pool`.
async fn count(pool: &Pool, from_where: &str) -> i64 {
    PoolRaw(pool.clone()).count(from_where).await
}

/// Runs one statement on the server (no database selected) as the test util's admin.
async fn on_admin_connection(sql: String) {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut conn = diesel_async::AsyncMysqlConnection::establish(&admin_url())
        .await
        .unwrap();
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

#[tokio::test]
async fn a_migrated_database_is_healthy() {
    let env = Env::new::<MysqlFactory>().await;
    env.health.check().await.unwrap();
}

#[tokio::test]
async fn a_database_without_migrations_is_not_healthy() {
    let db = TestDatabase::create_unmigrated().await;
    let health = MysqlStore::<Health>::new(db.pool(2));

    let err = health.check().await.unwrap_err();

    assert!(!err.is_unavailable(), "reachable, just not migrated: {err}");
    assert!(err.to_string().contains("not migrated"), "{err}");
}

#[tokio::test]
async fn migrations_apply_once_and_then_report_nothing_to_do() {
    let db = TestDatabase::create_unmigrated().await;
    let embedded = diesel::migration::MigrationSource::<diesel::mysql::Mysql>::migrations(
        &adapters_mysql::MIGRATIONS,
    )
    .unwrap()
    .len();
    assert!(
        embedded >= 7,
        "the original four plus outbox and secret rotation"
    );
    let applied = run_migrations(db.url()).await.unwrap();
    assert_eq!(applied, embedded);
    assert_eq!(run_migrations(db.url()).await.unwrap(), 0);
    MysqlStore::<Health>::new(db.pool(1)).check().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migration_runs_on_an_empty_database_all_succeed_and_apply_each_migration_once()
{
    let db = TestDatabase::create_unmigrated().await;
    let embedded = diesel::migration::MigrationSource::<diesel::mysql::Mysql>::migrations(
        &adapters_mysql::MIGRATIONS,
    )
    .unwrap()
    .len();

    let runs: Vec<_> = (0..4)
        .map(|_| tokio::spawn(run_migrations_owned(db.url().to_owned())))
        .collect();
    let mut applied = Vec::new();
    for run in runs {
        applied.push(run.await.unwrap().expect("every concurrent run succeeds"));
    }

    assert_eq!(applied.iter().sum::<usize>(), embedded, "runs: {applied:?}");
    assert_eq!(
        applied.iter().filter(|&&n| n > 0).count(),
        1,
        "one run applied everything, the others found nothing pending: {applied:?}"
    );
    MysqlStore::<Health>::new(db.pool(1)).check().await.unwrap();
}

async fn run_migrations_owned(url: String) -> Result<usize, adapters_mysql::MigrationError> {
    run_migrations(&url).await
}

#[tokio::test]
async fn a_missing_database_is_created_once_and_an_existing_one_is_kept() {
    let name = format!("simplepg_test_{}", uuid::Uuid::now_v7().simple());
    let url = format!("{}/{name}", admin_url());
    create_database_if_missing(&url).await.unwrap();
    run_migrations(&url).await.unwrap();
    create_database_if_missing(&url).await.unwrap();
    let pool = build_pool(&url, 1, Duration::from_secs(5)).unwrap();
    let healthy = MysqlStore::<Health>::new(pool.clone()).check().await;
    assert_eq!(count(&pool, "payment").await, 0);
    drop(pool);
    // Clean up through the admin connection the test util uses for everything else.
    on_admin_connection(format!("DROP DATABASE `{name}`")).await;
    healthy.unwrap();
}

#[tokio::test]
async fn an_unreachable_database_is_reported_as_unavailable_quickly() {
    let pool = build_pool(
        "mysql://root@127.0.0.1:1/simplepg",
        2,
        Duration::from_secs(2),
    )
    .unwrap();
    let started = Instant::now();

    let health = MysqlStore::<Health>::new(pool.clone())
        .check()
        .await
        .unwrap_err();
    let find = MysqlStore::<Payments>::new(pool.clone())
        .find_by_key(&PaymentKey::from_bytes([1; 32]))
        .await
        .unwrap_err();
    let nonce = MysqlStore::<Nonces>::new(pool)
        .remember(
            &client("mch_x"),
            &domain::ids::Nonce::parse("abcdefghij0123456").unwrap(),
            domain::Timestamp::from_unix_millis(0).unwrap(),
        )
        .await
        .unwrap_err();

    assert!(health.is_unavailable(), "{health}");
    assert!(find.is_unavailable(), "{find}");
    assert!(nonce.is_unavailable(), "{nonce}");
    assert_answered_within(started, Duration::from_secs(5));
}

#[tokio::test]
async fn migrating_an_unreachable_database_fails_as_a_connect_failure() {
    let err = run_migrations("mysql://root@127.0.0.1:1/simplepg")
        .await
        .unwrap_err();
    assert!(err.is_connect_failure(), "{err}");
}

#[tokio::test]
async fn a_server_that_accepts_but_never_answers_is_unavailable_within_the_connect_timeout() {
    // The kernel completes the TCP handshake from the backlog; no MySQL greeting ever comes.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("mysql://root@{}/simplepg", silent.local_addr().unwrap());
    let pool = build_pool(&url, 2, Duration::from_millis(500)).unwrap();
    let started = Instant::now();

    let err = MysqlStore::<Health>::new(pool).check().await.unwrap_err();

    assert!(err.is_unavailable(), "{err}");
    assert_answered_within(started, Duration::from_secs(3));
}

#[tokio::test]
async fn readiness_over_a_server_that_never_answers_waits_out_one_connect_timeout_not_two() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("mysql://root@{}/simplepg", silent.local_addr().unwrap());
    let pool = build_pool(&url, 2, Duration::from_secs(2)).unwrap();
    let inner = Arc::new(MysqlStore::<Health>::new(pool.clone()));
    let started = Instant::now();

    let err = ClusterAwareHealth::new(inner, pool)
        .check()
        .await
        .unwrap_err();

    assert!(err.is_unavailable(), "{err}");
    // The cluster probe's checkout times out once (2 s); asking the store again would be 4 s.
    assert_answered_within(started, Duration::from_millis(3_500));
}

#[tokio::test]
async fn test_databases_left_behind_for_over_an_hour_are_swept() {
    // A name whose UUIDv7 timestamp is the Unix epoch: as stale as it gets.
    let stale = "simplepg_test_00000000000070008000000000000000";
    on_admin_connection(format!("CREATE DATABASE IF NOT EXISTS `{stale}`")).await;

    let fresh = TestDatabase::create().await;

    let pool = fresh.pool(1);
    let left = count(
        &pool,
        &format!("information_schema.schemata WHERE schema_name = '{stale}'"),
    )
    .await;
    assert_eq!(left, 0);
    let own = count(
        &pool,
        &format!(
            "information_schema.schemata WHERE schema_name = '{}'",
            fresh.name()
        ),
    )
    .await;
    assert_eq!(own, 1, "a fresh database is not swept");
}

/// The call that started at `started` answered (an error) within `limit`: it did not hang.
fn assert_answered_within(started: Instant, limit: Duration) {
    let took = started.elapsed();
    assert!(took < limit, "took {took:?}");
}
