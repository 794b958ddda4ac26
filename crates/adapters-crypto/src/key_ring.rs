//! The keys that seal merchant secrets: one current key, which seals, and any number of retired
//! keys, which only open (so `ENCRYPTION_KEY` can be rotated without downtime, then the stored
//! secrets re-sealed by `simplepg reencrypt-secrets`).

use std::collections::BTreeMap;

use domain::{
    ports::{CipherError, SecretCipher},
    secret::{SealedSecret, Secret},
};

use crate::cipher::{AesGcmCipher, EncryptionKey, EncryptionKeyError};

/// A key and its version, parsed from the `version:key` form of the configuration
/// (`security.retired_encryption_keys`), e.g. `1:ZGV2ZWxv…=`.
#[derive(Clone, Debug)]
pub struct VersionedKey {
    pub version: u32,
    pub key: EncryptionKey,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error("a retired key must be written `version:key` with a positive version, e.g. `1:<key>`")]
    Format,
    #[error("retired key version {version}: {source}")]
    Key {
        version: u32,
        source: EncryptionKeyError,
    },
    #[error("key version {0} is configured twice")]
    DuplicateVersion(u32),
    #[error("key versions start at 1")]
    ZeroVersion,
}

impl VersionedKey {
    pub fn parse(raw: &str) -> Result<Self, KeyRingError> {
        let (version, key) = raw.trim().split_once(':').ok_or(KeyRingError::Format)?;
        let version: u32 = version.trim().parse().map_err(|_| KeyRingError::Format)?;
        let key =
            EncryptionKey::parse(key).map_err(|source| KeyRingError::Key { version, source })?;
        Ok(Self { version, key })
    }
}

/// Seals with the current key; opens with whichever configured key sealed the secret.
pub struct KeyRing {
    current: u32,
    ciphers: BTreeMap<u32, AesGcmCipher>,
}

impl KeyRing {
    pub fn new(
        current: VersionedKey,
        retired: impl IntoIterator<Item = VersionedKey>,
    ) -> Result<Self, KeyRingError> {
        let mut ciphers = BTreeMap::new();
        for k in std::iter::once(current.clone()).chain(retired) {
            if k.version == 0 {
                return Err(KeyRingError::ZeroVersion);
            }
            if ciphers
                .insert(k.version, AesGcmCipher::new(k.version, &k.key))
                .is_some()
            {
                return Err(KeyRingError::DuplicateVersion(k.version));
            }
        }
        Ok(Self {
            current: current.version,
            ciphers,
        })
    }

    fn cipher(&self, version: u32) -> Result<&AesGcmCipher, CipherError> {
        self.ciphers.get(&version).ok_or_else(|| {
            CipherError(format!(
                "secret sealed with key version {version}, which is not configured (current: {}; add it to security.retired_encryption_keys)",
                self.current
            ))
        })
    }
}

impl SecretCipher for KeyRing {
    fn seal(&self, secret: &Secret) -> Result<SealedSecret, CipherError> {
        self.cipher(self.current)?.seal(secret)
    }

    fn open(&self, sealed: &SealedSecret) -> Result<Secret, CipherError> {
        self.cipher(sealed.key_version)?.open(sealed)
    }

    fn key_version(&self) -> u32 {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::STANDARD as B64};

    use super::*;

    fn key(version: u32, byte: u8) -> VersionedKey {
        VersionedKey::parse(&format!("{version}:{}", B64.encode([byte; 32]))).unwrap()
    }

    #[test]
    fn the_ring_seals_with_the_current_key_and_opens_what_a_retired_key_sealed() {
        let old = KeyRing::new(key(1, 1), []).unwrap();
        let sealed_before = old.seal(&Secret::new("sk_before".into())).unwrap();

        let ring = KeyRing::new(key(2, 2), [key(1, 1)]).unwrap();
        assert_eq!(ring.open(&sealed_before).unwrap().expose(), "sk_before");
        let sealed_now = ring.seal(&Secret::new("sk_now".into())).unwrap();
        assert_eq!(sealed_now.key_version, 2);
        assert_eq!(ring.key_version(), 2);
        assert!(
            old.open(&sealed_now).is_err(),
            "the old key alone cannot open it"
        );
    }

    #[test]
    fn a_secret_under_a_version_not_configured_names_the_setting_to_fix() {
        let ring = KeyRing::new(key(2, 2), []).unwrap();
        let sealed = KeyRing::new(key(1, 1), [])
            .unwrap()
            .seal(&Secret::new("x".into()))
            .unwrap();
        let err = ring.open(&sealed).unwrap_err().to_string();
        assert!(
            err.contains("version 1") && err.contains("retired_encryption_keys"),
            "{err}"
        );
    }

    #[test]
    fn a_retired_key_under_the_wrong_version_label_does_not_open() {
        let sealed = KeyRing::new(key(1, 1), [])
            .unwrap()
            .seal(&Secret::new("x".into()))
            .unwrap();
        let mislabeled = KeyRing::new(key(2, 1), [key(1, 9)]).unwrap();
        assert!(mislabeled.open(&sealed).is_err());
    }

    #[test]
    fn malformed_or_conflicting_key_lists_are_refused() {
        assert!(matches!(
            VersionedKey::parse("no-version"),
            Err(KeyRingError::Format)
        ));
        assert!(matches!(
            VersionedKey::parse("x:abc"),
            Err(KeyRingError::Format)
        ));
        assert!(matches!(
            VersionedKey::parse("1:short"),
            Err(KeyRingError::Key { version: 1, .. })
        ));
        assert!(matches!(
            KeyRing::new(key(1, 1), [key(1, 2)]),
            Err(KeyRingError::DuplicateVersion(1))
        ));
        assert!(matches!(
            KeyRing::new(key(0, 1), []),
            Err(KeyRingError::ZeroVersion)
        ));
    }

    #[test]
    fn a_versioned_key_never_shows_its_bytes() {
        let debug = format!("{:?}", key(3, 7));
        assert!(
            debug.contains("REDACTED") && !debug.contains("Bwc"),
            "{debug}"
        );
    }
}
