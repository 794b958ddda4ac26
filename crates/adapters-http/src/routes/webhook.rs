//! `POST /api/webhook/payment`: the acquirer reports an outcome (api.md §4).

use super::acquirer_signed::{AcquirerSigned, PaymentWebhook};
use crate::{
    annotations::{
        problems::{InvalidStateTransition, PaymentNotFound},
        schemas::AcquirerWebhookRequest,
    },
    body::json_object,
    context::request_id,
    dto::{PaymentResponse, WebhookAck},
    problem::{ApiError, ProblemBody},
    state::AppState,
};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::{
    ids::{PaymentKey, TransactionId},
    payment::{AcquirerReport, FailureCode, FailureMessage, ReportedOutcome},
    services::payments::{WebhookError, WebhookOutcome},
    validation::{Invalid, Violations},
};

/// The fields of an acquirer webhook (api.md §4).
pub(crate) const FIELDS: &[&str] = &[
    "paymentKey",
    "transactionId",
    "status",
    "amount",
    "approvedAt",
    "failureCode",
    "failureMessage",
];

/// An acquirer webhook's body as the server reads it (api.md §4).
pub(crate) fn parse_report(req: &HttpRequest, body: &[u8]) -> Result<AcquirerReport, ApiError> {
    let obj = json_object(req, body, FIELDS)?;
    let mut v = obj.violations();
    let key = obj.parsed("paymentKey", true, &mut v, PaymentKey::parse);
    let tx = obj.parsed("transactionId", true, &mut v, TransactionId::parse);
    let amount = obj.integer("amount", true, &mut v);
    let _approved_at = obj.string("approvedAt", false, &mut v);
    let code = obj.parsed("failureCode", false, &mut v, FailureCode::parse);
    let message = obj.parsed("failureMessage", false, &mut v, FailureMessage::parse);
    let outcome = obj.string("status", true, &mut v).and_then(|s| match s {
        "APPROVED" => Some(ReportedOutcome::Approved),
        "FAILED" => Some(ReportedOutcome::Failed {
            code: code
                .clone()
                .or_else(|| FailureCode::parse("DECLINED").ok())?,
            message: message.clone(),
        }),
        _ => v.check::<ReportedOutcome>("status", Err(Invalid::new("must be APPROVED or FAILED"))),
    });
    let (Some(payment_key), Some(transaction_id), Some(amount), Some(outcome), true) =
        (key, tx, amount, outcome, v.is_empty())
    else {
        return Err(ApiError::validation(if v.is_empty() {
            Violations::single("body", "is invalid")
        } else {
            v
        }));
    };
    Ok(AcquirerReport {
        payment_key,
        transaction_id,
        amount,
        outcome,
    })
}

/// The acquirer reports a payment's outcome (api.md §4). Applied at most once however many
/// times and wherever it is delivered.
#[utoipa::path(
    post,
    path = "/api/webhook/payment",
    operation_id = "acquirerWebhook",
    security(("webhook-id" = [], "webhook-timestamp" = [], "webhook-signature" = [])),
    request_body(content = AcquirerWebhookRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`APPLIED`, or `DUPLICATE`: the same outcome was already applied", body = WebhookAck),
        (status = 404, response = PaymentNotFound),
        (status = 409, response = InvalidStateTransition),
        (status = 422, description = "`AMOUNT_MISMATCH`: the amount differs from the payment's; nothing changes", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn payment_webhook(
    req: HttpRequest,
    AcquirerSigned { body, .. }: AcquirerSigned<PaymentWebhook>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let report = parse_report(&req, &body)?;
    let outcome = state
        .payments
        .apply_acquirer_report(report, request_id(&req))
        .await;
    answer(outcome)
}

/// The answer to an acquirer webhook the payment service has applied (or refused), counted by
/// result.
pub(crate) fn answer(
    outcome: Result<WebhookOutcome, WebhookError>,
) -> Result<HttpResponse, ApiError> {
    let (result, response) = match outcome {
        Ok(WebhookOutcome::Applied(p)) => ("APPLIED", Ok(p)),
        Ok(WebhookOutcome::Duplicate(p)) => ("DUPLICATE", Ok(p)),
        Err(e) => {
            let e = ApiError::from(e);
            (e.problem.code.as_str(), Err(e))
        }
    };
    metrics::counter!("simplepg_acquirer_webhooks_total", "result" => result).increment(1);
    response.map(|payment| {
        HttpResponse::Ok().json(WebhookAck {
            result,
            payment: PaymentResponse::from(&payment),
        })
    })
}
