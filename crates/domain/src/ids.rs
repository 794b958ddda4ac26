//! Identifiers. Each can only hold a well-formed value; `parse` is the only way in from outside.

use std::fmt;

use uuid::Uuid;

use crate::validation::{Invalid, checked_string, url_safe_token, visible_ascii};

checked_string!(
    /// A merchant's public identifier (`X-Client-Id`): 1–64 chars of `[A-Za-z0-9_-]`.
    /// Issued ids look like `mch_` + 32 hex digits of a UUIDv7, so they sort by creation time.
    ClientId,
    |raw| url_safe_token(raw, 1, 64)
);

impl ClientId {
    /// Builds the canonical issued form from a UUIDv7.
    pub fn from_uuid(id: Uuid) -> Self {
        Self(format!("mch_{}", id.simple()))
    }
}

checked_string!(
    /// The merchant-facing payment identifier: 64 lower-case hex characters (256 random bits).
    PaymentKey,
    |raw| {
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if raw.len() == 64 && raw.bytes().all(lower_hex) {
            Ok(())
        } else {
            Err(Invalid::new("must be 64 lower-case hex characters"))
        }
    }
);

impl PaymentKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(crate::signing::lower_hex(&bytes))
    }
}

checked_string!(
    /// The acquirer's transaction reference: 1–128 visible ASCII characters.
    TransactionId,
    |raw| visible_ascii(raw, 128)
);

checked_string!(
    /// Correlation id of one HTTP request (`X-Request-Id`): 1–128 visible ASCII characters.
    RequestId,
    |raw| visible_ascii(raw, 128)
);

impl RequestId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id.to_string())
    }
}

checked_string!(
    /// `X-Nonce`: 16–64 chars of `[A-Za-z0-9_-]`, unique per request.
    Nonce,
    |raw| url_safe_token(raw, 16, 64)
);

/// Declares a newtype over a UUIDv7 (so values sort by creation time), built from and read back
/// as a [`Uuid`]; its text form and `parse` come with each type.
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub struct $name(Uuid);

        impl $name {
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }
    };
}

uuid_id!(
    /// Internal primary key of a payment: a UUIDv7, so ids sort by creation time.
    PaymentId
);

impl PaymentId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Uuid::parse_str(raw)
            .map(Self)
            .map_err(|_| Invalid::new("must be a UUID"))
    }
}

impl fmt::Display for PaymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

uuid_id!(
    /// Identifier of an outbox event: a UUIDv7. It is the `webhook-id` of every delivery attempt
    /// of the event, so receivers can de-duplicate retries.
    EventId
);

impl EventId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.strip_prefix("evt_").unwrap_or(raw);
        Uuid::parse_str(raw)
            .map(Self)
            .map_err(|_| Invalid::new("must be an event id"))
    }
}

/// `evt_` + 32 hex digits.
impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "evt_{}", self.0.simple())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::assert_parser;

    #[test]
    fn a_payment_key_must_be_lower_case_hex_of_length_64() {
        assert_parser(
            PaymentKey::parse,
            &[&"a".repeat(64)],
            &[&"A".repeat(64), &"a".repeat(63), &"g".repeat(64)],
        );
    }

    #[test]
    fn a_nonce_needs_16_to_64_url_safe_characters() {
        assert_parser(
            Nonce::parse,
            &["abcdefghij012345"],
            &["short", &"x".repeat(65), "abcdefghij01234/"],
        );
    }

    #[test]
    fn issued_client_ids_parse_back() {
        let id = ClientId::from_uuid(Uuid::now_v7());
        assert_eq!(ClientId::parse(id.as_str()).unwrap(), id);
        assert_parser(ClientId::parse, &[], &["", "has space"]);
    }
}
