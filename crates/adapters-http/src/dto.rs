//! Wire representations (camelCase JSON) of domain objects.

use actix_web::{HttpResponse, HttpResponseBuilder, http::header};
use domain::{
    Timestamp,
    merchant::Merchant,
    outbox::{Delivery, DeliveryAttempt},
    payment::{AuditEntry, Cancel, Payment, PaymentStatus},
    services::Page,
};
use serde::Serialize;
use utoipa::ToSchema;

mod people;
mod reconciliation;
mod settlement;

pub use people::{
    MeResponse, OperatorAuditResponse, SessionResponse, TotpEnrollmentResponse, UserResponse,
};
pub use reconciliation::ReconciliationResponse;
pub use settlement::{SettlementResponse, SettlementRunResponse};

use crate::annotations::schemas::{
    ActorName, AuditActionName, CancelStatusName, CurrencyCode, DeliveryStateName,
    MerchantStatusName, MethodCodeName, OutboxKindName, PaymentStatusName, WebhookResult,
};

fn ts(t: Timestamp) -> String {
    t.to_rfc3339()
}

fn opt_ts(t: Option<Timestamp>) -> Option<String> {
    t.map(ts)
}

/// The payment object of api.md §3.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Payment)]
pub struct PaymentResponse {
    /// 64 lower-case hex characters, random.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    payment_key: String,
    client_id: String,
    #[schema(example = "ORDER-1")]
    order_no: String,
    /// Minor units of `currency`.
    #[schema(minimum = 1, maximum = 1_000_000_000, example = 15000)]
    amount: i64,
    #[schema(value_type = CurrencyCode, example = "KRW")]
    currency: String,
    #[schema(value_type = MethodCodeName)]
    method_code: &'static str,
    #[schema(value_type = PaymentStatusName)]
    status: &'static str,
    #[schema(required = true)]
    product_name: Option<String>,
    #[schema(required = true)]
    customer_name: Option<String>,
    /// The acquirer's reference, once it answered.
    #[schema(required = true)]
    transaction_id: Option<String>,
    #[schema(required = true)]
    failure_code: Option<String>,
    #[schema(required = true)]
    failure_message: Option<String>,
    #[schema(required = true)]
    cancel_reason: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime, required = true)]
    approved_at: Option<String>,
    #[schema(format = DateTime, required = true)]
    completed_at: Option<String>,
    #[schema(format = DateTime, required = true)]
    canceled_at: Option<String>,
    #[schema(format = DateTime, required = true)]
    failed_at: Option<String>,
    /// A READY payment expires (EXPIRED) after this.
    #[schema(format = DateTime)]
    expires_at: String,
    /// While APPROVED: the server voids the authorization (CANCELED, `EXPIRE_AUTHORIZATION`)
    /// if the payment is not completed by then; null otherwise.
    #[schema(format = DateTime, required = true)]
    authorization_expires_at: Option<String>,
    /// The sum of the SUCCEEDED cancels.
    #[schema(minimum = 0, example = 0)]
    canceled_amount: i64,
    /// `amount − canceledAmount − (PENDING cancels)`: what a new cancel may still take.
    #[schema(minimum = 0, example = 15000)]
    cancelable_amount: i64,
    /// The payment's cancels, oldest first.
    cancels: Vec<CancelResponse>,
}

/// One cancel of a payment (api.md §9.1).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Cancel)]
pub struct CancelResponse {
    /// `cnl_` and 26 or more characters; sent to the acquirer, which treats it idempotently.
    #[schema(pattern = "^cnl_[A-Za-z0-9_-]{26,60}$")]
    cancel_id: String,
    #[schema(minimum = 1, example = 5000)]
    amount: i64,
    reason: String,
    #[schema(value_type = CancelStatusName)]
    status: &'static str,
    /// The acquirer's reference for the cancel, if it gave one.
    #[schema(required = true)]
    acquirer_transaction_id: Option<String>,
    #[schema(required = true)]
    failure_code: Option<String>,
    #[schema(required = true)]
    failure_message: Option<String>,
    #[schema(format = DateTime)]
    requested_at: String,
    #[schema(format = DateTime, required = true)]
    completed_at: Option<String>,
}

