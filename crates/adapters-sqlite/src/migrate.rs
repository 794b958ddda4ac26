//! Embedded migrations (this crate's `migrations/`, SQLite dialect).

use diesel::{Connection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::pool::{file_path, pragmas};

/// Every migration of the SQLite schema, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot open the database file: {0}")]
    Connect(#[source] diesel::ConnectionError),
    #[error("cannot configure the database: {0}")]
    Configure(#[source] diesel::result::Error),
    #[error("applying migrations failed: {0}")]
    Apply(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the migration task failed: {0}")]
    Join(#[source] tokio::task::JoinError),
}

impl MigrationError {
    /// True when the database file could not be opened (as opposed to bad SQL).
    pub fn is_connect_failure(&self) -> bool {
        matches!(self, Self::Connect(_))
    }
}

/// Creates the database file if it is missing and applies every pending migration; returns how
/// many ran. Runs the synchronous harness on a blocking thread (any tokio runtime flavour).
pub async fn run_migrations(url: &str) -> Result<usize, MigrationError> {
    let path = file_path(url);
    tokio::task::spawn_blocking(move || {
        let mut conn = SqliteConnection::establish(&path).map_err(MigrationError::Connect)?;
        diesel::connection::SimpleConnection::batch_execute(&mut conn, &pragmas())
            .map_err(MigrationError::Configure)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(MigrationError::Apply)?;
        Ok(applied.len())
    })
    .await
    .map_err(MigrationError::Join)?
}
