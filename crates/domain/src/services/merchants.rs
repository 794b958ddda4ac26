//! Merchant registration and lifecycle (admin use cases).

use std::sync::Arc;

use crate::{
    RepositoryError,
    destination::ReturnUrlPolicy,
    ids::ClientId,
    merchant::{Merchant, MerchantStatus, NewMerchant, PreviousSecret},
    ports::{CipherError, Clock, KeyGenerator, MerchantStore, SecretCipher},
    secret::Secret,
    service_struct::service_struct,
    services::{Limit, Page},
    validation::Violations,
};

#[derive(Debug, thiserror::Error)]
pub enum MerchantError {
    #[error("merchant {0} not found")]
    NotFound(ClientId),
    /// A field the policy refuses (e.g. a plain-http or private-address `returnUrl`).
    #[error("invalid merchant: {0:?}")]
    Invalid(Violations),
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// A merchant just registered, with its plaintext secrets. This is the only time they exist
/// outside the cipher: they are shown once and never again.
#[derive(Debug)]
pub struct Registration {
    pub merchant: Merchant,
    pub client_secret: Secret,
    pub webhook_secret: Secret,
}

service_struct! {
    pub struct MerchantService {
        store: Arc<dyn MerchantStore>,
        keys: Arc<dyn KeyGenerator>,
        cipher: Arc<dyn SecretCipher>,
        clock: Arc<dyn Clock>,
        return_urls: ReturnUrlPolicy,
    }
    pub fn new;
}

impl MerchantService {
    /// Registers a merchant. Its `returnUrl` must satisfy the [`ReturnUrlPolicy`] (https in
    /// production; no literal address the destination policy refuses).
    pub async fn register(&self, new: NewMerchant) -> Result<Registration, MerchantError> {
        if let Some(url) = &new.return_url {
            self.return_urls
                .check(url)
                .map_err(|e| MerchantError::Invalid(Violations::single("returnUrl", e.0)))?;
        }
        let client_secret = self.keys.client_secret();
        let webhook_secret = self.keys.webhook_secret();
        let now = self.clock.now();
        let merchant = Merchant {
            client_id: self.keys.client_id(),
            client_name: new.client_name,
            client_secret: self.cipher.seal(&client_secret)?,
            webhook_secret: self.cipher.seal(&webhook_secret)?,
            previous_webhook_secret: None,
            return_url: new.return_url,
            status: MerchantStatus::Active,
            created_at: now,
            updated_at: now,
        };
        self.store.insert(&merchant).await?;
        Ok(Registration {
            merchant,
            client_secret,
            webhook_secret,
        })
    }

    pub async fn get(&self, id: &ClientId) -> Result<Merchant, MerchantError> {
        self.store
            .find(id)
            .await?
            .ok_or_else(|| MerchantError::NotFound(id.clone()))
    }

    pub async fn list(
        &self,
        limit: Limit,
        starting_after: Option<ClientId>,
    ) -> Result<Page<Merchant>, RepositoryError> {
        Page::fetch(limit.get(), starting_after, |page| async move {
            self.store.list(&page).await
        })
        .await
    }

    /// Issues a new client secret; the old one stops working at once.
    pub async fn rotate_secret(&self, id: &ClientId) -> Result<(Merchant, Secret), MerchantError> {
        let mut merchant = self.get(id).await?;
        let secret = self.keys.client_secret();
        merchant.client_secret = self.cipher.seal(&secret)?;
        merchant.updated_at = self.clock.now();
        self.save(merchant).await.map(|m| (m, secret))
    }

    /// Issues a new webhook secret. For `grace` the old one keeps signing deliveries too (two
    /// `v1,` signatures), so merchants can switch without missing a webhook.
    pub async fn rotate_webhook_secret(
        &self,
        id: &ClientId,
        grace: std::time::Duration,
    ) -> Result<(Merchant, Secret), MerchantError> {
        let mut merchant = self.get(id).await?;
        let secret = self.keys.webhook_secret();
        let now = self.clock.now();
        let sealed = self.cipher.seal(&secret)?;
        let old = std::mem::replace(&mut merchant.webhook_secret, sealed);
        merchant.previous_webhook_secret = (!grace.is_zero()).then(|| PreviousSecret {
            secret: old,
            until: now.plus(grace),
        });
        merchant.updated_at = now;
        self.save(merchant).await.map(|m| (m, secret))
    }

    pub async fn set_status(
        &self,
        id: &ClientId,
        status: MerchantStatus,
    ) -> Result<Merchant, MerchantError> {
        let mut merchant = self.get(id).await?;
        if merchant.status == status {
            return Ok(merchant);
        }
        merchant.status = status;
        merchant.updated_at = self.clock.now();
        self.save(merchant).await
    }

    async fn save(&self, merchant: Merchant) -> Result<Merchant, MerchantError> {
        if self.store.update(&merchant).await? {
            Ok(merchant)
        } else {
            Err(MerchantError::NotFound(merchant.client_id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        destination::DestinationPolicy,
        merchant::{ClientName, ReturnUrl},
        ports::MockMerchantStore,
        services::testkit::{FakeCipher, fixed_clock, keys},
    };

    fn service(store: MockMerchantStore) -> MerchantService {
        MerchantService::new(
            Arc::new(store),
            Arc::new(keys()),
            Arc::new(FakeCipher),
            Arc::new(fixed_clock()),
            ReturnUrlPolicy {
                allow_plain_http: false,
                destinations: DestinationPolicy::public_only_except(vec![]),
            },
        )
    }

    #[tokio::test]
    async fn a_return_url_the_policy_refuses_is_a_field_error_and_nothing_is_stored() {
        for raw in ["http://shop.example/hook", "https://169.254.169.254/latest"] {
            let mut store = MockMerchantStore::new();
            store.expect_insert().never();
            let err = service(store)
                .register(NewMerchant {
                    client_name: ClientName::parse("Shop").unwrap(),
                    return_url: Some(ReturnUrl::parse(raw).unwrap()),
                })
                .await
                .unwrap_err();
            let MerchantError::Invalid(v) = err else {
                panic!("{raw}: {err:?}")
            };
            assert_eq!(v.iter().next().unwrap().field, "returnUrl");
        }
    }

    #[tokio::test]
    async fn registration_stores_only_sealed_secrets_and_returns_the_plaintext_once() {
        let mut store = MockMerchantStore::new();
        store
            .expect_insert()
            .withf(|m| {
                !m.client_secret.ciphertext.is_empty()
                    && m.client_secret.ciphertext != b"sk_test_secret"
                    && m.status == MerchantStatus::Active
            })
            .times(1)
            .returning(|_| Ok(()));
        let reg = service(store)
            .register(NewMerchant {
                client_name: ClientName::parse("Shop").unwrap(),
                return_url: None,
            })
            .await
            .unwrap();
        assert_eq!(reg.client_secret.expose(), "sk_test_secret");
        assert!(reg.webhook_secret.expose().starts_with("whsec_"));
    }

    #[tokio::test]
    async fn rotating_the_secret_of_an_unknown_merchant_is_not_found_and_writes_nothing() {
        let mut store = MockMerchantStore::new();
        store.expect_find().returning(|_| Ok(None));
        store.expect_update().never();
        let err = service(store)
            .rotate_secret(&ClientId::parse("mch_x").unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, MerchantError::NotFound(_)));
    }
}
