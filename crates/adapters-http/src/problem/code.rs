//! The stable error codes (api.md §1, its error table): the one vocabulary every problem+json
//! answer takes its `code` from, each with its HTTP status and its usual title.

use std::{borrow::Cow, fmt};

use actix_web::http::StatusCode;
use serde::{Serialize, Serializer};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        RefOr, Schema,
        schema::{ObjectBuilder, Type},
    },
};

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal, $status:ident, $title:literal;)*) => {
        /// A stable, machine-readable error code (api.md §1).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of api.md's error table.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The HTTP status of a problem with this code. Only a problem some HTTP layer
            /// produced without one ([`super::Problem::for_status`]) keeps that layer's status.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)*
                }
            }

            /// The problem's `title`, unless the answer names a more specific one.
            pub const fn title(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $title,)*
                }
            }
        }
    };
}

error_codes! {
    ValidationFailed => "VALIDATION_FAILED", BAD_REQUEST, "Validation failed";
    MalformedJson => "MALFORMED_JSON", BAD_REQUEST, "Malformed JSON";
    MissingAuthHeaders => "MISSING_AUTH_HEADERS", UNAUTHORIZED, "Missing authentication headers";
    InvalidSignature => "INVALID_SIGNATURE", UNAUTHORIZED, "Invalid signature";
    TimestampOutOfWindow => "TIMESTAMP_OUT_OF_WINDOW", UNAUTHORIZED, "Timestamp out of window";
    ReplayedRequest => "REPLAYED_REQUEST", UNAUTHORIZED, "Replayed request";
    AdminUnauthorized => "ADMIN_UNAUTHORIZED", UNAUTHORIZED, "Admin authorization required";
    ClientInactive => "CLIENT_INACTIVE", FORBIDDEN, "Client inactive";
    ClientIdMismatch => "CLIENT_ID_MISMATCH", FORBIDDEN, "Client id mismatch";
    PaymentNotFound => "PAYMENT_NOT_FOUND", NOT_FOUND, "Payment not found";
    MerchantNotFound => "MERCHANT_NOT_FOUND", NOT_FOUND, "Merchant not found";
    NotFound => "NOT_FOUND", NOT_FOUND, "Not found";
    MethodNotAllowed => "METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED, "Method not allowed";
    DuplicateOrder => "DUPLICATE_ORDER", CONFLICT, "Duplicate order";
    InvalidStateTransition => "INVALID_STATE_TRANSITION", CONFLICT, "Invalid state transition";
    ConcurrentUpdate => "CONCURRENT_UPDATE", CONFLICT, "Concurrent update";
    IdempotencyKeyInUse => "IDEMPOTENCY_KEY_IN_USE", CONFLICT, "Idempotency key in use";
    IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED", UNPROCESSABLE_ENTITY, "Idempotency key reused";
    RateLimited => "RATE_LIMITED", TOO_MANY_REQUESTS, "Rate limited";
    PayloadTooLarge => "PAYLOAD_TOO_LARGE", PAYLOAD_TOO_LARGE, "Payload too large";
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE", UNSUPPORTED_MEDIA_TYPE, "Unsupported media type";
    AcquirerError => "ACQUIRER_ERROR", BAD_GATEWAY, "Acquirer error";
    /// A cancel asks for more than the payment's `cancelableAmount` (api.md §9.2).
    CancelAmountExceeded => "CANCEL_AMOUNT_EXCEEDED", CONFLICT, "Cancel amount exceeded";
    ServiceUnavailable => "SERVICE_UNAVAILABLE", SERVICE_UNAVAILABLE, "Service unavailable";
    AmountMismatch => "AMOUNT_MISMATCH", UNPROCESSABLE_ENTITY, "Amount mismatch";
    DeliveryNotFound => "DELIVERY_NOT_FOUND", NOT_FOUND, "Delivery not found";
    DeliveryPending => "DELIVERY_PENDING", CONFLICT, "Delivery pending";
    /// A test notification for a merchant without a `returnUrl` (api.md §10.5).
    NoReturnUrl => "NO_RETURN_URL", CONFLICT, "No return URL";
    /// No settlement batch with this id, or one the caller may not see (api.md §12.2).
    SettlementNotFound => "SETTLEMENT_NOT_FOUND", NOT_FOUND, "Settlement not found";
    /// A settlement run for a date that has not ended in the settlement time zone (api.md §12.2).
    SettlementDateNotOver => "SETTLEMENT_DATE_NOT_OVER", CONFLICT, "Settlement date not over";
    /// No reconciliation with this id (api.md §12.3).
    ReconciliationNotFound => "RECONCILIATION_NOT_FOUND", NOT_FOUND, "Reconciliation not found";
    InternalError => "INTERNAL_ERROR", INTERNAL_SERVER_ERROR, "Internal server error";
    /// The mock acquirer's refusal of a cancel (api.md §6, scenario `…007`).
    AcquirerCancelRefused => "ACQUIRER_CANCEL_REFUSED", UNPROCESSABLE_ENTITY, "Cancel refused";
    /// Wrong email, wrong password, disabled account or wrong one-time code: one answer for
    /// all (api.md §10.2).
    LoginFailed => "LOGIN_FAILED", UNAUTHORIZED, "Login failed";
    /// Too many failed logins: the account is locked for a while; `Retry-After` set.
    LoginLocked => "LOGIN_LOCKED", TOO_MANY_REQUESTS, "Login locked";
    /// The password was right and the account has a second factor: send `totp` too.
    TotpRequired => "TOTP_REQUIRED", UNAUTHORIZED, "One-time code required";
    /// `/auth/*` without a live session cookie.
    Unauthenticated => "UNAUTHENTICATED", UNAUTHORIZED, "Authentication required";
    /// A state-changing request authenticated by cookie without the session's `X-CSRF-Token`.
    CsrfCheckFailed => "CSRF_CHECK_FAILED", FORBIDDEN, "CSRF check failed";
    /// The caller's role may not do this (api.md §10.1).
    Forbidden => "FORBIDDEN", FORBIDDEN, "Forbidden";
    /// A platform role's session while TOTP is required and not yet confirmed (api.md §10.2).
    TotpEnrollmentRequired => "TOTP_ENROLLMENT_REQUIRED", FORBIDDEN, "Second factor required";
    /// Unknown user id, or a user the caller may not see.
    UserNotFound => "USER_NOT_FOUND", NOT_FOUND, "User not found";
    /// Another account has this email.
    EmailTaken => "EMAIL_TAKEN", CONFLICT, "Email taken";
    /// The change would leave no enabled ADMIN.
    LastAdmin => "LAST_ADMIN", CONFLICT, "Last admin";
    /// `POST /auth/totp` or its confirmation on an account whose second factor is already on.
    TotpAlreadyEnabled => "TOTP_ALREADY_ENABLED", CONFLICT, "Second factor already enabled";
    /// `POST /auth/totp/confirm` without an enrollment in progress.
    TotpNotEnrolling => "TOTP_NOT_ENROLLING", CONFLICT, "No second factor being enrolled";
    /// A 400 some HTTP layer produced before any handler ran (or another 4xx without a code).
    BadRequest => "BAD_REQUEST", BAD_REQUEST, "Bad request";
    /// A 401 some HTTP layer produced without a problem.
    Unauthorized => "UNAUTHORIZED", UNAUTHORIZED, "Unauthorized";
    /// The request did not arrive in time (the HTTP layer's 408).
    RequestTimeout => "REQUEST_TIMEOUT", REQUEST_TIMEOUT, "Request timeout";
    /// The HTTP layer's 411.
    LengthRequired => "LENGTH_REQUIRED", LENGTH_REQUIRED, "Length required";
    /// The HTTP layer's 431.
    HeadersTooLarge => "HEADERS_TOO_LARGE", REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers too large";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The schema of the Problem's `code`: a string, one of [`ErrorCode::ALL`].
impl PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("Stable, machine-readable error code (api.md §1)."))
            .enum_values(Some(Self::ALL.iter().map(|c| c.as_str())))
            .examples([serde_json::json!(Self::DuplicateOrder.as_str())])
            .into()
    }
}

