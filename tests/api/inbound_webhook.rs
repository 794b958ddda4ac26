//! `POST /api/webhook/payment` (api.md §4) with hand-signed webhooks: every outcome, the
//! signature checks, and twenty identical deliveries racing over two instances.

use std::sync::Arc;

use crate::helpers::TestDb;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::{
    helpers::{
        ApiResponse, Merchant, STAYS_READY, TestApp, WAIT, actions, assert_problem, key_of, rows,
        spawn_app, spawn_app_on,
    },
    receiver::Receiver,
    standard_webhooks::{ACQUIRER_SECRET, now_secs, random_secret, sign},
};

fn approval(key: &str, tx: &str, amount: i64) -> Value {
    json!({
        "paymentKey": key, "transactionId": tx, "status": "APPROVED", "amount": amount,
        "approvedAt": "2026-11-24T08:00:05.120Z", "failureCode": null, "failureMessage": null,
    })
}

fn failure(key: &str, tx: &str, amount: i64) -> Value {
    json!({
        "paymentKey": key, "transactionId": tx, "status": "FAILED", "amount": amount,
        "approvedAt": null, "failureCode": "CARD_DECLINED", "failureMessage": "declined",
    })
}

/// A webhook's exact headers and body, to send as is (or tampered with).
struct Signed {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

impl Signed {
    fn new(secret: &str, body: &Value, timestamp: i64) -> Self {
        let body = body.to_string().into_bytes();
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        Self {
            signature: sign(secret, &id, timestamp, &body),
            id,
            timestamp: timestamp.to_string(),
            body,
        }
    }

    fn now(body: &Value) -> Self {
        Self::new(ACQUIRER_SECRET, body, now_secs())
    }

    async fn send(&self, app: &TestApp) -> ApiResponse {
        app.webhook_with(
            &[
                ("webhook-id", self.id.as_str()),
                ("webhook-timestamp", self.timestamp.as_str()),
                ("webhook-signature", self.signature.as_str()),
            ],
            self.body.clone(),
        )
        .await
    }
}

/// A server, a merchant without notifications and a READY payment the mock never answers.
async fn ready_payment() -> (TestApp, Merchant, String) {
    let app = spawn_app().await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", STAYS_READY).await);
    (app, merchant, key)
}

#[actix_web::test]
async fn a_signed_approval_of_a_ready_payment_is_applied_and_a_repeat_is_a_noted_duplicate() {
    let (app, merchant, key) = ready_payment().await;
    let hook = Signed::now(&approval(&key, "tx-0001", STAYS_READY));

    let res = hook.send(&app).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["result"], "APPLIED");
    assert_eq!(res.json["payment"]["status"], "APPROVED");
    assert_eq!(res.json["payment"]["paymentKey"], key.as_str());
    let payment = app.get_payment(&merchant, &key).await.json;
    assert_eq!(payment["status"], "APPROVED");
    assert_eq!(payment["transactionId"], "tx-0001");
    crate::helpers::assert_timestamp(&payment["approvedAt"]);

    // The very same delivery again, then the same report under a new webhook id.
    let again = hook.send(&app).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json["result"], "DUPLICATE");
    let resent = Signed::now(&approval(&key, "tx-0001", STAYS_READY))
        .send(&app)
        .await;
    assert_eq!(resent.status, 200, "{}", resent.text());
    assert_eq!(resent.json["result"], "DUPLICATE");

    assert_eq!(app.admin_payment(&key).await, payment, "nothing changed");
    let logs = app.admin_logs(&key).await;
    assert_eq!(
        actions(&logs),
        [
            "CREATE",
            "APPROVE",
            "WEBHOOK_DUPLICATE",
            "WEBHOOK_DUPLICATE"
        ],
        "{logs:?}"
    );
    let note = &logs[2];
    assert_eq!(note["actor"], "ACQUIRER");
    assert_eq!(note["fromStatus"], Value::Null);
    assert_eq!(note["status"], "APPROVED");
    assert_eq!(
        note["requestId"].as_str(),
        Some(again.request_id()),
        "the note names the request"
    );
}

