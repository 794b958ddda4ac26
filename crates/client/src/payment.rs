//! The merchant API's request and response bodies (api.md §3), camelCase on the wire. Money is
//! an integer number of the currency's minor units; timestamps are UTC. The enums
//! ([`PaymentStatus`], [`MethodCode`], [`Actor`]) are the domain's own (see `wire.rs`).

pub use domain::payment::{Actor, CancelStatus, MethodCode, PaymentStatus};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// The payment object (api.md §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub payment_key: String,
    pub client_id: String,
    pub order_no: String,
    /// Minor units of `currency` (KRW has none: `15000` is 15,000 won).
    pub amount: i64,
    pub currency: String,
    #[serde(with = "crate::wire::name")]
    pub method_code: MethodCode,
    #[serde(with = "crate::wire::name")]
    pub status: PaymentStatus,
    pub product_name: Option<String>,
    pub customer_name: Option<String>,
    pub transaction_id: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub cancel_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub approved_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub canceled_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub failed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// While APPROVED: when the server voids the authorization unless it is completed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub authorization_expires_at: Option<OffsetDateTime>,
    /// The sum of the SUCCEEDED cancels (api.md §9.1).
    pub canceled_amount: i64,
    /// What a new cancel may still take: `amount − canceledAmount − (PENDING cancels)`.
    pub cancelable_amount: i64,
    /// The payment's cancels, oldest first.
    pub cancels: Vec<Cancel>,
}

/// One cancel of a payment (api.md §9.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cancel {
    /// `cnl_…`: the id the acquirer sees, which makes the cancel idempotent there.
    pub cancel_id: String,
    pub amount: i64,
    pub reason: String,
    #[serde(with = "crate::wire::name")]
    pub status: CancelStatus,
    pub acquirer_transaction_id: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
}

/// The body of `POST /api/payments` (api.md §3.1). Build it with [`CreatePayment::new`] and the
/// `with_*` methods; the server validates every field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePayment {
    /// 1–64 chars of `[A-Za-z0-9_\-:.]`, unique per merchant.
    pub order_no: String,
    /// 1 ..= 1,000,000,000 minor units.
    pub amount: i64,
    /// Upper-case ISO 4217; the server's default is KRW.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(with = "crate::wire::name")]
    pub method_code: MethodCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
}

impl CreatePayment {
    pub fn new(order_no: impl Into<String>, amount: i64, method_code: MethodCode) -> Self {
        Self {
            order_no: order_no.into(),
            amount,
            currency: None,
            method_code,
            product_name: None,
            customer_name: None,
        }
    }

    pub fn with_currency(mut self, currency: impl Into<String>) -> Self {
        self.currency = Some(currency.into());
        self
    }

    pub fn with_product_name(mut self, name: impl Into<String>) -> Self {
        self.product_name = Some(name.into());
        self
    }

    pub fn with_customer_name(mut self, name: impl Into<String>) -> Self {
        self.customer_name = Some(name.into());
        self
    }
}

/// The filters and page of `GET /api/payments` (api.md §3.3); `Default` lists the newest 20.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPayments {
    pub status: Option<PaymentStatus>,
    pub order_no: Option<String>,
    pub created_from: Option<OffsetDateTime>,
    pub created_to: Option<OffsetDateTime>,
    /// 1–100; the server's default is 20.
    pub limit: Option<u8>,
    /// The page after this payment key.
    pub starting_after: Option<String>,
}

impl ListPayments {
    /// The query string (without `?`), percent-encoded; empty when no filter is set.
    pub fn to_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(status) = self.status {
            query.append_pair("status", status.as_str());
        }
        if let Some(order_no) = &self.order_no {
            query.append_pair("orderNo", order_no);
        }
        for (name, at) in [
            ("createdFrom", self.created_from),
            ("createdTo", self.created_to),
        ] {
            if let Some(formatted) = at.and_then(|t| t.format(&Rfc3339).ok()) {
                query.append_pair(name, &formatted);
            }
        }
        if let Some(limit) = self.limit {
            query.append_pair("limit", &limit.to_string());
        }
        if let Some(after) = &self.starting_after {
            query.append_pair("startingAfter", after);
        }
        query.finish()
    }
}

/// One page of `GET /api/payments`, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPage {
    pub data: Vec<Payment>,
    pub has_more: bool,
}

impl PaymentPage {
    /// The same filters for the page after this one, if there is one.
    pub fn next_page(&self, query: &ListPayments) -> Option<ListPayments> {
        let last = self.data.last().filter(|_| self.has_more)?;
        Some(ListPayments {
            starting_after: Some(last.payment_key.clone()),
            ..query.clone()
        })
    }
}

