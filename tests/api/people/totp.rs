//! TOTP (api.md §10.2): enrollment returns the `otpauth://` URI once; after a confirmation with a
//! current code, login requires one — and says so only after a right password.

use awc::http::Method;
use serde_json::json;
use totp_rs::{Algorithm, Builder, Secret};

use super::support::{PASSWORD, Session};
use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_configured};

/// The code an authenticator enrolled from `uri` shows now.
fn current_code(uri: &str) -> String {
    let secret = uri
        .split_once("secret=")
        .and_then(|(_, rest)| rest.split('&').next())
        .expect("a secret parameter");
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    totp.generate_current().to_string()
}

/// Enrolls `session`'s account and confirms a current code (204); the enrollment's URI.
async fn turn_totp_on(app: &TestApp, session: &Session) -> String {
    let enrolled = app
        .session_change_needing_csrf(session, Method::POST, "/auth/totp", 200)
        .await;
    let uri = enrolled.json["otpauthUri"].as_str().unwrap().to_owned();
    let confirm = json!({ "code": current_code(&uri) });
    let res = app
        .session_post(session, "/auth/totp/confirm", &confirm)
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    uri
}

#[actix_web::test]
async fn after_totp_is_confirmed_login_requires_a_current_code_used_once() {
    let app = spawn_app().await;
    let session = app.user_session("ops@example.com", "OPERATOR", None).await;
    let res = app
        .session_change_needing_csrf(&session, Method::POST, "/auth/totp", 200)
        .await;
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let uri = res.json["otpauthUri"].as_str().unwrap().to_owned();
    assert!(
        uri.starts_with("otpauth://totp/SimplePG:ops%40example.com?"),
        "{uri}"
    );

    // Enrolled but not confirmed: login does not ask yet.
    let res = app.login("ops@example.com", PASSWORD, None).await;
    assert_eq!(res.status, 200, "{}", res.text());

    let wrong = app
        .session_post(
            &session,
            "/auth/totp/confirm",
            &json!({ "code": "000000x" }),
        )
        .await;
    assert_problem(&wrong, 400, "VALIDATION_FAILED");
    let res = app
        .session_post(
            &session,
            "/auth/totp/confirm",
            &json!({ "code": current_code(&uri) }),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    let again = app
        .session_change(&session, Method::POST, "/auth/totp", None)
        .await;
    assert_problem(&again, 409, "TOTP_ALREADY_ENABLED");

    let res = app.login("ops@example.com", PASSWORD, None).await;
    assert_problem(&res, 401, "TOTP_REQUIRED");
    let asked = app
        .admin_data("/admin/api/audit?action=TOTP_REQUIRED&actor=ops%40example.com")
        .await;
    assert_eq!(
        asked.len(),
        1,
        "the attempt without a code is audited: {asked:?}"
    );
    assert_eq!(asked[0]["outcome"], "FAILURE");
    assert_eq!(asked[0]["role"], "OPERATOR");
    let res = app
        .login("ops@example.com", "not the password at all", None)
        .await;
    assert_problem(&res, 401, "LOGIN_FAILED");
    let code = current_code(&uri);
    let res = app.login("ops@example.com", PASSWORD, Some(&code)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json["user"]["totpEnabled"], true);

    // A code opens one session (RFC 6238 §5.2): the same one again fails like a wrong one.
    let replayed = app.login("ops@example.com", PASSWORD, Some(&code)).await;
    assert_problem(&replayed, 401, "LOGIN_FAILED");
}

#[actix_web::test]
async fn when_totp_is_required_a_platform_role_may_only_enroll_until_it_confirms_a_code() {
    let app =
        spawn_app_configured(&[("SIMPLEPG__AUTH__REQUIRE_TOTP_FOR_PLATFORM_ROLES", "true")]).await;
    let merchant = app
        .register_merchant("Shop", "https://shop.example/n")
        .await;
    let operator = app.user_session("ops@example.com", "OPERATOR", None).await;
    let me = app.session_get(&operator, "/auth/me").await;
    assert_eq!(me.json["totpEnrollmentRequired"], true, "{}", me.text());
    let held = app.session_get(&operator, "/admin/api/payments").await;
    assert_problem(&held, 403, "TOTP_ENROLLMENT_REQUIRED");

    turn_totp_on(&app, &operator).await;
    let me = app.session_get(&operator, "/auth/me").await;
    assert_eq!(me.json["totpEnrollmentRequired"], false);
    let res = app.session_get(&operator, "/admin/api/payments").await;
    assert_eq!(res.status, 200, "{}", res.text());

    let merchant_user = app
        .user_session(
            "shop@example.com",
            "MERCHANT_VIEWER",
            Some(&merchant.client_id),
        )
        .await;
    let res = app.session_get(&merchant_user, "/admin/api/payments").await;
    assert_eq!(
        res.status,
        200,
        "merchant roles are not held: {}",
        res.text()
    );
}

#[actix_web::test]
async fn of_four_concurrent_logins_with_one_code_exactly_one_gets_in() {
    let app = spawn_app().await;
    let session = app.user_session("ops@example.com", "OPERATOR", None).await;
    let uri = turn_totp_on(&app, &session).await;

    let code = current_code(&uri);
    let answers = futures_util::future::join_all(
        (0..4).map(|_| app.login("ops@example.com", PASSWORD, Some(&code))),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    for res in answers.iter().filter(|r| r.status != 200) {
        assert_problem(res, 401, "LOGIN_FAILED");
    }
}