impl From<&Cancel> for CancelResponse {
    fn from(c: &Cancel) -> Self {
        Self {
            cancel_id: c.id.to_string(),
            amount: c.amount.minor_units(),
            reason: c.reason.to_string(),
            status: c.status.as_str(),
            acquirer_transaction_id: c.acquirer_transaction_id.as_ref().map(ToString::to_string),
            failure_code: c.failure_code.as_ref().map(ToString::to_string),
            failure_message: c.failure_message.as_ref().map(ToString::to_string),
            requested_at: ts(c.requested_at),
            completed_at: opt_ts(c.completed_at),
        }
    }
}

impl From<&Payment> for PaymentResponse {
    fn from(p: &Payment) -> Self {
        Self {
            payment_key: p.key.to_string(),
            client_id: p.client_id.to_string(),
            order_no: p.order_no.to_string(),
            amount: p.amount.minor_units(),
            currency: p.currency.to_string(),
            method_code: p.method.as_str(),
            status: p.status.as_str(),
            product_name: p.product_name.as_ref().map(ToString::to_string),
            customer_name: p.customer_name.as_ref().map(ToString::to_string),
            transaction_id: p.transaction_id.as_ref().map(ToString::to_string),
            failure_code: p.failure_code.as_ref().map(ToString::to_string),
            failure_message: p.failure_message.as_ref().map(ToString::to_string),
            cancel_reason: p.cancel_reason.as_ref().map(ToString::to_string),
            created_at: ts(p.created_at),
            approved_at: opt_ts(p.approved_at),
            completed_at: opt_ts(p.completed_at),
            canceled_at: opt_ts(p.canceled_at),
            failed_at: opt_ts(p.failed_at),
            expires_at: ts(p.expires_at),
            authorization_expires_at: (p.status == PaymentStatus::Approved)
                .then_some(p.authorization_expires_at)
                .flatten()
                .map(ts),
            canceled_amount: p.canceled_amount(),
            cancelable_amount: p.cancelable_amount(),
            cancels: p.cancels.list().iter().map(CancelResponse::from).collect(),
        }
    }
}

/// One `payment_log` row (api.md §3.6).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AuditEntry)]
pub struct AuditEntryResponse {
    log_id: u64,
    #[schema(value_type = AuditActionName)]
    action: &'static str,
    /// The status before a transition; null on entries that change nothing or on create.
    #[schema(value_type = Option<PaymentStatusName>, required = true)]
    from_status: Option<&'static str>,
    /// The status after the entry.
    #[schema(value_type = PaymentStatusName)]
    status: &'static str,
    #[schema(value_type = ActorName)]
    actor: &'static str,
    #[schema(required = true)]
    details: Option<String>,
    /// `X-Request-Id` of the request that caused the entry, if any.
    #[schema(required = true)]
    request_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<&AuditEntry> for AuditEntryResponse {
    fn from(e: &AuditEntry) -> Self {
        let r = &e.record;
        Self {
            log_id: e.log_id,
            action: r.action.as_str(),
            from_status: r.from_status.map(|s| s.as_str()),
            status: r.status.as_str(),
            actor: r.actor.as_str(),
            details: r.details.clone(),
            request_id: r.request_id.as_ref().map(ToString::to_string),
            created_at: ts(r.at),
        }
    }
}

/// A merchant as operators see it: never its secrets.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Merchant)]
pub struct MerchantResponse {
    client_id: String,
    client_name: String,
    /// Where notifications go.
    #[schema(required = true)]
    return_url: Option<String>,
    #[schema(value_type = MerchantStatusName)]
    status: &'static str,
    /// The fee charged on each capture, in basis points (api.md §12.1).
    #[schema(minimum = 0, maximum = 10000)]
    fee_rate_bps: u16,
    /// Days from a settlement date to its payout date.
    #[schema(minimum = 0, maximum = 30)]
    settlement_delay_days: u8,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<&Merchant> for MerchantResponse {
    fn from(m: &Merchant) -> Self {
        Self {
            client_id: m.client_id.to_string(),
            client_name: m.client_name.as_str().to_owned(),
            return_url: m.return_url.as_ref().map(ToString::to_string),
            status: m.status.as_str(),
            fee_rate_bps: m.terms.fee_rate.bps(),
            settlement_delay_days: m.terms.delay.days(),
            created_at: ts(m.created_at),
            updated_at: ts(m.updated_at),
        }
    }
}

/// A merchant plus secrets shown exactly once (registration, rotation).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MerchantWithSecrets {
    #[serde(flatten)]
    pub merchant: MerchantResponse,
    /// The HMAC key for signing requests (api.md §2): shown on registration and rotation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_secret: Option<String>,
    /// `whsec_…`: verifies our notifications (api.md §7); shown on registration and
    /// webhook-secret rotation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, pattern = "^whsec_")]
    pub webhook_secret: Option<String>,
    /// After a webhook-secret rotation: until when deliveries also carry the old signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, format = DateTime)]
    pub previous_webhook_secret_valid_until: Option<String>,
    /// After a client-secret rotation with a grace (`graceSeconds` > 0): until when (exclusive)
    /// the old client secret still verifies signed requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, format = DateTime)]
    pub previous_client_secret_valid_until: Option<String>,
}

impl MerchantWithSecrets {
    /// The merchant, no secret yet.
    pub fn of(merchant: &Merchant) -> Self {
        Self {
            merchant: MerchantResponse::from(merchant),
            client_secret: None,
            webhook_secret: None,
            previous_webhook_secret_valid_until: None,
            previous_client_secret_valid_until: None,
        }
    }

