//! Schemas the handlers do not derive from a struct: the string enums (values taken from the
//! domain where it lists them), and the request bodies, which the handlers read field by field
//! (see `body.rs`) so that every rejection names its field. The `tests` below tie each request
//! schema to the field list its handler accepts.

use std::borrow::Cow;

use domain::{
    money::Currency,
    outbox::OutboxKind,
    payment::{CancelStatus, MethodCode, PaymentStatus},
    people::{AuditOutcome, Role},
};
use serde_json::Value;
use utoipa::{
    IntoParams, PartialSchema, ToSchema,
    openapi::{
        RefOr,
        schema::{ObjectBuilder, Schema, Type},
    },
};

/// A string schema restricted to `values`.
fn string_enum<S: Into<Value>>(values: impl IntoIterator<Item = S>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .into()
}

macro_rules! string_enums {
    ($($(#[$meta:meta])* $name:ident => $values:expr;)*) => {$(
        $(#[$meta])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string_enum($values)
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    )*};
}

string_enums! {
    /// Payment status (api.md §3).
    PaymentStatusName => PaymentStatus::ALL.map(PaymentStatus::as_str);
    /// Payment method.
    MethodCodeName => MethodCode::ALL.map(MethodCode::as_str);
    /// Where a cancel is (api.md §9.1).
    CancelStatusName => CancelStatus::ALL.map(CancelStatus::as_str);
    /// Audit-trail action (api.md §3.6).
    AuditActionName => AUDIT_ACTIONS;
    /// Who caused an audit row.
    ActorName => ACTORS;
    /// Merchant status.
    MerchantStatusName => MERCHANT_STATUSES;
    /// A back-office role (api.md §10.1).
    RoleName => Role::ALL.map(Role::as_str);
    /// How an audited action of the operator audit log ended.
    AuditOutcomeName => AuditOutcome::ALL.map(AuditOutcome::as_str);
    /// State of an outbound delivery.
    DeliveryStateName => DELIVERY_STATES;
    /// Kind of an outbound delivery.
    OutboxKindName => OutboxKind::ALL.map(OutboxKind::as_str);
    /// An ISO 4217 currency code the server accepts.
    CurrencyCode => currencies();
    /// An outcome the acquirer reports.
    ReportedStatus => ["APPROVED", "FAILED"];
    /// Result of an accepted acquirer webhook.
    WebhookResult => ["APPLIED", "DUPLICATE"];
}

/// Every three-letter code the domain accepts as a currency.
fn currencies() -> Vec<String> {
    const LETTERS: &[u8; 26] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut codes = Vec::new();
    for a in LETTERS {
        for b in LETTERS {
            for c in LETTERS {
                if let Ok(currency) = Currency::parse(&String::from_utf8_lossy(&[*a, *b, *c])) {
                    codes.push(currency.to_string());
                }
            }
        }
    }
    codes
}

pub const AUDIT_ACTIONS: [&str; 13] = [
    "CREATE",
    "APPROVE",
    "FAIL",
    "COMPLETE",
    "CANCEL",
    "PARTIAL_CANCEL",
    "EXPIRE",
    "EXPIRE_AUTHORIZATION",
    "CANCEL_REQUESTED",
    "CANCEL_FAILED",
    "WEBHOOK_DUPLICATE",
    "WEBHOOK_REJECTED",
    "ACQUIRER_REQUEST_FAILED",
];
pub const ACTORS: [&str; 4] = ["MERCHANT", "ACQUIRER", "SYSTEM", "ADMIN"];
pub const MERCHANT_STATUSES: [&str; 2] = ["ACTIVE", "INACTIVE"];
pub const DELIVERY_STATES: [&str; 3] = ["PENDING", "DELIVERED", "DEAD"];

/// `POST /api/payments` (api.md §3.1).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentRequest {
    /// Unique per merchant.
    #[schema(
        pattern = r"^[A-Za-z0-9_\-:.]{1,64}$",
        min_length = 1,
        max_length = 64,
        example = "ORDER-1"
    )]
    pub order_no: String,
    /// Minor units of the currency.
    #[schema(minimum = 1, maximum = 1_000_000_000, example = 15000)]
    pub amount: i64,
    /// Upper-case ISO 4217 code; `KRW` when absent.
    #[schema(value_type = Option<CurrencyCode>, example = "KRW")]
    pub currency: Option<String>,
    #[schema(value_type = MethodCodeName)]
    pub method_code: String,
    #[schema(max_length = 128, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub product_name: Option<String>,
    #[schema(max_length = 64, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub customer_name: Option<String>,
    /// Accepted for compatibility; when present it must equal `X-Client-Id` (else 403).
    pub client_id: Option<String>,
}

