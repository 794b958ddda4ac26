//! The MySQL/MariaDB migration lock: a lease row, so that it holds across the nodes of a Galera
//! cluster too.
//!
//! `GET_LOCK` would serialise runs on one server, but on a multi-primary Galera cluster it is
//! local to the node it is taken on: two instances on two nodes would both hold "the" lock and
//! race each other's `CREATE TABLE` ("Table 'api_credential' already exists"). A row is
//! replicated, and of two concurrent inserts of the same primary key only one commits — on one
//! server the other waits and meets the duplicate key, on a cluster certification aborts it
//! (error 1213). So the lock is the row `id = 1` of `simplepg_migration_lock`, with an expiry
//! that lets a run that crashed while holding it be taken over.

use std::time::{Duration, Instant};

use adapters_sql::{
    error::{is_conflict, is_unique_violation},
    migrations::{MigrationError, MigrationLock},
};
use diesel::{RunQueryDsl, sql_types::Text};
use diesel_async::{AsyncMysqlConnection, async_connection_wrapper::AsyncConnectionWrapper};

type Conn = AsyncConnectionWrapper<AsyncMysqlConnection>;

/// Outside the diesel migrations: it must exist before they run. Idempotent DDL, which Galera
/// replicates in total order.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS simplepg_migration_lock (
    id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    holder VARCHAR(100) NOT NULL,
    expires_at DATETIME(6) NOT NULL
) ENGINE=InnoDB";
const TAKE_OVER_EXPIRED: &str =
    "DELETE FROM simplepg_migration_lock WHERE id = 1 AND expires_at < UTC_TIMESTAMP(6)";
const TAKE: &str = "INSERT INTO simplepg_migration_lock (id, holder, expires_at) \
                    VALUES (1, ?, UTC_TIMESTAMP(6) + INTERVAL 600 SECOND)";
const RELEASE: &str = "DELETE FROM simplepg_migration_lock WHERE id = 1 AND holder = ?";

/// How long a run waits for another one to finish before it gives up. Longer than any
/// migration of this schema; a crashed holder's lease (600 s) expires before it.
const PATIENCE: Duration = Duration::from_secs(900);
/// Between two attempts to take a held lock.
const POLL: Duration = Duration::from_millis(200);

/// The lease lock of one migration run.
pub struct LeaseLock {
    holder: String,
    patience: Duration,
}

impl LeaseLock {
    pub fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        Self {
            holder: format!("pid {} #{nanos:09}", std::process::id()),
            patience: PATIENCE,
        }
    }
}

impl Default for LeaseLock {
    fn default() -> Self {
        Self::new()
    }
}

fn lock_error(e: diesel::result::Error) -> MigrationError {
    MigrationError::Lock(e.to_string())
}

impl MigrationLock<Conn> for LeaseLock {
    fn acquire(&mut self, conn: &mut Conn) -> Result<(), MigrationError> {
        diesel::sql_query(CREATE_TABLE)
            .execute(conn)
            .map_err(lock_error)?;
        let started = Instant::now();
        loop {
            diesel::sql_query(TAKE_OVER_EXPIRED)
                .execute(conn)
                .or_else(|e| if is_conflict(&e) { Ok(0) } else { Err(e) })
                .map_err(lock_error)?;
            match diesel::sql_query(TAKE)
                .bind::<Text, _>(&self.holder)
                .execute(conn)
            {
                Ok(_) => return Ok(()),
                // Held by another run (or taken by one on another node at the same moment).
                Err(e) if is_unique_violation(&e) || is_conflict(&e) => {}
                Err(e) => return Err(lock_error(e)),
            }
            if started.elapsed() > self.patience {
                return Err(MigrationError::Lock(format!(
                    "another migration run has held simplepg_migration_lock for more than {}s; \
                     if no run is in progress, delete its row",
                    self.patience.as_secs()
                )));
            }
            std::thread::sleep(POLL);
        }
    }

    fn release(&mut self, conn: &mut Conn) {
        // A failed release leaves the lease to expire.
        let _released = diesel::sql_query(RELEASE)
            .bind::<Text, _>(&self.holder)
            .execute(conn);
    }
}
