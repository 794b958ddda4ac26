//! `StoreHealth`: reachable, and migrated to the schema this binary embeds.

use async_trait::async_trait;
use diesel_async::AsyncConnectionCore;
use domain::{RepositoryError, ports::StoreHealth};

use super::{Health, SqlStore, db_error};
use crate::{error::is_connection_lost, migrations, statements::Statements};

#[async_trait]
impl<B: Statements> StoreHealth for SqlStore<B, Health> {
    /// `SELECT 1` (unreachable → an `is_unavailable()` error), then checks that diesel's
    /// `__diesel_schema_migrations` holds the newest embedded migration (missing table or
    /// version → an error saying the schema is not migrated).
    async fn check(&self) -> Result<(), RepositoryError> {
        let mut conn = self.conn().await?;
        if B::select_one(&mut conn).await.map_err(db_error::<B>)? != 1 {
            return Err(RepositoryError::msg("SELECT 1 did not return 1"));
        }
        let latest =
            migrations::latest::<<B::Conn as AsyncConnectionCore>::Backend>(&B::MIGRATIONS)
                .ok_or_else(|| RepositoryError::msg("no embedded migrations"))?;
        let applied = B::migration_applied(&mut conn, &latest)
            .await
            .map_err(|e| {
                if is_connection_lost::<B>(&e) {
                    db_error::<B>(e)
                } else {
                    RepositoryError::msg(format!("the database schema is not migrated: {e}"))
                }
            })?;
        if applied != 1 {
            return Err(RepositoryError::msg(format!(
                "the database schema is not migrated to version {latest}"
            )));
        }
        Ok(())
    }
}
