//! `GET /metrics`: Prometheus text with the series operators rely on.

use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::json;

use crate::helpers::{
    TestApp, WAIT, eventually, key_of, spawn_app_configured, spawn_app_with_merchant,
};

#[actix_web::test]
async fn metrics_are_scraped_in_prometheus_format_with_help_text_and_http_payment_webhook_outbox_pool_process_and_build_series()
 {
    let (app, merchant) = spawn_app_with_merchant().await;
    let created = app
        .create_payment(
            &merchant,
            &json!({ "orderNo": "metrics-1", "amount": 15_000, "methodCode": "CARD" }),
        )
        .await;
    assert_eq!(created.status, 201);
    let key = created.json["paymentKey"].as_str().unwrap().to_owned();
    // Wait for the mock acquirer's approval (a transition, a webhook, deliveries).
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.get_payment(&merchant, &key).await.json["status"] != "APPROVED" {
        assert!(Instant::now() < deadline, "payment not approved");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let wanted = [
        "simplepg_http_requests_total",
        "simplepg_http_request_duration_seconds_bucket",
        "simplepg_payments_created_total",
        "simplepg_payment_transitions_total",
        "simplepg_acquirer_webhooks_total",
        "simplepg_delivery_attempts_total",
        "simplepg_outbox_due_messages",
        "simplepg_outbox_oldest_due_age_seconds",
        "simplepg_outbox_retrying_messages",
        "simplepg_outbox_oldest_retrying_age_seconds",
        "simplepg_db_pool_connections",
        "simplepg_pending_cancels",
        "simplepg_oldest_pending_cancel_age_seconds",
        "simplepg_build_info{",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_start_time_seconds",
    ];
    // Gauges are sampled every few seconds.
    let deadline = Instant::now() + Duration::from_secs(12);
    let text = loop {
        let res = app.get("/metrics").await;
        assert_eq!(res.status, 200);
        assert!(
            res.header("content-type")
                .unwrap_or("")
                .starts_with("text/plain"),
            "{:?}",
            res.header("content-type")
        );
        let text = res.text();
        if wanted.iter().all(|w| text.contains(w)) || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    for series in wanted {
        assert!(text.contains(series), "missing {series} in:\n{text}");
    }
    assert!(
        text.contains(r#"route="/api/payments""#),
        "requests are labelled by route pattern"
    );
    assert!(text.contains(r#"result="APPLIED""#));
    // Counted at the composition root around the store: this test's one create and approval.
    for series in [
        "simplepg_payments_created_total 1",
        r#"simplepg_payment_transitions_total{to="APPROVED"} 1"#,
    ] {
        assert!(text.contains(series), "missing {series} in:\n{text}");
    }
    assert!(!text.contains(&key), "no per-payment label cardinality");

    assert!(
        text.contains(&format!(r#"version="{}""#, env!("CARGO_PKG_VERSION")))
            && text.contains(r#"profile="test""#),
        "build info names the version and profile"
    );
    // Counters whose labels are known in advance are there from start-up, at 0 until used.
    for series in [
        "simplepg_payment_transition_conflicts_total 0",
        r#"simplepg_delivery_attempts_total{kind="ACQUIRER_CANCEL",outcome="dead"} 0"#,
        r#"simplepg_payment_transitions_total{to="EXPIRED"}"#,
        r#"simplepg_acquirer_webhooks_total{result="AMOUNT_MISMATCH"}"#,
        r#"simplepg_cancels_total{path="outbox",outcome="failed"} 0"#,
        r#"simplepg_delivery_attempts_total{kind="ACQUIRER_CAPTURE",outcome="dead"} 0"#,
    ] {
        assert!(text.contains(series), "missing {series} in:\n{text}");
    }
    // Every series has its HELP text.
    for name in sample_names(&text) {
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "no HELP line for {name}"
        );
    }

    // The Grafana dashboard queries only series the server exports.
    let dashboard = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ops/grafana-dashboard.json"),
    )
    .unwrap();
    let queried = dashboard_series(&dashboard);
    assert!(queried.len() >= 10, "{queried:?}");
    for series in queried {
        assert!(
            text.contains(&series),
            "the dashboard queries {series}, not exported"
        );
    }
}

/// The value of the sample line `series` (name and labels exactly as rendered), if there is one.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Scrapes `/metrics` until `accept` holds for the text (gauges are sampled every 5 s).
async fn scrape_until(app: &TestApp, what: &str, accept: impl Fn(&str) -> bool) -> String {
    let accept = &accept;
    eventually(what, Duration::from_secs(20), || async move {
        let text = app.get("/metrics").await.text();
        if accept(&text) { Ok(text) } else { Err(text) }
    })
    .await
}

const SYNC_SUCCEEDED: &str = r#"simplepg_cancels_total{path="sync",outcome="succeeded"}"#;
const SYNC_ACCEPTED: &str = r#"simplepg_cancels_total{path="sync",outcome="accepted"}"#;
const SYNC_FAILED: &str = r#"simplepg_cancels_total{path="sync",outcome="failed"}"#;
const OUTBOX_SUCCEEDED: &str = r#"simplepg_cancels_total{path="outbox",outcome="succeeded"}"#;
const OUTBOX_FAILED: &str = r#"simplepg_cancels_total{path="outbox",outcome="failed"}"#;
const PENDING: &str = "simplepg_pending_cancels";
const OLDEST_PENDING_AGE: &str = "simplepg_oldest_pending_cancel_age_seconds";
const CAPTURES_DELIVERED: &str =
    r#"simplepg_delivery_attempts_total{kind="ACQUIRER_CAPTURE",outcome="delivered"}"#;

#[actix_web::test]
async fn cancels_are_counted_by_path_and_outcome_and_a_pending_cancel_shows_in_the_pending_gauges_until_the_outbox_settles_it()
 {
    // The …008 scenario answers a cancel 503 twice, then confirms: the merchant gets 202 at
    // once, the outbox's first attempt ~2 s later gets the second 503, and its retry 8 s after
    // that confirms; the cancel is PENDING for ~10 s, longer than the gauges' 5 s sampling.
    let app = spawn_app_configured(&[
        ("SIMPLEPG__ACQUIRER__CANCEL_TIMEOUT_MS", "200"),
        ("SIMPLEPG__ACQUIRER__RETRY_BASE_MS", "8000"),
        ("SIMPLEPG__ACQUIRER__RETRY_MAX_MS", "8000"),
    ])
    .await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let start = app.get("/metrics").await.text();
    for series in [
        SYNC_SUCCEEDED,
        SYNC_ACCEPTED,
        SYNC_FAILED,
        OUTBOX_SUCCEEDED,
        OUTBOX_FAILED,
    ] {
        assert_eq!(sample(&start, series), Some(0.0), "{series} from start-up");
    }
    let mut keys = Vec::new();
    for (order, amount) in [("M-1", 15_000), ("M-2", 15_007), ("M-3", 15_008)] {
        let key = key_of(&app.pay(&merchant, order, amount).await);
        app.wait_for_status(&key, "APPROVED", WAIT).await;
        keys.push(key);
    }
    let [confirmed, refused, unanswered] = [&keys[0], &keys[1], &keys[2]];

    // Completed (a capture), then canceled in part: 200.
    assert_eq!(app.complete(&merchant, confirmed).await.status, 200);
    let partial = json!({ "cancelReason": "one item returned", "cancelAmount": 5_000 });
    let res = app
        .signed(
            Method::POST,
            &format!("/api/payments/{confirmed}/cancel"),
            Some(&partial.to_string()),
            &merchant,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(app.cancel(&merchant, refused, "refused").await.status, 502);
    let res = app.cancel(&merchant, unanswered, "no answer yet").await;
    assert_eq!(res.status, 202, "{}", res.text());

    let text = scrape_until(&app, "the PENDING cancel in the gauges", |t| {
        sample(t, PENDING) == Some(1.0)
    })
    .await;
    assert!(
        sample(&text, OLDEST_PENDING_AGE).is_some_and(|age| age > 0.0 && age < 20.0),
        "{text}"
    );
    for (series, value) in [
        (SYNC_SUCCEEDED, 1.0),
        (SYNC_ACCEPTED, 1.0),
        (SYNC_FAILED, 1.0),
        (OUTBOX_SUCCEEDED, 0.0),
    ] {
        assert_eq!(sample(&text, series), Some(value), "{series} in:\n{text}");
    }

    let text = scrape_until(&app, "the outbox's settlement and the capture", |t| {
        sample(t, OUTBOX_SUCCEEDED) == Some(1.0)
            && sample(t, PENDING) == Some(0.0)
            && sample(t, CAPTURES_DELIVERED) == Some(1.0)
    })
    .await;
    assert_eq!(sample(&text, OLDEST_PENDING_AGE), Some(0.0), "{text}");
    assert_eq!(sample(&text, OUTBOX_FAILED), Some(0.0), "{text}");
    assert_eq!(
        app.admin_payment(unanswered).await["status"],
        "CANCELED",
        "the outbox finished the void"
    );
}

/// The metric family of every sample line (a histogram's `_bucket`, `_sum` and `_count` are
/// its own name's).
fn sample_names(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let name = l.split(['{', ' ']).next().unwrap_or(l);
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    let family = name.strip_suffix(suffix)?;
                    text.contains(&format!("# TYPE {family} histogram"))
                        .then(|| family.to_owned())
                })
                .unwrap_or_else(|| name.to_owned())
        })
        .collect()
}

/// Every `simplepg_…` and `process_…` series name in the dashboard's queries.
fn dashboard_series(dashboard: &str) -> std::collections::BTreeSet<String> {
    let json: serde_json::Value = serde_json::from_str(dashboard).unwrap();
    json["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .flat_map(|t| {
            let expr = t["expr"].as_str().unwrap();
            expr.match_indices("simplepg_")
                .chain(expr.match_indices("process_"))
                .map(|(i, _)| {
                    expr[i..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
