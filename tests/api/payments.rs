//! Creating, retrieving, completing and canceling payments, ownership, and the audit trail
//! (api.md §3).

use awc::http::Method;
use serde_json::{Value, json};
use simplepg_client::PaymentStatus;

use crate::helpers::{
    ApiResponse, Draft, Merchant, STAYS_READY, TestApp, assert_invalid_field,
    assert_json_content_type, assert_problem, assert_timestamp, order, payment_endpoints,
    spawn_app_with_merchant, spawn_app_with_ready_payment, spawn_app_with_two_merchants,
};

fn is_payment_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[actix_web::test]
async fn creating_a_payment_returns_201_the_ready_payment_and_its_location() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let res = app
        .create_payment(
            &merchant,
            &json!({
                "orderNo": "ORDER-1001",
                "amount": STAYS_READY,
                "currency": "KRW",
                "methodCode": "CARD",
                "productName": "Coffee beans",
                "customerName": "Kim Minji",
            }),
        )
        .await;

    assert_eq!(res.status, 201, "{}", res.text());
    assert_json_content_type(&res);
    let p = &res.json;
    let key = p["paymentKey"].as_str().unwrap();
    assert!(is_payment_key(key), "{key}");
    assert_eq!(
        res.header("location"),
        Some(format!("/api/payments/{key}").as_str())
    );
    assert_eq!(p["clientId"], merchant.client_id.as_str());
    assert_eq!(p["orderNo"], "ORDER-1001");
    assert_eq!(p["amount"], STAYS_READY);
    assert_eq!(p["currency"], "KRW");
    assert_eq!(p["methodCode"], "CARD");
    assert_eq!(p["status"], "READY");
    assert_eq!(p["productName"], "Coffee beans");
    assert_eq!(p["customerName"], "Kim Minji");
    for absent in [
        "transactionId",
        "failureCode",
        "failureMessage",
        "cancelReason",
        "approvedAt",
        "completedAt",
        "canceledAt",
        "failedAt",
    ] {
        assert_eq!(p[absent], Value::Null, "{absent} is null on a new payment");
        assert!(p.get(absent).is_some(), "{absent} is present (as null)");
    }
    let created = assert_timestamp(&p["createdAt"]);
    let expires = assert_timestamp(&p["expiresAt"]);
    assert!(
        expires > created,
        "expiresAt {expires} after createdAt {created}"
    );

    let fetched = app.get(res.header("location").unwrap()).await;
    assert_problem(&fetched, 401, "MISSING_AUTH_HEADERS");
    let fetched = app.get_payment(&merchant, key).await;
    assert_eq!(fetched.status, 200, "{}", fetched.text());
    assert_eq!(&fetched.json, p, "GET returns the created payment");
}

#[actix_web::test]
async fn two_payments_get_different_random_keys() {
    let (app, merchant, a) = spawn_app_with_ready_payment("KEY-A").await;
    let b = app.ready_payment(&merchant, "KEY-B").await;

    assert_ne!(a.payment_key, b.payment_key);
}

#[actix_web::test]
async fn the_amount_boundaries_1_and_1_000_000_000_are_accepted() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for amount in [1_i64, 1_000_000_000] {
        let body = json!({ "orderNo": format!("AMOUNT-{amount}"), "amount": amount, "methodCode": "BANK" });
        let res = app.create_payment(&merchant, &body).await;
        assert_eq!(res.status, 201, "amount {amount}: {}", res.text());
        assert_eq!(res.json["amount"], amount);
        assert_eq!(res.json["methodCode"], "BANK");
    }
}

#[actix_web::test]
async fn a_64_character_order_no_of_every_allowed_character_is_accepted() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let order_no = format!("{}{}", "azAZ09_-:.", "x".repeat(54));
    assert_eq!(order_no.len(), 64);

    let res = app.create_payment(&merchant, &order(&order_no)).await;

    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json["orderNo"], order_no.as_str());
}

