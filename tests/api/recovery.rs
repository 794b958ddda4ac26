//! Nothing is lost when an instance goes away (api.md §5, §7; adr/0008): the outbox is durable
//! and whichever instance runs next delivers what is due.

use std::{net::TcpListener, sync::Arc};

use crate::helpers::TestDb;

use crate::{
    helpers::{WAIT, attempt_codes, eventually, key_of, spawn_app_on_listener, spawn_app_with},
    receiver::{Receiver, Reply, Script},
};

#[actix_web::test]
async fn a_request_committed_while_no_dispatcher_runs_is_sent_by_the_next_instance() {
    let db = Arc::new(TestDb::create().await);
    // Instance B's address is the public URL of both, as behind a load balancer: the outbox
    // row written by A must reach a live mock and come back to a live webhook endpoint.
    let listener_b = TcpListener::bind("127.0.0.1:0").unwrap();
    let public_url = format!(
        "http://127.0.0.1:{}",
        listener_b.local_addr().unwrap().port()
    );
    let a = spawn_app_with(
        db.clone(),
        &[
            ("SIMPLEPG__DISPATCHER__ENABLED", "false"),
            ("SIMPLEPG__SERVER__PUBLIC_URL", public_url.as_str()),
        ],
    )
    .await;
    let merchant = a.register_merchant_without_return_url("Shop").await;
    let key = key_of(&a.pay(&merchant, "ORDER-1", 15_000).await);

    // Committed, but nobody sends it.
    let pending = a
        .wait_for_delivery(&key, "ACQUIRER_REQUEST", "PENDING", |d| {
            d["status"] == "PENDING"
        })
        .await;
    assert_eq!(pending["attemptCount"], 0, "{pending}");
    assert!(attempt_codes(&pending).is_empty(), "{pending}");
    assert_eq!(pending["targetUrl"], format!("{public_url}/mock/request"));
    actix_web::rt::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(a.admin_payment(&key).await["status"], "READY");
    assert_eq!(
        a.deliveries_of(&key, "ACQUIRER_REQUEST").await[0]["attemptCount"],
        0
    );
    a.stop().await;

    let b = spawn_app_on_listener(db, &[], listener_b).await;
    let approved = b.wait_for_status(&key, "APPROVED", WAIT).await;
    assert!(approved["transactionId"].is_string(), "{approved}");
    let sent = b.wait_until_delivered(&key, "ACQUIRER_REQUEST").await;
    assert_eq!(
        sent["deliveryId"], pending["deliveryId"],
        "the same message"
    );
    assert_eq!(attempt_codes(&sent), [Some(202)], "{sent}");
}

#[actix_web::test]
async fn a_restart_in_the_middle_of_a_retry_schedule_loses_no_notification() {
    let db = Arc::new(TestDb::create().await);
    let receiver = Receiver::start(Script::first_then(
        vec![Reply::status(500)],
        Reply::status(200),
    ))
    .await;
    // Three seconds between attempts: time enough to stop A after its first attempt.
    let env = [("SIMPLEPG__NOTIFICATIONS__RETRY_SCHEDULE_SECS", "0,3,3,3")];
    let a = spawn_app_with(db.clone(), &env).await;
    let merchant = a.register_merchant("Shop", &receiver.url("/hook")).await;
    let key = key_of(&a.pay(&merchant, "ORDER-1", 15_000).await);
    a.wait_for_status(&key, "APPROVED", WAIT).await;
    let failed_once = a
        .wait_for_delivery(&key, "MERCHANT_NOTIFICATION", "one failed attempt", |d| {
            d["status"] == "PENDING" && d["attemptCount"] == 1
        })
        .await;
    // The acquirer request and the mock's webhook were delivered (the payment is APPROVED); a
    // dispatcher under load may record their last attempt a moment after the approval, so wait.
    for kind in ["ACQUIRER_REQUEST", "ACQUIRER_WEBHOOK"] {
        let a = &a;
        eventually(&format!("every {kind} delivered"), WAIT, || async move {
            let all = a.deliveries(&format!("kind={kind}")).await;
            if !all.is_empty() && all.iter().all(|d| d["status"] == "DELIVERED") {
                Ok(())
            } else {
                Err(format!("{all:?}"))
            }
        })
        .await;
    }
    let first = receiver.events_of(&key);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].answered, 500);

    // A dies (HTTP server, dispatcher and all) with the retry still scheduled.
    let a_url = a.base_url.clone();
    a.kill().await;
    let probe = awc::Client::default()
        .get(format!("{a_url}/health"))
        .send()
        .await;
    assert!(probe.is_err(), "A is gone");

    let b = spawn_app_with(db, &env).await;
    let delivered = b.wait_until_delivered(&key, "MERCHANT_NOTIFICATION").await;
    assert_eq!(delivered["deliveryId"], failed_once["deliveryId"]);
    assert_eq!(
        attempt_codes(&delivered),
        [Some(500), Some(200)],
        "{delivered}"
    );
    let seen = receiver.events_of(&key);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1].webhook_id(), seen[0].webhook_id(), "the same event");
    assert_eq!(seen[1].answered, 200);
    assert_eq!(seen[1].event_type(), "payment.approved");
    assert!(seen[1].verify(&merchant.webhook_secret).is_ok());
}
