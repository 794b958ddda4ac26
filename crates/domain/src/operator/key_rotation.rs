//! Rotation of the encryption key that seals merchant secrets at rest (`ENCRYPTION_KEY`).
//!
//! Once every instance runs with the new key as current and the old one still known (the
//! cipher opens any configured version and seals with the current one), this re-seals every
//! stored secret under the current key. It is safe while the servers run: each merchant is
//! rewritten by compare-and-set on its old ciphertexts, so a secret rotated meanwhile is never
//! overwritten with the stale one; such a merchant is simply read again.

use std::sync::Arc;

use crate::{
    RepositoryError,
    ids::ClientId,
    merchant::{Merchant, PreviousSecret},
    ports::{CipherError, MerchantStore, SecretCipher},
    secret::SealedSecret,
    service_struct::service_struct,
    services::Page,
};

/// Merchants read per page while scanning.
const PAGE: u32 = 100;
/// Compare-and-set attempts per merchant before giving up on it.
const ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ReencryptionError {
    #[error("merchant {client_id}: {source}")]
    Cipher {
        client_id: ClientId,
        source: CipherError,
    },
    #[error("merchant {0} changed on every attempt while being re-encrypted; run it again")]
    Contended(ClientId),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The configured keys cannot open what the database holds: starting would give a server that
/// answers 500 to every signed call.
#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    #[error(
        "security.encryption_key cannot open the stored merchant secrets: merchant {client_id} holds a secret sealed with key version {version}, and {cause}. Fix: start with the ENCRYPTION_KEY those secrets were sealed with, or keep it as a retired key next to the new one (SIMPLEPG__SECURITY__RETIRED_ENCRYPTION_KEYS=\"{version}:<that key>\") and run `simplepg reencrypt-secrets` (docs/ops/runbook.md, key rotation)"
    )]
    WrongKey {
        client_id: ClientId,
        version: u32,
        cause: String,
    },
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// What a re-encryption pass did.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct ReencryptionReport {
    /// Merchants looked at.
    pub scanned: u64,
    /// Merchants whose secrets were re-sealed under the current key.
    pub resealed: u64,
    /// The current key version.
    pub key_version: u32,
}

impl Merchant {
    /// Every secret this merchant holds sealed.
    pub fn sealed_secrets(&self) -> impl Iterator<Item = &SealedSecret> {
        [&self.client_secret, &self.webhook_secret]
            .into_iter()
            .chain(self.previous_client_secret.as_ref().map(|p| &p.secret))
            .chain(self.previous_webhook_secret.as_ref().map(|p| &p.secret))
    }

    /// True when any of its secrets is sealed under a key other than `version`.
    pub fn sealed_under_other_key(&self, version: u32) -> bool {
        self.sealed_secrets().any(|s| s.key_version != version)
    }
}

service_struct! {
    pub struct KeyRotationService {
        store: Arc<dyn MerchantStore>,
        cipher: Arc<dyn SecretCipher>,
    }
    pub fn new;
}

impl KeyRotationService {
    /// The merchants that still hold a secret sealed under another key than the current one
    /// (after a complete pass: none; then the old key can be removed from the configuration).
    pub async fn stale(&self) -> Result<Vec<ClientId>, RepositoryError> {
        let version = self.cipher.key_version();
        let mut stale = Vec::new();
        let mut cursor = None;
        loop {
            let (merchants, next) = self.page_after(cursor).await?;
            stale.extend(
                merchants
                    .into_iter()
                    .filter(|m| m.sealed_under_other_key(version))
                    .map(|m| m.client_id),
            );
            match next {
                Some(_) => cursor = next,
                None => return Ok(stale),
            }
        }
    }

