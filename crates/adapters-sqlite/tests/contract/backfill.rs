//! The money-movement migration on a database file the release before it filled (the shared
//! tests of `store_contract::migration_backfill`).

use std::{sync::Arc, time::Duration};

use adapters_sql::migrations::run_older_than;
use adapters_sqlite::{MIGRATIONS, build_pool, file_path, run_migrations};
use diesel::{Connection, SqliteConnection, connection::SimpleConnection};
use store_contract::{
    Stores,
    migration_backfill::{self, StagedFactory},
};

use crate::support::{Raw, TempDb, people};

struct Staged;

impl StagedFactory for Staged {
    async fn migrated_before(version: &'static str) -> (Stores, String) {
        let db = TempDb::new();
        let path = file_path(&db.url);
        let applied = tokio::task::spawn_blocking(move || {
            let mut conn = SqliteConnection::establish(&path).unwrap();
            conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")
                .unwrap();
            run_older_than(&mut conn, MIGRATIONS, version).unwrap()
        })
        .await
        .unwrap();
        assert!(applied > 0, "the migrations before {version}");
        let pool = build_pool(&db.url, 4, Duration::from_secs(3)).unwrap();
        let url = db.url.clone();
        let stores = Stores {
            ports: adapters_sqlite::ports(pool.clone()),
            people: people(&pool),
            raw: Arc::new(Raw(pool)),
            guard: Box::new(db),
        };
        (stores, url)
    }

    async fn migrate(url: String) {
        assert!(
            run_migrations(&url).await.unwrap() > 0,
            "money movement ran"
        );
    }
}

#[tokio::test]
async fn the_money_movement_migration_backfills_canceled_payments_and_authorization_deadlines() {
    migration_backfill::the_money_movement_migration_backfills_canceled_payments_and_authorization_deadlines::<Staged>().await;
}

#[tokio::test]
async fn outbox_messages_written_before_the_money_movement_migration_are_still_listed_and_claimed()
{
    migration_backfill::outbox_messages_written_before_the_money_movement_migration_are_still_listed_and_claimed::<Staged>().await;
}

#[tokio::test]
async fn new_cancels_work_on_payments_the_money_movement_migration_backfilled() {
    migration_backfill::new_cancels_work_on_payments_the_money_movement_migration_backfilled::<
        Staged,
    >()
    .await;
}
