//! Merchant registration, lifecycle and self-service (api.md §8, §10.3). Who may do what is
//! decided here by the caller's [`Principal`]: a merchant-scoped user sees only its own merchant
//! (another one is not found, exactly like an unknown one) and may change only what its role
//! allows. Every change is a compare-and-set on the merchant's `version` and writes its operator
//! audit row in the same transaction (api.md §10.4).

use std::sync::Arc;

use crate::{
    RepositoryError,
    destination::ReturnUrlPolicy,
    ids::ClientId,
    merchant::{Grace, Merchant, MerchantChange, MerchantStatus, NewMerchant},
    people::{Action, Denied, OperatorAuditEntry, Principal, RequestOrigin},
    ports::{CipherError, Clock, KeyGenerator, MerchantStore, SecretCipher},
    secret::Secret,
    service_struct::service_struct,
    services::{Limit, Page},
    validation::Violations,
};

#[derive(Debug, thiserror::Error)]
pub enum MerchantError {
    /// 404 `MERCHANT_NOT_FOUND`: unknown, or another merchant's (the same answer).
    #[error("merchant {0} not found")]
    NotFound(ClientId),
    /// 403 `FORBIDDEN`: the caller's role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    /// A field the policy refuses (e.g. a plain-http or private-address `returnUrl`).
    #[error("invalid merchant: {0:?}")]
    Invalid(Violations),
    /// 409 `CONCURRENT_UPDATE`: other changes won every attempt.
    #[error("the merchant changed concurrently on every attempt; try again")]
    Contended(ClientId),
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The audit `action` of each merchant change (api.md §10.4).
pub mod audit_actions {
    pub const REGISTERED: &str = "MERCHANT_REGISTERED";
    pub const UPDATED: &str = "MERCHANT_UPDATED";
    pub const CLIENT_SECRET_ROTATED: &str = "CLIENT_SECRET_ROTATED";
    pub const WEBHOOK_SECRET_ROTATED: &str = "WEBHOOK_SECRET_ROTATED";
    pub const ACTIVATED: &str = "MERCHANT_ACTIVATED";
    pub const DEACTIVATED: &str = "MERCHANT_DEACTIVATED";
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
        /// The terms of a merchant registered without its own (configuration).
        default_terms: crate::settlement::SettlementTerms,
    }
    pub fn new;
}

/// Compare-and-set attempts of one change before answering `Contended`.
/// Which of a merchant's secrets a rotation replaces, and the old one's grace.
#[derive(Clone, Copy)]
enum Rotation {
    ClientSecret(Grace),
    WebhookSecret(std::time::Duration),
}

const ATTEMPTS: usize = 8;

/// What a change does to the merchant as read: the next state, or `None` when nothing changes
/// (nothing is written, no audit row).
type Decide<'a> = dyn Fn(&Merchant) -> Result<Option<Merchant>, MerchantError> + Send + Sync + 'a;

impl MerchantService {
    /// Asks the principal's permission for `action` on merchant `id`: another merchant's is
    /// [`MerchantError::NotFound`], word for word the answer for an unknown one.
    fn allow(by: &Principal, action: Action, id: &ClientId) -> Result<(), MerchantError> {
        by.may(action, Some(id)).map_err(|d| match d {
            Denied::NotFound => MerchantError::NotFound(id.clone()),
            Denied::Forbidden => MerchantError::Forbidden,
        })
    }

    fn audit_row(
        &self,
        by: &Principal,
        action: &str,
        target: &ClientId,
        origin: &RequestOrigin,
    ) -> OperatorAuditEntry {
        let target = Some(target.to_string());
        OperatorAuditEntry::success(by, action, target, origin, self.clock.now())
    }

    fn check_return_url(
        &self,
        url: Option<&crate::merchant::ReturnUrl>,
    ) -> Result<(), MerchantError> {
        match url {
            Some(url) => self
                .return_urls
                .check(url)
                .map_err(|e| MerchantError::Invalid(Violations::single("returnUrl", e.0))),
            None => Ok(()),
        }
    }

