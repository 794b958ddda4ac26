//! A client for a server under test: any request, admin requests with the test profile's token,
//! merchant requests signed by the client crate's signer, and acquirer webhooks signed with
//! Standard Webhooks. Every reply is read whole.

use std::time::Duration;

use awc::http::{Method, header::HeaderMap};
use domain::signing::WebhookKey;
use serde_json::{Value, json};

use crate::{Merchant, profile::ADMIN_TOKEN, wait::poll};

/// Why a request got no readable reply (or not the one a helper needs).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0:?} is not an HTTP method")]
    Method(String),
    #[error("{path}: no response: {reason}")]
    Send { path: String, reason: String },
    #[error("{path}: unreadable body: {reason}")]
    Body { path: String, reason: String },
    #[error("{what} answered {status}: {body}")]
    Status {
        what: String,
        status: u16,
        body: String,
    },
    #[error("{path} did not answer 200 within {timeout:?}; last: {last}")]
    NotUp {
        path: String,
        timeout: Duration,
        last: String,
    },
}

/// The largest body a reply is read up to.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// A reply, read whole.
#[derive(Debug)]
pub struct Reply {
    /// The path the request was sent to (without the query): what a problem's `instance` is.
    pub path: String,
    pub status: u16,
    pub headers: HeaderMap,
    /// The body parsed as JSON; `Value::Null` when it is empty or not JSON.
    pub json: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<&str> {
        self.header("retry-after")
    }

    /// `X-Request-Id` ("" when absent).
    pub fn request_id(&self) -> &str {
        self.header("x-request-id").unwrap_or("")
    }

    /// A problem's `code` ("" when there is none).
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The items of a listing's `data` (none when it has no `data` list).
    pub fn data(&self) -> &[Value] {
        self.json["data"].as_array().map_or(&[], Vec::as_slice)
    }

    /// `errors[].field` of a validation problem.
    pub fn error_fields(&self) -> Vec<String> {
        self.strings_of("errors", "field")
    }

    /// `data[].paymentKey` of a listing.
    pub fn keys(&self) -> Vec<String> {
        self.strings_of("data", "paymentKey")
    }

