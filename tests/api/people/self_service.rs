//! Merchant self-service and role-scoped merchant endpoints (api.md §10.1, §10.3, §10.4): who
//! may read, change and rotate which merchant, the `PATCH`, client-secret rotation with a grace,
//! and the audit rows of every change.

use std::time::Duration;

use awc::http::Method;
use serde_json::{Value, json};
use simplepg_client::secrecy::ExposeSecret;

use super::support::{Session, without_request};
use crate::helpers::{
    Merchant, TestApp, assert_invalid_field, assert_problem, assert_timestamp, spawn_app,
    spawn_app_with_merchant, spawn_app_with_two_merchants,
};

impl TestApp {
    /// `{method} /admin/api/merchants/{client_id}{suffix}` as `session`, with its CSRF token.
    async fn merchant_call(
        &self,
        session: &Session,
        method: Method,
        client_id: &str,
        suffix: &str,
        body: Option<&Value>,
    ) -> crate::helpers::ApiResponse {
        let path = format!("/admin/api/merchants/{client_id}{suffix}");
        let csrf = (method != Method::GET).then_some(session.csrf.as_str());
        self.as_session(session, method, &path, csrf, body).await
    }

    /// Each change (`method`, `suffix`, body) `session` asks of merchant `client_id` is `403
    /// FORBIDDEN`.
    async fn merchant_changes_refused(
        &self,
        session: &Session,
        client_id: &str,
        changes: &[(Method, &str, Option<Value>)],
    ) {
        for (method, suffix, body) in changes {
            let res = self
                .merchant_call(session, method.clone(), client_id, suffix, body.as_ref())
                .await;
            assert_problem(&res, 403, "FORBIDDEN");
        }
    }

