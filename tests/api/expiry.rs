//! Leaving READY without the acquirer: expiry past `expiresAt` (the server's sweeper) and the
//! merchant's cancel of a READY payment, both of which tell the acquirer asynchronously.

use serde_json::Value;

use crate::receiver::{Receiver, Reply, Script};

use crate::helpers::{
    STAYS_READY, WAIT, actions, assert_canceled, assert_problem, assert_timestamp, attempt_codes,
    key_of, spawn_app, spawn_app_configured,
};

#[actix_web::test]
async fn a_ready_payment_past_its_ttl_expires_with_an_expire_row_by_the_system() {
    let app = spawn_app_configured(&[("SIMPLEPG__PAYMENT__READY_TTL_SECS", "1")]).await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let created = app.pay(&merchant, "ORDER-1", STAYS_READY).await;
    let key = key_of(&created);
    let expires_at = created.expires_at;
    assert_eq!(expires_at - created.created_at, time::Duration::seconds(1));

    let expired = app.wait_for_status(&key, "EXPIRED", WAIT).await;
    assert!(
        time::OffsetDateTime::now_utc() >= expires_at,
        "not expired before expiresAt"
    );
    assert_eq!(expired["transactionId"], Value::Null);

    let logs = app.admin_logs(&key).await;
    assert_eq!(actions(&logs), ["CREATE", "EXPIRE"], "{logs:?}");
    let row = &logs[1];
    assert_eq!(row["actor"], "SYSTEM", "{row}");
    assert_eq!(row["fromStatus"], "READY", "{row}");
    assert_eq!(row["status"], "EXPIRED", "{row}");
    assert!(assert_timestamp(&row["createdAt"]) >= expires_at, "{row}");

    // The acquirer is told, through the outbox.
    let cancel = app.wait_until_delivered(&key, "ACQUIRER_CANCEL").await;
    assert_eq!(attempt_codes(&cancel), [Some(200)], "{cancel}");

    // EXPIRED is final.
    assert_problem(
        &app.cancel(&merchant, &key, "too late").await,
        409,
        "INVALID_STATE_TRANSITION",
    );
    assert_problem(
        &app.complete(&merchant, &key).await,
        409,
        "INVALID_STATE_TRANSITION",
    );
    assert_eq!(actions(&app.admin_logs(&key).await), ["CREATE", "EXPIRE"]);
}

#[actix_web::test]
async fn canceling_a_ready_payment_is_immediate_and_the_acquirer_cancel_is_delivered() {
    let app = spawn_app().await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", STAYS_READY).await);

    let res = app.cancel(&merchant, &key, "customer asked").await;
    assert_canceled(&res, "customer asked");

    let logs = app.admin_logs(&key).await;
    assert_eq!(actions(&logs), ["CREATE", "CANCEL"], "{logs:?}");
    assert_eq!(logs[1]["actor"], "MERCHANT");
    assert_eq!(logs[1]["fromStatus"], "READY");
    assert_eq!(logs[1]["requestId"].as_str(), Some(res.request_id()));

    let cancel = app.wait_until_delivered(&key, "ACQUIRER_CANCEL").await;
    assert_eq!(attempt_codes(&cancel), [Some(200)], "{cancel}");
    assert_eq!(
        cancel["targetUrl"].as_str(),
        Some(format!("{}/mock/request/cancel", app.base_url).as_str())
    );
    assert!(
        cancel["attempts"][0]["responseExcerpt"]
            .as_str()
            .is_some_and(|e| e.contains("CANCELED")),
        "{cancel}"
    );
    let payload: Value = serde_json::from_str(cancel["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["paymentKey"], key.as_str());
    assert_eq!(payload["amount"], STAYS_READY);
    assert_eq!(payload["cancelReason"], "customer asked");
    assert_eq!(payload["transactionId"], Value::Null);

    // CANCELED is final; the payment never expires afterwards.
    assert_problem(
        &app.cancel(&merchant, &key, "again").await,
        409,
        "INVALID_STATE_TRANSITION",
    );
}

#[actix_web::test]
async fn an_approved_payment_not_completed_in_time_is_voided_by_the_system_and_the_acquirer_told() {
    let receiver = Receiver::start(Script::always(Reply::status(200))).await;
    let app = spawn_app_configured(&[("SIMPLEPG__PAYMENT__AUTHORIZATION_TTL_SECS", "1")]).await;
    let merchant = app.register_merchant("Shop", &receiver.url("/hook")).await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);

    let approved = receiver
        .wait_for_event(&key, "payment.approved", WAIT)
        .await
        .json();
    let approved_at = assert_timestamp(&approved["data"]["approvedAt"]);
    let deadline = assert_timestamp(&approved["data"]["authorizationExpiresAt"]);
    assert_eq!(deadline - approved_at, time::Duration::seconds(1));

    let canceled = app.wait_for_status(&key, "CANCELED", WAIT).await;
    assert!(
        time::OffsetDateTime::now_utc() >= deadline,
        "not before the deadline"
    );
    assert_eq!(
        canceled["cancelReason"], "authorization expired",
        "{canceled}"
    );
    assert_eq!(canceled["canceledAmount"], 15_000);
    assert_eq!(canceled["cancelableAmount"], 0);
    assert_eq!(canceled["authorizationExpiresAt"], Value::Null);
    let cancels = canceled["cancels"].as_array().unwrap();
    assert_eq!(cancels.len(), 1, "{canceled}");
    assert_eq!(cancels[0]["status"], "SUCCEEDED");
    assert_eq!(cancels[0]["amount"], 15_000);

    let logs = app.admin_logs(&key).await;
    assert_eq!(
        actions(&logs),
        ["CREATE", "APPROVE", "EXPIRE_AUTHORIZATION"],
        "{logs:?}"
    );
    assert_eq!(logs[2]["actor"], "SYSTEM");
    assert_eq!(logs[2]["fromStatus"], "APPROVED");
    assert_eq!(logs[2]["status"], "CANCELED");

    // The acquirer is told under the cancel's id, and the merchant gets payment.canceled.
    let cancel = app.wait_until_delivered(&key, "ACQUIRER_CANCEL").await;
    assert_eq!(attempt_codes(&cancel), [Some(200)], "{cancel}");
    let event = receiver
        .wait_for_event(&key, "payment.canceled", WAIT)
        .await
        .json();
    assert_eq!(
        event["data"]["cancelReason"], "authorization expired",
        "{event}"
    );
    assert_eq!(
        event["data"]["cancels"][0]["cancelId"],
        cancels[0]["cancelId"]
    );

    // Too late to complete.
    assert_problem(
        &app.complete(&merchant, &key).await,
        409,
        "INVALID_STATE_TRANSITION",
    );
}

#[actix_web::test]
async fn a_payment_completed_inside_its_authorization_window_is_never_voided() {
    let app = spawn_app_configured(&[("SIMPLEPG__PAYMENT__AUTHORIZATION_TTL_SECS", "2")]).await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let key = key_of(&app.pay(&merchant, "ORDER-1", 15_000).await);
    app.wait_for_status(&key, "APPROVED", WAIT).await;
    let res = app.complete(&merchant, &key).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["authorizationExpiresAt"], Value::Null);

    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let now = app.get_payment(&merchant, &key).await;
    assert_eq!(now.json["status"], "COMPLETED", "{}", now.text());
    assert_eq!(
        actions(&app.admin_logs(&key).await),
        ["CREATE", "APPROVE", "COMPLETE"]
    );
}