    fn strings_of(&self, array: &str, field: &str) -> Vec<String> {
        self.json[array]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item[field].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The body of a card payment create: `{orderNo, amount, methodCode: CARD}`.
pub fn order_body(order_no: &str, amount: i64) -> String {
    json!({ "orderNo": order_no, "amount": amount, "methodCode": "CARD" }).to_string()
}

/// An HTTP client bound to one server's base URL (and its admin token: the test profile's
/// unless [`Api::with_admin_token`] says otherwise).
#[derive(Clone)]
pub struct Api {
    base: String,
    http: awc::Client,
    admin_token: String,
}

impl Api {
    /// A client with a 30 s timeout that follows redirects (awc's default).
    pub fn new(base: impl Into<String>) -> Self {
        Self::with_http(
            base,
            awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish(),
        )
    }

    /// A client with a 30 s timeout that shows redirects instead of following them.
    pub fn not_following_redirects(base: impl Into<String>) -> Self {
        Self::with_http(
            base,
            awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(30))
                .finish(),
        )
    }

    pub fn with_http(base: impl Into<String>, http: awc::Client) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            http,
            admin_token: ADMIN_TOKEN.to_owned(),
        }
    }

    /// The same client with another admin token (a server not on the test profile).
    #[must_use]
    pub fn with_admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = token.into();
        self
    }

    /// `http://host:port`, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The underlying client, for requests the helpers do not cover.
    pub fn http(&self) -> &awc::Client {
        &self.http
    }

    /// Sends any request: `headers` verbatim, `body` as given (no content type added).
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Reply, Error> {
        let method =
            Method::from_bytes(method.as_bytes()).map_err(|_| Error::Method(method.to_owned()))?;
        let path = path_and_query
            .split_once('?')
            .map_or(path_and_query, |(p, _)| p)
            .to_owned();
        // A connection that could not be made sent nothing: it is tried once more (under a
        // loaded CI the client's connector now and then reports itself disconnected).
        let mut attempt = 0;
        let sent = loop {
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path_and_query}", self.base));
            for (name, value) in headers {
                req = req.insert_header((*name, *value));
            }
            let sent = match &body {
                Some(body) => req.send_body(body.clone()).await,
                None => req.send().await,
            };
            match sent {
                Err(awc::error::SendRequestError::Connect(_)) if attempt == 0 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                other => break other,
            }
        };
        let mut res = sent.map_err(|e| Error::Send {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let raw = res
            .body()
            .limit(BODY_LIMIT)
            .await
            .map_err(|e| Error::Body {
                path: path.clone(),
                reason: e.to_string(),
            })?
            .to_vec();
        Ok(Reply {
            path,
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            json: serde_json::from_slice(&raw).unwrap_or(Value::Null),
            raw,
        })
    }

    /// An unsigned `GET`.
    pub async fn get(&self, path_and_query: &str) -> Result<Reply, Error> {
        self.send("GET", path_and_query, &[], None).await
    }

    /// A request with a JSON body (if any) and the given `Authorization` header (if any).
    pub async fn authorized(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        authorization: Option<&str>,
    ) -> Result<Reply, Error> {
        let mut headers = Vec::new();
        if let Some(auth) = authorization {
            headers.push(("authorization", auth));
        }
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let body = body.map(|b| b.to_string().into_bytes());
        self.send(method, path, &headers, body).await
    }

    /// An admin request with the admin bearer token.
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, Error> {
        let auth = format!("Bearer {}", self.admin_token);
        self.authorized(method, path, body, Some(&auth)).await
    }

    /// A merchant request signed now by `merchant` (a body is sent as JSON), plus `extra`
    /// headers (such as `Idempotency-Key`).
    pub async fn signed(
        &self,
        merchant: &Merchant,
        method: &str,
        path_and_query: &str,
        body: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Result<Reply, Error> {
        let bytes = body.unwrap_or("").as_bytes();
        let signed = merchant.signer().sign_now(method, path_and_query, bytes);
        let mut headers = signed.pairs().to_vec();
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        headers.extend_from_slice(extra);
        self.send(
            method,
            path_and_query,
            &headers,
            body.map(|b| b.as_bytes().to_vec()),
        )
        .await
    }

    /// `POST /api/payments` of `{orderNo, amount, methodCode: CARD}`, signed by `merchant`.
    pub async fn create_payment(
        &self,
        merchant: &Merchant,
        order_no: &str,
        amount: i64,
    ) -> Result<Reply, Error> {
        let body = order_body(order_no, amount);
        self.signed(merchant, "POST", "/api/payments", Some(&body), &[])
            .await
    }

    /// [`Api::create_payment`] that must answer 201; the new payment's key.
    pub async fn created_payment_key(
        &self,
        merchant: &Merchant,
        order_no: &str,
        amount: i64,
    ) -> Result<String, Error> {
        let reply = self.create_payment(merchant, order_no, amount).await?;
        match reply.json["paymentKey"].as_str() {
            Some(key) if reply.status == 201 => Ok(key.to_owned()),
            _ => Err(Error::Status {
                what: format!("creating {order_no}"),
                status: reply.status,
                body: reply.text(),
            }),
        }
    }

    /// `POST /api/webhook/payment` signed with `key` (Standard Webhooks), dated now.
    pub async fn acquirer_webhook(
        &self,
        key: &WebhookKey,
        id: &str,
        body: &str,
    ) -> Result<Reply, Error> {
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = key.sign(id, timestamp, body.as_bytes());
        let timestamp = timestamp.to_string();
        let headers = [
            ("content-type", "application/json"),
            ("webhook-id", id),
            ("webhook-timestamp", timestamp.as_str()),
            ("webhook-signature", signature.as_str()),
        ];
        self.send(
            "POST",
            "/api/webhook/payment",
            &headers,
            Some(body.as_bytes().to_vec()),
        )
        .await
    }

    /// Registers a merchant through the admin API (`201` expected) and returns its credentials.
    pub async fn register_merchant(
        &self,
        name: &str,
        return_url: Option<&str>,
    ) -> Result<Merchant, Error> {
        let mut body = json!({ "clientName": name });
        if let Some(url) = return_url {
            body["returnUrl"] = json!(url);
        }
        let reply = self
            .admin("POST", "/admin/api/merchants", Some(&body))
            .await?;
        if reply.status != 201 {
            return Err(Error::Status {
                what: format!("registering {name}"),
                status: reply.status,
                body: reply.text(),
            });
        }
        let field = |name: &str| reply.json[name].as_str().unwrap_or_default().to_owned();
        Ok(Merchant {
            client_id: field("clientId"),
            client_secret: field("clientSecret"),
            webhook_secret: field("webhookSecret"),
        })
    }

    /// Polls `GET path` every `every` until it answers 200, for at most `timeout`.
    pub async fn wait_until_ok(
        &self,
        path: &str,
        timeout: Duration,
        every: Duration,
    ) -> Result<(), Error> {
        poll(timeout, every, || async {
            match self.get(path).await {
                Ok(reply) if reply.status == 200 => Ok(()),
                Ok(reply) => Err(format!("{} {}", reply.status, reply.text())),
                Err(e) => Err(e.to_string()),
            }
        })
        .await
        .map_err(|last| Error::NotUp {
            path: path.to_owned(),
            timeout,
            last,
        })
    }
}
