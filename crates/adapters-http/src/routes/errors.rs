//! Domain errors → problem details, all in one place: which [`ErrorCode`] each error of the use
//! cases (money core and operator) is; the code fixes the status and title (`problem/code.rs`).

use domain::{
    operator::{deliveries::DeliveryError, simulator::SimulatorError, stats::StatsError},
    payment::{CancelRefused, TransitionRejected},
    services::{
        auth::AuthError,
        merchants::MerchantError,
        payments::{
            ChangePaymentError, CreatePaymentError, FindPaymentError, ListPaymentsError,
            WebhookError,
        },
    },
};

use crate::problem::{ApiError, ErrorCode, Extensions};

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let detail = e.to_string();
        let unauthorized = |code| ApiError::new(code, detail.clone());
        match e {
            AuthError::MissingHeader(_) => unauthorized(ErrorCode::MissingAuthHeaders),
            AuthError::TimestampOutOfWindow { .. } => unauthorized(ErrorCode::TimestampOutOfWindow),
            AuthError::RepeatedHeader(_)
            | AuthError::UnreadableHeader(_)
            | AuthError::MalformedNonce => unauthorized(ErrorCode::InvalidSignature),
            AuthError::InvalidSignature { canonical_sha256 } => {
                let mut e = unauthorized(ErrorCode::InvalidSignature);
                e.problem.extensions = canonical_sha256.map(|hash| {
                    Box::new(Extensions {
                        canonical_string_sha256: Some(hash),
                    })
                });
                e
            }
            AuthError::Replayed => unauthorized(ErrorCode::ReplayedRequest),
            AuthError::Inactive => ApiError::new(ErrorCode::ClientInactive, detail),
            AuthError::Cipher(c) => ApiError::internal(c),
            AuthError::Repository(r) => r.into(),
        }
    }
}

impl From<CreatePaymentError> for ApiError {
    fn from(e: CreatePaymentError) -> Self {
        match e {
            CreatePaymentError::ClientMismatch => {
                ApiError::new(ErrorCode::ClientIdMismatch, e.to_string())
            }
            CreatePaymentError::DuplicateOrder(_) => {
                ApiError::new(ErrorCode::DuplicateOrder, e.to_string())
            }
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
            ChangePaymentError::Rejected(
                r @ (TransitionRejected::InvalidTransition { .. }
                | TransitionRejected::NotYetExpired(_)
                | TransitionRejected::CancelPending
                | TransitionRejected::Cancel(
                    CancelRefused::Unknown(_)
                    | CancelRefused::AlreadyEnded(..)
                    | CancelRefused::DuplicateId(_),
                )),
            ) => ApiError::new(ErrorCode::InvalidStateTransition, r.to_string()),
            ChangePaymentError::Rejected(
                r @ TransitionRejected::PartialCancelNotAllowed { .. },
            ) => ApiError::field("cancelAmount", &r.to_string()),
            ChangePaymentError::Rejected(
                r @ TransitionRejected::Cancel(CancelRefused::AmountExceeded { .. }),
            ) => ApiError::new(ErrorCode::CancelAmountExceeded, r.to_string()),
            ChangePaymentError::Acquirer(detail) => ApiError::new(ErrorCode::AcquirerError, detail),
            ChangePaymentError::Contended => {
                ApiError::new(ErrorCode::ConcurrentUpdate, e.to_string())
            }
            ChangePaymentError::Repository(r) => r.into(),
        }
    }
}

impl From<MerchantError> for ApiError {
    fn from(e: MerchantError) -> Self {
        match e {
            MerchantError::NotFound(_) => ApiError::new(ErrorCode::MerchantNotFound, e.to_string()),
            MerchantError::Invalid(v) => ApiError::validation(v),
            MerchantError::Cipher(_) => ApiError::internal(e),
            MerchantError::Repository(r) => r.into(),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::NotFound => ApiError::payment_not_found(),
            WebhookError::AmountMismatch { .. } => {
                ApiError::new(ErrorCode::AmountMismatch, e.to_string())
            }
            WebhookError::Conflict(_) => {
                ApiError::new(ErrorCode::InvalidStateTransition, e.to_string())
            }
            WebhookError::Contended => ApiError::new(ErrorCode::ConcurrentUpdate, e.to_string()),
            WebhookError::Repository(r) => r.into(),
        }
    }
}

impl From<DeliveryError> for ApiError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::NotFound(_) => {
                ApiError::new(ErrorCode::DeliveryNotFound, "No delivery with this id")
            }
            DeliveryError::StillPending(_) => {
                ApiError::new(ErrorCode::DeliveryPending, e.to_string())
            }
            DeliveryError::Repository(r) => r.into(),
        }
    }
}

impl From<StatsError> for ApiError {
    fn from(e: StatsError) -> Self {
        match e {
            StatsError::InvertedRange => ApiError::field("from", "must not be after to"),
            StatsError::Repository(r) => r.into(),
        }
    }
}

impl From<SimulatorError> for ApiError {
    fn from(e: SimulatorError) -> Self {
        match e {
            SimulatorError::PaymentNotFound => ApiError::payment_not_found(),
            SimulatorError::Invalid(detail) => ApiError::field("transactionId", &detail),
            SimulatorError::Repository(r) => r.into(),
        }
    }
}
