//! The acquirer flow (api.md §5, §6): after a create commits, the server asks the acquirer (the
//! built-in mock, a stub or nobody at all) and the outcome arrives by webhook. Each mock
//! scenario, chosen by the amount's last three digits, and the server's retries.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    helpers::{
        TestApp, WAIT, actions, assert_canceled, assert_problem, assert_timestamp, attempt_codes,
        key_of, rows, spawn_app, spawn_app_configured, spawn_app_with_acquirer,
        spawn_app_with_payment,
    },
    receiver::{Reply, Script},
    standard_webhooks::ACQUIRER_SECRET,
};

/// A transition row of the audit trail: action, actor, fromStatus, status.
#[track_caller]
fn assert_row(row: &Value, action: &str, actor: &str, from: Option<&str>, to: &str) {
    assert_eq!(row["action"], action, "{row}");
    assert_eq!(row["actor"], actor, "{row}");
    assert_eq!(row["fromStatus"].as_str(), from, "{row}");
    assert_eq!(row["status"], to, "{row}");
}

/// The acquirer request of the payment was refused twice with 503, then accepted (202);
/// returns that delivery.
async fn assert_acquirer_request_accepted_on_third_attempt(app: &TestApp, key: &str) -> Value {
    let request = app.wait_until_delivered(key, "ACQUIRER_REQUEST").await;
    assert_eq!(
        attempt_codes(&request),
        [Some(503), Some(503), Some(202)],
        "{request}"
    );
    request
}

