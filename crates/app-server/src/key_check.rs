//! Readiness that includes the encryption key: a well-formed but wrong `ENCRYPTION_KEY` must not
//! give a READY server that answers 500 to every signed call. The key is verified at start-up
//! (a wrong key stops the start); when the database is unreachable then, it is verified by the
//! first readiness check that reaches the database, and `/ready` stays 503 while it is wrong.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_trait::async_trait;
use domain::{
    RepositoryError,
    operator::key_rotation::{KeyCheckError, KeyRotationService},
    ports::StoreHealth,
};

/// [`StoreHealth`] of the database, plus "the configured keys open the stored secrets".
pub struct KeyCheckedHealth {
    store: Arc<dyn StoreHealth>,
    keys: KeyRotationService,
    verified: AtomicBool,
}

impl KeyCheckedHealth {
    pub fn new(store: Arc<dyn StoreHealth>, keys: KeyRotationService) -> Self {
        Self {
            store,
            keys,
            verified: AtomicBool::new(false),
        }
    }

    /// Verifies the key now. `Err` only for a wrong key; an unreachable database is logged and
    /// left to the readiness checks.
    pub async fn verify_at_start(&self) -> Result<(), KeyCheckError> {
        match self.keys.verify_key().await {
            Ok(()) => {
                self.verified.store(true, Ordering::Release);
                Ok(())
            }
            Err(KeyCheckError::Repository(e)) => {
                tracing::warn!(error = %e, "the encryption key could not be verified against the stored secrets yet (database unreachable?); /ready stays 503 until it is");
                Ok(())
            }
            Err(wrong) => Err(wrong),
        }
    }
}

#[async_trait]
impl StoreHealth for KeyCheckedHealth {
    async fn check(&self) -> Result<(), RepositoryError> {
        self.store.check().await?;
        if self.verified.load(Ordering::Acquire) {
            return Ok(());
        }
        match self.keys.verify_key().await {
            Ok(()) => {
                self.verified.store(true, Ordering::Release);
                Ok(())
            }
            Err(KeyCheckError::Repository(e)) => Err(e),
            Err(wrong) => {
                tracing::error!(error = %wrong, "not ready: wrong encryption key");
                Err(RepositoryError::msg(wrong.to_string()))
            }
        }
    }
}
