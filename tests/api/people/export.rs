//! `GET /admin/api/payments/export.csv` (api.md §10.5): the search as CSV, same filters, same
//! scoping, a header row, RFC 4180 quoting.

use awc::http::Method;
use serde_json::json;

use crate::helpers::{assert_problem, key_of, spawn_app_with_two_merchants};

fn rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[actix_web::test]
async fn the_export_is_the_search_as_csv_with_a_header_and_the_same_scoping() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    let first = key_of(&app.pay(&a, "A-1", 15_000).await);
    let body = json!({
        "orderNo": "A-2", "amount": 16_000, "methodCode": "CARD",
        "productName": "Beans, \"dark\" roast",
    });
    let created = app.create_payment(&a, &body).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let second = created.json["paymentKey"].as_str().unwrap().to_owned();
    let theirs = key_of(&app.pay(&b, "B-1", 17_000).await);

    let res = app.admin_get("/admin/api/payments/export.csv").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        res.header("content-disposition")
            .unwrap()
            .contains("payments.csv")
    );
    let all = rows(&res.text());
    assert_eq!(all[0][..4], ["paymentKey", "clientId", "orderNo", "status"]);
    let keys: Vec<&str> = all[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(keys, [theirs.as_str(), second.as_str(), first.as_str()]);
    assert_eq!(
        all[2][9], "Beans, \"dark\" roast",
        "quoted and unquoted back"
    );
    assert!(all.iter().all(|r| r.len() == all[0].len()));

    let limited = app
        .admin_get("/admin/api/payments/export.csv?limit=1")
        .await;
    assert_eq!(rows(&limited.text()).len(), 2);
    let bad = app
        .admin_get("/admin/api/payments/export.csv?limit=0")
        .await;
    assert_problem(&bad, 400, "VALIDATION_FAILED");

    let merchant_viewer = app
        .user_session("view@a.example", "MERCHANT_VIEWER", Some(&a.client_id))
        .await;
    let own = app
        .as_session(
            &merchant_viewer,
            Method::GET,
            "/admin/api/payments/export.csv?orderNo=A-1",
            None,
            None,
        )
        .await;
    let own = rows(&own.text());
    assert_eq!(own.len(), 2, "{own:?}");
    assert_eq!(own[1][0], first);
    let other = format!("/admin/api/payments/export.csv?clientId={}", b.client_id);
    let other = app
        .as_session(&merchant_viewer, Method::GET, &other, None, None)
        .await;
    assert_eq!(rows(&other.text()).len(), 1, "the header only");

    let anonymous = app.get("/admin/api/payments/export.csv").await;
    assert_problem(&anonymous, 401, "ADMIN_UNAUTHORIZED");
}
