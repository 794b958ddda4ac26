//! The SQLite migration lock: an exclusive advisory lock on a file beside the database
//! (`<database>.migrate-lock`), held while the migrations run. Two processes opening one new
//! database file at the same moment would otherwise both find every migration pending and the
//! second would fail on "table already exists".

use std::fs::{File, OpenOptions};

use adapters_sql::migrations::{MigrationError, MigrationLock};

/// The lock file of the database at `path` (none for an in-memory database).
pub struct FileLock {
    path: Option<String>,
    held: Option<File>,
}

impl FileLock {
    pub fn beside(database_path: &str) -> Self {
        let in_memory = database_path == ":memory:" || database_path.starts_with("file::memory:");
        Self {
            path: (!in_memory).then(|| format!("{database_path}.migrate-lock")),
            held: None,
        }
    }
}

impl<C> MigrationLock<C> for FileLock {
    fn acquire(&mut self, _conn: &mut C) -> Result<(), MigrationError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| MigrationError::Lock(format!("{path}: {e}")))?;
        // Blocks until no other process holds it; the OS releases it if the holder dies.
        file.lock()
            .map_err(|e| MigrationError::Lock(format!("{path}: {e}")))?;
        self.held = Some(file);
        Ok(())
    }

    fn release(&mut self, _conn: &mut C) {
        if let Some(file) = self.held.take() {
            // Closing the file would release it too; unlock explicitly to say so.
            let _unlocked = file.unlock();
        }
    }
}
