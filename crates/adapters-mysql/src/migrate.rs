//! Embedded migrations (`migrations/` at the workspace root) and database creation.

use diesel::Connection;
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, RunQueryDsl,
    async_connection_wrapper::AsyncConnectionWrapper,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Every migration of the schema, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] diesel::ConnectionError),
    #[error("cannot create the database: {0}")]
    CreateDatabase(#[source] diesel::result::Error),
    #[error("applying migrations failed: {0}")]
    Apply(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the migration task failed: {0}")]
    Join(#[source] tokio::task::JoinError),
}

impl MigrationError {
    /// True when the database server could not be reached (as opposed to a bad URL or SQL).
    pub fn is_connect_failure(&self) -> bool {
        matches!(self, Self::Connect(_))
    }
}

/// Applies every pending migration to the database named in `url`; returns how many ran (0 when
/// the schema is already current). Works on any tokio runtime flavour, including actix's
/// current-thread runtimes: the synchronous diesel harness runs on a blocking thread through
/// `AsyncConnectionWrapper` (diesel-async's `AsyncMigrationHarness` would panic there).
pub async fn run_migrations(url: &str) -> Result<usize, MigrationError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn =
            <AsyncConnectionWrapper<AsyncMysqlConnection> as Connection>::establish(&url)
                .map_err(MigrationError::Connect)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(MigrationError::Apply)?;
        Ok(applied.len())
    })
    .await
    .map_err(MigrationError::Join)?
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
    .map_err(MigrationError::CreateDatabase)?;
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
    use diesel::mysql::Mysql;

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
        let v = adapters_sql::latest_migration::<Mysql>(&MIGRATIONS).unwrap();
        assert_eq!(v.len(), 14, "{v}");
        assert!(v.starts_with("2026"));
    }
}
