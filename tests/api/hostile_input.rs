//! Hostile input that a parser could read two ways: a JSON key sent twice (the last one would
//! win here, the first one in a proxy) and header bytes outside visible ASCII. Requests are
//! written byte for byte where a client library would refuse or normalise them.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{
    ApiResponse, Draft, STAYS_READY, TestApp, assert_problem, spawn_app, spawn_app_with_merchant,
    spawn_app_with_ready_payment,
};

/// Asserts `400 MALFORMED_JSON` whose detail names the repeated `key`.
#[track_caller]
fn assert_duplicate_key(res: &ApiResponse, key: &str) {
    assert_problem(res, 400, "MALFORMED_JSON");
    let detail = res.json["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains(&format!("\"{key}\" appears more than once")),
        "the detail names {key}: {detail}"
    );
}

#[actix_web::test]
async fn a_create_with_the_amount_sent_twice_is_malformed_json_and_creates_nothing() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let body = format!(
        r#"{{"orderNo":"DUP-AMOUNT","amount":1,"amount":{STAYS_READY},"methodCode":"CARD"}}"#
    );

    let res = app.create_raw(&merchant, &body).await;

    assert_duplicate_key(&res, "amount");
    assert!(app.all_payments(&merchant).await.is_empty());
}

#[actix_web::test]
async fn a_key_sent_twice_inside_a_nested_object_is_malformed_json_too() {
    let (app, merchant) = spawn_app_with_merchant().await;
    // Nested objects are not fields of a create; the duplicate is found before that is.
    let body = format!(
        r#"{{"orderNo":"DUP-NESTED","amount":{STAYS_READY},"methodCode":"CARD","meta":{{"a":{{"k":1,"k":2}}}}}}"#
    );

    let res = app.create_raw(&merchant, &body).await;

    assert_duplicate_key(&res, "k");
    let detail = res.json["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("$.meta.a"),
        "the detail says where: {detail}"
    );
    assert!(app.all_payments(&merchant).await.is_empty());
}

