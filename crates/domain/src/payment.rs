//! The `Payment` aggregate: creation and the only way a payment ever changes, [`Payment::apply`].

mod apply;
mod audit;
#[cfg(test)]
mod cancel_model;
mod cancels;
mod fields;
mod report;
mod status;

use std::time::Duration;

pub use apply::{CancelOutcome, Command, TransitionRejected};
pub use audit::{Actor, AuditAction, AuditEntry, AuditNote, AuditRecord};
pub use cancels::{
    Cancel, CancelId, CancelRefused, CancelStatus, Cancels, PendingCancels, Settled,
};
pub use fields::{
    CancelReason, CustomerName, FailureCode, FailureMessage, MethodCode, OrderNo, ProductName,
};
pub use report::{AcquirerCancel, AcquirerReport, ReportedOutcome};
pub use status::{PaymentStatus, TransitionKind};

use crate::{
    Timestamp,
    ids::{ClientId, PaymentId, PaymentKey, RequestId, TransactionId},
    money::{Amount, Currency},
};

/// A payment. Built by [`Payment::create`] or rebuilt by storage from a row it wrote
/// ([`Payment::restore`]); changed only through [`Payment::apply`], which also yields the audit
/// row describing the change. Its fields are read through [`PaymentRecord`] (`payment.status`
/// works), never written: there is no `DerefMut`, so the compiler enforces that every change is a
/// transition with its audit row.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Payment(PaymentRecord);

/// Every field of a [`Payment`], as storage keeps it. Plain data: building one does not change a
/// payment; only [`Payment::restore`] turns it into one.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub key: PaymentKey,
    pub client_id: ClientId,
    pub order_no: OrderNo,
    pub amount: Amount,
    pub currency: Currency,
    pub method: MethodCode,
    pub product_name: Option<ProductName>,
    pub customer_name: Option<CustomerName>,
    pub status: PaymentStatus,
    /// Optimistic-concurrency version: starts at 0, +1 on every transition.
    pub version: u32,
    pub transaction_id: Option<TransactionId>,
    pub failure_code: Option<FailureCode>,
    pub failure_message: Option<FailureMessage>,
    pub cancel_reason: Option<CancelReason>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub approved_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub canceled_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
    pub expires_at: Timestamp,
    /// While APPROVED: when the authorization is voided if not completed (api.md §9.4).
    pub authorization_expires_at: Option<Timestamp>,
    /// Every cancel of the payment, oldest first, with the money invariant they keep.
    pub cancels: Cancels,
}

impl PaymentRecord {
    /// `canceledAmount`: the sum of the SUCCEEDED cancels.
    pub fn canceled_amount(&self) -> i64 {
        self.cancels.canceled_amount()
    }

    /// `cancelableAmount`: what a new cancel may still take.
    pub fn cancelable_amount(&self) -> i64 {
        self.cancels.cancelable_amount()
    }

    /// A captured payment its cancels took all of: CANCELED after COMPLETED. An amount asked of
    /// it exceeds what is left (nothing), as it did a moment earlier while its last cancel was
    /// still PENDING — so concurrent partial cancels are refused alike however they interleave
    /// (api.md §9.2). A payment canceled whole (READY, an APPROVED void, an expired
    /// authorization) has no balance to exceed: it refuses by its state.
    pub fn is_spent_by_cancels(&self) -> bool {
        self.status == PaymentStatus::Canceled && self.completed_at.is_some()
    }
}

/// A validated create request (api.md §3.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewPayment {
    pub order_no: OrderNo,
    pub amount: Amount,
    pub currency: Currency,
    pub method: MethodCode,
    pub product_name: Option<ProductName>,
    pub customer_name: Option<CustomerName>,
}

/// Who issued a command and in which request, for the audit row.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Origin {
    pub actor: Actor,
    pub request_id: Option<RequestId>,
}

impl std::ops::Deref for Payment {
    type Target = PaymentRecord;

    fn deref(&self) -> &PaymentRecord {
        &self.0
    }
}

impl Payment {
    /// The payment storage wrote as `record` (a row read back, or a test's fixture). Not a way to
    /// change a payment: the record must be one that [`Payment::create`] and [`Payment::apply`]
    /// produced.
    pub fn restore(record: PaymentRecord) -> Self {
        Self(record)
    }

    /// The fields, for storage to write.
    pub fn into_record(self) -> PaymentRecord {
        self.0
    }

    /// A new READY payment and its `CREATE` audit row.
    pub fn create(
        id: PaymentId,
        key: PaymentKey,
        client_id: ClientId,
        new: NewPayment,
        now: Timestamp,
        ready_ttl: Duration,
        request_id: Option<RequestId>,
    ) -> (Self, AuditRecord) {
        let payment = Self(PaymentRecord {
            id,
            key,
            client_id,
            order_no: new.order_no,
            amount: new.amount,
            currency: new.currency,
            method: new.method,
            product_name: new.product_name,
            customer_name: new.customer_name,
            status: PaymentStatus::Ready,
            version: 0,
            transaction_id: None,
            failure_code: None,
            failure_message: None,
            cancel_reason: None,
            created_at: now,
            updated_at: now,
            approved_at: None,
            completed_at: None,
            canceled_at: None,
            failed_at: None,
            expires_at: now.plus(ready_ttl),
            authorization_expires_at: None,
            cancels: Cancels::new(new.amount),
        });
        let audit = AuditRecord {
            action: AuditAction::Create,
            from_status: None,
            status: PaymentStatus::Ready,
            actor: Actor::Merchant,
            details: Some(format!("amount={} {}", payment.amount, payment.currency)),
            request_id,
            at: now,
            from_version: None,
        };
        (payment, audit)
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
