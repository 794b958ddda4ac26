//! The operators' view of payments (api.md §8): every merchant's, filterable by `clientId`.

use awc::http::Method;
use simplepg_client::Payment;

use crate::helpers::{
    assert_invalid_field, assert_problem, spawn_app_with_ready_payment,
    spawn_app_with_two_merchants,
};

#[actix_web::test]
async fn operators_see_every_merchants_payments_and_can_filter_by_client_id() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    let a1 = app.ready_payment(&a, "ORDER-1").await;
    let b1 = app.ready_payment(&b, "ORDER-1").await;
    let a2 = app.ready_payment(&a, "ORDER-2").await;
    let key = |p: &Payment| p.payment_key.clone();

    let all = app.admin_get("/admin/api/payments").await;
    assert_eq!(all.status, 200, "{}", all.text());
    assert_eq!(
        all.keys(),
        vec![key(&a2), key(&b1), key(&a1)],
        "newest first"
    );
    assert_eq!(all.json["hasMore"], false);

    let only_a = app
        .admin_get(&format!("/admin/api/payments?clientId={}", a.client_id))
        .await;
    assert_eq!(only_a.keys(), vec![key(&a2), key(&a1)]);
    let by_order = app
        .admin_get(&format!(
            "/admin/api/payments?clientId={}&orderNo=ORDER-1",
            b.client_id
        ))
        .await;
    assert_eq!(by_order.keys(), vec![key(&b1)]);
    let paged = app.admin_get("/admin/api/payments?limit=2").await;
    assert_eq!(paged.keys(), vec![key(&a2), key(&b1)]);
    assert_eq!(paged.json["hasMore"], true);
    let bad = app.admin_get("/admin/api/payments?limit=101").await;
    assert_invalid_field(&bad, "limit");
}

#[actix_web::test]
async fn operators_can_read_any_payment_and_its_audit_trail() {
    let (app, _, payment) = spawn_app_with_ready_payment("ORDER-1").await;
    let key = payment.payment_key.as_str();

    let shown = app.admin_get(&format!("/admin/api/payments/{key}")).await;
    let logs = app
        .admin_get(&format!("/admin/api/payments/{key}/logs"))
        .await;
    let unknown = app
        .admin_get(&format!("/admin/api/payments/{}", "d".repeat(64)))
        .await;
    let unauthorized = app
        .admin_with(
            Method::GET,
            &format!("/admin/api/payments/{key}"),
            None,
            None,
        )
        .await;

    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(
        serde_json::from_value::<Payment>(shown.json.clone()).unwrap(),
        payment,
        "the admin view is the payment the client crate was given"
    );
    assert_eq!(logs.status, 200, "{}", logs.text());
    assert_eq!(logs.json["data"][0]["action"], "CREATE");
    assert_problem(&unknown, 404, "PAYMENT_NOT_FOUND");
    assert_problem(&unauthorized, 401, "ADMIN_UNAUTHORIZED");
}