    /// Proves the configured keys open what is stored: one secret of every key version in use
    /// is opened. Run at start-up, so a well-formed but wrong `ENCRYPTION_KEY` stops the server
    /// with the cause and the fix instead of failing every signed call.
    pub async fn verify_key(&self) -> Result<(), KeyCheckError> {
        let current = self.cipher.key_version();
        let mut verified: Vec<u32> = Vec::new();
        let mut cursor = None;
        loop {
            let (merchants, next) = self.page_after(cursor).await?;
            for merchant in &merchants {
                for sealed in merchant.sealed_secrets() {
                    if verified.contains(&sealed.key_version) {
                        continue;
                    }
                    if let Err(e) = self.cipher.open(sealed) {
                        let cause = if sealed.key_version == current {
                            format!(
                                "the configured key (version {current}) is not the key it was sealed with ({e})"
                            )
                        } else {
                            format!("no configured key opens it ({e})")
                        };
                        return Err(KeyCheckError::WrongKey {
                            client_id: merchant.client_id.clone(),
                            version: sealed.key_version,
                            cause,
                        });
                    }
                    verified.push(sealed.key_version);
                }
            }
            match next {
                Some(_) => cursor = next,
                None => return Ok(()),
            }
        }
    }

    /// Re-seals every secret not sealed under the current key.
    pub async fn reencrypt_all(&self) -> Result<ReencryptionReport, ReencryptionError> {
        let mut report = ReencryptionReport {
            key_version: self.cipher.key_version(),
            ..ReencryptionReport::default()
        };
        let mut cursor = None;
        loop {
            let (merchants, next) = self.page_after(cursor).await?;
            for merchant in merchants {
                report.scanned += 1;
                report.resealed += u64::from(self.reencrypt(merchant).await?);
            }
            match next {
                Some(_) => cursor = next,
                None => return Ok(report),
            }
        }
    }

    /// Re-seals one merchant; false when it was already current.
    async fn reencrypt(&self, mut merchant: Merchant) -> Result<bool, ReencryptionError> {
        let version = self.cipher.key_version();
        for _ in 0..ATTEMPTS {
            if !merchant.sealed_under_other_key(version) {
                return Ok(false);
            }
            let resealed =
                self.resealed(&merchant)
                    .map_err(|source| ReencryptionError::Cipher {
                        client_id: merchant.client_id.clone(),
                        source,
                    })?;
            // No audit row: re-sealing changes no secret, only the key that wraps it.
            if self
                .store
                .replace_secrets(&merchant, &resealed, &[])
                .await?
            {
                return Ok(true);
            }
            // Rotated or re-encrypted by someone else meanwhile: look again.
            match self.store.find(&merchant.client_id).await? {
                Some(fresh) => merchant = fresh,
                None => return Ok(false),
            }
        }
        Err(ReencryptionError::Contended(merchant.client_id))
    }

    fn resealed(&self, merchant: &Merchant) -> Result<Merchant, CipherError> {
        let reseal = |sealed: &SealedSecret| self.cipher.seal(&self.cipher.open(sealed)?);
        let reseal_previous = |previous: &Option<PreviousSecret>| {
            previous
                .as_ref()
                .map(|p| {
                    Ok::<_, CipherError>(PreviousSecret {
                        secret: reseal(&p.secret)?,
                        until: p.until,
                    })
                })
                .transpose()
        };
        Ok(Merchant {
            client_secret: reseal(&merchant.client_secret)?,
            webhook_secret: reseal(&merchant.webhook_secret)?,
            previous_client_secret: reseal_previous(&merchant.previous_client_secret)?,
            previous_webhook_secret: reseal_previous(&merchant.previous_webhook_secret)?,
            version: merchant.version + 1,
            ..merchant.clone()
        })
    }

