//! The CPU work of the hottest requests, reachable without a server: for the instruction-count
//! harness (`crates/hot-path`, docs/benchmarks.md "Instruction counts"). Not an API. Each
//! function is the very code a route runs (no copy), so what the harness counts is what the
//! server executes between reading a request's body and writing its answer, database aside.

use actix_web::{HttpRequest, HttpResponse};
use domain::{
    payment::{AcquirerReport, Payment},
    services::{
        auth::SignedRequest,
        payments::{CreatePayment, WebhookError, WebhookOutcome},
        webhook_auth::WebhookVerifier,
    },
};

use crate::{problem::ApiError, routes};

/// The signing headers and signed parts of a merchant request, as `Signed` hands them to the
/// `Authenticator`.
pub fn signed_request<'a>(req: &'a HttpRequest, body: &'a [u8]) -> SignedRequest<'a> {
    routes::signed::signed(req, body)
}

/// A create body parsed exactly as `POST /api/payments` parses it.
pub fn create_request(req: &HttpRequest, body: &[u8]) -> Result<CreatePayment, ApiError> {
    routes::payments::parse_create(req, body)
}

/// The 201 answer of `POST /api/payments` (`Location` and the `PaymentResponse` body).
pub fn created(payment: &Payment) -> HttpResponse {
    routes::payments::created(payment)
}

/// The Standard Webhooks check of `POST /api/webhook/payment`.
pub fn verify_acquirer_webhook(
    req: &HttpRequest,
    body: &[u8],
    verifier: &WebhookVerifier,
) -> Result<(), ApiError> {
    routes::acquirer_signed::verify(req, body, verifier)
}

/// An acquirer webhook body parsed exactly as `POST /api/webhook/payment` parses it.
pub fn acquirer_report(req: &HttpRequest, body: &[u8]) -> Result<AcquirerReport, ApiError> {
    routes::webhook::parse_report(req, body)
}

/// The answer of `POST /api/webhook/payment` to what the payment service made of the report.
pub fn webhook_answer(
    outcome: Result<WebhookOutcome, WebhookError>,
) -> Result<HttpResponse, ApiError> {
    routes::webhook::answer(outcome)
}
