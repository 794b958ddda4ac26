//! `POST /admin/api/merchants/{clientId}/test-notification` (api.md §10.5): a signed
//! `merchant.test` event to the merchant's `returnUrl`, by role, audited.

use std::time::Duration;

use awc::http::Method;
use serde_json::json;

use crate::{
    helpers::{assert_problem, spawn_app},
    receiver::{Receiver, Reply, Script},
};

#[actix_web::test]
async fn a_merchant_admin_sends_its_receiver_a_signed_test_event_and_the_audit_log_says_so() {
    let receiver = Receiver::start(Script::always(Reply::status(200))).await;
    let app = spawn_app().await;
    let shop = app.register_merchant("Shop", &receiver.url("/hook")).await;
    let other = app
        .register_merchant("Other", &receiver.url("/other"))
        .await;
    let silent = app.register_merchant_without_return_url("Silent").await;
    let admin = app
        .user_session(
            "admin@shop.example",
            "MERCHANT_ADMIN",
            Some(&shop.client_id),
        )
        .await;
    let viewer = app
        .user_session(
            "view@shop.example",
            "MERCHANT_VIEWER",
            Some(&shop.client_id),
        )
        .await;
    let path = |c: &str| format!("/admin/api/merchants/{c}/test-notification");

    let res = app
        .session_change(&admin, Method::POST, &path(&shop.client_id), None)
        .await;
    assert_eq!(res.status, 202, "{}", res.text());
    assert_eq!(res.json["kind"], "MERCHANT_NOTIFICATION");
    assert_eq!(res.json["eventType"], "merchant.test");
    assert_eq!(res.json["paymentId"], serde_json::Value::Null);

    let arrived = receiver
        .wait_for("the test event", 1, Duration::from_secs(10), |r| {
            r.path == "/hook"
        })
        .await;
    let event = arrived[0]
        .verified_event(&[&shop.webhook_secret])
        .expect("signed with the merchant's webhook secret");
    assert_eq!(event.kind, simplepg_client::EventType::MerchantTest);
    assert_eq!(event.payment, None);
    assert_eq!(
        arrived[0].json()["data"]["clientId"],
        shop.client_id.as_str()
    );

    let res = app
        .session_change(&viewer, Method::POST, &path(&shop.client_id), None)
        .await;
    assert_problem(&res, 403, "FORBIDDEN");
    let res = app
        .session_change(&admin, Method::POST, &path(&other.client_id), None)
        .await;
    assert_problem(&res, 404, "MERCHANT_NOT_FOUND");
    let res = app
        .admin(Method::POST, &path(&silent.client_id), Some(&json!({})))
        .await;
    assert_problem(&res, 409, "NO_RETURN_URL");

    let audit = app
        .admin_data("/admin/api/audit?action=TEST_NOTIFICATION")
        .await;
    let rows: Vec<(&str, &str, &str)> = audit
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap(),
                r["target"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    // Newest first: every call is recorded, only the one that was sent as a success.
    assert_eq!(
        rows,
        [
            ("token", silent.client_id.as_str(), "FAILURE"),
            ("admin@shop.example", other.client_id.as_str(), "FAILURE"),
            ("view@shop.example", shop.client_id.as_str(), "DENIED"),
            ("admin@shop.example", shop.client_id.as_str(), "SUCCESS"),
        ]
    );
}
