//! Embedded migrations (this crate's `migrations/`, SQLite dialect).

pub use adapters_sql::migrations::MigrationError;
use adapters_sql::migrations::run_pending;
use diesel::{Connection, SqliteConnection, sqlite::Sqlite};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};

use crate::{
    migration_lock::FileLock,
    pool::{file_path, pragmas},
};

/// Every migration of the SQLite schema, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Creates the database file if it is missing, sets the connection pragmas and applies every
/// pending migration under the [`FileLock`] beside the database file (concurrent runs apply
/// them once, one after another); returns how many ran. On a blocking thread
/// (`adapters_sql::migrations::run_pending`).
pub async fn run_migrations(url: &str) -> Result<usize, MigrationError> {
    let path = file_path(url);
    let lock = FileLock::beside(&path);
    run_pending::<Sqlite, _>(
        move || {
            let mut conn = SqliteConnection::establish(&path).map_err(MigrationError::Connect)?;
            diesel::connection::SimpleConnection::batch_execute(&mut conn, &pragmas())
                .map_err(MigrationError::Prepare)?;
            Ok(conn)
        },
        lock,
        MIGRATIONS,
    )
    .await
}
