//! The MySQL [`StoreFactory`] of the shared contract suite.

use adapters_mysql::test_util::TestDatabase;
use store_contract::{People, StoreFactory, Stores};

/// A fresh `TestDatabase` per test; a pool big enough for the suite's racing tests.
pub struct MysqlFactory;

impl StoreFactory for MysqlFactory {
    async fn fresh() -> Stores {
        let db = TestDatabase::create().await;
        let pool = db.pool(16);
        stores(pool, db)
    }
}

/// Every port on `pool`, with raw SQL through it; `db` lives as long as they do.
pub fn stores(pool: adapters_mysql::Pool, db: impl std::any::Any + Send + Sync) -> Stores {
    Stores::on_pool(adapters_mysql::ports(pool.clone()), people(&pool), pool, db)
}

/// The people ports on `pool`, as the contract suite holds them.
pub fn people(pool: &adapters_mysql::Pool) -> People {
    let p = adapters_mysql::people_ports(pool.clone());
    People {
        users: p.users,
        sessions: p.sessions,
        operator_audit: p.operator_audit,
    }
}
