//! Protocol-level behaviour: problem+json everywhere, X-Request-Id, body limits, media types,
//! malformed JSON, unknown routes and methods, and the probes (api.md conventions, §1, §8).

use awc::http::Method;
use serde_json::json;

use crate::helpers::{
    ApiResponse, Draft, STAYS_READY, assert_invalid_field, assert_problem, order, spawn_app,
    spawn_app_with_merchant, spawn_app_with_ready_payment,
};

/// A create body of exactly `size` bytes: a valid order whose productName pads it out.
fn create_body_of(size: usize) -> String {
    let empty =
        json!({ "orderNo": "BIG", "amount": STAYS_READY, "methodCode": "CARD", "productName": "" })
            .to_string();
    let body = json!({
        "orderNo": "BIG", "amount": STAYS_READY, "methodCode": "CARD",
        "productName": "p".repeat(size - empty.len()),
    })
    .to_string();
    assert_eq!(body.len(), size);
    body
}

#[actix_web::test]
async fn a_body_over_64_kib_gets_413_payload_too_large() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let res = app
        .create_raw(&merchant, &create_body_of(64 * 1024 + 1))
        .await;
    assert_problem(&res, 413, "PAYLOAD_TOO_LARGE");

    let res = app.create_raw(&merchant, &create_body_of(200 * 1024)).await;
    assert_problem(&res, 413, "PAYLOAD_TOO_LARGE");

    // Exactly 64 KiB is not over the limit: it is read, and refused for its productName.
    let res = app.create_raw(&merchant, &create_body_of(64 * 1024)).await;
    assert_invalid_field(&res, "productName");

    let res = app
        .register_raw(
            &json!({ "clientName": "x".repeat(70_000), "returnUrl": "https://a.example" }),
        )
        .await;
    assert_problem(&res, 413, "PAYLOAD_TOO_LARGE");
    assert!(app.all_payments(&merchant).await.is_empty());
}

#[actix_web::test]
async fn a_non_json_content_type_gets_415_unsupported_media_type() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let body = order("MEDIA-TYPE").to_string();

    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/xml"),
        Some("application/jsonx"),
        None,
    ] {
        let mut draft = Draft::new(Method::POST, "/api/payments", Some(&body));
        draft.content_type = content_type.map(str::to_owned);
        let res = app.send(&draft.signed_by(&merchant)).await;
        assert_problem(&res, 415, "UNSUPPORTED_MEDIA_TYPE");
    }
    let res = app
        .register_with_content_type(
            "text/plain",
            br#"{"clientName":"Plain","returnUrl":"https://a.example"}"#,
        )
        .await;
    assert_problem(&res, 415, "UNSUPPORTED_MEDIA_TYPE");
    assert!(app.all_payments(&merchant).await.is_empty());
}

#[actix_web::test]
async fn application_json_with_a_charset_parameter_is_accepted() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let mut draft = Draft::create("CHARSET");
    draft.content_type = Some("application/json; charset=utf-8".to_owned());
    let res = app.send(&draft.signed_by(&merchant)).await;

    assert_eq!(res.status, 201, "{}", res.text());
}

#[actix_web::test]
async fn malformed_json_gets_400_malformed_json() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for body in [
        r#"{"orderNo":"BROKEN","amount":"#,
        "{orderNo: 'single quotes'}",
        "not json at all",
        r#"{"orderNo":"A","amount":15002,"methodCode":"CARD"} trailing"#,
    ] {
        let res = app.create_raw(&merchant, body).await;
        assert_problem(&res, 400, "MALFORMED_JSON");
    }
    let res = app
        .signed(
            Method::POST,
            &format!("/api/payments/{}/cancel", "a".repeat(64)),
            Some(r#"{"cancelReason":"#),
            &merchant,
        )
        .await;
    assert_eq!(res.status, 400, "{}", res.text());
    assert!(app.all_payments(&merchant).await.is_empty());
}

#[actix_web::test]
async fn an_empty_create_body_gets_400() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let res = app.create_raw(&merchant, "").await;

    assert_eq!(res.status, 400, "{}", res.text());
    assert_problem(&res, 400, res.code());
}

#[actix_web::test]
async fn an_unknown_route_gets_404_problem_json() {
    let app = spawn_app().await;

    for path in [
        "/nope",
        "/api",
        "/api/payment",
        "/api/payments/abc/refund",
        "/admin/api/nothing",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status, 404, "{path}: {}", res.text());
        assert_problem(&res, 404, res.code());
    }
}

