//! The built-in mock acquirer's HTTP side (api.md §6): `/mock/request`,
//! `/mock/request/cancel` and `/mock/request/capture`, signed by the server with the acquirer
//! secret, and `/mock/settlement-file` (§12.3). The acquirer itself is [`crate::mock`].

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use domain::{services::webhook_auth::WebhookVerifier, validation::Violations};

use super::{
    acquirer_signed::{AcquirerEndpoint, AcquirerSigned},
    payments::ORDER_FIELDS,
};
use crate::{
    annotations::{
        problems::NotFound,
        schemas::{AcquirerCancelRequest, AcquirerCaptureRequest, AcquirerPaymentRequest},
    },
    body::{JsonObject, fields, json_object, valid},
    dto::{AcquirerAccepted, AcquirerCanceled, AcquirerCaptured},
    mock::{self, MockAcquirer, MockError, PaymentRequest},
    problem::{ApiError, ErrorCode, ProblemBody},
    state::AppState,
};

impl From<MockError> for ApiError {
    fn from(e: MockError) -> Self {
        match e {
            MockError::Unavailable(_) => {
                let mut unavailable = ApiError::new(ErrorCode::ServiceUnavailable, e.to_string());
                unavailable.retry_after_secs = Some(1);
                unavailable
            }
            MockError::CancelRefused(_) => {
                ApiError::new(ErrorCode::AcquirerCancelRefused, e.to_string())
            }
            MockError::Repository(r) => r.into(),
        }
    }
}

/// The built-in mock acquirer: 404 where it is off; its requests are signed with the acquirer
/// secret it was given.
pub struct Mock(Arc<MockAcquirer>);

impl AcquirerEndpoint for Mock {
    fn open(state: &AppState) -> Result<(Self, &WebhookVerifier), ApiError> {
        let mock = state
            .mock
            .as_ref()
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No resource at this path"))?;
        Ok((Self(Arc::clone(mock)), &mock.verifier))
    }
}

/// The fields of a payment request to the acquirer: the order's, its key and where the outcome
/// goes (api.md §5).
pub(crate) const REQUEST_FIELDS: [&str; 8] = fields(ORDER_FIELDS, ["paymentKey", "returnUrl"]);

/// The fields of a cancel request to the acquirer (api.md §5).
pub(crate) const CANCEL_FIELDS: &[&str] = &[
    "paymentKey",
    "transactionId",
    "cancelId",
    "amount",
    "cancelReason",
];

/// The fields of a capture request to the acquirer (api.md §9.3).
pub(crate) const CAPTURE_FIELDS: &[&str] = &["paymentKey", "transactionId", "amount"];

/// A cancel or capture: the body's `paymentKey` and `amount` (both required) and what `more`
/// reads of the endpoint's other `allowed` fields, and the payment's whole amount as the mock
/// recorded it (the request's amount for a payment it never saw).
async fn about_payment<T>(
    req: &HttpRequest,
    body: &[u8],
    mock: &MockAcquirer,
    allowed: &[&str],
    more: impl FnOnce(&JsonObject, &mut Violations) -> T,
) -> Result<(domain::ids::PaymentKey, i64, i64, T), ApiError> {
    let obj = json_object(req, body, allowed)?;
    let mut v = Violations::new();
    // The mock books what it carries out under the payment's key: it must be one.
    let key = obj.parsed("paymentKey", true, &mut v, domain::ids::PaymentKey::parse);
    let amount = obj.integer("amount", true, &mut v);
    if amount.is_some_and(|a| a <= 0) {
        v.push("amount", "must be a positive number of minor units");
    }
    let more = more(&obj, &mut v);
    let (payment_key, amount) = valid(v, (key, amount))?;
    let payment_amount = mock.payment_amount(&payment_key).await?.unwrap_or(amount);
    Ok((payment_key, amount, payment_amount, more))
}

