//! The SQLite [`StoreFactory`] of the shared contract suite: a migrated file per test.

pub use adapters_sqlite::test_util::TempDb;
use store_contract::{People, StoreFactory, Stores};

pub struct SqliteFactory;

impl StoreFactory for SqliteFactory {
    async fn fresh() -> Stores {
        let db = TempDb::fresh();
        let pool = db.migrated_pool(4).await;
        stores(pool, db)
    }
}

/// Every port on `pool`, with raw SQL through it; `db` lives as long as they do.
pub fn stores(pool: adapters_sqlite::Pool, db: impl std::any::Any + Send + Sync) -> Stores {
    Stores::on_pool(
        adapters_sqlite::ports(pool.clone()),
        people(&pool),
        pool,
        db,
    )
}

/// The people ports on `pool`, as the contract suite holds them.
pub fn people(pool: &adapters_sqlite::Pool) -> People {
    let p = adapters_sqlite::people_ports(pool.clone());
    People {
        users: p.users,
        sessions: p.sessions,
        operator_audit: p.operator_audit,
    }
}
