//! Domain errors → problem details, all in one place: which [`ErrorCode`] each error of the use
//! cases (money core and operator) is; the code fixes the status and title (`problem/code.rs`).

use domain::{
    operator::{deliveries::DeliveryError, simulator::SimulatorError, stats::StatsError},
    payment::{CancelRefused, TransitionRejected},
    people::{Denied, Guarded},
    services::people::{LoginError, TotpError, UserError},
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
            MerchantError::Forbidden => super::guards::forbidden(),
            MerchantError::Contended(_) => {
                ApiError::new(ErrorCode::ConcurrentUpdate, e.to_string())
            }
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
            DeliveryError::MerchantNotFound(_) => {
                ApiError::new(ErrorCode::MerchantNotFound, e.to_string())
            }
            DeliveryError::NoReturnUrl(_) => ApiError::new(ErrorCode::NoReturnUrl, e.to_string()),
            DeliveryError::Repository(r) => r.into(),
        }
    }
}

impl From<domain::services::settlement::SettlementError> for ApiError {
    fn from(e: domain::services::settlement::SettlementError) -> Self {
        use domain::services::settlement::SettlementError as E;
        match e {
            E::NotFound(_) => ApiError::new(ErrorCode::SettlementNotFound, e.to_string()),
            E::DateNotOver(_) => ApiError::new(ErrorCode::SettlementDateNotOver, e.to_string()),
            E::MerchantMissing(_) => ApiError::internal(e),
            E::Repository(r) => r.into(),
        }
    }
}

impl From<domain::services::reconciliation::ReconciliationError> for ApiError {
    fn from(e: domain::services::reconciliation::ReconciliationError) -> Self {
        use domain::services::reconciliation::ReconciliationError as E;
        match e {
            E::NotFound(_) => ApiError::new(ErrorCode::ReconciliationNotFound, e.to_string()),
            E::DateInFuture(_) => ApiError::field(
                "date",
                "must not be after today in the settlement time zone",
            ),
            E::Acquirer(_) => ApiError::new(ErrorCode::AcquirerError, e.to_string()),
            E::Repository(r) => r.into(),
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
            SimulatorError::Forbidden => super::guards::forbidden(),
            SimulatorError::Repository(r) => r.into(),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Failed => ApiError::new(ErrorCode::LoginFailed, e.to_string()),
            LoginError::Locked { retry_after } => {
                let mut err = ApiError::new(
                    ErrorCode::LoginLocked,
                    "The account is locked after too many failed logins; try again later",
                );
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                err.retry_after_secs = Some(u32::try_from(secs.max(1)).unwrap_or(u32::MAX));
                err
            }
            LoginError::TotpRequired => ApiError::new(ErrorCode::TotpRequired, e.to_string()),
            LoginError::Contended => ApiError::new(ErrorCode::ConcurrentUpdate, e.to_string()),
            LoginError::Repository(r) => r.into(),
        }
    }
}

impl From<TotpError> for ApiError {
    fn from(e: TotpError) -> Self {
        match e {
            TotpError::AlreadyEnabled => {
                ApiError::new(ErrorCode::TotpAlreadyEnabled, e.to_string())
            }
            TotpError::NotEnrolling => ApiError::new(ErrorCode::TotpNotEnrolling, e.to_string()),
            TotpError::InvalidCode => ApiError::field("code", "is not the current one-time code"),
            TotpError::Contended => ApiError::new(ErrorCode::ConcurrentUpdate, e.to_string()),
            TotpError::Gone => super::guards::unauthenticated(),
            TotpError::Repository(r) => r.into(),
        }
    }
}

impl<E> From<Guarded<E>> for ApiError
where
    ApiError: From<E>,
{
    fn from(g: Guarded<E>) -> Self {
        match g {
            Guarded::Forbidden => super::guards::forbidden(),
            Guarded::Failed(e) => e.into(),
        }
    }
}

impl From<Denied> for ApiError {
    /// A role that may not act is 403; another merchant's resource is unknown. The only
    /// resource a people endpoint names by merchant is the merchant of a new user.
    fn from(d: Denied) -> Self {
        match d {
            Denied::Forbidden => super::guards::forbidden(),
            Denied::NotFound => ApiError::new(ErrorCode::MerchantNotFound, "No such merchant"),
        }
    }
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Denied(d) => d.into(),
            UserError::Invalid(v) => ApiError::validation(v),
            UserError::EmailTaken => ApiError::new(ErrorCode::EmailTaken, e.to_string()),
            UserError::NotFound => user_not_found(),
            UserError::LastAdmin => ApiError::new(ErrorCode::LastAdmin, e.to_string()),
            UserError::Contended => ApiError::new(ErrorCode::ConcurrentUpdate, e.to_string()),
            UserError::Hash(h) => ApiError::internal(h),
            UserError::Repository(r) => r.into(),
        }
    }
}

/// 404 `USER_NOT_FOUND`: an unknown or malformed user id, or a user the caller may not see.
pub(super) fn user_not_found() -> ApiError {
    ApiError::new(ErrorCode::UserNotFound, "No user with this id")
}
