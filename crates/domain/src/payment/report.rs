//! What the acquirer reports about a payment (its outcome webhook, api.md §4), and what we ask it
//! to cancel.

use super::{CancelReason, FailureCode, FailureMessage, Payment, PaymentStatus};
use crate::{
    ids::{PaymentKey, TransactionId},
    money::Amount,
};

/// A cancel we ask the acquirer for (api.md §4.3): which payment and transaction, how much, why.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AcquirerCancel {
    pub payment_key: PaymentKey,
    pub transaction_id: Option<TransactionId>,
    pub amount: Amount,
    pub reason: CancelReason,
}

impl AcquirerCancel {
    /// The cancel of the whole of `payment`, under the transaction it holds.
    pub fn of(payment: &Payment, reason: CancelReason) -> Self {
        Self {
            payment_key: payment.key.clone(),
            transaction_id: payment.transaction_id.clone(),
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
