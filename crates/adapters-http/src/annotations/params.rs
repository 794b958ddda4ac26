//! The path and header parameters several operations share, declared once.

use utoipa::IntoParams;

/// `{paymentKey}` of the merchant API.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PaymentKeyPath {
    /// The payment key (64 lower-case hex characters); anything else is 404
    #[param(
        rename = "paymentKey",
        example = "8f14e45fceea167a5a36dedd4bea2543c4d5f0a8e2b1c3d4e5f60718293a4b5c"
    )]
    pub payment_key: String,
}

/// `{paymentKey}` of the operator API.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AdminPaymentKeyPath {
    /// The payment key (64 lower-case hex characters)
    #[param(rename = "paymentKey")]
    pub payment_key: String,
}

/// `{clientId}` of the operator API.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClientIdPath {
    /// The merchant's client id
    #[param(rename = "clientId")]
    pub client_id: String,
}

/// `{deliveryId}` of the operator API.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryIdPath {
    /// The delivery id (`evt_` + 32 hex digits)
    #[param(rename = "deliveryId")]
    pub delivery_id: String,
}

/// `Idempotency-Key` of the merchant POSTs (api.md §3.1).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    // One line: the doc comment is the parameter's description, line breaks included.
    /// 1–255 visible ASCII characters; the first response is stored for 24 h and replayed (with `Idempotent-Replayed: true`) for a retry of the same request (api.md §3.1)
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,255}$")]
    pub idempotency_key: Option<String>,
}

/// `{userId}` of the users API.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserIdPath {
    /// The user's id (`usr_` and 32 hex digits); anything else is 404
    #[param(rename = "userId", example = "usr_0190f3c2a1b27c3d9e4f5a6b7c8d9e0f")]
    pub user_id: String,
}
