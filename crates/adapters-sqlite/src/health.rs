//! [`StoreHealth`] on SQLite: reachable, and migrated to the schema this binary embeds.

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Integer, Text},
};
use diesel_async::RunQueryDsl;
use domain::{RepositoryError, ports::StoreHealth};

use crate::{
    error::{db_error, is_connection_lost, pool_error},
    migrate::latest_version,
    pool::Pool,
};

#[derive(Clone)]
pub struct SqliteStoreHealth {
    pool: Pool,
}

impl SqliteStoreHealth {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Integer)]
    one: i32,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[async_trait]
impl StoreHealth for SqliteStoreHealth {
    /// `SELECT 1` (unreachable → an `is_unavailable()` error), then checks that diesel's
    /// `__diesel_schema_migrations` holds the newest embedded migration (missing table or
    /// version → an error saying the schema is not migrated).
    async fn check(&self) -> Result<(), RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let one: One = diesel::sql_query("SELECT 1 AS one")
            .get_result(&mut conn)
            .await
            .map_err(db_error)?;
        if one.one != 1 {
            return Err(RepositoryError::msg("SELECT 1 did not return 1"));
        }
        let latest =
            latest_version().ok_or_else(|| RepositoryError::msg("no embedded migrations"))?;
        let applied: Count = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM __diesel_schema_migrations WHERE version = ?",
        )
        .bind::<Text, _>(&latest)
        .get_result(&mut conn)
        .await
        .map_err(|e| {
            if is_connection_lost(&e) {
                db_error(e)
            } else {
                RepositoryError::msg(format!("the database schema is not migrated: {e}"))
            }
        })?;
        if applied.n != 1 {
            return Err(RepositoryError::msg(format!(
                "the database schema is not migrated to version {latest}"
            )));
        }
        Ok(())
    }
}
