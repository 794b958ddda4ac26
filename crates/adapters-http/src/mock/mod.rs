//! The built-in mock acquirer (api.md §6): plays the external payment module on
//! `/mock/request` and `/mock/request/cancel`.
//!
//! Its webhooks go through the server's durable outbox (kind `ACQUIRER_WEBHOOK`, due after the
//! scenario's delay), so they survive a busy or restarted server and are retried like any other
//! delivery. Only the "503 twice" counter is in memory: after a restart such a payment gets two
//! more 503s, which the server's retries absorb. See docs/adr/0009-mock-acquirer.md.

mod scenario;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{
    Timestamp,
    outbox::{OutboxKind, OutboxMessage},
    ports::{Clock, DispatchSignal, KeyGenerator, OutboxStore},
    services::webhook_auth::WebhookVerifier,
    signing::sha256_hex,
    validation::Violations,
};
pub use scenario::Scenario;
use serde::Serialize;

use crate::{
    body::json_object,
    dto::{AcquirerAccepted, AcquirerCanceled},
    openapi::{
        problems::NotFound,
        schemas::{AcquirerCancelRequest, AcquirerPaymentRequest},
    },
    problem::{ApiError, ErrorCode, ProblemBody},
    routes::webhook_guard,
    state::AppState,
};

/// The mock's configuration and the ports it writes through.
pub struct MockAcquirer {
    pub outbox: Arc<dyn OutboxStore>,
    pub keys: Arc<dyn KeyGenerator>,
    pub clock: Arc<dyn Clock>,
    pub signal: Arc<dyn DispatchSignal>,
    /// Verifies the server's signature on requests to the mock (the acquirer secret).
    pub verifier: WebhookVerifier,
    pub delay: Duration,
    pub slow_delay: Duration,
    /// How many times each payment key was refused with 503 (scenario `…005`).
    refusals: Mutex<HashMap<String, u32>>,
}

impl MockAcquirer {
    pub fn new(
        outbox: Arc<dyn OutboxStore>,
        keys: Arc<dyn KeyGenerator>,
        clock: Arc<dyn Clock>,
        signal: Arc<dyn DispatchSignal>,
        verifier: WebhookVerifier,
        delay: Duration,
        slow_delay: Duration,
    ) -> Self {
        Self {
            outbox,
            keys,
            clock,
            signal,
            verifier,
            delay,
            slow_delay,
            refusals: Mutex::new(HashMap::new()),
        }
    }

    /// True while a `…005` payment should still be refused.
    fn refuse(&self, payment_key: &str) -> bool {
        let Ok(mut map) = self.refusals.lock() else {
            return false;
        };
        let n = map.entry(payment_key.to_owned()).or_insert(0);
        *n += 1;
        *n <= 2
    }
}

/// The acquirer's transaction id for a payment: derived from the key, so a retried request gets
/// the same id (and its webhook is then a duplicate, not a conflicting second outcome).
pub fn transaction_id(payment_key: &str) -> String {
    format!("mtx_{}", &sha256_hex(payment_key.as_bytes())[..24])
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookBody<'a> {
    payment_key: &'a str,
    transaction_id: &'a str,
    status: &'a str,
    amount: i64,
    approved_at: Option<String>,
    failure_code: Option<&'a str>,
    failure_message: Option<&'a str>,
}

fn mock(state: &AppState) -> Result<&MockAcquirer, ApiError> {
    state
        .mock
        .as_deref()
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No resource at this path"))
}

/// The fields of a payment request to the acquirer (api.md §5).
pub(crate) const REQUEST_FIELDS: &[&str] = &[
    "paymentKey",
    "orderNo",
    "amount",
    "currency",
    "methodCode",
    "productName",
    "customerName",
    "returnUrl",
];

/// The fields of a cancel request to the acquirer (api.md §5).
pub(crate) const CANCEL_FIELDS: &[&str] =
    &["paymentKey", "transactionId", "amount", "cancelReason"];

