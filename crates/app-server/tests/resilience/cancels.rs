//! Money movement under stress (api.md §9.2): concurrent partial cancels over two instances never
//! cancel more than the payment's amount, and a PENDING cancel survives a SIGKILL of the server
//! and an acquirer that is down for a while, ending SUCCEEDED exactly once.

use std::time::Duration;

use adapters_mysql::test_util::TestDatabase;
use futures_util::future::join_all;
use serde_json::{Value, json};
use test_support::{WAIT, cancels, eventually, server_env, settled_payment, taken_and_refused};

use crate::support::{
    Api, Instance, Merchant, Reply, ServerProcess, acquirer_webhook, admin_list, assert_invariants,
    audit_rows, instance, payment_key_of_new, register,
};

/// A payment amount the mock acquirer never answers (…002), so the tests approve it themselves;
/// its cancels are confirmed at once.
const AMOUNT: i64 = 15_002;

/// The payment as its merchant reads it.
async fn payment(api: &Api, m: &Merchant, key: &str) -> Value {
    api.payment(m, key).await.unwrap()
}

/// The sum of the amounts of the payment's cancels in `status`.
fn sum_of(payment: &Value, status: &str) -> i64 {
    cancels(payment)
        .iter()
        .filter(|c| c["status"] == status)
        .map(|c| c["amount"].as_i64().unwrap())
        .sum()
}

/// `POST /api/payments/{key}/cancel` of `amount` (all that is left when `None`).
async fn cancel(api: &Api, m: &Merchant, key: &str, amount: Option<i64>) -> Reply {
    api.cancel(m, key, "resilience", amount).await.unwrap()
}

/// Completes the payment through `api` (200 expected).
async fn complete(api: &Api, m: &Merchant, key: &str) {
    let completed = api.complete(m, key).await.unwrap();
    assert_eq!(completed.status, 200, "{}", completed.text());
}

/// Waits until the payment has `status`; the payment.
async fn wait_for_status(
    api: &Api,
    m: &Merchant,
    key: &str,
    status: &str,
    within: Duration,
) -> Value {
    eventually(&format!("{key} to be {status}"), within, || async move {
        let p = payment(api, m, key).await;
        if p["status"] == status {
            Ok(p)
        } else {
            Err(p.to_string())
        }
    })
    .await
}

/// A COMPLETED payment of `amount`: created through `api`, approved by the mock acquirer (the
/// scenario of the amount's last three digits), completed by the merchant.
async fn approved_by_the_mock_then_completed(
    api: &Api,
    m: &Merchant,
    order_no: &str,
    amount: i64,
) -> String {
    let key = payment_key_of_new(api, m, order_no, amount).await;
    wait_for_status(api, m, &key, "APPROVED", WAIT).await;
    complete(api, m, &key).await;
    key
}

/// A COMPLETED payment of [`AMOUNT`]: created through `api`, approved by the acquirer's webhook,
/// completed by the merchant.
async fn completed_payment(api: &Api, m: &Merchant, order_no: &str) -> String {
    let key = payment_key_of_new(api, m, order_no, AMOUNT).await;
    let approve = json!({ "paymentKey": key, "transactionId": format!("tx-{order_no}"),
        "status": "APPROVED", "amount": AMOUNT })
    .to_string();
    let approved = acquirer_webhook(api, &approve, &format!("wh-{order_no}")).await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    complete(api, m, &key).await;
    key
}

/// Sends one partial cancel of each of `amounts` at once, alternately through `a` and `b`, then
/// proves the money invariant (api.md §9.2): no 5xx; every request is taken (200/202) or refused
/// with 409 `CANCEL_AMOUNT_EXCEEDED`; what was taken fits in the amount; nothing refused would
/// have fit in what is left at the end; and once every cancel ended, `canceledAmount` is the sum
/// of the SUCCEEDED cancels, which are exactly the ones taken, each with one transition row.
async fn race_partial_cancels(a: &Api, b: &Api, m: &Merchant, key: &str, amounts: &[i64]) {
    let replies = join_all(amounts.iter().enumerate().map(|(i, &amount)| {
        let target = if i % 2 == 0 { a } else { b };
        cancel(target, m, key, Some(amount))
    }))
    .await;
    let (taken, refused) = taken_and_refused(&replies, amounts);
    let taken_sum: i64 = taken.iter().sum();
    assert!(taken_sum <= AMOUNT, "took {taken:?}, over {AMOUNT}");

    let settled = settled_payment(a, m, key, WAIT).await;
    let succeeded = sum_of(&settled, "SUCCEEDED");
    assert_eq!(settled["canceledAmount"], succeeded, "{settled}");
    assert_eq!(
        succeeded, taken_sum,
        "every cancel taken succeeded: {settled}"
    );
    assert_eq!(sum_of(&settled, "FAILED"), 0, "{settled}");
    let n_succeeded = cancels(&settled)
        .iter()
        .filter(|c| c["status"] == "SUCCEEDED")
        .count();
    assert_eq!(
        n_succeeded,
        taken.len(),
        "no lost and no extra cancel: {settled}"
    );
    let left = settled["cancelableAmount"].as_i64().unwrap();
    assert_eq!(left, AMOUNT - taken_sum, "{settled}");
    assert!(
        refused.iter().all(|&r| r > left),
        "refused {refused:?} though {left} is left"
    );
    let transitions =
        audit_rows(b, m, key, "PARTIAL_CANCEL").await + audit_rows(b, m, key, "CANCEL").await;
    assert_eq!(
        transitions,
        taken.len(),
        "one transition row per succeeded cancel"
    );
    let expected = if left == 0 {
        "CANCELED"
    } else {
        "PARTIAL_CANCELED"
    };
    assert_eq!(settled["status"], expected, "{settled}");
}

