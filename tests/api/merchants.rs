//! The operator API for merchants (api.md §8): registration, secrets shown once, rotation,
//! the admin token, and secrets kept unreadable in the database.

use awc::http::Method;
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use diesel::{QueryableByName, sql_types::Binary, sql_types::Text};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use simplepg_client::{ErrorCode, NewMerchant, SettlementTerms};

use crate::helpers::{
    TestApp, assert_invalid_field, assert_problem, assert_timestamp, spawn_app,
    spawn_app_with_merchant,
};

const SECRET_FIELDS: [&str; 2] = ["clientSecret", "webhookSecret"];

#[actix_web::test]
async fn registering_a_merchant_returns_201_with_both_secrets() {
    let app = spawn_app().await;

    let res = app
        .register_raw(
            &json!({ "clientName": "Coffee Shop", "returnUrl": "https://coffee.example/notify" }),
        )
        .await;

    assert_eq!(res.status, 201, "{}", res.text());
    let body = &res.json;
    let client_id = body["clientId"].as_str().unwrap();
    assert!(!client_id.is_empty());
    assert_eq!(body["clientName"], "Coffee Shop");
    assert_eq!(body["returnUrl"], "https://coffee.example/notify");
    assert_eq!(body["status"], "ACTIVE");
    assert_timestamp(&body["createdAt"]);
    let client_secret = body["clientSecret"].as_str().unwrap();
    assert!(
        client_secret.len() >= 32,
        "a long random secret: {client_secret}"
    );
    let webhook_secret = body["webhookSecret"].as_str().unwrap();
    let encoded = webhook_secret
        .strip_prefix("whsec_")
        .unwrap_or_else(|| panic!("{webhook_secret} must start with whsec_"));
    let key = STANDARD.decode(encoded).expect("whsec_ + standard Base64");
    assert!(key.len() >= 24, "at least 24 random bytes");
    assert_eq!(
        res.header("location"),
        Some(format!("/admin/api/merchants/{client_id}").as_str())
    );
    assert_eq!(
        res.header("cache-control"),
        Some("no-store"),
        "secrets must not be cached"
    );
}

#[actix_web::test]
async fn two_registrations_get_different_ids_and_secrets() {
    let app = spawn_app().await;

    let mut registered = Vec::new();
    for _ in 0..2 {
        registered.push(
            app.register_merchant("Same Name", "https://same.example/n")
                .await,
        );
    }
    let (a, b) = (&registered[0], &registered[1]);

    assert_ne!(a.client_id, b.client_id);
    assert_ne!(a.client_secret, b.client_secret);
    assert_ne!(a.webhook_secret, b.webhook_secret);
}

#[track_caller]
fn assert_no_secrets(body: &Value, raw: &str, secrets: &[&str]) {
    for field in SECRET_FIELDS {
        assert!(body.get(field).is_none(), "{field} leaked: {raw}");
    }
    for secret in secrets {
        assert!(!raw.contains(secret), "a secret leaked: {raw}");
    }
}

#[actix_web::test]
async fn showing_and_listing_merchants_never_include_the_secrets() {
    let app = spawn_app().await;
    let merchant = app
        .register_merchant("Bakery", "https://bakery.example/n")
        .await;
    let secrets = [
        merchant.client_secret.as_str(),
        merchant.webhook_secret.as_str(),
    ];

    let shown = app
        .merchant_admin(Method::GET, &merchant.client_id, "")
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(shown.json["clientId"], merchant.client_id.as_str());
    assert_eq!(shown.json["clientName"], "Bakery");
    assert_eq!(shown.json["status"], "ACTIVE");
    assert_no_secrets(&shown.json, &shown.text(), &secrets);

    let listed = app.admin_get("/admin/api/merchants").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let data = listed.json["data"].as_array().unwrap();
    let entry = data
        .iter()
        .find(|m| m["clientId"] == merchant.client_id.as_str())
        .unwrap_or_else(|| panic!("the merchant is listed: {}", listed.text()));
    assert_eq!(entry["clientName"], "Bakery");
    for m in data {
        assert_no_secrets(m, &listed.text(), &secrets);
    }
}