#[actix_web::test]
async fn a_default_amount_is_approved_by_the_mock_then_completed_with_a_full_audit_trail() {
    let app = spawn_app().await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let created = app.pay(&merchant, "ORDER-1", 15_000).await;
    let key = key_of(&created);

    // Poll the merchant API itself, as a merchant backend would.
    let started = Instant::now();
    let (app, merchant, key) = (&app, &merchant, key.as_str());
    let approved = crate::helpers::eventually(
        "approval by the mock",
        Duration::from_secs(5),
        || async move {
            let res = app.get_payment(merchant, key).await;
            assert_eq!(res.status, 200, "{}", res.text());
            if res.json["status"] == "APPROVED" {
                Ok(res.json)
            } else {
                Err(res.text())
            }
        },
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let tx = approved["transactionId"].as_str().unwrap_or("");
    assert!(!tx.is_empty(), "transactionId set: {approved}");
    let approved_at = assert_timestamp(&approved["approvedAt"]);
    assert!(approved_at >= assert_timestamp(&approved["createdAt"]));
    for still_null in ["failureCode", "completedAt", "canceledAt", "failedAt"] {
        assert_eq!(
            approved[still_null],
            Value::Null,
            "{still_null}: {approved}"
        );
    }

    let completed = app.complete(merchant, key).await;
    assert_eq!(completed.status, 200, "{}", completed.text());
    assert_eq!(completed.json["status"], "COMPLETED");
    assert_eq!(completed.json["transactionId"], tx);
    assert_timestamp(&completed.json["completedAt"]);

    let logs = app.logs(merchant, key).await;
    assert_eq!(logs.status, 200, "{}", logs.text());
    let logs = logs.json["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        actions(&logs),
        ["CREATE", "APPROVE", "COMPLETE"],
        "{logs:?}"
    );
    assert_row(&logs[0], "CREATE", "MERCHANT", None, "READY");
    assert_row(&logs[1], "APPROVE", "ACQUIRER", Some("READY"), "APPROVED");
    assert_row(
        &logs[2],
        "COMPLETE",
        "MERCHANT",
        Some("APPROVED"),
        "COMPLETED",
    );

    // The request to the mock went through the outbox and is on record.
    let request = app.wait_until_delivered(key, "ACQUIRER_REQUEST").await;
    assert_eq!(attempt_codes(&request), [Some(202)], "{request}");
    assert!(
        request["targetUrl"]
            .as_str()
            .is_some_and(|u| u == format!("{}/mock/request", app.base_url)),
        "{request}"
    );
}

#[actix_web::test]
async fn a_declined_card_001_fails_the_payment_with_card_declined_by_the_acquirer() {
    let (app, _, key) = spawn_app_with_payment(15_001).await;

    let failed = app.wait_for_status(&key, "FAILED", WAIT).await;
    assert_eq!(failed["failureCode"], "CARD_DECLINED", "{failed}");
    assert!(failed["failureMessage"].is_string(), "{failed}");
    assert_timestamp(&failed["failedAt"]);
    assert_eq!(failed["approvedAt"], Value::Null);

    let logs = app.admin_logs(&key).await;
    assert_eq!(actions(&logs), ["CREATE", "FAIL"], "{logs:?}");
    assert_row(&logs[1], "FAIL", "ACQUIRER", Some("READY"), "FAILED");
}

#[actix_web::test]
async fn a_lost_webhook_002_leaves_the_payment_ready() {
    let (app, _, key) = spawn_app_with_payment(15_002).await;

    // The acquirer accepted the request...
    app.wait_until_delivered(&key, "ACQUIRER_REQUEST").await;
    // ...and then nothing happens: well past the mock's delay (50 ms) and a dispatcher round.
    actix_web::rt::time::sleep(Duration::from_millis(1200)).await;

    let payment = app.admin_payment(&key).await;
    assert_eq!(payment["status"], "READY", "{payment}");
    assert_eq!(payment["transactionId"], Value::Null);
    assert_eq!(actions(&app.admin_logs(&key).await), ["CREATE"]);
    assert!(
        app.deliveries("kind=ACQUIRER_WEBHOOK").await.is_empty(),
        "the mock sends no webhook"
    );
}

#[actix_web::test]
async fn a_webhook_delivered_twice_003_approves_once_and_notes_the_duplicate() {
    let (app, _, key) = spawn_app_with_payment(15_003).await;

    app.wait_for_status(&key, "APPROVED", WAIT).await;
    let app = &app;
    crate::helpers::eventually("both mock webhooks delivered", WAIT, || async move {
        let hooks = app.deliveries("kind=ACQUIRER_WEBHOOK").await;
        let delivered = hooks.iter().filter(|d| d["status"] == "DELIVERED").count();
        if hooks.len() == 2 && delivered == 2 {
            Ok(())
        } else {
            Err(Value::Array(hooks).to_string())
        }
    })
    .await;

    let logs = app.admin_logs(&key).await;
    assert_eq!(rows(&logs, "APPROVE").len(), 1, "{logs:?}");
    let duplicates = rows(&logs, "WEBHOOK_DUPLICATE");
    assert_eq!(duplicates.len(), 1, "{logs:?}");
    assert_eq!(duplicates[0]["actor"], "ACQUIRER");
    assert_eq!(
        duplicates[0]["fromStatus"],
        Value::Null,
        "a note, not a transition"
    );
    assert_eq!(duplicates[0]["status"], "APPROVED");
    for hook in app.deliveries("kind=ACQUIRER_WEBHOOK").await {
        assert_eq!(attempt_codes(&hook), [Some(200)], "{hook}");
    }
}

#[actix_web::test]
async fn a_slow_acquirer_004_approves_only_after_the_slow_delay() {
    let app = spawn_app().await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let started = Instant::now();
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_004).await);

    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.admin_payment(&key).await["status"], "READY");

    app.wait_for_status(&key, "APPROVED", WAIT).await;
    let took = started.elapsed();
    // slow_delay_ms is 2000 in the test profile.
    assert!(
        took >= Duration::from_millis(1900),
        "approved after {took:?}"
    );
}

#[actix_web::test]
async fn an_acquirer_refusing_twice_005_is_retried_and_approves_with_two_failures_noted() {
    let (app, _, key) = spawn_app_with_payment(15_005).await;

    app.wait_for_status(&key, "APPROVED", WAIT).await;
    let logs = app.admin_logs(&key).await;
    let failures = rows(&logs, "ACQUIRER_REQUEST_FAILED");
    assert_eq!(failures.len(), 2, "{logs:?}");
    for note in &failures {
        assert_eq!(note["actor"], "SYSTEM", "{note}");
        assert_eq!(note["fromStatus"], Value::Null, "{note}");
        assert_eq!(note["status"], "READY", "{note}");
        assert!(
            note["details"].as_str().is_some_and(|d| d.contains("503")),
            "{note}"
        );
    }
    assert_eq!(rows(&logs, "APPROVE").len(), 1, "{logs:?}");
    assert!(rows(&logs, "FAIL").is_empty(), "{logs:?}");

    assert_acquirer_request_accepted_on_third_attempt(&app, &key).await;
}