    /// The answer, never cached: the secrets are shown this once.
    pub fn shown_once(self, mut response: HttpResponseBuilder) -> HttpResponse {
        response
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(self)
    }
}

/// `{ "data": [...] }`, plus `hasMore` for paged listings.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T: Serialize> {
    pub data: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
}

impl<T: Serialize> ListResponse<T> {
    pub fn page<D>(page: &Page<D>, f: impl Fn(&D) -> T) -> Self {
        Self {
            data: page.items.iter().map(f).collect(),
            has_more: Some(page.has_more),
        }
    }

    /// A page read one row past `limit`: its first `limit` rows, and `hasMore` if there was
    /// another.
    pub fn first<D>(mut rows: Vec<D>, limit: domain::services::Limit, f: impl Fn(&D) -> T) -> Self {
        let limit = limit.get() as usize;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Self {
            data: rows.iter().map(f).collect(),
            has_more: Some(has_more),
        }
    }

    /// An unpaged listing: everything, without `hasMore`.
    pub fn all<D>(items: &[D], f: impl Fn(&D) -> T) -> Self {
        Self {
            data: items.iter().map(f).collect(),
            has_more: None,
        }
    }
}

/// One delivery attempt.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DeliveryAttempt)]
pub struct AttemptResponse {
    attempt_no: u32,
    #[schema(format = DateTime)]
    started_at: String,
    /// The receiver's status, when a response arrived.
    #[schema(required = true)]
    status_code: Option<u16>,
    latency_ms: u64,
    /// Transport error (refused, timeout), when none arrived.
    #[schema(required = true)]
    error: Option<String>,
    /// The first KiB of the response body.
    #[schema(required = true)]
    response_excerpt: Option<String>,
}

impl From<&DeliveryAttempt> for AttemptResponse {
    fn from(a: &DeliveryAttempt) -> Self {
        Self {
            attempt_no: a.attempt_no,
            started_at: ts(a.started_at),
            status_code: a.report.status,
            latency_ms: u64::try_from(a.report.latency.as_millis()).unwrap_or(u64::MAX),
            error: a.report.error.clone(),
            response_excerpt: a.report.excerpt.clone(),
        }
    }
}

