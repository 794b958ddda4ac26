//! The SQLite [`StoreFactory`] of the shared contract suite: a migrated file per test.

pub use adapters_sqlite::test_util::TempDb;
use store_contract::{StoreFactory, Stores};

pub struct SqliteFactory;

impl StoreFactory for SqliteFactory {
    async fn fresh() -> Stores {
        let db = TempDb::fresh();
        let pool = db.migrated_pool(4).await;
        Stores::on_pool(adapters_sqlite::ports(pool.clone()), pool, db)
    }
}
