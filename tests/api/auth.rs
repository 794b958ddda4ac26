//! Merchant authentication (api.md §2): every failure mode and its code.

use std::sync::Arc;

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Draft, Merchant, STAYS_READY, TestApp, assert_problem, fresh_nonce, order, payment_endpoints,
    spawn_app, spawn_app_on, spawn_app_with_merchant, spawn_app_with_ready_payment,
    spawn_app_with_two_merchants,
};

const FIVE_MINUTES_AND_A_SECOND_MS: i64 = 301_000;

fn list_draft() -> Draft {
    Draft::new(Method::GET, "/api/payments?limit=5", None)
}

/// `draft`, correctly signed by `merchant`, but with the nonce `earlier` was sent with.
fn reusing_nonce_of(earlier: &Draft, draft: Draft, merchant: &Merchant) -> Draft {
    let mut draft = draft.signed_by(merchant);
    draft.nonce = earlier.nonce.clone();
    draft.sign_with(&merchant.client_secret)
}

/// Sends `draft`, asserts the problem `status` `code`, and that the merchant has no payment.
async fn assert_refused_creating_nothing(
    app: &TestApp,
    merchant: &Merchant,
    draft: &Draft,
    status: u16,
    code: &str,
) {
    assert_problem(&app.send(draft).await, status, code);
    assert!(app.all_payments(merchant).await.is_empty());
}

/// A create signed `offset_ms` away from now is refused as out of the window.
async fn assert_create_dated_out_of_window(order_no: &str, offset_ms: i64) {
    let (app, merchant) = spawn_app_with_merchant().await;
    let draft = Draft::create(order_no)
        .signed_by(&merchant)
        .dated(offset_ms, &merchant.client_secret);
    assert_refused_creating_nothing(&app, &merchant, &draft, 401, "TIMESTAMP_OUT_OF_WINDOW").await;
}

/// `POST /admin/api/merchants/{id}/{action}` (`activate` or `deactivate`), expecting 200 and
/// the merchant's new status.
async fn set_merchant_status(app: &TestApp, id: &str, action: &str, status: &str) {
    let res = app
        .merchant_admin(Method::POST, id, &format!("/{action}"))
        .await;
    assert_eq!(res.status, 200, "{action} is idempotent: {}", res.text());
    assert_eq!(res.json["status"], status);
}

#[actix_web::test]
async fn a_correctly_signed_request_is_accepted() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let res = app.send(&list_draft().signed_by(&merchant)).await;

    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json, json!({ "data": [], "hasMore": false }));
}

#[actix_web::test]
async fn each_missing_signing_header_gives_401_missing_auth_headers() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for header in ["X-Client-Id", "X-Timestamp", "X-Nonce", "X-Signature"] {
        let mut draft = Draft::create("NO-HEADER").signed_by(&merchant);
        match header {
            "X-Client-Id" => draft.client_id = None,
            "X-Timestamp" => draft.timestamp = None,
            "X-Nonce" => draft.nonce = None,
            _ => draft.signature = None,
        }
        let res = app.send(&draft).await;
        assert_problem(&res, 401, "MISSING_AUTH_HEADERS");
        let detail = res.json["detail"]
            .as_str()
            .unwrap_or("")
            .to_ascii_lowercase();
        assert!(
            detail.contains(&header.to_ascii_lowercase()),
            "the detail names {header}: {detail}"
        );
    }

    let mut bare = Draft::create("NO-HEADER");
    bare.content_type = Some("application/json".into());
    assert_problem(&app.send(&bare).await, 401, "MISSING_AUTH_HEADERS");
    assert!(app.all_payments(&merchant).await.is_empty());
}

