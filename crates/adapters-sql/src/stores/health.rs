//! `StoreHealth`: reachable, and migrated to the schema this binary embeds.

/// Expanded by [`sql_stores!`](crate::sql_stores).
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_health {
    ($store:ident, $migrations:path) => {
        #[async_trait]
        impl domain::ports::StoreHealth for $store {
            /// `SELECT 1` (unreachable → an `is_unavailable()` error), then checks that diesel's
            /// `__diesel_schema_migrations` holds the newest embedded migration (missing table or
            /// version → an error saying the schema is not migrated).
            async fn check(&self) -> Result<(), RepositoryError> {
                use $crate::raw::{Count, MIGRATION_APPLIED, One};
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let one: One = diesel::sql_query("SELECT 1 AS one")
                    .get_result(&mut conn)
                    .await
                    .map_err(db_error)?;
                if one.one != 1 {
                    return Err(RepositoryError::msg("SELECT 1 did not return 1"));
                }
                let latest = $crate::migrations::latest::<Backend>(&$migrations)
                    .ok_or_else(|| RepositoryError::msg("no embedded migrations"))?;
                let applied: Count = diesel::sql_query(MIGRATION_APPLIED)
                    .bind::<diesel::sql_types::Text, _>(&latest)
                    .get_result(&mut conn)
                    .await
                    .map_err(|e| {
                        if $crate::error::is_connection_lost::<D>(&e) {
                            db_error(e)
                        } else {
                            RepositoryError::msg(format!(
                                "the database schema is not migrated: {e}"
                            ))
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
    };
}
