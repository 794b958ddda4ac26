use base64::{Engine, engine::general_purpose::STANDARD as B64};
use domain::{
    ports::{CipherError, SecretCipher},
    secret::{SealedSecret, Secret},
};
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};

/// A 256-bit key for sealing secrets, parsed from configuration (`ENCRYPTION_KEY`): standard
/// Base64 of 32 bytes, or 64 hex digits. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct EncryptionKey([u8; 32]);

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey([REDACTED])")
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "the encryption key must be 32 bytes, given as standard Base64 (44 characters) or 64 hex digits"
)]
pub struct EncryptionKeyError;

impl EncryptionKey {
    pub fn parse(raw: &str) -> Result<Self, EncryptionKeyError> {
        let raw = raw.trim();
        let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(raw).map_err(|_| EncryptionKeyError)?
        } else {
            B64.decode(raw).map_err(|_| EncryptionKeyError)?
        };
        bytes.try_into().map(Self).map_err(|_| EncryptionKeyError)
    }
}

/// AES-256-GCM with a fresh random 96-bit nonce per seal. The stored bytes are
/// `nonce ‖ ciphertext ‖ tag`; the key version is bound as associated data so a ciphertext can
/// not be replayed under another version's label.
pub struct AesGcmCipher {
    version: u32,
    key: LessSafeKey,
    rng: SystemRandom,
}

impl AesGcmCipher {
    pub fn new(version: u32, key: &EncryptionKey) -> Self {
        // AES_256_GCM takes exactly 32 bytes, which `EncryptionKey` guarantees.
        let unbound = match UnboundKey::new(&AES_256_GCM, &key.0) {
            Ok(k) => k,
            Err(_) => unreachable_key(),
        };
        Self {
            version,
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    fn aad(version: u32) -> [u8; 4] {
        version.to_be_bytes()
    }
}

#[cold]
fn unreachable_key() -> UnboundKey {
    #[expect(
        clippy::expect_used,
        reason = "a 32-byte key is always valid for AES-256-GCM"
    )]
    UnboundKey::new(&AES_256_GCM, &[0; 32]).expect("32-byte AES-256 key")
}

impl SecretCipher for AesGcmCipher {
    fn seal(&self, secret: &Secret) -> Result<SealedSecret, CipherError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| CipherError("the system random generator failed".into()))?;
        let mut buffer = secret.expose().as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(Self::aad(self.version)),
                &mut buffer,
            )
            .map_err(|_| CipherError("sealing failed".into()))?;
        let mut ciphertext = nonce.to_vec();
        ciphertext.extend_from_slice(&buffer);
        Ok(SealedSecret {
            key_version: self.version,
            ciphertext,
        })
    }

    fn open(&self, sealed: &SealedSecret) -> Result<Secret, CipherError> {
        if sealed.key_version != self.version {
            return Err(CipherError(format!(
                "secret sealed with key version {} but the configured key is version {}",
                sealed.key_version, self.version
            )));
        }
        if sealed.ciphertext.len() < NONCE_LEN {
            return Err(CipherError("sealed secret is truncated".into()));
        }
        let (nonce, body) = sealed.ciphertext.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| CipherError("bad nonce".into()))?;
        let mut buffer = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(Self::aad(sealed.key_version)), &mut buffer)
            .map_err(|_| {
                CipherError("the secret could not be decrypted (wrong ENCRYPTION_KEY?)".into())
            })?;
        String::from_utf8(plain.to_vec())
            .map(Secret::new)
            .map_err(|_| CipherError("secret is not UTF-8".into()))
    }

    fn key_version(&self) -> u32 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey([byte; 32])
    }

    #[test]
    fn a_sealed_secret_opens_to_the_original_and_does_not_contain_it() {
        let cipher = AesGcmCipher::new(1, &key(1));
        let sealed = cipher
            .seal(&Secret::new("sk_plaintext_value".into()))
            .unwrap();
        assert!(!sealed.ciphertext.windows(9).any(|w| w == b"plaintext"));
        assert_eq!(cipher.open(&sealed).unwrap().expose(), "sk_plaintext_value");
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let cipher = AesGcmCipher::new(1, &key(1));
        let s = Secret::new("same".into());
        assert_ne!(cipher.seal(&s).unwrap(), cipher.seal(&s).unwrap());
    }

    #[test]
    fn a_wrong_key_or_tampering_is_detected() {
        let sealed = AesGcmCipher::new(1, &key(1))
            .seal(&Secret::new("x".into()))
            .unwrap();
        assert!(AesGcmCipher::new(1, &key(2)).open(&sealed).is_err());
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.ciphertext.last_mut() {
            *last ^= 1;
        }
        assert!(AesGcmCipher::new(1, &key(1)).open(&tampered).is_err());
        assert!(AesGcmCipher::new(2, &key(1)).open(&sealed).is_err());
    }

    #[test]
    fn keys_parse_from_base64_or_hex_and_nothing_else() {
        assert!(EncryptionKey::parse(&B64.encode([7u8; 32])).is_ok());
        assert!(EncryptionKey::parse(&"ab".repeat(32)).is_ok());
        assert!(EncryptionKey::parse("too-short").is_err());
        assert!(EncryptionKey::parse(&B64.encode([7u8; 16])).is_err());
        assert_eq!(format!("{:?}", key(1)), "EncryptionKey([REDACTED])");
    }
}
