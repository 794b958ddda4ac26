//! Capture (api.md §9.3): completing a payment queues an `ACQUIRER_CAPTURE` in the same
//! transaction, sent at-least-once after the commit to `{request_url}/capture`, signed, retried
//! on the acquirer schedule and visible to operators with the other deliveries. The merchant's
//! answer never waits for it.

use serde_json::{Value, json};

use crate::{
    helpers::{
        WAIT, actions, attempt_codes, eventually, key_of, spawn_app_with_acquirer,
        spawn_app_with_completed_payment, spawn_app_with_merchant,
    },
    receiver::{Reply, Script},
    standard_webhooks::ACQUIRER_SECRET,
};

#[actix_web::test]
async fn completing_a_payment_queues_one_capture_that_the_mock_takes_and_operators_see_delivered() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let key = app.approved_payment(&merchant, "ORDER-1", 15_000).await;
    assert!(
        app.deliveries_of(&key, "ACQUIRER_CAPTURE").await.is_empty(),
        "nothing is captured before the merchant completes"
    );

    let res = app.complete(&merchant, &key).await;
    assert_eq!(res.status, 200, "{}", res.text());

    let capture = app.wait_until_delivered(&key, "ACQUIRER_CAPTURE").await;
    assert_eq!(attempt_codes(&capture), [Some(200)], "{capture}");
    assert_eq!(
        capture["targetUrl"],
        format!("{}/mock/request/capture", app.base_url),
        "{capture}"
    );
    let payload: Value = serde_json::from_str(capture["payload"].as_str().unwrap_or("")).unwrap();
    let payment = app.admin_payment(&key).await;
    assert_eq!(
        payload,
        json!({ "paymentKey": key, "transactionId": payment["transactionId"], "amount": 15_000 })
    );
    // Listed with the other deliveries, filtered by kind.
    let listed = app.deliveries("kind=ACQUIRER_CAPTURE").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["deliveryId"], capture["deliveryId"]);
    // A capture is not a transition.
    assert_eq!(
        actions(&app.admin_logs(&key).await),
        ["CREATE", "APPROVE", "COMPLETE"]
    );
}

#[actix_web::test]
async fn a_capture_the_acquirer_refuses_twice_005_is_retried_until_it_is_delivered() {
    let (app, _, key) = spawn_app_with_completed_payment(15_005).await;

    let capture = app.wait_until_delivered(&key, "ACQUIRER_CAPTURE").await;

    assert_eq!(
        attempt_codes(&capture),
        [Some(503), Some(503), Some(200)],
        "{capture}"
    );
    assert_eq!(app.admin_payment(&key).await["status"], "COMPLETED");
}

#[actix_web::test]
async fn a_capture_is_signed_for_the_acquirer_and_one_it_never_takes_ends_dead_leaving_the_payment_completed()
 {
    // A stub acquirer: takes the payment request, then answers everything with 503.
    let (app, acquirer) =
        spawn_app_with_acquirer(Script::stub_acquirer_then(Reply::status(503)), &[]).await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);
    app.wait_until_delivered(&key, "ACQUIRER_REQUEST").await;
    assert_eq!(app.approve_as_stub(&key, 15_000).await.status, 200);

    let res = app.complete(&merchant, &key).await;
    assert_eq!(
        res.status,
        200,
        "the merchant does not wait: {}",
        res.text()
    );

    let app = &app;
    let capture = eventually("the capture to be given up", WAIT, || {
        let key = key.clone();
        async move {
            match app.deliveries_of(&key, "ACQUIRER_CAPTURE").await.as_slice() {
                [one] if one["status"] == "DEAD" => Ok(one.clone()),
                other => Err(Value::Array(other.to_vec()).to_string()),
            }
        }
    })
    .await;
    assert_eq!(
        attempt_codes(&capture),
        [Some(503), Some(503), Some(503)],
        "{capture}"
    );
    let payment = app.admin_payment(&key).await;
    assert_eq!(payment["status"], "COMPLETED", "{payment}");
    assert_eq!(
        actions(&app.admin_logs(&key).await),
        ["CREATE", "APPROVE", "COMPLETE"]
    );

    let calls = acquirer.requests_to("/request/capture");
    assert_eq!(calls.len(), 3, "{calls:?}");
    for call in &calls {
        assert_eq!(call.method, "POST");
        call.verify(ACQUIRER_SECRET)
            .unwrap_or_else(|e| panic!("capture signature: {e:?}"));
        assert_eq!(call.webhook_id(), capture["deliveryId"].as_str().unwrap());
        assert_eq!(
            call.json(),
            json!({ "paymentKey": key, "transactionId": "stub-tx-1", "amount": 15_000 })
        );
    }
}
