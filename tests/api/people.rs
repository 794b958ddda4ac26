//! People (api.md §10): accounts created with the admin token or by an ADMIN, login with a
//! strict session cookie, the CSRF rule, lockout, roles on the operator API, merchant-scoped
//! user management, the operator audit log and TOTP.

mod alerts;
mod export;
mod scoping;
mod self_service;
mod support;
mod test_notification;
mod timing;
mod totp;

use awc::http::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with_two_merchants};
use support::{PASSWORD, Session, listed, user_body, without_request};

#[actix_web::test]
async fn an_admin_created_with_the_token_logs_in_with_a_strict_cookie_and_sees_itself() {
    let app = spawn_app().await;
    let created = app.create_user("Ops@Example.com", "ADMIN", None).await;
    assert_eq!(created["email"], "ops@example.com");
    assert_eq!(created["role"], "ADMIN");
    assert_eq!(created["clientId"], Value::Null);
    assert!(created["userId"].as_str().unwrap().starts_with("usr_"));
    assert!(created.get("password").is_none() && created.get("passwordHash").is_none());
    assert!(!created.to_string().contains("argon2"), "{created}");

    let res = app.login("OPS@example.com", PASSWORD, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let cookie = res.header("set-cookie").unwrap().to_owned();
    let attributes: Vec<&str> = cookie.split("; ").collect();
    assert!(attributes[0].starts_with("simplepg_session="), "{cookie}");
    assert_eq!(
        attributes[0].len(),
        "simplepg_session=".len() + 43,
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(attributes.contains(&attribute), "{attribute} in {cookie}");
    }
    // The test server's public URL is plain http: no `Secure`.
    assert!(!attributes.contains(&"Secure"), "{cookie}");
    assert_eq!(res.json["user"]["userId"], created["userId"]);
    assert_eq!(res.json["user"]["totpEnabled"], false);
    let csrf = res.json["csrfToken"].as_str().unwrap();
    assert_eq!(csrf.len(), 64);
    assert!(res.json["expiresAt"].is_string());

    let session = Session::from_login(&res);
    let me = app.session_get(&session, "/auth/me").await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json["user"]["email"], "ops@example.com");
    assert_eq!(me.json["csrfToken"], csrf);
    // "The user": its fields at the top level too, exactly as `user` shows them.
    for (field, value) in me.json["user"].as_object().unwrap() {
        assert_eq!(&me.json[field], value, "{field}: {}", me.json);
    }
    assert_eq!(me.json["userId"], created["userId"]);

    let anonymous = app.get("/auth/me").await;
    assert_problem(&anonymous, 401, "UNAUTHENTICATED");
}

#[actix_web::test]
async fn a_wrong_email_and_a_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("ops@example.com", "ADMIN", None).await;
    let wrong_email = app.login("nobody@example.com", PASSWORD, None).await;
    let wrong_password = app
        .login("ops@example.com", "not the password at all", None)
        .await;
    assert_problem(&wrong_email, 401, "LOGIN_FAILED");
    assert_problem(&wrong_password, 401, "LOGIN_FAILED");
    assert_eq!(
        without_request(&wrong_email),
        without_request(&wrong_password)
    );
    assert!(wrong_email.header("set-cookie").is_none());

    let malformed = app
        .raw(
            Method::POST,
            "/auth/login",
            &[("content-type", "application/json")],
            Some(br#"{"email":"ops@example.com"}"#.to_vec()),
        )
        .await;
    assert_problem(&malformed, 400, "VALIDATION_FAILED");
}

