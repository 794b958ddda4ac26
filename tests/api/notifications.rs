//! Merchant notifications (api.md §7, docs/webhooks.md): one signed event per status change to
//! the merchant's `returnUrl`, retried on the schedule (test profile: 0, 1, 1, 1 s), recorded
//! with every attempt, redeliverable by operators, in order per payment.

use std::time::Duration;

use crate::helpers::{ApiResponse, Merchant};
use awc::http::Method;
use serde_json::Value;

use crate::{
    helpers::{
        ADMIN_TOKEN, STAYS_READY, TestApp, WAIT, assert_problem, assert_timestamp, attempt_codes,
        eventually, key_of, spawn_app, spawn_app_configured, spawn_app_with_payment,
    },
    python_check::verify_with_python,
    receiver::{Received, Receiver, Reply, Script},
    standard_webhooks::{self, matching_signatures},
};

/// Asserts one merchant event: Standard Webhooks headers valid for `secret`, and a body
/// `{type, timestamp, data: payment}` about `key` in `status`.
#[track_caller]
fn assert_event(event: &Received, secret: &str, event_type: &str, key: &str, status: &str) {
    assert_eq!(event.method, "POST");
    assert!(
        event
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{event:?}"
    );
    let id = event.webhook_id();
    assert!(id.starts_with("evt_") && id.len() > 4, "webhook-id {id:?}");
    let ts: i64 = event
        .header("webhook-timestamp")
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("webhook-timestamp of {event:?}"));
    assert!(
        (standard_webhooks::now_secs() - ts).abs() <= 60,
        "webhook-timestamp {ts}"
    );
    if let Err(e) = event.verify(secret) {
        panic!("signature of {event_type} does not verify: {e:?}: {event:?}");
    }
    let verified = event
        .verified_event(&[secret])
        .unwrap_or_else(|e| panic!("the client crate refuses {event_type}: {e}: {event:?}"));
    assert_eq!(verified.id, id);
    let payment = verified.payment.expect("a payment event");
    assert_eq!(payment.payment_key, key);
    assert_eq!(payment.status.as_str(), status);
    let body = event.json();
    assert_eq!(body["type"], event_type, "{body}");
    assert_timestamp(&body["timestamp"]);
    assert_eq!(body["data"]["paymentKey"], key, "{body}");
    assert_eq!(body["data"]["status"], status, "{body}");
    assert!(
        body["data"]["clientId"].is_string(),
        "the full payment: {body}"
    );
    assert!(
        body["data"]["createdAt"].is_string(),
        "the full payment: {body}"
    );
    let keys: Vec<&String> = body
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys.len(), 3, "only type, timestamp and data: {body}");
}

/// A server with extra configuration `env` whose merchant's `returnUrl` is a receiver answering
/// 200.
async fn with_receiver_answering_200(env: &[(&str, &str)]) -> (TestApp, Receiver, Merchant) {
    with_receiver(env, Script::always(Reply::status(200))).await
}

/// A server with extra configuration `env` whose merchant's `returnUrl` is a receiver answering
/// as `script` says.
async fn with_receiver(env: &[(&str, &str)], script: Script) -> (TestApp, Receiver, Merchant) {
    let receiver = Receiver::start(script).await;
    let app = spawn_app_configured(env).await;
    let merchant = app.register_merchant("Shop", &receiver.url("/hook")).await;
    (app, receiver, merchant)
}

/// Rotates the merchant's webhook secret (200 expected): the answer and the new secret.
async fn rotate_webhook_secret(app: &TestApp, merchant: &Merchant) -> (ApiResponse, String) {
    let rotated = app
        .merchant_admin(Method::POST, &merchant.client_id, "/rotate-webhook-secret")
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let new_secret = rotated.json["webhookSecret"].as_str().unwrap().to_owned();
    (rotated, new_secret)
}

/// Creates a payment the mock approves; its key and the `payment.approved` event it sends.
async fn approval_event(
    app: &TestApp,
    receiver: &Receiver,
    merchant: &Merchant,
) -> (String, Received) {
    let key = key_of(&app.pay(merchant, "ORDER-1", 15_000).await);
    let event = receiver
        .wait_for("payment.approved", 1, WAIT, |r| r.payment_key() == key)
        .await
        .remove(0);
    (key, event)
}