/// The server asks the (mock) acquirer to process a payment; the outcome
/// follows by webhook to `returnUrl`, chosen by the amount's last three digits (api.md §6).
#[utoipa::path(
    post,
    path = "/mock/request",
    tag = "Mock acquirer",
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
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mock = mock(&state)?;
    webhook_guard(&req, &body, &mock.verifier)?;
    let obj = json_object(&req, &body, REQUEST_FIELDS)?;
    let mut v = Violations::new();
    let key = obj.string("paymentKey", true, &mut v).map(str::to_owned);
    let amount = obj.integer("amount", true, &mut v);
    let return_url = obj.string("returnUrl", true, &mut v).map(str::to_owned);
    let (Some(key), Some(amount), Some(return_url), true) = (key, amount, return_url, v.is_empty())
    else {
        return Err(ApiError::validation(v));
    };
    let scenario = Scenario::for_amount(amount);
    if scenario == Scenario::UnavailableTwice && mock.refuse(&key) {
        let mut e = ApiError::new(
            ErrorCode::ServiceUnavailable,
            "mock acquirer: temporarily unavailable (scenario …005)",
        );
        e.retry_after_secs = Some(1);
        return Err(e);
    }
    let tx = transaction_id(&key);
    let now = mock.clock.now();
    let approved = |reported: i64, at: Timestamp| WebhookBody {
        payment_key: &key,
        transaction_id: &tx,
        status: "APPROVED",
        amount: reported,
        approved_at: Some(at.to_rfc3339()),
        failure_code: None,
        failure_message: None,
    };
    let (bodies, delay): (Vec<WebhookBody<'_>>, Duration) = match scenario {
        Scenario::Decline => (
            vec![WebhookBody {
                payment_key: &key,
                transaction_id: &tx,
                status: "FAILED",
                amount,
                approved_at: None,
                failure_code: Some("CARD_DECLINED"),
                failure_message: Some("The card was declined (mock scenario …001)"),
            }],
            mock.delay,
        ),
        Scenario::LostWebhook => (Vec::new(), mock.delay),
        Scenario::DuplicateWebhook => (
            vec![
                approved(amount, now.plus(mock.delay)),
                approved(amount, now.plus(mock.delay)),
            ],
            mock.delay,
        ),
        Scenario::Slow => (
            vec![approved(amount, now.plus(mock.slow_delay))],
            mock.slow_delay,
        ),
        Scenario::AmountMismatch => (vec![approved(amount + 1, now.plus(mock.delay))], mock.delay),
        Scenario::UnavailableTwice | Scenario::CancelRefused | Scenario::Approve => {
            (vec![approved(amount, now.plus(mock.delay))], mock.delay)
        }
    };
    let due = now.plus(delay);
    let messages: Vec<OutboxMessage> = bodies
        .iter()
        .map(|b| OutboxMessage {
            id: mock.keys.event_id(),
            kind: OutboxKind::AcquirerWebhook,
            payment_id: None,
            client_id: None,
            event_type: Some(format!("mock.{}", b.status.to_ascii_lowercase())),
            target_url: return_url.clone(),
            payload: serde_json::to_string(b).unwrap_or_default(),
            created_at: now,
            not_before: due,
        })
        .collect();
    if !messages.is_empty() {
        mock.outbox.enqueue(&messages).await?;
        mock.signal.wake();
    }
    Ok(HttpResponse::Accepted().json(AcquirerAccepted { transaction_id: tx }))
}

/// The server asks the (mock) acquirer to cancel a transaction.
#[utoipa::path(
    post,
    path = "/mock/request/cancel",
    tag = "Mock acquirer",
    operation_id = "mockAcquirerCancel",
    security(("webhook-id" = [], "webhook-timestamp" = [], "webhook-signature" = [])),
    request_body(content = AcquirerCancelRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Canceled", body = AcquirerCanceled),
        (status = 404, response = NotFound),
        (status = 422, description = "`ACQUIRER_CANCEL_REFUSED`: the transaction cannot be canceled (amounts ending in 007)",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn cancel(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mock = mock(&state)?;
    webhook_guard(&req, &body, &mock.verifier)?;
    let obj = json_object(&req, &body, CANCEL_FIELDS)?;
    let mut v = Violations::new();
    let key = obj.string("paymentKey", true, &mut v).map(str::to_owned);
    let amount = obj.integer("amount", true, &mut v);
    let tx = obj
        .string("transactionId", false, &mut v)
        .map(str::to_owned);
    let (Some(key), Some(amount), true) = (key, amount, v.is_empty()) else {
        return Err(ApiError::validation(v));
    };
    if Scenario::for_amount(amount) == Scenario::CancelRefused {
        return Err(ApiError::new(
            ErrorCode::AcquirerCancelRefused,
            "mock acquirer: this transaction cannot be canceled (scenario …007)",
        ));
    }
    let tx = tx.unwrap_or_else(|| transaction_id(&key));
    Ok(HttpResponse::Ok().json(AcquirerCanceled {
        transaction_id: tx,
        status: "CANCELED",
    }))
}