/// The server asks the (mock) acquirer to process a payment; the outcome
/// follows by webhook to `returnUrl`, chosen by the amount's last three digits (api.md §6).
#[utoipa::path(
    post,
    path = "/mock/request",
    operation_id = "mockAcquirerRequest",
    security(("webhook-id" = [], "webhook-timestamp" = [], "webhook-signature" = [])),
    request_body(content = AcquirerPaymentRequest, content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted; the webhook follows", body = AcquirerAccepted),
        (status = 404, response = NotFound),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: the simulated outage of amounts ending in 005 \
            (the first two requests per payment), or the database is unreachable",
            body = ProblemBody, content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "Seconds to wait before retrying"))),
    ),
)]
pub async fn request(
    req: HttpRequest,
    AcquirerSigned {
        body,
        endpoint: Mock(mock),
    }: AcquirerSigned<Mock>,
) -> Result<HttpResponse, ApiError> {
    let obj = json_object(&req, &body, &REQUEST_FIELDS)?;
    let mut v = Violations::new();
    let key = obj.string("paymentKey", true, &mut v).map(str::to_owned);
    let amount = obj.integer("amount", true, &mut v);
    let return_url = obj.string("returnUrl", true, &mut v).map(str::to_owned);
    let (payment_key, amount, return_url) = valid(v, (key, amount, return_url))?;
    let transaction_id = mock
        .request(&PaymentRequest {
            payment_key,
            amount,
            return_url,
        })
        .await?;
    Ok(HttpResponse::Accepted().json(AcquirerAccepted { transaction_id }))
}

/// The server asks the (mock) acquirer to cancel (part of) a transaction, idempotently by
/// `cancelId` (api.md §9.5).
#[utoipa::path(
    post,
    path = "/mock/request/cancel",
    operation_id = "mockAcquirerCancel",
    security(("webhook-id" = [], "webhook-timestamp" = [], "webhook-signature" = [])),
    request_body(content = AcquirerCancelRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Canceled", body = AcquirerCanceled),
        (status = 404, response = NotFound),
        (status = 422, description = "`ACQUIRER_CANCEL_REFUSED`: the transaction cannot be canceled (payments whose amount ends in 007), or not by this much",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: the simulated outage of payments whose amount ends in 008 (the first two calls per cancel)",
            body = ProblemBody, content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "Seconds to wait before retrying"))),
    ),
)]
pub async fn cancel(
    req: HttpRequest,
    AcquirerSigned {
        body,
        endpoint: Mock(mock),
    }: AcquirerSigned<Mock>,
) -> Result<HttpResponse, ApiError> {
    let optional = |obj: &JsonObject, field, v: &mut Violations| {
        obj.string(field, false, v).map(str::to_owned)
    };
    let about = about_payment(&req, &body, &mock, CANCEL_FIELDS, |obj, v| {
        (
            optional(obj, "cancelId", v),
            optional(obj, "transactionId", v),
        )
    })
    .await?;
    let (payment_key, amount, payment_amount, (cancel_id, transaction_id)) = about;
    let request = mock::CancelRequest {
        payment_key,
        transaction_id,
        cancel_id,
        amount,
        payment_amount,
    };
    let (transaction_id, carried_out) = mock.books.cancel(&request, mock.clock.now()).await?;
    if carried_out && mock::Books::answers_late(&request) {
        tokio::time::sleep(mock.slow_cancel_delay).await;
    }
    Ok(HttpResponse::Ok().json(AcquirerCanceled {
        transaction_id,
        status: "CANCELED",
    }))
}

