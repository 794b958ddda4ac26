//! The operator API decides by the caller's role and merchant (api.md §10.1): payments,
//! cancels, deliveries, statistics, the live feed and the simulator, for each kind of user.

use awc::http::Method;
use serde_json::{Value, json};

use super::support::Session;
use crate::helpers::{ApiResponse, TestApp, assert_problem, key_of, spawn_app_with_two_merchants};

impl TestApp {
    async fn as_get(&self, session: &Session, path: &str) -> ApiResponse {
        self.as_session(session, Method::GET, path, None, None)
            .await
    }

    async fn as_post(&self, session: &Session, path: &str, body: &Value) -> ApiResponse {
        self.as_session(session, Method::POST, path, Some(&session.csrf), Some(body))
            .await
    }
}

fn keys(res: &ApiResponse) -> Vec<String> {
    assert_eq!(res.status, 200, "{}", res.text());
    res.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["paymentKey"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn a_merchant_user_sees_only_its_own_payments_and_another_merchants_as_unknown() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    let own = key_of(&app.pay(&a, "A-1", 15_000).await);
    let other = key_of(&app.pay(&b, "B-1", 16_000).await);
    let viewer = app
        .user_session("view@a.example", "MERCHANT_VIEWER", Some(&a.client_id))
        .await;

    assert_eq!(
        keys(&app.as_get(&viewer, "/admin/api/payments").await),
        std::slice::from_ref(&own)
    );
    let by_other = format!("/admin/api/payments?clientId={}", b.client_id);
    assert!(keys(&app.as_get(&viewer, &by_other).await).is_empty());
    let by_unknown = "/admin/api/payments?clientId=mch_nobody";
    assert!(keys(&app.as_get(&viewer, by_unknown).await).is_empty());

    let shown = app
        .as_get(&viewer, &format!("/admin/api/payments/{own}"))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    for path in [
        format!("/admin/api/payments/{other}"),
        format!("/admin/api/payments/{other}/logs"),
    ] {
        let res = app.as_get(&viewer, &path).await;
        assert_problem(&res, 404, "PAYMENT_NOT_FOUND");
    }
    let unknown = app
        .as_get(&viewer, &format!("/admin/api/payments/{}", "0".repeat(64)))
        .await;
    assert_problem(&unknown, 404, "PAYMENT_NOT_FOUND");

    let operator = app.user_session("op@pg.example", "OPERATOR", None).await;
    let all = keys(&app.as_get(&operator, "/admin/api/payments").await);
    assert_eq!(all, [other, own]);
}

#[actix_web::test]
async fn cancels_through_the_back_office_follow_the_role_and_are_audited_with_the_change() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    let own = key_of(&app.pay(&a, "A-1", 15_000).await);
    let other = key_of(&app.pay(&b, "B-1", 16_000).await);
    let cancel = json!({ "cancelReason": "customer asked" });
    let merchant_viewer = app
        .user_session("view@a.example", "MERCHANT_VIEWER", Some(&a.client_id))
        .await;
    let viewer = app.user_session("view@pg.example", "VIEWER", None).await;
    let merchant_admin = app
        .user_session("admin@a.example", "MERCHANT_ADMIN", Some(&a.client_id))
        .await;

    for read_only in [&merchant_viewer, &viewer] {
        let res = app
            .as_post(
                read_only,
                &format!("/admin/api/payments/{own}/cancel"),
                &cancel,
            )
            .await;
        assert_problem(&res, 403, "FORBIDDEN");
    }
    let res = app
        .as_post(
            &merchant_admin,
            &format!("/admin/api/payments/{other}/cancel"),
            &cancel,
        )
        .await;
    assert_problem(&res, 404, "PAYMENT_NOT_FOUND");
    assert_eq!(app.admin_payment(&other).await["canceledAmount"], 0);

    let res = app
        .as_post(
            &merchant_admin,
            &format!("/admin/api/payments/{own}/cancel"),
            &cancel,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["status"], "CANCELED");
    assert_eq!(cancel_row(&app.admin_logs(&own).await)["actor"], "MERCHANT");

    let operator = app.user_session("op@pg.example", "OPERATOR", None).await;
    let res = app
        .as_post(
            &operator,
            &format!("/admin/api/payments/{other}/cancel"),
            &cancel,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(cancel_row(&app.admin_logs(&other).await)["actor"], "ADMIN");

    let audit = app
        .admin_data("/admin/api/audit?action=PAYMENT_CANCEL")
        .await;
    let rows: Vec<(&str, &str, &str, &str)> = audit
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap(),
                r["role"].as_str().unwrap(),
                r["target"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    // Newest first: the two cancels (with their changes), and before them every refused call.
    assert_eq!(
        rows,
        [
            ("op@pg.example", "OPERATOR", other.as_str(), "SUCCESS"),
            ("admin@a.example", "MERCHANT_ADMIN", own.as_str(), "SUCCESS"),
            (
                "admin@a.example",
                "MERCHANT_ADMIN",
                other.as_str(),
                "FAILURE"
            ),
            ("view@pg.example", "VIEWER", own.as_str(), "DENIED"),
            ("view@a.example", "MERCHANT_VIEWER", own.as_str(), "DENIED"),
        ]
    );
}

#[actix_web::test]
async fn a_merchant_user_sees_its_own_notifications_only_and_no_acquirer_traffic() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    let own = key_of(&app.pay(&a, "A-1", 15_000).await);
    let other = key_of(&app.pay(&b, "B-1", 16_000).await);
    app.cancel(&a, &own, "changed my mind").await;
    app.cancel(&b, &other, "changed my mind").await;
    let merchant_admin = app
        .user_session("admin@a.example", "MERCHANT_ADMIN", Some(&a.client_id))
        .await;

    let listed = app
        .as_get(&merchant_admin, "/admin/api/deliveries?limit=100")
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let listed = listed.json["data"].as_array().unwrap().clone();
    assert!(!listed.is_empty());
    for d in &listed {
        assert_eq!(d["kind"], "MERCHANT_NOTIFICATION", "{d}");
        assert_eq!(d["clientId"], a.client_id.as_str(), "{d}");
    }
    let other_filter = format!("/admin/api/deliveries?clientId={}", b.client_id);
    let res = app.as_get(&merchant_admin, &other_filter).await;
    assert!(
        res.json["data"].as_array().unwrap().is_empty(),
        "{}",
        res.text()
    );
    let by_key = format!("/admin/api/deliveries?paymentKey={other}");
    let res = app.as_get(&merchant_admin, &by_key).await;
    assert_problem(&res, 400, "VALIDATION_FAILED");

    let theirs = app.deliveries_of(&other, "MERCHANT_NOTIFICATION").await;
    let acquirer = app.deliveries_of(&own, "ACQUIRER_REQUEST").await;
    for hidden in [&theirs[0], &acquirer[0]] {
        let id = hidden["deliveryId"].as_str().unwrap();
        let res = app
            .as_get(&merchant_admin, &format!("/admin/api/deliveries/{id}"))
            .await;
        assert_problem(&res, 404, "DELIVERY_NOT_FOUND");
        let res = app
            .as_post(
                &merchant_admin,
                &format!("/admin/api/deliveries/{id}/retry"),
                &json!({}),
            )
            .await;
        assert_problem(&res, 404, "DELIVERY_NOT_FOUND");
    }
    let mine = listed[0]["deliveryId"].as_str().unwrap();
    let res = app
        .as_get(&merchant_admin, &format!("/admin/api/deliveries/{mine}"))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[actix_web::test]
async fn statistics_narrow_to_a_merchant_users_own_merchant() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    app.pay(&a, "A-1", 15_000).await;
    app.pay(&b, "B-1", 16_000).await;
    app.pay(&b, "B-2", 16_000).await;
    let merchant_viewer = app
        .user_session("view@a.example", "MERCHANT_VIEWER", Some(&a.client_id))
        .await;

    let own = app.as_get(&merchant_viewer, "/admin/api/stats").await;
    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(own.json["totals"]["count"], 1, "{}", own.text());
    let merchants = own.json["byMerchant"].as_array().unwrap();
    assert!(
        merchants
            .iter()
            .all(|m| m["clientId"] == a.client_id.as_str())
    );
    let other = format!("/admin/api/stats?clientId={}", b.client_id);
    let res = app.as_get(&merchant_viewer, &other).await;
    assert_eq!(res.json["totals"]["count"], 0, "{}", res.text());

    let viewer = app.user_session("view@pg.example", "VIEWER", None).await;
    let all = app.as_get(&viewer, "/admin/api/stats").await;
    assert_eq!(all.json["totals"]["count"], 3, "{}", all.text());
}

#[actix_web::test]
async fn the_live_feed_and_the_simulator_are_for_platform_roles_only() {
    let (app, a, _) = spawn_app_with_two_merchants().await;
    let key = key_of(&app.pay(&a, "A-1", 15_000).await);
    let merchant_admin = app
        .user_session("admin@a.example", "MERCHANT_ADMIN", Some(&a.client_id))
        .await;
    let viewer = app.user_session("view@pg.example", "VIEWER", None).await;
    let operator = app.user_session("op@pg.example", "OPERATOR", None).await;

    let res = app.as_get(&merchant_admin, "/admin/api/events").await;
    assert_problem(&res, 403, "FORBIDDEN");

    let webhook = json!({ "paymentKey": key, "status": "APPROVED" });
    for refused in [&merchant_admin, &viewer] {
        let res = app
            .as_post(refused, "/admin/api/simulator/webhook", &webhook)
            .await;
        assert_problem(&res, 403, "FORBIDDEN");
    }
    let res = app
        .as_post(&operator, "/admin/api/simulator/webhook", &webhook)
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let audit = app
        .admin_data("/admin/api/audit?action=SIMULATOR_WEBHOOK")
        .await;
    let rows: Vec<(&str, &str)> = audit
        .iter()
        .map(|r| (r["actor"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            ("op@pg.example", "SUCCESS"),
            ("view@pg.example", "DENIED"),
            ("admin@a.example", "DENIED"),
        ]
    );
    assert_eq!(audit[0]["target"], key.as_str());
}

#[actix_web::test]
async fn a_role_that_may_never_do_an_action_gets_403_whatever_its_body_or_target() {
    let (app, a, _) = spawn_app_with_two_merchants().await;
    let viewer = app.user_session("view@pg.example", "VIEWER", None).await;
    let merchant_viewer = app
        .user_session("mv@a.example", "MERCHANT_VIEWER", Some(&a.client_id))
        .await;
    let unknown_payment = format!("/admin/api/payments/{}/cancel", "0".repeat(64));
    let bad = json!({ "cancelReason": "", "date": "bad", "email": 7 });
    // Invalid bodies and unknown targets: the role is refused before either is looked at.
    for (session, path) in [
        (&viewer, unknown_payment.as_str()),
        (&viewer, "/admin/api/merchants"),
        (&viewer, "/admin/api/users"),
        (&viewer, "/admin/api/settlements/run"),
        (&viewer, "/admin/api/reconciliations"),
        (&viewer, "/admin/api/deliveries/nonsense/retry"),
        (&viewer, "/admin/api/merchants/nonsense/activate"),
        (&merchant_viewer, unknown_payment.as_str()),
        (&merchant_viewer, "/admin/api/simulator/webhook"),
    ] {
        let res = app.as_post(session, path, &bad).await;
        assert_problem(&res, 403, "FORBIDDEN");
    }
    for (session, path) in [
        (&merchant_viewer, "/admin/api/audit?limit=nonsense"),
        (&merchant_viewer, "/admin/api/users?limit=nonsense"),
        (&merchant_viewer, "/admin/api/reconciliations?from=nonsense"),
    ] {
        let res = app.as_get(session, path).await;
        assert_problem(&res, 403, "FORBIDDEN");
    }
}

/// The payment's one CANCEL transition row. The mock acquirer may still report on the payment
/// after the cancel (a late report is noted by the acquirer), so the last row is not necessarily
/// the cancel.
fn cancel_row(trail: &[Value]) -> &Value {
    let cancels: Vec<&Value> = trail.iter().filter(|r| r["action"] == "CANCEL").collect();
    assert_eq!(cancels.len(), 1, "one CANCEL row: {trail:?}");
    cancels[0]
}
