//! The JSON bodies the server sends (api.md §5, §7), from the same DTOs the API returns.

use domain::{
    Timestamp,
    ids::{ClientId, TransactionId},
    operator::deliveries::TEST_EVENT_TYPE,
    payment::{AcquirerCancel, AcquirerReport, Payment, ReportedOutcome},
    ports::PayloadEncoder,
};
use serde::Serialize;

use crate::dto::PaymentResponse;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AcquirerRequestBody<'a> {
    payment_key: &'a str,
    order_no: &'a str,
    amount: i64,
    currency: &'a str,
    method_code: &'a str,
    product_name: Option<&'a str>,
    customer_name: Option<&'a str>,
    return_url: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AcquirerCancelBody<'a> {
    payment_key: &'a str,
    transaction_id: Option<&'a str>,
    cancel_id: &'a str,
    amount: i64,
    cancel_reason: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AcquirerCaptureBody<'a> {
    payment_key: &'a str,
    transaction_id: Option<&'a str>,
    amount: i64,
}

/// The part of the acquirer's answer to a cancel the server reads.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CancelConfirmation {
    transaction_id: Option<String>,
}

#[derive(Serialize)]
struct MerchantEventBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: String,
    data: PaymentResponse,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestEventData<'a> {
    client_id: &'a str,
    message: &'static str,
}

#[derive(Serialize)]
struct TestEventBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: String,
    data: TestEventData<'a>,
}

/// The acquirer webhook's body (api.md §4): what the simulator and the mock acquirer send.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AcquirerWebhookBody<'a> {
    pub payment_key: &'a str,
    pub transaction_id: &'a str,
    pub status: &'a str,
    pub amount: i64,
    pub approved_at: Option<String>,
    pub failure_code: Option<&'a str>,
    pub failure_message: Option<&'a str>,
}

/// [`PayloadEncoder`] producing compact JSON.
pub struct JsonPayloadEncoder;

pub(crate) fn to_json(value: &impl Serialize) -> String {
    // Serialising these plain structs cannot fail (no maps with non-string keys, no I/O).
    serde_json::to_string(value).unwrap_or_else(|_| String::from("{}"))
}

impl PayloadEncoder for JsonPayloadEncoder {
    fn acquirer_request(&self, p: &Payment, return_url: &str) -> String {
        to_json(&AcquirerRequestBody {
            payment_key: p.key.as_str(),
            order_no: p.order_no.as_str(),
            amount: p.amount.minor_units(),
            currency: p.currency.as_str(),
            method_code: p.method.as_str(),
            product_name: p.product_name.as_ref().map(|n| n.as_str()),
            customer_name: p.customer_name.as_ref().map(|n| n.as_str()),
            return_url,
        })
    }

    fn acquirer_cancel(&self, c: &AcquirerCancel) -> String {
        to_json(&AcquirerCancelBody {
            payment_key: c.payment_key.as_str(),
            transaction_id: c.transaction_id.as_ref().map(|t| t.as_str()),
            cancel_id: c.cancel_id.as_str(),
            amount: c.amount.minor_units(),
            cancel_reason: c.reason.as_str(),
        })
    }

    fn acquirer_capture(&self, p: &Payment) -> String {
        to_json(&AcquirerCaptureBody {
            payment_key: p.key.as_str(),
            transaction_id: p.transaction_id.as_ref().map(|t| t.as_str()),
            amount: p.amount.minor_units(),
        })
    }

    fn cancel_confirmation(&self, body: &str) -> Option<TransactionId> {
        serde_json::from_str::<CancelConfirmation>(body)
            .ok()
            .and_then(|c| c.transaction_id)
            .and_then(|t| TransactionId::parse(&t).ok())
    }

    fn merchant_event(&self, event_type: &str, p: &Payment, at: Timestamp) -> String {
        to_json(&MerchantEventBody {
            kind: event_type,
            timestamp: at.to_rfc3339(),
            data: PaymentResponse::from(p),
        })
    }

    fn test_event(&self, client_id: &ClientId, at: Timestamp) -> String {
        to_json(&TestEventBody {
            kind: TEST_EVENT_TYPE,
            timestamp: at.to_rfc3339(),
            data: TestEventData {
                client_id: client_id.as_str(),
                message: "A test notification from SimplePG: your receiver works.",
            },
        })
    }

    fn acquirer_webhook(&self, r: &AcquirerReport, at: Timestamp) -> String {
        let (status, approved_at, failure_code, failure_message) = match &r.outcome {
            ReportedOutcome::Approved => ("APPROVED", Some(at.to_rfc3339()), None, None),
            ReportedOutcome::Failed { code, message } => (
                "FAILED",
                None,
                Some(code.as_str()),
                message.as_ref().map(|m| m.as_str()),
            ),
        };
        to_json(&AcquirerWebhookBody {
            payment_key: r.payment_key.as_str(),
            transaction_id: r.transaction_id.as_str(),
            status,
            amount: r.amount,
            approved_at,
            failure_code,
            failure_message,
        })
    }
}
