//! Races across two instances on one database, each ending with the invariant check.

use std::time::Duration;

use adapters_mysql::test_util::TestDatabase;
use futures_util::future::join_all;
use serde_json::json;

use crate::support::{
    Api, Instance, Merchant, Reply, STAYS_READY, acquirer_webhook, assert_invariants, audit_rows,
    instance, list_status, order_body, payment_key_of_new, presign, register, send_presigned,
};

/// A fresh database, two instances on it, and a merchant registered through the first.
async fn two_instances() -> (TestDatabase, Instance, Instance, Merchant) {
    let db = TestDatabase::create().await;
    let (a, b) = (instance(db.url(), &[]).await, instance(db.url(), &[]).await);
    let m = register(&a, None).await;
    (db, a, b, m)
}

/// Asserts every one of `replies` was decided: 200, or 409 for the loser of a race.
#[track_caller]
fn assert_decided<'r>(what: &str, replies: impl IntoIterator<Item = &'r Reply>) {
    for r in replies {
        assert!(
            [200, 409].contains(&r.status),
            "{what} {} {:?}",
            r.status,
            r.json
        );
    }
}

/// How many of `replies` (acquirer webhooks' answers) have this `result`.
fn with_result<'r>(replies: impl IntoIterator<Item = &'r Reply>, result: &str) -> usize {
    replies
        .into_iter()
        .filter(|r| r.json["result"] == result)
        .count()
}

/// Sends `n` requests at once, alternately to `a` and `b`; their replies, in order.
async fn on_both<'a, Fut>(
    a: &'a Api,
    b: &'a Api,
    n: usize,
    send: impl Fn(&'a Api) -> Fut,
) -> Vec<Reply>
where
    Fut: Future<Output = Reply>,
{
    join_all((0..n).map(|i| send(if i % 2 == 0 { a } else { b }))).await
}

/// `POST /api/payments` of `body` with `Idempotency-Key: key-race-1`.
async fn create_keyed_race_1(api: &Api, m: &Merchant, body: &str) -> Reply {
    api.signed(
        m,
        "POST",
        "/api/payments",
        Some(body),
        &[("idempotency-key", "key-race-1")],
    )
    .await
    .unwrap()
}

#[actix_web::test]
async fn complete_cancel_and_webhooks_racing_on_the_same_payments_leave_only_legal_histories() {
    let (db, a, b, m) = two_instances().await;
    for round in 0..6 {
        let key = payment_key_of_new(&a, &m, &format!("race-{round}"), STAYS_READY).await;
        let approve = json!({ "paymentKey": key, "transactionId": format!("tx-{round}"), "status": "APPROVED", "amount": STAYS_READY }).to_string();
        let decline = json!({ "paymentKey": key, "transactionId": format!("tx-{round}"), "status": "FAILED", "amount": STAYS_READY, "failureCode": "CARD_DECLINED" }).to_string();
        let cancel = json!({ "cancelReason": "race" }).to_string();
        let cancel_path = format!("/api/payments/{key}/cancel");
        let complete_path = format!("/api/payments/{key}/complete");
        let ids = ["a", "b", "c"].map(|webhook| format!("wh-{webhook}-{round}"));
        let (w1, w2, w3, c1, c2, k1, k2) = futures_util::join!(
            acquirer_webhook(&a, &approve, &ids[0]),
            acquirer_webhook(&b, &approve, &ids[1]),
            acquirer_webhook(&b, &decline, &ids[2]),
            a.signed(&m, "POST", &cancel_path, Some(&cancel), &[]),
            b.signed(&m, "POST", &complete_path, None, &[]),
            b.signed(&m, "POST", &cancel_path, Some(&cancel), &[]),
            a.signed(&m, "POST", &complete_path, None, &[]),
        );
        let merchant_calls: Vec<Reply> = [c1, c2, k1, k2].into_iter().map(Result::unwrap).collect();
        assert_decided("webhook", [&w1, &w2, &w3]);
        assert_decided("merchant call", &merchant_calls);
        let applied = with_result([&w1, &w2, &w3], "APPLIED");
        assert!(applied <= 1, "{applied} webhooks applied");
    }
    assert_invariants(&db).await;
}

#[actix_web::test]
async fn a_storm_of_identical_webhooks_over_two_instances_applies_exactly_once() {
    let (db, a, b, m) = two_instances().await;
    let key = payment_key_of_new(&a, &m, "storm", STAYS_READY).await;
    let body = json!({ "paymentKey": key, "transactionId": "tx-storm", "status": "APPROVED", "amount": STAYS_READY }).to_string();
    let replies = on_both(&a, &b, 30, |target| {
        acquirer_webhook(target, &body, "wh-storm")
    })
    .await;
    assert_eq!(
        (
            with_result(&replies, "APPLIED"),
            with_result(&replies, "DUPLICATE")
        ),
        (1, 29)
    );
    assert_eq!(audit_rows(&a, &m, &key, "APPROVE").await, 1);
    assert_invariants(&db).await;
}