#[actix_web::test]
async fn a_wrong_amount_from_the_acquirer_006_leaves_the_payment_ready_and_the_mock_webhook_shows_422()
 {
    let (app, _, key) = spawn_app_with_payment(15_006).await;

    let app = &app;
    let hook = crate::helpers::eventually("the mock webhook to be refused", WAIT, || async move {
        let hooks = app.deliveries("kind=ACQUIRER_WEBHOOK").await;
        match hooks.as_slice() {
            [one] if one["status"] != "PENDING" => Ok(one.clone()),
            _ => Err(Value::Array(hooks).to_string()),
        }
    })
    .await;
    assert_eq!(attempt_codes(&hook), [Some(422)], "a 4xx is final: {hook}");
    assert_eq!(hook["status"], "DEAD", "{hook}");
    assert!(
        hook["attempts"][0]["responseExcerpt"]
            .as_str()
            .is_some_and(|e| e.contains("AMOUNT_MISMATCH")),
        "{hook}"
    );
    let payload: Value = serde_json::from_str(hook["payload"].as_str().unwrap_or("")).unwrap();
    assert_eq!(payload["paymentKey"], key.as_str());
    assert_eq!(payload["amount"], 15_007, "the mock reports amount + 1");

    let payment = app.admin_payment(&key).await;
    assert_eq!(payment["status"], "READY", "{payment}");
    assert_eq!(payment["transactionId"], Value::Null);
    let logs = app.admin_logs(&key).await;
    assert_eq!(actions(&logs), ["CREATE", "WEBHOOK_REJECTED"], "{logs:?}");
    assert_eq!(logs[1]["actor"], "ACQUIRER");
    assert_eq!(logs[1]["status"], "READY");
}

#[actix_web::test]
async fn a_cancel_the_acquirer_refuses_007_is_502_and_leaves_the_payment_approved() {
    let (app, merchant, key) = spawn_app_with_payment(15_007).await;
    let approved = app.wait_for_status(&key, "APPROVED", WAIT).await;

    let res = app.cancel(&merchant, &key, "customer asked").await;
    assert_problem(&res, 502, "ACQUIRER_ERROR");

    let after = app.admin_payment(&key).await;
    for field in ["status", "canceledAmount", "cancelableAmount", "canceledAt"] {
        assert_eq!(
            after[field], approved[field],
            "{field} is unchanged: {after}"
        );
    }
    let cancels = after["cancels"].as_array().unwrap();
    assert_eq!(
        cancels.len(),
        1,
        "the refused cancel stays visible: {after}"
    );
    assert_eq!(cancels[0]["status"], "FAILED");
    assert_eq!(cancels[0]["failureCode"], "CANCEL_REFUSED");
    assert_eq!(cancels[0]["amount"], 15_007);
    let logs = app.admin_logs(&key).await;
    assert!(rows(&logs, "CANCEL").is_empty());
    assert_eq!(rows(&logs, "CANCEL_FAILED").len(), 1, "{logs:?}");
}

#[actix_web::test]
async fn canceling_an_approved_payment_asks_the_acquirer_and_then_cancels() {
    let (app, merchant, key) = spawn_app_with_payment(15_000).await;
    app.wait_for_status(&key, "APPROVED", WAIT).await;

    let res = app.cancel(&merchant, &key, "customer asked").await;
    assert_canceled(&res, "customer asked");
    let logs = app.admin_logs(&key).await;
    assert_eq!(
        actions(&logs),
        ["CREATE", "APPROVE", "CANCEL_REQUESTED", "CANCEL"],
        "{logs:?}"
    );
    assert_row(&logs[3], "CANCEL", "MERCHANT", Some("APPROVED"), "CANCELED");
    // The acquirer was asked synchronously: that call is the durable message's one attempt,
    // recorded with the settle; the message was never sent again.
    let retries = app.deliveries_of(&key, "ACQUIRER_CANCEL").await;
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(retries[0]["status"], "DELIVERED", "{retries:?}");
    assert_eq!(retries[0]["attemptCount"], 1, "{retries:?}");
    let attempt = &retries[0]["attempts"][0];
    assert_eq!(
        (&attempt["attemptNo"], &attempt["statusCode"]),
        (&1.into(), &200.into())
    );
}