#[actix_web::test]
async fn every_status_change_sends_exactly_one_signed_event_of_the_right_type() {
    // A short TTL so one payment expires; the others leave READY long before it.
    let (app, receiver, merchant) =
        with_receiver_answering_200(&[("SIMPLEPG__PAYMENT__READY_TTL_SECS", "4")]).await;
    let approved = key_of(&app.pay(&merchant, "ORDER-A", 15_000).await);
    let failed = key_of(&app.pay(&merchant, "ORDER-F", 15_001).await);
    let canceled = key_of(&app.pay(&merchant, "ORDER-C", STAYS_READY).await);
    let expired = key_of(&app.pay(&merchant, "ORDER-E", STAYS_READY).await);
    let res = app.cancel(&merchant, &canceled, "customer asked").await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.wait_for_status(&approved, "APPROVED", WAIT).await;
    let res = app.complete(&merchant, &approved).await;
    assert_eq!(res.status, 200, "{}", res.text());

    let expected: [(&str, &[(&str, &str)]); 4] = [
        (
            approved.as_str(),
            &[
                ("payment.approved", "APPROVED"),
                ("payment.completed", "COMPLETED"),
            ],
        ),
        (failed.as_str(), &[("payment.failed", "FAILED")]),
        (canceled.as_str(), &[("payment.canceled", "CANCELED")]),
        (expired.as_str(), &[("payment.expired", "EXPIRED")]),
    ];
    let app = &app;
    for (key, events) in expected {
        // Wait for the outbox to have delivered every event of the payment.
        let deliveries = eventually(&format!("the events of {key}"), WAIT, || async move {
            let list = app.deliveries_of(key, "MERCHANT_NOTIFICATION").await;
            if list.len() == events.len() && list.iter().all(|d| d["status"] == "DELIVERED") {
                Ok(list)
            } else {
                Err(Value::Array(list).to_string())
            }
        })
        .await;
        let received = receiver.events_of(key);
        assert_eq!(received.len(), events.len(), "{received:?}");
        for ((event, delivery), (event_type, status)) in
            received.iter().zip(&deliveries).zip(events)
        {
            assert_event(event, &merchant.webhook_secret, event_type, key, status);
            assert_eq!(event.webhook_id(), delivery["deliveryId"].as_str().unwrap());
            assert_eq!(delivery["eventType"], *event_type);
            assert_eq!(delivery["kind"], "MERCHANT_NOTIFICATION");
            assert_eq!(delivery["targetUrl"], receiver.url("/hook"));
            assert_eq!(delivery["clientId"], merchant.client_id.as_str());
            assert_eq!(attempt_codes(delivery), [Some(200)], "{delivery}");
            assert_eq!(
                delivery["payload"].as_str().map(str::as_bytes),
                Some(event.body.as_slice()),
                "the stored payload is the body sent"
            );
            assert_eq!(event.path, "/hook");
        }
    }
    // Every request the receiver got is one of those five events, each exactly once.
    let all = receiver.requests();
    assert_eq!(all.len(), 5, "{all:?}");
    let mut ids: Vec<&str> = all.iter().map(Received::webhook_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "distinct webhook ids");

    // The official Python library agrees with our verifier on one of them...
    let approved_event = &receiver.events_of(&approved)[0];
    let python = verify_with_python(
        &merchant.webhook_secret,
        approved_event,
        &approved_event.body,
    )
    .await;
    assert_eq!(python["verified"], true, "{python}");
    assert_eq!(python["type"], "payment.approved", "{python}");
    // ...and is not fooled by a tampered body or another secret.
    let mut tampered = approved_event.body.clone();
    tampered.push(b' ');
    let python = verify_with_python(&merchant.webhook_secret, approved_event, &tampered).await;
    assert_eq!(python["verified"], false, "{python}");
    let python = verify_with_python(
        &standard_webhooks::random_secret(),
        approved_event,
        &approved_event.body,
    )
    .await;
    assert_eq!(python["verified"], false, "{python}");
}

