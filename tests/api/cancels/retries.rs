//! Cancels the acquirer does not confirm at once (api.md §9.2, §9.5): the merchant gets 202 with
//! the PENDING cancel (its amount reserved), and the durable outbox asks again under the same
//! `cancelId` until the cancel ends SUCCEEDED — once — or, after the last attempt, FAILED with
//! `payment.cancel_failed` and its amount released.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    helpers::{
        TestApp, WAIT, actions, assert_amounts, assert_cancel, assert_last_cancel, assert_money,
        assert_problem, attempt_codes, attempt_numbers, cancel_by_id, cancel_id, cancels_of,
        eventually, key_of, rows, spawn_app_with_acquirer, spawn_app_with_completed_payment,
    },
    receiver::{Receiver, Reply, Script},
    standard_webhooks::ACQUIRER_SECRET,
};

/// The cancel id named in an audit row's details (`cancelId=cnl_…`).
#[track_caller]
fn cancel_id_in(row: &Value) -> String {
    row["details"]
        .as_str()
        .and_then(|d| {
            d.split_whitespace()
                .find_map(|w| w.strip_prefix("cancelId="))
        })
        .unwrap_or_else(|| panic!("no cancelId in {row}"))
        .to_owned()
}

/// Asserts the payment ended CANCELED by exactly one PARTIAL_CANCEL and one CANCEL, both settled
/// by the outbox (actor SYSTEM), with the reason of the cancel that emptied it.
async fn assert_canceled_in_two_steps_by_the_outbox(app: &TestApp, key: &str) -> Value {
    let payment = app.admin_payment(key).await;
    assert_eq!(payment["status"], "CANCELED", "{payment}");
    let logs = app.admin_logs(key).await;
    let (partial, full) = (rows(&logs, "PARTIAL_CANCEL"), rows(&logs, "CANCEL"));
    assert_eq!((partial.len(), full.len()), (1, 1), "{logs:?}");
    for row in partial.iter().chain(&full) {
        assert_eq!(row["actor"], "SYSTEM", "settled by the outbox: {row}");
    }
    let emptied_by = cancel_by_id(&payment, &cancel_id_in(full[0]));
    assert_eq!(payment["cancelReason"], emptied_by["reason"], "{payment}");
    payment
}

/// Waits until the payment has `count` ACQUIRER_CANCEL deliveries and none is PENDING; them.
async fn ended_deliveries(app: &TestApp, key: &str, count: usize) -> Vec<Value> {
    eventually("the cancel deliveries to end", WAIT, || async move {
        let list = app.deliveries_of(key, "ACQUIRER_CANCEL").await;
        if list.len() == count && list.iter().all(|d| d["status"] != "PENDING") {
            Ok(list)
        } else {
            Err(Value::Array(list).to_string())
        }
    })
    .await
}

