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

use actix_web::{HttpResponse, Resource, http::header, web};

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

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health", "GET").route(web::get().to(probes::health)))
        .service(resource("/ready", "GET").route(web::get().to(probes::ready)))
        .service(resource("/metrics", "GET").route(web::get().to(probes::metrics)))
        .service(
            resource("/api/payments", "GET, POST")
                .route(web::post().to(payments::create))
                .route(web::get().to(payments::list)),
        )
        .service(resource("/api/payments/{paymentKey}", "GET").route(web::get().to(payments::get)))
        .service(
            resource("/api/payments/{paymentKey}/complete", "POST")
                .route(web::post().to(payments::complete)),
        )
        .service(
            resource("/api/payments/{paymentKey}/cancel", "POST")
                .route(web::post().to(payments::cancel)),
        )
        .service(
            resource("/api/payments/{paymentKey}/logs", "GET").route(web::get().to(payments::logs)),
        )
        .service(
            resource("/api/webhook/payment", "POST")
                .route(web::post().to(webhook::payment_webhook)),
        )
        .service(resource("/mock/request", "POST").route(web::post().to(mock::request)))
        .service(resource("/mock/request/cancel", "POST").route(web::post().to(mock::cancel)))
        .service(
            resource("/admin/api/merchants", "GET, POST")
                .route(web::post().to(admin::register_merchant))
                .route(web::get().to(admin::list_merchants)),
        )
        .service(
            resource("/admin/api/merchants/{clientId}", "GET")
                .route(web::get().to(admin::show_merchant)),
        )
        .service(
            resource("/admin/api/merchants/{clientId}/rotate-secret", "POST")
                .route(web::post().to(admin::rotate_secret)),
        )
        .service(
            resource(
                "/admin/api/merchants/{clientId}/rotate-webhook-secret",
                "POST",
            )
            .route(web::post().to(admin::rotate_webhook_secret)),
        )
        .service(resource("/admin/api/deliveries", "GET").route(web::get().to(deliveries::list)))
        .service(
            resource("/admin/api/deliveries/{deliveryId}", "GET")
                .route(web::get().to(deliveries::show)),
        )
        .service(
            resource("/admin/api/deliveries/{deliveryId}/retry", "POST")
                .route(web::post().to(deliveries::retry)),
        )
        .service(
            resource("/admin/api/merchants/{clientId}/activate", "POST")
                .route(web::post().to(admin::activate)),
        )
        .service(
            resource("/admin/api/merchants/{clientId}/deactivate", "POST")
                .route(web::post().to(admin::deactivate)),
        )
        .service(
            resource("/admin/api/payments", "GET").route(web::get().to(admin::search_payments)),
        )
        .service(
            resource("/admin/api/payments/{paymentKey}", "GET")
                .route(web::get().to(admin::show_payment)),
        )
        .service(
            resource("/admin/api/payments/{paymentKey}/logs", "GET")
                .route(web::get().to(admin::payment_logs)),
        )
        .service(resource("/admin/api/stats", "GET").route(web::get().to(stats::stats)))
        .service(resource("/admin/api/events", "GET").route(web::get().to(events::events)))
        .service(
            resource("/admin/api/simulator/webhook", "POST")
                .route(web::post().to(simulator::webhook)),
        )
        .service(
            resource("/admin/api/simulator/mock-request", "POST")
                .route(web::post().to(simulator::mock_request)),
        )
        .service(resource("/console", "GET").route(web::get().to(console::redirect)))
        .service(resource("/console/", "GET").route(web::get().to(console::index)))
        .service(resource("/console/{file:.+}", "GET").route(web::get().to(console::file)));
}

/// Everything else: 404 problem+json.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        "No resource at this path",
    ))
}
