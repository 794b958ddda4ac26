//! The flow's raw ceiling (issue 19): every statement and commit one flow makes — the merchant's
//! create and complete, the dispatcher's claims and deliveries, the mock acquirer's webhook and
//! books, the approval, the two notifications — issued straight on the database from the same
//! concurrency, one round trip each, with no HTTP, signing, JSON, domain code or waiting on a
//! dispatcher in between.
//!
//! The list was taken from MariaDB's general log of one flow through the real server
//! (docs/benchmarks.md, "Round trips"), grouped by connection checkout as the server groups them.
//! The dispatcher's polls (its candidate query) are left out, see [`claim`]:
//!
//! | step | checkouts | statements |
//! |---|---|---|
//! | create (merchant's request) | 2 | merchant read; tx: nonce, payment, CREATE row, ACQUIRER_REQUEST |
//! | claim the request | 1 | tx: lock, lease |
//! | mock acquirer answers | 1 | tx: its ACQUIRER_WEBHOOK outbox row |
//! | request delivered | 1 | tx: lock, attempt, state |
//! | claim the mock's webhook | 1 | tx: lock, lease |
//! | approval (acquirer's webhook) | 3 | merchant read; payment, cancels, version; tx: CAS, APPROVE row, notification |
//! | webhook delivered | 1 | tx: lock, attempt, state |
//! | `payment.approved` sent | 3 | tx: lock, lease; merchant read (signing key); tx: lock, attempt, state |
//! | complete (merchant's request) | 4 | merchant read; nonce; payment, cancels, version; tx: CAS, COMPLETE row, capture + notification |
//! | capture and `payment.completed` | 6 | tx: lock, lease (both); payment, cancels, version; mock's books; tx: capture delivered; merchant read; tx: notification delivered |

use anyhow::Context;
use diesel_async::SimpleAsyncConnection;

use crate::{
    Args,
    raw::{Conn, NOW, Pool, drive, in_tx, prepare},
    report::Report,
};

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let (pool, client) = prepare(args).await?;
    Ok(drive(args, pool, client, |pool, client| async move {
        match flow(&pool, &client).await {
            Ok(()) => "200",
            Err(_) => "db-error",
        }
    })
    .await)
}

/// A notification's body: as long as a real one (~900 bytes of JSON).
fn notification_payload(kind: &str, key: &str) -> String {
    format!(
        "{{\"type\":\"{kind}\",\"data\":{{\"paymentKey\":\"{key}\",\"pad\":\"{}\"}}}}",
        "x".repeat(760)
    )
}

struct Flow<'a> {
    client: &'a str,
    payment_id: String,
    key: String,
    transaction: String,
}