#[actix_web::test]
async fn a_receiver_failing_twice_gets_three_attempts_of_one_webhook_id_all_on_record() {
    let (app, receiver, merchant) = with_receiver(
        &[],
        Script::first_then(
            vec![
                Reply::with_body(500, "nope-1"),
                Reply::with_body(500, "nope-2"),
            ],
            Reply::with_body(200, "ok"),
        ),
    )
    .await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);

    let delivery = app
        .wait_until_delivered(&key, "MERCHANT_NOTIFICATION")
        .await;
    let seen = receiver.events_of(&key);
    assert_eq!(seen.len(), 3, "{seen:?}");
    for event in &seen {
        assert_event(
            event,
            &merchant.webhook_secret,
            "payment.approved",
            &key,
            "APPROVED",
        );
        assert_eq!(
            event.webhook_id(),
            seen[0].webhook_id(),
            "stable across retries"
        );
        assert_eq!(event.body, seen[0].body, "the same event each time");
    }
    assert_eq!(
        seen.iter().map(|e| e.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    // The schedule waits a second between attempts.
    for pair in seen.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(gap >= Duration::from_millis(900), "retried after {gap:?}");
    }

    // Operators see it all (GET /admin/api/deliveries?paymentKey=…).
    let listed = app.deliveries(&format!("paymentKey={key}")).await;
    let listed: Vec<&Value> = listed
        .iter()
        .filter(|d| d["kind"] == "MERCHANT_NOTIFICATION")
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(*listed[0], delivery);
    assert_eq!(delivery["deliveryId"].as_str(), Some(seen[0].webhook_id()));
    assert_eq!(delivery["attemptCount"], 3);
    assert_eq!(attempt_codes(&delivery), [Some(500), Some(500), Some(200)]);
    let attempts = delivery["attempts"].as_array().unwrap();
    for (i, (attempt, excerpt)) in attempts.iter().zip(["nope-1", "nope-2", "ok"]).enumerate() {
        assert_eq!(attempt["attemptNo"], i + 1, "{attempt}");
        assert!(attempt["latencyMs"].is_u64(), "{attempt}");
        assert_eq!(attempt["responseExcerpt"], excerpt, "{attempt}");
        assert_eq!(attempt["error"], Value::Null, "{attempt}");
        assert_timestamp(&attempt["startedAt"]);
    }
    assert_eq!(delivery["nextAttemptAt"], Value::Null, "{delivery}");

    let shown = app
        .admin_get(&format!("/admin/api/deliveries/{}", seen[0].webhook_id()))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(shown.json, delivery);
}

#[actix_web::test]
async fn a_receiver_that_never_succeeds_ends_dead_and_a_manual_retry_redelivers_the_same_event() {
    let (app, receiver, merchant) =
        with_receiver(&[], Script::always(Reply::with_body(500, "down"))).await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);

    // While it is being retried, a manual retry is refused.
    let pending = app
        .wait_for_delivery(
            &key,
            "MERCHANT_NOTIFICATION",
            "a failed first attempt",
            // lastError too: the listing reads a message and its attempts in two statements,
            // so for a moment it can show the new attempt on the message's old state.
            |d| d["status"] == "PENDING" && d["attemptCount"] == 1 && d["lastError"].is_string(),
        )
        .await;
    assert!(pending["nextAttemptAt"].is_string(), "{pending}");
    assert!(pending["lastError"].is_string(), "{pending}");
    let id = pending["deliveryId"].as_str().unwrap().to_owned();
    let retry_path = format!("/admin/api/deliveries/{id}/retry");
    let refused = app.admin(Method::POST, &retry_path, None).await;
    assert_problem(&refused, 409, "DELIVERY_PENDING");

    // Four attempts in the test profile, then DEAD.
    let dead = app
        .wait_for_delivery(&key, "MERCHANT_NOTIFICATION", "DEAD", |d| {
            d["status"] == "DEAD"
        })
        .await;
    assert_eq!(attempt_codes(&dead), [Some(500); 4], "{dead}");
    assert_eq!(dead["nextAttemptAt"], Value::Null, "{dead}");
    assert_eq!(receiver.events_of(&key).len(), 4);

    // The receiver recovers; an operator redelivers.
    receiver.set_script(Script::always(Reply::status(204)));
    let retried = app.admin(Method::POST, &retry_path, None).await;
    assert_eq!(retried.status, 202, "{}", retried.text());
    assert_eq!(retried.json["deliveryId"], id.as_str());
    let delivered = app
        .wait_until_delivered(&key, "MERCHANT_NOTIFICATION")
        .await;
    assert_eq!(
        attempt_codes(&delivered),
        [Some(500), Some(500), Some(500), Some(500), Some(204)],
        "{delivered}"
    );
    let seen = receiver.events_of(&key);
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|e| e.webhook_id() == id), "{seen:?}");
    assert_eq!(seen[4].answered, 204);
    assert_event(
        &seen[4],
        &merchant.webhook_secret,
        "payment.approved",
        &key,
        "APPROVED",
    );

    // A DELIVERED one can be redelivered too.
    let again = app.admin(Method::POST, &retry_path, None).await;
    assert_eq!(again.status, 202, "{}", again.text());
    receiver
        .wait_for("a sixth copy", 6, WAIT, |r| r.webhook_id() == id)
        .await;
}