#[actix_web::test]
async fn a_cancel_reason_sent_twice_is_malformed_json_and_cancels_nothing() {
    let (app, merchant, payment) = spawn_app_with_ready_payment("DUP-CANCEL").await;

    let res = app
        .signed(
            Method::POST,
            &format!("/api/payments/{}/cancel", payment.payment_key),
            Some(r#"{"cancelReason":"customer asked","cancelReason":"other"}"#),
            &merchant,
        )
        .await;

    assert_duplicate_key(&res, "cancelReason");
    assert_still_ready(&app, &payment.payment_key).await;
}

#[actix_web::test]
async fn an_admin_registration_with_a_repeated_key_is_malformed_json_and_registers_nothing() {
    let app = spawn_app().await;

    let res = app
        .register_with_content_type(
            "application/json",
            br#"{"clientName":"Shop A","clientName":"Shop B"}"#,
        )
        .await;

    assert_duplicate_key(&res, "clientName");
    let list = app.admin_get("/admin/api/merchants").await;
    assert_eq!(list.json["data"], json!([]), "{}", list.text());
}

#[actix_web::test]
async fn a_correctly_signed_acquirer_webhook_with_a_repeated_status_is_malformed_json_and_changes_nothing()
 {
    let (app, _, payment) = spawn_app_with_ready_payment("DUP-WEBHOOK").await;
    let body = format!(
        r#"{{"paymentKey":"{}","transactionId":"tx-dup","status":"FAILED","status":"APPROVED","amount":{STAYS_READY},"approvedAt":null}}"#,
        payment.payment_key
    );

    let res = app
        .post_signed_by_acquirer("/api/webhook/payment", body.into_bytes())
        .await;

    assert_duplicate_key(&res, "status");
    assert_still_ready(&app, &payment.payment_key).await;
}

#[actix_web::test]
async fn a_mock_acquirer_request_with_a_repeated_key_is_malformed_json() {
    let app = spawn_app().await;
    let body = br#"{"paymentKey":"k","paymentKey":"k2"}"#;

    let res = app
        .post_signed_by_acquirer("/mock/request", body.to_vec())
        .await;

    assert_duplicate_key(&res, "paymentKey");
}

/// The payment is still READY (the refused request changed nothing).
async fn assert_still_ready(app: &TestApp, key: &str) {
    assert_eq!(app.admin_payment(key).await["status"], "READY");
}

/// A response read off a raw socket.
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Writes `head` (request line and headers, each ending in CRLF; `Host` and `Connection: close`
/// are added) and `body` to the server byte for byte and reads the whole answer.
fn exchange(app: &TestApp, head: &[u8], body: &[u8]) -> RawResponse {
    let address = app.base_url.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = head.to_vec();
    request.extend_from_slice(format!("Host: {address}\r\nConnection: close\r\n").as_bytes());
    if !body.is_empty() {
        request.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
    socket.write_all(&request).unwrap();
    let mut raw = Vec::new();
    socket.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    RawResponse {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// The head of a signed draft, with `X-Nonce` replaced by `nonce` (raw bytes).
fn head_with_nonce(draft: &Draft, nonce: &[u8]) -> Vec<u8> {
    let mut head = format!("{} {} HTTP/1.1\r\n", draft.method, draft.path_and_query()).into_bytes();
    let named = [
        ("Content-Type", &draft.content_type),
        ("X-Client-Id", &draft.client_id),
        ("X-Timestamp", &draft.timestamp),
        ("X-Signature", &draft.signature),
    ];
    for (name, value) in named {
        if let Some(value) = value {
            head.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
    }
    head.extend_from_slice(b"X-Nonce: ");
    head.extend_from_slice(nonce);
    head.extend_from_slice(b"\r\n");
    for (name, value) in &draft.extra_headers {
        head.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    head
}

/// Asserts a problem+json answer whose `requestId` is the `X-Request-Id` header.
#[track_caller]
fn assert_raw_problem(res: &RawResponse, status: u16, code: &str) {
    let text = String::from_utf8_lossy(&res.body);
    assert_eq!(res.status, status, "{text}");
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("application/problem+json")),
        "content type of {text}: {:?}",
        res.headers
    );
    let json = res.json();
    assert_eq!(json["code"], code, "{text}");
    let request_id = res.header("x-request-id").unwrap_or("");
    assert!(!request_id.is_empty(), "an X-Request-Id header");
    assert_eq!(json["requestId"], request_id, "{text}");
}

/// Sends a correctly signed create of `order_no` with `header_lines` added to its head, over a
/// raw connection: it is refused with 400 VALIDATION_FAILED and creates nothing.
async fn assert_signed_create_with_header_lines_is_invalid(
    order_no: &str,
    header_lines: &[u8],
) -> RawResponse {
    let (app, merchant) = spawn_app_with_merchant().await;
    let draft = Draft::create(order_no).signed_by(&merchant);
    let mut head = head_with_nonce(&draft, draft.nonce.as_deref().unwrap().as_bytes());
    head.extend_from_slice(header_lines);

    let res = exchange(&app, &head, draft.body.as_deref().unwrap());

    assert_raw_problem(&res, 400, "VALIDATION_FAILED");
    assert!(app.all_payments(&merchant).await.is_empty());
    res
}

/// Bytes 0x80–0xFF (obs-text) pass the HTTP parser; the signing headers must be text.
#[actix_web::test]
async fn a_nonce_with_bytes_outside_ascii_is_a_problem_with_a_request_id_and_uses_up_nothing() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let draft = Draft::create("OBS-TEXT").signed_by(&merchant);
    let mut nonce = draft.nonce.clone().unwrap().into_bytes();
    nonce.extend_from_slice(b"\xff\x80");

    let res = exchange(
        &app,
        &head_with_nonce(&draft, &nonce),
        draft.body.as_deref().unwrap(),
    );

    assert_raw_problem(&res, 401, "INVALID_SIGNATURE");
    let detail = res.json()["detail"].as_str().unwrap_or("").to_owned();
    assert!(detail.contains("X-Nonce"), "{detail}");
    assert!(detail.contains("not visible ASCII"), "{detail}");
    assert!(app.all_payments(&merchant).await.is_empty());
    // Its nonce was not used up: the request as signed goes through.
    assert_eq!(app.send(&draft).await.status, 201);
}

#[actix_web::test]
async fn an_idempotency_key_with_bytes_outside_ascii_is_a_400_problem_with_a_request_id() {
    assert_signed_create_with_header_lines_is_invalid(
        "OBS-KEY",
        b"Idempotency-Key: key-\xe9t\xe9\r\n",
    )
    .await;
}

/// A control character in a header (here 0x01) is refused by actix-http's HTTP/1 parser before
/// any of our code runs, with a bare `400` and the connection closed: nothing we configure can
/// change that answer (docs/api.md "Conventions"). What we can promise is asserted here: it is
/// a 400, never a 5xx, and the server goes on serving.
#[actix_web::test]
async fn a_control_character_in_a_header_is_refused_by_the_http_parser_with_400() {
    let app = spawn_app().await;

    for byte in [0x01_u8, 0x00, 0x1b, 0x7f] {
        let mut head = b"GET /api/payments HTTP/1.1\r\nX-Nonce: abc".to_vec();
        head.push(byte);
        head.extend_from_slice(b"def\r\n");
        let res = exchange(&app, &head, b"");
        assert_eq!(res.status, 400, "byte {byte:#04x}");
        assert!(res.body.is_empty(), "byte {byte:#04x}");
    }
    assert_eq!(app.get("/health").await.status, 200);
}

#[actix_web::test]
async fn an_idempotency_key_sent_twice_is_refused_like_a_repeated_query_parameter() {
    let res = assert_signed_create_with_header_lines_is_invalid(
        "TWO-KEYS",
        b"Idempotency-Key: key-one\r\nIdempotency-Key: key-two\r\n",
    )
    .await;
    let json = res.json();
    assert_eq!(json["errors"][0]["field"], "Idempotency-Key", "{json}");
}
