//! Running an adapter's embedded migrations: diesel's synchronous harness on a blocking thread,
//! so it works on any tokio runtime flavour, including actix's current-thread runtimes (where
//! diesel-async's `AsyncMigrationHarness` would panic). Each adapter brings its migrations, how
//! to open a connection for them, and the [`MigrationLock`] that serialises concurrent runs (two
//! instances starting at once on an empty database must both come up, one after the other).

use diesel::{backend::Backend, migration::MigrationSource};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] diesel::ConnectionError),
    /// Preparing the database before migrating failed (MySQL: `CREATE DATABASE`; SQLite: the
    /// connection pragmas).
    #[error("cannot prepare the database: {0}")]
    Prepare(#[source] diesel::result::Error),
    #[error("applying migrations failed: {0}")]
    Apply(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the migration task failed: {0}")]
    Join(#[source] tokio::task::JoinError),
    /// The lock that serialises migration runs could not be taken (held too long by another
    /// run, or the statement that takes it failed).
    #[error("cannot take the migration lock: {0}")]
    Lock(String),
}

impl MigrationError {
    /// True when the database could not be reached or opened (as opposed to a bad URL or SQL).
    pub fn is_connect_failure(&self) -> bool {
        matches!(self, Self::Connect(_))
    }
}

/// Serialises migration runs: of any number of processes migrating one database at the same
/// moment, one applies the pending migrations while the others wait, then find nothing pending.
/// Taken on the migration connection before diesel reads which migrations are pending.
pub trait MigrationLock<C>: Send + 'static {
    /// Blocks until this run holds the lock (or fails after the adapter's patience).
    fn acquire(&mut self, conn: &mut C) -> Result<(), MigrationError>;
    /// Gives the lock back; called whether the migrations succeeded or not. A release that
    /// fails is left to the lock's own expiry.
    fn release(&mut self, conn: &mut C);
}

/// Opens a connection with `connect`, takes `lock` and applies every pending migration of
/// `migrations`, on a blocking thread; returns how many ran (0 when the schema is already
/// current, e.g. because a concurrent run applied them while this one waited for the lock).
pub async fn run_pending<DB, C>(
    connect: impl FnOnce() -> Result<C, MigrationError> + Send + 'static,
    mut lock: impl MigrationLock<C>,
    migrations: EmbeddedMigrations,
) -> Result<usize, MigrationError>
where
    DB: Backend,
    C: MigrationHarness<DB>,
{
    tokio::task::spawn_blocking(move || {
        let mut conn = connect()?;
        lock.acquire(&mut conn)?;
        let applied = conn
            .run_pending_migrations(migrations)
            .map(|applied| applied.len())
            .map_err(MigrationError::Apply);
        lock.release(&mut conn);
        applied
    })
    .await
    .map_err(MigrationError::Join)?
}

/// Version of the newest migration in `migrations`, as diesel records it in
/// `__diesel_schema_migrations` (e.g. `20261124000004`); `None` when there is none.
pub fn latest<DB: Backend>(migrations: &impl MigrationSource<DB>) -> Option<String> {
    migrations
        .migrations()
        .ok()?
        .iter()
        .map(|m| m.name().version().to_string())
        .max()
}

/// Applies, oldest first, every pending migration of `migrations` whose version sorts before
/// `version` (e.g. `20261205000001`), and none from it on; returns how many ran. Leaves the
/// database as a release before that migration left it, so a test can write the rows that
/// release wrote and then check what the migration does to them. Runs on the calling thread
/// (no migration lock: the database is the test's own).
pub fn run_older_than<DB: Backend>(
    conn: &mut impl MigrationHarness<DB>,
    migrations: impl MigrationSource<DB>,
    version: &str,
) -> Result<usize, MigrationError> {
    let pending = conn
        .pending_migrations(migrations)
        .map_err(MigrationError::Apply)?;
    let mut applied = 0;
    for migration in pending
        .iter()
        .filter(|m| m.name().version().to_string().as_str() < version)
    {
        conn.run_migration(migration.as_ref())
            .map_err(MigrationError::Apply)?;
        applied += 1;
    }
    Ok(applied)
}
