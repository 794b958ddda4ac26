//! The merchant request signature of api.md §2, written from the contract alone.
//!
//! Deliberately independent of `domain::signing`: if the server's signer drifts from the
//! contract, these tests fail instead of agreeing with it.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The six-line canonical string: method (upper case), path, raw query (without `?`),
/// `X-Timestamp`, `X-Nonce`, lower-case hex SHA-256 of the raw body; joined by `\n`, no
/// trailing newline.
pub fn canonical_string(
    method: &str,
    path: &str,
    query: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    [
        method.to_ascii_uppercase().as_str(),
        path,
        query,
        timestamp,
        nonce,
        body_hash.as_str(),
    ]
    .join("\n")
}

/// Standard (padded) Base64 of HMAC-SHA256 keyed with the client secret's UTF-8 bytes.
pub fn sign(client_secret: &str, canonical: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(client_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(canonical.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The worked example of docs/signing.md, cross-checked with
/// `printf ... | openssl dgst -sha256 -hmac <secret> -binary | base64`.
#[test]
fn the_test_signer_reproduces_the_documented_examples() {
    let secret = "sk_Zk9vYmFyLWV4YW1wbGUtc2VjcmV0LWRvLW5vdC11c2U";
    let body = br#"{"orderNo":"ORDER-1001","amount":15000,"methodCode":"CARD","productName":"Coffee beans"}"#;
    let post = canonical_string(
        "post",
        "/api/payments",
        "",
        "1795507200000",
        "a1b2c3d4e5f60718293a4b5c",
        body,
    );
    assert_eq!(
        post,
        "POST\n/api/payments\n\n1795507200000\na1b2c3d4e5f60718293a4b5c\n\
         f99c804cc6c0bbd5859f8f808debd593797077c525a3c3976a9f7ef9c02491e4"
    );
    assert_eq!(
        sign(secret, &post),
        "muzhFlpksLNftTeWbcQB7d6skgZp+mAcQxyBMpe+iBY="
    );

    let get = canonical_string(
        "GET",
        "/api/payments",
        "status=READY&limit=5",
        "1795507200000",
        "0f1e2d3c4b5a69788796a5b4",
        b"",
    );
    assert!(get.ends_with("\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_eq!(
        sign(secret, &get),
        "AYQAUjfE1KeBztFEiq8pa+i8rMcQv+y6mCf/QMgorHY="
    );
}
