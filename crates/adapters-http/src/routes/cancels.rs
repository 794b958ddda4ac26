//! Cancels (api.md §9.2): the merchant's, and an operator's on a merchant's behalf (§9.7). Both
//! answer 200 when the cancel is done, 202 while the acquirer has not answered (the cancel stays
//! PENDING and the outbox finishes it), 502 when the acquirer refused it.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use domain::{
    ids::ClientId,
    money::CancelAmount,
    payment::{Actor, CancelReason, Origin},
    people::Action,
    services::payments::{CancelAnswer, CancelRequest},
};
use serde_json::Value;

use super::{guards::Caller, payments::payment_key, signed::Signed};
use crate::{
    annotations::{
        params::{AdminPaymentKeyPath, IdempotencyKeyHeader, PaymentKeyPath},
        problems::{IdempotencyKeyReused, PaymentNotFound},
        schemas::CancelPaymentRequest,
    },
    body::{optional_json_object, valid},
    context::request_id,
    dto::PaymentResponse,
    idempotency::{IDEMPOTENCY_KEY, idempotent},
    problem::{ApiError, ErrorCode, ProblemBody},
    state::AppState,
};

/// The fields a cancel body may carry.
pub(crate) const CANCEL_FIELDS: &[&str] = &["cancelReason", "cancelAmount"];

/// Cancel all or part of a payment (api.md §9.2).
#[utoipa::path(
    post,
    path = "/api/payments/{paymentKey}/cancel",
    operation_id = "cancelPayment",
    security(("X-Client-Id" = [], "X-Timestamp" = [], "X-Nonce" = [], "X-Signature" = [])),
    params(PaymentKeyPath, IdempotencyKeyHeader),
    request_body(content = CancelPaymentRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The cancel is done: the payment is CANCELED or PARTIAL_CANCELED (READY: canceled at once)", body = PaymentResponse),
        (status = 202, description = "The acquirer has not answered yet: the cancel is PENDING (its amount reserved) and is finished by the server", body = PaymentResponse),
        (status = 400, description = "`VALIDATION_FAILED` (e.g. `cancelAmount` below 1, or partial on a READY or APPROVED payment)",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, response = PaymentNotFound),
        (status = 409, description = "`INVALID_STATE_TRANSITION`, `CANCEL_AMOUNT_EXCEEDED`, `CONCURRENT_UPDATE` or `IDEMPOTENCY_KEY_IN_USE`",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, response = IdempotencyKeyReused),
        (status = 502, description = "`ACQUIRER_ERROR`: the acquirer refused the cancel; it is FAILED on the payment and its amount released",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn cancel(
    req: HttpRequest,
    Signed { merchant, body, .. }: Signed,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    idempotent(&req, &body, &state, &merchant.client_id, || async {
        let origin = Origin {
            actor: Actor::Merchant,
            request_id: request_id(&req),
        };
        cancel_payment(
            &req,
            &body,
            &state,
            Some(&merchant.client_id),
            &path,
            origin,
        )
        .await
    })
    .await
}

/// Cancel all or part of any merchant's payment, on its behalf (api.md §9.7; actor `ADMIN`).
#[utoipa::path(
    post,
    path = "/admin/api/payments/{paymentKey}/cancel",
    operation_id = "adminCancelPayment",
    security(("adminToken" = [])),
    params(AdminPaymentKeyPath, IdempotencyKeyHeader),
    request_body(content = CancelPaymentRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The cancel is done", body = PaymentResponse),
        (status = 202, description = "The cancel is PENDING at the acquirer", body = PaymentResponse),
        (status = 400, description = "`VALIDATION_FAILED`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, response = PaymentNotFound),
        (status = 409, description = "`INVALID_STATE_TRANSITION`, `CANCEL_AMOUNT_EXCEEDED`, `CONCURRENT_UPDATE` or `IDEMPOTENCY_KEY_IN_USE`",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, response = IdempotencyKeyReused),
        (status = 502, description = "`ACQUIRER_ERROR`: the acquirer refused the cancel",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn admin_cancel(
    req: HttpRequest,
    caller: Caller<web::Bytes>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::CancelPayment)?;
    let key = payment_key(&path)?;
    let cancel = || async {
        let request = parse_cancel(&req, &caller.inner)?;
        let answer = state
            .payments
            .cancel_for(&caller.principal, &key, request, &caller.origin)
            .await;
        respond(answer.map_err(ApiError::from))
    };
    if req.headers().contains_key(IDEMPOTENCY_KEY) {
        // Keys are kept per merchant: an operator's key is kept under the payment's merchant.
        let payment = state.payments.show(&caller.principal, &key).await?;
        idempotent(&req, &caller.inner, &state, &payment.client_id, cancel).await
    } else {
        cancel().await
    }
}

/// Parses the cancel body and cancels for the merchant.
async fn cancel_payment(
    req: &HttpRequest,
    body: &[u8],
    state: &AppState,
    owner: Option<&ClientId>,
    path: &web::Path<String>,
    origin: Origin,
) -> Result<HttpResponse, ApiError> {
    let request = parse_cancel(req, body)?;
    let key = payment_key(path)?;
    let answer = state
        .payments
        .cancel(owner, &key, request, origin, None)
        .await;
    respond(answer.map_err(ApiError::from))
}

/// Answers 200 or 202 with the payment; counts the answer in
/// `simplepg_cancels_total{path="sync"}` (200 `succeeded`, 202 `accepted`, 502 `failed`).
fn respond(answer: Result<CancelAnswer, ApiError>) -> Result<HttpResponse, ApiError> {
    let outcome = match &answer {
        Ok(CancelAnswer::Done(_)) => Some("succeeded"),
        Ok(CancelAnswer::Accepted(_)) => Some("accepted"),
        Err(e) if e.problem.code == ErrorCode::AcquirerError => Some("failed"),
        Err(_) => None,
    };
    if let Some(outcome) = outcome {
        metrics::counter!("simplepg_cancels_total", "path" => "sync", "outcome" => outcome)
            .increment(1);
    }
    Ok(match answer? {
        CancelAnswer::Done(p) => HttpResponse::Ok().json(PaymentResponse::from(&p)),
        CancelAnswer::Accepted(p) => {
            HttpResponse::build(StatusCode::ACCEPTED).json(PaymentResponse::from(&p))
        }
    })
}

/// `{ "cancelReason": "1..200 chars", "cancelAmount": 1.. (optional) }`.
fn parse_cancel(req: &HttpRequest, body: &[u8]) -> Result<CancelRequest, ApiError> {
    let obj = optional_json_object(req, body, CANCEL_FIELDS)?;
    let mut v = obj.as_ref().map(|o| o.violations()).unwrap_or_default();
    let Some(obj) = obj else {
        v.push("cancelReason", "is required");
        return Err(ApiError::validation(v));
    };
    let reason = obj.parsed("cancelReason", true, &mut v, CancelReason::parse);
    let amount = match obj.value("cancelAmount") {
        None | Some(Value::Null) => None,
        Some(_) => obj
            .integer("cancelAmount", false, &mut v)
            .and_then(|a| v.check("cancelAmount", CancelAmount::parse(a))),
    };
    let reason = valid(v, reason)?;
    Ok(CancelRequest { reason, amount })
}
