//! The cancels of one payment and the money invariant over them (api.md §9.1–9.2).
//!
//! A cancel is *reserved* (PENDING) before the acquirer is asked, so that its amount is taken out
//! of what later cancels may take while the acquirer is being asked; it then ends SUCCEEDED (the
//! acquirer confirmed) or FAILED (refused, or given up on: its amount is released). A committed
//! PENDING cancel is also the durable record that lets a crash or a lost commit between the
//! acquirer's answer and our transition be finished later, exactly once, instead of leaving our
//! books disagreeing with the acquirer's.
//!
//! The invariant, kept by every method here and checked by [`Cancels::restore`]:
//! `canceled + pending ≤ amount`, where `canceled` is the sum of the SUCCEEDED cancels and
//! `pending` the sum of the PENDING ones; a cancel leaves PENDING at most once.

use crate::{
    Timestamp,
    ids::TransactionId,
    money::Amount,
    named_enum::named_enum,
    payment::{CancelReason, FailureCode, FailureMessage},
    validation::{Invalid, checked_string, url_safe_token},
};

checked_string!(
    /// A cancel's identifier: `cnl_` and 26 to 60 characters of `[A-Za-z0-9_-]`. Sent to the
    /// acquirer with the cancel, it makes the acquirer's side idempotent: the same id sent again
    /// never cancels twice.
    CancelId,
    |raw| match raw.strip_prefix("cnl_") {
        Some(rest) => url_safe_token(rest, 26, 60),
        None => Err(Invalid::new("must start with cnl_")),
    }
);

impl CancelId {
    /// `cnl_` and the 32 hex digits of `uuid` (a UUIDv7 from the key generator).
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(format!("cnl_{}", uuid.simple()))
    }
}

named_enum! {
    /// Where a cancel is.
    pub enum CancelStatus {
        /// Reserved: its amount is held while the acquirer is asked (and asked again).
        Pending = "PENDING",
        /// The acquirer confirmed it.
        Succeeded = "SUCCEEDED",
        /// The acquirer refused it, or it was given up on; its amount is released.
        Failed = "FAILED",
    }
    parse -> Option;
}

/// One cancel of a payment.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Cancel {
    pub id: CancelId,
    pub amount: Amount,
    pub reason: CancelReason,
    pub status: CancelStatus,
    pub acquirer_transaction_id: Option<TransactionId>,
    pub failure_code: Option<FailureCode>,
    pub failure_message: Option<FailureMessage>,
    pub requested_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// The PENDING cancels of every payment, as operators watch them (runbook, "A cancel is stuck
/// PENDING"): a PENDING cancel normally ends within the acquirer's cancel timeout or the
/// outbox's retries, so one that stays is a cancel nobody has settled.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PendingCancels {
    /// How many cancels are PENDING.
    pub count: u64,
    /// When the oldest of them was requested (`None` when there is none).
    pub oldest_requested_at: Option<Timestamp>,
}

/// Why a cancel could not be reserved or settled.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum CancelRefused {
    /// More than what is left to cancel (`CANCEL_AMOUNT_EXCEEDED`); nothing is left when
    /// `cancelable` is 0.
    #[error("the cancel amount exceeds the cancelable amount ({cancelable})")]
    AmountExceeded { cancelable: i64 },
    /// No cancel of this payment has this id.
    #[error("no cancel {0}")]
    Unknown(CancelId),
    /// The cancel already ended (SUCCEEDED or FAILED): an answer for it arrived twice.
    #[error("cancel {0} already ended {1}")]
    AlreadyEnded(CancelId, CancelStatus),
    /// A cancel with this id exists already.
    #[error("cancel {0} exists already")]
    DuplicateId(CancelId),
}

/// What a confirmed cancel did to the payment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Settled {
    /// Something is left: the payment is (or stays) PARTIAL_CANCELED.
    Partially,
    /// Nothing is left: the payment is CANCELED.
    Fully,
}

/// The cancels of a payment of `amount`, oldest first.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Cancels {
    amount: Amount,
    cancels: Vec<Cancel>,
}

impl Cancels {
    /// No cancel yet.
    pub fn new(amount: Amount) -> Self {
        Self {
            amount,
            cancels: Vec::new(),
        }
    }

