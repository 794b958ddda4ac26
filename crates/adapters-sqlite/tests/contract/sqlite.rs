//! What only the SQLite adapter has: the file, its pragmas and its migrations.

use std::time::Duration;

use adapters_sqlite::{Health, SqliteStore, build_pool, run_migrations};
use domain::ports::StoreHealth;

use crate::support::TempDb;

#[tokio::test]
async fn the_first_migration_creates_the_file_and_the_second_does_nothing() {
    let db = TempDb::fresh();
    assert!(run_migrations(&db.url).await.unwrap() > 0);
    assert_eq!(run_migrations(&db.url).await.unwrap(), 0);
    let pool = build_pool(&db.url, 2, Duration::from_secs(1)).unwrap();
    SqliteStore::<Health>::new(pool).check().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migration_runs_on_a_new_file_all_succeed_and_apply_each_migration_once() {
    let db = TempDb::fresh();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { run_migrations(&url).await })
        })
        .collect();
    let mut applied = Vec::new();
    for run in runs {
        applied.push(run.await.unwrap().expect("every concurrent run succeeds"));
    }

    assert_eq!(
        applied.iter().filter(|&&n| n > 0).count(),
        1,
        "one run applied everything, the others found nothing pending: {applied:?}"
    );
    let pool = build_pool(&db.url, 2, Duration::from_secs(1)).unwrap();
    SqliteStore::<Health>::new(pool).check().await.unwrap();
}

#[tokio::test]
async fn an_unmigrated_file_is_reachable_but_not_healthy() {
    let db = TempDb::fresh();
    let pool = build_pool(&db.url, 2, Duration::from_secs(1)).unwrap();
    let err = SqliteStore::<Health>::new(pool).check().await.unwrap_err();
    assert!(!err.is_unavailable(), "{err}");
}

#[tokio::test]
async fn a_file_that_cannot_be_opened_is_unavailable() {
    let url = "sqlite:///nonexistent-dir-simplepg/x/y.db";
    let pool = build_pool(url, 1, Duration::from_secs(1)).unwrap();
    let err = SqliteStore::<Health>::new(pool).check().await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(run_migrations(url).await.unwrap_err().is_connect_failure());
}