/// `POST /api/payments/{paymentKey}/cancel` (api.md §3.5).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelPaymentRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x1F\x7F-\x9F\s][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub cancel_reason: String,
    /// Minor units to cancel; absent (or null): all of `cancelableAmount`. READY and APPROVED
    /// payments can only be canceled as a whole.
    #[schema(minimum = 1, maximum = 1_000_000_000, nullable = false)]
    pub cancel_amount: Option<i64>,
}

/// `POST /api/payments/{paymentKey}/complete`: no body, or an empty object.
#[derive(ToSchema)]
pub struct CompletePaymentRequest {}

/// `POST /api/webhook/payment` (api.md §4).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcquirerWebhookRequest {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub payment_key: String,
    #[schema(min_length = 1, max_length = 128, pattern = "^[!-~]+$")]
    pub transaction_id: String,
    #[schema(value_type = ReportedStatus)]
    pub status: String,
    /// What the acquirer charged; must equal the payment's amount.
    pub amount: i64,
    #[schema(format = DateTime)]
    pub approved_at: Option<String>,
    /// For `FAILED`; `DECLINED` when absent.
    #[schema(pattern = "^[A-Z0-9_]{1,64}$")]
    pub failure_code: Option<String>,
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub failure_message: Option<String>,
}

/// `POST /mock/request`: what the server sends the acquirer (api.md §5).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcquirerPaymentRequest {
    pub payment_key: String,
    /// The last three digits choose the mock's behaviour (api.md §6).
    pub amount: i64,
    /// Where the mock sends its webhook.
    pub return_url: String,
    pub order_no: Option<String>,
    pub currency: Option<String>,
    #[schema(value_type = Option<MethodCodeName>)]
    pub method_code: Option<String>,
    pub product_name: Option<String>,
    pub customer_name: Option<String>,
}

/// `POST /mock/request/cancel`.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcquirerCancelRequest {
    pub payment_key: String,
    pub amount: i64,
    pub transaction_id: Option<String>,
    /// Makes the cancel idempotent: sent again, it cancels nothing more.
    pub cancel_id: Option<String>,
    pub cancel_reason: Option<String>,
}

/// `POST /mock/request/capture` (api.md §9.3).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcquirerCaptureRequest {
    pub payment_key: String,
    pub transaction_id: Option<String>,
    pub amount: i64,
}

/// `POST /admin/api/merchants` (api.md §8).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterMerchantRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x1F\x7F-\x9F\s][^\x00-\x1F\x7F-\x9F]*$",
        example = "Shop"
    )]
    pub client_name: String,
    /// Absolute URL without credentials or fragment, where notifications go. `https` unless the
    /// server allows plain http (`security.allow_plain_http_webhooks`, off in production); a
    /// literal loopback, private, shared, link-local, multicast, unspecified or reserved address
    /// is refused (400 on `returnUrl`), and a name is checked on the address it resolves to
    /// when a notification is sent.
    #[schema(max_length = 2048, example = "https://shop.example/webhooks/simplepg")]
    pub return_url: Option<String>,
    /// Fee on each capture in basis points, 0–10000 (default: `settlement.default_fee_rate_bps`,
    /// 250). Changing it is an ADMIN's (api.md §12.1).
    #[schema(minimum = 0, maximum = 10000, example = 250)]
    pub fee_rate_bps: Option<u16>,
    /// Days from a settlement date to its payout, 0–30 (default 2). An ADMIN's to change.
    #[schema(minimum = 0, maximum = 30, example = 2)]
    pub settlement_delay_days: Option<u8>,
}

/// `POST /admin/api/simulator/webhook`: a signed acquirer webhook the server sends itself.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimulatedWebhookRequest {
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub payment_key: String,
    #[schema(value_type = ReportedStatus)]
    pub status: String,
    /// Defaults to the payment's amount.
    pub amount: Option<i64>,
    #[schema(min_length = 1, max_length = 128, pattern = "^[!-~]+$")]
    pub transaction_id: Option<String>,
    #[schema(pattern = "^[A-Z0-9_]{1,64}$")]
    pub failure_code: Option<String>,
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub failure_message: Option<String>,
}

