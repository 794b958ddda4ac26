//! The console's files under `/console/`.

use crate::harness::spawn;

#[actix_web::test]
async fn the_console_is_served_with_content_types_and_a_strict_csp() {
    let app = spawn().await;
    let redirect = app.get("/console").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), Some("/console/"));

    let index = app.get("/console/").await;
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = index.header("content-security-policy").unwrap().to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("http"),
        "{csp}"
    );
    assert_eq!(index.header("x-content-type-options"), Some("nosniff"));
    let html = index.text();
    assert!(html.contains(r#"<script type="module" src="js/app.js">"#));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from other origins"
    );

    for (path, content_type) in [
        ("/console/js/app.js", "text/javascript; charset=utf-8"),
        (
            "/console/js/pages/sandbox.js",
            "text/javascript; charset=utf-8",
        ),
        ("/console/js/gate.js", "text/javascript; charset=utf-8"),
        (
            "/console/js/pages/people.js",
            "text/javascript; charset=utf-8",
        ),
        ("/console/console.css", "text/css; charset=utf-8"),
        ("/console/favicon.svg", "image/svg+xml"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status, 200, "{path}");
        assert_eq!(res.header("content-type"), Some(content_type), "{path}");
        assert_eq!(
            res.header("content-security-policy"),
            Some(csp.as_str()),
            "{path}"
        );
        assert!(!res.raw.is_empty(), "{path}");
    }

    let etag = index.header("etag").unwrap().to_owned();
    assert!(etag.starts_with('"'));
    let cached = app
        .get_with_headers("/console/", &[("if-none-match", &etag)])
        .await;
    assert_eq!(cached.status, 304);

    let missing = app.get("/console/js/nope.js").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json["code"], "NOT_FOUND");
    let escape = app.get("/console/../Cargo.toml").await;
    assert_eq!(escape.status, 404);
    app.stop().await;
}

#[actix_web::test]
async fn the_navigation_is_role_aware_and_hides_people_and_merchant_pages_until_signed_in() {
    let app = spawn().await;
    let html = app.get("/console/").await.text();
    // Shown to nobody until a role that may use them signs in (js/roles.js decides).
    for (route, href, need, label) in [
        ("users", "#/users", "users", "Users"),
        ("audit", "#/audit", "audit", "Audit log"),
        ("my", "#/my", "my", "Overview"),
        ("settings", "#/my/settings", "my", "Integration"),
    ] {
        let link = format!(
            r##"<a href="{href}" data-route="{route}" data-need="{need}" hidden>{label}</a>"##
        );
        assert!(html.contains(&link), "{link} in the nav");
    }
    assert!(html.contains(r#"id="alerts""#), "the alert strip");
    let roles_js = app.get("/console/js/roles.js").await.text();
    for rule in [
        "audit: ['ADMIN']",
        "simulator: ['ADMIN', 'OPERATOR']",
        "my: MERCHANT_ROLES",
    ] {
        assert!(roles_js.contains(rule), "{rule} in roles.js");
    }
    let alerts_js = app.get("/console/js/alerts.js").await.text();
    assert!(alerts_js.contains("'/admin/api/deliveries/summary'"));
    let app_js = app.get("/console/js/app.js").await.text();
    for module in ["people", "my", "settings", "merchants", "stats", "account"] {
        assert!(
            app_js.contains(&format!("from './pages/{module}.js';")),
            "{module}.js imported"
        );
    }
    let api_js = app.get("/console/js/api.js").await.text();
    for needle in [
        "'/auth/login'",
        "'/auth/me'",
        "'/auth/logout'",
        "'/auth/totp'",
        "'/auth/totp/confirm'",
        "X-CSRF-Token",
    ] {
        assert!(api_js.contains(needle), "{needle} in api.js");
    }
    app.stop().await;
}