    /// One page of merchants older than `before`, and the cursor of the next page (`None`
    /// after the last one).
    async fn page_after(
        &self,
        before: Option<ClientId>,
    ) -> Result<(Vec<Merchant>, Option<ClientId>), RepositoryError> {
        let page = Page::fetch(
            PAGE,
            before,
            |page| async move { self.store.list(&page).await },
        )
        .await?;
        let next = page.next_cursor(|last| last.client_id.clone());
        Ok((page.items, next))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{
        merchant::{ClientName, MerchantStatus},
        ports::MockMerchantStore,
        secret::Secret,
        services::testkit::{open_reversed, sealed_reversed as sealed, t0},
    };

    /// Seals by reversing the bytes and stamping `current`; opens any version it knows.
    struct RingCipher {
        current: u32,
        known: Vec<u32>,
    }

    /// Key 2 is current; key 1 still opens.
    fn ring() -> RingCipher {
        RingCipher {
            current: 2,
            known: vec![1, 2],
        }
    }

    impl SecretCipher for RingCipher {
        fn seal(&self, secret: &Secret) -> Result<SealedSecret, CipherError> {
            Ok(sealed(self.current, secret.expose()))
        }

        fn open(&self, sealed: &SealedSecret) -> Result<Secret, CipherError> {
            if !self.known.contains(&sealed.key_version) {
                return Err(CipherError(format!("unknown key {}", sealed.key_version)));
            }
            open_reversed(sealed)
        }

        fn key_version(&self) -> u32 {
            self.current
        }
    }

    /// A store whose every page lists `merchants`.
    fn listing(merchants: Vec<Merchant>) -> MockMerchantStore {
        let mut store = MockMerchantStore::new();
        store
            .expect_list()
            .returning(move |_| Ok(merchants.clone()));
        store
    }

    fn merchant(id: &str, version: u32) -> Merchant {
        Merchant {
            client_id: ClientId::parse(id).unwrap(),
            client_name: ClientName::parse("Shop").unwrap(),
            client_secret: sealed(version, "sk_client"),
            webhook_secret: sealed(version, "whsec_new"),
            previous_client_secret: Some(PreviousSecret {
                secret: sealed(version, "sk_client_old"),
                until: t0(),
            }),
            previous_webhook_secret: Some(PreviousSecret {
                secret: sealed(version, "whsec_old"),
                until: t0(),
            }),
            return_url: None,
            status: MerchantStatus::Active,
            terms: Default::default(),
            created_at: t0(),
            updated_at: t0(),
            version: 4,
        }
    }

    fn service(store: MockMerchantStore) -> KeyRotationService {
        KeyRotationService::new(Arc::new(store), Arc::new(ring()))
    }

    fn opened(m: &Merchant) -> Vec<(u32, String)> {
        let cipher = ring();
        m.sealed_secrets()
            .map(|s| (s.key_version, cipher.open(s).unwrap().expose().to_owned()))
            .collect()
    }

    #[tokio::test]
    async fn every_secret_under_an_old_key_is_resealed_under_the_current_one_with_the_same_plaintext()
     {
        let mut store = listing(vec![merchant("mch_old", 1), merchant("mch_current", 2)]);
        let written = Arc::new(Mutex::new(Vec::new()));
        let log = written.clone();
        store
            .expect_replace_secrets()
            .returning(move |expected, resealed, audit| {
                assert!(audit.is_empty(), "re-sealing is no audited change");
                log.lock()
                    .unwrap()
                    .push((expected.clone(), resealed.clone()));
                Ok(true)
            });
        let report = service(store).reencrypt_all().await.unwrap();

        assert_eq!(
            report,
            ReencryptionReport {
                scanned: 2,
                resealed: 1,
                key_version: 2
            }
        );
        let written = written.lock().unwrap();
        assert_eq!(written.len(), 1, "the current merchant is not rewritten");
        let (expected, resealed) = &written[0];
        assert_eq!(expected, &merchant("mch_old", 1));
        assert_eq!(
            opened(resealed),
            vec![
                (2, "sk_client".to_owned()),
                (2, "whsec_new".to_owned()),
                (2, "sk_client_old".to_owned()),
                (2, "whsec_old".to_owned())
            ],
            "the previous client secret is re-sealed too"
        );
        assert_eq!(resealed.updated_at, expected.updated_at);
        assert_eq!(resealed.version, expected.version + 1);
    }

    #[tokio::test]
    async fn a_merchant_rotated_during_the_pass_is_read_again_and_its_new_secret_is_kept() {
        let mut store = listing(vec![merchant("mch_a", 1)]);
        let mut rotated = merchant("mch_a", 1);
        rotated.client_secret = sealed(2, "sk_rotated");
        let fresh = rotated.clone();
        store
            .expect_find()
            .times(1)
            .returning(move |_| Ok(Some(fresh.clone())));
        let mut calls = 0;
        let written = Arc::new(Mutex::new(None));
        let log = written.clone();
        store
            .expect_replace_secrets()
            .times(2)
            .returning(move |_, resealed, _| {
                calls += 1;
                *log.lock().unwrap() = Some(resealed.clone());
                Ok(calls == 2)
            });
        let report = service(store).reencrypt_all().await.unwrap();

        assert_eq!(report.resealed, 1);
        let resealed = written.lock().unwrap().clone().unwrap();
        assert_eq!(opened(&resealed)[0], (2, "sk_rotated".to_owned()));
    }

    #[tokio::test]
    async fn a_secret_under_a_key_no_longer_configured_is_an_error_naming_the_merchant_and_nothing_is_written()
     {
        let mut store = listing(vec![merchant("mch_lost", 7)]);
        store.expect_replace_secrets().never();
        let err = service(store).reencrypt_all().await.unwrap_err();
        assert!(err.to_string().contains("mch_lost"), "{err}");
    }

    #[tokio::test]
    async fn the_key_check_passes_when_every_key_version_in_use_opens() {
        let store = listing(vec![merchant("mch_old", 1), merchant("mch_new", 2)]);
        service(store).verify_key().await.unwrap();
    }

    #[tokio::test]
    async fn the_key_check_names_the_merchant_the_version_and_the_fix_when_a_key_is_missing() {
        let store = listing(vec![merchant("mch_new", 2), merchant("mch_lost", 7)]);
        let err = service(store).verify_key().await.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("mch_lost") && msg.contains("version 7"),
            "{msg}"
        );
        assert!(msg.contains("RETIRED_ENCRYPTION_KEYS"), "{msg}");
    }

