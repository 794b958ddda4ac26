//! Cryptographic adapters (ring): the AES-256-GCM [`AesGcmCipher`] that seals merchant secrets
//! at rest, the [`KeyRing`] of its current and retired keys (key rotation), and the
//! CSPRNG-backed [`RandomKeyGenerator`] that issues ids and secrets.
#![forbid(unsafe_code)]

mod cipher;
mod generator;
mod key_ring;

pub use cipher::{AesGcmCipher, EncryptionKey, EncryptionKeyError};
pub use generator::RandomKeyGenerator;
pub use key_ring::{KeyRing, KeyRingError, VersionedKey};