#[actix_web::test]
async fn every_payments_endpoint_requires_the_signing_headers() {
    let (app, merchant, payment) = spawn_app_with_ready_payment("ORDER-1").await;
    let key = payment.payment_key.as_str();

    let create_body = order("ORDER-2").to_string();
    let endpoints = [
        (Method::GET, "/api/payments".to_owned(), None),
        (
            Method::POST,
            "/api/payments".to_owned(),
            Some(create_body.as_str()),
        ),
    ]
    .into_iter()
    .chain(payment_endpoints(key));
    for (method, path, body) in endpoints {
        let res = app.send(&Draft::new(method, &path, body)).await;
        assert_problem(&res, 401, "MISSING_AUTH_HEADERS");
    }

    let unchanged = app.get_payment(&merchant, key).await;
    assert_eq!(unchanged.json["status"], "READY");
    assert_eq!(app.all_payments(&merchant).await.len(), 1);
}

#[actix_web::test]
async fn a_signature_made_with_a_wrong_secret_gives_401_invalid_signature() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let draft = Draft::create("WRONG-SECRET").signed_by_wrong_secret(&merchant);

    assert_refused_creating_nothing(&app, &merchant, &draft, 401, "INVALID_SIGNATURE").await;
}

#[actix_web::test]
async fn a_malformed_signature_gives_401_invalid_signature() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for garbage in ["not base64 at all!", "AAAA", "=="] {
        let mut draft = list_draft().signed_by(&merchant);
        draft.signature = Some(garbage.to_owned());
        let res = app.send(&draft).await;
        assert_problem(&res, 401, "INVALID_SIGNATURE");
    }
}

/// api.md §2: "Failures never reveal whether the client id exists."
#[actix_web::test]
async fn an_unknown_client_id_is_indistinguishable_from_a_wrong_secret() {
    let (app, merchant) = spawn_app_with_merchant().await;

    // One timestamp and nonce for all three: outside production the answer carries the SHA-256
    // of the canonical string, which does not include X-Client-Id, so it is the same too.
    let signed = list_draft().signed_by(&merchant);
    let wrong_secret = app.send(&signed.clone().sign_with("sk_wrong")).await;
    let mut unknown = signed.clone();
    unknown.client_id = Some("mch_0000000000000000000000000000dead".to_owned());
    let unknown = app.send(&unknown).await;
    let mut malformed = signed;
    malformed.client_id = Some("not a client id!".to_owned());
    let malformed = app.send(&malformed).await;

    assert_problem(&wrong_secret, 401, "INVALID_SIGNATURE");
    for other in [&unknown, &malformed] {
        assert_problem(other, 401, "INVALID_SIGNATURE");
        let strip = |v: &Value| {
            let mut v = v.clone();
            v.as_object_mut().unwrap().remove("requestId");
            v
        };
        assert_eq!(
            strip(&other.json),
            strip(&wrong_secret.json),
            "same body but the request id"
        );
        let names = |r: &crate::helpers::ApiResponse| {
            let mut n: Vec<String> = r.headers.keys().map(|k| k.as_str().to_owned()).collect();
            n.sort();
            n
        };
        assert_eq!(names(other), names(&wrong_secret), "same header names");
        assert_eq!(
            other.header("content-length"),
            wrong_secret.header("content-length")
        );
    }
}

#[actix_web::test]
async fn a_timestamp_301_seconds_in_the_past_is_out_of_window() {
    assert_create_dated_out_of_window("STALE", -FIVE_MINUTES_AND_A_SECOND_MS).await;
}

#[actix_web::test]
async fn a_timestamp_301_seconds_in_the_future_is_out_of_window() {
    assert_create_dated_out_of_window("FUTURE", FIVE_MINUTES_AND_A_SECOND_MS).await;
}

#[actix_web::test]
async fn timestamps_a_little_inside_the_window_are_accepted() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for offset_ms in [-290_000, 290_000] {
        let draft = list_draft()
            .signed_by(&merchant)
            .dated(offset_ms, &merchant.client_secret);
        let res = app.send(&draft).await;
        assert_eq!(res.status, 200, "offset {offset_ms} ms: {}", res.text());
    }
}

/// X-Timestamp is in milliseconds: a value in seconds is 1970 as milliseconds.
#[actix_web::test]
async fn a_timestamp_in_seconds_instead_of_milliseconds_is_out_of_window() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let mut draft = list_draft().signed_by(&merchant);
    let millis: i64 = draft.timestamp.as_deref().unwrap().parse().unwrap();
    draft.timestamp = Some((millis / 1000).to_string());
    let res = app.send(&draft.sign_with(&merchant.client_secret)).await;

    assert_problem(&res, 401, "TIMESTAMP_OUT_OF_WINDOW");
}

