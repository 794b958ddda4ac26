//! Merchant requests built by hand, with the contract's own signer (`crate::signature`), so
//! that any signing header can be removed or tampered with before sending.

use awc::http::Method;
use simplepg_client::{fresh_nonce, now_millis};

use crate::signature;

use super::{Merchant, order};

/// A merchant request in the making: every header the signature involves can be set, removed
/// or tampered with before it is sent.
#[derive(Clone, Debug)]
pub struct Draft {
    pub method: Method,
    /// The path exactly as sent, without the query.
    pub path: String,
    /// The raw query string without `?`; `None` sends no `?` at all.
    pub query: Option<String>,
    pub body: Option<Vec<u8>>,
    pub content_type: Option<String>,
    pub client_id: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub signature: Option<String>,
    pub extra_headers: Vec<(String, String)>,
}

impl Draft {
    /// An unsigned request; a body gets `Content-Type: application/json`.
    pub fn new(method: Method, path_and_query: &str, body: Option<&str>) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
            None => (path_and_query.to_owned(), None),
        };
        Self {
            method,
            path,
            query,
            body: body.map(|b| b.as_bytes().to_vec()),
            content_type: body.map(|_| "application/json".to_owned()),
            client_id: None,
            timestamp: None,
            nonce: None,
            signature: None,
            extra_headers: Vec::new(),
        }
    }

    /// An unsigned `POST /api/payments` of a valid order that stays READY (see [`order`]).
    pub fn create(order_no: &str) -> Self {
        Self::new(
            Method::POST,
            "/api/payments",
            Some(&order(order_no).to_string()),
        )
    }

    /// Sets `X-Client-Id`, `X-Timestamp` (now), a fresh `X-Nonce` and the signature.
    pub fn signed_by(mut self, merchant: &Merchant) -> Self {
        self.client_id = Some(merchant.client_id.clone());
        self.timestamp = Some(now_millis().to_string());
        self.nonce = Some(fresh_nonce());
        self.sign_with(&merchant.client_secret)
    }

    /// Like [`Draft::signed_by`], but signed with a secret that is not the merchant's.
    pub fn signed_by_wrong_secret(self, merchant: &Merchant) -> Self {
        self.signed_by(merchant).sign_with("sk_wrong")
    }

    /// Recomputes `X-Signature` over the current method, path, query, timestamp, nonce and body.
    pub fn sign_with(mut self, secret: &str) -> Self {
        self.signature = Some(signature::sign(secret, &self.canonical_string()));
        self
    }

    /// What the client signs: the canonical string of the current method, path, query,
    /// timestamp, nonce and body, by the test's own signer.
    pub fn canonical_string(&self) -> String {
        signature::canonical_string(
            self.method.as_str(),
            &self.path,
            self.query.as_deref().unwrap_or(""),
            self.timestamp.as_deref().unwrap_or(""),
            self.nonce.as_deref().unwrap_or(""),
            self.body.as_deref().unwrap_or(b""),
        )
    }

    /// Re-dates the request by `offset_ms` from now, with a valid signature for the new time.
    pub fn dated(mut self, offset_ms: i64, secret: &str) -> Self {
        self.timestamp = Some((now_millis() + offset_ms).to_string());
        self.sign_with(secret)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.extra_headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The headers as they stand: the signing ones that are set, then the extra ones.
    pub fn headers(&self) -> Vec<(&str, &str)> {
        let named = [
            ("content-type", &self.content_type),
            ("x-client-id", &self.client_id),
            ("x-timestamp", &self.timestamp),
            ("x-nonce", &self.nonce),
            ("x-signature", &self.signature),
        ];
        let named = named
            .into_iter()
            .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)));
        let extra = self
            .extra_headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()));
        named.chain(extra).collect()
    }

    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }
}
