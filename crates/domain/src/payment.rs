//! The `Payment` aggregate: creation and the only way a payment ever changes, [`Payment::apply`].

mod audit;
mod cancels;
mod fields;
mod report;
mod status;

use std::time::Duration;

pub use audit::{Actor, AuditAction, AuditEntry, AuditNote, AuditRecord};
pub use cancels::{Cancel, CancelId, CancelRefused, CancelStatus, Cancels, Settled};
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

/// Something that can happen to a payment after it was created.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Command {
    Approve {
        transaction_id: TransactionId,
    },
    Fail {
        transaction_id: Option<TransactionId>,
        code: FailureCode,
        message: Option<FailureMessage>,
    },
    Complete,
    Cancel {
        reason: CancelReason,
    },
    Expire,
}

impl Command {
    pub fn kind(&self) -> TransitionKind {
        match self {
            Self::Approve { .. } => TransitionKind::Approve,
            Self::Fail { .. } => TransitionKind::Fail,
            Self::Complete => TransitionKind::Complete,
            Self::Cancel { .. } => TransitionKind::Cancel,
            Self::Expire => TransitionKind::Expire,
        }
    }
}

/// Why a command does not apply to a payment.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum TransitionRejected {
    #[error("cannot {} a payment that is {from}", verb(*.kind))]
    InvalidTransition {
        from: PaymentStatus,
        kind: TransitionKind,
    },
    #[error("the payment does not expire before {0}")]
    NotYetExpired(Timestamp),
}

