//! The SQLite [`StoreFactory`] of the shared contract suite: a migrated file per test.

use std::{path::PathBuf, sync::Arc, time::Duration};

use adapters_sqlite::{Pool, build_pool, run_migrations};
use async_trait::async_trait;
use store_contract::{RawSql, StoreFactory, Stores};

/// A database file that is deleted (with its WAL files) when dropped.
pub struct TempDb {
    dir: PathBuf,
    pub url: String,
}

impl TempDb {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "simplepg-sqlite-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("create the temporary directory");
        let url = format!("sqlite://{}", dir.join("test.db").display());
        Self { dir, url }
    }

    /// Creates and migrates the file; returns a pool of `size` connections.
    pub async fn migrated_pool(&self, size: usize) -> Pool {
        run_migrations(&self.url).await.expect("migrate");
        build_pool(&self.url, size, Duration::from_secs(3)).expect("pool")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct SqliteFactory;

impl StoreFactory for SqliteFactory {
    async fn fresh() -> Stores {
        let db = TempDb::new();
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
