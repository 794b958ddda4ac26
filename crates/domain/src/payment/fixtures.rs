//! Payments in known states, for the domain's tests.

use super::*;
use std::time::Duration;

use crate::ids::{ClientId, PaymentId, PaymentKey, TransactionId};

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
    Origin::merchant()
}

/// The authorization window the fixtures approve with: 7 days.
pub const AUTHORIZATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub fn approve() -> Command {
    Command::Approve {
        transaction_id: TransactionId::parse("tx-1").unwrap(),
        authorization_ttl: AUTHORIZATION_TTL,
    }
}

/// The `n`th cancel id of a test.
pub fn cancel_id(n: usize) -> CancelId {
    CancelId::parse(&format!("cnl_{n:026}")).unwrap()
}

pub fn reason() -> CancelReason {
    CancelReason::parse("changed my mind").unwrap()
}

/// Cancel a READY payment as a whole (cancel id 0).
pub fn cancel() -> Command {
    Command::Cancel {
        id: cancel_id(0),
        reason: reason(),
    }
}

/// Reserve cancel `n` of `amount` (everything left when `None`).
pub fn request_cancel(n: usize, amount: Option<i64>) -> Command {
    Command::RequestCancel {
        id: cancel_id(n),
        amount: amount.map(|a| Amount::parse(a).unwrap()),
        reason: reason(),
    }
}

/// The acquirer confirms cancel `n`.
pub fn confirm_cancel(n: usize) -> Command {
    Command::SettleCancel {
        id: cancel_id(n),
        outcome: CancelOutcome::Confirmed {
            acquirer_transaction_id: None,
        },
    }
}

/// The acquirer refuses cancel `n`.
pub fn refuse_cancel(n: usize) -> Command {
    Command::SettleCancel {
        id: cancel_id(n),
        outcome: CancelOutcome::Refused {
            code: FailureCode::parse("CANCEL_REFUSED").unwrap(),
            message: None,
        },
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

/// The approved payment, completed 2 ms after creation.
pub fn completed_payment() -> Payment {
    approved_payment()
        .apply(Command::Complete, merchant_origin(), at(2))
        .unwrap()
        .0
}

impl Payment {
    /// The amounts of the payment's cancels, oldest first.
    pub fn list_cancel_amounts(&self) -> Vec<i64> {
        self.cancels
            .list()
            .iter()
            .map(|c| c.amount.minor_units())
            .collect()
    }
}