#[actix_web::test]
async fn a_non_numeric_or_absurd_timestamp_gives_401() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for ts in [
        "yesterday",
        "",
        "-1",
        "1.5e12",
        "99999999999999999999999999",
    ] {
        let mut draft = list_draft().signed_by(&merchant);
        draft.timestamp = Some(ts.to_owned());
        let res = app.send(&draft.sign_with(&merchant.client_secret)).await;
        assert_eq!(res.status, 401, "timestamp {ts:?}: {}", res.text());
        assert_problem(&res, 401, res.code());
    }
}

#[actix_web::test]
async fn a_replayed_request_gives_401_replayed_request() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let draft = Draft::create("REPLAY-1").signed_by(&merchant);

    let first = app.send(&draft).await;
    let replay = app.send(&draft).await;

    assert_eq!(first.status, 201, "{}", first.text());
    assert_problem(&replay, 401, "REPLAYED_REQUEST");
    assert_eq!(app.all_payments(&merchant).await.len(), 1);
}

#[actix_web::test]
async fn a_replayed_nonce_is_refused_by_a_second_instance() {
    let first_instance = spawn_app().await;
    let second_instance = spawn_app_on(Arc::clone(&first_instance.db)).await;
    let merchant = first_instance.merchant().await;

    let create = Draft::create("REPLAY-ACROSS").signed_by(&merchant);
    let accepted = first_instance.send(&create).await;
    let replayed = second_instance.send(&create).await;
    assert_eq!(accepted.status, 201, "{}", accepted.text());
    assert_problem(&replayed, 401, "REPLAYED_REQUEST");

    let list = list_draft().signed_by(&merchant);
    let accepted = second_instance.send(&list).await;
    let replayed = first_instance.send(&list).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_problem(&replayed, 401, "REPLAYED_REQUEST");

    assert_eq!(second_instance.all_payments(&merchant).await.len(), 1);

    // The memory outlives the instance that saw the nonce first.
    let once = Draft::create("REPLAY-AFTER-STOP").signed_by(&merchant);
    assert_eq!(first_instance.send(&once).await.status, 201);
    first_instance.stop().await;
    assert_problem(&second_instance.send(&once).await, 401, "REPLAYED_REQUEST");
    assert_eq!(second_instance.all_payments(&merchant).await.len(), 2);
}

/// Sends `first`, signed by a merchant, which answers `status`; then a correctly signed create
/// reusing its nonce, which must be refused as a replay and create nothing.
async fn assert_its_nonce_is_used_up(first: Draft, status: u16) {
    let (app, merchant) = spawn_app_with_merchant().await;
    let first = first.signed_by(&merchant);
    assert_eq!(app.send(&first).await.status, status);

    let reuse = reusing_nonce_of(&first, Draft::create("SAME-NONCE"), &merchant);

    assert_refused_creating_nothing(&app, &merchant, &reuse, 401, "REPLAYED_REQUEST").await;
}

#[actix_web::test]
async fn a_used_nonce_is_refused_even_on_a_different_correctly_signed_request() {
    assert_its_nonce_is_used_up(list_draft(), 200).await;
}

/// Only correctly signed requests consume a nonce, so nobody can burn a merchant's nonces.
#[actix_web::test]
async fn a_badly_signed_request_does_not_use_up_its_nonce() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let good = Draft::create("NONCE-KEPT").signed_by(&merchant);
    let forged = good.clone().sign_with("sk_forged");

    assert_problem(&app.send(&forged).await, 401, "INVALID_SIGNATURE");
    let res = app.send(&good).await;

    assert_eq!(res.status, 201, "{}", res.text());
}

