//! The database a test server runs on: MariaDB by default, a SQLite file when
//! `SIMPLEPG_TEST_STORE=sqlite`.

use adapters_mysql::test_util::TestDatabase;
use adapters_sqlite::test_util::TempDb;

/// Environment variable choosing the store the suite runs on: `mysql` (default) or `sqlite`.
pub const STORE_VAR: &str = "SIMPLEPG_TEST_STORE";

/// True when this run uses SQLite (`SIMPLEPG_TEST_STORE=sqlite`).
pub fn on_sqlite() -> bool {
    std::env::var(STORE_VAR).is_ok_and(|v| v.eq_ignore_ascii_case("sqlite"))
}

/// For tests that only make sense on MySQL: true (and says why on stderr) when running on
/// SQLite, so the test returns early.
pub fn skip_on_sqlite(why: &str) -> bool {
    let skip = on_sqlite();
    if skip {
        eprintln!("skipped on SQLite: {why}");
    }
    skip
}

/// A fresh migrated test database of the store chosen by [`STORE_VAR`].
pub enum TestDb {
    Mysql(TestDatabase),
    /// A migrated SQLite file in its own temporary directory, deleted on drop.
    Sqlite(TempDb),
}

impl TestDb {
    pub async fn create() -> Self {
        if !on_sqlite() {
            return Self::Mysql(TestDatabase::create().await);
        }
        let file = TempDb::fresh();
        file.migrate().await;
        Self::Sqlite(file)
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Mysql(db) => db.url(),
            Self::Sqlite(f) => &f.url,
        }
    }

    /// The MySQL database (tests that call this skip themselves on SQLite first).
    pub fn mysql(&self) -> &TestDatabase {
        match self {
            Self::Mysql(db) => db,
            Self::Sqlite(_) => panic!("this test needs MySQL; it should skip_on_sqlite()"),
        }
    }
}