/// `POST /admin/api/simulator/mock-request`: a body to send, signed, to the acquirer.
#[derive(ToSchema)]
pub struct SimulatedMockRequest {
    /// Sent byte for byte. (Any other JSON value is accepted too, and sent compactly encoded.)
    pub body: String,
}

/// The filters of `GET /api/payments` (api.md §3.3), of the admin search (which adds `clientId`)
/// and of its CSV export.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct PaymentFilterQuery {
    #[param(value_type = Option<PaymentStatusName>, nullable = false)]
    pub status: Option<String>,
    #[param(pattern = r"^[A-Za-z0-9_\-:.]{1,64}$", nullable = false)]
    pub order_no: Option<String>,
    /// RFC 3339; inclusive.
    #[param(format = DateTime, nullable = false)]
    pub created_from: Option<String>,
    /// RFC 3339; not before `createdFrom`.
    #[param(format = DateTime, nullable = false)]
    pub created_to: Option<String>,
}

/// The page of a payment listing.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct PaymentPageQuery {
    /// Page size, default 20.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
    /// A payment key: the page after it.
    #[param(pattern = "^[0-9a-f]{64}$", nullable = false)]
    pub starting_after: Option<String>,
}

/// How much of the search the CSV export holds (`GET /admin/api/payments/export.csv`).
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct PaymentExportQuery {
    /// The most rows, default 100000.
    #[param(minimum = 1, maximum = 100000, nullable = false)]
    pub limit: Option<i64>,
    /// A payment key: the rows after it.
    #[param(pattern = "^[0-9a-f]{64}$", nullable = false)]
    pub starting_after: Option<String>,
}

/// `PATCH /admin/api/merchants/{clientId}` (api.md §10.6): what is absent stays; `{}` changes
/// nothing.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMerchantRequest {
    /// 1–100 characters, as at registration; cannot be `null`.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\x00-\x1F\x7F-\x9F\s][^\x00-\x1F\x7F-\x9F]*$",
        example = "Shop",
        nullable = false
    )]
    pub client_name: Option<String>,
    /// The registration's URL rules; `null` clears it (no notifications until one is set).
    #[schema(max_length = 2048, example = "https://shop.example/webhooks/simplepg")]
    pub return_url: Option<String>,
    /// Fee on each capture in basis points, 0–10000 (default: `settlement.default_fee_rate_bps`,
    /// 250). Changing it is an ADMIN's (api.md §12.1).
    #[schema(minimum = 0, maximum = 10000, example = 250)]
    pub fee_rate_bps: Option<u16>,
    /// Days from a settlement date to its payout, 0–30 (default 2). An ADMIN's to change.
    #[schema(minimum = 0, maximum = 30, example = 2)]
    pub settlement_delay_days: Option<u8>,
}

/// `POST /admin/api/merchants/{clientId}/rotate-secret` (api.md §10.6): no body, or this.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotateSecretRequest {
    /// Seconds the old client secret keeps verifying signed requests next to the new one
    /// (default 0: it stops at once). A rotation within a grace retires the secret it
    /// replaces with this grace, and the one before it at once.
    #[schema(
        minimum = 0,
        maximum = 604800,
        default = 0,
        nullable = false,
        example = 3600
    )]
    pub grace_seconds: Option<i64>,
}

/// Query of `GET /admin/api/merchants`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct MerchantListQuery {
    /// Page size, default 20.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
    /// A client id: the page after it.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$", nullable = false)]
    pub starting_after: Option<String>,
}

/// `POST /auth/login` (api.md §10.2).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    #[schema(example = "ops@example.com")]
    pub email: String,
    pub password: String,
    /// The current one-time code, once the account has a second factor.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub totp: Option<String>,
}

/// `POST /auth/totp/confirm`.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmTotpRequest {
    /// The current code of the authenticator enrolled from the `otpauthUri`.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub code: String,
}

/// `POST /admin/api/users` (api.md §10.1).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserRequest {
    /// Trimmed and lower-cased; one account per email whatever its case.
    #[schema(max_length = 254, example = "ops@example.com")]
    pub email: String,
    #[schema(value_type = RoleName)]
    pub role: String,
    /// Required for a merchant role, absent for a platform role.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub client_id: Option<String>,
    /// 12 to 1024 characters; stored only as an Argon2id hash.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
}

