//! Secrets. Plaintext secrets never show in `Debug`/`Display`; stored secrets are sealed.

use std::fmt;

/// A plaintext secret (client secret, webhook secret). Its `Debug` is redacted, it has no
/// `Display`, and the only way to read it is the explicit [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// A secret encrypted at rest by the [`crate::ports::SecretCipher`]: opaque bytes plus the
/// version of the key that sealed them (so keys can be rotated).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub key_version: u32,
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SealedSecret(v{}, {} bytes)",
            self.key_version,
            self.ciphertext.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_secret() {
        let s = Secret::new("sk_super_secret".into());
        assert!(!format!("{s:?}").contains("super"));
    }
}