#[actix_web::test]
async fn twenty_concurrent_partial_cancels_over_two_instances_never_cancel_more_than_the_amount() {
    let db = TestDatabase::create().await;
    let (a, b) = (instance(db.url(), &[]).await, instance(db.url(), &[]).await);
    let m = register(&a, None).await;

    // Twenty cancels of 1 000 of 15 002: exactly fifteen fit.
    let key = completed_payment(&a, &m, "even").await;
    race_partial_cancels(&a, &b, &m, &key, &[1_000; 20]).await;
    let p = payment(&b, &m, &key).await;
    assert_eq!(p["canceledAmount"], 15_000, "{p}");
    assert_eq!(p["cancelableAmount"], 2, "{p}");

    // Twenty different amounts (24 430 in all): whatever fits, in whatever order they land.
    let amounts: Vec<i64> = (0..20).map(|i| 300 + 97 * i).collect();
    let key = completed_payment(&b, &m, "uneven").await;
    race_partial_cancels(&a, &b, &m, &key, &amounts).await;

    // Twenty cancels of 7 501: two spend the payment (CANCELED), and the eighteen others are
    // refused as exceeding what is left whether they land before or after it is spent.
    let key = completed_payment(&a, &m, "spent").await;
    race_partial_cancels(&a, &b, &m, &key, &[7_501; 20]).await;
    assert_eq!(payment(&b, &m, &key).await["status"], "CANCELED");

    assert_invariants(&db).await;
}

#[actix_web::test]
async fn twenty_concurrent_cancels_the_acquirer_confirms_only_on_retry_008_all_end_succeeded_once()
{
    let db = TestDatabase::create().await;
    let (a, b) = (instance(db.url(), &[]).await, instance(db.url(), &[]).await);
    let m = register(&a, None).await;
    // …008: the mock approves, then answers each cancel 503 twice before confirming it, so every
    // cancel is PENDING at once and the two instances' outboxes settle them all together.
    let key = payment_key_of_new(&a, &m, "late", 20_008).await;
    wait_for_status(&a, &m, &key, "APPROVED", WAIT).await;
    complete(&b, &m, &key).await;

    let replies =
        join_all((0..20).map(|i| cancel(if i % 2 == 0 { &a } else { &b }, &m, &key, Some(1_000))))
            .await;
    for r in &replies {
        assert_eq!(r.status, 202, "{}", r.text());
    }

    let p = settled_payment(&a, &m, &key, Duration::from_secs(30)).await;
    assert_eq!(p["status"], "PARTIAL_CANCELED", "{p}");
    assert_eq!(p["canceledAmount"], 20_000, "{p}");
    assert_eq!(p["cancelableAmount"], 8, "{p}");
    assert_eq!(sum_of(&p, "SUCCEEDED"), 20_000, "{p}");
    assert_eq!(audit_rows(&b, &m, &key, "PARTIAL_CANCEL").await, 20);
    assert_invariants(&db).await;
}

#[actix_web::test]
async fn pending_cancels_survive_a_sigkill_and_end_succeeded_exactly_once_after_the_restart() {
    let db = TestDatabase::create().await;
    let server = ServerProcess::spawn(db.url(), &[]).await;
    let api = server.client.clone();
    // Notifications go nowhere, but each is recorded as a delivery: one per transition.
    let m = register(&api, Some("http://127.0.0.1:9/hook")).await;
    // …009: the mock acquirer carries a cancel out at once but answers only after 5 s, longer
    // than the cancel timeout (3 s).
    let mut keys = Vec::new();
    for order_no in ["answered-202", "in-flight"] {
        keys.push(approved_by_the_mock_then_completed(&api, &m, order_no, 15_009).await);
    }

    // One cancel answered 202 (PENDING, the outbox not yet due), one still waiting for the
    // acquirer, when the server is killed.
    let first = cancel(&api, &m, &keys[0], Some(10_000));
    let (api2, m2, key2) = (api.clone(), m.clone(), keys[1].clone());
    let second = actix_web::rt::spawn(async move {
        tokio::time::sleep(Duration::from_millis(2_000)).await;
        api2.cancel(&m2, &key2, "resilience", Some(10_000)).await
    });
    let first = first.await;
    assert_eq!(first.status, 202, "{}", first.text());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut server = server;
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(5)).await;
    let second = second.await.unwrap();
    assert!(
        second.is_err(),
        "the second cancel was still waiting for the acquirer: {second:?}"
    );

    let restarted = ServerProcess::spawn_on(server.port, db.url(), &[]).await;
    let api = &restarted.client;
    for key in &keys {
        let p = settled_payment(api, &m, key, Duration::from_secs(30)).await;
        assert_eq!(p["status"], "PARTIAL_CANCELED", "{p}");
        assert_eq!(p["canceledAmount"], 10_000, "{p}");
        assert_eq!(p["cancelableAmount"], 5_009, "{p}");
        let list = cancels(&p);
        assert_eq!(list.len(), 1, "{p}");
        assert_eq!(list[0]["status"], "SUCCEEDED", "{p}");
        assert_eq!(audit_rows(api, &m, key, "CANCEL_REQUESTED").await, 1);
        assert_eq!(audit_rows(api, &m, key, "PARTIAL_CANCEL").await, 1);
        let notes = admin_list(
            api,
            &format!("/admin/api/deliveries?paymentKey={key}&kind=MERCHANT_NOTIFICATION&limit=100"),
        )
        .await;
        let partially = notes
            .iter()
            .filter(|d| d["eventType"] == "payment.partially_canceled")
            .count();
        assert_eq!(partially, 1, "{notes:?}");
    }
    assert_invariants(&db).await;
}

