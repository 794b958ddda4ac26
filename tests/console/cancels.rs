//! What the console's cancel form and cancels table rest on: every payment status has its place
//! in the console's scripts and stylesheet, every module a script imports is served, and the
//! back office's cancel on a merchant's behalf answers each outcome with the fields the pages
//! read.

use awc::http::Method;
use domain::payment::PaymentStatus;
use serde_json::{Value, json};
use test_support::{WAIT, eventually};

use crate::harness::{App, Merchant, spawn, spawn_with_merchant};

/// The relative imports (`from './x.js'`, `from '../x.js'`) of a script at `path`, resolved.
fn imports(path: &str, script: &str) -> Vec<String> {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    script
        .split("from '")
        .skip(1)
        .filter_map(|rest| rest.split_once('\'').map(|(target, _)| target))
        .filter(|target| target.starts_with('.'))
        .map(|target| {
            let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
            for seg in target.split('/') {
                match seg {
                    "." => {}
                    ".." => {
                        parts.pop();
                    }
                    s => parts.push(s),
                }
            }
            format!("/{}", parts.join("/"))
        })
        .collect()
}

/// Whether the stylesheet has a rule for `.class` (not merely a longer class starting so).
fn has_class(css: &str, class: &str) -> bool {
    css.match_indices(&format!(".{class}")).any(|(at, found)| {
        css[at + found.len()..]
            .chars()
            .next()
            .is_some_and(|c| !(c.is_alphanumeric() || c == '-' || c == '_'))
    })
}

#[actix_web::test]
async fn every_status_is_listed_and_styled_and_every_imported_module_is_served() {
    let app = spawn().await;
    let ui = app.get("/console/js/ui.js").await.text();
    let css = app.get("/console/console.css").await.text();
    let chart = app.get("/console/js/chart.js").await.text();
    let statuses = ui
        .split("export const STATUSES = [")
        .nth(1)
        .and_then(|rest| rest.split_once(']'))
        .map(|(list, _)| list.to_owned())
        .expect("ui.js lists the statuses");
    for status in PaymentStatus::ALL.map(PaymentStatus::as_str) {
        assert!(
            statuses.contains(&format!("'{status}'")),
            "{status} in STATUSES"
        );
        assert!(
            has_class(&css, &format!("badge-{}", status.to_lowercase())),
            "a badge style for {status}"
        );
        assert!(
            has_class(&css, &format!("sw-{status}")),
            "a chart swatch for {status}"
        );
        assert!(
            chart.contains(&format!("{status}: '#")),
            "a chart colour for {status}"
        );
    }
    for cancel_status in ["pending", "succeeded", "failed"] {
        assert!(
            has_class(&css, &format!("badge-{cancel_status}")),
            "{cancel_status}"
        );
    }

    let mut seen = Vec::new();
    let mut queue = vec!["/console/js/app.js".to_owned()];
    while let Some(path) = queue.pop() {
        if seen.contains(&path) {
            continue;
        }
        let res = app.get(&path).await;
        assert_eq!(res.status, 200, "{path} is imported but not served");
        queue.extend(imports(&path, &res.text()));
        seen.push(path);
    }
    assert!(
        seen.len() >= 10 && seen.iter().any(|p| p.ends_with("/pages/backoffice.js")),
        "{seen:?}"
    );
    app.stop().await;
}

/// Creates a payment of `amount`, waits for the mock acquirer's approval and completes it.
async fn completed(app: &App, m: &Merchant, order_no: &str, amount: i64) -> String {
    let key = app.pay(m, order_no, amount).await;
    eventually("the approval", WAIT, || async {
        match app.status_of(&key).await.as_str() {
            "APPROVED" => Ok(()),
            other => Err(other.to_owned()),
        }
    })
    .await;
    app.complete(m, &key).await;
    key
}

/// The fields of a payment the balance and the cancels table read.
fn assert_console_fields(p: &Value) {
    for field in [
        "status",
        "amount",
        "currency",
        "canceledAmount",
        "cancelableAmount",
    ] {
        assert!(!p[field].is_null(), "{field} in {p}");
    }
    for c in p["cancels"].as_array().expect("cancels") {
        for field in ["cancelId", "amount", "status", "reason", "requestedAt"] {
            assert!(!c[field].is_null(), "{field} in {c}");
        }
        for field in ["completedAt", "failureCode", "failureMessage"] {
            assert!(c.get(field).is_some(), "{field} in {c}");
        }
    }
}

#[actix_web::test]
async fn the_back_office_cancel_answers_each_outcome_with_what_the_console_shows() {
    let (app, m) = spawn_with_merchant("Console cancels").await;
    let kept = completed(&app, &m, "C-1", 15_000).await;
    let refused = completed(&app, &m, "C-2", 15_007).await; // the mock refuses its cancels
    let app = &app;
    let cancel = |key: &str, body: Value| {
        let path = format!("/admin/api/payments/{key}/cancel");
        async move { app.admin(Method::POST, &path, Some(body)).await }
    };

    let done = cancel(
        &kept,
        json!({ "cancelReason": "one item returned", "cancelAmount": 5000 }),
    )
    .await;
    let exceeded = cancel(
        &kept,
        json!({ "cancelReason": "too much", "cancelAmount": 10_001 }),
    )
    .await;
    let refusal = cancel(
        &refused,
        json!({ "cancelReason": "one item returned", "cancelAmount": 4000 }),
    )
    .await;
    let after_refusal = app
        .admin_get(&format!("/admin/api/payments/{refused}"))
        .await;

    assert_eq!(done.status, 200, "{}", done.text());
    assert_console_fields(&done.json);
    assert_eq!(done.json["status"], "PARTIAL_CANCELED");
    assert_eq!(
        (&done.json["canceledAmount"], &done.json["cancelableAmount"]),
        (&json!(5000), &json!(10_000))
    );
    assert_eq!(done.json["cancels"][0]["status"], "SUCCEEDED");
    assert_eq!(exceeded.status, 409);
    assert_eq!(exceeded.json["code"], "CANCEL_AMOUNT_EXCEEDED");
    assert!(
        exceeded.json["detail"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "the outcome shows the detail: {}",
        exceeded.text()
    );
    assert_eq!(refusal.status, 502, "{}", refusal.text());
    assert_eq!(refusal.json["code"], "ACQUIRER_ERROR");
    assert_console_fields(&after_refusal.json);
    assert_eq!(after_refusal.json["status"], "COMPLETED");
    assert_eq!(after_refusal.json["cancelableAmount"], 15_007);
    let failed = &after_refusal.json["cancels"][0];
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["amount"], 4000);
    assert!(failed["failureCode"].is_string(), "{failed}");
    let logs = app
        .admin_get(&format!("/admin/api/payments/{kept}/logs"))
        .await;
    assert!(
        logs.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["action"] == "PARTIAL_CANCEL" && l["actor"] == "ADMIN"),
        "{}",
        logs.text()
    );
    app.stop().await;
}
