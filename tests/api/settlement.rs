//! Settlement (api.md §12.1–12.2): merchants' terms, a day's batch with exact fees, runs that
//! are idempotent and refuse a day that is not over, scoping by role, the lines as CSV.

use awc::http::Method;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use test_support::settlement_day::seoul_date;

use crate::helpers::{ApiResponse, TestApp, assert_problem, skip_on_sqlite, spawn_app};

async fn run(app: &TestApp, date: &str) -> ApiResponse {
    app.admin_post_date("/admin/api/settlements/run", date)
        .await
}

#[actix_web::test]
async fn merchants_carry_their_settlement_terms_and_only_an_admin_changes_them() {
    let app = spawn_app().await;
    let registered = app
        .register_raw(&json!({"clientName": "Terms", "feeRateBps": 330, "settlementDelayDays": 5}))
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text());
    assert_eq!(registered.json["feeRateBps"], 330);
    assert_eq!(registered.json["settlementDelayDays"], 5);
    let default = app.merchant().await;
    let shown = app
        .admin_get(&format!("/admin/api/merchants/{}", default.client_id))
        .await;
    assert_eq!(
        (
            &shown.json["feeRateBps"],
            &shown.json["settlementDelayDays"]
        ),
        (&json!(250), &json!(2)),
        "the configured defaults"
    );
    for (body, field) in [
        (json!({"feeRateBps": 10001}), "feeRateBps"),
        (json!({"feeRateBps": -1}), "feeRateBps"),
        (json!({"settlementDelayDays": 31}), "settlementDelayDays"),
        (json!({"feeRateBps": "250"}), "feeRateBps"),
    ] {
        let res = app
            .admin(
                Method::PATCH,
                &format!("/admin/api/merchants/{}", default.client_id),
                Some(&body),
            )
            .await;
        assert_problem(&res, 400, "VALIDATION_FAILED");
        assert!(res.text().contains(field), "{}", res.text());
    }
    let mine = app
        .user_session(
            "boss@terms.example",
            "MERCHANT_ADMIN",
            Some(&default.client_id),
        )
        .await;
    let refused = app
        .session_change(
            &mine,
            Method::PATCH,
            &format!("/admin/api/merchants/{}", default.client_id),
            Some(&json!({"feeRateBps": 0})),
        )
        .await;
    assert_problem(&refused, 403, "FORBIDDEN");
    let changed = app
        .admin(
            Method::PATCH,
            &format!("/admin/api/merchants/{}", default.client_id),
            Some(&json!({"feeRateBps": 0, "settlementDelayDays": 0})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json["feeRateBps"], 0);
}

#[actix_web::test]
async fn a_run_refuses_a_day_that_is_not_over_and_a_malformed_date_and_settles_an_empty_day_to_nothing()
 {
    let app = spawn_app().await;
    assert_problem(
        &run(&app, &seoul_date(0)).await,
        409,
        "SETTLEMENT_DATE_NOT_OVER",
    );
    assert_problem(
        &run(&app, &seoul_date(-1)).await,
        409,
        "SETTLEMENT_DATE_NOT_OVER",
    );
    for bad in ["2026-13-01", "2026-02-30", "yesterday", ""] {
        assert_problem(&run(&app, bad).await, 400, "VALIDATION_FAILED");
    }
    let empty = run(&app, &seoul_date(3)).await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(empty.json["created"], 0);
    assert_eq!(empty.json["data"], json!([]));
    assert_problem(
        &app.admin_get("/admin/api/settlements/stl_00000000000000000000000000000000")
            .await,
        404,
        "SETTLEMENT_NOT_FOUND",
    );
}

