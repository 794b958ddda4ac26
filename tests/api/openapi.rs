//! The OpenAPI document (`GET /api/openapi.json`) and its rendered reference (`/api/docs/`).

use crate::helpers::{assert_json_content_type, spawn_app};

#[actix_web::test]
async fn the_openapi_document_is_served_without_authentication() {
    let app = spawn_app().await;

    let res = app.get("/api/openapi.json").await;

    assert_eq!(res.status, 200, "{}", res.text());
    assert_json_content_type(&res);
    assert_eq!(res.json["openapi"], "3.1.0");
    for path in [
        "/api/payments",
        "/api/payments/{paymentKey}/cancel",
        "/api/webhook/payment",
        "/mock/request",
        "/admin/api/merchants",
        "/health",
    ] {
        assert!(res.json["paths"][path].is_object(), "{path} is documented");
    }
    let schemes = &res.json["components"]["securitySchemes"];
    for scheme in ["X-Client-Id", "X-Timestamp", "X-Nonce", "X-Signature"] {
        assert_eq!(schemes[scheme]["in"], "header", "{scheme}");
        assert_eq!(schemes[scheme]["name"], scheme);
    }
    assert_eq!(schemes["adminToken"]["scheme"], "bearer");
}

#[actix_web::test]
async fn the_served_document_is_the_committed_one() {
    let app = spawn_app().await;

    let res = app.get("/api/openapi.json").await;

    let committed = include_str!("../../docs/openapi.json");
    assert!(
        res.raw == committed.as_bytes(),
        "docs/openapi.json is stale: UPDATE_OPENAPI=1 cargo test -p adapters-http openapi"
    );
}

#[actix_web::test]
async fn the_reference_page_and_its_assets_are_served_from_the_binary() {
    let app = spawn_app().await;

    let page = app.get("/api/docs/").await;
    let initializer = app.get("/api/docs/swagger-initializer.js").await;
    let script = app.get("/api/docs/swagger-ui-bundle.js").await;

    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html"))
    );
    assert!(page.text().contains("swagger-ui"), "{}", page.text());
    assert_eq!(initializer.status, 200);
    assert!(
        initializer.text().contains("/api/openapi.json"),
        "the page loads our document: {}",
        initializer.text()
    );
    assert_eq!(script.status, 200);
    assert!(script.raw.len() > 100_000, "the bundled Swagger UI script");
}

#[actix_web::test]
async fn the_reference_page_without_its_slash_redirects_to_it() {
    let app = spawn_app().await;
    let client = awc::Client::builder().disable_redirects().finish();

    let res = client
        .get(format!("{}/api/docs", app.base_url))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status().as_u16(), 308);
    assert_eq!(res.headers().get("location").unwrap(), "/api/docs/");
}

#[actix_web::test]
async fn an_unknown_reference_asset_is_a_problem_json_404() {
    let app = spawn_app().await;

    let res = app.get("/api/docs/no-such-file.js").await;

    assert_eq!(res.status, 404);
    assert_eq!(res.code(), "NOT_FOUND", "{}", res.text());
}
