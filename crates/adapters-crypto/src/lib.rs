//! Cryptographic adapters: the AES-256-GCM [`AesGcmCipher`] (ring) that seals merchant secrets
//! at rest, the [`KeyRing`] of its current and retired keys (key rotation), the CSPRNG-backed
//! [`RandomKeyGenerator`] and [`OsAccountKeys`] that issue ids, secrets and session tokens, the
//! Argon2id [`Argon2PasswordHasher`] and the RFC 6238 [`RfcTotp`] of the people room.
#![forbid(unsafe_code)]

mod account_keys;
mod cipher;
mod generator;
mod key_ring;
mod password;
mod totp;

pub use account_keys::OsAccountKeys;
pub use cipher::{AesGcmCipher, EncryptionKey, EncryptionKeyError};
pub use generator::RandomKeyGenerator;
pub use key_ring::{KeyRing, KeyRingError, VersionedKey};
pub use password::{Argon2Params, Argon2PasswordHasher};
pub use totp::RfcTotp;