/// `PATCH /admin/api/users/{userId}`: what is absent stays.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeUserRequest {
    /// Within the user's scope (a merchant role for a merchant's user, a platform role
    /// otherwise).
    #[schema(value_type = Option<RoleName>)]
    pub role: Option<String>,
    /// A disabled user cannot log in and loses its sessions.
    pub disabled: Option<bool>,
    /// `true`: clear the failed-login count and any lock.
    pub unlock: Option<bool>,
}

/// Query of `GET /admin/api/users`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct UserListQuery {
    /// Only this merchant's users.
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$", nullable = false)]
    pub client_id: Option<String>,
    /// Page size, default 20.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
    /// A user id: the page after it.
    #[param(pattern = "^usr_[0-9a-f]{32}$", nullable = false)]
    pub starting_after: Option<String>,
}

/// Query of `GET /admin/api/audit`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct OperatorAuditQuery {
    /// Only rows of this actor (an email, `token` or `cli`).
    #[param(nullable = false)]
    pub actor: Option<String>,
    /// Only rows of this action, e.g. `LOGIN_FAILED`.
    #[param(nullable = false)]
    pub action: Option<String>,
    /// Only rows at or after this instant (RFC 3339).
    #[param(format = DateTime, nullable = false)]
    pub from: Option<String>,
    /// Only rows before this instant (RFC 3339).
    #[param(format = DateTime, nullable = false)]
    pub to: Option<String>,
    /// Page size, default 20.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
    /// An `auditId`: the (older) page after it.
    #[param(minimum = 1, nullable = false)]
    pub starting_after: Option<i64>,
}

/// Query of `GET /admin/api/deliveries`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct DeliveryListQuery {
    #[param(value_type = Option<DeliveryStateName>, nullable = false)]
    pub status: Option<String>,
    #[param(value_type = Option<OutboxKindName>, nullable = false)]
    pub kind: Option<String>,
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$", nullable = false)]
    pub client_id: Option<String>,
    /// Deliveries of this payment (400 if it names none).
    #[param(pattern = "^[0-9a-f]{64}$", nullable = false)]
    pub payment_key: Option<String>,
    /// Page size, default 20.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
    /// A delivery id: the page after it.
    #[param(pattern = "^(evt_)?[0-9a-f]{32}$", nullable = false)]
    pub starting_after: Option<String>,
}

/// Query of `GET /admin/api/stats`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct StatsQuery {
    /// RFC 3339; inclusive.
    #[param(format = DateTime, nullable = false)]
    pub from: Option<String>,
    /// RFC 3339; not before `from`.
    #[param(format = DateTime, nullable = false)]
    pub to: Option<String>,
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$", nullable = false)]
    pub client_id: Option<String>,
}

/// `POST /admin/api/settlements/run` (api.md §12.2).
#[derive(ToSchema)]
pub struct SettlementRunRequest {
    /// The settlement date, `YYYY-MM-DD`: a calendar day in the settlement time zone that has
    /// ended.
    #[schema(format = Date, example = "2026-12-06")]
    pub date: String,
}

/// The query of `GET /admin/api/settlements`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct SettlementListQuery {
    /// Only this merchant's batches (a merchant user: its own only).
    #[param(pattern = "^[A-Za-z0-9_-]{1,64}$", nullable = false)]
    pub client_id: Option<String>,
    /// From this settlement date (inclusive).
    #[param(format = Date, nullable = false)]
    pub from: Option<String>,
    /// Up to this settlement date (inclusive).
    #[param(format = Date, nullable = false)]
    pub to: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<u32>,
    /// The `settlementId` of the last batch of the previous page.
    #[param(pattern = "^stl_[0-9a-f]{32}$", nullable = false)]
    pub starting_after: Option<String>,
}

/// The body of `POST /admin/api/reconciliations`.
#[derive(ToSchema)]
pub struct ReconciliationRequest {
    /// The settlement date to reconcile, `YYYY-MM-DD`: today or an earlier day in the
    /// settlement time zone.
    #[schema(format = Date, example = "2026-12-06")]
    pub date: String,
}

/// The query of `GET /admin/api/reconciliations`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ReconciliationListQuery {
    /// From this settlement date (inclusive).
    #[param(format = Date, nullable = false)]
    pub from: Option<String>,
    /// Up to this settlement date (inclusive).
    #[param(format = Date, nullable = false)]
    pub to: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<u32>,
    /// The `reconciliationId` of the last reconciliation of the previous page.
    #[param(pattern = "^rcn_[0-9a-f]{32}$", nullable = false)]
    pub starting_after: Option<String>,
}
