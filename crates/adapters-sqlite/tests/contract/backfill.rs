//! The money-movement migration on a database file the release before it filled (the shared
//! tests of `store_contract::migration_backfill`).

use std::time::Duration;

use adapters_sql::migrations::run_older_than;
use adapters_sqlite::{MIGRATIONS, build_pool, file_path, run_migrations};
use diesel::{Connection, SqliteConnection, connection::SimpleConnection};
use store_contract::{Stores, migration_backfill::StagedFactory};

use crate::support::{TempDb, stores};

struct Staged;

impl StagedFactory for Staged {
    async fn migrated_before(version: &'static str) -> (Stores, String, usize) {
        let db = TempDb::fresh();
        let path = file_path(&db.url);
        let applied = tokio::task::spawn_blocking(move || {
            let mut conn = SqliteConnection::establish(&path).unwrap();
            conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")
                .unwrap();
            run_older_than(&mut conn, MIGRATIONS, version).unwrap()
        })
        .await
        .unwrap();
        let pool = build_pool(&db.url, 4, Duration::from_secs(3)).unwrap();
        let url = db.url.clone();
        (stores(pool, db), url, applied)
    }

    async fn migrate(url: String) -> usize {
        run_migrations(&url).await.unwrap()
    }
}

store_contract::migration_backfill_tests!(Staged);
