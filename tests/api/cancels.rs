//! Cancels that move money (api.md §9.2): partial and full cancels of completed and approved
//! payments, what is refused and why (nothing changes then), the acquirer refusing (502),
//! `Idempotency-Key`, and an operator canceling on a merchant's behalf (§9.7). The cancels the
//! acquirer does not answer at once (202, finished by the outbox) are in `cancels/retries.rs`.

mod retries;

use serde_json::{Value, json};

use crate::{
    helpers::{
        ApiResponse, STAYS_READY, TestApp, WAIT, actions, assert_amounts, assert_invalid_field,
        assert_last_cancel, assert_money, assert_problem, assert_timestamp, cancel_body, cancel_id,
        cancels_of, key_of, rows, spawn_app, spawn_app_configured,
        spawn_app_with_completed_payment, spawn_app_with_merchant,
    },
    receiver::Receiver,
};

/// A transition row of the audit trail: action, actor, fromStatus, status, and the cancel it
/// settled named in its details.
#[track_caller]
fn assert_cancel_row(row: &Value, action: &str, actor: &str, from: &str, to: &str, id: &str) {
    assert_eq!(row["action"], action, "{row}");
    assert_eq!(row["actor"], actor, "{row}");
    assert_eq!(row["fromStatus"], from, "{row}");
    assert_eq!(row["status"], to, "{row}");
    assert!(
        row["details"].as_str().is_some_and(|d| d.contains(id)),
        "the row names cancel {id}: {row}"
    );
}

/// Asserts the trail of a completed payment canceled once per entry of `settled_by`: CREATE,
/// APPROVE and COMPLETE, then for each cancel its CANCEL_REQUESTED row and the row that settled
/// it (a transition, or CANCEL_FAILED), both by `actor`. The settling rows, in order.
#[track_caller]
fn assert_cancel_trail<'a>(logs: &'a [Value], settled_by: &[&str], actor: &str) -> Vec<&'a Value> {
    let expected: Vec<&str> = ["CREATE", "APPROVE", "COMPLETE"]
        .into_iter()
        .chain(settled_by.iter().flat_map(|t| ["CANCEL_REQUESTED", t]))
        .collect();
    assert_eq!(actions(logs), expected, "{logs:?}");
    for row in &logs[3..] {
        assert_eq!(row["actor"], actor, "{row}");
    }
    logs[4..].iter().step_by(2).collect()
}

/// `retry` is `first` replayed: the same status and body, with `Idempotent-Replayed: true`.
#[track_caller]
fn assert_replays(retry: &ApiResponse, first: &ApiResponse) {
    assert_eq!(retry.status, first.status, "{}", retry.text());
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json, first.json, "the first answer, replayed");
}

/// The merchant's audit trail of the payment (200 expected), oldest first.
async fn merchant_logs(
    app: &TestApp,
    merchant: &crate::helpers::Merchant,
    key: &str,
) -> Vec<Value> {
    let res = app.logs(merchant, key).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json["data"].as_array().cloned().unwrap_or_default()
}