#[actix_web::test]
async fn yesterdays_captures_settle_once_into_a_batch_with_exact_fees_seen_only_by_their_merchant()
{
    if skip_on_sqlite("moves completed_at back a day with MySQL date arithmetic") {
        return;
    }
    let app = spawn_app().await;
    let shop = app.merchant().await;
    let other = app.register_merchant_without_return_url("Other").await;
    let terms = app
        .admin(
            Method::PATCH,
            &format!("/admin/api/merchants/{}", shop.client_id),
            Some(&json!({"feeRateBps": 300, "settlementDelayDays": 1})),
        )
        .await;
    assert_eq!(terms.status, 200, "{}", terms.text());
    app.completed_payment(&shop, "SETTLE-1", 10_000).await;
    app.completed_payment(&shop, "SETTLE-2", 20_050).await;
    app.completed_payment(&other, "SETTLE-OTHER", 5_000).await;
    {
        let pool = app.db.mysql().pool(1);
        let mut conn = pool.get().await.unwrap();
        diesel::sql_query("UPDATE payment SET completed_at = completed_at - INTERVAL 1 DAY")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    let yesterday = seoul_date(1);
    let first = run(&app, &yesterday).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json["created"], 2, "{}", first.json);
    let batch_of = |data: &Value, client_id: &str| {
        data.as_array()
            .unwrap()
            .iter()
            .find(|b| b["clientId"] == client_id)
            .cloned()
            .unwrap_or_else(|| panic!("no batch of {client_id}: {data}"))
    };
    let batch = &batch_of(&first.json["data"], &shop.client_id);
    let other_id = batch_of(&first.json["data"], &other.client_id)["settlementId"]
        .as_str()
        .unwrap()
        .to_owned();
    // 3 % of 10,000 is 300; of 20,050 it is 601.5, rounded half up to 602.
    assert_eq!(
        (
            &batch["gross"],
            &batch["fees"],
            &batch["net"],
            &batch["lineCount"],
            &batch["feeRateBps"]
        ),
        (
            &json!(30_050),
            &json!(902),
            &json!(29_148),
            &json!(2),
            &json!(300)
        ),
        "{batch}"
    );
    assert_eq!(batch["clientId"], shop.client_id.as_str());
    assert_eq!(batch["date"], yesterday.as_str());
    assert_eq!(batch["payoutDate"], seoul_date(0).as_str());
    let id = batch["settlementId"].as_str().unwrap().to_owned();

    let again = run(&app, &yesterday).await;
    assert_eq!(again.json["created"], 0, "a second run creates nothing");
    assert_eq!(
        batch_of(&again.json["data"], &shop.client_id)["settlementId"],
        id.as_str()
    );

    let shown = app.admin_get(&format!("/admin/api/settlements/{id}")).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    let lines = shown.json["lines"].as_array().unwrap();
    let sums = lines.iter().fold((0, 0, 0), |(a, f, n), l| {
        (
            a + l["amount"].as_i64().unwrap(),
            f + l["fee"].as_i64().unwrap(),
            n + l["net"].as_i64().unwrap(),
        )
    });
    assert_eq!(
        sums,
        (30_050, 902, 29_148),
        "the totals are the sums of the lines"
    );
    assert!(lines.iter().all(|l| l["type"] == "CAPTURE"));

    let csv = app
        .admin_get(&format!("/admin/api/settlements/{id}/lines.csv"))
        .await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "settlementId,clientId,currency,date,paymentKey,orderNo,type,cancelId,amount,fee,net,at"
    );
    assert_eq!(rows.len(), 3, "{text}");

    let listed = app
        .admin_get(&format!(
            "/admin/api/settlements?clientId={}&from={yesterday}&to={yesterday}",
            shop.client_id
        ))
        .await;
    assert_eq!(
        listed.json["data"].as_array().unwrap().len(),
        1,
        "{}",
        listed.json
    );

    let own = app
        .user_session(
            "view@shop.example",
            "MERCHANT_VIEWER",
            Some(&shop.client_id),
        )
        .await;
    let stranger = app
        .user_session(
            "view@other.example",
            "MERCHANT_VIEWER",
            Some(&other.client_id),
        )
        .await;
    let path = format!("/admin/api/settlements/{id}");
    assert_eq!(app.session_get(&own, &path).await.status, 200);
    assert_problem(
        &app.session_get(&stranger, &path).await,
        404,
        "SETTLEMENT_NOT_FOUND",
    );
    let theirs = app.session_get(&stranger, "/admin/api/settlements").await;
    assert_eq!(
        theirs.json["data"].as_array().unwrap().len(),
        1,
        "{}",
        theirs.json
    );
    assert_eq!(theirs.json["data"][0]["settlementId"], other_id.as_str());
    // Paging after another merchant's batch is paging after an unknown one: an empty page,
    // whichever of the two was made first.
    let unknown = "stl_00000000000000000000000000000000";
    for (who, cursor) in [
        (&stranger, &id),
        (&own, &other_id),
        (&own, &unknown.to_owned()),
    ] {
        let page = app
            .session_get(
                who,
                &format!("/admin/api/settlements?startingAfter={cursor}"),
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.text());
        assert_eq!(
            page.json["data"],
            Value::Array(Vec::new()),
            "after {cursor}"
        );
        assert_eq!(page.json["hasMore"], false);
    }
    let operator = app.user_session("ops@pg.example", "OPERATOR", None).await;
    let refused = app
        .session_post(
            &operator,
            "/admin/api/settlements/run",
            &json!({"date": yesterday}),
        )
        .await;
    assert_problem(&refused, 403, "FORBIDDEN");
}