#[actix_web::test]
async fn a_redirect_from_the_receiver_is_not_followed_and_counts_as_a_failure() {
    let receiver = Receiver::start(Script::always(Reply::status(500))).await;
    let moved = receiver.url("/moved");
    receiver.set_script(Script::always(Reply::redirect(302, &moved)));
    let app =
        spawn_app_configured(&[("SIMPLEPG__NOTIFICATIONS__RETRY_SCHEDULE_SECS", "0,1")]).await;
    let merchant = app.register_merchant("Shop", &receiver.url("/hook")).await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);

    let dead = app
        .wait_for_delivery(&key, "MERCHANT_NOTIFICATION", "DEAD", |d| {
            d["status"] == "DEAD"
        })
        .await;
    assert_eq!(attempt_codes(&dead), [Some(302), Some(302)], "{dead}");
    let paths: Vec<String> = receiver.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/hook", "/hook"], "the Location was never followed");
}

#[actix_web::test]
async fn the_events_of_one_payment_arrive_in_order_even_while_the_first_is_retried() {
    // The first attempt fails; the retry comes 2 s later. The payment is completed meanwhile,
    // but payment.completed must wait for payment.approved.
    let (app, receiver, merchant) = with_receiver(
        &[("SIMPLEPG__NOTIFICATIONS__RETRY_SCHEDULE_SECS", "0,2,1,1")],
        Script::first_then(vec![Reply::status(503)], Reply::status(200)),
    )
    .await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);
    app.wait_for_status(&key, "APPROVED", WAIT).await;
    receiver
        .wait_for("the failed first attempt", 1, WAIT, |_| true)
        .await;
    let res = app.complete(&merchant, &key).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let completed_at = std::time::Instant::now();

    let seen = receiver
        .wait_for("approved, approved again, completed", 3, WAIT, |_| true)
        .await;
    let order: Vec<(String, u16)> = seen.iter().map(|e| (e.event_type(), e.answered)).collect();
    assert_eq!(
        order,
        [
            ("payment.approved".to_owned(), 503),
            ("payment.approved".to_owned(), 200),
            ("payment.completed".to_owned(), 200),
        ]
    );
    assert!(
        seen[1].at > completed_at,
        "the completion happened while approved was still pending"
    );
    assert_event(
        &seen[2],
        &merchant.webhook_secret,
        "payment.completed",
        &key,
        "COMPLETED",
    );
}

#[actix_web::test]
async fn after_a_webhook_secret_rotation_events_are_signed_with_the_old_and_the_new_secret() {
    let (app, receiver, merchant) = with_receiver_answering_200(&[]).await;
    let (rotated, new_secret) = rotate_webhook_secret(&app, &merchant).await;
    assert!(new_secret.starts_with("whsec_"), "{new_secret}");
    assert_ne!(new_secret, merchant.webhook_secret);
    let until = assert_timestamp(&rotated.json["previousWebhookSecretValidUntil"]);
    let in_a_day = time::OffsetDateTime::now_utc() + time::Duration::hours(24);
    assert!(
        (until - in_a_day).abs() < time::Duration::minutes(5),
        "{until}"
    );

    let (key, event) = approval_event(&app, &receiver, &merchant).await;
    let signatures = event.header("webhook-signature").unwrap();
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    assert!(
        signatures.split(' ').all(|s| s.starts_with("v1,")),
        "{signatures}"
    );
    let id = event.webhook_id();
    let ts = event.header("webhook-timestamp").unwrap();
    let old = matching_signatures(&merchant.webhook_secret, id, ts, signatures, &event.body);
    let new = matching_signatures(&new_secret, id, ts, signatures, &event.body);
    assert_eq!(old.len(), 1, "one signature verifies with the old secret");
    assert_eq!(new.len(), 1, "one signature verifies with the new secret");
    assert_ne!(old, new, "two different signatures");
    assert_event(&event, &new_secret, "payment.approved", &key, "APPROVED");
    assert_event(
        &event,
        &merchant.webhook_secret,
        "payment.approved",
        &key,
        "APPROVED",
    );
}

