//! An in-memory `MerchantStore` for the merchant service's tests.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::merchant;
use crate::{
    RepositoryError,
    ids::ClientId,
    merchant::{ClientName, Merchant},
    people::OperatorAuditEntry,
    ports::{MerchantStore, PageRequest},
    services::testkit::{actions_of, first},
};

/// Merchants in memory, changed by compare-and-set on `version` like the SQL stores; every
/// audit row written with a change is kept. `lose` makes the next `update`s lose their race.
#[derive(Default)]
pub(super) struct Memory {
    pub merchants: Mutex<Vec<Merchant>>,
    pub audit: Mutex<Vec<OperatorAuditEntry>>,
    pub lose: Mutex<usize>,
}

impl Memory {
    pub fn with(merchants: &[&str]) -> Arc<Self> {
        let memory = Self::default();
        for id in merchants {
            memory.merchants.lock().unwrap().push(merchant(id));
        }
        Arc::new(memory)
    }

    pub fn stored(&self, id: &str) -> Merchant {
        first(&self.merchants, |m| m.client_id.as_str() == id).unwrap()
    }

    pub fn actions(&self) -> Vec<String> {
        actions_of(&self.audit)
    }
}

#[async_trait]
impl MerchantStore for Memory {
    async fn insert(
        &self,
        merchant: &Merchant,
        audit: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError> {
        self.merchants.lock().unwrap().push(merchant.clone());
        self.audit.lock().unwrap().extend_from_slice(audit);
        Ok(())
    }

    async fn find(&self, client_id: &ClientId) -> Result<Option<Merchant>, RepositoryError> {
        Ok(first(&self.merchants, |m| m.client_id == *client_id))
    }

    async fn list(&self, page: &PageRequest<ClientId>) -> Result<Vec<Merchant>, RepositoryError> {
        let mut all = self.merchants.lock().unwrap().clone();
        all.sort_by(|a, b| b.client_id.as_str().cmp(a.client_id.as_str()));
        Ok(all
            .into_iter()
            .filter(|m| {
                page.before
                    .as_ref()
                    .is_none_or(|b| m.client_id.as_str() < b.as_str())
            })
            .take(page.limit as usize + 1)
            .collect())
    }

    async fn update(
        &self,
        next: &Merchant,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        let mut lose = self.lose.lock().unwrap();
        let mut merchants = self.merchants.lock().unwrap();
        let Some(stored) = merchants.iter_mut().find(|m| m.client_id == next.client_id) else {
            return Ok(false);
        };
        if *lose > 0 {
            // Someone else's change lands first.
            *lose -= 1;
            stored.version += 1;
            stored.client_name = ClientName::parse("Changed meanwhile").unwrap();
            return Ok(false);
        }
        if stored.version + 1 != next.version {
            return Ok(false);
        }
        *stored = next.clone();
        self.audit.lock().unwrap().extend_from_slice(audit);
        Ok(true)
    }

    async fn replace_secrets(
        &self,
        _: &Merchant,
        _: &Merchant,
        _: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        unreachable!("not a merchant service call")
    }
}