#[actix_web::test]
async fn five_failures_lock_the_account_even_for_the_right_password_until_unlocked() {
    let app = spawn_app().await;
    let user = app.create_user("ops@example.com", "OPERATOR", None).await;
    for attempt in 1..=5 {
        let res = app.login("ops@example.com", "wrong password!!", None).await;
        assert_problem(&res, 401, "LOGIN_FAILED");
        assert!(res.retry_after().is_none(), "attempt {attempt}");
    }
    let locked = app.login("ops@example.com", PASSWORD, None).await;
    assert_problem(&locked, 429, "LOGIN_LOCKED");
    let retry_after: u64 = locked.retry_after().unwrap().parse().unwrap();
    assert!((850..=900).contains(&retry_after), "{retry_after}");
    assert!(locked.header("set-cookie").is_none());

    let path = format!("/admin/api/users/{}", user["userId"].as_str().unwrap());
    let unlocked = app
        .admin(Method::PATCH, &path, Some(&json!({ "unlock": true })))
        .await;
    assert_eq!(unlocked.status, 200, "{}", unlocked.text());
    assert_eq!(unlocked.json["lockedUntil"], Value::Null);
    let res = app.login("ops@example.com", PASSWORD, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[actix_web::test]
async fn an_email_without_an_account_locks_like_an_account_so_a_lock_tells_nothing() {
    let app = spawn_app().await;
    app.create_user("ops@example.com", "OPERATOR", None).await;
    let mut answers = Vec::new();
    for email in ["ops@example.com", "nobody@example.com"] {
        let mut seen = Vec::new();
        for _ in 1..=6 {
            let res = app.login(email, "wrong password!!", None).await;
            let code = res.json["code"].as_str().unwrap_or_default().to_owned();
            let detail = res.json["detail"].as_str().unwrap_or_default().to_owned();
            seen.push((res.status, code, detail, res.retry_after().is_some()));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1], "the same answers, lock included");
    assert_eq!(answers[1][4].1, "LOGIN_FAILED");
    assert_eq!(
        (answers[1][5].0, answers[1][5].1.as_str()),
        (429, "LOGIN_LOCKED")
    );
}

#[actix_web::test]
async fn login_attempts_past_the_per_address_budget_are_refused_before_any_password_work() {
    let app = crate::helpers::spawn_app_configured(&[(
        "SIMPLEPG__AUTH__LOGIN_ATTEMPTS_PER_IP_PER_MINUTE",
        "3",
    )])
    .await;
    app.create_user("ops@example.com", "OPERATOR", None).await;
    for _ in 0..2 {
        let res = app.login("ops@example.com", "wrong password!!", None).await;
        assert_problem(&res, 401, "LOGIN_FAILED");
    }
    let ok = app.login("ops@example.com", PASSWORD, None).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let limited = app.login("ops@example.com", PASSWORD, None).await;
    assert_problem(&limited, 429, "RATE_LIMITED");
    let retry_after: u64 = limited.retry_after().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(limited.header("set-cookie").is_none());
    let failures = app.admin_data("/admin/api/audit?action=LOGIN_FAILED").await;
    assert_eq!(
        failures.len(),
        2,
        "the refused attempt never reached the password check: {failures:?}"
    );
}

#[actix_web::test]
async fn a_cookie_change_without_the_right_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.user_session("admin@example.com", "ADMIN", None).await;
    let body = json!({ "email": "new@example.com", "role": "VIEWER", "password": PASSWORD });
    for csrf in [None, Some("0".repeat(64).as_str()), Some("")] {
        let res = app
            .as_session(&admin, Method::POST, "/admin/api/users", csrf, Some(&body))
            .await;
        assert_problem(&res, 403, "CSRF_CHECK_FAILED");
    }
    let users = app.admin_get("/admin/api/users").await;
    assert_eq!(listed(&users), 1, "{}", users.text());

    let res = app.session_post(&admin, "/admin/api/users", &body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    // A read needs no CSRF token.
    let res = app.session_get(&admin, "/admin/api/users").await;
    assert_eq!(listed(&res), 2, "{}", res.text());
}

#[actix_web::test]
async fn logout_revokes_the_session_server_side_and_clears_the_cookie() {
    let app = spawn_app().await;
    let admin = app.user_session("admin@example.com", "ADMIN", None).await;
    let res = app
        .session_change_needing_csrf(&admin, Method::POST, "/auth/logout", 204)
        .await;
    let cleared = res.header("set-cookie").unwrap();
    assert!(cleared.starts_with("simplepg_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    let me = app.session_get(&admin, "/auth/me").await;
    assert_problem(&me, 401, "UNAUTHENTICATED");
    let merchants = app.session_get(&admin, "/admin/api/merchants").await;
    assert_problem(&merchants, 401, "ADMIN_UNAUTHORIZED");
}

#[actix_web::test]
async fn a_session_used_within_a_short_idle_timeout_lives_on_and_ends_once_left_idle() {
    let app = crate::helpers::spawn_app_configured(&[
        ("SIMPLEPG__AUTH__SESSION_IDLE_SECS", "3"),
        ("SIMPLEPG__AUTH__SESSION_ABSOLUTE_SECS", "60"),
    ])
    .await;
    let admin = app.user_session("admin@example.com", "ADMIN", None).await;
    // Used every 2 s for 6 s: each use moves the 3 s idle deadline.
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let me = app.session_get(&admin, "/auth/me").await;
        assert_eq!(me.status, 200, "{}", me.text());
    }
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    let me = app.session_get(&admin, "/auth/me").await;
    assert_problem(&me, 401, "UNAUTHENTICATED");
}

#[actix_web::test]
async fn an_operator_session_may_not_register_a_merchant_and_an_admin_session_may() {
    let app = spawn_app().await;
    let operator = app.user_session("op@example.com", "OPERATOR", None).await;
    let admin = app.user_session("admin@example.com", "ADMIN", None).await;
    let register = json!({ "clientName": "Shop", "returnUrl": "https://shop.example/n" });

    let res = app.session_get(&operator, "/admin/api/merchants").await;
    assert_eq!(
        res.status,
        200,
        "an operator reads merchants: {}",
        res.text()
    );
    let res = app
        .session_post(&operator, "/admin/api/merchants", &register)
        .await;
    assert_problem(&res, 403, "FORBIDDEN");
    let merchants = app.admin_get("/admin/api/merchants").await;
    assert_eq!(listed(&merchants), 0);

    let res = app
        .session_post(&admin, "/admin/api/merchants", &register)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let res = app.session_get(&admin, "/admin/api/merchants").await;
    assert_eq!(listed(&res), 1, "{}", res.text());
}

#[actix_web::test]
async fn a_merchant_admin_manages_the_users_of_its_own_merchant_only() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    let boss = app
        .user_session("boss@a.example", "MERCHANT_ADMIN", Some(&a.client_id))
        .await;
    let post = async |body: Value| app.session_post(&boss, "/admin/api/users", &body).await;
    let other = post(user_body(
        "x@b.example",
        "MERCHANT_VIEWER",
        Some(&b.client_id),
    ))
    .await;
    assert_problem(&other, 404, "MERCHANT_NOT_FOUND");
    let platform = post(user_body("x@pg.example", "OPERATOR", None)).await;
    assert_problem(&platform, 403, "FORBIDDEN");
    let own = post(user_body(
        "clerk@a.example",
        "MERCHANT_VIEWER",
        Some(&a.client_id),
    ))
    .await;
    assert_eq!(own.status, 201, "{}", own.text());
    app.create_user("y@b.example", "MERCHANT_VIEWER", Some(&b.client_id))
        .await;

    let users = app.session_get(&boss, "/admin/api/users").await;
    let emails: Vec<&str> = users.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["clerk@a.example", "boss@a.example"],
        "{}",
        users.text()
    );
    let audit = app.session_get(&boss, "/admin/api/audit").await;
    assert_problem(&audit, 403, "FORBIDDEN");
}

#[actix_web::test]
async fn every_state_changing_operator_call_is_audited_once_refused_failed_too_large_or_changing_nothing()
 {
    let (app, a, _) = spawn_app_with_two_merchants().await;
    let key = crate::helpers::key_of(&app.pay(&a, "AUDIT-1", 15_000).await);
    let viewer = app.user_session("view@pg.example", "VIEWER", None).await;
    let cancel_path = format!("/admin/api/payments/{key}/cancel");
    let cancel = json!({ "cancelReason": "not mine to cancel" });
    let merchant = format!("/admin/api/merchants/{}", a.client_id);

    // Refused: by role, and by the CSRF rule.
    let res = app.session_post(&viewer, &cancel_path, &cancel).await;
    assert_problem(&res, 403, "FORBIDDEN");
    let res = app
        .as_session(&viewer, Method::POST, &cancel_path, None, Some(&cancel))
        .await;
    assert_problem(&res, 403, "CSRF_CHECK_FAILED");
    // Changing nothing, failing, changing something, and nobody's.
    let res = app
        .admin(Method::POST, &format!("{merchant}/activate"), None)
        .await;
    assert_eq!(res.status, 200, "already active: {}", res.text());
    let res = app.admin(Method::PATCH, &merchant, Some(&json!({}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let today = test_support::settlement_day::seoul_date(0);
    let res = app
        .admin_post_date("/admin/api/settlements/run", &today)
        .await;
    assert_problem(&res, 409, "SETTLEMENT_DATE_NOT_OVER");
    let huge = json!({ "name": "x".repeat(70_000) });
    let res = app.admin(Method::PATCH, &merchant, Some(&huge)).await;
    assert_problem(&res, 413, "PAYLOAD_TOO_LARGE");
    let res = app
        .admin(Method::POST, &format!("{merchant}/deactivate"), None)
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .admin_with(Method::POST, &format!("{merchant}/activate"), None, None)
        .await;
    assert_eq!(res.status, 401, "{}", res.text());

    let rows = app.admin_data("/admin/api/audit?limit=100").await;
    let calls: Vec<(&str, &str, &str, Option<&str>)> = rows
        .iter()
        .filter(|r| {
            !["USER_CREATED", "LOGIN", "MERCHANT_REGISTERED"]
                .contains(&r["action"].as_str().unwrap())
        })
        .map(|r| {
            (
                r["actor"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
                r["target"].as_str(),
            )
        })
        .collect();
    let (key, client) = (Some(key.as_str()), Some(a.client_id.as_str()));
    assert_eq!(
        calls,
        [
            ("token", "MERCHANT_DEACTIVATED", "SUCCESS", client),
            ("token", "MERCHANT_UPDATED", "FAILURE", client),
            ("token", "SETTLEMENT_RUN", "FAILURE", None),
            ("token", "MERCHANT_UPDATED", "SUCCESS", client),
            ("token", "MERCHANT_ACTIVATED", "SUCCESS", client),
            ("view@pg.example", "PAYMENT_CANCEL", "DENIED", key),
            ("view@pg.example", "PAYMENT_CANCEL", "DENIED", key),
        ],
        "newest first, one row a call, none for the unauthenticated one: {rows:#?}"
    );
    assert!(
        rows.iter()
            .all(|r| r["requestId"].as_str().is_some_and(|id| !id.is_empty())),
        "{rows:#?}"
    );
}

#[actix_web::test]
async fn the_audit_log_records_logins_failures_locks_and_user_creation_with_actor_and_outcome() {
    let app = spawn_app().await;
    app.create_user("ops@example.com", "OPERATOR", None).await;
    app.login("ghost@example.com", PASSWORD, None).await;
    for _ in 0..5 {
        app.login("ops@example.com", "wrong password!!", None).await;
    }
    app.login("ops@example.com", PASSWORD, None).await;
    app.user_session("admin@example.com", "ADMIN", None).await;

    let res = app.admin_get("/admin/api/audit?limit=100").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let rows = res.json["data"].as_array().unwrap().clone();
    let find = |action: &str, actor: &str| {
        rows.iter()
            .filter(|r| r["action"] == action && r["actor"] == actor)
            .cloned()
            .collect::<Vec<_>>()
    };
    let created = find("USER_CREATED", "token");
    assert_eq!(created.len(), 2, "{rows:#?}");
    assert_eq!(created[0]["outcome"], "SUCCESS");
    assert_eq!(created[0]["role"], "ADMIN");
    assert_eq!(find("LOGIN_FAILED", "ghost@example.com").len(), 1);
    let failed = find("LOGIN_FAILED", "ops@example.com");
    assert_eq!(failed.len(), 5, "{rows:#?}");
    assert!(failed.iter().all(|r| r["outcome"] == "FAILURE"));
    assert_eq!(find("LOCKED", "ops@example.com").len(), 1, "{rows:#?}");
    assert_eq!(
        find("LOGIN_LOCKED", "ops@example.com").len(),
        1,
        "{rows:#?}"
    );
    let login = find("LOGIN", "admin@example.com");
    assert_eq!(login.len(), 1, "{rows:#?}");
    assert_eq!(login[0]["ip"], "127.0.0.1");
    assert!(login[0]["requestId"].is_string());
    // Newest first, and filtered by action.
    let ids: Vec<u64> = rows
        .iter()
        .map(|r| r["auditId"].as_u64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let only = app.admin_get("/admin/api/audit?action=LOCKED").await;
    assert_eq!(listed(&only), 1, "{}", only.text());
    // An inverted range is refused, like every other dated listing's.
    let inverted = app
        .admin_get("/admin/api/audit?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z")
        .await;
    crate::helpers::assert_invalid_field(&inverted, "from");
}