/// Nonces are remembered per client: another merchant's nonce is no replay.
#[actix_web::test]
async fn the_same_nonce_is_fine_for_two_different_merchants() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    let nonce = fresh_nonce();

    for merchant in [&a, &b] {
        let mut draft = list_draft().signed_by(merchant);
        draft.nonce = Some(nonce.clone());
        let res = app.send(&draft.sign_with(&merchant.client_secret)).await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
}

#[actix_web::test]
async fn a_body_changed_after_signing_gives_invalid_signature() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let mut draft = Draft::create("TAMPERED").signed_by(&merchant);
    let tampered =
        json!({ "orderNo": "TAMPERED", "amount": STAYS_READY * 100, "methodCode": "CARD" });
    draft.body = Some(tampered.to_string().into_bytes());

    assert_refused_creating_nothing(&app, &merchant, &draft, 401, "INVALID_SIGNATURE").await;
}

#[actix_web::test]
async fn a_body_with_only_whitespace_added_after_signing_gives_invalid_signature() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let mut draft = Draft::create("WHITESPACE").signed_by(&merchant);
    draft.body.as_mut().unwrap().push(b' ');

    assert_refused_creating_nothing(&app, &merchant, &draft, 401, "INVALID_SIGNATURE").await;
}

#[actix_web::test]
async fn a_query_changed_after_signing_gives_invalid_signature() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let mut draft = list_draft().signed_by(&merchant);
    draft.query = Some("limit=50".to_owned());
    assert_problem(&app.send(&draft).await, 401, "INVALID_SIGNATURE");

    let mut draft = list_draft().signed_by(&merchant);
    draft.query = None;
    assert_problem(&app.send(&draft).await, 401, "INVALID_SIGNATURE");

    let mut draft = Draft::new(Method::GET, "/api/payments", None).signed_by(&merchant);
    draft.query = Some("status=READY".to_owned());
    assert_problem(&app.send(&draft).await, 401, "INVALID_SIGNATURE");
}

#[actix_web::test]
async fn a_signature_for_another_path_or_method_gives_invalid_signature() {
    let (app, merchant, a) = spawn_app_with_ready_payment("PATH-A").await;
    let b = app.ready_payment(&merchant, "PATH-B").await;
    let (a, b) = (a.payment_key.as_str(), b.payment_key.as_str());

    let body = r#"{"cancelReason":"signed for A"}"#;
    let mut draft = Draft::new(
        Method::POST,
        &format!("/api/payments/{a}/cancel"),
        Some(body),
    )
    .signed_by(&merchant);
    draft.path = format!("/api/payments/{b}/cancel");
    assert_problem(&app.send(&draft).await, 401, "INVALID_SIGNATURE");

    let mut draft =
        Draft::new(Method::GET, &format!("/api/payments/{a}"), None).signed_by(&merchant);
    draft.path = format!("/api/payments/{a}/logs");
    assert_problem(&app.send(&draft).await, 401, "INVALID_SIGNATURE");

    let mut draft = Draft::new(Method::GET, "/api/payments", None).signed_by(&merchant);
    draft.method = Method::POST;
    assert_problem(&app.send(&draft).await, 401, "INVALID_SIGNATURE");

    for key in [a, b] {
        assert_eq!(
            app.get_payment(&merchant, key).await.json["status"],
            "READY"
        );
    }
}

#[actix_web::test]
async fn a_nonce_outside_the_allowed_format_is_refused() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for nonce in [
        "short-nonce-15c",
        &"n".repeat(65),
        "has spaces in the nonce",
        "nonce/with/slashes!",
    ] {
        let mut draft = Draft::create("BAD-NONCE").signed_by(&merchant);
        draft.nonce = Some(nonce.to_owned());
        let res = app.send(&draft.sign_with(&merchant.client_secret)).await;
        assert_problem(&res, 401, "INVALID_SIGNATURE");
        assert!(
            res.json["detail"]
                .as_str()
                .unwrap()
                .contains("X-Nonce is malformed")
        );
        assert!(
            res.json.get("canonicalStringSha256").is_none(),
            "a malformed nonce is refused before any signature is computed: {}",
            res.text()
        );
    }
    assert!(app.all_payments(&merchant).await.is_empty());
}

