//! The harness: a real SimplePG server on port 0 over a fresh database (MariaDB, or a SQLite file
//! when `SIMPLEPG_TEST_STORE=sqlite`), an HTTP client,
//! signed and deliberately mis-signed merchant requests, and assertions on problem details.
//!
//! Ordinary merchant and admin calls of the happy paths go through the merchant client crate
//! (`simplepg_client`), so it is exercised against the real server by every test; requests that
//! tamper with signatures or headers are built with the harness's own [`Draft`] and signer.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_web::dev::ServerHandle;
use adapters_mysql::test_util::TestDatabase;
use awc::http::{Method, header::HeaderMap};
use serde_json::{Value, json};
use simplepg_client::{
    AdminClient, Client, CreatePayment, ListPayments, MethodCode, NewMerchant, Payment,
    SecretString, secrecy::ExposeSecret,
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::signature;

/// Environment variable choosing the store the suite runs on: `mysql` (default) or `sqlite`.
pub const STORE_VAR: &str = "SIMPLEPG_TEST_STORE";

/// True when this run uses SQLite (`SIMPLEPG_TEST_STORE=sqlite`).
pub fn on_sqlite() -> bool {
    std::env::var(STORE_VAR).is_ok_and(|v| v.eq_ignore_ascii_case("sqlite"))
}

/// For tests that only make sense on MySQL: true (and says why on stderr) when running on
/// SQLite, so the test returns early.
pub fn skip_on_sqlite(why: &str) -> bool {
    let skip = on_sqlite();
    if skip {
        eprintln!("skipped on SQLite: {why}");
    }
    skip
}

/// A fresh migrated test database of the store chosen by [`STORE_VAR`].
pub enum TestDb {
    Mysql(TestDatabase),
    Sqlite(SqliteFile),
}

/// A migrated SQLite file in its own temporary directory, deleted on drop.
pub struct SqliteFile {
    dir: std::path::PathBuf,
    url: String,
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestDb {
    pub async fn create() -> Self {
        if !on_sqlite() {
            return Self::Mysql(TestDatabase::create().await);
        }
        let dir = std::env::temp_dir().join(format!(
            "simplepg-api-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let url = format!("sqlite://{}", dir.join("simplepg.db").display());
        adapters_sqlite::run_migrations(&url)
            .await
            .expect("migrating the SQLite test database");
        Self::Sqlite(SqliteFile { dir, url })
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Mysql(db) => db.url(),
            Self::Sqlite(f) => &f.url,
        }
    }

    /// The MySQL database (tests that call this skip themselves on SQLite first).
    pub fn mysql(&self) -> &TestDatabase {
        match self {
            Self::Mysql(db) => db,
            Self::Sqlite(_) => panic!("this test needs MySQL; it should skip_on_sqlite()"),
        }
    }
}

/// The admin token of config/test.toml.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// An amount whose last three digits are `002`: the mock acquirer (api.md §6) accepts it and
/// never answers, so a payment with it stays READY whatever the acquirer integration does.
pub const STAYS_READY: i64 = 15_002;

/// One running server (and the database it shares with any other instance on it).
///
/// Each instance runs on its own thread with its own actix system, so that stopping or dropping
/// it ends everything it runs — HTTP workers, the outbox dispatcher, the sweepers — with their
/// database connections, as when a process dies. (On the test's own thread, the background
/// tasks would outlive `stop()`, and a transaction they left open would make the blocking
/// `DROP DATABASE` of `TestDatabase`'s `Drop` wait for a metadata lock forever.)
pub struct TestApp {
    pub base_url: String,
    pub db: Arc<TestDb>,
    pub admin_token: String,
    pub http: awc::Client,
    pub handle: ServerHandle,
    thread: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// A registered merchant with the secrets shown at registration.
#[derive(Clone, Debug)]
pub struct Merchant {
    pub client_id: String,
    pub client_secret: String,
    pub webhook_secret: String,
}

/// A response, read whole.
#[derive(Debug)]
pub struct ApiResponse {
    /// The path the request was sent to (without the query): what `instance` must be.
    pub path: String,
    pub status: u16,
    pub headers: HeaderMap,
    /// The body parsed as JSON; `Value::Null` when it is empty or not JSON.
    pub json: Value,
    pub raw: Vec<u8>,
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// `errors[].field` of a validation problem.
    pub fn error_fields(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn request_id(&self) -> &str {
        self.header("x-request-id").unwrap_or("")
    }

    /// `data[].paymentKey` of a listing.
    pub fn keys(&self) -> Vec<String> {
        self.json["data"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|p| p["paymentKey"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

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

    /// Sets `X-Client-Id`, `X-Timestamp` (now), a fresh `X-Nonce` and the signature.
    pub fn signed_by(mut self, merchant: &Merchant) -> Self {
        self.client_id = Some(merchant.client_id.clone());
        self.timestamp = Some(now_millis().to_string());
        self.nonce = Some(fresh_nonce());
        self.sign_with(&merchant.client_secret)
    }

    /// Recomputes `X-Signature` over the current method, path, query, timestamp, nonce and body.
    pub fn sign_with(mut self, secret: &str) -> Self {
        let canonical = signature::canonical_string(
            self.method.as_str(),
            &self.path,
            self.query.as_deref().unwrap_or(""),
            self.timestamp.as_deref().unwrap_or(""),
            self.nonce.as_deref().unwrap_or(""),
            self.body.as_deref().unwrap_or(b""),
        );
        self.signature = Some(signature::sign(secret, &canonical));
        self
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

    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }
}

pub fn now_millis() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since_epoch.as_millis()).expect("milliseconds fit in i64")
}

/// 32 random characters of `[0-9a-f]`, inside the 16–64 `[A-Za-z0-9_-]` of api.md §2.
pub fn fresh_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Starts a server on a fresh migrated database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(Arc::new(TestDb::create().await)).await
}

/// Starts another server instance on an existing database (replay protection across instances).
pub async fn spawn_app_on(db: Arc<TestDb>) -> TestApp {
    spawn_app_with(db, &[]).await
}

/// Starts a server on `db` with extra configuration variables (`SIMPLEPG__...`).
pub async fn spawn_app_with(db: Arc<TestDb>, extra_env: &[(&str, &str)]) -> TestApp {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    spawn_app_on_listener(db, extra_env, listener).await
}

/// The environment of a test server: the test profile on `db_url`, plus `extra_env`.
pub fn test_env(db_url: &str, extra_env: &[(&str, &str)]) -> HashMap<String, String> {
    [
        ("SIMPLEPG_PROFILE", "test"),
        ("SIMPLEPG__DATABASE__URL", db_url),
    ]
    .iter()
    .chain(extra_env)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// Like [`spawn_app_with`] on a listener bound beforehand (so its URL can be configured into
/// another instance before this one starts).
pub async fn spawn_app_on_listener(
    db: Arc<TestDb>,
    extra_env: &[(&str, &str)],
    listener: std::net::TcpListener,
) -> TestApp {
    let env = test_env(db.url(), extra_env);
    let (started_tx, started) = tokio::sync::oneshot::channel::<Result<_, String>>();
    let thread = std::thread::Builder::new()
        .name("simplepg-under-test".to_owned())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let built = match app_server::Settings::load_from(&env) {
                    Ok(settings) => {
                        app_server::Application::build_with_listener(settings, listener).await
                    }
                    Err(e) => Err(e),
                };
                match built {
                    Ok(app) => {
                        let _ = started_tx.send(Ok((app.port(), app.handle())));
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => {
                        let _ = started_tx.send(Err(format!("{e:#}")));
                    }
                }
            });
        })
        .expect("a thread for the server");
    let (port, handle) = match started.await {
        Ok(Ok(started)) => started,
        Ok(Err(e)) => panic!("the application did not start: {e}"),
        Err(_) => panic!("the application's thread died while starting"),
    };
    TestApp {
        base_url: format!("http://127.0.0.1:{port}"),
        db,
        admin_token: ADMIN_TOKEN.to_owned(),
        http: awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish(),
        handle,
        thread: std::sync::Mutex::new(Some(thread)),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends its command at once; the future only waits for completion. The server's
        // thread then ends on its own (it needs nothing from this one), closing its connections.
        drop(self.handle.stop(false));
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl TestApp {
    /// Stops this instance gracefully, with its background workers (its database stays).
    pub async fn stop(&self) {
        self.handle.stop(true).await;
        self.wait_for_thread().await;
    }

    /// Stops this instance at once: in-flight requests and deliveries are dropped, nothing is
    /// finished or recorded (a crash, as far as the database and the network can tell).
    pub async fn kill(&self) {
        self.handle.stop(false).await;
        self.wait_for_thread().await;
    }

    async fn wait_for_thread(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let ended = {
                let mut slot = self
                    .thread
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match slot.take() {
                    None => true,
                    Some(thread) if thread.is_finished() => {
                        let _ = thread.join();
                        true
                    }
                    Some(thread) => {
                        *slot = Some(thread);
                        false
                    }
                }
            };
            if ended {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server's thread did not end"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends any request: `headers` verbatim, `body` as given (no content type added).
    pub async fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> ApiResponse {
        let mut req = self
            .http
            .request(method, format!("{}{path_and_query}", self.base_url));
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let sent = match body {
            Some(body) => req.send_body(body).await,
            None => req.send().await,
        };
        let mut res = sent.unwrap_or_else(|e| panic!("{path_and_query}: no response: {e}"));
        let raw = res
            .body()
            .limit(4 * 1024 * 1024)
            .await
            .unwrap_or_else(|e| panic!("{path_and_query}: unreadable body: {e}"))
            .to_vec();
        let path = path_and_query
            .split_once('?')
            .map_or(path_and_query, |(p, _)| p)
            .to_owned();
        ApiResponse {
            path,
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            json: serde_json::from_slice(&raw).unwrap_or(Value::Null),
            raw,
        }
    }

    pub async fn get(&self, path_and_query: &str) -> ApiResponse {
        self.raw(Method::GET, path_and_query, &[], None).await
    }

    /// Sends a draft exactly as it stands.
    pub async fn send(&self, draft: &Draft) -> ApiResponse {
        let mut headers: Vec<(&str, &str)> = Vec::new();
        let named = [
            ("content-type", &draft.content_type),
            ("x-client-id", &draft.client_id),
            ("x-timestamp", &draft.timestamp),
            ("x-nonce", &draft.nonce),
            ("x-signature", &draft.signature),
        ];
        for (name, value) in &named {
            if let Some(value) = value {
                headers.push((name, value.as_str()));
            }
        }
        for (name, value) in &draft.extra_headers {
            headers.push((name.as_str(), value.as_str()));
        }
        self.raw(
            draft.method.clone(),
            &draft.path_and_query(),
            &headers,
            draft.body.clone(),
        )
        .await
    }

    /// A correctly signed merchant request.
    pub async fn signed(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&str>,
        merchant: &Merchant,
    ) -> ApiResponse {
        self.send(&Draft::new(method, path_and_query, body).signed_by(merchant))
            .await
    }

    /// An admin request with the right bearer token.
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> ApiResponse {
        let auth = format!("Bearer {}", self.admin_token);
        self.admin_with(method, path, body, Some(&auth)).await
    }

    /// An admin request with the given `Authorization` header (or none).
    pub async fn admin_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        authorization: Option<&str>,
    ) -> ApiResponse {
        let mut headers = Vec::new();
        if let Some(auth) = authorization {
            headers.push(("authorization", auth));
        }
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let body = body.map(|b| b.to_string().into_bytes());
        self.raw(method, path, &headers, body).await
    }

    /// The merchant client crate, for `merchant`'s calls to this instance.
    pub fn client(&self, merchant: &Merchant) -> Client {
        Client::new(
            &self.base_url,
            merchant.client_id.as_str(),
            SecretString::from(merchant.client_secret.as_str()),
        )
        .expect("a client for the test server")
    }

    /// The client crate's admin client, with the right token.
    pub fn admin_client(&self) -> AdminClient {
        AdminClient::new(
            &self.base_url,
            SecretString::from(self.admin_token.as_str()),
        )
        .expect("an admin client for the test server")
    }

    /// Registers a merchant through the admin API (the client crate's `AdminClient`) and returns
    /// its credentials.
    pub async fn register_merchant(&self, name: &str, return_url: &str) -> Merchant {
        self.register(name, Some(return_url)).await
    }

    async fn register(&self, name: &str, return_url: Option<&str>) -> Merchant {
        let registered = self
            .admin_client()
            .register_merchant(&NewMerchant {
                client_name: name.to_owned(),
                return_url: return_url.map(str::to_owned),
            })
            .await
            .unwrap_or_else(|e| panic!("registering {name}: {e}"));
        assert_eq!(registered.client_name, name);
        assert_eq!(registered.return_url.as_deref(), return_url);
        Merchant {
            client_id: registered.client_id,
            client_secret: registered.client_secret.expose_secret().to_owned(),
            webhook_secret: registered.webhook_secret.expose_secret().to_owned(),
        }
    }

    /// A merchant for tests that need just one.
    pub async fn merchant(&self) -> Merchant {
        self.register_merchant("Test Shop", "https://shop.example/notify")
            .await
    }

    /// `POST /api/payments` with this JSON body, correctly signed.
    pub async fn create_payment(&self, merchant: &Merchant, body: &Value) -> ApiResponse {
        self.signed(
            Method::POST,
            "/api/payments",
            Some(&body.to_string()),
            merchant,
        )
        .await
    }

    /// Creates a payment that stays READY (through the client crate) and returns it.
    pub async fn ready_payment(&self, merchant: &Merchant, order_no: &str) -> Payment {
        self.client(merchant)
            .create_payment(&CreatePayment::new(order_no, STAYS_READY, MethodCode::Card))
            .await
            .unwrap_or_else(|e| panic!("create {order_no}: {e}"))
    }

    /// `GET /api/payments?{query}` (no `?` for an empty query).
    pub async fn list_payments(&self, merchant: &Merchant, query: &str) -> ApiResponse {
        let path = if query.is_empty() {
            "/api/payments".to_owned()
        } else {
            format!("/api/payments?{query}")
        };
        self.signed(Method::GET, &path, None, merchant).await
    }

    /// Every payment of the merchant (up to 100), newest first, through the client crate.
    pub async fn all_payments(&self, merchant: &Merchant) -> Vec<Payment> {
        let query = ListPayments {
            limit: Some(100),
            ..ListPayments::default()
        };
        self.client(merchant)
            .list_payments(&query)
            .await
            .unwrap_or_else(|e| panic!("listing the payments of {}: {e}", merchant.client_id))
            .data
    }

    pub async fn get_payment(&self, merchant: &Merchant, key: &str) -> ApiResponse {
        self.signed(Method::GET, &format!("/api/payments/{key}"), None, merchant)
            .await
    }

    pub async fn cancel(&self, merchant: &Merchant, key: &str, reason: &str) -> ApiResponse {
        let body = json!({ "cancelReason": reason }).to_string();
        self.signed(
            Method::POST,
            &format!("/api/payments/{key}/cancel"),
            Some(&body),
            merchant,
        )
        .await
    }

    pub async fn logs(&self, merchant: &Merchant, key: &str) -> ApiResponse {
        self.signed(
            Method::GET,
            &format!("/api/payments/{key}/logs"),
            None,
            merchant,
        )
        .await
    }
}

/// A valid create body that stays READY.
pub fn order(order_no: &str) -> Value {
    json!({ "orderNo": order_no, "amount": STAYS_READY, "methodCode": "CARD" })
}

/// Asserts an RFC 9457 problem with SimplePG's fields (api.md §1): status, content type, `code`,
/// `status`, `title`, `instance` (the request path) and `requestId` (= `X-Request-Id`).
#[track_caller]
pub fn assert_problem(res: &ApiResponse, status: u16, code: &str) {
    let text = res.text();
    assert_eq!(res.status, status, "status of {}: {text}", res.path);
    let content_type = res.header("content-type").unwrap_or("");
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type:?}: {text}"
    );
    assert_eq!(res.code(), code, "code: {text}");
    assert_eq!(
        res.json["status"].as_u64(),
        Some(u64::from(status)),
        "status field: {text}"
    );
    assert!(
        res.json["title"].as_str().is_some_and(|t| !t.is_empty()),
        "title: {text}"
    );
    assert!(res.json["type"].is_string(), "type: {text}");
    assert_eq!(
        res.json["instance"].as_str(),
        Some(res.path.as_str()),
        "instance: {text}"
    );
    let request_id = res.request_id();
    assert!(!request_id.is_empty(), "no X-Request-Id header");
    assert_eq!(
        res.json["requestId"].as_str(),
        Some(request_id),
        "requestId: {text}"
    );
}

/// Asserts 400 VALIDATION_FAILED whose `errors[].field` names `field`.
#[track_caller]
pub fn assert_invalid_field(res: &ApiResponse, field: &str) {
    assert_problem(res, 400, "VALIDATION_FAILED");
    let fields = res.error_fields();
    assert!(
        fields.iter().any(|f| f == field),
        "errors should name {field:?}, got {fields:?}: {}",
        res.text()
    );
    for e in res.json["errors"].as_array().into_iter().flatten() {
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "every error has a message: {}",
            res.text()
        );
    }
}

/// Asserts an RFC 3339 UTC timestamp with a `Z` and returns it parsed.
#[track_caller]
pub fn assert_timestamp(value: &Value) -> OffsetDateTime {
    let raw = value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a timestamp string"));
    assert!(raw.ends_with('Z'), "{raw} must be UTC with a Z");
    OffsetDateTime::parse(raw, &Rfc3339).unwrap_or_else(|e| panic!("{raw} is not RFC 3339: {e}"))
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("formattable")
}

/// Polls `probe` every 50 ms until it returns `Ok`, for at most `timeout`; then fails the test
/// with `what` and the last `Err` (what was seen instead).
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(seen) if std::time::Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen: {seen}")
            }
            Err(_) => actix_web::rt::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The usual deadline of a wait for something the server does in the background.
pub const WAIT: Duration = Duration::from_secs(10);

/// `action` of every audit row, oldest first.
pub fn actions(logs: &[Value]) -> Vec<String> {
    logs.iter()
        .map(|l| l["action"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// The audit rows with this `action`.
pub fn rows<'a>(logs: &'a [Value], action: &str) -> Vec<&'a Value> {
    logs.iter().filter(|l| l["action"] == action).collect()
}

/// Anything that names a payment: a JSON payment object or the client crate's `Payment`.
pub trait PaymentKeyed {
    fn payment_key(&self) -> String;
}

impl PaymentKeyed for Value {
    fn payment_key(&self) -> String {
        self["paymentKey"]
            .as_str()
            .unwrap_or_else(|| panic!("no paymentKey in {self}"))
            .to_owned()
    }
}

impl PaymentKeyed for Payment {
    fn payment_key(&self) -> String {
        self.payment_key.clone()
    }
}

/// `paymentKey` of a payment.
pub fn key_of(payment: &impl PaymentKeyed) -> String {
    payment.payment_key()
}

/// `statusCode` of every attempt of a delivery, in order.
pub fn attempt_codes(delivery: &Value) -> Vec<Option<u64>> {
    delivery["attempts"]
        .as_array()
        .map(|a| a.iter().map(|x| x["statusCode"].as_u64()).collect())
        .unwrap_or_default()
}

impl TestApp {
    /// Registers a merchant with no `returnUrl` (it gets no notifications).
    pub async fn register_merchant_without_return_url(&self, name: &str) -> Merchant {
        self.register(name, None).await
    }

    /// Creates a payment of `amount` (the mock acquirer's scenario is its last three digits)
    /// through the client crate and returns it (READY).
    pub async fn pay(&self, merchant: &Merchant, order_no: &str, amount: i64) -> Payment {
        let order = CreatePayment::new(order_no, amount, MethodCode::Card)
            .with_product_name("Coffee beans")
            .with_customer_name("Kim Minji");
        let payment = self
            .client(merchant)
            .create_payment(&order)
            .await
            .unwrap_or_else(|e| panic!("create {order_no}: {e}"));
        assert_eq!(payment.status, simplepg_client::PaymentStatus::Ready);
        payment
    }

    pub async fn complete(&self, merchant: &Merchant, key: &str) -> ApiResponse {
        self.signed(
            Method::POST,
            &format!("/api/payments/{key}/complete"),
            None,
            merchant,
        )
        .await
    }

    /// Any merchant's payment, through the admin API.
    pub async fn admin_payment(&self, key: &str) -> Value {
        let res = self
            .admin(Method::GET, &format!("/admin/api/payments/{key}"), None)
            .await;
        assert_eq!(res.status, 200, "payment {key}: {}", res.text());
        res.json
    }

    /// The audit trail of any payment, through the admin API, oldest first.
    pub async fn admin_logs(&self, key: &str) -> Vec<Value> {
        let res = self
            .admin(
                Method::GET,
                &format!("/admin/api/payments/{key}/logs"),
                None,
            )
            .await;
        assert_eq!(res.status, 200, "logs of {key}: {}", res.text());
        res.json["data"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the payment has `status` and returns it.
    pub async fn wait_for_status(&self, key: &str, status: &str, timeout: Duration) -> Value {
        eventually(
            &format!("payment {key} to be {status}"),
            timeout,
            || async move {
                let p = self.admin_payment(key).await;
                if p["status"] == status {
                    Ok(p)
                } else {
                    Err(format!("status {}", p["status"]))
                }
            },
        )
        .await
    }

    /// `GET /admin/api/deliveries?{query}`: the deliveries, newest first.
    pub async fn deliveries(&self, query: &str) -> Vec<Value> {
        let res = self
            .admin(Method::GET, &format!("/admin/api/deliveries?{query}"), None)
            .await;
        assert_eq!(res.status, 200, "deliveries?{query}: {}", res.text());
        res.json["data"].as_array().cloned().unwrap_or_default()
    }

    /// The deliveries of one kind for one payment, oldest first.
    pub async fn deliveries_of(&self, key: &str, kind: &str) -> Vec<Value> {
        let mut list = self
            .deliveries(&format!("paymentKey={key}&kind={kind}&limit=100"))
            .await;
        list.reverse();
        list
    }

    /// Waits until exactly one delivery of `kind` for the payment exists and `accept` holds for
    /// it; returns it.
    pub async fn wait_for_delivery(
        &self,
        key: &str,
        kind: &str,
        what: &str,
        accept: impl Fn(&Value) -> bool,
    ) -> Value {
        let accept = &accept;
        eventually(
            &format!("the {kind} delivery of {key}: {what}"),
            WAIT,
            || async move {
                let list = self.deliveries_of(key, kind).await;
                match list.as_slice() {
                    [one] if accept(one) => Ok(one.clone()),
                    _ => Err(Value::Array(list).to_string()),
                }
            },
        )
        .await
    }

    /// POSTs a Standard-Webhooks-signed acquirer webhook (fresh id, current time) with this body.
    pub async fn acquirer_webhook(&self, body: &Value) -> ApiResponse {
        let raw = body.to_string();
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let ts = crate::standard_webhooks::now_secs();
        let sig = crate::standard_webhooks::sign(
            crate::standard_webhooks::ACQUIRER_SECRET,
            &id,
            ts,
            raw.as_bytes(),
        );
        self.webhook_with(
            &[
                ("webhook-id", id.as_str()),
                ("webhook-timestamp", ts.to_string().as_str()),
                ("webhook-signature", sig.as_str()),
            ],
            raw.into_bytes(),
        )
        .await
    }

    /// POSTs to `/api/webhook/payment` with exactly these headers (plus the JSON content type).
    pub async fn webhook_with(&self, headers: &[(&str, &str)], body: Vec<u8>) -> ApiResponse {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.raw(Method::POST, "/api/webhook/payment", &all, Some(body))
            .await
    }
}