#[actix_web::test]
async fn rotating_the_secret_issues_a_new_one_and_retires_the_old_one() {
    let app = spawn_app().await;
    let mut merchant = app.merchant().await;
    let old = merchant.clone();

    let res = app
        .merchant_admin(Method::POST, &merchant.client_id, "/rotate-secret")
        .await;

    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["clientId"], merchant.client_id.as_str());
    let new_secret = res.json["clientSecret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old.client_secret);
    assert!(
        !res.text().contains(&old.webhook_secret),
        "rotation of the client secret does not show the webhook secret"
    );

    let with_old = app.list_payments(&old, "").await;
    assert_problem(&with_old, 401, "INVALID_SIGNATURE");

    merchant.client_secret = new_secret;
    let with_new = app.list_payments(&merchant, "").await;
    assert_eq!(with_new.status, 200, "{}", with_new.text());

    let shown = app
        .merchant_admin(Method::GET, &merchant.client_id, "")
        .await;
    assert_no_secrets(
        &shown.json,
        &shown.text(),
        &[merchant.client_secret.as_str(), old.client_secret.as_str()],
    );
}

/// Every admin endpoint, with a body where it takes one.
fn admin_endpoints(client_id: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (
            Method::POST,
            "/admin/api/merchants".into(),
            Some(json!({ "clientName": "Intruder", "returnUrl": "https://evil.example/n" })),
        ),
        (Method::GET, "/admin/api/merchants".into(), None),
        (
            Method::GET,
            format!("/admin/api/merchants/{client_id}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/admin/api/merchants/{client_id}"),
            Some(json!({ "clientName": "Intruder" })),
        ),
        (
            Method::POST,
            format!("/admin/api/merchants/{client_id}/rotate-secret"),
            None,
        ),
        (
            Method::POST,
            format!("/admin/api/merchants/{client_id}/deactivate"),
            None,
        ),
        (
            Method::POST,
            format!("/admin/api/merchants/{client_id}/activate"),
            None,
        ),
        (Method::GET, "/admin/api/payments".into(), None),
    ]
}

#[actix_web::test]
async fn admin_endpoints_refuse_a_missing_or_wrong_token_with_401_admin_unauthorized() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let wrong = [
        None,
        Some("Bearer wrong-token"),
        Some("Bearer "),
        Some("Bearer test-admin-token-but-longer"),
        Some("Bearer test-admin-toke"),
        Some("Basic dGVzdC1hZG1pbi10b2tlbg=="),
        Some("test-admin-token"),
    ];

    for (method, path, body) in admin_endpoints(&merchant.client_id) {
        for auth in wrong {
            let res = app
                .admin_with(method.clone(), &path, body.as_ref(), auth)
                .await;
            assert_problem(&res, 401, "ADMIN_UNAUTHORIZED");
        }
    }

    // None of the refused requests did anything: the secret still works, the merchant is
    // active, and the intruder was not registered.
    let res = app.list_payments(&merchant, "").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let listed = app.admin_get("/admin/api/merchants").await;
    let names: Vec<&Value> = listed.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["clientName"])
        .collect();
    assert_eq!(names, vec![&json!("Test Shop")]);
}

#[actix_web::test]
async fn an_unknown_merchant_gives_404_merchant_not_found() {
    let app = spawn_app().await;
    app.merchant().await;

    for id in ["mch_0000000000000000000000000000dead", "no-such-merchant"] {
        for (method, path, body) in admin_endpoints(id).into_iter().skip(2).take(5) {
            let res = app.admin(method, &path, body.as_ref()).await;
            assert_problem(&res, 404, "MERCHANT_NOT_FOUND");
        }
    }
}

#[actix_web::test]
async fn a_registration_without_a_client_name_is_refused_naming_client_name() {
    let app = spawn_app().await;

    for body in [
        json!({ "returnUrl": "https://shop.example/n" }),
        json!({ "clientName": "", "returnUrl": "https://shop.example/n" }),
        json!({ "clientName": 42, "returnUrl": "https://shop.example/n" }),
    ] {
        let res = app.register_raw(&body).await;
        assert_invalid_field(&res, "clientName");
    }
    let res = app.admin_get("/admin/api/merchants").await;
    assert_eq!(res.json["data"], json!([]), "nothing was registered");
}

#[derive(QueryableByName)]
struct StoredRow {
    #[diesel(sql_type = Binary)]
    bytes: Vec<u8>,
}