#[actix_web::test]
async fn a_cancel_the_acquirer_answers_503_twice_008_is_202_pending_then_succeeds_from_the_outbox()
{
    let (app, merchant, key) = spawn_app_with_completed_payment(15_008).await;

    let first = app
        .cancel_answered(&merchant, &key, "most of it", Some(10_000), 202)
        .await;
    // Unchanged until the acquirer confirms.
    assert_money(&first, "COMPLETED", 0, 5_008);
    assert_last_cancel(&first, 1, 10_000, "most of it", "PENDING");

    // The pending amount is reserved: only what is left may be canceled meanwhile.
    let res = app
        .cancel_with_amount(&merchant, &key, "too much", Some(6_000))
        .await;
    assert_problem(&res, 409, "CANCEL_AMOUNT_EXCEEDED");
    let rest = app
        .cancel_answered(&merchant, &key, "the rest", None, 202)
        .await;
    assert_amounts(&rest, 0, 0);
    assert_last_cancel(&rest, 2, 5_008, "the rest", "PENDING");
    let res = app
        .cancel_with_amount(&merchant, &key, "nothing left", None)
        .await;
    assert_problem(&res, 409, "CANCEL_AMOUNT_EXCEEDED");

    let done = app.wait_until_no_cancel_pending(&key, WAIT).await;
    assert_amounts(&done, 15_008, 0);
    assert_cancel(&cancels_of(&done)[0], 10_000, "most of it", "SUCCEEDED");
    assert_last_cancel(&done, 2, 5_008, "the rest", "SUCCEEDED");
    assert_canceled_in_two_steps_by_the_outbox(&app, &key).await;
    // Each cancel: the merchant's call got the first 503 (listed as attempt 0, not one of the
    // outbox's), the outbox the second, then 200.
    let deliveries = ended_deliveries(&app, &key, 2).await;
    for d in &deliveries {
        assert_eq!(d["status"], "DELIVERED", "{d}");
        assert_eq!(attempt_codes(d), [Some(503), Some(503), Some(200)], "{d}");
        assert_eq!(attempt_numbers(d), [Some(0), Some(1), Some(2)], "{d}");
    }
}

#[actix_web::test]
async fn a_slow_acquirer_cancel_009_is_202_after_the_cancel_timeout_then_succeeds_exactly_once() {
    let (app, merchant, key) = spawn_app_with_completed_payment(15_009).await;

    let started = Instant::now();
    let res = app
        .cancel_with_amount(&merchant, &key, "most of it", Some(10_000))
        .await;
    let took = started.elapsed();

    assert_eq!(res.status, 202, "{}", res.text());
    // acquirer.cancel_timeout_ms is 3000; the mock answers after 5000 (and a 202 is not its
    // answer).
    assert!(
        took >= Duration::from_millis(2_900),
        "answered after {took:?}"
    );
    let pending = cancels_of(&res.json).remove(0);
    assert_cancel(&pending, 10_000, "most of it", "PENDING");
    let id = cancel_id(&pending);

    let done = app.wait_until_no_cancel_pending(&key, WAIT).await;
    assert_money(&done, "PARTIAL_CANCELED", 10_000, 5_009);
    let cancel = cancel_by_id(&done, &id);
    assert_cancel(&cancel, 10_000, "most of it", "SUCCEEDED");
    let logs = app.admin_logs(&key).await;
    assert_eq!(rows(&logs, "PARTIAL_CANCEL").len(), 1, "{logs:?}");
    let delivery = app.wait_until_delivered(&key, "ACQUIRER_CANCEL").await;
    // The call that timed out (no status), then the outbox's that the mock answered.
    assert_eq!(attempt_codes(&delivery), [None, Some(200)], "{delivery}");
    assert_eq!(attempt_numbers(&delivery), [Some(0), Some(1)], "{delivery}");
    assert_eq!(delivery["attempts"][0]["error"], "timeout", "{delivery}");

    // The mock is idempotent by cancelId: asked again, it answers at once, the same reference.
    let payment = app.admin_payment(&key).await;
    let again = json!({
        "paymentKey": key, "transactionId": payment["transactionId"], "cancelId": id,
        "amount": 10_000, "cancelReason": "most of it",
    });
    let started = Instant::now();
    let res = app
        .post_signed_by_acquirer("/mock/request/cancel", again.to_string().into_bytes())
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "not carried out again"
    );
    assert_eq!(res.json["transactionId"], cancel["acquirerTransactionId"]);

    // It canceled 10 000 once, not twice: the remaining 5 009 still go through.
    app.cancel_answered(&merchant, &key, "the rest", None, 202)
        .await;
    let done = app.wait_until_no_cancel_pending(&key, WAIT).await;
    assert_amounts(&done, 15_009, 0);
    assert!(
        cancels_of(&done).iter().all(|c| c["status"] == "SUCCEEDED"),
        "{done}"
    );
    assert_canceled_in_two_steps_by_the_outbox(&app, &key).await;
}

