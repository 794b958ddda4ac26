//! What the acquirer reports about a payment (its outcome webhook, api.md §4), and what we ask it
//! to cancel.

use super::{Cancel, CancelId, CancelReason, FailureCode, FailureMessage, Payment, PaymentStatus};
use crate::{
    ids::{PaymentKey, TransactionId},
    money::Amount,
};

/// A cancel we ask the acquirer for (api.md §9.5): which payment and transaction, which cancel
/// (its id makes the call idempotent at the acquirer), how much, why.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AcquirerCancel {
    pub payment_key: PaymentKey,
    pub transaction_id: Option<TransactionId>,
    pub cancel_id: CancelId,
    pub amount: Amount,
    pub reason: CancelReason,
}

impl AcquirerCancel {
    /// The acquirer's side of `cancel`, a cancel of `payment`.
    pub fn of(payment: &Payment, cancel: &Cancel) -> Self {
        Self {
            payment_key: payment.key.clone(),
            transaction_id: payment.transaction_id.clone(),
            cancel_id: cancel.id.clone(),
            amount: cancel.amount,
            reason: cancel.reason.clone(),
        }
    }

    /// A cancel of the whole of `payment` that the payment does not record as one of its cancels
    /// (a compensating cancel of an approval the payment refused), under the id `cancel_id`.
    pub fn whole(payment: &Payment, cancel_id: CancelId, reason: CancelReason) -> Self {
        Self {
            payment_key: payment.key.clone(),
            transaction_id: payment.transaction_id.clone(),
            cancel_id,
            amount: payment.amount,
            reason,
        }
    }

    /// The same cancel for the transaction `transaction_id` (an approval the payment refused, so
    /// it does not hold that transaction).
    pub fn for_transaction(self, transaction_id: TransactionId) -> Self {
        Self {
            transaction_id: Some(transaction_id),
            ..self
        }
    }
}

/// What the acquirer reported in its webhook.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AcquirerReport {
    pub payment_key: PaymentKey,
    pub transaction_id: TransactionId,
    pub amount: i64,
    pub outcome: ReportedOutcome,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ReportedOutcome {
    Approved,
    Failed {
        code: FailureCode,
        message: Option<FailureMessage>,
    },
}

impl ReportedOutcome {
    /// `APPROVED` or `FAILED`, as the acquirer spells it.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Approved => "APPROVED",
            Self::Failed { .. } => "FAILED",
        }
    }
}

impl AcquirerReport {
    /// The report repeats an outcome `payment` already has (same transaction id and amount).
    pub fn already_applied_to(&self, payment: &Payment) -> bool {
        if payment.transaction_id.as_ref() != Some(&self.transaction_id)
            || self.amount != payment.amount.minor_units()
        {
            return false;
        }
        match self.outcome {
            ReportedOutcome::Approved => payment.approved_at.is_some(),
            ReportedOutcome::Failed { .. } => payment.status == PaymentStatus::Failed,
        }
    }
}