/// The outbox backlog a caller may see (api.md §7): PENDING messages due now or retrying, and
/// DEAD ones.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = DeliverySummary)]
pub struct DeliverySummaryResponse {
    /// PENDING and free to send now; stays near 0 while the dispatcher keeps up.
    due: u64,
    /// Seconds the oldest due message has been due.
    #[schema(required = true)]
    oldest_due_age_seconds: Option<u64>,
    /// PENDING after a failed attempt, or queued behind a failing notification of the same
    /// payment: a receiver is down.
    retrying: u64,
    /// Seconds since the oldest retrying message was created.
    #[schema(required = true)]
    oldest_retrying_age_seconds: Option<u64>,
    /// Given up on (DEAD): each waits for a redelivery.
    dead: u64,
}

impl From<&domain::outbox::BacklogReport> for DeliverySummaryResponse {
    fn from(r: &domain::outbox::BacklogReport) -> Self {
        Self {
            due: r.backlog.due,
            oldest_due_age_seconds: r.oldest_due_age_seconds(),
            retrying: r.backlog.retrying,
            oldest_retrying_age_seconds: r.oldest_retrying_age_seconds(),
            dead: r.backlog.dead,
        }
    }
}

/// An outbound delivery (outbox message) with its attempts.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Delivery)]
pub struct DeliveryResponse {
    #[schema(pattern = "^evt_[0-9a-f]{32}$")]
    delivery_id: String,
    #[schema(value_type = OutboxKindName)]
    kind: &'static str,
    #[schema(required = true)]
    event_type: Option<String>,
    #[schema(value_type = DeliveryStateName)]
    status: &'static str,
    #[schema(required = true)]
    client_id: Option<String>,
    #[schema(required = true)]
    payment_id: Option<String>,
    target_url: String,
    /// The exact body sent.
    payload: String,
    attempt_count: usize,
    attempts: Vec<AttemptResponse>,
    #[schema(format = DateTime, required = true)]
    next_attempt_at: Option<String>,
    #[schema(required = true)]
    last_error: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<&Delivery> for DeliveryResponse {
    fn from(d: &Delivery) -> Self {
        let m = &d.message;
        Self {
            delivery_id: m.id.to_string(),
            kind: m.kind.as_str(),
            event_type: m.event_type.clone(),
            status: d.state.as_str(),
            client_id: m.client_id.as_ref().map(ToString::to_string),
            payment_id: m.payment_id.map(|p| p.to_string()),
            target_url: m.target_url.clone(),
            payload: m.payload.clone(),
            attempt_count: d.attempts.len(),
            attempts: d.attempts.iter().map(AttemptResponse::from).collect(),
            next_attempt_at: opt_ts(d.next_attempt_at),
            last_error: d.last_error.clone(),
            created_at: ts(m.created_at),
            updated_at: ts(d.updated_at),
        }
    }
}

/// `200` of `POST /api/webhook/payment` (api.md §4).
#[derive(Serialize, ToSchema)]
pub struct WebhookAck {
    #[schema(value_type = WebhookResult)]
    pub result: &'static str,
    /// The payment after the webhook.
    pub payment: PaymentResponse,
}

/// `GET /health`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "UP")]
    pub status: &'static str,
    pub version: &'static str,
}

/// `GET /ready`.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "READY")]
    pub status: &'static str,
    pub version: &'static str,
    /// The configuration profile (`local`, `test`, `production`).
    pub profile: String,
    pub database: DatabaseReadiness,
}

#[derive(Serialize, ToSchema)]
pub struct DatabaseReadiness {
    #[schema(example = "UP")]
    pub status: &'static str,
    /// `mysql` or `sqlite`.
    pub store: &'static str,
}

/// The mock acquirer's answer to a payment request (api.md §6).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcquirerAccepted {
    pub transaction_id: String,
}

/// The mock acquirer's answer to a cancel (api.md §6).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcquirerCanceled {
    pub transaction_id: String,
    #[schema(example = "CANCELED")]
    pub status: &'static str,
}

/// The (mock) acquirer's answer to a capture.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcquirerCaptured {
    pub transaction_id: String,
    #[schema(example = "CAPTURED")]
    pub status: &'static str,
}
