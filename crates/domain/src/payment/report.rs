//! What the acquirer reports about a payment (its outcome webhook, api.md §4).

use super::{FailureCode, FailureMessage, Payment, PaymentStatus};
use crate::ids::{PaymentKey, TransactionId};

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