    /// Rebuilds the cancels storage wrote; refuses a set that breaks the invariant (a corrupt
    /// row set) or repeats an id.
    pub fn restore(amount: Amount, cancels: Vec<Cancel>) -> Result<Self, Invalid> {
        let restored = Self { amount, cancels };
        if restored.canceled_amount() + restored.pending_amount() > amount.minor_units() {
            return Err(Invalid::new(
                "the succeeded and pending cancels exceed the payment's amount",
            ));
        }
        for (i, cancel) in restored.cancels.iter().enumerate() {
            if restored.cancels[..i].iter().any(|c| c.id == cancel.id) {
                return Err(Invalid::new(format!("cancel {} appears twice", cancel.id)));
            }
        }
        Ok(restored)
    }

    pub fn amount(&self) -> Amount {
        self.amount
    }

    /// Oldest first.
    pub fn list(&self) -> &[Cancel] {
        &self.cancels
    }

    /// The cancel `id`, if the payment has it.
    pub fn find(&self, id: &CancelId) -> Option<&Cancel> {
        self.cancels.iter().find(|c| &c.id == id)
    }

    /// The sum of the SUCCEEDED cancels (`canceledAmount`).
    pub fn canceled_amount(&self) -> i64 {
        self.sum(CancelStatus::Succeeded)
    }

    /// The sum of the PENDING cancels (held while the acquirer is asked).
    pub fn pending_amount(&self) -> i64 {
        self.sum(CancelStatus::Pending)
    }

    /// What a new cancel may still take (`cancelableAmount`).
    pub fn cancelable_amount(&self) -> i64 {
        self.amount.minor_units() - self.canceled_amount() - self.pending_amount()
    }

    /// Reserves a PENDING cancel of `requested` (all that is cancelable when `None`).
    pub fn reserve(
        &mut self,
        id: CancelId,
        requested: Option<Amount>,
        reason: CancelReason,
        now: Timestamp,
    ) -> Result<&Cancel, CancelRefused> {
        if self.cancels.iter().any(|c| c.id == id) {
            return Err(CancelRefused::DuplicateId(id));
        }
        let cancelable = self.cancelable_amount();
        let amount = match requested {
            Some(amount) if amount.minor_units() <= cancelable => amount,
            None if cancelable > 0 => Amount::parse(cancelable)
                .map_err(|_| CancelRefused::AmountExceeded { cancelable })?,
            _ => return Err(CancelRefused::AmountExceeded { cancelable }),
        };
        self.cancels.push(Cancel {
            id,
            amount,
            reason,
            status: CancelStatus::Pending,
            acquirer_transaction_id: None,
            failure_code: None,
            failure_message: None,
            requested_at: now,
            completed_at: None,
        });
        Ok(&self.cancels[self.cancels.len() - 1])
    }

    /// The acquirer confirmed cancel `id`: SUCCEEDED, once.
    pub fn succeed(
        &mut self,
        id: &CancelId,
        acquirer_transaction_id: Option<TransactionId>,
        now: Timestamp,
    ) -> Result<Settled, CancelRefused> {
        let cancel = self.pending_mut(id)?;
        cancel.status = CancelStatus::Succeeded;
        cancel.acquirer_transaction_id = acquirer_transaction_id;
        cancel.completed_at = Some(now);
        Ok(if self.canceled_amount() == self.amount.minor_units() {
            Settled::Fully
        } else {
            Settled::Partially
        })
    }

    /// Cancel `id` was refused or given up on: FAILED, once; its amount is released.
    pub fn fail(
        &mut self,
        id: &CancelId,
        code: FailureCode,
        message: Option<FailureMessage>,
        now: Timestamp,
    ) -> Result<(), CancelRefused> {
        let cancel = self.pending_mut(id)?;
        cancel.status = CancelStatus::Failed;
        cancel.failure_code = Some(code);
        cancel.failure_message = message;
        cancel.completed_at = Some(now);
        Ok(())
    }

    fn pending_mut(&mut self, id: &CancelId) -> Result<&mut Cancel, CancelRefused> {
        let cancel = self
            .cancels
            .iter_mut()
            .find(|c| &c.id == id)
            .ok_or_else(|| CancelRefused::Unknown(id.clone()))?;
        match cancel.status {
            CancelStatus::Pending => Ok(cancel),
            ended => Err(CancelRefused::AlreadyEnded(id.clone(), ended)),
        }
    }

    fn sum(&self, status: CancelStatus) -> i64 {
        self.cancels
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.amount.minor_units())
            .sum()
    }
}

#[cfg(test)]
#[path = "cancels_tests.rs"]
mod tests;
