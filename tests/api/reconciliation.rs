//! Reconciliation (api.md §12.3): the mock acquirer's settlement file with its discrepancy
//! scenarios (`…011` reported one short, `…012` capture left out), a day reconciled line by line
//! and stored, each discrepancy audited, who may reconcile and read, refused dates.

use serde_json::{Value, json};
use test_support::settlement_day::seoul_date;

use crate::helpers::{ApiResponse, TestApp, assert_problem, spawn_app};

async fn reconcile(app: &TestApp, date: &str) -> ApiResponse {
    app.admin_post_date("/admin/api/reconciliations", date)
        .await
}

/// The payment keys of a list of discrepancies.
fn keys(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| d["paymentKey"].as_str().unwrap())
        .collect()
}

/// Completed payments of 15,000, 15,011 and 15,012 whose captures reached the mock acquirer,
/// and a partial cancel of 5,000 of the first; their keys.
async fn a_day_of_payments(app: &TestApp) -> (String, String, String) {
    let shop = app.merchant().await;
    let plain = app.completed_payment(&shop, "RECON-PLAIN", 15_000).await;
    let short = app.completed_payment(&shop, "RECON-SHORT", 15_011).await;
    let left_out = app.completed_payment(&shop, "RECON-LEFT-OUT", 15_012).await;
    for key in [&plain, &short, &left_out] {
        app.wait_until_delivered(key, "ACQUIRER_CAPTURE").await;
    }
    app.cancel_answered(&shop, &plain, "one returned", Some(5_000), 200)
        .await;
    (plain, short, left_out)
}

#[actix_web::test]
async fn the_mock_acquirer_publishes_its_day_as_csv_with_011_one_short_and_012_left_out() {
    let app = spawn_app().await;
    let (plain, short, left_out) = a_day_of_payments(&app).await;
    let today = seoul_date(0);
    let file = app
        .admin_get(&format!("/mock/settlement-file?date={today}"))
        .await;
    assert_eq!(file.status, 200, "{}", file.text());
    let text = file.text();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        ["transactionId", "paymentKey", "type", "amount", "at"]
    );
    let shape: Vec<(&str, &str, &str)> = rows[1..].iter().map(|r| (r[1], r[2], r[3])).collect();
    assert_eq!(
        shape,
        [
            (plain.as_str(), "CAPTURE", "15000"),
            (short.as_str(), "CAPTURE", "15010"),
            (plain.as_str(), "CANCEL", "-5000"),
        ],
        "{text}"
    );
    assert!(!text.contains(&left_out), "the 012 capture is left out");

    let unsigned = app
        .get(&format!("/mock/settlement-file?date={today}"))
        .await;
    assert_eq!(unsigned.status, 401, "{}", unsigned.text());
    assert_problem(
        &app.admin_get("/mock/settlement-file?date=yesterday").await,
        400,
        "VALIDATION_FAILED",
    );
    assert_problem(
        &app.admin_get("/mock/settlement-file").await,
        400,
        "VALIDATION_FAILED",
    );
}

