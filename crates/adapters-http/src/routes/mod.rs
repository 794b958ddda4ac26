//! The route table.

pub(crate) mod admin;
mod console;
pub(crate) mod deliveries;
mod errors;
pub(crate) mod events;
mod guards;
pub(crate) mod mock;
pub(crate) mod payments;
pub(crate) mod probes;
mod signed;
pub(crate) mod simulator;
pub(crate) mod stats;
pub(crate) mod webhook;

pub use webhook::webhook_guard;

use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, http::header, web};

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

/// A resource answering `GET` with `handler` (405 for the other methods).
pub(crate) fn get<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    resource(path, "GET").route(web::get().to(handler))
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
    cfg.service(get("/health", probes::health))
        .service(get("/ready", probes::ready))
        .service(get("/metrics", probes::metrics))
        .service(
            resource("/api/payments", "GET, POST")
                .route(web::post().to(payments::create))
                .route(web::get().to(payments::list)),
        )
        .service(get("/api/payments/{paymentKey}", payments::get))
        .service(post(
            "/api/payments/{paymentKey}/complete",
            payments::complete,
        ))
        .service(post("/api/payments/{paymentKey}/cancel", payments::cancel))
        .service(get("/api/payments/{paymentKey}/logs", payments::logs))
        .service(post("/api/webhook/payment", webhook::payment_webhook))
        .service(post("/mock/request", mock::request))
        .service(post("/mock/request/cancel", mock::cancel))
        .service(
            resource("/admin/api/merchants", "GET, POST")
                .route(web::post().to(admin::register_merchant))
                .route(web::get().to(admin::list_merchants)),
        )
        .service(get("/admin/api/merchants/{clientId}", admin::show_merchant))
        .service(post(
            "/admin/api/merchants/{clientId}/rotate-secret",
            admin::rotate_secret,
        ))
        .service(post(
            "/admin/api/merchants/{clientId}/rotate-webhook-secret",
            admin::rotate_webhook_secret,
        ))
        .service(get("/admin/api/deliveries", deliveries::list))
        .service(get("/admin/api/deliveries/{deliveryId}", deliveries::show))
        .service(post(
            "/admin/api/deliveries/{deliveryId}/retry",
            deliveries::retry,
        ))
        .service(post(
            "/admin/api/merchants/{clientId}/activate",
            admin::activate,
        ))
        .service(post(
            "/admin/api/merchants/{clientId}/deactivate",
            admin::deactivate,
        ))
        .service(get("/admin/api/payments", admin::search_payments))
        .service(get("/admin/api/payments/{paymentKey}", admin::show_payment))
        .service(get(
            "/admin/api/payments/{paymentKey}/logs",
            admin::payment_logs,
        ))
        .service(get("/admin/api/stats", stats::stats))
        .service(get("/admin/api/events", events::events))
        .service(post("/admin/api/simulator/webhook", simulator::webhook))
        .service(post(
            "/admin/api/simulator/mock-request",
            simulator::mock_request,
        ))
        .service(get("/console", console::redirect))
        .service(get("/console/", console::index))
        .service(get("/console/{file:.+}", console::file));
}

/// Everything else: 404 problem+json.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        "No resource at this path",
    ))
}
