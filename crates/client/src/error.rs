//! What a call can fail with: SimplePG said no (a problem+json answer, api.md §1), or the
//! answer never came or did not match the contract.

use std::{fmt, time::Duration};

use serde::Deserialize;

/// The error of every [`Client`](crate::Client) and [`AdminClient`](crate::AdminClient) call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SimplePG answered with an RFC 9457 problem: look at [`Problem::code`].
    #[error("{0}")]
    Api(Box<Problem>),
    /// The request could not be sent or the answer not read (connection, timeout, TLS).
    #[error("could not talk to SimplePG: {0}")]
    Transport(#[source] reqwest::Error),
    /// An error status whose body is not a problem (e.g. a proxy's HTML page).
    #[error("SimplePG answered {status} without a problem body: {body}")]
    UnexpectedStatus { status: u16, body: String },
    /// A success whose body does not have the documented shape.
    #[error("the {status} answer does not match the contract: {source}")]
    Decode {
        status: u16,
        #[source]
        source: serde_json::Error,
    },
    /// A request body could not be encoded as JSON.
    #[error("could not encode the request body: {0}")]
    Encode(#[source] serde_json::Error),
    /// The base URL or path cannot form a request URL.
    #[error("invalid URL: {0}")]
    InvalidUrl(#[from] url::ParseError),
}

impl Error {
    /// The problem SimplePG answered with, if it answered with one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Api(problem) => Some(problem),
            _ => None,
        }
    }

    /// The stable error code, if SimplePG answered with a problem.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.problem().map(|p| &p.code)
    }

    /// The HTTP status, if an answer arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(problem) => Some(problem.status),
            Self::UnexpectedStatus { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Transport(e) => e.status().map(|s| s.as_u16()),
            Self::Encode(_) | Self::InvalidUrl(_) => None,
        }
    }
}

/// An RFC 9457 problem as SimplePG writes it (api.md §1).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// `type` (`about:blank`).
    #[serde(rename = "type", default)]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: ErrorCode,
    #[serde(default)]
    pub detail: Option<String>,
    /// The request path the problem is about.
    #[serde(default)]
    pub instance: Option<String>,
    /// The correlation id (also in `X-Request-Id`): quote it to SimplePG's operators.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The offending fields of a validation failure; empty otherwise.
    #[serde(default)]
    pub errors: Vec<FieldError>,
    /// `Retry-After` of a 429 or 503, when present.
    #[serde(skip)]
    pub retry_after: Option<Duration>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

/// One entry of `errors[]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $wire:literal,)*) => {
        /// The stable, machine-readable `code` of a problem. Codes this version does not know
        /// arrive as [`ErrorCode::Other`].
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
        #[serde(from = "String")]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// A code added after this version of the client.
            Other(String),
        }

        impl ErrorCode {
            /// The code as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Other(code) => code,
                }
            }
        }

        impl From<String> for ErrorCode {
            fn from(code: String) -> Self {
                match code.as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::Other(code),
                }
            }
        }
    };
}