#[actix_web::test]
async fn partial_cancels_of_a_completed_payment_add_up_until_the_last_one_cancels_it() {
    let receiver = Receiver::ok().await;
    let app = spawn_app().await;
    let merchant = app.register_merchant("Shop", &receiver.url("/hook")).await;
    let created = app
        .create_payment(
            &merchant,
            &json!({ "orderNo": "ORDER-1", "amount": 15_000, "methodCode": "CARD" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_amounts(&created.json, 0, 15_000);
    assert_eq!(created.json["cancels"], json!([]), "{}", created.text());
    let key = key_of(&created.json);
    app.wait_for_status(&key, "APPROVED", WAIT).await;
    assert_eq!(app.complete(&merchant, &key).await.status, 200);

    let first = app
        .cancel_answered(&merchant, &key, "one item returned", Some(5_000), 200)
        .await;
    let p = &first;
    assert_money(p, "PARTIAL_CANCELED", 5_000, 10_000);
    let cancel = assert_last_cancel(p, 1, 5_000, "one item returned", "SUCCEEDED");
    assert!(
        cancel["acquirerTransactionId"].is_string(),
        "the mock's reference: {p}"
    );
    assert_eq!(p["canceledAt"], Value::Null, "not CANCELED yet: {p}");
    assert_eq!(
        p["cancelReason"],
        Value::Null,
        "nothing emptied it yet: {p}"
    );
    assert_timestamp(&p["completedAt"]);

    let second = app
        .cancel_answered(&merchant, &key, "another item returned", Some(4_000), 200)
        .await;
    assert_money(&second, "PARTIAL_CANCELED", 9_000, 6_000);
    assert_last_cancel(&second, 2, 4_000, "another item returned", "SUCCEEDED");
    assert_eq!(
        cancels_of(&second)[0],
        cancels_of(p)[0],
        "the first cancel is untouched"
    );

    // No cancelAmount: all that is left.
    let last = app
        .cancel_answered(&merchant, &key, "the rest returned", None, 200)
        .await;
    let p = &last;
    assert_money(p, "CANCELED", 15_000, 0);
    let emptied_by = assert_last_cancel(p, 3, 6_000, "the rest returned", "SUCCEEDED");
    assert_eq!(
        p["cancelReason"], "the rest returned",
        "the last cancel's reason"
    );
    assert_eq!(
        assert_timestamp(&p["canceledAt"]),
        assert_timestamp(&emptied_by["completedAt"]),
        "canceledAt is when the last cancel emptied it: {p}"
    );
    let fetched = app.get_payment(&merchant, &key).await;
    assert_eq!(&fetched.json, p, "GET shows what the cancel answered");

    let logs = merchant_logs(&app, &merchant, &key).await;
    let steps = [
        ("PARTIAL_CANCEL", "COMPLETED", "PARTIAL_CANCELED"),
        ("PARTIAL_CANCEL", "PARTIAL_CANCELED", "PARTIAL_CANCELED"),
        ("CANCEL", "PARTIAL_CANCELED", "CANCELED"),
    ];
    let transitions = assert_cancel_trail(&logs, &steps.map(|s| s.0), "MERCHANT");
    let ids: Vec<String> = cancels_of(p).iter().map(cancel_id).collect();
    for ((row, (action, from, to)), id) in transitions.into_iter().zip(steps).zip(&ids) {
        assert_cancel_row(row, action, "MERCHANT", from, to, id);
    }

    // Nothing is left: a further amount exceeds what is cancelable (0), a whole cancel is an
    // invalid transition, and neither changes anything.
    assert_problem(
        &app.cancel_with_amount(&merchant, &key, "again", Some(1))
            .await,
        409,
        "CANCEL_AMOUNT_EXCEEDED",
    );
    assert_problem(
        &app.cancel_with_amount(&merchant, &key, "again", None).await,
        409,
        "INVALID_STATE_TRANSITION",
    );
    assert_eq!(merchant_logs(&app, &merchant, &key).await.len(), logs.len());

    // One signed event per transition, in order, each showing the cancels so far.
    let events = receiver
        .wait_for("five events", 5, WAIT, |r| r.payment_key() == key)
        .await;
    let seen: Vec<(String, Value, usize)> = events
        .iter()
        .map(|e| {
            e.verify(&merchant.webhook_secret)
                .unwrap_or_else(|err| panic!("event signature: {err:?}: {e:?}"));
            let body = e.json();
            let n = body["data"]["cancels"].as_array().map_or(0, Vec::len);
            (e.event_type(), body["data"]["status"].clone(), n)
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("payment.approved".to_owned(), json!("APPROVED"), 0),
            ("payment.completed".to_owned(), json!("COMPLETED"), 0),
            (
                "payment.partially_canceled".to_owned(),
                json!("PARTIAL_CANCELED"),
                1
            ),
            (
                "payment.partially_canceled".to_owned(),
                json!("PARTIAL_CANCELED"),
                2
            ),
            ("payment.canceled".to_owned(), json!("CANCELED"), 3),
        ]
    );
    let canceled = events[4].json();
    assert_eq!(canceled["data"]["cancels"][2]["cancelId"], ids[2].as_str());
    assert_eq!(canceled["data"]["canceledAmount"], 15_000);
    assert_eq!(
        events[2].json()["data"]["cancels"][0]["cancelId"],
        ids[0].as_str()
    );
}

#[actix_web::test]
async fn a_full_cancel_of_an_approved_payment_with_or_without_cancel_amount_is_200_canceled() {
    let (app, merchant) = spawn_app_with_merchant().await;
    for (order_no, amount, cancel_amount) in
        [("VOID-1", 15_000, None), ("VOID-2", 20_000, Some(20_000))]
    {
        let key = app.approved_payment(&merchant, order_no, amount).await;
        let approved = app.admin_payment(&key).await;
        assert_timestamp(&approved["authorizationExpiresAt"]);
        assert_amounts(&approved, 0, amount);

        let res = app
            .cancel_with_amount(&merchant, &key, "customer asked", cancel_amount)
            .await;

        assert_eq!(res.status, 200, "{order_no}: {}", res.text());
        let p = &res.json;
        assert_money(p, "CANCELED", amount, 0);
        let cancel = assert_last_cancel(p, 1, amount, "customer asked", "SUCCEEDED");
        assert_eq!(p["cancelReason"], "customer asked");
        assert_timestamp(&p["canceledAt"]);
        assert_eq!(
            p["authorizationExpiresAt"],
            Value::Null,
            "no deadline once voided: {p}"
        );
        let logs = app.admin_logs(&key).await;
        let row = rows(&logs, "CANCEL");
        assert_eq!(row.len(), 1, "{logs:?}");
        assert_cancel_row(
            row[0],
            "CANCEL",
            "MERCHANT",
            "APPROVED",
            "CANCELED",
            &cancel_id(&cancel),
        );
        assert!(rows(&logs, "PARTIAL_CANCEL").is_empty(), "{logs:?}");
    }
}

#[actix_web::test]
async fn a_partial_cancel_of_a_ready_or_approved_payment_is_400_naming_cancel_amount_and_more_than_the_whole_409_changing_nothing()
 {
    let (app, merchant) = spawn_app_with_merchant().await;
    let ready = key_of(&app.pay(&merchant, "READY-1", STAYS_READY).await);
    let approved = app.approved_payment(&merchant, "APPROVED-1", 15_000).await;

    for (key, amount) in [(&ready, STAYS_READY), (&approved, 15_000)] {
        let before = app.admin_payment(key).await;
        for partial in [1, amount - 1] {
            let res = app
                .cancel_with_amount(&merchant, key, "only a part", Some(partial))
                .await;
            assert_invalid_field(&res, "cancelAmount");
        }
        // More than the whole is not a part: it exceeds what is cancelable (409), however large.
        for too_much in [amount + 1, 1_000_000_001, i64::MAX] {
            let res = app
                .cancel_with_amount(&merchant, key, "more than all", Some(too_much))
                .await;
            assert_problem(&res, 409, "CANCEL_AMOUNT_EXCEEDED");
        }
        assert_eq!(app.admin_payment(key).await, before, "nothing changed");
    }

    // The whole amount, spelled out, is a full cancel: allowed from READY (at once).
    let res = app
        .cancel_answered(&merchant, &ready, "changed my mind", Some(STAYS_READY), 200)
        .await;
    assert_eq!(res["status"], "CANCELED");
    assert_eq!(
        actions(&app.admin_logs(&approved).await),
        ["CREATE", "APPROVE"],
        "the approved payment has no cancel rows"
    );
}

#[actix_web::test]
async fn a_cancel_amount_that_is_not_a_positive_integer_is_400_naming_cancel_amount() {
    let (app, merchant, key) = spawn_app_with_completed_payment(15_000).await;
    let before = app.admin_payment(&key).await;

    for bad in [
        json!(0),
        json!(-1),
        json!(-15_000),
        json!(1.5),
        json!(5000.5),
        json!("5000"),
        json!(true),
        json!([5000]),
        json!({ "value": 5000 }),
    ] {
        let body = json!({ "cancelReason": "bad amount", "cancelAmount": bad });
        let res = app.cancel_json(&merchant, &key, &body).await;
        assert_invalid_field(&res, "cancelAmount");
    }
    // The reason is still required with an amount, and an unknown field is named.
    let res = app
        .cancel_json(&merchant, &key, &json!({ "cancelAmount": 100 }))
        .await;
    assert_invalid_field(&res, "cancelReason");
    let res = app
        .cancel_json(
            &merchant,
            &key,
            &json!({ "cancelReason": "x", "cancelAmount": 100, "refundAmount": 100 }),
        )
        .await;
    assert_invalid_field(&res, "refundAmount");

    assert_eq!(app.admin_payment(&key).await, before, "nothing changed");
}

#[actix_web::test]
async fn a_cancel_above_the_cancelable_amount_is_409_cancel_amount_exceeded_and_changes_nothing() {
    let (app, merchant, key) = spawn_app_with_completed_payment(15_000).await;

    let before = app.admin_payment(&key).await;
    for too_much in [15_001, 1_000_000_001, i64::MAX] {
        let res = app
            .cancel_with_amount(&merchant, &key, "too much", Some(too_much))
            .await;
        assert_problem(&res, 409, "CANCEL_AMOUNT_EXCEEDED");
    }
    assert_eq!(app.admin_payment(&key).await, before, "nothing changed");

    app.cancel_answered(&merchant, &key, "most of it", Some(10_000), 200)
        .await;
    let before = app.admin_payment(&key).await;
    let logs_before = app.admin_logs(&key).await;
    for too_much in [5_001, 10_000, 15_000] {
        let res = app
            .cancel_with_amount(&merchant, &key, "more than is left", Some(too_much))
            .await;
        assert_problem(&res, 409, "CANCEL_AMOUNT_EXCEEDED");
    }
    assert_eq!(app.admin_payment(&key).await, before, "nothing changed");
    assert_eq!(app.admin_logs(&key).await, logs_before, "no audit row");

    // Exactly what is left is fine.
    let res = app
        .cancel_answered(&merchant, &key, "the rest", Some(5_000), 200)
        .await;
    assert_money(&res, "CANCELED", 15_000, 0);

    // Spent by its cancels, it refuses any amount as exceeding what is left (as it would have
    // while the last cancel was PENDING); a cancel of the whole refuses by its state.
    let spent = app.admin_payment(&key).await;
    for amount in [1, 5_000] {
        let res = app
            .cancel_with_amount(&merchant, &key, "one more", Some(amount))
            .await;
        assert_problem(&res, 409, "CANCEL_AMOUNT_EXCEEDED");
    }
    let res = app.cancel(&merchant, &key, "all again").await;
    assert_problem(&res, 409, "INVALID_STATE_TRANSITION");
    assert_eq!(app.admin_payment(&key).await, spent, "nothing changed");
}

#[actix_web::test]
async fn canceling_a_failed_canceled_or_expired_payment_is_409_invalid_state_transition() {
    let app = spawn_app_configured(&[("SIMPLEPG__PAYMENT__READY_TTL_SECS", "2")]).await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let failed = key_of(&app.pay(&merchant, "FAILED-1", 15_001).await);
    let canceled = key_of(&app.pay(&merchant, "CANCELED-1", STAYS_READY).await);
    let expired = key_of(&app.pay(&merchant, "EXPIRED-1", STAYS_READY).await);
    assert_eq!(app.cancel(&merchant, &canceled, "first").await.status, 200);
    app.wait_for_status(&failed, "FAILED", WAIT).await;
    app.wait_for_status(&expired, "EXPIRED", WAIT).await;

    for key in [&failed, &canceled, &expired] {
        let before = app.admin_payment(key).await;
        for amount in [None, Some(1)] {
            let res = app
                .cancel_with_amount(&merchant, key, "too late", amount)
                .await;
            assert_problem(&res, 409, "INVALID_STATE_TRANSITION");
        }
        let res = app.admin_cancel(key, &cancel_body("too late", None)).await;
        assert_problem(&res, 409, "INVALID_STATE_TRANSITION");
        assert_eq!(app.admin_payment(key).await, before, "nothing changed");
    }
}

#[actix_web::test]
async fn a_partial_cancel_the_acquirer_refuses_007_is_502_and_the_failed_cancel_releases_its_amount()
 {
    let (app, merchant, key) = spawn_app_with_completed_payment(15_007).await;

    let res = app
        .cancel_with_amount(&merchant, &key, "one item returned", Some(5_000))
        .await;

    assert_problem(&res, 502, "ACQUIRER_ERROR");
    let after = app.admin_payment(&key).await;
    assert_money(&after, "COMPLETED", 0, 15_007);
    assert_eq!(after["canceledAt"], Value::Null);
    // The refused cancel stays visible.
    let refused = assert_last_cancel(&after, 1, 5_000, "one item returned", "FAILED");
    assert_eq!(refused["failureCode"], "CANCEL_REFUSED", "{after}");
    assert_eq!(refused["acquirerTransactionId"], Value::Null);
    let logs = app.admin_logs(&key).await;
    let failed = assert_cancel_trail(&logs, &["CANCEL_FAILED"], "MERCHANT")[0];
    assert_eq!(
        failed["fromStatus"],
        Value::Null,
        "not a transition: {failed}"
    );
    assert_eq!(failed["status"], "COMPLETED");

    // Released: the whole amount may be asked for again (and is refused again, not 409).
    let res = app
        .cancel_with_amount(&merchant, &key, "all of it", None)
        .await;
    assert_problem(&res, 502, "ACQUIRER_ERROR");
    let after = app.admin_payment(&key).await;
    assert_amounts(&after, 0, 15_007);
    assert_last_cancel(&after, 2, 15_007, "all of it", "FAILED");
}

#[actix_web::test]
async fn a_cancel_retried_with_the_same_idempotency_key_replays_the_answer_and_cancels_once() {
    let (app, merchant, key) = spawn_app_with_completed_payment(15_000).await;
    let body = cancel_body("one item returned", Some(5_000));

    let first = app
        .cancel_keyed(&merchant, &key, &body, "cancel-attempt-1")
        .await;
    let retry = app
        .cancel_keyed(&merchant, &key, &body, "cancel-attempt-1")
        .await;

    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json["status"], "PARTIAL_CANCELED");
    assert_replays(&retry, &first);
    let payment = app.admin_payment(&key).await;
    assert_eq!(cancels_of(&payment).len(), 1, "canceled once: {payment}");
    assert_amounts(&payment, 5_000, 10_000);
    assert_eq!(rows(&app.admin_logs(&key).await, "PARTIAL_CANCEL").len(), 1);

    // The same key for another cancel is refused; another key is another cancel.
    let other = cancel_body("one item returned", Some(4_000));
    let reused = app
        .cancel_keyed(&merchant, &key, &other, "cancel-attempt-1")
        .await;
    assert_problem(&reused, 422, "IDEMPOTENCY_KEY_REUSED");
    let second = app
        .cancel_keyed(&merchant, &key, &body, "cancel-attempt-2")
        .await;
    assert_eq!(second.status, 200, "{}", second.text());
    assert_eq!(second.header("idempotent-replayed"), None);
    assert_amounts(&second.json, 10_000, 5_000);
}

#[actix_web::test]
async fn a_refused_cancel_retried_with_the_same_idempotency_key_replays_the_502_and_asks_once() {
    let (app, merchant, key) = spawn_app_with_completed_payment(15_007).await;
    let body = cancel_body("one item returned", Some(5_000));

    let first = app
        .cancel_keyed(&merchant, &key, &body, "refused-attempt-1")
        .await;
    let retry = app
        .cancel_keyed(&merchant, &key, &body, "refused-attempt-1")
        .await;

    assert_problem(&first, 502, "ACQUIRER_ERROR");
    assert_replays(&retry, &first);
    let payment = app.admin_payment(&key).await;
    assert_eq!(cancels_of(&payment).len(), 1, "asked once: {payment}");
    assert_last_cancel(&payment, 1, 5_000, "one item returned", "FAILED");
}

#[actix_web::test]
async fn an_operators_cancel_retried_with_the_same_idempotency_key_replays_and_cancels_once() {
    let (app, _, key) = spawn_app_with_completed_payment(15_000).await;
    let body = cancel_body("refund on the phone", Some(4_000));
    let first = app.admin_cancel_keyed(&key, &body, "op-attempt-1").await;
    let retry = app.admin_cancel_keyed(&key, &body, "op-attempt-1").await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_replays(&retry, &first);
    let payment = app.admin_payment(&key).await;
    assert_eq!(cancels_of(&payment).len(), 1, "canceled once: {payment}");
    assert_amounts(&payment, 4_000, 11_000);

    let other = cancel_body("another", Some(1_000));
    let reused = app.admin_cancel_keyed(&key, &other, "op-attempt-1").await;
    assert_problem(&reused, 422, "IDEMPOTENCY_KEY_REUSED");
}

#[actix_web::test]
async fn an_operator_cancels_on_the_merchants_behalf_as_admin_and_a_wrong_token_is_401() {
    let (app, merchant, key) = spawn_app_with_completed_payment(15_000).await;

    let before = app.admin_payment(&key).await;
    let body = cancel_body("refund approved by support", Some(4_000));
    let wrong = app
        .admin_cancel_with(&key, &body, Some("Bearer not-the-token"))
        .await;
    assert_problem(&wrong, 401, "ADMIN_UNAUTHORIZED");
    let missing = app.admin_cancel_with(&key, &body, None).await;
    assert_problem(&missing, 401, "ADMIN_UNAUTHORIZED");
    let signed_by_merchant = app
        .signed(
            awc::http::Method::POST,
            &format!("/admin/api/payments/{key}/cancel"),
            Some(&body.to_string()),
            &merchant,
        )
        .await;
    assert_problem(&signed_by_merchant, 401, "ADMIN_UNAUTHORIZED");
    assert_eq!(app.admin_payment(&key).await, before, "nothing changed");

    let res = app.admin_cancel(&key, &body).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_money(&res.json, "PARTIAL_CANCELED", 4_000, 11_000);
    // The operator's view shows the cancel.
    let shown = app.admin_payment(&key).await;
    assert_last_cancel(&shown, 1, 4_000, "refund approved by support", "SUCCEEDED");

    // The same rules as the merchant's.
    assert_invalid_field(
        &app.admin_cancel(&key, &json!({ "cancelReason": "x", "cancelAmount": 0 }))
            .await,
        "cancelAmount",
    );
    assert_problem(
        &app.admin_cancel(&key, &cancel_body("too much", Some(11_001)))
            .await,
        409,
        "CANCEL_AMOUNT_EXCEEDED",
    );
    assert_problem(
        &app.admin_cancel(&"0".repeat(64), &body).await,
        404,
        "PAYMENT_NOT_FOUND",
    );

    let rest = app.admin_cancel(&key, &cancel_body("the rest", None)).await;
    assert_eq!(rest.status, 200, "{}", rest.text());
    assert_eq!(rest.json["status"], "CANCELED");
    assert_eq!(rest.json["cancelReason"], "the rest");
    // The merchant sees the operator's cancels.
    let logs = merchant_logs(&app, &merchant, &key).await;
    assert_cancel_trail(&logs, &["PARTIAL_CANCEL", "CANCEL"], "ADMIN");
}