    /// `POST …/rotate-secret` with the admin token and this raw body (JSON if any).
    async fn rotate_with(
        &self,
        client_id: &str,
        body: Option<&str>,
    ) -> crate::helpers::ApiResponse {
        let auth = format!("Bearer {}", self.admin_token);
        let mut headers = vec![("authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        self.raw(
            Method::POST,
            &format!("/admin/api/merchants/{client_id}/rotate-secret"),
            &headers,
            body.map(|b| b.as_bytes().to_vec()),
        )
        .await
    }

    /// The operator audit log's rows of `action`, newest first.
    /// The outcomes of the audit rows of `action`, newest first.
    async fn outcomes(&self, action: &str) -> Vec<String> {
        self.audit_rows(action)
            .await
            .iter()
            .map(|r| r["outcome"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn audit_rows(&self, action: &str) -> Vec<Value> {
        let res = self
            .admin_get(&format!("/admin/api/audit?action={action}&limit=100"))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json["data"].as_array().unwrap().clone()
    }
}

fn patch(name: &str) -> Value {
    json!({ "clientName": name })
}

#[actix_web::test]
async fn a_merchant_admin_changes_and_rotates_its_own_merchant_and_nothing_else() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    let boss = app
        .user_session("boss@a.example", "MERCHANT_ADMIN", Some(&a.client_id))
        .await;
    let call = async |method: Method, client: &str, suffix: &str, body: Option<&Value>| {
        app.merchant_call(&boss, method, client, suffix, body).await
    };

    let own = call(Method::PATCH, &a.client_id, "", Some(&patch("A, renamed"))).await;
    assert_eq!(own.status, 200, "{}", own.text());
    assert_eq!(own.json["clientName"], "A, renamed");
    let rotated = call(Method::POST, &a.client_id, "/rotate-secret", None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    assert!(rotated.json["clientSecret"].is_string());
    let rotated = call(Method::POST, &a.client_id, "/rotate-webhook-secret", None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());

    let unknown = "mch_0000000000000000000000000000dead";
    for (method, suffix, body) in [
        (Method::GET, "", None),
        (Method::PATCH, "", Some(patch("Mine now"))),
        (Method::POST, "/rotate-secret", None),
        (Method::POST, "/rotate-webhook-secret", None),
    ] {
        let other = call(method.clone(), &b.client_id, suffix, body.as_ref()).await;
        let ghost = call(method.clone(), unknown, suffix, body.as_ref()).await;
        assert_problem(&other, 404, "MERCHANT_NOT_FOUND");
        assert_eq!(
            without_request(&other)
                .to_string()
                .replace(&b.client_id, "X"),
            without_request(&ghost).to_string().replace(unknown, "X"),
            "{method} {suffix}: another merchant looks exactly like an unknown one"
        );
    }
    let status_changes = [
        (Method::POST, "/activate", None),
        (Method::POST, "/deactivate", None),
    ];
    // Outside the role whatever the merchant: its own, another or an unknown one alike.
    for client_id in [a.client_id.as_str(), b.client_id.as_str(), unknown] {
        app.merchant_changes_refused(&boss, client_id, &status_changes)
            .await;
    }
    let register = app
        .as_session(
            &boss,
            Method::POST,
            "/admin/api/merchants",
            Some(&boss.csrf),
            Some(&json!({ "clientName": "Mine", "returnUrl": "https://mine.example/n" })),
        )
        .await;
    assert_problem(&register, 403, "FORBIDDEN");

    let listed = app
        .as_session(&boss, Method::GET, "/admin/api/merchants", None, None)
        .await;
    let ids: Vec<&str> = listed.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["clientId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.client_id.as_str()], "{}", listed.text());
    let b_now = app.merchant_admin(Method::GET, &b.client_id, "").await;
    assert_eq!(b_now.json["clientName"], "B", "{}", b_now.text());
}

#[actix_web::test]
async fn a_merchant_viewer_reads_its_own_merchant_and_may_change_nothing() {
    let (app, a, _) = spawn_app_with_two_merchants().await;
    let clerk = app
        .user_session("clerk@a.example", "MERCHANT_VIEWER", Some(&a.client_id))
        .await;
    let shown = app
        .merchant_call(&clerk, Method::GET, &a.client_id, "", None)
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    let changes = [
        (Method::PATCH, "", Some(patch("Nope"))),
        (Method::POST, "/rotate-secret", None),
        (Method::POST, "/rotate-webhook-secret", None),
        (Method::POST, "/deactivate", None),
    ];
    app.merchant_changes_refused(&clerk, &a.client_id, &changes)
        .await;
    assert_eq!(app.outcomes("MERCHANT_UPDATED").await, ["DENIED"]);
}

#[actix_web::test]
async fn an_operator_and_a_viewer_read_every_merchant_but_may_not_change_or_rotate_one() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    for (email, role) in [("op@pg.example", "OPERATOR"), ("view@pg.example", "VIEWER")] {
        let who = app.user_session(email, role, None).await;
        let listed = app
            .as_session(&who, Method::GET, "/admin/api/merchants", None, None)
            .await;
        assert_eq!(listed.json["data"].as_array().unwrap().len(), 2, "{role}");
        let shown = app
            .merchant_call(&who, Method::GET, &b.client_id, "", None)
            .await;
        assert_eq!(shown.status, 200, "{role}: {}", shown.text());
        let changes = [
            (Method::PATCH, "", Some(patch("Nope"))),
            (Method::POST, "/rotate-secret", None),
            (Method::POST, "/activate", None),
        ];
        app.merchant_changes_refused(&who, &a.client_id, &changes)
            .await;
    }
}

#[actix_web::test]
async fn a_patch_follows_the_registration_rules_and_a_null_return_url_clears_it() {
    let (app, m) = spawn_app_with_merchant().await;
    let path = format!("/admin/api/merchants/{}", m.client_id);
    let send = async |body: Value| app.admin(Method::PATCH, &path, Some(&body)).await;

    assert_invalid_field(
        &send(json!({ "clientName": "X", "color": "red" })).await,
        "color",
    );
    assert_invalid_field(
        &send(json!({ "returnUrl": "ftp://shop.example/" })).await,
        "returnUrl",
    );
    assert_invalid_field(
        &send(json!({ "returnUrl": "https://10.0.0.1/hook" })).await,
        "returnUrl",
    );
    assert_invalid_field(&send(json!({ "clientName": " " })).await, "clientName");
    assert_invalid_field(&send(json!({ "clientName": null })).await, "clientName");
    assert_invalid_field(&send(json!({ "clientName": 7 })).await, "clientName");
    assert_invalid_field(&send(json!([])).await, "body");
    let auth = format!("Bearer {}", app.admin_token);
    let no_json = app
        .raw(
            Method::PATCH,
            &path,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            Some(b"{".to_vec()),
        )
        .await;
    assert_problem(&no_json, 400, "MALFORMED_JSON");
    let text = app
        .raw(
            Method::PATCH,
            &path,
            &[("authorization", &auth), ("content-type", "text/plain")],
            Some(b"{}".to_vec()),
        )
        .await;
    assert_problem(&text, 415, "UNSUPPORTED_MEDIA_TYPE");
    let before = app.merchant_admin(Method::GET, &m.client_id, "").await.json;
    let refused = app.outcomes("MERCHANT_UPDATED").await;
    assert!(
        !refused.is_empty() && refused.iter().all(|o| o == "FAILURE"),
        "every refused call is recorded as a failure: {refused:?}"
    );

    let nothing = send(json!({})).await;
    assert_eq!(nothing.status, 200, "{}", nothing.text());
    assert_eq!(nothing.json, before, "an empty patch changes nothing");
    let outcomes = app.outcomes("MERCHANT_UPDATED").await;
    assert_eq!(outcomes.len(), refused.len() + 1, "the call is recorded");
    assert_eq!(outcomes[0], "SUCCESS");

    let changed =
        send(json!({ "clientName": "Café ☕", "returnUrl": "https://new.example/n" })).await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json["clientName"], "Café ☕");
    assert_eq!(changed.json["returnUrl"], "https://new.example/n");
    assert_timestamp(&changed.json["updatedAt"]);
    assert!(changed.json.get("clientSecret").is_none());

    let cleared = send(json!({ "returnUrl": null })).await;
    assert_eq!(cleared.status, 200, "{}", cleared.text());
    assert_eq!(cleared.json["returnUrl"], Value::Null);
    assert_eq!(
        cleared.json["clientName"], "Café ☕",
        "an absent field stays"
    );
    let shown = app.merchant_admin(Method::GET, &m.client_id, "").await;
    assert_eq!(shown.json, cleared.json);
}

#[actix_web::test]
async fn grace_seconds_must_be_an_integer_from_0_to_604800_and_the_body_may_be_left_out() {
    let (app, m) = spawn_app_with_merchant().await;
    for body in [
        r#"{"graceSeconds":-1}"#,
        r#"{"graceSeconds":604801}"#,
        r#"{"graceSeconds":"60"}"#,
        r#"{"graceSeconds":1.5}"#,
        r#"{"graceSeconds":true}"#,
    ] {
        assert_invalid_field(
            &app.rotate_with(&m.client_id, Some(body)).await,
            "graceSeconds",
        );
    }
    assert_invalid_field(
        &app.rotate_with(&m.client_id, Some(r#"{"grace":5}"#)).await,
        "grace",
    );
    assert_eq!(
        app.outcomes("CLIENT_SECRET_ROTATED").await,
        ["FAILURE"; 6],
        "each refused rotation is recorded, none as a success"
    );

    for body in [None, Some("{}"), Some(r#"{"graceSeconds":0}"#)] {
        let res = app.rotate_with(&m.client_id, body).await;
        assert_eq!(res.status, 200, "{body:?}: {}", res.text());
        assert!(
            res.json.get("previousClientSecretValidUntil").is_none(),
            "{body:?}"
        );
    }
    let longest = app
        .rotate_with(&m.client_id, Some(r#"{"graceSeconds":604800}"#))
        .await;
    assert_eq!(longest.status, 200, "{}", longest.text());
    let until = assert_timestamp(&longest.json["previousClientSecretValidUntil"]);
    let in_a_week = time::OffsetDateTime::now_utc() + time::Duration::seconds(604_800);
    assert!(
        (until - in_a_week).abs() < time::Duration::seconds(60),
        "{until}"
    );
    assert_eq!(longest.header("cache-control"), Some("no-store"));
}

#[actix_web::test]
async fn during_the_grace_both_client_secrets_sign_and_after_it_only_the_new_one() {
    let (app, old) = spawn_app_with_merchant().await;
    let rotated = app
        .admin_client()
        .rotate_client_secret(&old.client_id, 2)
        .await
        .unwrap();
    let new = Merchant {
        client_secret: rotated.client_secret.expose_secret().to_owned(),
        ..old.clone()
    };
    let until = rotated.previous_client_secret_valid_until.unwrap();

    for merchant in [&old, &new] {
        let res = app.list_payments(merchant, "").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    app.client(&old)
        .create_payment(&simplepg_client::CreatePayment::new(
            "GRACE-OLD-1",
            crate::helpers::STAYS_READY,
            simplepg_client::MethodCode::Card,
        ))
        .await
        .expect("the old secret signs a create during the grace");

    let left = until - time::OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::try_from(left).unwrap_or_default() + Duration::from_millis(300))
        .await;
    assert_problem(&app.list_payments(&old, "").await, 401, "INVALID_SIGNATURE");
    let res = app.list_payments(&new, "").await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[actix_web::test]
async fn a_second_rotation_within_the_grace_retires_the_first_secret_at_once() {
    let (app, first) = spawn_app_with_merchant().await;
    let admin = app.admin_client();
    let second = admin
        .rotate_client_secret(&first.client_id, 600)
        .await
        .unwrap();
    let third = admin
        .rotate_client_secret(&first.client_id, 600)
        .await
        .unwrap();
    let with = |secret: &simplepg_client::SecretString| Merchant {
        client_secret: secret.expose_secret().to_owned(),
        ..first.clone()
    };

    assert_problem(
        &app.list_payments(&first, "").await,
        401,
        "INVALID_SIGNATURE",
    );
    for merchant in [with(&second.client_secret), with(&third.client_secret)] {
        let res = app.list_payments(&merchant, "").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
}

#[actix_web::test]
async fn every_merchant_change_is_in_the_audit_log_with_actor_role_target_and_request() {
    let app = spawn_app().await;
    let m = app.merchant().await;
    let boss = app
        .user_session("boss@shop.example", "MERCHANT_ADMIN", Some(&m.client_id))
        .await;
    let res = app
        .merchant_call(
            &boss,
            Method::PATCH,
            &m.client_id,
            "",
            Some(&patch("Renamed")),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let request_id = res.header("x-request-id").unwrap().to_owned();
    app.merchant_call(&boss, Method::POST, &m.client_id, "/rotate-secret", None)
        .await;
    app.merchant_call(
        &boss,
        Method::POST,
        &m.client_id,
        "/rotate-webhook-secret",
        None,
    )
    .await;
    app.merchant_admin(Method::POST, &m.client_id, "/deactivate")
        .await;
    app.merchant_admin(Method::POST, &m.client_id, "/deactivate")
        .await;
    app.merchant_admin(Method::POST, &m.client_id, "/activate")
        .await;

    let registered = app.audit_rows("MERCHANT_REGISTERED").await;
    assert_eq!(registered.len(), 1, "{registered:#?}");
    assert_eq!(registered[0]["actor"], "token");
    assert_eq!(registered[0]["role"], "ADMIN");
    assert_eq!(registered[0]["target"], m.client_id.as_str());
    let updated = app.audit_rows("MERCHANT_UPDATED").await;
    assert_eq!(updated.len(), 1, "{updated:#?}");
    assert_eq!(updated[0]["actor"], "boss@shop.example");
    assert_eq!(updated[0]["role"], "MERCHANT_ADMIN");
    assert_eq!(updated[0]["target"], m.client_id.as_str());
    assert_eq!(updated[0]["outcome"], "SUCCESS");
    assert_eq!(updated[0]["ip"], "127.0.0.1");
    assert_eq!(updated[0]["requestId"], request_id.as_str());
    // One row a call: the second deactivation changed nothing and is recorded too (§10.4).
    for (action, actor, calls) in [
        ("CLIENT_SECRET_ROTATED", "boss@shop.example", 1),
        ("WEBHOOK_SECRET_ROTATED", "boss@shop.example", 1),
        ("MERCHANT_DEACTIVATED", "token", 2),
        ("MERCHANT_ACTIVATED", "token", 1),
    ] {
        let rows = app.audit_rows(action).await;
        assert_eq!(rows.len(), calls, "{action}: {rows:#?}");
        for row in rows {
            assert_eq!(row["actor"], actor, "{action}");
            assert_eq!(row["target"], m.client_id.as_str(), "{action}");
            assert_eq!(row["outcome"], "SUCCESS", "{action}");
        }
    }
}

#[actix_web::test]
async fn concurrent_patches_of_one_merchant_all_land_one_after_another() {
    let (app, m) = spawn_app_with_merchant().await;
    let path = format!("/admin/api/merchants/{}", m.client_id);
    let names: Vec<String> = (0..8).map(|i| format!("Name {i}")).collect();
    let bodies: Vec<Value> = names.iter().map(|n| patch(n)).collect();
    let answers = futures_util::future::join_all(
        bodies
            .iter()
            .map(|body| app.admin(Method::PATCH, &path, Some(body))),
    )
    .await;
    for res in &answers {
        assert_eq!(res.status, 200, "{}", res.text());
    }
    assert_eq!(app.audit_rows("MERCHANT_UPDATED").await.len(), 8);
    let last = app.merchant_admin(Method::GET, &m.client_id, "").await;
    assert!(names.iter().any(|n| last.json["clientName"] == n.as_str()));
}