#[actix_web::test]
async fn a_day_is_reconciled_line_by_line_stored_and_each_discrepancy_audited() {
    let app = spawn_app().await;
    let (plain, short, left_out) = a_day_of_payments(&app).await;
    let today = seoul_date(0);
    let res = reconcile(&app, &today).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let rec = &res.json;
    let id = rec["reconciliationId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("rcn_"), "{id}");
    assert_eq!(
        res.header("location"),
        Some(format!("/admin/api/reconciliations/{id}").as_str())
    );
    assert_eq!(rec["date"], today.as_str());
    assert_eq!(rec["status"], "DISCREPANCIES");
    assert_eq!(rec["matched"], 2, "the plain capture and its cancel: {rec}");
    // The gauge shows the newest run at once (not at the sampler's next tick).
    let scraped = app.get("/metrics").await.text();
    for (kind, n) in [
        ("AMOUNT_MISMATCH", 1),
        ("MISSING_AT_ACQUIRER", 1),
        ("MISSING_AT_SIMPLEPG", 0),
    ] {
        let series = format!("simplepg_reconciliation_discrepancies{{kind=\"{kind}\"}} {n}\n");
        assert!(scraped.contains(&series), "{series}in\n{scraped}");
    }
    assert_eq!(keys(&rec["amountMismatches"]), [short.as_str()]);
    let mismatch = &rec["amountMismatches"][0];
    assert_eq!(
        (
            &mismatch["type"],
            &mismatch["simplepgAmount"],
            &mismatch["acquirerAmount"]
        ),
        (&json!("CAPTURE"), &json!(15_011), &json!(15_010))
    );
    assert_eq!(keys(&rec["missingAtAcquirer"]), [left_out.as_str()]);
    assert_eq!(rec["missingAtAcquirer"][0]["amount"], 15_012);
    assert_eq!(rec["missingAtSimplePG"], json!([]));
    assert!(!keys(&rec["amountMismatches"]).contains(&plain.as_str()));

    let shown = app
        .admin_get(&format!("/admin/api/reconciliations/{id}"))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(&shown.json, rec, "stored as answered");
    let listed = app
        .admin_data(&format!(
            "/admin/api/reconciliations?from={today}&to={today}"
        ))
        .await;
    assert_eq!(listed.len(), 1);
    assert_eq!(&listed[0], rec);

    let audit = app
        .admin_data("/admin/api/audit?action=RECONCILIATION_DISCREPANCY")
        .await;
    let mut targets: Vec<&str> = audit
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    targets.sort_unstable();
    let mut expected = [
        format!("{left_out} MISSING_AT_ACQUIRER {id}"),
        format!("{short} AMOUNT_MISMATCH {id}"),
    ];
    expected.sort();
    assert_eq!(targets, expected);
    assert!(audit.iter().all(|r| r["outcome"] == "FAILURE"));
    let run = app.admin_data("/admin/api/audit?action=RECONCILE").await;
    assert_eq!(run.len(), 1);
    assert_eq!(run[0]["actor"], "token");

    // A second run is a new reconciliation of the same day.
    let again = reconcile(&app, &today).await;
    assert_eq!(again.status, 201);
    assert_ne!(again.json["reconciliationId"], id.as_str());
    assert_eq!(app.admin_data("/admin/api/reconciliations").await.len(), 2);
}

#[actix_web::test]
async fn a_quiet_day_matches_and_dates_ids_and_roles_are_checked() {
    let app = spawn_app().await;
    let quiet = reconcile(&app, &seoul_date(3)).await;
    assert_eq!(quiet.status, 201, "{}", quiet.text());
    assert_eq!(quiet.json["status"], "MATCHED");
    assert_eq!(quiet.json["matched"], 0);
    for bad in ["2026-13-01", "tomorrow", ""] {
        assert_problem(&reconcile(&app, bad).await, 400, "VALIDATION_FAILED");
    }
    let future = reconcile(&app, &seoul_date(-2)).await;
    assert_problem(&future, 400, "VALIDATION_FAILED");
    assert!(future.text().contains("date"), "{}", future.text());
    assert_problem(
        &app.admin_get("/admin/api/reconciliations/rcn_00000000000000000000000000000000")
            .await,
        404,
        "RECONCILIATION_NOT_FOUND",
    );
    assert_problem(
        &app.admin_get("/admin/api/reconciliations/nonsense").await,
        404,
        "RECONCILIATION_NOT_FOUND",
    );
    assert_problem(
        &app.admin_get("/admin/api/reconciliations?from=2026-12-05&to=2026-12-01")
            .await,
        400,
        "VALIDATION_FAILED",
    );

    let viewer = app.user_session("view@pg.example", "VIEWER", None).await;
    let seen = app.session_get(&viewer, "/admin/api/reconciliations").await;
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert_eq!(seen.json["data"].as_array().unwrap().len(), 1);
    let refused = app
        .session_post(
            &viewer,
            "/admin/api/reconciliations",
            &json!({"date": seoul_date(1)}),
        )
        .await;
    assert_problem(&refused, 403, "FORBIDDEN");
    let shop = app.merchant().await;
    let merchant = app
        .user_session("boss@shop.example", "MERCHANT_ADMIN", Some(&shop.client_id))
        .await;
    assert_problem(
        &app.session_get(&merchant, "/admin/api/reconciliations")
            .await,
        403,
        "FORBIDDEN",
    );
}
