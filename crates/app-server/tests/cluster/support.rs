//! The cluster the tests run on, a fresh database on it per test, instances pinned to nodes.

use std::{
    path::PathBuf,
    process::Command,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use diesel::{Connection, QueryableByName, sql_types::Text};
use diesel_async::{
    AsyncConnection, AsyncMysqlConnection, RunQueryDsl,
    async_connection_wrapper::AsyncConnectionWrapper,
};
use serde_json::{Value, json};
use test_support::{Api, Instance, Merchant, Reply, STAYS_READY, acquirer_key};

/// The SQL ports of the three nodes `scripts/galera` runs (node `n` on `3315 + n`).
pub const NODE_PORTS: [u16; 3] = [3316, 3317, 3318];
const NAME_PREFIX: &str = "simplepg_cluster_test_";

/// `mysql://root@127.0.0.1:<port of node n>` (n = 1..=3).
pub fn node_url(node: usize) -> String {
    format!("mysql://root@127.0.0.1:{}", NODE_PORTS[node - 1])
}

/// A database created through node 1 (Galera replicates it to every node), dropped at the end.
pub struct ClusterDb {
    name: String,
}

impl ClusterDb {
    /// # Panics
    /// When the cluster is not running: these tests must fail, not skip, without it.
    pub async fn create() -> Self {
        let mut conn = AsyncMysqlConnection::establish(&node_url(1))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot reach Galera node 1 at {}: {e}\n\
                     Start the test cluster with `scripts/galera start` (scripts/test does).",
                    node_url(1)
                )
            });
        sweep_stale(&mut conn).await;
        let name = format!("{NAME_PREFIX}{}", uuid::Uuid::now_v7().simple());
        diesel::sql_query(format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .execute(&mut conn)
        .await
        .expect("creating the test database on the cluster");
        Self { name }
    }

    /// This database through node `node`.
    pub fn url(&self, node: usize) -> String {
        format!("{}/{}", node_url(node), self.name)
    }
}

impl Drop for ClusterDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            for node in 1..=3 {
                if let Ok(mut conn) =
                    <AsyncConnectionWrapper<AsyncMysqlConnection> as Connection>::establish(
                        &node_url(node),
                    )
                {
                    let _ = diesel::RunQueryDsl::execute(
                        diesel::sql_query("SET SESSION lock_wait_timeout = 10"),
                        &mut conn,
                    );
                    let drop = diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`"));
                    if diesel::RunQueryDsl::execute(drop, &mut conn).is_ok() {
                        return;
                    }
                }
            }
        })
        .join();
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Drops test databases older than an hour that crashed runs left behind (ids are uuid v7).
async fn sweep_stale(conn: &mut AsyncMysqlConnection) {
    let Ok(names) = diesel::sql_query(format!(
        "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA \
         WHERE SCHEMA_NAME LIKE '{NAME_PREFIX}%'"
    ))
    .load::<Name>(conn)
    .await
    else {
        return;
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    for Name { name } in names {
        let created_ms = name
            .strip_prefix(NAME_PREFIX)
            .and_then(|hex| u128::from_str_radix(hex.get(..12)?, 16).ok());
        if created_ms.is_some_and(|ms| now_ms.saturating_sub(ms) > 3_600_000) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`"))
                .execute(conn)
                .await;
        }
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

/// Registers a merchant through `api`.
pub async fn merchant(api: &Api) -> Merchant {
    api.register_merchant("cluster merchant", None)
        .await
        .expect("registering a merchant")
}

/// Creates a payment that the mock acquirer leaves READY; returns its key.
pub async fn ready_payment(api: &Api, m: &Merchant, order_no: &str) -> String {
    let reply = api
        .create_payment(m, order_no, STAYS_READY)
        .await
        .expect("create sent");
    assert_eq!(reply.status, 201, "create {order_no}: {}", reply.text());
    reply.json["paymentKey"]
        .as_str()
        .expect("a payment key")
        .to_owned()
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

/// The payment as the merchant reads it through `api`.
pub async fn payment(api: &Api, m: &Merchant, key: &str) -> Value {
    let reply = api
        .signed(m, "GET", &format!("/api/payments/{key}"), None, &[])
        .await
        .expect("read sent");
    assert_eq!(reply.status, 200, "read {key}: {}", reply.text());
    reply.json
}

/// The actions of the payment's audit trail, oldest first.
pub async fn audit_actions(api: &Api, m: &Merchant, key: &str) -> Vec<String> {
    let reply = api
        .signed(m, "GET", &format!("/api/payments/{key}/logs"), None, &[])
        .await
        .expect("audit trail sent");
    assert_eq!(reply.status, 200, "logs of {key}: {}", reply.text());
    reply.json["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Asserts that no reply is a 5xx, naming the first one that is.
pub fn assert_no_5xx<'a>(what: &str, replies: impl IntoIterator<Item = &'a Reply>) {
    for r in replies {
        assert!(r.status < 500, "{what}: {} {}", r.status, r.text());
    }
}

/// Polls `probe` until it returns `Some`, for at most `within`; the time it took.
pub async fn within<T>(
    within: Duration,
    what: &str,
    mut probe: impl AsyncFnMut() -> Option<T>,
) -> (T, Duration) {
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return (value, started.elapsed());
        }
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
