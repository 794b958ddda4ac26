//! The cluster the tests run on, a fresh database on it per test, instances pinned to nodes.

use std::{path::PathBuf, process::Command};

use adapters_mysql::test_util::TestDatabase;
use serde_json::{Value, json};
use test_support::{Api, Instance, Merchant, Reply, STAYS_READY, acquirer_key};

/// The SQL ports of the three nodes `scripts/galera` runs (node `n` on `3315 + n`).
pub const NODE_PORTS: [u16; 3] = [3316, 3317, 3318];

/// `mysql://root@127.0.0.1:<port of node n>` (n = 1..=3).
pub fn node_url(node: usize) -> String {
    format!("mysql://root@127.0.0.1:{}", NODE_PORTS[node - 1])
}

/// A database created through node 1 (Galera replicates it to every node), dropped at the end.
pub struct ClusterDb(TestDatabase);

impl ClusterDb {
    /// # Panics
    /// When the cluster is not running: these tests must fail, not skip, without it.
    pub async fn create() -> Self {
        let node_1 = format!("127.0.0.1:{}", NODE_PORTS[0]);
        if let Err(e) = std::net::TcpStream::connect(&node_1) {
            panic!(
                "cannot reach Galera node 1 at {node_1}: {e}\n\
                 Start the test cluster with `scripts/galera start` (scripts/test does)."
            );
        }
        Self(TestDatabase::create_unmigrated_on(node_url(1)).await)
    }

    /// This database through node `node`.
    pub fn url(&self, node: usize) -> String {
        format!("{}/{}", node_url(node), self.0.name())
    }
}

/// A server instance whose database is `db` through node `node`, with no rate limit (the
/// tests send bursts and read back every payment they made).
pub async fn instance_on(db: &ClusterDb, node: usize, extra: &[(&str, &str)]) -> Instance {
    let mut settings = vec![("SIMPLEPG__RATE_LIMIT__PER_SECOND", "0")];
    settings.extend_from_slice(extra);
    Instance::start(&db.url(node), &settings).await
}

/// `simplepg check` on the database through every node: the books balance everywhere.
pub async fn assert_books_balance_on_every_node(db: &ClusterDb) {
    for node in 1..=3 {
        let report = app_server::check::check_database(&db.url(node))
            .await
            .unwrap_or_else(|e| panic!("the invariant check through node {node} runs: {e:#}"));
        assert!(
            report.violations.is_empty(),
            "through node {node}:\n{}",
            app_server::check::render(&report)
        );
    }
}

/// Runs `scripts/galera <args>` (kill, restart, isolate, rejoin a node).
pub fn galera(args: &[&str]) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/galera");
    let out = Command::new(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "scripts/galera {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh database with instance A on node 1, instance B on node 2, and a merchant.
pub async fn two_nodes() -> (ClusterDb, Instance, Instance, Merchant) {
    let db = ClusterDb::create().await;
    let a = instance_on(&db, 1, &[]).await;
    let b = instance_on(&db, 2, &[]).await;
    let m = merchant(&a).await;
    (db, a, b, m)
}

/// Registers a merchant through `api`.
pub async fn merchant(api: &Api) -> Merchant {
    api.register_merchant("cluster merchant", None)
        .await
        .expect("registering a merchant")
}

/// Creates a payment that the mock acquirer leaves READY; returns its key.
pub async fn ready_payment(api: &Api, m: &Merchant, order_no: &str) -> String {
    api.created_payment_key(m, order_no, STAYS_READY)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The acquirer's `APPROVED` report for `key` with transaction `tx`.
pub fn approval(key: &str, tx: &str) -> String {
    json!({ "paymentKey": key, "transactionId": tx, "status": "APPROVED", "amount": STAYS_READY })
        .to_string()
}

/// Sends the acquirer's signed webhook `body` with id `id`.
pub async fn acquirer_webhook(api: &Api, id: &str, body: &str) -> Reply {
    api.acquirer_webhook(&acquirer_key(), id, body)
        .await
        .expect("webhook sent")
}

/// An APPROVED payment: created through `api`, approved by the acquirer's webhook.
pub async fn approved_payment(api: &Api, m: &Merchant, order_no: &str) -> String {
    let key = ready_payment(api, m, order_no).await;
    let reply = acquirer_webhook(api, &format!("wh-{order_no}"), &approval(&key, order_no)).await;
    assert_eq!(
        reply.status,
        200,
        "approval of {order_no}: {}",
        reply.text()
    );
    key
}

/// A COMPLETED payment of [`STAYS_READY`] (approved by the acquirer's webhook) through `api`.
pub async fn completed_payment(api: &Api, m: &Merchant, order_no: &str) -> String {
    let key = approved_payment(api, m, order_no).await;
    let completed = merchant_action(api, m, &key, "complete").await;
    assert_eq!(completed.status, 200, "{}", completed.text());
    key
}

/// `POST /api/payments/{key}/{action}` (`complete` without a body, `cancel` with a reason)
/// through `api`, signed by `m`.
pub async fn merchant_action(api: &Api, m: &Merchant, key: &str, action: &str) -> Reply {
    let body = (action == "cancel").then(|| json!({ "cancelReason": "cluster test" }).to_string());
    api.signed(
        m,
        "POST",
        &format!("/api/payments/{key}/{action}"),
        body.as_deref(),
        &[],
    )
    .await
    .unwrap_or_else(|e| panic!("{action} of {key} not sent: {e}"))
}

/// Creates a payment through `api` and asserts the answer is 201 (`what` says why it must be).
pub async fn assert_creates(api: &Api, m: &Merchant, order_no: &str, what: &str) {
    let reply = api
        .create_payment(m, order_no, 10_000)
        .await
        .expect("create sent");
    assert_eq!(reply.status, 201, "{what}: {}", reply.text());
}

/// The payment as the merchant reads it through `api`.
pub async fn payment(api: &Api, m: &Merchant, key: &str) -> Value {
    api.payment(m, key).await.unwrap_or_else(|e| panic!("{e}"))
}

/// The actions of the payment's audit trail, oldest first.
pub async fn audit_actions(api: &Api, m: &Merchant, key: &str) -> Vec<String> {
    api.audit_actions(m, key)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts that no reply is a 5xx, naming the first one that is.
pub fn assert_no_5xx<'a>(what: &str, replies: impl IntoIterator<Item = &'a Reply>) {
    for r in replies {
        assert!(r.status < 500, "{what}: {} {}", r.status, r.text());
    }
}
