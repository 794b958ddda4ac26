//! Wire representations (camelCase JSON) of domain objects.

use domain::{
    Timestamp,
    merchant::Merchant,
    outbox::{Delivery, DeliveryAttempt},
    payment::{AuditEntry, Payment},
    services::Page,
};
use serde::Serialize;

fn ts(t: Timestamp) -> String {
    t.to_rfc3339()
}

fn opt_ts(t: Option<Timestamp>) -> Option<String> {
    t.map(ts)
}

/// The payment object of api.md §3.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentResponse {
    payment_key: String,
    client_id: String,
    order_no: String,
    amount: i64,
    currency: String,
    method_code: &'static str,
    status: &'static str,
    product_name: Option<String>,
    customer_name: Option<String>,
    transaction_id: Option<String>,
    failure_code: Option<String>,
    failure_message: Option<String>,
    cancel_reason: Option<String>,
    created_at: String,
    approved_at: Option<String>,
    completed_at: Option<String>,
    canceled_at: Option<String>,
    failed_at: Option<String>,
    expires_at: String,
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
        }
    }
}

/// One `payment_log` row (api.md §3.6).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryResponse {
    log_id: u64,
    action: &'static str,
    from_status: Option<&'static str>,
    status: &'static str,
    actor: &'static str,
    details: Option<String>,
    request_id: Option<String>,
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
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantResponse {
    client_id: String,
    client_name: String,
    return_url: Option<String>,
    status: &'static str,
    created_at: String,
    updated_at: String,
}

impl From<&Merchant> for MerchantResponse {
    fn from(m: &Merchant) -> Self {
        Self {
            client_id: m.client_id.to_string(),
            client_name: m.client_name.as_str().to_owned(),
            return_url: m.return_url.as_ref().map(ToString::to_string),
            status: m.status.as_str(),
            created_at: ts(m.created_at),
            updated_at: ts(m.updated_at),
        }
    }
}

/// A merchant plus secrets shown exactly once (registration, rotation).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantWithSecrets {
    #[serde(flatten)]
    pub merchant: MerchantResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// After a webhook-secret rotation: until when deliveries also carry the old signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_webhook_secret_valid_until: Option<String>,
}

/// `{ "data": [...] }`, plus `hasMore` for paged listings.
#[derive(Serialize)]
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
}

/// One delivery attempt.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptResponse {
    attempt_no: u32,
    started_at: String,
    status_code: Option<u16>,
    latency_ms: u64,
    error: Option<String>,
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

/// An outbound delivery (outbox message) with its attempts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResponse {
    delivery_id: String,
    kind: &'static str,
    event_type: Option<String>,
    status: &'static str,
    client_id: Option<String>,
    payment_id: Option<String>,
    target_url: String,
    payload: String,
    attempt_count: usize,
    attempts: Vec<AttemptResponse>,
    next_attempt_at: Option<String>,
    last_error: Option<String>,
    created_at: String,
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