#[actix_web::test]
async fn a_failure_reported_after_an_approval_is_409_and_changes_nothing() {
    let (app, _merchant, key) = ready_payment().await;
    let applied = Signed::now(&approval(&key, "tx-0001", STAYS_READY))
        .send(&app)
        .await;
    assert_eq!(applied.json["result"], "APPLIED", "{}", applied.text());
    let approved = app.admin_payment(&key).await;

    for tx in ["tx-0001", "tx-0002"] {
        let res = Signed::now(&failure(&key, tx, STAYS_READY))
            .send(&app)
            .await;
        assert_problem(&res, 409, "INVALID_STATE_TRANSITION");
    }

    assert_eq!(app.admin_payment(&key).await, approved);
    let logs = app.admin_logs(&key).await;
    assert_eq!(
        actions(&logs),
        ["CREATE", "APPROVE", "WEBHOOK_REJECTED", "WEBHOOK_REJECTED"],
        "{logs:?}"
    );
}

#[actix_web::test]
async fn a_report_with_another_amount_is_422_amount_mismatch_and_leaves_the_payment_ready() {
    let (app, _merchant, key) = ready_payment().await;
    let before = app.admin_payment(&key).await;

    let res = Signed::now(&approval(&key, "tx-0001", STAYS_READY + 1))
        .send(&app)
        .await;
    assert_problem(&res, 422, "AMOUNT_MISMATCH");

    assert_eq!(app.admin_payment(&key).await, before, "payment unchanged");
    let logs = app.admin_logs(&key).await;
    assert_eq!(actions(&logs), ["CREATE", "WEBHOOK_REJECTED"], "{logs:?}");
    assert_eq!(logs[1]["actor"], "ACQUIRER");
    assert_eq!(logs[1]["status"], "READY");
    assert_eq!(logs[1]["fromStatus"], Value::Null);
    assert!(logs[1]["details"].is_string(), "{}", logs[1]);

    // The correct amount still applies afterwards.
    let ok = Signed::now(&approval(&key, "tx-0001", STAYS_READY))
        .send(&app)
        .await;
    assert_eq!(ok.json["result"], "APPLIED", "{}", ok.text());
}

#[actix_web::test]
async fn a_report_for_an_unknown_payment_key_is_404() {
    let (app, _merchant, _key) = ready_payment().await;
    let unknown = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let res = Signed::now(&approval(&unknown, "tx-0001", STAYS_READY))
        .send(&app)
        .await;
    assert_problem(&res, 404, "PAYMENT_NOT_FOUND");
}

#[actix_web::test]
async fn unsigned_missigned_stale_or_foreign_webhooks_are_401_and_change_nothing() {
    let (app, merchant, key) = ready_payment().await;
    let body = approval(&key, "tx-0001", STAYS_READY);
    let good = Signed::now(&body);

    // Each header missing in turn.
    for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let headers: Vec<(&str, &str)> = [
            ("webhook-id", good.id.as_str()),
            ("webhook-timestamp", good.timestamp.as_str()),
            ("webhook-signature", good.signature.as_str()),
        ]
        .into_iter()
        .filter(|(name, _)| *name != missing)
        .collect();
        let res = app.webhook_with(&headers, good.body.clone()).await;
        assert_problem(&res, 401, "MISSING_AUTH_HEADERS");
    }

    // A body other than the one signed.
    let mut tampered = Signed::now(&body);
    tampered.body = approval(&key, "tx-0002", STAYS_READY)
        .to_string()
        .into_bytes();
    assert_problem(&tampered.send(&app).await, 401, "INVALID_SIGNATURE");

    // Another webhook id than the one signed.
    let mut renamed = Signed::now(&body);
    renamed.id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    assert_problem(&renamed.send(&app).await, 401, "INVALID_SIGNATURE");

    // A garbled signature, and one of an unknown version.
    let mut garbled = Signed::now(&body);
    garbled.signature = "v1,not-base64!".to_owned();
    assert_problem(&garbled.send(&app).await, 401, "INVALID_SIGNATURE");
    let mut v2 = Signed::now(&body);
    v2.signature = v2.signature.replacen("v1,", "v2,", 1);
    assert_problem(&v2.send(&app).await, 401, "INVALID_SIGNATURE");

    // Correctly signed, but 301 s old or 301 s ahead.
    for offset in [-301, 301] {
        let stale = Signed::new(ACQUIRER_SECRET, &body, now_secs() + offset);
        assert_problem(&stale.send(&app).await, 401, "TIMESTAMP_OUT_OF_WINDOW");
    }
    let mut not_a_number = Signed::now(&body);
    not_a_number.timestamp = "yesterday".to_owned();
    let res = not_a_number.send(&app).await;
    assert_eq!(res.status, 401, "{}", res.text());

    // Signed with another key: a random one, and the merchant's own webhook secret.
    for secret in [random_secret(), merchant.webhook_secret.clone()] {
        let foreign = Signed::new(&secret, &body, now_secs());
        assert_problem(&foreign.send(&app).await, 401, "INVALID_SIGNATURE");
    }

    assert_eq!(app.admin_payment(&key).await["status"], "READY");
    assert_eq!(actions(&app.admin_logs(&key).await), ["CREATE"]);

    // Several signatures: accepted when any one is valid (the acquirer rotating its secret).
    let mut several = Signed::now(&body);
    let other = sign(
        &random_secret(),
        &several.id,
        several.timestamp.parse().unwrap(),
        &several.body,
    );
    several.signature = format!("{other} {}", several.signature);
    let res = several.send(&app).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["result"], "APPLIED");
}

