//! Throwaway database files for tests (feature `test-util`): each in a temporary directory of
//! its own, deleted with its WAL files when the value is dropped.

#![expect(
    clippy::expect_used,
    reason = "test support: a broken test environment must fail loudly"
)]

use std::{path::PathBuf, time::Duration};

use crate::{
    migrate::run_migrations,
    pool::{Pool, build_pool},
};

/// A database file in a fresh temporary directory (created by the first migration or
/// connection), deleted with the directory when dropped.
pub struct TempDb {
    dir: PathBuf,
    pub url: String,
}

impl TempDb {
    /// A URL no test has used yet.
    pub fn fresh() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "simplepg-sqlite-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("create the temporary directory");
        let url = format!("sqlite://{}", dir.join("test.db").display());
        Self { dir, url }
    }

    /// Creates and migrates the file.
    pub async fn migrate(&self) {
        run_migrations(&self.url)
            .await
            .expect("migrating the SQLite test database");
    }

    /// Creates and migrates the file; a pool of `size` connections on it.
    pub async fn migrated_pool(&self, size: usize) -> Pool {
        self.migrate().await;
        build_pool(&self.url, size, Duration::from_secs(3)).expect("pool")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
