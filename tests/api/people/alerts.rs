//! `GET /admin/api/deliveries/summary` (api.md §10.5): the figures of the console's alert strip,
//! the whole outbox for the platform roles and the merchant's own notifications for a merchant
//! user.

use std::time::Duration;

use awc::http::Method;
use serde_json::Value;

use crate::{
    helpers::spawn_app,
    receiver::{Receiver, Reply, Script},
};

#[actix_web::test]
async fn the_delivery_summary_counts_dead_notifications_for_operators_and_only_its_own_for_a_merchant_user()
 {
    let receiver = Receiver::start(Script::always(Reply::status(500))).await;
    let app = spawn_app().await;
    let failing = app
        .register_merchant("Failing", &receiver.url("/down"))
        .await;
    let quiet = app
        .register_merchant("Quiet", &receiver.url("/quiet"))
        .await;
    let failing_user = app
        .user_session(
            "ops@failing.example",
            "MERCHANT_VIEWER",
            Some(&failing.client_id),
        )
        .await;
    let quiet_user = app
        .user_session(
            "ops@quiet.example",
            "MERCHANT_VIEWER",
            Some(&quiet.client_id),
        )
        .await;
    let summary = app
        .admin(Method::GET, "/admin/api/deliveries/summary", None)
        .await;
    assert_eq!(summary.status, 200, "{}", summary.text());
    assert_eq!(summary.json["dead"], 0, "{}", summary.json);
    assert_eq!(summary.json["oldestRetryingAgeSeconds"], Value::Null);

    let path = format!(
        "/admin/api/merchants/{}/test-notification",
        failing.client_id
    );
    let queued = app.admin(Method::POST, &path, None).await;
    assert_eq!(queued.status, 202, "{}", queued.text());
    let delivery = format!(
        "/admin/api/deliveries/{}",
        queued.json["deliveryId"].as_str().unwrap()
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = app.admin(Method::GET, &delivery, None).await;
        if now.json["status"] == "DEAD" {
            break;
        }
        if now.json["attemptCount"].as_u64().unwrap_or(0) > 0 {
            // Between attempts it is PENDING after a failure: retrying, not due.
            let mid = app
                .session_get(&failing_user, "/admin/api/deliveries/summary")
                .await;
            if mid.json["dead"] == 0 && mid.json["retrying"] == 1 {
                assert!(
                    mid.json["oldestRetryingAgeSeconds"].is_u64(),
                    "{}",
                    mid.json
                );
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the test notification never went DEAD: {}",
            now.json
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    for (who, dead) in [
        (
            app.admin(Method::GET, "/admin/api/deliveries/summary", None)
                .await,
            1,
        ),
        (
            app.session_get(&failing_user, "/admin/api/deliveries/summary")
                .await,
            1,
        ),
        (
            app.session_get(&quiet_user, "/admin/api/deliveries/summary")
                .await,
            0,
        ),
    ] {
        assert_eq!(who.status, 200, "{}", who.text());
        assert_eq!(who.json["dead"], dead, "{}", who.json);
        assert_eq!(who.json["due"], 0, "{}", who.json);
        assert_eq!(who.json["retrying"], 0, "{}", who.json);
    }
}
