//! Every operator operation refuses a request without the admin token (api.md §8), found by
//! enumerating the `/admin/api` paths of the served OpenAPI document rather than by a list kept
//! by hand (the document's admin paths are held equal to the router's by an adapters-http unit
//! test). The ids in the paths are real ones, so a handler that skipped the check would answer
//! 2xx, not 404.

use awc::http::Method;
use serde_json::json;

use crate::helpers::{assert_problem, key_of, spawn_app_with_merchant};

#[actix_web::test]
async fn every_admin_operation_in_the_openapi_document_refuses_a_missing_or_wrong_token() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let payment_key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);
    let delivery_id = format!("evt_{}", uuid::Uuid::now_v7().simple());
    let created = app
        .admin(
            Method::POST,
            "/admin/api/users",
            Some(&json!({ "email": "ops@example.com", "role": "ADMIN", "password": "correct horse battery" })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let user_id = created.json["userId"].as_str().unwrap().to_owned();
    let document = app.get("/api/openapi.json").await;
    assert_eq!(document.status, 200, "{}", document.text());

    let mut refused = Vec::new();
    for (template, item) in document.json["paths"].as_object().unwrap() {
        if !template.starts_with("/admin/api/") {
            continue;
        }
        let path = template
            .replace("{clientId}", &merchant.client_id)
            .replace("{paymentKey}", &payment_key)
            .replace("{deliveryId}", &delivery_id)
            .replace("{userId}", &user_id)
            .replace("{settlementId}", "stl_00000000000000000000000000000000")
            .replace("{reconciliationId}", "rcn_00000000000000000000000000000000");
        assert!(
            !path.contains('{'),
            "a parameter of {template} is not filled in"
        );
        for (method, op) in item.as_object().unwrap() {
            let security: Vec<&str> = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {template} declares no security"))
                .iter()
                .flat_map(|requirement| requirement.as_object().unwrap().keys())
                .map(String::as_str)
                .collect();
            assert_eq!(
                security,
                ["adminToken", "sessionCookie"],
                "{method} {template}"
            );
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let body = op["requestBody"].is_object().then(|| json!({}));
            for auth in [None, Some("Bearer wrong-token"), Some("Basic dGVzdDp0ZXN0")] {
                let res = app
                    .admin_with(method.clone(), &path, body.as_ref(), auth)
                    .await;
                assert_problem(&res, 401, "ADMIN_UNAUTHORIZED");
                assert_eq!(res.header("www-authenticate"), Some("Bearer"), "{path}");
            }
            refused.push(format!("{method} {template}"));
        }
    }
    // The event stream's `?token=` is checked as strictly as the header.
    let res = app
        .admin_with(
            Method::GET,
            "/admin/api/events?token=wrong-token",
            None,
            None,
        )
        .await;
    assert_problem(&res, 401, "ADMIN_UNAUTHORIZED");

    assert_eq!(refused.len(), 34, "the operator operations: {refused:#?}");
    // Nothing was done by the refused requests: the merchant is still active with its secret.
    let res = app.list_payments(&merchant, "").await;
    assert_eq!(res.status, 200, "{}", res.text());
}