/// Every byte of the merchant's `api_credential` row, columns separated by a NUL.
/// On SQLite: every byte of the database file and its WAL (a stronger check: the secrets appear
/// nowhere in storage).
async fn stored_credential_row(app: &TestApp, client_id: &str) -> Vec<u8> {
    if let crate::helpers::TestDb::Sqlite(_) = &*app.db {
        let path = app.db.url().trim_start_matches("sqlite://").to_owned();
        let mut bytes = std::fs::read(&path).expect("the SQLite file");
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        assert!(
            bytes
                .windows(client_id.len())
                .any(|w| w == client_id.as_bytes()),
            "the merchant is stored in the file"
        );
        return bytes;
    }
    let pool = app.db.mysql().pool(1);
    let mut conn = pool.get().await.expect("a connection to the test database");
    let rows: Vec<StoredRow> = diesel::sql_query(
        "SELECT CAST(CONCAT_WS(0x00, client_id, client_name, client_secret, \
         client_secret_key_version, webhook_secret, webhook_secret_key_version, \
         IFNULL(return_url, ''), status, created_at, updated_at) AS BINARY) AS bytes \
         FROM api_credential WHERE client_id = ?",
    )
    .bind::<Text, _>(client_id)
    .load(&mut *conn)
    .await
    .expect("reading api_credential");
    assert_eq!(rows.len(), 1, "one api_credential row per merchant");
    rows.into_iter().next().unwrap().bytes
}

#[track_caller]
fn assert_not_stored(row: &[u8], what: &str, needle: &[u8]) {
    assert!(
        !row.windows(needle.len()).any(|w| w == needle),
        "the {what} is readable in api_credential"
    );
}

/// Secrets at rest are sealed: neither the secrets as shown nor their decoded key bytes appear
/// in the stored row.
#[actix_web::test]
async fn merchant_secrets_are_not_readable_in_the_database() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let row = stored_credential_row(&app, &merchant.client_id).await;
    assert!(
        row.windows(merchant.client_id.len())
            .any(|w| w == merchant.client_id.as_bytes()),
        "sanity: the row was read"
    );
    assert_not_stored(&row, "client secret", merchant.client_secret.as_bytes());
    assert_not_stored(&row, "webhook secret", merchant.webhook_secret.as_bytes());
    let webhook_b64 = merchant.webhook_secret.trim_start_matches("whsec_");
    assert_not_stored(&row, "webhook secret's Base64", webhook_b64.as_bytes());
    if let Ok(key) = STANDARD.decode(webhook_b64) {
        assert_not_stored(&row, "webhook key bytes", &key);
    }
    let client_b64 = merchant
        .client_secret
        .split_once('_')
        .map_or(merchant.client_secret.as_str(), |(_, rest)| rest);
    assert_not_stored(&row, "client secret body", client_b64.as_bytes());
    if let Ok(key) = URL_SAFE_NO_PAD.decode(client_b64) {
        assert_not_stored(&row, "client secret bytes", &key);
    }

    let rotated = app
        .merchant_admin(Method::POST, &merchant.client_id, "/rotate-secret")
        .await;
    let new_secret = rotated.json["clientSecret"].as_str().unwrap();
    let row = stored_credential_row(&app, &merchant.client_id).await;
    assert_not_stored(&row, "rotated client secret", new_secret.as_bytes());
}

#[actix_web::test]
async fn the_admin_client_registers_a_merchant_on_the_terms_it_names_or_on_the_defaults() {
    let app = spawn_app().await;
    let admin = app.admin_client();

    let termed = admin
        .register_merchant(
            &NewMerchant::new("Termed Shop")
                .with_return_url("https://termed.example/n")
                .with_terms(
                    SettlementTerms::default()
                        .with_fee_rate_bps(180)
                        .with_settlement_delay_days(0),
                ),
        )
        .await
        .unwrap();
    let plain = admin
        .register_merchant(&NewMerchant::new("Plain Shop"))
        .await
        .unwrap();
    let too_dear = admin
        .register_merchant(
            &NewMerchant::new("Dear Shop")
                .with_terms(SettlementTerms::default().with_fee_rate_bps(10_001)),
        )
        .await
        .unwrap_err();

    assert_eq!(
        (
            termed.merchant.fee_rate_bps,
            termed.merchant.settlement_delay_days
        ),
        (180, 0)
    );
    assert_eq!(
        termed.merchant.return_url.as_deref(),
        Some("https://termed.example/n")
    );
    assert_eq!(
        (
            plain.merchant.fee_rate_bps,
            plain.merchant.settlement_delay_days
        ),
        (250, 2)
    );
    assert_eq!(plain.merchant.return_url, None);
    assert_eq!(plain.merchant.updated_at, plain.merchant.created_at);
    assert_eq!(too_dear.code(), Some(&ErrorCode::ValidationFailed));
    let problem = too_dear.problem().unwrap();
    assert_eq!(problem.errors[0].field, "feeRateBps", "{problem:?}");
    let listed = app.admin(Method::GET, "/admin/api/merchants", None).await;
    assert!(
        !listed.text().contains("Dear Shop"),
        "a refused registration stores nothing"
    );
}
