//! Cryptographic adapters (ring): the AES-256-GCM [`AesGcmCipher`] that seals merchant secrets
//! at rest, and the CSPRNG-backed [`RandomKeyGenerator`] that issues ids and secrets.
#![forbid(unsafe_code)]

mod cipher;
mod generator;

pub use cipher::{AesGcmCipher, EncryptionKey, EncryptionKeyError};
pub use generator::RandomKeyGenerator;
