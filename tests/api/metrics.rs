//! `GET /metrics`: Prometheus text with the series operators rely on.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::spawn_app_with_merchant;

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
