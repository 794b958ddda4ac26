//! The console suite's harness, on the shared `test-support` crate: a server on port 0 over its
//! own fresh MariaDB database, admin calls and signed merchant calls.

use adapters_mysql::test_util::TestDatabase;
use awc::http::Method;
use serde_json::{Value, json};
pub use test_support::{ADMIN_TOKEN, Merchant, Reply as Response};
use test_support::{Api, Instance, net::loopback_listener, server_env};

/// A server and the database it runs on (the server stops first when dropped).
pub struct App {
    pub api: Instance,
    _db: TestDatabase,
}

pub async fn spawn() -> App {
    spawn_with(&[]).await
}

pub async fn spawn_with(extra: &[(&str, &str)]) -> App {
    let db = TestDatabase::create().await;
    let env = server_env(db.url(), extra);
    let api = Instance::start_with(env, loopback_listener(), Api::not_following_redirects).await;
    App { api, _db: db }
}

/// Starts a server with one merchant registered under `name`.
pub async fn spawn_with_merchant(name: &str) -> (App, Merchant) {
    let app = spawn().await;
    let merchant = app.register(name).await;
    (app, merchant)
}

impl App {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Response {
        let body = body.map(String::into_bytes);
        self.api
            .send(method.as_str(), path, headers, body)
            .await
            .unwrap()
    }

    /// A `GET` with exactly these headers.
    pub async fn get_with_headers(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.request(Method::GET, path, headers, None).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.api.get(path).await.unwrap()
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        self.api
            .admin(method.as_str(), path, body.as_ref())
            .await
            .unwrap()
    }

    pub async fn admin_get(&self, path: &str) -> Response {
        self.admin(Method::GET, path, None).await
    }

    pub async fn register(&self, name: &str) -> Merchant {
        self.api.register_merchant(name, None).await.unwrap()
    }

    /// Creates a payment and returns its key.
    pub async fn pay(&self, m: &Merchant, order: &str, amount: i64) -> String {
        let res = self.api.create_payment(m, order, amount).await.unwrap();
        assert_eq!(res.status, 201, "{}", res.text());
        res.json["paymentKey"].as_str().unwrap().to_owned()
    }

    /// Completes the payment as its merchant `m` (200 expected).
    pub async fn complete(&self, m: &Merchant, key: &str) {
        let done = self.api.complete(m, key).await.unwrap();
        assert_eq!(done.status, 200, "complete {key}: {}", done.text());
    }

    /// Cancels `amount` of the payment (all that is left when `None`) as its merchant `m`
    /// (200 expected).
    pub async fn cancel(&self, m: &Merchant, key: &str, reason: &str, amount: Option<i64>) {
        let res = self.api.cancel(m, key, reason, amount).await.unwrap();
        assert_eq!(res.status, 200, "cancel {key}: {}", res.text());
    }

    pub async fn status_of(&self, key: &str) -> String {
        let res = self.admin_get(&format!("/admin/api/payments/{key}")).await;
        res.json["status"].as_str().unwrap_or("").to_owned()
    }

    /// Asks the simulator for an acquirer webhook; returns the simulator's own answer.
    pub async fn simulate(&self, key: &str, status: &str) -> Response {
        self.simulate_with(json!({ "paymentKey": key, "status": status }))
            .await
    }

    /// Asks the simulator for an acquirer webhook described by `body`.
    pub async fn simulate_with(&self, body: Value) -> Response {
        self.admin(Method::POST, "/admin/api/simulator/webhook", Some(body))
            .await
    }

    /// Asks the simulator to send `body` to the mock acquirer's request endpoint.
    pub async fn mock_request(&self, body: Value) -> Response {
        self.admin(
            Method::POST,
            "/admin/api/simulator/mock-request",
            Some(body),
        )
        .await
    }

    /// `POST path` of `{}` as JSON, without any admin token.
    pub async fn post_empty_json_without_token(&self, path: &str) -> Response {
        let headers = [("content-type", "application/json")];
        self.request(Method::POST, path, &headers, Some("{}".into()))
            .await
    }

    pub async fn stop(&self) {
        self.api.server.kill().await;
    }
}

/// Asserts a 401 ADMIN_UNAUTHORIZED problem.
pub fn assert_admin_unauthorized(res: &Response, what: &str) {
    assert_eq!(res.status, 401, "{what}: {}", res.text());
    assert_eq!(res.json["code"], "ADMIN_UNAUTHORIZED", "{what}");
    assert!(
        res.header("content-type")
            .is_some_and(|t| t.starts_with("application/problem+json")),
        "{what}"
    );
}
