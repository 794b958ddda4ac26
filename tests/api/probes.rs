//! `/health` and `/ready` (api.md §8).

use std::sync::Arc;

use crate::helpers::TestDb;
use awc::http::Method;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use serde_json::json;

use crate::helpers::{Merchant, assert_problem, skip_on_sqlite, spawn_app, spawn_app_with};

#[actix_web::test]
async fn health_and_ready_answer_200() {
    let app = spawn_app().await;

    let health = app.get("/health").await;
    let ready = app.get("/ready").await;

    assert_eq!(health.status, 200, "{}", health.text());
    assert_eq!(health.json["status"], "UP");
    assert_eq!(ready.status, 200, "{}", ready.text());
    assert_eq!(ready.json["status"], "READY");
    assert!(!health.request_id().is_empty());
}

#[actix_web::test]
async fn ready_and_requests_are_503_while_the_database_is_not_migrated() {
    if skip_on_sqlite(
        "uses an unmigrated MySQL database (SQLite's is covered by adapters-sqlite's contract tests)",
    ) {
        return;
    }
    let db = Arc::new(TestDb::Mysql(
        adapters_mysql::test_util::TestDatabase::create_unmigrated().await,
    ));
    let app = spawn_app_with(db, &[("SIMPLEPG__DATABASE__MIGRATE_ON_START", "false")]).await;

    let ready = app.get("/ready").await;
    let health = app.get("/health").await;
    let somebody = Merchant {
        client_id: "mch_0000000000000000000000000000beef".into(),
        client_secret: "sk_whatever".into(),
        webhook_secret: String::new(),
    };
    let signed = app.list_payments(&somebody, "").await;
    let admin = app.admin_get("/admin/api/merchants").await;
    let register = app
        .admin(
            Method::POST,
            "/admin/api/merchants",
            Some(&json!({"clientName": "Shop"})),
        )
        .await;

    assert_eq!(health.status, 200, "the process is up all the same");
    let login = app
        .login("ops@example.com", "correct horse battery", None)
        .await;
    // Not the client's doing and over once the operator migrates: 503, never 500.
    for res in [&ready, &signed, &admin, &register, &login] {
        assert_problem(res, 503, "SERVICE_UNAVAILABLE");
        assert!(
            res.header("retry-after").is_some(),
            "{}: Retry-After on 503",
            res.path
        );
    }
}

#[actix_web::test]
async fn ready_is_503_once_the_database_is_gone() {
    if skip_on_sqlite("drops the MySQL database under the server") {
        return;
    }
    let app = spawn_app().await;
    assert_eq!(app.get("/ready").await.status, 200);

    let mut admin = AsyncMysqlConnection::establish(&adapters_mysql::test_util::admin_url())
        .await
        .expect("an admin connection");
    diesel::sql_query(format!("DROP DATABASE `{}`", app.db.mysql().name()))
        .execute(&mut admin)
        .await
        .expect("dropping the test database");

    let ready = app.get("/ready").await;
    assert_problem(&ready, 503, "SERVICE_UNAVAILABLE");
    assert!(ready.header("retry-after").is_some(), "Retry-After on 503");
}

/// api.md §1: `SERVICE_UNAVAILABLE` 503 with `Retry-After` when the database is unreachable.
#[actix_web::test]
async fn requests_get_503_with_retry_after_while_the_database_is_unreachable() {
    let db = Arc::new(TestDb::create().await);
    let closed_port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let unreachable = format!("mysql://root@127.0.0.1:{closed_port}/simplepg");
    let app = spawn_app_with(
        db,
        &[
            ("SIMPLEPG__DATABASE__URL", &unreachable),
            ("SIMPLEPG__DATABASE__MIGRATE_ON_START", "false"),
            ("SIMPLEPG__DATABASE__CONNECT_TIMEOUT_MS", "500"),
        ],
    )
    .await;
    let somebody = Merchant {
        client_id: "mch_0000000000000000000000000000beef".into(),
        client_secret: "sk_whatever".into(),
        webhook_secret: String::new(),
    };

    let health = app.get("/health").await;
    let ready = app.get("/ready").await;
    let signed = app.list_payments(&somebody, "").await;
    let admin = app.admin_get("/admin/api/merchants").await;

    assert_eq!(health.status, 200, "the process is up all the same");
    for res in [&ready, &signed, &admin] {
        assert_problem(res, 503, "SERVICE_UNAVAILABLE");
        assert!(
            res.header("retry-after").is_some(),
            "{}: Retry-After on 503",
            res.path
        );
    }
}