/// The built-in mock acquirer of an API-only instance on `listener`, over `db_url`.
async fn acquirer_on(db_url: &str, listener: std::net::TcpListener) -> Instance {
    Instance::start_with(
        server_env(db_url, &[("SIMPLEPG__DISPATCHER__ENABLED", "false")]),
        listener,
        Api::new,
    )
    .await
}

#[actix_web::test]
async fn a_cancel_while_the_acquirer_is_down_is_202_and_succeeds_once_when_it_is_back() {
    let db = TestDatabase::create().await;
    // The acquirer: another instance's mock, on a port of its own that it can come back on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let acquirer = acquirer_on(db.url(), listener).await;
    let request_url = format!("http://127.0.0.1:{port}/mock/request");
    let api = instance(
        db.url(),
        &[
            ("SIMPLEPG__ACQUIRER__REQUEST_URL", request_url.as_str()),
            ("SIMPLEPG__ACQUIRER__CANCEL_TIMEOUT_MS", "500"),
            ("SIMPLEPG__ACQUIRER__MAX_ATTEMPTS", "30"),
            ("SIMPLEPG__ACQUIRER__RETRY_BASE_MS", "200"),
            ("SIMPLEPG__ACQUIRER__RETRY_MAX_MS", "400"),
        ],
    )
    .await;
    let m = register(&api, None).await;
    let key = approved_by_the_mock_then_completed(&api, &m, "down", 15_000).await;

    acquirer.server.stop().await;
    drop(acquirer);
    let reply = cancel(&api, &m, &key, Some(5_000)).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(cancels(&reply.json)[0]["status"], "PENDING");

    // The outbox keeps asking while the acquirer is down.
    let deliveries = format!("/admin/api/deliveries?paymentKey={key}&kind=ACQUIRER_CANCEL");
    let (api_ref, path) = (&api, deliveries.as_str());
    eventually(
        "two failed attempts at the cancel",
        Duration::from_secs(15),
        || async move {
            let list = admin_list(api_ref, path).await;
            let attempts = list.first().and_then(|d| d["attemptCount"].as_u64());
            if attempts.unwrap_or(0) >= 2 {
                Ok(())
            } else {
                Err(format!("{list:?}"))
            }
        },
    )
    .await;
    let still = payment(&api, &m, &key).await;
    assert_eq!(cancels(&still)[0]["status"], "PENDING", "{still}");
    assert_eq!(still["status"], "COMPLETED", "{still}");

    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let _acquirer = acquirer_on(db.url(), listener).await;
    let p = settled_payment(&api, &m, &key, Duration::from_secs(15)).await;
    assert_eq!(p["status"], "PARTIAL_CANCELED", "{p}");
    assert_eq!(p["canceledAmount"], 5_000, "{p}");
    assert_eq!(cancels(&p)[0]["status"], "SUCCEEDED", "{p}");
    assert_eq!(audit_rows(&api, &m, &key, "PARTIAL_CANCEL").await, 1);
    // The outbox settles a cancel before it records the attempt that learned the answer.
    let delivery = eventually("the cancel delivery to be recorded", WAIT, || async move {
        let d = admin_list(api_ref, path)
            .await
            .into_iter()
            .next()
            .unwrap_or_default();
        if d["status"] == "DELIVERED" {
            Ok(d)
        } else {
            Err(d.to_string())
        }
    })
    .await;
    let codes: Vec<Option<u64>> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["statusCode"].as_u64())
        .collect();
    let (last, before) = codes.split_last().unwrap();
    assert_eq!(*last, Some(200), "{delivery}");
    assert!(
        before.len() >= 2 && before.iter().all(Option::is_none),
        "connection errors while it was down: {delivery}"
    );
    assert_invariants(&db).await;
}