#[actix_web::test]
async fn a_pending_cancel_the_acquirer_never_confirms_ends_failed_with_cancel_failed_and_its_amount_released()
 {
    // A stub acquirer: takes the payment request, then answers every cancel with 503.
    let (app, acquirer) = spawn_app_with_acquirer(
        Script::stub_acquirer_then(Reply::status(503)),
        &[("SIMPLEPG__ACQUIRER__CANCEL_TIMEOUT_MS", "500")],
    )
    .await;
    let merchant_endpoint = Receiver::ok().await;
    let merchant = app
        .register_merchant("Shop", &merchant_endpoint.url("/hook"))
        .await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);
    app.wait_until_delivered(&key, "ACQUIRER_REQUEST").await;
    assert_eq!(app.approve_as_stub(&key, 15_000).await.status, 200);

    let res = app.cancel(&merchant, &key, "customer asked").await;
    assert_eq!(res.status, 202, "{}", res.text());
    assert_cancel(
        &cancels_of(&res.json)[0],
        15_000,
        "customer asked",
        "PENDING",
    );
    assert_amounts(&res.json, 0, 0);

    let ended = app.wait_until_no_cancel_pending(&key, WAIT).await;
    assert_money(&ended, "APPROVED", 0, 15_000);
    let cancel = assert_last_cancel(&ended, 1, 15_000, "customer asked", "FAILED");
    assert_eq!(cancel["failureCode"], "ACQUIRER_UNAVAILABLE", "{cancel}");
    let logs = app.admin_logs(&key).await;
    assert_eq!(
        actions(&logs),
        ["CREATE", "APPROVE", "CANCEL_REQUESTED", "CANCEL_FAILED"],
        "{logs:?}"
    );
    assert_eq!(logs[3]["actor"], "SYSTEM", "{}", logs[3]);
    let delivery = ended_deliveries(&app, &key, 1).await.remove(0);
    assert_eq!(delivery["status"], "DEAD", "{delivery}");
    assert_eq!(
        attempt_codes(&delivery),
        [Some(503); 4],
        "the merchant's call and the outbox's three: {delivery}"
    );
    assert_eq!(
        attempt_numbers(&delivery),
        [Some(0), Some(1), Some(2), Some(3)],
        "{delivery}"
    );

    // The acquirer saw one cancel message, four times: signed, under one webhook-id and cancelId.
    let calls = acquirer.requests_to("/request/cancel");
    assert_eq!(
        calls.len(),
        4,
        "the merchant's call and three retries: {calls:?}"
    );
    for call in &calls {
        call.verify(ACQUIRER_SECRET)
            .unwrap_or_else(|e| panic!("cancel signature: {e:?}"));
        assert_eq!(call.webhook_id(), calls[0].webhook_id());
        assert_eq!(
            call.json(),
            json!({
                "paymentKey": key, "transactionId": "stub-tx-1", "cancelId": cancel["cancelId"],
                "amount": 15_000, "cancelReason": "customer asked",
            })
        );
    }

    // The merchant hears of it, with the failed cancel.
    let events = merchant_endpoint
        .wait_for("payment.cancel_failed", 1, WAIT, |r| {
            r.event_type() == "payment.cancel_failed"
        })
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    let body = events[0].json();
    assert_eq!(body["data"]["paymentKey"], key.as_str());
    assert_eq!(body["data"]["status"], "APPROVED", "{body}");
    assert_eq!(body["data"]["cancels"][0]["status"], "FAILED", "{body}");
    events[0]
        .verify(&merchant.webhook_secret)
        .unwrap_or_else(|e| panic!("event signature: {e:?}"));

    // Released: the payment can be completed again (no void is pending).
    let completed = app.complete(&merchant, &key).await;
    assert_eq!(completed.status, 200, "{}", completed.text());
    assert_amounts(&completed.json, 0, 15_000);
}