#[actix_web::test]
async fn the_currency_defaults_to_krw_and_usd_is_accepted() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let default = app.create_payment(&merchant, &order("CUR-DEFAULT")).await;
    let usd = app
        .create_payment(
            &merchant,
            &json!({ "orderNo": "CUR-USD", "amount": 1999, "currency": "USD", "methodCode": "MOBILE" }),
        )
        .await;

    assert_eq!(default.status, 201, "{}", default.text());
    assert_eq!(default.json["currency"], "KRW");
    assert_eq!(usd.status, 201, "{}", usd.text());
    assert_eq!(usd.json["currency"], "USD");
    assert_eq!(usd.json["amount"], 1999);
    assert_eq!(usd.json["methodCode"], "MOBILE");
}

/// Lengths are characters, not bytes: 128 Hangul syllables are 384 UTF-8 bytes.
#[actix_web::test]
async fn names_at_their_maximum_length_in_characters_are_accepted() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let product = "커".repeat(128);
    let customer = "김".repeat(64);

    let res = app
        .create_payment(
            &merchant,
            &json!({
                "orderNo": "LONG-NAMES", "amount": STAYS_READY, "methodCode": "CARD",
                "productName": product, "customerName": customer,
            }),
        )
        .await;

    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json["productName"], product.as_str());
    assert_eq!(res.json["customerName"], customer.as_str());
    let key = res.json["paymentKey"].as_str().unwrap();
    let stored = app.get_payment(&merchant, key).await;
    assert_eq!(stored.json["productName"], product.as_str());
}

#[actix_web::test]
async fn a_client_id_in_the_body_equal_to_the_header_is_accepted() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let mut body = order("WITH-CLIENT-ID");
    body["clientId"] = json!(merchant.client_id);

    let res = app.create_payment(&merchant, &body).await;

    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json["clientId"], merchant.client_id.as_str());
}

#[actix_web::test]
async fn a_reused_order_no_gives_409_duplicate_order_but_another_merchant_may_use_it() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    app.ready_payment(&a, "ORDER-1").await;

    let mut again = order("ORDER-1");
    again["amount"] = json!(990_002);
    let dup = app.create_payment(&a, &again).await;
    let other = app.create_payment(&b, &order("ORDER-1")).await;

    assert_problem(&dup, 409, "DUPLICATE_ORDER");
    assert_eq!(other.status, 201, "{}", other.text());
    let a_payments = app.all_payments(&a).await;
    assert_eq!(a_payments.len(), 1);
    assert_eq!(
        a_payments[0].amount, STAYS_READY,
        "the first one is untouched"
    );
    assert_eq!(app.all_payments(&b).await.len(), 1);
}

/// Asserts every endpoint of the payment `key`, signed by `merchant`, answers 404
/// PAYMENT_NOT_FOUND.
async fn assert_not_found_on_every_endpoint(app: &TestApp, key: &str, merchant: &Merchant) {
    for (method, path, body) in payment_endpoints(key) {
        let res = app.signed(method, &path, body, merchant).await;
        assert_problem(&res, 404, "PAYMENT_NOT_FOUND");
    }
}

#[actix_web::test]
async fn a_payment_of_another_merchant_is_not_found_on_every_endpoint() {
    let (app, owner, other) = spawn_app_with_two_merchants().await;
    let payment = app.ready_payment(&owner, "MINE").await;
    let key = payment.payment_key.as_str();
    let unknown_key = "0".repeat(64);

    for k in [key, unknown_key.as_str()] {
        assert_not_found_on_every_endpoint(&app, k, &other).await;
    }
    // Another merchant's key and an unknown key are indistinguishable.
    let foreign = app.get_payment(&other, key).await;
    let unknown = app.get_payment(&other, &unknown_key).await;
    assert_eq!(foreign.json["detail"], unknown.json["detail"]);
    assert_eq!(foreign.json["title"], unknown.json["title"]);

    let still = app.get_payment(&owner, key).await;
    assert_eq!(
        still.json["status"], "READY",
        "the other merchant changed nothing"
    );
    assert_eq!(transition_actions(&app.logs(&owner, key).await), ["CREATE"]);
    assert!(app.all_payments(&other).await.is_empty());
}