impl ToSchema for ErrorCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const API_MD: &str = include_str!("../../../../docs/api.md");

    /// The codes of api.md's error table (§1): its rows start with `` | `CODE` | status | ``.
    fn documented() -> Vec<(String, u16)> {
        let section = API_MD
            .split("\n## 1. Errors")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("api.md has a section 1. Errors");
        section
            .lines()
            .filter_map(|line| {
                let mut cells = line.split('|').map(str::trim).skip(1);
                let code = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
                let status = cells.next()?.parse().ok()?;
                Some((code.to_owned(), status))
            })
            .collect()
    }

    #[test]
    fn every_code_is_in_the_error_table_of_api_md_with_its_status() {
        let documented = documented();
        for code in ErrorCode::ALL {
            assert!(
                documented
                    .iter()
                    .any(|(c, s)| c == code.as_str() && *s == code.status().as_u16()),
                "{code} ({}) is not a row of api.md's error table",
                code.status().as_u16()
            );
        }
    }

    #[test]
    fn the_error_table_of_api_md_has_no_code_the_enum_lacks_and_no_duplicate() {
        let documented = documented();
        let names: BTreeSet<&str> = documented.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(names.len(), documented.len(), "a code is listed twice");
        let ours: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(ours, names);
    }

    #[test]
    fn the_codes_are_unique_upper_snake_case_error_statuses() {
        let strings: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            strings.len(),
            ErrorCode::ALL.len(),
            "a code string is used twice"
        );
        for code in ErrorCode::ALL {
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{code}"
            );
            assert!(
                code.status().is_client_error() || code.status().is_server_error(),
                "{code}"
            );
        }
    }

    #[test]
    fn a_code_serialises_as_its_string() {
        assert_eq!(
            serde_json::to_string(&ErrorCode::DuplicateOrder)
                .ok()
                .as_deref(),
            Some("\"DUPLICATE_ORDER\"")
        );
    }
}