impl Flow<'_> {
    fn merchant(&self) -> String {
        format!(
            "SELECT * FROM api_credential WHERE client_id = '{}' LIMIT 1",
            self.client
        )
    }

    fn nonce(&self) -> String {
        format!(
            "INSERT INTO request_nonce (client_id, nonce, expires_at) VALUES ('{}', '{}', {NOW} + INTERVAL 600 SECOND)",
            self.client,
            uuid::Uuid::now_v7().simple()
        )
    }

    fn outbox(&self, kind: &str, event_type: Option<&str>, payload: &str) -> (String, String) {
        let event = uuid::Uuid::now_v7().hyphenated().to_string();
        let event_type = event_type.map_or("NULL".to_owned(), |t| format!("'{t}'"));
        let sql = format!(
            "INSERT INTO outbox_event (event_id, kind, payment_id, client_id, event_type, target_url, payload, state, \
             attempts, not_before, next_attempt_at, created_at, updated_at) VALUES ('{event}', '{kind}', '{}', '{}', \
             {event_type}, 'http://127.0.0.1:1/raw-flow', '{payload}', 'PENDING', 0, {NOW}, {NOW}, {NOW}, {NOW})",
            self.payment_id, self.client
        );
        (event, sql)
    }

    /// A `payment.*` notification to the merchant, as long as a real one.
    fn notification(&self, event_type: &str) -> (String, String) {
        let payload = notification_payload(event_type, &self.key);
        self.outbox("MERCHANT_NOTIFICATION", Some(event_type), &payload)
    }

    fn audit(&self, action: &str, from: &str, to: &str, actor: &str) -> String {
        format!(
            "INSERT INTO payment_log (payment_id, action, from_status, status, actor, details, request_id, from_version, \
             created_at) VALUES ('{}', '{action}', {from}, '{to}', '{actor}', NULL, '{}', NULL, {NOW})",
            self.payment_id,
            uuid::Uuid::now_v7().hyphenated()
        )
    }

    fn transition(&self, to: &str, version: i64, at_column: &str) -> String {
        format!(
            "UPDATE payment SET status = '{to}', version = {}, transaction_id = '{}', failure_code = NULL, \
             failure_message = NULL, cancel_reason = NULL, updated_at = {NOW}, {at_column} = {NOW}, \
             canceled_at = NULL, failed_at = NULL, canceled_amount = 0 \
             WHERE payment_id = '{}' AND version = {version}",
            version + 1,
            self.transaction,
            self.payment_id
        )
    }

    /// The reads that load a payment for a transition: the row, its cancels, its version.
    fn load(&self) -> [String; 3] {
        [
            format!(
                "SELECT * FROM payment WHERE payment_key = '{}' LIMIT 1",
                self.key
            ),
            format!(
                "SELECT * FROM payment_cancel WHERE payment_id IN ('{}') ORDER BY payment_id, seq",
                self.payment_id
            ),
            format!(
                "SELECT payment_id, version FROM payment WHERE payment_id IN ('{}')",
                self.payment_id
            ),
        ]
    }
}

/// One checkout running `statements` one by one, outside a transaction.
async fn autocommit(pool: &Pool, statements: &[String]) -> anyhow::Result<()> {
    let mut conn = pool.get().await.context("checkout")?;
    for s in statements {
        conn.batch_execute(s).await?;
    }
    Ok(())
}

/// One checkout running `statements` in one transaction.
async fn tx(pool: &Pool, statements: &[String]) -> anyhow::Result<()> {
    let mut conn: Conn = pool.get().await.context("checkout")?;
    in_tx(&mut conn, statements).await?;
    Ok(())
}

