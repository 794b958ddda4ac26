//! `POST /admin/api/simulator/webhook` and `/admin/api/simulator/mock-request`.

use serde_json::{Value, json};

use crate::harness::{assert_admin_unauthorized, spawn, spawn_with, spawn_with_merchant};

#[actix_web::test]
async fn a_simulated_approval_is_applied_to_a_ready_payment_over_http() {
    let (app, m) = spawn_with_merchant("Sim shop").await;
    let key = app.pay(&m, "SIM-1", 15_002).await;
    assert_eq!(app.status_of(&key).await, "READY");

    let res = app.simulate(&key, "APPROVED").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let sent = &res.json["request"];
    assert!(
        sent["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/webhook/payment")
    );
    assert!(
        sent["headers"]["webhook-signature"]
            .as_str()
            .unwrap()
            .starts_with("v1,")
    );
    let body: Value = serde_json::from_str(sent["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["paymentKey"], key.as_str());
    assert_eq!(body["amount"], 15_002, "defaults to the payment's amount");
    assert_eq!(body["status"], "APPROVED");
    let answer = &res.json["response"];
    assert_eq!(answer["status"], 200);
    let answered: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(answered["result"], "APPLIED");
    assert_eq!(app.status_of(&key).await, "APPROVED");

    let logs = app
        .admin_get(&format!("/admin/api/payments/{key}/logs"))
        .await;
    let approve = logs.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["action"] == "APPROVE")
        .cloned()
        .unwrap();
    assert_eq!(approve["actor"], "ACQUIRER");

    // The same payment again with another outcome: the webhook endpoint refuses (409), which the
    // simulator reports; the simulator call itself succeeded.
    let again = app.simulate(&key, "FAILED").await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json["response"]["status"], 409);
    assert_eq!(app.status_of(&key).await, "APPROVED");
    app.stop().await;
}

#[actix_web::test]
async fn a_simulated_failure_and_a_wrong_amount_are_treated_like_real_webhooks() {
    let (app, m) = spawn_with_merchant("Sim shop").await;
    let declined = app.pay(&m, "SIM-2", 15_002).await;
    let res = app
        .simulate_with(json!({ "paymentKey": declined, "status": "FAILED", "failureCode": "INSUFFICIENT_FUNDS", "failureMessage": "no money" }))
        .await;
    assert_eq!(res.json["response"]["status"], 200, "{}", res.text());
    let p = app
        .admin_get(&format!("/admin/api/payments/{declined}"))
        .await;
    assert_eq!(p.json["status"], "FAILED");
    assert_eq!(p.json["failureCode"], "INSUFFICIENT_FUNDS");

    let other = app.pay(&m, "SIM-3", 15_002).await;
    let res = app
        .simulate_with(json!({ "paymentKey": other, "status": "APPROVED", "amount": 1 }))
        .await;
    assert_eq!(res.json["response"]["status"], 422);
    assert_eq!(app.status_of(&other).await, "READY");
    app.stop().await;
}

#[actix_web::test]
async fn the_simulator_validates_its_input() {
    let app = spawn().await;
    let unknown = app.simulate(&"ab".repeat(32), "APPROVED").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json["code"], "PAYMENT_NOT_FOUND");
    for body in [
        json!({ "paymentKey": "ab".repeat(32), "status": "MAYBE" }),
        json!({ "status": "APPROVED" }),
        json!({ "paymentKey": "ab".repeat(32), "status": "APPROVED", "amount": "1" }),
        json!({ "paymentKey": "ab".repeat(32), "status": "APPROVED", "extra": 1 }),
    ] {
        let res = app.simulate_with(body.clone()).await;
        assert_eq!(res.status, 400, "{body}: {}", res.text());
        assert_eq!(res.json["code"], "VALIDATION_FAILED");
    }
    let no_body = app.mock_request(json!({})).await;
    assert_eq!(no_body.status, 400);
    assert_eq!(no_body.json["errors"][0]["field"], "body");
    app.stop().await;
}

#[actix_web::test]
async fn a_raw_mock_request_is_signed_and_answered_by_the_mock_acquirer() {
    let app = spawn().await;
    let raw = r#"{"paymentKey":"k1","amount":15002,"returnUrl":"http://127.0.0.1:9/none"}"#;
    let res = app.mock_request(json!({ "body": raw })).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["request"]["body"], raw, "sent byte for byte");
    assert_eq!(res.json["response"]["status"], 202);
    let answer: Value =
        serde_json::from_str(res.json["response"]["body"].as_str().unwrap()).unwrap();
    assert!(
        answer["transactionId"]
            .as_str()
            .unwrap()
            .starts_with("mtx_")
    );

    // An object is sent compactly encoded; a body the mock refuses comes back as its answer.
    let res = app.mock_request(json!({ "body": { "amount": 1 } })).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json["response"]["status"], 400);
    app.stop().await;
}

#[actix_web::test]
async fn the_simulator_needs_the_admin_token_and_the_mock_acquirer() {
    let app = spawn().await;
    for path in [
        "/admin/api/simulator/webhook",
        "/admin/api/simulator/mock-request",
    ] {
        let res = app.post_empty_json_without_token(path).await;
        assert_admin_unauthorized(&res, path);
        let get = app.admin_get(path).await;
        assert_eq!(get.status, 405, "{path}");
    }
    app.stop().await;

    let off = spawn_with(&[("SIMPLEPG__MOCK_ACQUIRER__ENABLED", "false")]).await;
    let res = off.simulate(&"ab".repeat(32), "APPROVED").await;
    assert_eq!(res.status, 404, "{}", res.text());
    assert_eq!(res.json["code"], "NOT_FOUND");
    let res = off
        .post_empty_json_without_token("/admin/api/simulator/webhook")
        .await;
    assert_admin_unauthorized(&res, "auth is checked first");
    off.stop().await;
}