#[actix_web::test]
async fn a_wrong_method_gets_405_problem_json_with_allow() {
    let app = spawn_app().await;
    let key = "a".repeat(64);

    for (method, path) in [
        (Method::DELETE, "/api/payments".to_owned()),
        (Method::PUT, format!("/api/payments/{key}")),
        (Method::DELETE, format!("/api/payments/{key}")),
        (Method::GET, format!("/api/payments/{key}/cancel")),
        (Method::GET, format!("/api/payments/{key}/complete")),
        (Method::POST, format!("/api/payments/{key}/logs")),
        (Method::POST, "/health".to_owned()),
        (Method::DELETE, "/admin/api/merchants".to_owned()),
    ] {
        let res = app.raw(method.clone(), &path, &[], None).await;
        assert_eq!(res.status, 405, "{method} {path}: {}", res.text());
        assert_problem(&res, 405, res.code());
        let allow = res
            .header("allow")
            .unwrap_or_else(|| panic!("{method} {path}: Allow"));
        assert!(!allow.contains(method.as_str()), "{allow}");
    }
}

#[actix_web::test]
async fn head_answers_like_get_without_a_body() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let auth = format!("Bearer {}", app.admin_token);
    for (path, headers) in [
        ("/health", vec![]),
        (
            "/admin/api/settlements",
            vec![("authorization", auth.as_str())],
        ),
        (
            "/admin/api/merchants",
            vec![("authorization", auth.as_str())],
        ),
    ] {
        let get = app.raw(Method::GET, path, &headers, None).await;
        let head = app.raw(Method::HEAD, path, &headers, None).await;
        assert_eq!(get.status, 200, "{path}: {}", get.text());
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(head.raw.is_empty(), "HEAD {path}: no body");
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
    }
    // A signed HEAD is signed like any request.
    let head = app
        .signed(Method::HEAD, "/api/payments", None, &merchant)
        .await;
    assert_eq!(head.status, 200, "{}", head.text());
    assert!(head.raw.is_empty());
    // And a method no route serves names HEAD among the allowed ones.
    let res = app.raw(Method::DELETE, "/health", &[], None).await;
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
}

#[actix_web::test]
async fn x_request_id_is_echoed_when_sent_and_generated_otherwise() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for path in ["/health", "/nope"] {
        let res = app
            .get_with_headers(path, &[("x-request-id", "trace-abc-123")])
            .await;
        assert_eq!(res.request_id(), "trace-abc-123", "{path}");
    }
    let res = app
        .send(
            &Draft::new(Method::GET, "/api/payments", None)
                .header("X-Request-Id", "signed-trace-1")
                .signed_by(&merchant),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.request_id(), "signed-trace-1");
    let res = app
        .get_with_headers("/api/payments", &[("x-request-id", "unsigned-trace-1")])
        .await;
    assert_problem(&res, 401, "MISSING_AUTH_HEADERS");
    assert_eq!(res.json["requestId"], "unsigned-trace-1");

    let first = app.get("/health").await;
    let second = app.get("/health").await;
    assert!(!first.request_id().is_empty());
    assert!(!second.request_id().is_empty());
    assert_ne!(
        first.request_id(),
        second.request_id(),
        "a fresh id per request"
    );
}

/// One of each kind of error the API produces, each checked for the full problem shape.
#[actix_web::test]
async fn every_error_response_is_problem_json_with_code_status_instance_and_request_id() {
    let (app, merchant, existing) = spawn_app_with_ready_payment("EXISTS").await;
    let key = existing.payment_key.clone();

    let cases = vec![
        (app.get("/nowhere").await, 404),
        (
            app.raw(Method::PATCH, "/api/payments", &[], None).await,
            405,
        ),
        (
            app.admin_with(Method::GET, "/admin/api/merchants", None, None)
                .await,
            401,
        ),
        (app.get("/api/payments").await, 401),
        (app.create_payment(&merchant, &order("EXISTS")).await, 409),
        (app.create_payment(&merchant, &json!({})).await, 400),
        (app.get_payment(&merchant, &"b".repeat(64)).await, 404),
        (
            app.signed(
                Method::POST,
                &format!("/api/payments/{key}/complete"),
                None,
                &merchant,
            )
            .await,
            409,
        ),
        (app.admin_get("/admin/api/merchants/mch_unknown").await, 404),
    ];
    for (res, status) in cases {
        assert_eq!(res.status, status, "{}: {}", res.path, res.text());
        assert!(!res.code().is_empty(), "{}: {}", res.path, res.text());
        assert_problem(&res, status, res.code());
        assert!(
            res.json["detail"].is_string(),
            "{}: detail: {}",
            res.path,
            res.text()
        );
    }
}

