//! The route table.

pub(crate) mod acquirer_signed;
pub(crate) mod admin;
pub(crate) mod audit_log;
pub(crate) mod auth;
pub(crate) mod cancels;
mod console;
pub(crate) mod deliveries;
mod errors;
pub(crate) mod events;
pub(crate) mod export;
mod guards;
pub(crate) mod merchants;
pub(crate) mod mock;
pub(crate) mod operator_calls;
pub(crate) mod payments;
pub(crate) mod probes;
pub(crate) mod reconciliations;
pub(crate) mod settlements;
pub(crate) mod signed;
pub(crate) mod simulator;
pub(crate) mod stats;
pub(crate) mod users;
pub(crate) mod webhook;

use actix_web::{
    FromRequest, Handler, HttpResponse, Resource, Responder, Route, guard, http::header, web,
};

use crate::problem::{ApiError, ErrorCode};

/// A resource whose unmatched methods get 405 problem+json with an `Allow` header.
pub(crate) fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        let mut res: HttpResponse = actix_web::ResponseError::error_response(&ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("Allowed methods: {allow}"),
        ));
        if let Ok(v) = header::HeaderValue::from_str(allow) {
            res.headers_mut().insert(header::ALLOW, v);
        }
        res
    }))
}

/// A route for `GET` and `HEAD` (the same answer without its body: actix leaves the body of a
/// `HEAD` answer unsent), as every general-purpose server serves both (RFC 9110 §9.1).
fn read() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A resource answering `GET` and `HEAD` with `handler` (405 for the other methods).
pub(crate) fn get<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    resource(path, "GET, HEAD").route(read().to(handler))
}

/// A resource answering `POST` with `handler` (405 for the other methods).
fn post<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    resource(path, "POST").route(web::post().to(handler))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    for resource in table() {
        cfg.service(resource);
    }
}

/// Every route: its path, its methods and their handlers.
fn table() -> Vec<Resource> {
    vec![
        get("/health", probes::health),
        get("/ready", probes::ready),
        get("/metrics", probes::metrics),
        resource("/api/payments", "GET, HEAD, POST")
            .route(web::post().to(payments::create))
            .route(read().to(payments::list)),
        get("/api/payments/{paymentKey}", payments::get),
        post("/api/payments/{paymentKey}/complete", payments::complete),
        post("/api/payments/{paymentKey}/cancel", cancels::cancel),
        get("/api/payments/{paymentKey}/logs", payments::logs),
        post("/api/webhook/payment", webhook::payment_webhook),
        post("/mock/request", mock::request),
        post("/mock/request/cancel", mock::cancel),
        post("/mock/request/capture", mock::capture),
        get("/mock/settlement-file", mock::settlement_file),
        resource("/admin/api/merchants", "GET, HEAD, POST")
            .route(web::post().to(merchants::register_merchant))
            .route(read().to(merchants::list_merchants)),
        resource("/admin/api/merchants/{clientId}", "GET, HEAD, PATCH")
            .route(read().to(merchants::show_merchant))
            .route(web::patch().to(merchants::update_merchant)),
        post(
            "/admin/api/merchants/{clientId}/rotate-secret",
            merchants::rotate_secret,
        ),
        post(
            "/admin/api/merchants/{clientId}/rotate-webhook-secret",
            merchants::rotate_webhook_secret,
        ),
        get("/admin/api/deliveries", deliveries::list),
        get("/admin/api/deliveries/summary", deliveries::summary),
        post("/admin/api/settlements/run", settlements::run),
        get("/admin/api/settlements", settlements::list),
        get(
            "/admin/api/settlements/{settlementId}/lines.csv",
            settlements::lines_csv,
        ),
        get("/admin/api/settlements/{settlementId}", settlements::show),
        resource("/admin/api/reconciliations", "GET, HEAD, POST")
            .route(web::post().to(reconciliations::run))
            .route(read().to(reconciliations::list)),
        get(
            "/admin/api/reconciliations/{reconciliationId}",
            reconciliations::show,
        ),
        get("/admin/api/deliveries/{deliveryId}", deliveries::show),
        post(
            "/admin/api/deliveries/{deliveryId}/retry",
            deliveries::retry,
        ),
        post(
            "/admin/api/merchants/{clientId}/test-notification",
            deliveries::send_test,
        ),
        post(
            "/admin/api/merchants/{clientId}/activate",
            merchants::activate,
        ),
        post(
            "/admin/api/merchants/{clientId}/deactivate",
            merchants::deactivate,
        ),
        get("/admin/api/payments", admin::search_payments),
        get("/admin/api/payments/export.csv", export::export),
        get("/admin/api/payments/{paymentKey}", admin::show_payment),
        get("/admin/api/payments/{paymentKey}/logs", admin::payment_logs),
        post(
            "/admin/api/payments/{paymentKey}/cancel",
            cancels::admin_cancel,
        ),
        get("/admin/api/stats", stats::stats),
        // A stream: `GET` only (a `HEAD` would hold a stream open to send nothing).
        resource("/admin/api/events", "GET").route(web::get().to(events::events)),
        post("/admin/api/simulator/webhook", simulator::webhook),
        post("/admin/api/simulator/mock-request", simulator::mock_request),
        resource("/admin/api/users", "GET, HEAD, POST")
            .route(web::post().to(users::create))
            .route(read().to(users::list)),
        resource("/admin/api/users/{userId}", "GET, HEAD, PATCH")
            .route(read().to(users::show))
            .route(web::patch().to(users::change)),
        get("/admin/api/audit", audit_log::list),
        post("/auth/login", auth::login),
        post("/auth/logout", auth::logout),
        get("/auth/me", auth::me),
        post("/auth/totp", auth::enroll_totp),
        post("/auth/totp/confirm", auth::confirm_totp),
        get("/console", console::redirect),
        get("/console/", console::index),
        get("/console/{file:.+}", console::file),
    ]
}

/// Everything else: 404 problem+json.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        "No resource at this path",
    ))
}