/// One row of a payment's audit trail (api.md §3.6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogEntry {
    pub log_id: u64,
    /// `CREATE`, `APPROVE`, `FAIL`, `COMPLETE`, `CANCEL`, `EXPIRE`, or a non-transition entry
    /// such as `WEBHOOK_DUPLICATE` (an open set, hence a string).
    pub action: String,
    #[serde(with = "crate::wire::optional_name", default)]
    pub from_status: Option<PaymentStatus>,
    #[serde(with = "crate::wire::name")]
    pub status: PaymentStatus,
    #[serde(with = "crate::wire::name")]
    pub actor: Actor,
    pub details: Option<String>,
    pub request_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `{ "data": [...] }`.
#[derive(Deserialize)]
pub(crate) struct DataList<T> {
    pub data: Vec<T>,
}

/// The body of `POST /api/payments/{paymentKey}/cancel` (api.md §9.2), also used by an
/// operator's cancel on a merchant's behalf. Without an amount it cancels everything still
/// cancelable; with one, that much (a partial cancel, for COMPLETED or PARTIAL_CANCELED
/// payments only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelPayment {
    /// 1–200 characters.
    pub cancel_reason: String,
    /// `1 ..= cancelableAmount` minor units; `None` means the whole `cancelableAmount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_amount: Option<i64>,
}

impl CancelPayment {
    /// A full cancel: everything still cancelable.
    pub fn new(cancel_reason: impl Into<String>) -> Self {
        Self {
            cancel_reason: cancel_reason.into(),
            cancel_amount: None,
        }
    }

    /// A partial cancel of `amount` minor units.
    pub fn with_amount(mut self, amount: i64) -> Self {
        self.cancel_amount = Some(amount);
        self
    }
}

/// How a cancel ended when SimplePG accepted it (api.md §9.2). A refusal is an [`Error`]
/// instead: 502 [`ErrorCode::AcquirerError`] (the acquirer refused; the FAILED cancel stays on
/// the payment), 409 [`ErrorCode::CancelAmountExceeded`] or
/// [`ErrorCode::InvalidStateTransition`], 400 [`ErrorCode::ValidationFailed`].
///
/// [`Error`]: crate::Error
/// [`ErrorCode::AcquirerError`]: crate::ErrorCode::AcquirerError
/// [`ErrorCode::CancelAmountExceeded`]: crate::ErrorCode::CancelAmountExceeded
/// [`ErrorCode::InvalidStateTransition`]: crate::ErrorCode::InvalidStateTransition
/// [`ErrorCode::ValidationFailed`]: crate::ErrorCode::ValidationFailed
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    /// 200: the cancel is done. The payment is CANCELED, or PARTIAL_CANCELED with the rest
    /// still cancelable.
    Done(Payment),
    /// 202: the acquirer has not answered in time. The cancel is PENDING (its amount reserved
    /// out of `cancelableAmount`) and SimplePG finishes it on its own: it ends SUCCEEDED
    /// (notification `payment.canceled` or `payment.partially_canceled`) or FAILED
    /// (`payment.cancel_failed`, the amount released).
    Pending(Payment),
}

impl CancelOutcome {
    /// The payment as the answer showed it.
    pub fn payment(&self) -> &Payment {
        match self {
            Self::Done(p) | Self::Pending(p) => p,
        }
    }

    pub fn into_payment(self) -> Payment {
        match self {
            Self::Done(p) | Self::Pending(p) => p,
        }
    }

    /// True for a 202: the acquirer has not confirmed yet.
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending(_))
    }

    /// The newest of the payment's cancels (they are listed oldest first): the one this
    /// request made, unless another request made one since.
    pub fn latest_cancel(&self) -> Option<&Cancel> {
        self.payment().cancels.last()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_create_body_is_camel_case_and_omits_unset_options() {
        let body = CreatePayment::new("ORDER-1", 15_000, MethodCode::Card)
            .with_product_name("Coffee beans");
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"orderNo":"ORDER-1","amount":15000,"methodCode":"CARD","productName":"Coffee beans"}"#
        );
    }

    #[test]
    fn a_full_cancel_body_has_only_the_reason_and_a_partial_one_the_amount_too() {
        let full = CancelPayment::new("Customer changed their mind");
        let partial = CancelPayment::new("One item returned").with_amount(5_000);
        assert_eq!(
            serde_json::to_string(&full).unwrap(),
            r#"{"cancelReason":"Customer changed their mind"}"#
        );
        assert_eq!(
            serde_json::to_string(&partial).unwrap(),
            r#"{"cancelReason":"One item returned","cancelAmount":5000}"#
        );
    }

    #[test]
    fn a_list_query_names_the_contract_parameters_and_encodes_their_values() {
        let query = ListPayments {
            status: Some(PaymentStatus::Ready),
            order_no: Some("A:1".into()),
            created_from: Some(datetime!(2026-11-24 08:00 UTC)),
            limit: Some(5),
            starting_after: Some("abc".into()),
            ..ListPayments::default()
        };
        assert_eq!(
            query.to_query(),
            "status=READY&orderNo=A%3A1&createdFrom=2026-11-24T08%3A00%3A00Z&limit=5&startingAfter=abc"
        );
        assert_eq!(ListPayments::default().to_query(), "");
    }
}
