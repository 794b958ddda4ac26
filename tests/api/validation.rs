//! Every rule of api.md §3.1: each violation gives 400 VALIDATION_FAILED naming the field, and
//! nothing is written.

use serde_json::{Value, json};

use crate::helpers::{
    Merchant, STAYS_READY, TestApp, assert_invalid_field, assert_problem, spawn_app,
    spawn_app_with_merchant, spawn_app_with_two_merchants,
};

fn valid() -> Value {
    json!({ "orderNo": "VALID-1", "amount": STAYS_READY, "methodCode": "CARD" })
}

fn with(field: &str, value: Value) -> Value {
    let mut body = valid();
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = valid();
    body.as_object_mut().unwrap().remove(field);
    body
}

/// Whether a body without the field is refused too (a required field) or not tried.
#[derive(Clone, Copy)]
enum Missing {
    Refused,
    NotTried,
}

/// On a fresh server, sends a valid body with `field` set to each of `bad_values` (and, for a
/// required field, one without it); each must be refused naming `field`, and nothing written.
async fn assert_values_refused(field: &str, missing: Missing, bad_values: Value) {
    let (app, m) = spawn_app_with_merchant().await;
    let mut bodies: Vec<Value> = match missing {
        Missing::Refused => vec![without(field)],
        Missing::NotTried => Vec::new(),
    };
    let bad_values = bad_values.as_array().cloned().unwrap_or_default();
    bodies.extend(bad_values.into_iter().map(|value| with(field, value)));
    assert_refused(&app, &m, field, bodies).await;
}

/// Sends each body, expects a 400 naming `field`, then checks that no payment exists.
async fn assert_refused(app: &TestApp, merchant: &Merchant, field: &str, bodies: Vec<Value>) {
    for body in bodies {
        let res = app.create_payment(merchant, &body).await;
        assert!(
            res.status == 400,
            "{body} should be refused naming {field}, got {}: {}",
            res.status,
            res.text()
        );
        assert_invalid_field(&res, field);
    }
    assert!(
        app.all_payments(merchant).await.is_empty(),
        "a refused create wrote a payment"
    );
}

#[actix_web::test]
async fn an_invalid_order_no_is_refused_naming_order_no() {
    assert_values_refused(
        "orderNo",
        Missing::Refused,
        json!([
            null,
            "",
            "A".repeat(65),
            "ORDER 1",
            "ORDER/1",
            "ORDER#1",
            "주문-1",
            1001
        ]),
    )
    .await;
}

#[actix_web::test]
async fn an_invalid_amount_is_refused_naming_amount() {
    assert_values_refused(
        "amount",
        Missing::Refused,
        json!([
            null,
            0,
            -1,
            1_000_000_001_i64,
            i64::MAX,
            u64::MAX,
            "15000",
            150.5,
            15000.0,
            1e30,
            true
        ]),
    )
    .await;
}

#[actix_web::test]
async fn an_invalid_currency_is_refused_naming_currency() {
    assert_values_refused(
        "currency",
        Missing::NotTried,
        json!(["krw", "Krw", "XYZ", "KR", "KRWW", "", 410]),
    )
    .await;
}

#[actix_web::test]
async fn an_invalid_method_code_is_refused_naming_method_code() {
    assert_values_refused(
        "methodCode",
        Missing::Refused,
        json!(["PAYPAL", "card", "", ["CARD"]]),
    )
    .await;
}

#[actix_web::test]
async fn a_product_name_over_128_characters_is_refused_naming_product_name() {
    assert_values_refused(
        "productName",
        Missing::NotTried,
        json!(["p".repeat(129), "커".repeat(129), 12]),
    )
    .await;
}

#[actix_web::test]
async fn a_customer_name_over_64_characters_is_refused_naming_customer_name() {
    assert_values_refused(
        "customerName",
        Missing::NotTried,
        json!(["c".repeat(65), "김".repeat(65), { "first": "Kim" }]),
    )
    .await;
}

#[actix_web::test]
async fn an_unknown_field_is_refused_naming_it() {
    let app = spawn_app().await;
    let m = app.merchant().await;

    assert_refused(&app, &m, "discount", vec![with("discount", json!(100))]).await;
    assert_refused(
        &app,
        &m,
        "OrderNo",
        vec![with("OrderNo", json!("CASE-MATTERS"))],
    )
    .await;
}

#[actix_web::test]
async fn every_violation_of_a_request_is_named_at_once() {
    let app = spawn_app().await;
    let m = app.merchant().await;
    let body =
        json!({ "orderNo": "", "amount": 0, "currency": "krw", "methodCode": "CASH", "extra": 1 });

    let res = app.create_payment(&m, &body).await;

    assert_problem(&res, 400, "VALIDATION_FAILED");
    let mut fields = res.error_fields();
    fields.sort();
    fields.dedup();
    assert_eq!(
        fields,
        vec!["amount", "currency", "extra", "methodCode", "orderNo"]
    );
    assert!(app.all_payments(&m).await.is_empty());
}

#[actix_web::test]
async fn a_client_id_in_the_body_other_than_the_signer_gives_403() {
    let (app, a, b) = spawn_app_with_two_merchants().await;

    let res = app
        .create_payment(&a, &with("clientId", json!(b.client_id)))
        .await;

    assert_problem(&res, 403, "CLIENT_ID_MISMATCH");
    assert!(app.all_payments(&a).await.is_empty());
    assert!(app.all_payments(&b).await.is_empty());
}

#[actix_web::test]
async fn a_body_that_is_json_but_not_an_object_is_refused_with_400() {
    let app = spawn_app().await;
    let m = app.merchant().await;

    for body in ["[]", "\"ORDER-1\"", "42", "null", "true"] {
        let res = app
            .signed(awc::http::Method::POST, "/api/payments", Some(body), &m)
            .await;
        assert_eq!(res.status, 400, "{body}: {}", res.text());
        assert_problem(&res, 400, res.code());
    }
    assert!(app.all_payments(&m).await.is_empty());
}