#[actix_web::test]
async fn an_unreachable_acquirer_fails_the_payment_as_unavailable_after_three_attempts() {
    let app = spawn_app_configured(&[(
        "SIMPLEPG__ACQUIRER__REQUEST_URL",
        "http://127.0.0.1:1/request",
    )])
    .await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);

    let failed = app.wait_for_status(&key, "FAILED", WAIT).await;
    assert_eq!(failed["failureCode"], "ACQUIRER_UNAVAILABLE", "{failed}");
    assert_timestamp(&failed["failedAt"]);
    assert_eq!(failed["transactionId"], Value::Null);

    let logs = app.admin_logs(&key).await;
    assert_eq!(
        actions(&logs),
        [
            "CREATE",
            "ACQUIRER_REQUEST_FAILED",
            "ACQUIRER_REQUEST_FAILED",
            "ACQUIRER_REQUEST_FAILED",
            "FAIL"
        ],
        "{logs:?}"
    );
    for note in rows(&logs, "ACQUIRER_REQUEST_FAILED") {
        assert_eq!(note["actor"], "SYSTEM", "{note}");
        assert_eq!(note["fromStatus"], Value::Null, "{note}");
    }
    assert_row(&logs[4], "FAIL", "SYSTEM", Some("READY"), "FAILED");

    let request = app.deliveries_of(&key, "ACQUIRER_REQUEST").await;
    assert_eq!(request.len(), 1);
    let request = &request[0];
    assert_eq!(request["status"], "DEAD", "{request}");
    assert_eq!(attempt_codes(request), [None, None, None], "{request}");
    for attempt in request["attempts"].as_array().unwrap() {
        assert!(
            attempt["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{attempt}"
        );
    }
}

#[actix_web::test]
async fn an_acquirer_that_recovers_within_the_attempts_keeps_the_payment_ready_for_its_webhook() {
    let (app, stub) = spawn_app_with_acquirer(
        Script::first_then(
            vec![Reply::status(503), Reply::status(503)],
            Reply::with_body(202, r#"{"transactionId":"stub-tx-1"}"#),
        ),
        &[],
    )
    .await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let created = app.pay(&merchant, "ORDER-1", 15_000).await;
    let key = key_of(&created);

    let request = assert_acquirer_request_accepted_on_third_attempt(&app, &key).await;

    // What the acquirer received (api.md §5): three signed attempts of one message.
    let seen = stub.requests();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for r in &seen {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/request");
        assert_eq!(
            r.webhook_id(),
            seen[0].webhook_id(),
            "stable id across retries"
        );
        r.verify(ACQUIRER_SECRET)
            .unwrap_or_else(|e| panic!("acquirer request signature: {e:?}"));
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with("application/json"))
        );
    }
    assert_eq!(
        seen[0].webhook_id(),
        request["deliveryId"].as_str().unwrap()
    );
    let body = seen[2].json();
    let expected = json!({
        "paymentKey": key, "orderNo": "ORDER-1", "amount": 15_000, "currency": "KRW",
        "methodCode": "CARD", "productName": "Coffee beans", "customerName": "Kim Minji",
        "returnUrl": format!("{}/api/webhook/payment", app.base_url),
    });
    assert_eq!(body, expected);

    // Recovered in time: the payment waits for the outcome, it did not fail.
    let payment = app.admin_payment(&key).await;
    assert_eq!(payment["status"], "READY", "{payment}");
    let logs = app.admin_logs(&key).await;
    assert_eq!(
        actions(&logs),
        [
            "CREATE",
            "ACQUIRER_REQUEST_FAILED",
            "ACQUIRER_REQUEST_FAILED"
        ],
        "{logs:?}"
    );

    let res = app.approve_as_stub(&key, 15_000).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["result"], "APPLIED");
    let approved = app.admin_payment(&key).await;
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["transactionId"], "stub-tx-1");
}
