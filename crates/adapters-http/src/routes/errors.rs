//! Domain errors → problem details. The only place that decides statuses and codes.

use actix_web::http::StatusCode;
use domain::{
    payment::TransitionRejected,
    services::{
        auth::AuthError,
        merchants::MerchantError,
        payments::{ChangePaymentError, CreatePaymentError, FindPaymentError, ListPaymentsError},
    },
};

use crate::problem::{ApiError, Extensions};

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let detail = e.to_string();
        let unauthorized =
            |code, title| ApiError::new(StatusCode::UNAUTHORIZED, code, title, detail.clone());
        match e {
            AuthError::MissingHeader(_) => {
                unauthorized("MISSING_AUTH_HEADERS", "Missing authentication headers")
            }
            AuthError::TimestampOutOfWindow { .. } => {
                unauthorized("TIMESTAMP_OUT_OF_WINDOW", "Timestamp out of window")
            }
            AuthError::RepeatedHeader(_)
            | AuthError::UnreadableHeader(_)
            | AuthError::MalformedNonce => unauthorized("INVALID_SIGNATURE", "Invalid signature"),
            AuthError::InvalidSignature { canonical_sha256 } => {
                let mut e = unauthorized("INVALID_SIGNATURE", "Invalid signature");
                e.extensions = canonical_sha256.map(|hash| {
                    Box::new(Extensions {
                        canonical_string_sha256: Some(hash),
                    })
                });
                e
            }
            AuthError::Replayed => unauthorized("REPLAYED_REQUEST", "Replayed request"),
            AuthError::Inactive => ApiError::new(
                StatusCode::FORBIDDEN,
                "CLIENT_INACTIVE",
                "Client inactive",
                detail,
            ),
            AuthError::Cipher(c) => ApiError::internal(c),
            AuthError::Repository(r) => r.into(),
        }
    }
}

impl From<CreatePaymentError> for ApiError {
    fn from(e: CreatePaymentError) -> Self {
        match e {
            CreatePaymentError::ClientMismatch => ApiError::new(
                StatusCode::FORBIDDEN,
                "CLIENT_ID_MISMATCH",
                "Client id mismatch",
                e.to_string(),
            ),
            CreatePaymentError::DuplicateOrder(_) => ApiError::new(
                StatusCode::CONFLICT,
                "DUPLICATE_ORDER",
                "Duplicate order",
                e.to_string(),
            ),
            CreatePaymentError::Replayed => AuthError::Replayed.into(),
            CreatePaymentError::Repository(r) => r.into(),
        }
    }
}

impl From<FindPaymentError> for ApiError {
    fn from(e: FindPaymentError) -> Self {
        match e {
            FindPaymentError::NotFound => ApiError::payment_not_found(),
            FindPaymentError::Repository(r) => r.into(),
        }
    }
}

impl From<ListPaymentsError> for ApiError {
    fn from(e: ListPaymentsError) -> Self {
        match e {
            ListPaymentsError::UnknownCursor => {
                ApiError::field("startingAfter", "does not name one of your payments")
            }
            ListPaymentsError::Repository(r) => r.into(),
        }
    }
}

impl From<ChangePaymentError> for ApiError {
    fn from(e: ChangePaymentError) -> Self {
        match e {
            ChangePaymentError::NotFound => ApiError::payment_not_found(),
            ChangePaymentError::Rejected(r @ TransitionRejected::InvalidTransition { .. })
            | ChangePaymentError::Rejected(r @ TransitionRejected::NotYetExpired(_)) => {
                ApiError::new(
                    StatusCode::CONFLICT,
                    "INVALID_STATE_TRANSITION",
                    "Invalid state transition",
                    r.to_string(),
                )
            }
            ChangePaymentError::Acquirer(detail) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "ACQUIRER_ERROR",
                "Acquirer error",
                detail,
            ),
            ChangePaymentError::Contended => ApiError::new(
                StatusCode::CONFLICT,
                "CONCURRENT_UPDATE",
                "Concurrent update",
                e.to_string(),
            ),
            ChangePaymentError::Repository(r) => r.into(),
        }
    }
}

impl From<MerchantError> for ApiError {
    fn from(e: MerchantError) -> Self {
        match e {
            MerchantError::NotFound(_) => ApiError::new(
                StatusCode::NOT_FOUND,
                "MERCHANT_NOT_FOUND",
                "Merchant not found",
                e.to_string(),
            ),
            MerchantError::Invalid(v) => ApiError::validation(v),
            MerchantError::Cipher(_) => ApiError::internal(e),
            MerchantError::Repository(r) => r.into(),
        }
    }
}