    #[tokio::test]
    async fn the_key_check_of_an_empty_database_passes() {
        let store = listing(vec![]);
        service(store).verify_key().await.unwrap();
    }

    #[tokio::test]
    async fn a_merchant_that_changes_on_every_attempt_is_reported_as_contended() {
        let mut store = listing(vec![merchant("mch_busy", 1)]);
        store
            .expect_find()
            .returning(|_| Ok(Some(merchant("mch_busy", 1))));
        store
            .expect_replace_secrets()
            .times(ATTEMPTS)
            .returning(|_, _, _| Ok(false));
        let err = service(store).reencrypt_all().await.unwrap_err();
        assert!(matches!(err, ReencryptionError::Contended(_)), "{err}");
    }

    #[tokio::test]
    async fn every_page_is_scanned_and_stale_lists_only_merchants_under_other_keys() {
        let mut store = MockMerchantStore::new();
        store.expect_list().returning(|page| {
            // 2.5 pages: ids m000..m249, newest (highest) first.
            let start = page
                .before
                .as_ref()
                .map_or(250, |c| c.as_str()[4..].parse::<usize>().unwrap());
            Ok((0..start)
                .rev()
                .take(page.limit as usize + 1)
                .map(|i| merchant(&format!("mch_{i:03}"), if i % 100 == 7 { 1 } else { 2 }))
                .collect())
        });
        let stale = service(store).stale().await.unwrap();
        let ids: Vec<_> = stale.iter().map(|c| c.as_str().to_owned()).collect();
        assert_eq!(ids, vec!["mch_207", "mch_107", "mch_007"]);
    }
}
