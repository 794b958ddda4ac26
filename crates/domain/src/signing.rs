//! The two signature schemes of the contract, as pure functions:
//!
//! * merchant requests (api.md §2): HMAC-SHA256 over a six-line canonical string, Base64;
//! * webhooks in both directions (api.md §4, §5, §7): Standard Webhooks v1.
//!
//! Every comparison of a presented signature is constant-time (`Mac::verify_slice`).

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::validation::Invalid;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC accepts keys of every length; this arm is unreachable.
        Err(_) => unreachable_hmac(),
    }
}

#[cold]
fn unreachable_hmac() -> HmacSha256 {
    #[expect(
        clippy::expect_used,
        reason = "HMAC-SHA256 accepts keys of any length, including empty ones"
    )]
    <HmacSha256 as KeyInit>::new_from_slice(b"x").expect("a 1-byte HMAC key is valid")
}

/// Lower-case hex SHA-256 of `bytes` (the sixth canonical line).
pub fn sha256_hex(bytes: &[u8]) -> String {
    lower_hex(&Sha256::digest(bytes).into())
}

/// Lower-case hex of 32 bytes, encoded into a stack buffer: `hex::encode` collects the string
/// one `char` at a time, which cost about 4 % of a create's instructions (docs/benchmarks.md).
pub(crate) fn lower_hex(bytes: &[u8; 32]) -> String {
    let mut buf = [0u8; 64];
    match hex::encode_to_slice(bytes, &mut buf).map(|()| std::str::from_utf8(&buf)) {
        Ok(Ok(hex)) => hex.to_owned(),
        _ => hex::encode(bytes),
    }
}

/// The inputs of a merchant request signature, exactly as sent on the wire.
#[derive(Clone, Copy, Debug)]
pub struct CanonicalRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub body: &'a [u8],
}

impl CanonicalRequest<'_> {
    /// `METHOD\npath\nquery\ntimestamp\nnonce\nhex(sha256(body))`, no trailing newline.
    pub fn canonical_string(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method.to_ascii_uppercase(),
            self.path,
            self.query,
            self.timestamp,
            self.nonce,
            sha256_hex(self.body)
        )
    }

    /// Standard Base64 (padded) of HMAC-SHA256(secret, canonical string).
    pub fn sign(&self, secret: &[u8]) -> String {
        let mut m = mac(secret);
        m.update(self.canonical_string().as_bytes());
        B64.encode(m.finalize().into_bytes())
    }

    /// Constant-time check of a presented `X-Signature`.
    pub fn verify(&self, secret: &[u8], signature_b64: &str) -> bool {
        let Ok(presented) = B64.decode(signature_b64.trim()) else {
            return false;
        };
        let mut m = mac(secret);
        m.update(self.canonical_string().as_bytes());
        m.verify_slice(&presented).is_ok()
    }
}

/// A Standard Webhooks signing key: `whsec_` followed by the Base64 of at least 24 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookKey(Vec<u8>);

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey([REDACTED])")
    }
}

impl WebhookKey {
    pub const PREFIX: &'static str = "whsec_";

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let encoded = raw
            .strip_prefix(Self::PREFIX)
            .ok_or_else(|| Invalid::new("must start with whsec_"))?;
        let bytes = B64
            .decode(encoded)
            .map_err(|_| Invalid::new("must be whsec_ followed by standard Base64"))?;
        if bytes.len() < 24 {
            return Err(Invalid::new("must encode at least 24 bytes"));
        }
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The `whsec_...` form.
    pub fn to_whsec(&self) -> String {
        format!("{}{}", Self::PREFIX, B64.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp_secs: i64, body: &[u8]) -> HmacSha256 {
        let mut m = mac(&self.0);
        m.update(id.as_bytes());
        m.update(b".");
        m.update(timestamp_secs.to_string().as_bytes());
        m.update(b".");
        m.update(body);
        m
    }

    /// One `v1,<base64>` signature of `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp_secs: i64, body: &[u8]) -> String {
        format!(
            "v1,{}",
            B64.encode(self.mac(id, timestamp_secs, body).finalize().into_bytes())
        )
    }