#[actix_web::test]
async fn without_a_grace_period_only_the_new_webhook_secret_signs() {
    let (app, receiver, merchant) =
        with_receiver_answering_200(&[("SIMPLEPG__NOTIFICATIONS__WEBHOOK_SECRET_GRACE_SECS", "0")])
            .await;
    let (_, new_secret) = rotate_webhook_secret(&app, &merchant).await;

    let (_, event) = approval_event(&app, &receiver, &merchant).await;
    assert_eq!(
        event
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count(),
        1
    );
    assert!(event.verify(&new_secret).is_ok());
    assert!(event.verify(&merchant.webhook_secret).is_err());
}

#[actix_web::test]
async fn a_merchant_without_a_return_url_gets_no_deliveries_and_its_payments_flow_normally() {
    let app = spawn_app().await;
    let merchant = app.register_merchant_without_return_url("Quiet Shop").await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);
    app.wait_for_status(&key, "APPROVED", WAIT).await;
    let res = app.complete(&merchant, &key).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let declined = key_of(&app.pay(&merchant, "ORDER-2", 15_001).await);
    app.wait_for_status(&declined, "FAILED", WAIT).await;

    let kinds = |list: Vec<Value>| -> Vec<String> {
        list.iter()
            .map(|d| d["kind"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(
        kinds(app.deliveries(&format!("paymentKey={key}")).await),
        ["ACQUIRER_CAPTURE", "ACQUIRER_REQUEST"]
    );
    assert_eq!(
        kinds(app.deliveries(&format!("paymentKey={declined}")).await),
        ["ACQUIRER_REQUEST"]
    );
    assert!(
        app.deliveries(&format!(
            "kind=MERCHANT_NOTIFICATION&clientId={}",
            merchant.client_id
        ))
        .await
        .is_empty()
    );
    let logs = app.admin_logs(&key).await;
    assert_eq!(
        crate::helpers::actions(&logs),
        ["CREATE", "APPROVE", "COMPLETE"],
        "{logs:?}"
    );
}

#[actix_web::test]
async fn the_deliveries_endpoints_need_the_admin_token_and_report_unknown_ids() {
    let (app, _, key) = spawn_app_with_payment(15_000).await;
    let real = app.wait_until_delivered(&key, "ACQUIRER_REQUEST").await;
    let real_id = real["deliveryId"].as_str().unwrap().to_owned();
    let unknown = format!("evt_{}", uuid::Uuid::now_v7().simple());

    let paths = [
        (Method::GET, "/admin/api/deliveries".to_owned()),
        (Method::GET, format!("/admin/api/deliveries/{real_id}")),
        (
            Method::POST,
            format!("/admin/api/deliveries/{real_id}/retry"),
        ),
        (Method::GET, format!("/admin/api/deliveries/{unknown}")),
        (
            Method::POST,
            format!("/admin/api/deliveries/{unknown}/retry"),
        ),
    ];
    let wrong = format!("Bearer {ADMIN_TOKEN}x");
    for (method, path) in &paths {
        for auth in [None, Some(wrong.as_str()), Some("Basic dGVzdDp0ZXN0")] {
            let res = app.admin_with(method.clone(), path, None, auth).await;
            assert_problem(&res, 401, "ADMIN_UNAUTHORIZED");
        }
    }
    // Nothing was redelivered by the refused requests.
    assert_eq!(
        app.deliveries_of(&key, "ACQUIRER_REQUEST").await[0]["attemptCount"],
        1
    );

    for path in [
        format!("/admin/api/deliveries/{unknown}"),
        "/admin/api/deliveries/not-an-id".to_owned(),
    ] {
        assert_problem(&app.admin_get(&path).await, 404, "DELIVERY_NOT_FOUND");
        let retry = format!("{path}/retry");
        assert_problem(
            &app.admin(Method::POST, &retry, None).await,
            404,
            "DELIVERY_NOT_FOUND",
        );
    }

    let shown = app
        .admin_get(&format!("/admin/api/deliveries/{real_id}"))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(shown.json["deliveryId"], real_id.as_str());
    let filtered = app
        .deliveries("status=DELIVERED&kind=ACQUIRER_REQUEST")
        .await;
    assert!(filtered.iter().any(|d| d["deliveryId"] == real_id.as_str()));
    let bad = app.admin_get("/admin/api/deliveries?status=LOST").await;
    crate::helpers::assert_invalid_field(&bad, "status");
}