/// The server asks the (mock) acquirer to capture a completed payment (api.md §9.3).
#[utoipa::path(
    post,
    path = "/mock/request/capture",
    operation_id = "mockAcquirerCapture",
    security(("webhook-id" = [], "webhook-timestamp" = [], "webhook-signature" = [])),
    request_body(content = AcquirerCaptureRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Captured", body = AcquirerCaptured),
        (status = 404, response = NotFound),
        (status = 503, description = "`SERVICE_UNAVAILABLE`: the simulated outage of amounts ending in 005 (the first two captures per payment)",
            body = ProblemBody, content_type = "application/problem+json",
            headers(("Retry-After" = i64, description = "Seconds to wait before retrying"))),
    ),
)]
pub async fn capture(
    req: HttpRequest,
    AcquirerSigned {
        body,
        endpoint: Mock(mock),
    }: AcquirerSigned<Mock>,
) -> Result<HttpResponse, ApiError> {
    let (payment_key, amount, payment_amount, ()) =
        about_payment(&req, &body, &mock, CAPTURE_FIELDS, |_, _| ()).await?;
    mock.books
        .capture(
            &mock::CaptureRequest {
                payment_key: payment_key.clone(),
                amount,
                payment_amount,
            },
            mock.clock.now(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(AcquirerCaptured {
        transaction_id: mock::transaction_id(payment_key.as_str()),
        status: "CAPTURED",
    }))
}

/// One line of the settlement file; the column order is the field order (docs/api.md).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FileRow<'a> {
    transaction_id: &'a str,
    payment_key: String,
    #[serde(rename = "type")]
    line_type: &'static str,
    amount: i64,
    at: String,
}

/// The (mock) acquirer's settlement file of a date: every capture and every cancel of a captured
/// payment it booked that day, as CSV (api.md §12.3). Served to a request signed with the
/// acquirer secret over its query string (`date=YYYY-MM-DD`), as the server's reconciliation
/// sends it, or to an ADMIN (the admin token or an ADMIN's session).
#[utoipa::path(
    get,
    path = "/mock/settlement-file",
    operation_id = "mockSettlementFile",
    security(("webhook-id" = [], "webhook-timestamp" = [], "webhook-signature" = []), ("adminToken" = [])),
    params(("date" = String, Query, description = "The settlement date, YYYY-MM-DD", pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
    responses(
        (status = 200, description = "`text/csv; charset=utf-8`, a header row `transactionId,paymentKey,type,amount,at`, then one row per capture (amount positive) and cancel (amount negative) in time order", content_type = "text/csv"),
        (status = 400, description = "`VALIDATION_FAILED`: no or a malformed `date`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "Neither a valid acquirer signature nor the admin's credentials", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, response = NotFound),
    ),
)]
pub async fn settlement_file(
    req: HttpRequest,
    caller: Option<super::guards::Caller>,
    state: actix_web::web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (Mock(mock), verifier) = Mock::open(&state)?;
    let admin = caller.is_some_and(|c| {
        c.principal
            .may(domain::people::Action::Reconcile, None)
            .is_ok()
    });
    if !admin {
        super::acquirer_signed::verify(&req, req.query_string().as_bytes(), verifier)?;
    }
    let mut v = Violations::new();
    let mut date = None;
    for (name, value) in crate::body::query_pairs(&req, &["date"])? {
        date = v.check(&name, domain::settlement::SettlementDate::parse(&value));
    }
    if date.is_none() && v.is_empty() {
        v.push("date", "is required");
    }
    v.into_result().map_err(ApiError::validation)?;
    let Some(date) = date else {
        return Err(ApiError::field("date", "is required"));
    };
    let lines = mock.books.settlement_file(&mock.calendar.day(date)).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    if lines.is_empty() {
        // `serialize` writes the header with the first row; an empty day is the header alone.
        out.write_record(["transactionId", "paymentKey", "type", "amount", "at"])
            .map_err(ApiError::internal)?;
    }
    for l in &lines {
        out.serialize(FileRow {
            transaction_id: l.transaction_id.as_str(),
            payment_key: l.payment_key.to_string(),
            line_type: l.line_type.as_str(),
            amount: l.amount,
            at: l.at.to_rfc3339(),
        })
        .map_err(ApiError::internal)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| ApiError::internal(e.into_error()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"settlement-{date}.csv\""),
        ))
        .body(body))
}
