//! Signing headers that are there but unusable (sent twice, malformed nonce), and what a
//! refused signature tells an integrator: outside production the SHA-256 of the canonical
//! string the server computed; in production nothing. Never anything about the client.

use std::sync::Arc;

use awc::http::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{
    ApiResponse, Draft, TestApp, TestDb, assert_problem, order, spawn_app_with,
    spawn_app_with_merchant,
};

/// Sends `draft` with `name: value` appended, so that the header is there twice if the draft
/// has it already.
async fn send_with_extra(app: &TestApp, draft: &Draft, name: &str, value: &str) -> ApiResponse {
    let path = draft.path_and_query();
    let mut req = app
        .api
        .http()
        .request(draft.method.clone(), format!("{}{path}", app.base_url));
    for header in draft.headers() {
        req = req.append_header(header);
    }
    req = req.append_header((name, value));
    let mut res = req
        .send_body(draft.body.clone().unwrap_or_default())
        .await
        .unwrap();
    let raw = res.body().await.unwrap().to_vec();
    ApiResponse {
        path: draft.path.clone(),
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        json: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        raw,
    }
}

fn detail(res: &ApiResponse) -> String {
    res.json["detail"].as_str().unwrap_or("").to_owned()
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[actix_web::test]
async fn each_signing_header_sent_twice_gives_401_invalid_signature_and_uses_up_nothing() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for (created, header) in ["X-Client-Id", "X-Timestamp", "X-Nonce", "X-Signature"]
        .into_iter()
        .enumerate()
    {
        let draft = Draft::create(&format!("TWICE-{}", &header[2..])).signed_by(&merchant);
        // The very same value again: a repeat is refused whatever it says.
        let same = match header {
            "X-Client-Id" => draft.client_id.clone(),
            "X-Timestamp" => draft.timestamp.clone(),
            "X-Nonce" => draft.nonce.clone(),
            _ => draft.signature.clone(),
        }
        .unwrap();

        let res = send_with_extra(&app, &draft, header, &same).await;

        assert_problem(&res, 401, "INVALID_SIGNATURE");
        assert!(
            detail(&res).contains(&format!("{header} header was sent more than once")),
            "{}",
            res.text()
        );
        assert!(
            res.json.get("canonicalStringSha256").is_none(),
            "{}",
            res.text()
        );
        assert_eq!(app.all_payments(&merchant).await.len(), created, "{header}");
        // Nothing was recorded: the request as signed, sent once, is accepted.
        let accepted = app.send(&draft).await;
        assert_eq!(accepted.status, 201, "{header}: {}", accepted.text());
    }
}

#[actix_web::test]
async fn outside_production_a_wrong_signature_answers_with_the_sha256_of_the_canonical_string() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let draft = Draft::create("HASH-1").signed_by_wrong_secret(&merchant);

    let res = app.send(&draft).await;

    assert_problem(&res, 401, "INVALID_SIGNATURE");
    let expected = sha256_hex(&draft.canonical_string());
    assert_eq!(
        res.json["canonicalStringSha256"],
        expected.as_str(),
        "{}",
        res.text()
    );
    assert!(detail(&res).contains(&expected), "{}", res.text());
    assert!(detail(&res).contains("compare it"), "{}", res.text());
    let text = res.text();
    assert!(!text.contains(&merchant.client_secret), "never the secret");
    let right = draft.clone().sign_with(&merchant.client_secret);
    assert!(
        !text.contains(right.signature.as_deref().unwrap()),
        "never the expected signature"
    );
    assert!(app.all_payments(&merchant).await.is_empty());
}

/// The integrator's bug this is for: the client signed one canonical string and sent another
/// request (here, a body re-serialised after signing). The hashes differ, so the integrator
/// knows to compare the lines of the canonical string rather than the secret.
#[actix_web::test]
async fn the_hash_shows_which_request_the_server_signed_when_the_body_changed_after_signing() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let signed = Draft::create("HASH-2").signed_by(&merchant);
    let mut sent = signed.clone();
    sent.body = Some(
        serde_json::to_string_pretty(&order("HASH-2"))
            .unwrap()
            .into_bytes(),
    );

    let res = app.send(&sent).await;

    assert_problem(&res, 401, "INVALID_SIGNATURE");
    let server = res.json["canonicalStringSha256"].as_str().unwrap();
    assert_eq!(server, sha256_hex(&sent.canonical_string()));
    assert_ne!(server, sha256_hex(&signed.canonical_string()));
}

/// Same shape, same extension, same length: the hash depends on the request alone.
#[actix_web::test]
async fn outside_production_an_unknown_client_still_looks_exactly_like_a_wrong_secret() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let wrong = Draft::create("SHAPE").signed_by_wrong_secret(&merchant);
    let mut unknown = wrong.clone();
    unknown.client_id = Some("mch_0000000000000000000000000000dead".to_owned());

    let wrong_res = app.send(&wrong).await;
    let unknown_res = app.send(&unknown).await;

    for (draft, res) in [(&wrong, &wrong_res), (&unknown, &unknown_res)] {
        assert_problem(res, 401, "INVALID_SIGNATURE");
        assert_eq!(
            res.json["canonicalStringSha256"],
            sha256_hex(&draft.canonical_string()).as_str()
        );
    }
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("requestId");
        v
    };
    // X-Client-Id is not in the canonical string: even the hash is the same.
    assert_eq!(strip(&unknown_res.json), strip(&wrong_res.json));
    assert_eq!(
        unknown_res.header("content-length"),
        wrong_res.header("content-length")
    );
}

/// The production profile's required settings, with values that are not the development ones.
const PRODUCTION: &[(&str, &str)] = &[
    ("SIMPLEPG_PROFILE", "production"),
    (
        "ENCRYPTION_KEY",
        "abababababababababababababababababababababababababababababababab",
    ),
    ("ADMIN_TOKEN", "an-operator-token-of-some-length"),
    (
        "SIMPLEPG__ACQUIRER__WEBHOOK_SECRET",
        "whsec_cmVhbC1hY3F1aXJlci1zZWNyZXQtMDEyMzQ1Njc4OQ==",
    ),
    ("API_REQUEST_URL", "http://127.0.0.1:9/acquirer"),
    ("SIMPLEPG__SERVER__PUBLIC_URL", "https://pg.example.com"),
];

#[actix_web::test]
async fn in_production_a_wrong_signature_and_an_unknown_client_stay_opaque() {
    let db = Arc::new(TestDb::create().await);
    let mut app = spawn_app_with(db, PRODUCTION).await;
    app.admin_token = "an-operator-token-of-some-length".to_owned();
    let merchant = app.merchant().await;
    let wrong = Draft::new(Method::GET, "/api/payments", None).signed_by_wrong_secret(&merchant);
    let mut unknown = wrong.clone();
    unknown.client_id = Some("mch_0000000000000000000000000000dead".to_owned());

    for draft in [&wrong, &unknown] {
        let res = app.send(draft).await;
        assert_problem(&res, 401, "INVALID_SIGNATURE");
        assert!(
            res.json.get("canonicalStringSha256").is_none(),
            "{}",
            res.text()
        );
        assert_eq!(detail(&res), "the request signature is not valid");
    }
}
