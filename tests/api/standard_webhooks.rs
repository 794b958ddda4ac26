//! Standard Webhooks (https://www.standardwebhooks.com), written from the specification alone:
//! the acquirer's webhooks we send to the server and the merchant notifications we receive from
//! it are signed and verified here.
//!
//! Deliberately independent of `domain::signing`: if the server's signer drifts from the
//! specification, these tests fail instead of agreeing with it.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The acquirer's shared secret of config/test.toml.
pub use test_support::ACQUIRER_SECRET;

/// How far `webhook-timestamp` may be from our clock (the specification's 5 minutes).
pub const TOLERANCE_SECS: i64 = 300;

/// The HMAC key: the Base64-decoded part after `whsec_`.
fn key(secret: &str) -> Vec<u8> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    STANDARD
        .decode(encoded)
        .unwrap_or_else(|e| panic!("{secret:?} is not whsec_ + Base64: {e}"))
}

fn mac(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&key(secret)).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// `v1,` + Base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, id, &timestamp.to_string(), body)
        .finalize()
        .into_bytes();
    format!("v1,{}", STANDARD.encode(digest))
}

pub fn now_secs() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since.as_secs()).expect("seconds fit in i64")
}

/// Why a delivery did not verify.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    MissingHeader(&'static str),
    BadTimestamp(String),
    Stale(i64),
    NoMatchingSignature,
}

/// The positions (0-based) of the space-separated `v1,` signatures in `signature_header` that
/// are valid for `secret`. Constant-time comparison.
pub fn matching_signatures(
    secret: &str,
    id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
) -> Vec<usize> {
    signature_header
        .split(' ')
        .enumerate()
        .filter_map(|(i, sig)| {
            let encoded = sig.strip_prefix("v1,")?;
            let raw = STANDARD.decode(encoded).ok()?;
            mac(secret, id, timestamp, body)
                .verify_slice(&raw)
                .is_ok()
                .then_some(i)
        })
        .collect()
}

/// Verifies a delivery the way a receiver must: all three headers present, the timestamp within
/// the tolerance of `now`, and at least one `v1` signature valid for `secret`.
pub fn verify_at(
    secret: &str,
    id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Rejected> {
    let id = id.ok_or(Rejected::MissingHeader("webhook-id"))?;
    let ts = timestamp.ok_or(Rejected::MissingHeader("webhook-timestamp"))?;
    let signature = signature.ok_or(Rejected::MissingHeader("webhook-signature"))?;
    let secs: i64 = ts
        .parse()
        .map_err(|_| Rejected::BadTimestamp(ts.to_owned()))?;
    if (now - secs).abs() > TOLERANCE_SECS {
        return Err(Rejected::Stale(secs));
    }
    if matching_signatures(secret, id, ts, signature, body).is_empty() {
        return Err(Rejected::NoMatchingSignature);
    }
    Ok(())
}

/// A fresh random `whsec_` secret (32 random bytes), for "signed with another key".
pub fn random_secret() -> String {
    let bytes: Vec<u8> = uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::new_v4().as_bytes())
        .copied()
        .collect();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The reference vector published by Standard Webhooks (and quoted in docs/webhooks.md).
#[test]
fn the_test_signer_reproduces_the_standard_webhooks_reference_vector() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    let body = br#"{"test": 2432232314}"#;
    let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    assert_eq!(sign(secret, id, 1_614_265_330, body), expected);

    let at = |now| {
        verify_at(
            secret,
            Some(id),
            Some("1614265330"),
            Some(expected),
            body,
            now,
        )
    };
    assert_eq!(at(1_614_265_330), Ok(()));
    assert_eq!(at(1_614_265_330 + 300), Ok(()));
    assert_eq!(at(1_614_265_330 + 301), Err(Rejected::Stale(1_614_265_330)));
    assert_eq!(at(1_614_265_330 - 301), Err(Rejected::Stale(1_614_265_330)));

    let several = format!("v1,bm90LWl0 v1a,whatever {expected}");
    assert_eq!(
        matching_signatures(secret, id, "1614265330", &several, body),
        vec![2]
    );
    assert_eq!(
        verify_at(
            secret,
            Some(id),
            Some("1614265330"),
            Some(expected),
            br#"{"test": 2432232315}"#,
            1_614_265_330
        ),
        Err(Rejected::NoMatchingSignature)
    );
    assert_eq!(
        verify_at(
            &random_secret(),
            Some(id),
            Some("1614265330"),
            Some(expected),
            body,
            1_614_265_330
        ),
        Err(Rejected::NoMatchingSignature)
    );
    assert_eq!(
        verify_at(secret, None, Some("1"), Some(expected), body, 1),
        Err(Rejected::MissingHeader("webhook-id"))
    );
}
