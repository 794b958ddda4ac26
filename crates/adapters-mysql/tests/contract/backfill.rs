//! The money-movement migration on a database the release before it filled (the shared tests
//! of `store_contract::migration_backfill`).

use adapters_mysql::{MIGRATIONS, run_migrations, test_util::TestDatabase};
use adapters_sql::migrations::run_older_than;
use diesel::Connection;
use diesel_async::{AsyncMysqlConnection, async_connection_wrapper::AsyncConnectionWrapper};
use store_contract::{Stores, migration_backfill::StagedFactory};

use crate::support::stores;

struct Staged;

impl StagedFactory for Staged {
    async fn migrated_before(version: &'static str) -> (Stores, String, usize) {
        let db = TestDatabase::create_unmigrated().await;
        let url = db.url().to_owned();
        let at = url.clone();
        let applied = tokio::task::spawn_blocking(move || {
            let mut conn =
                <AsyncConnectionWrapper<AsyncMysqlConnection> as Connection>::establish(&at)
                    .unwrap();
            run_older_than(&mut conn, MIGRATIONS, version).unwrap()
        })
        .await
        .unwrap();
        let pool = db.pool(4);
        (stores(pool, db), url, applied)
    }

    async fn migrate(url: String) -> usize {
        run_migrations(&url).await.unwrap()
    }
}

store_contract::migration_backfill_tests!(Staged);
