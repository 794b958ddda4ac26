//! The MySQL [`StoreFactory`] of the shared contract suite, and raw SQL on a pool.

use std::sync::Arc;

use adapters_mysql::{Pool, test_util::TestDatabase};
use async_trait::async_trait;
use store_contract::{RawSql, StoreFactory, Stores};

/// A fresh `TestDatabase` per test; a pool big enough for the suite's racing tests.
pub struct MysqlFactory;

impl StoreFactory for MysqlFactory {
    async fn fresh() -> Stores {
        let db = TestDatabase::create().await;
        let pool = db.pool(16);
        stores(pool, db)
    }
}

/// The stores of the database `db` through `pool`, which they keep alive.
pub fn stores(pool: Pool, db: TestDatabase) -> Stores {
    Stores {
        ports: adapters_mysql::ports(pool.clone()),
        raw: Arc::new(Raw(pool)),
        guard: Box::new(db),
    }
}

pub struct Raw(pub Pool);

#[async_trait]
impl RawSql for Raw {
    async fn exec(&self, sql: &str) -> usize {
        exec(&self.0, sql).await
    }

    async fn count(&self, from_where: &str) -> i64 {
        count(&self.0, from_where).await
    }
}

/// Runs `sql` on the test database directly.
pub async fn exec(pool: &Pool, sql: &str) -> usize {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await.unwrap();
    diesel::sql_query(sql).execute(&mut conn).await.unwrap()
}

/// `SELECT COUNT(*)` of `from_where` (e.g. `"payment WHERE client_id = 'x'"`).
pub async fn count(pool: &Pool, from_where: &str) -> i64 {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = pool.get().await.unwrap();
    let row: N = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {from_where}"))
        .get_result(&mut conn)
        .await
        .unwrap();
    row.n
}