#[actix_web::test]
async fn an_approval_of_a_canceled_payment_is_409_and_queues_a_compensating_acquirer_cancel() {
    let (app, merchant, key) = ready_payment().await;
    let canceled = app.cancel(&merchant, &key, "customer left").await;
    assert_eq!(canceled.status, 200, "{}", canceled.text());
    assert_eq!(canceled.json["status"], "CANCELED");

    let res = Signed::now(&approval(&key, "tx-late-1", STAYS_READY))
        .send(&app)
        .await;
    assert_problem(&res, 409, "INVALID_STATE_TRANSITION");

    let payment = app.admin_payment(&key).await;
    assert_eq!(payment["status"], "CANCELED", "{payment}");
    let logs = app.admin_logs(&key).await;
    assert_eq!(
        actions(&logs),
        ["CREATE", "CANCEL", "WEBHOOK_REJECTED"],
        "{logs:?}"
    );

    // Two acquirer cancels: the one of the READY cancel (no transaction yet), and the
    // compensation for the late approval, naming the reported transaction. Both delivered to
    // the mock, which answers 200.
    let (app, key) = (&app, key.as_str());
    let cancels =
        crate::helpers::eventually("both acquirer cancels delivered", WAIT, || async move {
            let list = app.deliveries_of(key, "ACQUIRER_CANCEL").await;
            if list.len() == 2 && list.iter().all(|d| d["status"] == "DELIVERED") {
                Ok(list)
            } else {
                Err(Value::Array(list).to_string())
            }
        })
        .await;
    let payloads: Vec<Value> = cancels
        .iter()
        .map(|d| serde_json::from_str(d["payload"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(payloads[0]["transactionId"], Value::Null, "{payloads:?}");
    assert_eq!(payloads[1]["transactionId"], "tx-late-1", "{payloads:?}");
    for (d, p) in cancels.iter().zip(&payloads) {
        assert_eq!(p["paymentKey"], key);
        assert_eq!(p["amount"], STAYS_READY);
        assert!(p["cancelReason"].is_string(), "{p}");
        assert_eq!(crate::helpers::attempt_codes(d), [Some(200)], "{d}");
        assert_eq!(
            d["targetUrl"].as_str(),
            Some(format!("{}/mock/request/cancel", app.base_url).as_str())
        );
    }
}

#[actix_web::test]
async fn twenty_identical_webhooks_at_once_on_two_instances_apply_exactly_once() {
    let db = Arc::new(TestDb::create().await);
    let one = spawn_app_on(db.clone()).await;
    let two = spawn_app_on(db).await;
    let receiver = Receiver::ok().await;
    let merchant = one.register_merchant("Shop", &receiver.url("/hook")).await;
    let key = key_of(&one.pay(&merchant, "ORDER-1", STAYS_READY).await);

    let hook = Signed::now(&approval(&key, "tx-race-1", STAYS_READY));
    let sends = (0..20).map(|i| {
        let app = if i % 2 == 0 { &one } else { &two };
        hook.send(app)
    });
    let answers: Vec<ApiResponse> = join_all(sends).await;

    let mut results: Vec<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text());
            r.json["result"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    results.sort();
    assert_eq!(
        results.iter().filter(|r| *r == "APPLIED").count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|r| *r == "DUPLICATE").count(),
        19,
        "{results:?}"
    );

    let logs = one.admin_logs(&key).await;
    assert_eq!(rows(&logs, "APPROVE").len(), 1, "{logs:?}");
    assert_eq!(rows(&logs, "WEBHOOK_DUPLICATE").len(), 19, "{logs:?}");
    assert_eq!(logs.len(), 21, "{logs:?}");

    // One notification, delivered once.
    let notification = one
        .wait_until_delivered(&key, "MERCHANT_NOTIFICATION")
        .await;
    assert_eq!(notification["eventType"], "payment.approved");
    let events = receiver.events_of(&key);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event_type(), "payment.approved");
    // Nothing else trickles in afterwards.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(receiver.requests().len(), 1);
}