    /// True when one of the space-separated `v1,` signatures in `header` was made with this key.
    pub fn verify(&self, id: &str, timestamp_secs: i64, body: &[u8], header: &str) -> bool {
        header
            .split(' ')
            .filter_map(|sig| sig.strip_prefix("v1,"))
            .any(|b64| match B64.decode(b64) {
                Ok(presented) => self
                    .mac(id, timestamp_secs, body)
                    .verify_slice(&presented)
                    .is_ok(),
                Err(_) => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> CanonicalRequest<'static> {
        CanonicalRequest {
            method: "POST",
            path: "/api/payments",
            query: "",
            timestamp: "1795507200000",
            nonce: "n0nce-0123456789ab",
            body: br#"{"orderNo":"ORDER-1","amount":15000,"methodCode":"CARD"}"#,
        }
    }

    #[test]
    fn the_canonical_string_has_six_lines_and_no_trailing_newline() {
        let s = example().canonical_string();
        let lines: Vec<&str> = s.split('\n').collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[0], "POST");
        assert_eq!(lines[2], "");
        assert_eq!(lines[5].len(), 64);
        assert!(!s.ends_with('\n'));
    }

    /// The worked example of docs/signing.md; if this fails, the guide is wrong.
    #[test]
    fn the_signing_guide_worked_example_holds() {
        let body = br#"{"orderNo":"ORDER-1001","amount":15000,"methodCode":"CARD","productName":"Coffee beans"}"#;
        let req = CanonicalRequest {
            method: "POST",
            path: "/api/payments",
            query: "",
            timestamp: "1795507200000",
            nonce: "a1b2c3d4e5f60718293a4b5c",
            body,
        };
        assert_eq!(
            req.canonical_string(),
            "POST\n/api/payments\n\n1795507200000\na1b2c3d4e5f60718293a4b5c\n\
             f99c804cc6c0bbd5859f8f808debd593797077c525a3c3976a9f7ef9c02491e4"
        );
        assert_eq!(
            req.sign(b"sk_Zk9vYmFyLWV4YW1wbGUtc2VjcmV0LWRvLW5vdC11c2U"),
            "muzhFlpksLNftTeWbcQB7d6skgZp+mAcQxyBMpe+iBY="
        );
        let get = CanonicalRequest {
            method: "GET",
            path: "/api/payments",
            query: "status=READY&limit=5",
            timestamp: "1795507200000",
            nonce: "0f1e2d3c4b5a69788796a5b4",
            body: b"",
        };
        assert_eq!(
            get.sign(b"sk_Zk9vYmFyLWV4YW1wbGUtc2VjcmV0LWRvLW5vdC11c2U"),
            "AYQAUjfE1KeBztFEiq8pa+i8rMcQv+y6mCf/QMgorHY="
        );
    }

    #[test]
    fn an_empty_body_hashes_to_the_sha256_of_nothing() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_signature_verifies_only_with_the_same_secret_and_inputs() {
        let sig = example().sign(b"sk_secret");
        assert!(example().verify(b"sk_secret", &sig));
        assert!(!example().verify(b"sk_other", &sig));
        let tampered = CanonicalRequest {
            query: "x=1",
            ..example()
        };
        assert!(!tampered.verify(b"sk_secret", &sig));
        assert!(!example().verify(b"sk_secret", "not base64!"));
    }

    proptest::proptest! {
        #[test]
        fn lower_hex_is_hex_encode(bytes in proptest::prelude::any::<[u8; 32]>()) {
            proptest::prop_assert_eq!(lower_hex(&bytes), hex::encode(bytes));
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mut m = mac(b"Jefe");
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn standard_webhooks_reference_vector_verifies() {
        // Test vector from the Standard Webhooks reference libraries.
        let key = WebhookKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let sig = key.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(key.verify(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            body,
            &format!("v1,bogus {sig}")
        ));
        assert!(!key.verify("msg_other", 1_614_265_330, body, &sig));
    }

    #[test]
    fn webhook_keys_need_the_prefix_and_enough_bytes() {
        assert!(WebhookKey::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(WebhookKey::parse("whsec_c2hvcnQ=").is_err());
    }
}
