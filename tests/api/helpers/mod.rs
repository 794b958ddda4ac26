//! The harness: a real SimplePG server on port 0 over a fresh database (MariaDB, or a SQLite file
//! when `SIMPLEPG_TEST_STORE=sqlite`), an HTTP client,
//! signed and deliberately mis-signed merchant requests, and assertions on problem details.
//!
//! Starting the server, reading replies, the test profile's constants and polling come from the
//! shared `test-support` crate. Ordinary merchant and admin calls of the happy paths go through
//! the merchant client crate (`simplepg_client`), so it is exercised against the real server by
//! every test; requests that tamper with signatures or headers are built with the harness's own
//! [`Draft`] and the contract's own signer (`crate::signature`).

mod admin_views;
mod asserts;
mod cancels;
mod db;
mod draft;
mod requests;

use std::{net::TcpListener, sync::Arc};

pub use asserts::{
    actions, assert_canceled, assert_invalid_field, assert_json_content_type, assert_problem,
    assert_timestamp, attempt_codes, attempt_numbers, key_of, order, rfc3339, rows,
};
pub use cancels::{
    assert_amounts, assert_cancel, assert_last_cancel, assert_money, cancel_body, cancel_by_id,
    cancel_id, cancels_of,
};
pub use db::{TestDb, skip_on_sqlite};
pub use draft::Draft;
pub use requests::payment_endpoints;
pub use simplepg_client::fresh_nonce;
pub use test_support::{ADMIN_TOKEN, Merchant, STAYS_READY, WAIT, eventually};
use test_support::{Api, InProcessServer, net::loopback_listener, server_env};

use crate::receiver::{Receiver, Script};

/// A reply, read whole (with the path it answered, which a problem's `instance` must be).
pub type ApiResponse = test_support::Reply;

/// One running server (and the database it shares with any other instance on it); dropping it
/// stops the server, with its background workers, before the database can go.
pub struct TestApp {
    pub server: InProcessServer,
    pub base_url: String,
    pub db: Arc<TestDb>,
    pub admin_token: String,
    pub api: Api,
}

/// Starts a server on a fresh migrated database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(Arc::new(TestDb::create().await)).await
}

/// Starts another server instance on an existing database (replay protection across instances).
pub async fn spawn_app_on(db: Arc<TestDb>) -> TestApp {
    spawn_app_with(db, &[]).await
}

/// Starts a server on a fresh migrated database with extra configuration variables
/// (`SIMPLEPG__...`).
pub async fn spawn_app_configured(extra_env: &[(&str, &str)]) -> TestApp {
    spawn_app_with(Arc::new(TestDb::create().await), extra_env).await
}

/// Starts a server on `db` with extra configuration variables (`SIMPLEPG__...`).
pub async fn spawn_app_with(db: Arc<TestDb>, extra_env: &[(&str, &str)]) -> TestApp {
    spawn_app_on_listener(db, extra_env, loopback_listener()).await
}

/// Like [`spawn_app_with`] on a listener bound beforehand (so its URL can be configured into
/// another instance before this one starts).
pub async fn spawn_app_on_listener(
    db: Arc<TestDb>,
    extra_env: &[(&str, &str)],
    listener: TcpListener,
) -> TestApp {
    let server = InProcessServer::start(server_env(db.url(), extra_env), listener)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base_url = server.base_url().to_owned();
    TestApp {
        api: Api::new(base_url.as_str()),
        base_url,
        server,
        db,
        admin_token: ADMIN_TOKEN.to_owned(),
    }
}

impl TestApp {
    /// Stops this instance gracefully, with its background workers (its database stays).
    pub async fn stop(&self) {
        self.server.stop().await;
    }

    /// Stops this instance at once: in-flight requests and deliveries are dropped, nothing is
    /// finished or recorded (a crash, as far as the database and the network can tell).
    pub async fn kill(&self) {
        self.server.kill().await;
    }
}

/// A stub acquirer answering by `script` (at `/request`, `/request/cancel`, …) and a server on a
/// fresh database that sends it its acquirer requests, with extra configuration variables.
pub async fn spawn_app_with_acquirer(
    script: Script,
    extra_env: &[(&str, &str)],
) -> (TestApp, Receiver) {
    let acquirer = Receiver::start(script).await;
    let request_url = acquirer.url("/request");
    let mut env = vec![("SIMPLEPG__ACQUIRER__REQUEST_URL", request_url.as_str())];
    env.extend_from_slice(extra_env);
    let app = spawn_app_configured(&env).await;
    (app, acquirer)
}

/// Starts a server on a fresh database with one registered merchant (the usual start of a test).
pub async fn spawn_app_with_merchant() -> (TestApp, Merchant) {
    let app = spawn_app().await;
    let merchant = app.merchant().await;
    (app, merchant)
}

/// Starts a server with one registered merchant and its READY payment `order_no`.
pub async fn spawn_app_with_ready_payment(
    order_no: &str,
) -> (TestApp, Merchant, simplepg_client::Payment) {
    let (app, merchant) = spawn_app_with_merchant().await;
    let payment = app.ready_payment(&merchant, order_no).await;
    (app, merchant, payment)
}

/// Starts a server with two merchants, "A" and "B" (isolation between merchants).
pub async fn spawn_app_with_two_merchants() -> (TestApp, Merchant, Merchant) {
    let app = spawn_app().await;
    let a = app.register_merchant("A", "https://a.example/n").await;
    let b = app.register_merchant("B", "https://b.example/n").await;
    (app, a, b)
}

/// Starts a server with a merchant that has no `returnUrl` (so no notifications) and one payment
/// of `amount` (the mock acquirer's scenario is its last three digits); returns the payment key.
pub async fn spawn_app_with_payment(amount: i64) -> (TestApp, Merchant, String) {
    let app = spawn_app().await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", amount).await);
    (app, merchant, key)
}

/// Starts a server with one registered merchant and its payment ORDER-1 of `amount` (the mock
/// acquirer's scenario is its last three digits), approved and completed; returns its key.
pub async fn spawn_app_with_completed_payment(amount: i64) -> (TestApp, Merchant, String) {
    let (app, merchant) = spawn_app_with_merchant().await;
    let key = app.completed_payment(&merchant, "ORDER-1", amount).await;
    (app, merchant, key)
}
