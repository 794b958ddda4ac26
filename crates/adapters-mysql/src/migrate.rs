//! Embedded migrations (`migrations/` at the workspace root) and database creation.

pub use adapters_sql::migrations::MigrationError;
use adapters_sql::migrations::run_pending;
use diesel::{Connection, mysql::Mysql};
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, RunQueryDsl,
    async_connection_wrapper::AsyncConnectionWrapper,
};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};

use crate::migration_lock::LeaseLock;

/// Every migration of the schema, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Applies every pending migration to the database named in `url`; returns how many ran (0 when
/// the schema is already current). Connects through `AsyncConnectionWrapper`, on a blocking
/// thread (`adapters_sql::migrations::run_pending`), under the [`LeaseLock`]: concurrent runs,
/// from any instance on any node of a cluster, apply the migrations once, one after another.
pub async fn run_migrations(url: &str) -> Result<usize, MigrationError> {
    let url = url.to_owned();
    run_pending::<Mysql, _>(
        move || {
            <AsyncConnectionWrapper<AsyncMysqlConnection> as Connection>::establish(&url)
                .map_err(MigrationError::Connect)
        },
        LeaseLock::new(),
        MIGRATIONS,
    )
    .await
}

/// Creates the database named in `url` (`utf8mb4`, `utf8mb4_unicode_ci`) unless it exists, by
/// connecting to the same server without a database. The connecting user needs `CREATE` on it.
pub async fn create_database_if_missing(url: &str) -> Result<(), MigrationError> {
    let (server_url, name) = split_database_url(url)?;
    let mut conn = AsyncMysqlConnection::establish(&server_url)
        .await
        .map_err(MigrationError::Connect)?;
    diesel::sql_query(format!(
        "CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    ))
    .execute(&mut conn)
    .await
    .map_err(MigrationError::Prepare)?;
    Ok(())
}

/// `mysql://u:p@h:3306/db?x=y` → (`mysql://u:p@h:3306?x=y`, `db`). The name is restricted to
/// characters that are safe inside back-quotes.
pub(crate) fn split_database_url(url: &str) -> Result<(String, String), MigrationError> {
    let mut parsed = url::Url::parse(url).map_err(|e| MigrationError::InvalidUrl(e.to_string()))?;
    let name = parsed.path().trim_start_matches('/').to_owned();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
    {
        return Err(MigrationError::InvalidUrl(format!(
            "the database name must be 1-64 characters of letters, digits, '_', '-' and '$', got {name:?}"
        )));
    }
    parsed.set_path("");
    Ok((parsed.to_string(), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_split_off_the_url() {
        let (server, name) = split_database_url("mysql://u:p@127.0.0.1:3306/simplepg?a=b").unwrap();
        assert_eq!(server, "mysql://u:p@127.0.0.1:3306?a=b");
        assert_eq!(name, "simplepg");
        assert!(split_database_url("mysql://127.0.0.1:3306").is_err());
        assert!(split_database_url("mysql://127.0.0.1:3306/a`b").is_err());
    }

    #[test]
    fn the_latest_embedded_migration_is_known() {
        let v = adapters_sql::migrations::latest::<Mysql>(&MIGRATIONS).unwrap();
        assert_eq!(v.len(), 14, "{v}");
        assert!(v.starts_with("2026"));
    }
}
