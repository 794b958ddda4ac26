//! Assertions on replies and small readers of payments, audit rows and deliveries.

use serde_json::{Value, json};
use simplepg_client::Payment;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use super::{ApiResponse, STAYS_READY};

/// A valid create body that stays READY.
pub fn order(order_no: &str) -> Value {
    json!({ "orderNo": order_no, "amount": STAYS_READY, "methodCode": "CARD" })
}

/// Asserts the response is JSON: `Content-Type: application/json` (with or without parameters).
#[track_caller]
pub fn assert_json_content_type(res: &ApiResponse) {
    let content_type = res.header("content-type").unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type:?}: {}",
        res.text()
    );
}

/// Asserts an RFC 9457 problem with SimplePG's fields (api.md §1): status, content type, `code`,
/// `status`, `title`, `instance` (the request path) and `requestId` (= `X-Request-Id`).
#[track_caller]
pub fn assert_problem(res: &ApiResponse, status: u16, code: &str) {
    let text = res.text();
    assert_eq!(res.status, status, "status of {}: {text}", res.path);
    let content_type = res.header("content-type").unwrap_or("");
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type:?}: {text}"
    );
    assert_eq!(res.code(), code, "code: {text}");
    assert_eq!(
        res.json["status"].as_u64(),
        Some(u64::from(status)),
        "status field: {text}"
    );
    assert!(
        res.json["title"].as_str().is_some_and(|t| !t.is_empty()),
        "title: {text}"
    );
    assert!(res.json["type"].is_string(), "type: {text}");
    assert_eq!(
        res.json["instance"].as_str(),
        Some(res.path.as_str()),
        "instance: {text}"
    );
    let request_id = res.request_id();
    assert!(!request_id.is_empty(), "no X-Request-Id header");
    assert_eq!(
        res.json["requestId"].as_str(),
        Some(request_id),
        "requestId: {text}"
    );
}

/// Asserts a 200 answer showing the payment CANCELED for `reason`, with its `canceledAt`.
#[track_caller]
pub fn assert_canceled(res: &ApiResponse, reason: &str) {
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["status"], "CANCELED", "{}", res.text());
    assert_eq!(res.json["cancelReason"], reason, "{}", res.text());
    assert_timestamp(&res.json["canceledAt"]);
}

/// Asserts 400 VALIDATION_FAILED whose `errors[].field` names `field`.
#[track_caller]
pub fn assert_invalid_field(res: &ApiResponse, field: &str) {
    assert_problem(res, 400, "VALIDATION_FAILED");
    let fields = res.error_fields();
    assert!(
        fields.iter().any(|f| f == field),
        "errors should name {field:?}, got {fields:?}: {}",
        res.text()
    );
    for e in res.json["errors"].as_array().into_iter().flatten() {
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "every error has a message: {}",
            res.text()
        );
    }
}

/// Asserts an RFC 3339 UTC timestamp with a `Z` and returns it parsed.
#[track_caller]
pub fn assert_timestamp(value: &Value) -> OffsetDateTime {
    let raw = value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a timestamp string"));
    assert!(raw.ends_with('Z'), "{raw} must be UTC with a Z");
    OffsetDateTime::parse(raw, &Rfc3339).unwrap_or_else(|e| panic!("{raw} is not RFC 3339: {e}"))
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("formattable")
}

/// `action` of every audit row, oldest first.
pub fn actions(logs: &[Value]) -> Vec<String> {
    logs.iter()
        .map(|l| l["action"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// The audit rows with this `action`.
pub fn rows<'a>(logs: &'a [Value], action: &str) -> Vec<&'a Value> {
    logs.iter().filter(|l| l["action"] == action).collect()
}

/// Anything that names a payment: a JSON payment object or the client crate's `Payment`.
pub trait PaymentKeyed {
    fn payment_key(&self) -> String;
}

impl PaymentKeyed for Value {
    fn payment_key(&self) -> String {
        self["paymentKey"]
            .as_str()
            .unwrap_or_else(|| panic!("no paymentKey in {self}"))
            .to_owned()
    }
}

impl PaymentKeyed for Payment {
    fn payment_key(&self) -> String {
        self.payment_key.clone()
    }
}

/// `paymentKey` of a payment.
pub fn key_of(payment: &impl PaymentKeyed) -> String {
    payment.payment_key()
}

/// The `attemptNo` of each of a delivery's attempts, in order.
pub fn attempt_numbers(delivery: &Value) -> Vec<Option<u64>> {
    delivery["attempts"]
        .as_array()
        .map(|a| a.iter().map(|x| x["attemptNo"].as_u64()).collect())
        .unwrap_or_default()
}

/// `statusCode` of every attempt of a delivery, in order.
pub fn attempt_codes(delivery: &Value) -> Vec<Option<u64>> {
    delivery["attempts"]
        .as_array()
        .map(|a| a.iter().map(|x| x["statusCode"].as_u64()).collect())
        .unwrap_or_default()
}