    /// Registers a merchant (ADMIN). Its `returnUrl` must satisfy the [`ReturnUrlPolicy`]
    /// (https in production; no literal address the destination policy refuses).
    pub async fn register(
        &self,
        by: &Principal,
        new: NewMerchant,
        origin: &RequestOrigin,
    ) -> Result<Registration, MerchantError> {
        by.may(Action::RegisterMerchant, None)
            .map_err(|_| MerchantError::Forbidden)?;
        self.check_return_url(new.return_url.as_ref())?;
        let client_secret = self.keys.client_secret();
        let webhook_secret = self.keys.webhook_secret();
        let now = self.clock.now();
        let merchant = Merchant {
            client_id: self.keys.client_id(),
            client_name: new.client_name,
            client_secret: self.cipher.seal(&client_secret)?,
            webhook_secret: self.cipher.seal(&webhook_secret)?,
            previous_client_secret: None,
            previous_webhook_secret: None,
            return_url: new.return_url,
            status: MerchantStatus::Active,
            terms: crate::settlement::SettlementTerms {
                fee_rate: new.fee_rate.unwrap_or(self.default_terms.fee_rate),
                delay: new.settlement_delay.unwrap_or(self.default_terms.delay),
            },
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let row = self.audit_row(by, audit_actions::REGISTERED, &merchant.client_id, origin);
        self.store.insert(&merchant, &[row]).await?;
        Ok(Registration {
            merchant,
            client_secret,
            webhook_secret,
        })
    }

    /// One merchant, as the principal may see it.
    pub async fn get(&self, by: &Principal, id: &ClientId) -> Result<Merchant, MerchantError> {
        Self::allow(by, Action::ReadMerchants, id)?;
        self.find(id).await
    }

    async fn find(&self, id: &ClientId) -> Result<Merchant, MerchantError> {
        self.store
            .find(id)
            .await?
            .ok_or_else(|| MerchantError::NotFound(id.clone()))
    }

    /// Merchants newest first: every one for a platform role, only its own for a merchant role.
    pub async fn list(
        &self,
        by: &Principal,
        limit: Limit,
        starting_after: Option<ClientId>,
    ) -> Result<Page<Merchant>, MerchantError> {
        by.may(Action::ReadMerchants, None)
            .map_err(|_| MerchantError::Forbidden)?;
        if let Some(own) = by.merchant() {
            // The page of a one-item list: the item, unless the cursor is at or before it.
            let after_cursor = starting_after
                .as_ref()
                .is_none_or(|cursor| own.as_str() < cursor.as_str());
            let items = match after_cursor {
                true => self.store.find(own).await?.into_iter().collect(),
                false => Vec::new(),
            };
            return Ok(Page {
                items,
                has_more: false,
            });
        }
        Ok(Page::fetch(limit.get(), starting_after, |page| async move {
            self.store.list(&page).await
        })
        .await?)
    }

    /// Changes `returnUrl` and/or `clientName` (ADMIN, or the merchant's MERCHANT_ADMIN) and the
    /// settlement terms (ADMIN only). The URL follows the registration's rules; a change that
    /// changes nothing writes nothing.
    pub async fn update(
        &self,
        by: &Principal,
        id: &ClientId,
        change: &MerchantChange,
        origin: &RequestOrigin,
    ) -> Result<Merchant, MerchantError> {
        Self::allow(by, Action::UpdateMerchant, id)?;
        if change.touches_terms() {
            Self::allow(by, Action::SetSettlementTerms, id)?;
        }
        if let Some(url) = &change.return_url {
            self.check_return_url(url.as_ref())?;
        }
        let row = self.audit_row(by, audit_actions::UPDATED, id, origin);
        self.change(id, &row, &|m| Ok(m.changed(change))).await
    }

    /// Issues a new client secret (ADMIN, or the merchant's MERCHANT_ADMIN). For `grace` the
    /// old one keeps verifying signed requests too; with no grace it stops at once.
    pub async fn rotate_secret(
        &self,
        by: &Principal,
        id: &ClientId,
        grace: Grace,
        origin: &RequestOrigin,
    ) -> Result<(Merchant, Secret), MerchantError> {
        self.rotate(by, id, origin, Rotation::ClientSecret(grace))
            .await
    }

    /// Issues a new webhook secret (ADMIN, or the merchant's MERCHANT_ADMIN). For `grace` the
    /// old one keeps signing deliveries too (two `v1,` signatures), so merchants can switch
    /// without missing a webhook.
    pub async fn rotate_webhook_secret(
        &self,
        by: &Principal,
        id: &ClientId,
        grace: std::time::Duration,
        origin: &RequestOrigin,
    ) -> Result<(Merchant, Secret), MerchantError> {
        self.rotate(by, id, origin, Rotation::WebhookSecret(grace))
            .await
    }

    /// A rotation (ADMIN, or the merchant's MERCHANT_ADMIN): a new secret, sealed and put in
    /// place, the change audited. Answers the merchant as changed and the new secret, shown
    /// once.
    async fn rotate(
        &self,
        by: &Principal,
        id: &ClientId,
        origin: &RequestOrigin,
        rotation: Rotation,
    ) -> Result<(Merchant, Secret), MerchantError> {
        Self::allow(by, Action::RotateMerchantSecrets, id)?;
        let (secret, action) = match rotation {
            Rotation::ClientSecret(_) => (
                self.keys.client_secret(),
                audit_actions::CLIENT_SECRET_ROTATED,
            ),
            Rotation::WebhookSecret(_) => (
                self.keys.webhook_secret(),
                audit_actions::WEBHOOK_SECRET_ROTATED,
            ),
        };
        let sealed = self.cipher.seal(&secret)?;
        let now = self.clock.now();
        let row = self.audit_row(by, action, id, origin);
        let merchant = self
            .change(id, &row, &|m| {
                let (m, sealed) = (m.clone(), sealed.clone());
                Ok(Some(match rotation {
                    Rotation::ClientSecret(grace) => m.with_client_secret(sealed, grace, now),
                    Rotation::WebhookSecret(grace) => m.with_webhook_secret(sealed, grace, now),
                }))
            })
            .await?;
        Ok((merchant, secret))
    }

    /// Activates or deactivates a merchant (ADMIN); setting the status it has changes nothing.
    pub async fn set_status(
        &self,
        by: &Principal,
        id: &ClientId,
        status: MerchantStatus,
        origin: &RequestOrigin,
    ) -> Result<Merchant, MerchantError> {
        Self::allow(by, Action::SetMerchantStatus, id)?;
        let action = match status {
            MerchantStatus::Active => audit_actions::ACTIVATED,
            MerchantStatus::Inactive => audit_actions::DEACTIVATED,
        };
        let row = self.audit_row(by, action, id, origin);
        self.change(id, &row, &|m| {
            Ok((m.status != status).then(|| Merchant {
                status,
                ..m.clone()
            }))
        })
        .await
    }

    /// Reads the merchant, decides, and writes the next state by compare-and-set on its
    /// version with `audit` in the same transaction; a lost race reads again and decides again.
    async fn change(
        &self,
        id: &ClientId,
        audit: &OperatorAuditEntry,
        decide: &Decide<'_>,
    ) -> Result<Merchant, MerchantError> {
        for _ in 0..ATTEMPTS {
            let current = self.find(id).await?;
            let Some(mut next) = decide(&current)? else {
                return Ok(current);
            };
            next.updated_at = self.clock.now();
            next.version = current.version + 1;
            if self
                .store
                .update(&next, std::slice::from_ref(audit))
                .await?
            {
                return Ok(next);
            }
        }
        Err(MerchantError::Contended(id.clone()))
    }
}

#[cfg(test)]
#[path = "merchants_tests.rs"]
mod tests;
