//! A small local harness (independent of tests/api): server on port 0, admin calls, signed
//! merchant calls.

use std::{
    collections::HashMap,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_web::dev::ServerHandle;
use adapters_mysql::test_util::TestDatabase;
use awc::http::{Method, header::HeaderMap};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// config/test.toml's admin token.
pub const ADMIN_TOKEN: &str = "test-admin-token";

pub struct App {
    pub base: String,
    pub http: awc::Client,
    handle: ServerHandle,
    _db: TestDatabase,
}

pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub json: Value,
}

impl Response {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct Merchant {
    pub client_id: String,
    pub secret: String,
}

pub async fn spawn() -> App {
    spawn_with(&[]).await
}

pub async fn spawn_with(extra: &[(&str, &str)]) -> App {
    let db = TestDatabase::create().await;
    let env: HashMap<String, String> = [
        ("SIMPLEPG_PROFILE", "test"),
        ("SIMPLEPG__DATABASE__URL", db.url()),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let settings = app_server::Settings::load_from(&env).expect("the test profile loads");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let app = app_server::Application::build_with_listener(settings, listener)
        .await
        .expect("the server starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    App {
        base,
        http: awc::Client::builder()
            .disable_redirects()
            .timeout(Duration::from_secs(30))
            .finish(),
        handle,
        _db: db,
    }
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

impl App {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Response {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        for (n, v) in headers {
            req = req.insert_header((*n, *v));
        }
        let mut res = match body {
            Some(b) => req.send_body(b).await,
            None => req.send().await,
        }
        .unwrap_or_else(|e| panic!("{path}: no response: {e}"));
        let body = res.body().limit(4 << 20).await.unwrap().to_vec();
        Response {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            json: serde_json::from_slice(&body).unwrap_or(Value::Null),
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, &[], None).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let mut headers = vec![("authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.request(method, path, &headers, body.map(|b| b.to_string()))
            .await
    }

    pub async fn register(&self, name: &str) -> Merchant {
        let res = self
            .admin(
                Method::POST,
                "/admin/api/merchants",
                Some(json!({ "clientName": name })),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        Merchant {
            client_id: res.json["clientId"].as_str().unwrap().to_owned(),
            secret: res.json["clientSecret"].as_str().unwrap().to_owned(),
        }
    }

    /// A merchant request signed as docs/signing.md says.
    pub async fn signed(
        &self,
        m: &Merchant,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let body = body.map(|b| b.to_string());
        let ts = now_millis().to_string();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let hash = hex::encode(Sha256::digest(body.as_deref().unwrap_or("").as_bytes()));
        let canonical = [method.as_str(), path, "", &ts, &nonce, &hash].join("\n");
        let mut mac = Hmac::<Sha256>::new_from_slice(m.secret.as_bytes()).unwrap();
        mac.update(canonical.as_bytes());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let mut headers = vec![
            ("x-client-id", m.client_id.as_str()),
            ("x-timestamp", ts.as_str()),
            ("x-nonce", nonce.as_str()),
            ("x-signature", signature.as_str()),
        ];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.request(method, path, &headers, body).await
    }

    /// Creates a payment and returns its key.
    pub async fn pay(&self, m: &Merchant, order: &str, amount: i64) -> String {
        let res = self
            .signed(
                m,
                Method::POST,
                "/api/payments",
                Some(json!({ "orderNo": order, "amount": amount, "methodCode": "CARD" })),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        res.json["paymentKey"].as_str().unwrap().to_owned()
    }

    pub async fn status_of(&self, key: &str) -> String {
        let res = self
            .admin(Method::GET, &format!("/admin/api/payments/{key}"), None)
            .await;
        res.json["status"].as_str().unwrap_or("").to_owned()
    }

    /// Asks the simulator for an acquirer webhook; returns the simulator's own answer.
    pub async fn simulate(&self, key: &str, status: &str) -> Response {
        self.admin(
            Method::POST,
            "/admin/api/simulator/webhook",
            Some(json!({ "paymentKey": key, "status": status })),
        )
        .await
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// Asserts a 401 ADMIN_UNAUTHORIZED problem.
pub fn assert_admin_unauthorized(res: &Response, what: &str) {
    assert_eq!(res.status, 401, "{what}: {}", res.text());
    assert_eq!(res.json["code"], "ADMIN_UNAUTHORIZED", "{what}");
    assert!(
        res.header("content-type")
            .starts_with("application/problem+json"),
        "{what}"
    );
}
