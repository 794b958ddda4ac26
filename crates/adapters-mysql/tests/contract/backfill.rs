//! The money-movement migration on a database the release before it filled (the shared tests
//! of `store_contract::migration_backfill`).

use std::sync::Arc;

use adapters_mysql::{MIGRATIONS, run_migrations, test_util::TestDatabase};
use adapters_sql::migrations::run_older_than;
use diesel::Connection;
use diesel_async::{AsyncMysqlConnection, async_connection_wrapper::AsyncConnectionWrapper};
use store_contract::{
    Stores,
    migration_backfill::{self, StagedFactory},
};

use crate::support::{Raw, people};

struct Staged;

impl StagedFactory for Staged {
    async fn migrated_before(version: &'static str) -> (Stores, String) {
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
        assert!(applied > 0, "the migrations before {version}");
        let pool = db.pool(4);
        let stores = Stores {
            ports: adapters_mysql::ports(pool.clone()),
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