#[actix_web::test]
async fn the_same_idempotency_key_sent_concurrently_to_both_instances_creates_one_payment() {
    let (db, a, b, m) = two_instances().await;
    let body = order_body("idem-race", STAYS_READY);
    let replies = on_both(&a, &b, 16, |target| create_keyed_race_1(target, &m, &body)).await;
    let created: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert!(!created.is_empty());
    assert!(
        replies
            .iter()
            .all(|r| r.status == 201
                || (r.status == 409 && r.json["code"] == "IDEMPOTENCY_KEY_IN_USE")),
        "{replies:?}"
    );
    let keys: std::collections::HashSet<_> = created
        .iter()
        .map(|r| r.json["paymentKey"].clone())
        .collect();
    assert_eq!(keys.len(), 1, "every 201 is the same payment");
    // A retry after the dust settles replays the same answer.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let retry = create_keyed_race_1(&b, &m, &body).await;
    assert_eq!(retry.status, 201);
    assert!(keys.contains(&retry.json["paymentKey"]));
    let list = a
        .signed(&m, "GET", "/api/payments?orderNo=idem-race", None, &[])
        .await
        .unwrap();
    assert_eq!(list.json["data"].as_array().unwrap().len(), 1);
    assert_invariants(&db).await;
}

#[actix_web::test]
async fn one_signed_request_replayed_concurrently_on_both_instances_is_accepted_exactly_once() {
    let (db, a, b, m) = two_instances().await;
    let body = order_body("replayed", STAYS_READY);
    let request = presign(&m, "POST", "/api/payments", &body);
    let replies = on_both(&a, &b, 16, |target| send_presigned(target, &request)).await;
    let accepted = replies.iter().filter(|r| r.status == 201).count();
    let replayed = replies
        .iter()
        .filter(|r| r.status == 401 && r.json["code"] == "REPLAYED_REQUEST")
        .count();
    assert_eq!((accepted, replayed), (1, 15), "{replies:?}");
    assert_invariants(&db).await;
}

/// An instance allowing each merchant one request a second after a burst of `burst`.
async fn rate_limited_instance(db_url: &str, burst: &str) -> Instance {
    instance(
        db_url,
        &[
            ("SIMPLEPG__RATE_LIMIT__PER_SECOND", "1"),
            ("SIMPLEPG__RATE_LIMIT__BURST", burst),
        ],
    )
    .await
}

#[actix_web::test]
async fn a_merchant_over_its_rate_budget_gets_429_with_retry_after_and_others_are_unaffected() {
    let db = TestDatabase::create().await;
    let api = rate_limited_instance(db.url(), "3").await;
    let (noisy, quiet) = (register(&api, None).await, register(&api, None).await);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            api.signed(&noisy, "GET", "/api/payments", None, &[])
                .await
                .unwrap(),
        );
    }
    assert!(statuses[..3].iter().all(|r| r.status == 200));
    let limited = statuses.last().unwrap();
    assert_eq!(limited.status, 429, "{:?}", limited.json);
    assert_eq!(limited.json["code"], "RATE_LIMITED");
    assert!(
        limited
            .retry_after()
            .is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1))
    );
    assert_eq!(list_status(&api, &quiet).await, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(list_status(&api, &noisy).await, 200, "the bucket refills");
}

/// A create records its nonce with the payment; one refused for its rate never gets that far,
/// so it records the nonce on its own, and its replay after the bucket refills is 401.
#[actix_web::test]
async fn a_create_refused_for_its_rate_uses_up_its_nonce() {
    let db = TestDatabase::create().await;
    let api = rate_limited_instance(db.url(), "1").await;
    let m = register(&api, None).await;
    assert_eq!(list_status(&api, &m).await, 200);
    let body = order_body("limited", STAYS_READY);
    let create = presign(&m, "POST", "/api/payments", &body);
    let limited = send_presigned(&api, &create).await;
    assert_eq!(limited.status, 429, "{:?}", limited.json);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let replayed = send_presigned(&api, &create).await;
    assert_eq!(
        (replayed.status, replayed.json["code"].as_str()),
        (401, Some("REPLAYED_REQUEST")),
        "{:?}",
        replayed.json
    );
    assert_invariants(&db).await;
}
