//! `GET /admin/api/stats`.

use serde_json::json;

use crate::harness::{assert_admin_unauthorized, spawn, spawn_with_merchant};

#[actix_web::test]
async fn stats_count_amounts_per_status_and_the_approval_rate() {
    let (app, m) = spawn_with_merchant("Stats shop").await;
    let other = app.register("Quiet shop").await;
    // Amounts ending in 002: the mock acquirer never answers, the simulator decides.
    let completed = app.pay(&m, "S-1", 15_002).await;
    let failed = app.pay(&m, "S-2", 16_002).await;
    let canceled = app.pay(&m, "S-3", 17_002).await;
    let _ready = app.pay(&m, "S-4", 18_002).await;
    assert_eq!(
        app.simulate(&completed, "APPROVED").await.json["response"]["status"],
        200
    );
    assert_eq!(
        app.simulate(&failed, "FAILED").await.json["response"]["status"],
        200
    );
    app.complete(&m, &completed).await;
    app.cancel(&m, &canceled, "changed my mind", None).await;

    let res = app.admin_get("/admin/api/stats").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let t = &res.json["totals"];
    assert_eq!(t["count"], 4);
    assert_eq!(t["approved"], 1, "the completed one was approved");
    assert_eq!(
        t["decided"], 2,
        "approved + failed; READY and canceled-before-decision are not"
    );
    assert_eq!(t["approvalRate"], 0.5);
    let by = &t["byStatus"];
    for (status, amount) in [
        ("COMPLETED", 15_002),
        ("FAILED", 16_002),
        ("CANCELED", 17_002),
        ("READY", 18_002),
    ] {
        assert_eq!(
            by[status],
            json!({ "count": 1, "amounts": { "KRW": amount } }),
            "{status}"
        );
    }
    assert_eq!(by["APPROVED"], json!({ "count": 0, "amounts": {} }));
    assert_eq!(by["EXPIRED"]["count"], 0);

    let days = res.json["byDay"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0]["count"], 4);
    assert!(days[0]["day"].as_str().unwrap().len() == 10, "YYYY-MM-DD");
    let merchants = res.json["byMerchant"].as_array().unwrap();
    assert_eq!(merchants.len(), 1, "merchants without payments are absent");
    assert_eq!(merchants[0]["clientId"], m.client_id.as_str());
    assert_eq!(merchants[0]["approvalRate"], 0.5);

    let quiet = app
        .admin_get(&format!("/admin/api/stats?clientId={}", other.client_id))
        .await;
    assert_eq!(quiet.json["totals"]["count"], 0);
    assert_eq!(quiet.json["totals"]["approvalRate"], json!(null));
    assert_eq!(quiet.json["clientId"], other.client_id.as_str());

    let future = app
        .admin_get("/admin/api/stats?from=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(future.json["totals"]["count"], 0);
    app.stop().await;
}

#[actix_web::test]
async fn stats_give_approved_canceled_partially_canceled_and_net_amounts_per_currency() {
    let (app, m) = spawn_with_merchant("Money shop").await;
    // Amounts ending in 002: the simulator approves; cancels are confirmed at once.
    let partly = app.pay(&m, "M-1", 10_002).await;
    let wholly = app.pay(&m, "M-2", 20_002).await;
    let never = app.pay(&m, "M-3", 30_002).await; // canceled while READY: no money moved
    for key in [&partly, &wholly] {
        assert_eq!(
            app.simulate(key, "APPROVED").await.json["response"]["status"],
            200
        );
        app.complete(&m, key).await;
    }
    for (key, reason, amount) in [
        (&partly, "one item", Some(3_000)),
        (&partly, "another", Some(1_000)),
        (&wholly, "all of it", None),
        (&never, "changed my mind", None),
    ] {
        app.cancel(&m, key, reason, amount).await;
    }

    let res = app.admin_get("/admin/api/stats").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let money = json!({ "KRW": {
        "approvedAmount": 30_004,
        "canceledAmount": 24_002,
        "partiallyCanceledAmount": 4_000,
        "netAmount": 6_002,
    }});
    assert_eq!(res.json["totals"]["byCurrency"], money);
    assert_eq!(res.json["byDay"][0]["byCurrency"], money);
    assert_eq!(res.json["byMerchant"][0]["byCurrency"], money);
    assert_eq!(
        res.json["totals"]["byStatus"]["PARTIAL_CANCELED"],
        json!({ "count": 1, "amounts": { "KRW": 10_002 } })
    );
    app.stop().await;
}

#[actix_web::test]
async fn stats_refuse_bad_parameters_and_missing_admin_auth() {
    let app = spawn().await;
    let inverted = app
        .admin_get("/admin/api/stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")
        .await;
    assert_eq!(inverted.status, 400);
    assert_eq!(inverted.json["errors"][0]["field"], "from");
    for bad in ["from=yesterday", "clientId=%20", "limit=5", "to=1&to=2"] {
        let res = app.admin_get(&format!("/admin/api/stats?{bad}")).await;
        assert_eq!(res.status, 400, "{bad}: {}", res.text());
        assert_eq!(res.json["code"], "VALIDATION_FAILED", "{bad}");
    }
    assert_admin_unauthorized(&app.get("/admin/api/stats").await, "no token");
    let wrong = app
        .get_with_headers("/admin/api/stats", &[("authorization", "Bearer wrong")])
        .await;
    assert_admin_unauthorized(&wrong, "wrong token");
    assert_admin_unauthorized(
        &app.get("/admin/api/stats?token=test-admin-token").await,
        "?token= is only for the event stream",
    );
    app.stop().await;
}