#[actix_web::test]
async fn a_malformed_payment_key_gives_404_payment_not_found() {
    let (app, merchant, real) = spawn_app_with_ready_payment("REAL").await;
    let upper = real.payment_key.to_ascii_uppercase();

    for key in [
        "abc",
        &"a".repeat(63),
        &"a".repeat(65),
        &"g".repeat(64),
        &upper,
    ] {
        assert_not_found_on_every_endpoint(&app, key, &merchant).await;
    }
}

#[actix_web::test]
async fn completing_a_ready_payment_gives_409_invalid_state_transition() {
    let (app, merchant, payment) = spawn_app_with_ready_payment("COMPLETE-READY").await;
    let path = format!("/api/payments/{}/complete", payment.payment_key.as_str());

    let without_body = app.signed(Method::POST, &path, None, &merchant).await;
    let empty_object = app.signed(Method::POST, &path, Some("{}"), &merchant).await;

    let with_field = app
        .signed(Method::POST, &path, Some(r#"{"amount":1}"#), &merchant)
        .await;

    assert_problem(&without_body, 409, "INVALID_STATE_TRANSITION");
    assert_problem(&empty_object, 409, "INVALID_STATE_TRANSITION");
    assert_invalid_field(&with_field, "amount");
    let after = app
        .get_payment(&merchant, payment.payment_key.as_str())
        .await;
    assert_eq!(after.json["status"], "READY");
    assert_eq!(after.json["completedAt"], Value::Null);
}

#[actix_web::test]
async fn canceling_a_ready_payment_with_a_reason_returns_it_canceled() {
    let (app, merchant, payment) = spawn_app_with_ready_payment("CANCEL-ME").await;
    let client = app.client(&merchant);

    let canceled = client
        .cancel_payment(&payment.payment_key, "Customer changed their mind")
        .await
        .unwrap();

    assert_eq!(canceled.status, PaymentStatus::Canceled);
    assert_eq!(
        canceled.cancel_reason.as_deref(),
        Some("Customer changed their mind")
    );
    assert_eq!(canceled.payment_key, payment.payment_key);
    assert!(canceled.canceled_at.unwrap() >= payment.created_at);
    assert_eq!(canceled.amount, payment.amount);
    assert_eq!(canceled.created_at, payment.created_at);
    let fetched = client.get_payment(&payment.payment_key).await.unwrap();
    assert_eq!(fetched, canceled, "the cancellation is stored");
}

#[actix_web::test]
async fn a_cancel_reason_of_200_characters_is_accepted() {
    let (app, merchant, payment) = spawn_app_with_ready_payment("CANCEL-200").await;
    let reason = "취".repeat(200);

    let res = app
        .cancel(&merchant, payment.payment_key.as_str(), &reason)
        .await;

    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["cancelReason"], reason.as_str());
}

#[actix_web::test]
async fn canceling_without_a_valid_reason_gives_400_naming_cancel_reason() {
    let (app, merchant, payment) = spawn_app_with_ready_payment("CANCEL-NO-REASON").await;
    let key = payment.payment_key.as_str();
    let path = format!("/api/payments/{key}/cancel");

    let long = json!({ "cancelReason": "x".repeat(201) }).to_string();
    for body in [
        None,
        Some("{}"),
        Some(r#"{"cancelReason":""}"#),
        Some(r#"{"cancelReason":"   "}"#),
        Some(r#"{"cancelReason":null}"#),
        Some(r#"{"cancelReason":42}"#),
        Some(long.as_str()),
    ] {
        let res = app.signed(Method::POST, &path, body, &merchant).await;
        assert_invalid_field(&res, "cancelReason");
    }

    let res = app.get_payment(&merchant, key).await;
    assert_eq!(res.json["status"], "READY");
    assert_eq!(
        transition_actions(&app.logs(&merchant, key).await),
        ["CREATE"]
    );
}

#[actix_web::test]
async fn canceling_a_canceled_payment_gives_409_invalid_state_transition() {
    let (app, merchant, payment) = spawn_app_with_ready_payment("CANCEL-TWICE").await;
    let key = payment.payment_key.as_str();
    let first = app.cancel(&merchant, key, "first").await;
    assert_eq!(first.status, 200, "{}", first.text());

    let second = app.cancel(&merchant, key, "second").await;
    let complete = app
        .signed(
            Method::POST,
            &format!("/api/payments/{key}/complete"),
            None,
            &merchant,
        )
        .await;

    assert_problem(&second, 409, "INVALID_STATE_TRANSITION");
    assert_problem(&complete, 409, "INVALID_STATE_TRANSITION");
    let res = app.get_payment(&merchant, key).await;
    assert_eq!(
        res.json["cancelReason"], "first",
        "the first cancellation stands"
    );
    assert_eq!(res.json["canceledAt"], first.json["canceledAt"]);
}

/// The actions that change a payment's status; other audit rows are notes.
const TRANSITIONS: [&str; 6] = ["CREATE", "APPROVE", "FAIL", "COMPLETE", "CANCEL", "EXPIRE"];

/// The transition actions of an audit trail response, in order.
#[track_caller]
fn transition_actions(res: &ApiResponse) -> Vec<String> {
    assert_eq!(res.status, 200, "{}", res.text());
    res.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| TRANSITIONS.contains(a))
        .map(str::to_owned)
        .collect()
}

#[actix_web::test]
async fn the_audit_trail_lists_create_then_cancel_oldest_first() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let created = app.create_payment(&merchant, &order("AUDITED")).await;
    assert_eq!(created.status, 201);
    let key = created.json["paymentKey"].as_str().unwrap();
    let cancel_request_id = format!("cancel-{}", uuid::Uuid::new_v4());
    let body = r#"{"cancelReason":"audit me"}"#;
    let draft = Draft::new(
        Method::POST,
        &format!("/api/payments/{key}/cancel"),
        Some(body),
    )
    .header("X-Request-Id", &cancel_request_id)
    .signed_by(&merchant);
    let canceled = app.send(&draft).await;
    assert_eq!(canceled.status, 200, "{}", canceled.text());
    assert_eq!(canceled.request_id(), cancel_request_id);

    let res = app.logs(&merchant, key).await;

    assert_eq!(res.status, 200, "{}", res.text());
    let entries = res.json["data"].as_array().unwrap();
    let ids: Vec<u64> = entries
        .iter()
        .map(|e| e["logId"].as_u64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");
    let times: Vec<_> = entries
        .iter()
        .map(|e| assert_timestamp(&e["createdAt"]))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    for e in entries {
        for field in [
            "logId",
            "action",
            "fromStatus",
            "status",
            "actor",
            "details",
            "requestId",
            "createdAt",
        ] {
            assert!(e.get(field).is_some(), "{field} present in {e}");
        }
    }
    let transitions: Vec<&Value> = entries
        .iter()
        .filter(|e| TRANSITIONS.contains(&e["action"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        transitions.len(),
        2,
        "exactly one row per change: {}",
        res.text()
    );
    let (create, cancel) = (transitions[0], transitions[1]);
    assert_eq!(create["action"], "CREATE");
    assert_eq!(create["fromStatus"], Value::Null);
    assert_eq!(create["status"], "READY");
    assert_eq!(create["actor"], "MERCHANT");
    assert_eq!(create["requestId"], created.request_id());
    assert_eq!(cancel["action"], "CANCEL");
    assert_eq!(cancel["fromStatus"], "READY");
    assert_eq!(cancel["status"], "CANCELED");
    assert_eq!(cancel["actor"], "MERCHANT");
    assert_eq!(cancel["requestId"], cancel_request_id.as_str());
}

#[actix_web::test]
async fn refused_changes_write_no_transition_audit_rows() {
    let (app, merchant, payment) = spawn_app_with_ready_payment("NO-AUDIT").await;
    let key = payment.payment_key.as_str();

    app.signed(
        Method::POST,
        &format!("/api/payments/{key}/complete"),
        None,
        &merchant,
    )
    .await;
    app.signed(
        Method::POST,
        &format!("/api/payments/{key}/cancel"),
        Some("{}"),
        &merchant,
    )
    .await;

    assert_eq!(
        transition_actions(&app.logs(&merchant, key).await),
        ["CREATE"]
    );
}
