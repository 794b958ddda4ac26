//! Fuzzes everything that parses attacker-controlled signing input: the merchant signing
//! headers and canonical-string parts, and the Standard Webhooks headers.
//! Run: `cargo +nightly fuzz run signing_headers -- -max_total_time=60` (from `fuzz/`).
#![no_main]

use domain::{
    ids::{ClientId, Nonce},
    signing::{CanonicalRequest, WebhookKey},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(7, '\n');
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let query = parts.next().unwrap_or_default();
    let timestamp = parts.next().unwrap_or_default();
    let nonce = parts.next().unwrap_or_default();
    let signature = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let _ = ClientId::parse(method);
    let _ = Nonce::parse(nonce);
    let request = CanonicalRequest { method, path, query, timestamp, nonce, body: body.as_bytes() };
    let _ = request.canonical_string();
    assert!(!request.verify(b"sk_fuzz", signature) || signature.trim() == request.sign(b"sk_fuzz"));
    if let Ok(key) = WebhookKey::parse(signature) {
        let _ = key.verify(path, timestamp.parse().unwrap_or(0), body.as_bytes(), query);
    }
    let key = WebhookKey::from_bytes(b"0123456789abcdef01234567");
    let _ = key.verify(path, 0, body.as_bytes(), signature);
});
