//! Signing merchant requests (api.md §2) with the domain's canonical string (ADR 0006): this
//! module only chooses the timestamp and nonce and names the headers.

use std::time::{SystemTime, UNIX_EPOCH};

use domain::signing::CanonicalRequest;
use secrecy::{ExposeSecret, SecretString};

/// A merchant's credentials, able to sign any request. `Debug` never shows the secret.
#[derive(Clone, Debug)]
pub struct RequestSigner {
    client_id: String,
    client_secret: SecretString,
}

/// The four signing headers of one request, plus the canonical string they sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `X-Client-Id`.
    pub client_id: String,
    /// `X-Timestamp`: Unix milliseconds, decimal.
    pub timestamp: String,
    /// `X-Nonce`.
    pub nonce: String,
    /// `X-Signature`: padded standard Base64 of the HMAC-SHA256.
    pub signature: String,
    /// The six-line string the signature covers (for debugging a rejected signature).
    pub canonical_string: String,
}

impl SignedHeaders {
    /// `(header name, value)` for the four headers, as sent.
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            ("x-client-id", &self.client_id),
            ("x-timestamp", &self.timestamp),
            ("x-nonce", &self.nonce),
            ("x-signature", &self.signature),
        ]
    }
}

impl RequestSigner {
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
        }
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Signs a request with the given timestamp and nonce. `path_and_query` is exactly what is
    /// sent (`/api/payments?limit=5`); the query is everything after the first `?`.
    pub fn sign(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        timestamp_millis: i64,
        nonce: &str,
    ) -> SignedHeaders {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let timestamp = timestamp_millis.to_string();
        let request = CanonicalRequest {
            method,
            path,
            query,
            timestamp: &timestamp,
            nonce,
            body,
        };
        SignedHeaders {
            client_id: self.client_id.clone(),
            signature: request.sign(self.client_secret.expose_secret().as_bytes()),
            canonical_string: request.canonical_string(),
            timestamp,
            nonce: nonce.to_owned(),
        }
    }

    /// Signs a request now, with a fresh random nonce.
    pub fn sign_now(&self, method: &str, path_and_query: &str, body: &[u8]) -> SignedHeaders {
        self.sign(method, path_and_query, body, now_millis(), &fresh_nonce())
    }
}

/// The current Unix time in milliseconds (0 if the clock is before 1970).
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// 32 random lower-case hex characters: inside the nonce alphabet and length of api.md §2.
pub fn fresh_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> RequestSigner {
        RequestSigner::new(
            "mch_example",
            SecretString::from("sk_Zk9vYmFyLWV4YW1wbGUtc2VjcmV0LWRvLW5vdC11c2U"),
        )
    }

    /// The second worked example of docs/signing.md, with the query split off the path.
    #[test]
    fn the_signing_guide_get_example_signs_to_the_documented_value() {
        let headers = signer().sign(
            "GET",
            "/api/payments?status=READY&limit=5",
            b"",
            1_795_507_200_000,
            "0f1e2d3c4b5a69788796a5b4",
        );
        assert_eq!(
            headers.signature,
            "AYQAUjfE1KeBztFEiq8pa+i8rMcQv+y6mCf/QMgorHY="
        );
        assert_eq!(headers.timestamp, "1795507200000");
        assert!(
            headers
                .canonical_string
                .starts_with("GET\n/api/payments\nstatus=READY&limit=5\n")
        );
    }

    #[test]
    fn debug_output_never_shows_the_client_secret() {
        let shown = format!("{:?}", signer());
        assert!(!shown.contains("sk_Zk9v"), "{shown}");
        assert!(shown.contains("mch_example"));
    }

    #[test]
    fn signing_now_uses_the_current_millisecond_clock_and_a_fresh_nonce() {
        let before = now_millis();
        let (a, b) = (
            signer().sign_now("GET", "/x", b""),
            signer().sign_now("GET", "/x", b""),
        );
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.signature, b.signature);
        assert!((16..=64).contains(&a.nonce.len()));
        assert!(a.nonce.chars().all(|c| c.is_ascii_alphanumeric()));
        let sent: i64 = a.timestamp.parse().unwrap();
        assert!((before..=now_millis()).contains(&sent), "{sent}");
        assert_eq!(a.pairs()[0], ("x-client-id", "mch_example"));
    }
}