/// The dispatcher's claim of `events`: the lock and the lease. Its candidate query (which due
/// events to try) is left out: at load one dispatcher poll serves a whole batch of events of
/// many flows, so a share of it per flow is small, and leaving it out keeps this a ceiling (it
/// asks no more of the database than the server does).
async fn claim(pool: &Pool, events: &[&str]) -> anyhow::Result<()> {
    let ids = events
        .iter()
        .map(|e| format!("'{e}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let free = format!("(lease_until IS NULL OR lease_until < {NOW})");
    tx(
        pool,
        &[
            format!(
                "SELECT * FROM outbox_event WHERE event_id IN ({ids}) AND state = 'PENDING' AND next_attempt_at <= {NOW} \
                 AND not_before <= {NOW} AND {free} FOR UPDATE SKIP LOCKED"
            ),
            format!(
                "UPDATE outbox_event SET lease_until = {NOW} + INTERVAL 40 SECOND WHERE event_id IN ({ids}) AND {free}"
            ),
        ],
    )
    .await
}

/// A delivery recorded: the event locked, its attempt, its new state.
async fn delivered(pool: &Pool, event: &str) -> anyhow::Result<()> {
    tx(
        pool,
        &[
            format!("SELECT payment_id, state FROM outbox_event WHERE event_id = '{event}' LIMIT 1 FOR UPDATE"),
            format!(
                "INSERT INTO delivery_attempt (event_id, attempt_no, started_at, status_code, latency_ms) \
                 VALUES ('{event}', 1, {NOW}, 200, 1)"
            ),
            format!(
                "UPDATE outbox_event SET attempts = 1, state = 'DELIVERED', lease_until = NULL, last_error = NULL, \
                 updated_at = {NOW} WHERE event_id = '{event}'"
            ),
        ],
    )
    .await
}

async fn flow(pool: &Pool, client: &str) -> anyhow::Result<()> {
    let id = uuid::Uuid::now_v7();
    let f = Flow {
        client,
        payment_id: id.hyphenated().to_string(),
        key: format!("{}{}", id.simple(), id.simple()),
        transaction: format!("mtx_{}", &id.simple().to_string()[8..32]),
    };
    // The merchant's create.
    autocommit(pool, &[f.merchant()]).await?;
    let (request, request_sql) = f.outbox("ACQUIRER_REQUEST", None, &"r".repeat(330));
    tx(
        pool,
        &[
            f.nonce(),
            format!(
                "INSERT INTO payment (payment_id, payment_key, client_id, order_no, amount, currency, method_code, status, \
                 version, created_at, updated_at, expires_at, canceled_amount) VALUES ('{}', '{}', '{client}', '{}', 15000, \
                 'KRW', 'CARD', 'READY', 0, {NOW}, {NOW}, {NOW} + INTERVAL 1800 SECOND, 0)",
                f.payment_id, f.key, f.payment_id
            ),
            f.audit("CREATE", "NULL", "READY", "MERCHANT"),
            request_sql,
        ],
    )
    .await?;
    // The acquirer request: claimed, answered by the mock (which queues its webhook), delivered.
    claim(pool, &[&request]).await?;
    let (webhook, webhook_sql) =
        f.outbox("ACQUIRER_WEBHOOK", Some("mock.approved"), &"w".repeat(200));
    tx(pool, &[webhook_sql]).await?;
    delivered(pool, &request).await?;
    // The mock's webhook: claimed, approves the payment, delivered.
    claim(pool, &[&webhook]).await?;
    autocommit(pool, &[f.merchant()]).await?;
    autocommit(pool, &f.load()).await?;
    let (approved, approved_sql) = f.notification("payment.approved");
    let approve = [
        f.transition("APPROVED", 0, "approved_at"),
        f.audit("APPROVE", "'READY'", "APPROVED", "ACQUIRER"),
        approved_sql,
    ];
    tx(pool, &approve).await?;
    delivered(pool, &webhook).await?;
    // payment.approved: claimed, signed with the merchant's key, delivered.
    claim(pool, &[&approved]).await?;
    autocommit(pool, &[f.merchant()]).await?;
    delivered(pool, &approved).await?;
    // The merchant's complete.
    autocommit(pool, &[f.merchant()]).await?;
    autocommit(pool, &[f.nonce()]).await?;
    autocommit(pool, &f.load()).await?;
    let (capture, capture_sql) = f.outbox("ACQUIRER_CAPTURE", None, &"c".repeat(160));
    let (completed, completed_sql) = f.notification("payment.completed");
    let complete = [
        f.transition("COMPLETED", 1, "completed_at"),
        f.audit("COMPLETE", "'APPROVED'", "COMPLETED", "MERCHANT"),
        capture_sql,
        completed_sql,
    ];
    tx(pool, &complete).await?;
    // The capture (the mock books it) and payment.completed, claimed together.
    claim(pool, &[&capture, &completed]).await?;
    autocommit(pool, &f.load()).await?;
    autocommit(
        pool,
        &[format!(
            "INSERT INTO mock_acquirer_ledger (transaction_id, payment_key, line_type, amount, payment_amount, recorded_at) \
             VALUES ('{}', '{}', 'CAPTURE', 15000, 15000, {NOW})",
            f.transaction, f.key
        )],
    )
    .await?;
    delivered(pool, &capture).await?;
    autocommit(pool, &[f.merchant()]).await?;
    delivered(pool, &completed).await?;
    Ok(())
}
