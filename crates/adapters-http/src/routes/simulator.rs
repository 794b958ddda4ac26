//! The acquirer simulator (admin, only where the mock acquirer is enabled):
//! `POST /admin/api/simulator/webhook` and `POST /admin/api/simulator/mock-request`.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{
    ids::{PaymentKey, TransactionId},
    operator::simulator::{AcquirerSimulator, Exchange, SimulatedWebhook},
    payment::{FailureCode, FailureMessage},
    people::Action,
    validation::{Invalid, Violations},
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::guards::Caller;
use crate::{
    annotations::{
        problems::NotFound,
        schemas::{SimulatedMockRequest, SimulatedWebhookRequest},
    },
    body::{json_object, valid},
    problem::{ApiError, ErrorCode, ProblemBody},
    state::AppState,
};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ExchangeSent)]
struct SentRequest<'a> {
    method: &'static str,
    url: &'a str,
    #[schema(value_type = HashMap<String, String>)]
    headers: Map<String, Value>,
    body: &'a str,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ExchangeAnswer)]
struct Answer<'a> {
    /// HTTP status, when a response arrived.
    #[schema(required = true)]
    status: Option<u16>,
    /// The first KiB of the response body.
    #[schema(required = true)]
    body: Option<&'a str>,
    /// Transport error (refused, timeout), when none arrived.
    #[schema(required = true)]
    error: Option<&'a str>,
    latency_ms: u64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Exchange)]
pub(crate) struct ExchangeResponse<'a> {
    request: SentRequest<'a>,
    response: Answer<'a>,
}

fn render(x: &Exchange) -> HttpResponse {
    let headers = x
        .request
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), Value::from(v.as_str())))
        .collect();
    HttpResponse::Ok().json(ExchangeResponse {
        request: SentRequest {
            method: "POST",
            url: &x.request.url,
            headers,
            body: &x.request.body,
        },
        response: Answer {
            status: x.report.status,
            body: x.report.excerpt.as_deref(),
            error: x.report.error.as_deref(),
            latency_ms: u64::try_from(x.report.latency.as_millis()).unwrap_or(u64::MAX),
        },
    })
}

/// 404 where the simulator is off (the handlers' [`Caller`] has checked the credentials first).
fn simulator(state: &AppState) -> Result<&AcquirerSimulator, ApiError> {
    state.simulator.as_ref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "The acquirer simulator is only available where the mock acquirer is enabled",
        )
    })
}

/// The fields of a simulated acquirer webhook.
pub(crate) const WEBHOOK_FIELDS: &[&str] = &[
    "paymentKey",
    "status",
    "amount",
    "transactionId",
    "failureCode",
    "failureMessage",
];

/// The fields of a simulated mock-acquirer request.
pub(crate) const MOCK_REQUEST_FIELDS: &[&str] = &["body"];

fn parse_webhook(req: &HttpRequest, body: &[u8]) -> Result<SimulatedWebhook, ApiError> {
    let obj = json_object(req, body, WEBHOOK_FIELDS)?;
    let mut v = obj.violations();
    let key = obj.parsed("paymentKey", true, &mut v, PaymentKey::parse);
    let approve = obj.string("status", true, &mut v).and_then(|s| match s {
        "APPROVED" => Some(true),
        "FAILED" => Some(false),
        _ => v.check::<bool>("status", Err(Invalid::new("must be APPROVED or FAILED"))),
    });
    let amount = obj.integer("amount", false, &mut v);
    let transaction_id = obj.parsed("transactionId", false, &mut v, TransactionId::parse);
    let failure_code = obj.parsed("failureCode", false, &mut v, FailureCode::parse);
    let failure_message = obj.parsed("failureMessage", false, &mut v, FailureMessage::parse);
    let (payment_key, approve) = valid(v, (key, approve))?;
    Ok(SimulatedWebhook {
        payment_key,
        approve,
        amount,
        transaction_id,
        failure_code,
        failure_message,
    })
}

/// Send a signed acquirer webhook to this server, as the acquirer would, and show the exchange.
#[utoipa::path(
    post,
    path = "/admin/api/simulator/webhook",
    operation_id = "simulateAcquirerWebhook",
    security(("adminToken" = []), ("sessionCookie" = [])),
    request_body(content = SimulatedWebhookRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "What was sent and what came back", body = ExchangeResponse),
        (status = 404, description = "`PAYMENT_NOT_FOUND`, or `NOT_FOUND` where the mock acquirer is off", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn webhook(
    req: HttpRequest,
    caller: Caller<web::Bytes>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::UseSimulator)?;
    let sim = simulator(&state)?;
    let order = parse_webhook(&req, &caller.inner)?;
    let exchange = sim
        .send_webhook(&caller.principal, order, &caller.origin)
        .await?;
    tracing::info!(status = ?exchange.report.status, "simulated acquirer webhook sent");
    Ok(render(&exchange))
}

/// Send a body, signed with the acquirer secret, to the acquirer request URL and show the exchange.
#[utoipa::path(
    post,
    path = "/admin/api/simulator/mock-request",
    operation_id = "simulateMockRequest",
    security(("adminToken" = []), ("sessionCookie" = [])),
    request_body(content = SimulatedMockRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "What was sent and what came back", body = ExchangeResponse),
        (status = 404, response = NotFound),
    ),
)]
pub async fn mock_request(
    req: HttpRequest,
    caller: Caller<web::Bytes>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Action::UseSimulator)?;
    let sim = simulator(&state)?;
    let obj = json_object(&req, &caller.inner, MOCK_REQUEST_FIELDS)?;
    let mut v: Violations = obj.violations();
    // `body` as a string is sent byte for byte; any other JSON value is sent compactly encoded.
    let raw = match obj.value("body") {
        None => {
            v.push("body", "is required");
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    let raw = valid(v, raw)?;
    let exchange = sim
        .send_mock_request(&caller.principal, raw, &caller.origin)
        .await?;
    Ok(render(&exchange))
}
