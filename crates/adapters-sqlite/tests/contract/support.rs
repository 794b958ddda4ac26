//! The SQLite [`StoreFactory`] of the shared contract suite: a migrated file per test.

use std::sync::Arc;

use adapters_sqlite::Pool;
pub use adapters_sqlite::test_util::TempDb;
use async_trait::async_trait;
use store_contract::{RawSql, StoreFactory, Stores};

pub struct SqliteFactory;

impl StoreFactory for SqliteFactory {
    async fn fresh() -> Stores {
        let db = TempDb::fresh();
        let pool = db.migrated_pool(4).await;
        stores(pool, db)
    }
}

/// The stores of the database file `db` through `pool`; they keep the file until dropped.
pub fn stores(pool: Pool, db: TempDb) -> Stores {
    Stores {
        ports: adapters_sqlite::ports(pool.clone()),
        raw: Arc::new(Raw(pool)),
        guard: Box::new(db),
    }
}

pub struct Raw(pub Pool);

#[async_trait]
impl RawSql for Raw {
    async fn exec(&self, sql: &str) -> usize {
        use diesel_async::RunQueryDsl;
        let mut conn = self.0.get().await.unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.unwrap()
    }

    async fn count(&self, from_where: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.0.get().await.unwrap();
        let row: N = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {from_where}"))
            .get_result(&mut conn)
            .await
            .unwrap();
        row.n
    }
}