error_codes! {
    /// 400: a field is missing, malformed, out of range, or unknown (see `errors`).
    ValidationFailed => "VALIDATION_FAILED",
    /// 400: the body is not JSON.
    MalformedJson => "MALFORMED_JSON",
    /// 401: a signing header is absent.
    MissingAuthHeaders => "MISSING_AUTH_HEADERS",
    /// 401: unknown client id or wrong signature.
    InvalidSignature => "INVALID_SIGNATURE",
    /// 401: `X-Timestamp` more than 300 s from the server's clock.
    TimestampOutOfWindow => "TIMESTAMP_OUT_OF_WINDOW",
    /// 401: the nonce was already used.
    ReplayedRequest => "REPLAYED_REQUEST",
    /// 403: the merchant is deactivated.
    ClientInactive => "CLIENT_INACTIVE",
    /// 403: the body's `clientId` differs from `X-Client-Id`.
    ClientIdMismatch => "CLIENT_ID_MISMATCH",
    /// 401: missing or wrong admin token.
    AdminUnauthorized => "ADMIN_UNAUTHORIZED",
    /// 404: unknown payment key (or another merchant's payment).
    PaymentNotFound => "PAYMENT_NOT_FOUND",
    /// 404: admin API, unknown client id.
    MerchantNotFound => "MERCHANT_NOT_FOUND",
    /// 409: this `orderNo` was already used.
    DuplicateOrder => "DUPLICATE_ORDER",
    /// 409: the payment's status does not allow this.
    InvalidStateTransition => "INVALID_STATE_TRANSITION",
    /// 409: a cancel asks for more than the payment's `cancelableAmount` (another cancel may
    /// have taken it first).
    CancelAmountExceeded => "CANCEL_AMOUNT_EXCEEDED",
    /// 409: the payment kept changing while the server retried; retry.
    ConcurrentUpdate => "CONCURRENT_UPDATE",
    /// 409: the first request with this `Idempotency-Key` is still running.
    IdempotencyKeyInUse => "IDEMPOTENCY_KEY_IN_USE",
    /// 422: this `Idempotency-Key` was used for a different request.
    IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
    /// 422: the acquirer reported another amount.
    AmountMismatch => "AMOUNT_MISMATCH",
    /// 413: body over the limit.
    PayloadTooLarge => "PAYLOAD_TOO_LARGE",
    /// 415: not `application/json`.
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
    /// 429: per-client rate limit; see [`Problem::retry_after`].
    RateLimited => "RATE_LIMITED",
    /// 502: the acquirer refused a cancel (the FAILED cancel stays on the payment, its amount
    /// released).
    AcquirerError => "ACQUIRER_ERROR",
    /// 503: the database is unreachable; see [`Problem::retry_after`].
    ServiceUnavailable => "SERVICE_UNAVAILABLE",
    /// 500: a bug in SimplePG.
    InternalError => "INTERNAL_ERROR",
    /// 404: no such route (or an id of the wrong shape).
    NotFound => "NOT_FOUND",
    /// 405: the route exists, not with this method.
    MethodNotAllowed => "METHOD_NOT_ALLOWED",
    /// 404: admin API, unknown webhook delivery.
    DeliveryNotFound => "DELIVERY_NOT_FOUND",
    /// 409: admin API, the delivery is still pending; it cannot be redelivered yet.
    DeliveryPending => "DELIVERY_PENDING",
    /// 409: admin API, a test notification for a merchant without a `returnUrl`.
    NoReturnUrl => "NO_RETURN_URL",
    /// 404: admin API, unknown settlement batch (or one the caller may not see).
    SettlementNotFound => "SETTLEMENT_NOT_FOUND",
    /// 409: admin API, a settlement run for a date that has not ended yet.
    SettlementDateNotOver => "SETTLEMENT_DATE_NOT_OVER",
    /// 404: admin API, unknown reconciliation.
    ReconciliationNotFound => "RECONCILIATION_NOT_FOUND",
    /// 422: the (mock) acquirer refused a cancel.
    AcquirerCancelRefused => "ACQUIRER_CANCEL_REFUSED",
    /// 401: wrong email, password or one-time code, or a disabled account.
    LoginFailed => "LOGIN_FAILED",
    /// 429: too many failed logins; see [`Problem::retry_after`].
    LoginLocked => "LOGIN_LOCKED",
    /// 401: the password was right; send the one-time code too.
    TotpRequired => "TOTP_REQUIRED",
    /// 401: no live session.
    Unauthenticated => "UNAUTHENTICATED",
    /// 403: a cookie-authenticated change without the session's `X-CSRF-Token`.
    CsrfCheckFailed => "CSRF_CHECK_FAILED",
    /// 403: the caller's role may not do this.
    Forbidden => "FORBIDDEN",
    /// 403: a platform role must turn on its second factor first.
    TotpEnrollmentRequired => "TOTP_ENROLLMENT_REQUIRED",
    /// 404: admin API, unknown user (or one the caller may not see).
    UserNotFound => "USER_NOT_FOUND",
    /// 409: another account has this email.
    EmailTaken => "EMAIL_TAKEN",
    /// 409: the change would leave no enabled ADMIN.
    LastAdmin => "LAST_ADMIN",
    /// 409: the account's second factor is already on.
    TotpAlreadyEnabled => "TOTP_ALREADY_ENABLED",
    /// 409: no second-factor enrollment in progress.
    TotpNotEnrolling => "TOTP_NOT_ENROLLING",
    /// 400: refused by the HTTP layer before any handler ran.
    BadRequest => "BAD_REQUEST",
    /// 401: refused by the HTTP layer without a more specific code.
    Unauthorized => "UNAUTHORIZED",
    /// 408: the request did not arrive in time.
    RequestTimeout => "REQUEST_TIMEOUT",
    /// 411: a body without a length.
    LengthRequired => "LENGTH_REQUIRED",
    /// 431: the request headers are too large.
    HeadersTooLarge => "HEADERS_TOO_LARGE",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_body_of_the_contract_parses_with_its_field_errors() {
        let body = r#"{"type":"about:blank","title":"Validation failed","status":400,
            "code":"VALIDATION_FAILED","detail":"amount is invalid","instance":"/api/payments",
            "requestId":"req-1","errors":[{"field":"amount","message":"must be at least 1"}]}"#;
        let problem: Problem = serde_json::from_str(body).unwrap();
        assert_eq!(problem.code, ErrorCode::ValidationFailed);
        assert_eq!(problem.request_id.as_deref(), Some("req-1"));
        assert_eq!(problem.errors[0].field, "amount");
        assert_eq!(
            problem.to_string(),
            "400 VALIDATION_FAILED: Validation failed (amount is invalid)"
        );
    }

    #[test]
    fn every_code_the_published_contract_lists_has_its_own_variant() {
        let document: serde_json::Value =
            serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap();
        let codes = document["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap();
        assert!(codes.len() > 40, "{codes:?}");
        for code in codes {
            let wire = code.as_str().unwrap();
            let parsed = ErrorCode::from(wire.to_owned());
            assert!(
                !matches!(parsed, ErrorCode::Other(_)),
                "{wire} is in docs/openapi.json but unknown to the client"
            );
            assert_eq!(parsed.as_str(), wire);
        }
    }

    #[test]
    fn an_unknown_code_is_kept_verbatim() {
        let code = ErrorCode::from("SOMETHING_NEW".to_owned());
        assert_eq!(code, ErrorCode::Other("SOMETHING_NEW".into()));
        assert_eq!(code.as_str(), "SOMETHING_NEW");
        assert_eq!(
            ErrorCode::from("DUPLICATE_ORDER".to_owned()),
            ErrorCode::DuplicateOrder
        );
    }
}