const fn verb(kind: TransitionKind) -> &'static str {
    match kind {
        TransitionKind::Approve => "approve",
        TransitionKind::Fail => "fail",
        TransitionKind::Complete => "complete",
        TransitionKind::Cancel => "cancel",
        TransitionKind::Expire => "expire",
    }
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

    /// Applies `command`: the next state of the payment and the audit row of the change, or why
    /// the command does not apply. Pure: nothing is stored here.
    pub fn apply(
        &self,
        command: Command,
        origin: Origin,
        now: Timestamp,
    ) -> Result<(Self, AuditRecord), TransitionRejected> {
        let kind = command.kind();
        let to = kind
            .target(self.status)
            .ok_or(TransitionRejected::InvalidTransition {
                from: self.status,
                kind,
            })?;
        let mut next = self.0.clone();
        next.status = to;
        next.version = self.version.wrapping_add(1);
        next.updated_at = now;
        let details = match command {
            Command::Approve { transaction_id } => {
                let d = format!("transactionId={transaction_id}");
                next.transaction_id = Some(transaction_id);
                next.approved_at = Some(now);
                Some(d)
            }
            Command::Fail {
                transaction_id,
                code,
                message,
            } => {
                let d = match &message {
                    Some(m) => format!("{code}: {m}"),
                    None => code.to_string(),
                };
                if transaction_id.is_some() {
                    next.transaction_id = transaction_id;
                }
                next.failure_code = Some(code);
                next.failure_message = message;
                next.failed_at = Some(now);
                Some(d)
            }
            Command::Complete => {
                next.completed_at = Some(now);
                None
            }
            Command::Cancel { reason } => {
                let d = format!("reason={reason}");
                next.cancel_reason = Some(reason);
                next.canceled_at = Some(now);
                Some(d)
            }
            Command::Expire => {
                if now < self.expires_at {
                    return Err(TransitionRejected::NotYetExpired(self.expires_at));
                }
                Some(format!("expiresAt={}", self.expires_at))
            }
        };
        let audit = AuditRecord {
            action: AuditAction::Transition(kind),
            from_status: Some(self.status),
            status: to,
            actor: origin.actor,
            details,
            request_id: origin.request_id,
            at: now,
            from_version: Some(self.version),
        };
        Ok((Self(next), audit))
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn at(millis: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_795_507_200_000 + millis).unwrap()
    }

    pub fn client() -> ClientId {
        ClientId::parse("mch_test").unwrap()
    }

    pub fn new_payment(amount: i64) -> NewPayment {
        NewPayment {
            order_no: OrderNo::parse("ORDER-1").unwrap(),
            amount: Amount::parse(amount).unwrap(),
            currency: Currency::KRW,
            method: MethodCode::Card,
            product_name: None,
            customer_name: None,
        }
    }

    pub fn ready_payment() -> Payment {
        Payment::create(
            PaymentId::from_uuid(uuid::Uuid::nil()),
            PaymentKey::from_bytes([7; 32]),
            client(),
            new_payment(15_000),
            at(0),
            Duration::from_secs(1800),
            None,
        )
        .0
    }

    pub fn merchant_origin() -> Origin {
        Origin {
            actor: Actor::Merchant,
            request_id: None,
        }
    }

    pub fn approve() -> Command {
        Command::Approve {
            transaction_id: TransactionId::parse("tx-1").unwrap(),
        }
    }

    pub fn cancel() -> Command {
        Command::Cancel {
            reason: CancelReason::parse("changed my mind").unwrap(),
        }
    }

    /// The ready payment after `command`, applied by its merchant 1 ms after creation.
    pub fn ready_payment_after(command: Command) -> Payment {
        ready_payment()
            .apply(command, merchant_origin(), at(1))
            .unwrap()
            .0
    }

    /// The ready payment, approved by the acquirer as transaction `tx-1`.
    pub fn approved_payment() -> Payment {
        ready_payment_after(approve())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{fixtures::*, *};

    #[test]
    fn a_new_payment_is_ready_and_expires_after_the_ttl() {
        let p = ready_payment();
        assert_eq!(p.status, PaymentStatus::Ready);
        assert_eq!(p.version, 0);
        assert_eq!(p.expires_at, at(1_800_000));
    }

    #[test]
    fn approving_records_the_transaction_and_the_audit_row() {
        let (next, audit) = ready_payment()
            .apply(approve(), merchant_origin(), at(5))
            .unwrap();
        assert_eq!(next.status, PaymentStatus::Approved);
        assert_eq!(next.version, 1);
        assert_eq!(next.approved_at, Some(at(5)));
        assert_eq!(audit.from_status, Some(PaymentStatus::Ready));
        assert_eq!(audit.status, PaymentStatus::Approved);
        assert_eq!(audit.from_version, Some(0));
        assert_eq!(audit.action.as_str(), "APPROVE");
    }

    #[test]
    fn completing_a_ready_payment_is_an_invalid_transition() {
        let err = ready_payment()
            .apply(Command::Complete, merchant_origin(), at(5))
            .unwrap_err();
        assert_eq!(
            err,
            TransitionRejected::InvalidTransition {
                from: PaymentStatus::Ready,
                kind: TransitionKind::Complete
            }
        );
        assert_eq!(err.to_string(), "cannot complete a payment that is READY");
    }

    #[test]
    fn canceling_a_ready_payment_keeps_the_reason() {
        let (next, audit) = ready_payment()
            .apply(cancel(), merchant_origin(), at(5))
            .unwrap();
        assert_eq!(next.status, PaymentStatus::Canceled);
        assert_eq!(
            next.cancel_reason.as_ref().unwrap().as_str(),
            "changed my mind"
        );
        assert_eq!(audit.details.as_deref(), Some("reason=changed my mind"));
    }

    #[test]
    fn a_payment_cannot_expire_before_its_deadline() {
        let p = ready_payment();
        assert!(matches!(
            p.apply(Command::Expire, merchant_origin(), at(1_799_999)),
            Err(TransitionRejected::NotYetExpired(_))
        ));
        assert_eq!(
            p.apply(Command::Expire, merchant_origin(), at(1_800_000))
                .unwrap()
                .0
                .status,
            PaymentStatus::Expired
        );
    }

    fn any_command() -> impl Strategy<Value = Command> {
        prop_oneof![
            Just(approve()),
            Just(Command::Fail {
                transaction_id: None,
                code: FailureCode::parse("CARD_DECLINED").unwrap(),
                message: None
            }),
            Just(Command::Complete),
            Just(cancel()),
            Just(Command::Expire),
        ]
    }

    proptest! {
        /// Random command sequences never produce a transition outside the table, versions grow
        /// by exactly one per change, final states never change and the audit trail chains.
        #[test]
        fn random_command_sequences_only_ever_take_legal_transitions(
            commands in proptest::collection::vec((any_command(), 0i64..4_000_000), 0..40)
        ) {
            let mut payment = ready_payment();
            let mut trail: Vec<AuditRecord> = Vec::new();
            for (command, when) in commands {
                let kind = command.kind();
                match payment.apply(command, merchant_origin(), at(when)) {
                    Ok((next, audit)) => {
                        prop_assert!(!payment.status.is_final());
                        prop_assert_eq!(kind.target(payment.status), Some(next.status));
                        prop_assert_eq!(next.version, payment.version + 1);
                        prop_assert_eq!(audit.from_status, Some(payment.status));
                        prop_assert_eq!(audit.status, next.status);
                        if let Some(prev) = trail.last() {
                            prop_assert_eq!(Some(prev.status), audit.from_status);
                        }
                        trail.push(audit);
                        payment = next;
                    }
                    Err(TransitionRejected::InvalidTransition { from, .. }) => {
                        prop_assert_eq!(from, payment.status);
                        prop_assert_eq!(kind.target(from), None);
                    }
                    Err(TransitionRejected::NotYetExpired(_)) => {
                        prop_assert_eq!(kind, TransitionKind::Expire);
                    }
                }
            }
            let approvals = trail.iter().filter(|a| a.action == AuditAction::Transition(TransitionKind::Approve)).count();
            prop_assert!(approvals <= 1);
        }
    }
}