#[actix_web::test]
async fn a_deactivated_merchant_gets_403_client_inactive_until_it_is_activated_again() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let id = &merchant.client_id;

    for _ in 0..2 {
        set_merchant_status(&app, id, "deactivate", "INACTIVE").await;
    }
    let shown = app.merchant_admin(Method::GET, id, "").await;
    assert_eq!(shown.json["status"], "INACTIVE");

    let res = app
        .send(&Draft::create("WHILE-INACTIVE").signed_by(&merchant))
        .await;
    assert_problem(&res, 403, "CLIENT_INACTIVE");
    let res = app.send(&list_draft().signed_by(&merchant)).await;
    assert_problem(&res, 403, "CLIENT_INACTIVE");
    // A bad signature is still a bad signature, whatever the merchant's status.
    let res = app
        .send(&list_draft().signed_by_wrong_secret(&merchant))
        .await;
    assert_problem(&res, 401, "INVALID_SIGNATURE");

    set_merchant_status(&app, id, "activate", "ACTIVE").await;

    let res = app
        .send(&Draft::create("AFTER-ACTIVATION").signed_by(&merchant))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let orders: Vec<String> = app
        .all_payments(&merchant)
        .await
        .into_iter()
        .map(|p| p.order_no)
        .collect();
    assert_eq!(orders, ["AFTER-ACTIVATION"]);
}

/// A create records its nonce in its own transaction; every create that does not commit still
/// uses its nonce up before it is answered, so its replay is 401 whatever the first answer was.
#[actix_web::test]
async fn a_replay_of_a_refused_create_gives_401_whatever_refused_it() {
    let (app, merchant) = spawn_app_with_merchant().await;
    assert_eq!(
        app.send(&Draft::create("TAKEN").signed_by(&merchant))
            .await
            .status,
        201
    );

    let invalid = Draft::new(
        Method::POST,
        "/api/payments",
        Some(&json!({ "orderNo": "BAD", "amount": -1, "methodCode": "CARD" }).to_string()),
    );
    let mut mismatched = order("MISMATCH");
    mismatched["clientId"] = json!("mch_someone_else");
    let mismatched = Draft::new(Method::POST, "/api/payments", Some(&mismatched.to_string()));
    for (draft, status, code) in [
        (invalid, 400, "VALIDATION_FAILED"),
        (Draft::create("TAKEN"), 409, "DUPLICATE_ORDER"),
        (mismatched, 403, "CLIENT_ID_MISMATCH"),
    ] {
        let draft = draft.signed_by(&merchant);
        assert_problem(&app.send(&draft).await, status, code);
        assert_problem(&app.send(&draft).await, 401, "REPLAYED_REQUEST");
    }
    assert_eq!(app.all_payments(&merchant).await.len(), 1);
}

#[actix_web::test]
async fn a_create_with_a_nonce_that_a_refused_create_used_gives_401_and_creates_nothing() {
    let refused = Draft::new(Method::POST, "/api/payments", Some("{\"orderNo\":"));
    assert_its_nonce_is_used_up(refused, 400).await;
}

#[actix_web::test]
async fn a_replay_of_an_idempotent_create_gives_401_not_the_stored_response() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let draft = Draft::create("KEYED")
        .header("Idempotency-Key", &fresh_nonce())
        .signed_by(&merchant);

    assert_eq!(app.send(&draft).await.status, 201);
    assert_problem(&app.send(&draft).await, 401, "REPLAYED_REQUEST");
    assert_eq!(app.all_payments(&merchant).await.len(), 1);
}

#[actix_web::test]
async fn a_replay_of_a_deactivated_merchants_create_gives_401() {
    let (app, merchant) = spawn_app_with_merchant().await;
    set_merchant_status(&app, &merchant.client_id, "deactivate", "INACTIVE").await;

    let draft = Draft::create("INACTIVE").signed_by(&merchant);
    assert_problem(&app.send(&draft).await, 403, "CLIENT_INACTIVE");
    assert_problem(&app.send(&draft).await, 401, "REPLAYED_REQUEST");
}
