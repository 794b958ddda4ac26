//! What the payment use cases answer when they do not succeed.

use crate::{
    RepositoryError,
    payment::{Payment, TransitionRejected},
};

#[derive(Debug, thiserror::Error)]
pub enum CreatePaymentError {
    #[error("clientId in the body does not match X-Client-Id")]
    ClientMismatch,
    #[error("orderNo {0} was already used by this merchant")]
    DuplicateOrder(String),
    /// The nonce to record with the payment was already used: nothing was written.
    #[error("this X-Nonce was already used")]
    Replayed,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl CreatePaymentError {
    /// Whether the request's nonce is known to be recorded already (by an earlier request):
    /// for every other error the create wrote nothing, the nonce included.
    pub fn nonce_already_used(&self) -> bool {
        matches!(self, Self::Replayed)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FindPaymentError {
    #[error("payment not found")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

#[derive(Debug, thiserror::Error)]
pub enum ListPaymentsError {
    /// `startingAfter` names no payment visible to the caller.
    #[error("startingAfter does not name one of your payments")]
    UnknownCursor,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

#[derive(Debug, thiserror::Error)]
pub enum ChangePaymentError {
    #[error("payment not found")]
    NotFound,
    #[error(transparent)]
    Rejected(#[from] TransitionRejected),
    /// The acquirer must confirm this change and could not be asked (api.md §3.5).
    #[error("{0}")]
    Acquirer(String),
    #[error("the payment kept changing concurrently; retry")]
    Contended,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum WebhookOutcome {
    /// The payment moved to APPROVED or FAILED.
    Applied(Payment),
    /// The same outcome was already applied; nothing changed.
    Duplicate(Payment),
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("payment not found")]
    NotFound,
    #[error("the acquirer reported amount {reported} but the payment is for {expected}")]
    AmountMismatch { expected: i64, reported: i64 },
    #[error("{0}")]
    Conflict(String),
    #[error("the payment kept changing concurrently; retry")]
    Contended,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<TransitionRejected> for WebhookError {
    fn from(e: TransitionRejected) -> Self {
        Self::Conflict(e.to_string())
    }
}

/// A change's error from the two ways every change can end early: the payment is not there
/// (or the store failed looking), or every attempt lost its race.
macro_rules! change_error_conversions {
    ($($error:ident),+) => {$(
        impl From<FindPaymentError> for $error {
            fn from(e: FindPaymentError) -> Self {
                match e {
                    FindPaymentError::NotFound => Self::NotFound,
                    FindPaymentError::Repository(r) => Self::Repository(r),
                }
            }
        }

        impl From<Contended> for $error {
            fn from(_: Contended) -> Self {
                Self::Contended
            }
        }
    )+};
}

change_error_conversions!(ChangePaymentError, WebhookError);

/// Every attempt at a change lost its race (or met a database conflict): the payment kept
/// changing under us. Rare; the caller may try again.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error("the payment kept changing concurrently")]
pub struct Contended;
