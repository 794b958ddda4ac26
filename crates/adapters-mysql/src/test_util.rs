//! Throwaway databases for tests (feature `test-util`).
//!
//! [`TestDatabase::create`] makes a fresh, migrated database on the server named by
//! `TEST_DATABASE_ADMIN_URL` (default `mysql://root@127.0.0.1:3306`) and drops it again when the
//! value is dropped, so tests run in parallel without sharing state. Databases left behind by
//! crashed runs are swept by later runs once they are an hour old.

#![expect(
    clippy::expect_used,
    reason = "test support: a broken test environment must fail loudly"
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::{Connection, QueryableByName, sql_types::Text};
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, RunQueryDsl,
    async_connection_wrapper::AsyncConnectionWrapper,
};

use crate::{
    migrate::run_migrations,
    pool::{Pool, build_pool},
};

/// Environment variable naming the server (without a database) tests may create databases on.
pub const ADMIN_URL_VAR: &str = "TEST_DATABASE_ADMIN_URL";
/// Used when [`ADMIN_URL_VAR`] is unset: the local MariaDB, user root, empty password.
pub const DEFAULT_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306";
/// Every test database's name starts with this.
pub const NAME_PREFIX: &str = "simplepg_test_";
/// Leftover test databases older than this are dropped by the next [`TestDatabase::create`].
const SWEEP_AGE: Duration = Duration::from_secs(3600);

/// The admin URL from the environment, or [`DEFAULT_ADMIN_URL`], without a trailing `/`.
pub fn admin_url() -> String {
    std::env::var(ADMIN_URL_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ADMIN_URL.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// A migrated database that exists for the lifetime of this value.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates `simplepg_test_<uuid v7, simple>` and applies every migration.
    ///
    /// # Panics
    /// When the server is unreachable or refuses: tests that need a database must fail, not
    /// silently skip. The message says which URL was tried and how to point at another server.
    pub async fn create() -> Self {
        let db = Self::create_unmigrated().await;
        run_migrations(&db.url)
            .await
            .unwrap_or_else(|e| panic!("migrating test database {} failed: {e}", db.name));
        db
    }

    /// Like [`TestDatabase::create`] but with an empty schema (no tables, no migrations table).
    pub async fn create_unmigrated() -> Self {
        Self::create_unmigrated_on(admin_url()).await
    }

    /// An empty database on the server at `admin_url` (a URL without a database name), e.g. one
    /// node of a cluster, which replicates it to the others.
    pub async fn create_unmigrated_on(admin_url: String) -> Self {
        let mut conn = AsyncMysqlConnection::establish(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "cannot connect to the test database server at {admin_url}: {e}\n\
                 Start MariaDB/MySQL there (e.g. `mariadb-admin ping`), or set {ADMIN_URL_VAR} to a server \
                 URL without a database name, e.g. mysql://root@127.0.0.1:3306"
            )
        });
        sweep_stale(&mut conn).await;
        let name = format!("{NAME_PREFIX}{}", uuid::Uuid::now_v7().simple());
        diesel::sql_query(format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("creating test database {name} on {admin_url} failed: {e}"));
        let url = format!("{admin_url}/{name}");
        Self {
            admin_url,
            name,
            url,
        }
    }

    /// `mysql://…/simplepg_test_…`: the URL of this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A small pool on this database (connect timeout 5 s).
    pub fn pool(&self, max_connections: usize) -> Pool {
        build_pool(&self.url, max_connections, Duration::from_secs(5))
            .expect("a pool on the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and may run inside a runtime; a fresh thread has none, so the
        // wrapper builds its own. Best effort: leftovers are swept by a later create().
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut conn) =
                <AsyncConnectionWrapper<AsyncMysqlConnection> as Connection>::establish(&admin_url)
            {
                // Never wait forever on a metadata lock held by a session of a server that is
                // gone (its connection may linger): give up after 10 s, the sweep retries later.
                let limit = diesel::sql_query("SET SESSION lock_wait_timeout = 10");
                let _ = diesel::RunQueryDsl::execute(limit, &mut conn);
                let drop = diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`"));
                let _ = diesel::RunQueryDsl::execute(drop, &mut conn);
            }
        })
        .join();
    }
}

#[derive(QueryableByName)]
struct SchemaName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Drops `simplepg_test_*` databases whose embedded UUIDv7 says they are older than an hour.
/// Best effort: another run may be dropping the same database at the same time.
async fn sweep_stale(conn: &mut AsyncMysqlConnection) {
    let Ok(names) = diesel::sql_query(
        "SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE 'simplepg\\_test\\_%'",
    )
    .load::<SchemaName>(conn)
    .await
    else {
        return;
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    for SchemaName { name } in names {
        let Some(created_ms) = created_millis(&name) else {
            continue;
        };
        if now_ms.saturating_sub(created_ms) > SWEEP_AGE.as_millis() {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`"))
                .execute(conn)
                .await;
        }
    }
}

/// The creation time (Unix ms) in a `simplepg_test_<uuid v7 simple>` name: the UUID's first
/// 48 bits.
fn created_millis(name: &str) -> Option<u128> {
    let hex = name.strip_prefix(NAME_PREFIX)?;
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(hex.get(..12)?, 16).ok()
}
