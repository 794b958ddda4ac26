//! Faults: the database going away and coming back, SIGKILL under load, graceful SIGTERM.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use adapters_mysql::test_util::TestDatabase;
use serde_json::json;

use crate::support::{DbProxy, ServerProcess, assert_invariants, payment_key_of_new, register};

#[actix_web::test]
async fn a_database_outage_answers_503_quickly_and_recovers_without_a_restart() {
    let db = TestDatabase::create().await;
    let proxy = DbProxy::start().await;
    let server = ServerProcess::spawn(
        &proxy.url(&db),
        &[("SIMPLEPG__DATABASE__CONNECT_TIMEOUT_MS", "1000")],
    )
    .await;
    let api = &server.client;
    let m = register(api, None).await;
    let key = payment_key_of_new(api, &m, "before-outage", 15_000).await;

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(200)).await; // let the runtime drop the proxy's sockets
    let started = Instant::now();
    let read = api
        .signed(&m, "GET", &format!("/api/payments/{key}"), None, &[])
        .await
        .unwrap();
    assert_eq!(read.status, 503, "{:?}", read.json);
    assert_eq!(read.json["code"], "SERVICE_UNAVAILABLE");
    assert!(read.retry_after().is_some(), "503 carries Retry-After");
    let write = api
        .create_payment(&m, "during-outage", 15_000)
        .await
        .unwrap();
    assert_eq!(write.status, 503);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered in {:?}",
        started.elapsed()
    );
    assert_eq!(api.get("/ready").await.unwrap().status, 503);

    proxy.restore().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while api.get("/ready").await.unwrap().status != 200 {
        assert!(Instant::now() < deadline, "/ready did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        api.create_payment(&m, "after-outage", 15_000)
            .await
            .unwrap()
            .status,
        201
    );
    let again = api
        .signed(&m, "GET", &format!("/api/payments/{key}"), None, &[])
        .await
        .unwrap();
    assert_eq!(again.status, 200);
    assert_invariants(&db).await;
}

#[actix_web::test]
async fn a_sigkill_under_load_loses_no_created_payment_and_delivers_every_due_outbox_row() {
    let db = TestDatabase::create().await;
    let extra = [("SIMPLEPG__MOCK_ACQUIRER__DELAY_MS", "400")];
    let first = ServerProcess::spawn(db.url(), &extra).await;
    let m = register(&first.client, None).await;
    let created: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let (api, m, created) = (first.client.clone(), m.clone(), created.clone());
            actix_web::rt::spawn(async move {
                let mut i = 0;
                loop {
                    i += 1;
                    match api
                        .create_payment(&m, &format!("load-{w}-{i}"), 15_000)
                        .await
                    {
                        Ok(r) if r.status == 201 => {
                            created
                                .lock()
                                .unwrap()
                                .push(r.json["paymentKey"].as_str().unwrap().to_owned());
                        }
                        Ok(r) => assert!(
                            r.status < 500 || Instant::now() > stop_at,
                            "unexpected {} {:?}",
                            r.status,
                            r.json
                        ),
                        Err(_) => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(stop_at - Instant::now()).await;
    let mut first = first;
    first.signal("KILL");
    first.wait_exit(Duration::from_secs(5)).await;
    for w in workers {
        let _ = w.await;
    }
    let created = created.lock().unwrap().clone();
    assert!(
        created.len() > 10,
        "the load produced only {} payments",
        created.len()
    );

    let second = ServerProcess::spawn_on(first.port, db.url(), &extra).await;
    let api = &second.client;
    for key in &created {
        let r = api
            .signed(&m, "GET", &format!("/api/payments/{key}"), None, &[])
            .await
            .unwrap();
        assert_eq!(
            r.status, 200,
            "payment {key} answered 201 before the crash but is missing"
        );
    }
    // Every ACQUIRER_REQUEST (and each mock webhook it caused) gets delivered after the restart.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let pending = api
            .admin("GET", "/admin/api/deliveries?status=PENDING&limit=1", None)
            .await
            .unwrap();
        let ready = api
            .signed(&m, "GET", "/api/payments?status=READY&limit=1", None, &[])
            .await
            .unwrap();
        if pending.json["data"].as_array().is_some_and(Vec::is_empty)
            && ready.json["data"].as_array().is_some_and(Vec::is_empty)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "outbox not drained: {:?} / {:?}",
            pending.json,
            ready.json
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for key in &created {
        let p = api
            .signed(&m, "GET", &format!("/api/payments/{key}"), None, &[])
            .await
            .unwrap();
        assert_eq!(p.json["status"], "APPROVED", "{key}");
    }
    assert_invariants(&db).await;
}

#[actix_web::test]
async fn sigterm_lets_in_flight_requests_finish_then_exits_cleanly() {
    let db = TestDatabase::create().await;
    let proxy = DbProxy::start().await;
    let mut server = ServerProcess::spawn(
        &proxy.url(&db),
        &[("SIMPLEPG__SERVER__SHUTDOWN_TIMEOUT_SECS", "30")],
    )
    .await;
    let m = register(&server.client, None).await;
    proxy.set_delay(Duration::from_millis(300));
    let (api, m2) = (server.client.clone(), m.clone());
    let in_flight = actix_web::rt::spawn(async move {
        let body =
            json!({ "orderNo": "in-flight", "amount": 15_000, "methodCode": "CARD" }).to_string();
        api.signed(&m2, "POST", "/api/payments", Some(&body), &[])
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.signal("TERM");
    let reply = in_flight
        .await
        .unwrap()
        .expect("the in-flight request gets an answer");
    assert_eq!(reply.status, 201, "{:?}", reply.json);
    let status = server.wait_exit(Duration::from_secs(30)).await;
    assert!(status.success(), "exit status {status:?}");
    proxy.set_delay(Duration::ZERO);
    assert!(
        server.client.get("/health").await.is_err(),
        "a stopped server accepts nothing"
    );
    assert_invariants(&db).await;
}