#[actix_web::test]
async fn hostile_inputs_never_get_a_server_error() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let bodies: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0x00, 0x7b],
        deep.into_bytes(),
        br#"{"orderNo":"X","amount":1e999,"methodCode":"CARD"}"#.to_vec(),
        br#"{"orderNo":"X","orderNo":"Y","amount":15002,"methodCode":"CARD"}"#.to_vec(),
        "{\"orderNo\":\"\u{0000}\",\"amount\":15002,\"methodCode\":\"CARD\"}"
            .as_bytes()
            .to_vec(),
        br#"{"orderNo":"X","amount":15002,"methodCode":"CARD","productName":"\ud800"}"#.to_vec(),
    ];
    for body in bodies {
        let mut draft = Draft::new(Method::POST, "/api/payments", Some(""));
        draft.body = Some(body.clone());
        let res = app.send(&draft.signed_by(&merchant)).await;
        assert_not_a_server_error(&res, &String::from_utf8_lossy(&body));
    }

    for query in [
        "limit=%ZZ",
        "createdFrom=2026-01-01T00:00:00%2B09:00&createdTo=2025-01-01T00:00:00Z",
        "status=READY&status=CANCELED",
        "startingAfter=",
        "unknown=1",
    ] {
        let res = app.list_payments(&merchant, query).await;
        assert_not_a_server_error(&res, query);
    }

    let huge_header = "h".repeat(6000);
    let res = app
        .get_with_headers(
            "/api/payments",
            &[
                ("x-client-id", huge_header.as_str()),
                ("x-timestamp", "1"),
                ("x-nonce", "n"),
                ("x-signature", "s"),
            ],
        )
        .await;
    assert_not_a_server_error(&res, "a 6000-character X-Client-Id");
}

/// Below 500; and an error is a well-formed problem.
#[track_caller]
fn assert_not_a_server_error(res: &ApiResponse, what: &str) {
    assert!(
        res.status < 500,
        "{what}: got {}: {}",
        res.status,
        res.text()
    );
    if res.status >= 400 {
        assert_problem(res, res.status, res.code());
    }
}

/// docs/api.md: body size (413) → authentication (401) → content type (415) → JSON (400) →
/// validation (400) → the use case.
#[actix_web::test]
async fn checks_run_in_the_documented_order() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let big = create_body_of(70_000);

    let unsigned_big = app
        .send(&Draft::new(Method::POST, "/api/payments", Some(&big)))
        .await;
    assert_problem(&unsigned_big, 413, "PAYLOAD_TOO_LARGE");

    let mut plain = Draft::new(Method::POST, "/api/payments", Some("not json"));
    plain.content_type = Some("text/plain".into());
    assert_problem(&app.send(&plain).await, 401, "MISSING_AUTH_HEADERS");
    assert_problem(
        &app.send(&plain.clone().signed_by(&merchant)).await,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    );

    let broken = Draft::new(Method::POST, "/api/payments", Some("{"));
    assert_problem(&app.send(&broken).await, 401, "MISSING_AUTH_HEADERS");
    assert_problem(
        &app.send(&broken.signed_by(&merchant)).await,
        400,
        "MALFORMED_JSON",
    );

    let invalid = Draft::new(Method::POST, "/api/payments", Some(r#"{"amount":0}"#));
    let forged = invalid.clone().signed_by(&merchant).sign_with("sk_forged");
    assert_problem(&app.send(&forged).await, 401, "INVALID_SIGNATURE");

    let key = "c".repeat(64);
    let cancel = Draft::new(
        Method::POST,
        &format!("/api/payments/{key}/cancel"),
        Some(r#"{"cancelReason":""}"#),
    );
    assert_invalid_field(
        &app.send(&cancel.signed_by(&merchant)).await,
        "cancelReason",
    );
}
