//! The state of the whole system, and the actions that change it.

use std::{
    fmt,
    hash::{Hash, Hasher},
    sync::Arc,
};

use super::{ACQUIRER_UNAVAILABLE, CANCEL_REFUSED};
use crate::{
    ids::TransactionId,
    payment::{Cancel, CancelId, CancelOutcome, CancelStatus, FailureCode, Payment, PaymentStatus},
};

/// One state of the whole system: the database, each instance's work in flight, the acquirer.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct State {
    pub db: Db,
    /// The merchant request `i` and where its handler is.
    pub requests: Vec<Handler>,
    /// The delivery in flight of outbox message `i` (the carrier of cancel `i`).
    pub deliveries: Vec<Option<Delivery>>,
    /// The acquirer's own ledger, by cancel.
    pub acquirer: Vec<Ledger>,
    pub crashes_left: u8,
}

/// What is committed: it survives every crash.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Db {
    pub row: Row,
    /// The outbox message carrying cancel `i`, once reserved.
    pub outbox: Vec<Option<Message>>,
    /// The transition audit rows written for cancel `i`.
    pub transitions: Vec<u8>,
}

/// The committed payment: the domain's own [`Payment`], compared and hashed by what the
/// protocol reads of it (`key`: version, status, and each cancel's status and failure code; a
/// cancel's amount is its request's).
#[derive(Clone)]
pub struct Row {
    pub payment: Arc<Payment>,
    key: u64,
}

/// Where a committed cancel is, as the protocol reads it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Recorded {
    Pending,
    Succeeded,
    /// FAILED with `CANCEL_REFUSED`.
    Refused,
    /// FAILED with `ACQUIRER_UNAVAILABLE`.
    GivenUp,
}

impl Recorded {
    const ALL: [Self; 4] = [Self::Pending, Self::Succeeded, Self::Refused, Self::GivenUp];

    fn of(cancel: &Cancel) -> Self {
        let code = cancel.failure_code.as_ref().map(|c| c.as_str());
        match (cancel.status, code) {
            (CancelStatus::Pending, _) => Self::Pending,
            (CancelStatus::Succeeded, _) => Self::Succeeded,
            (CancelStatus::Failed, Some(ACQUIRER_UNAVAILABLE)) => Self::GivenUp,
            (CancelStatus::Failed, _) => Self::Refused,
        }
    }
}

impl Row {
    /// Bits per cancel in `key`: 0 for none, else 1 + the position in [`Recorded::ALL`].
    const BITS: u32 = 3;

    pub(super) fn new(payment: Payment, ids: &[CancelId]) -> Self {
        let status = PaymentStatus::ALL
            .iter()
            .position(|s| *s == payment.status)
            .unwrap_or_default() as u64;
        let mut key = (u64::from(payment.version) << 32) | status;
        for cancel in payment.cancels.list() {
            let i = ids
                .iter()
                .position(|id| *id == cancel.id)
                .unwrap_or(ids.len()) as u32;
            let recorded = Recorded::ALL
                .iter()
                .position(|r| *r == Recorded::of(cancel))
                .unwrap_or_default() as u64;
            key |= (recorded + 1) << (Self::BITS * (i + 1));
        }
        Self {
            payment: Arc::new(payment),
            key,
        }
    }

    /// The committed cancel of request `i`, if it was reserved.
    pub fn cancel(&self, i: usize) -> Option<Recorded> {
        let bits = (self.key >> (Self::BITS * (i as u32 + 1))) & ((1 << Self::BITS) - 1);
        (bits > 0).then(|| Recorded::ALL[bits as usize - 1])
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Row {}

impl Hash for Row {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.payment;
        write!(f, "v{} {} [", p.version, p.status)?;
        for (n, c) in p.cancels.list().iter().enumerate() {
            let tail =
                c.id.as_str()
                    .trim_start_matches("cnl_")
                    .trim_start_matches('0');
            let sep = if n == 0 { "" } else { ", " };
            let id = if tail.is_empty() { "0" } else { tail };
            write!(f, "{sep}#{id} {} {}", c.amount, c.status)?;
            if let Some(code) = &c.failure_code {
                write!(f, " {code}")?;
            }
        }
        write!(f, "]")
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Lease {
    Free,
    /// Leased to a dispatcher, until it records its attempt or its instance crashes.
    Held,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum MessageState {
    Pending(Lease),
    Delivered,
    Dead,
}

/// An outbox message as committed: its recorded attempts and its state.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Message {
    pub attempts: u8,
    pub state: MessageState,
}

/// What the merchant got.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Response {
    Ok200,
    Accepted202,
    /// `CANCEL_AMOUNT_EXCEEDED` (or the payment was already CANCELED).
    Conflict409,
    BadGateway502,
    /// The instance crashed before answering.
    NoAnswer,
}

/// A merchant cancel request, handled by one instance.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Handler {
    Idle,
    Loading,
    /// The reservation decided on the payment at version `expected`.
    Reserving {
        expected: u32,
        next: Row,
    },
    /// Reserved and committed; the synchronous acquirer call is next.
    Calling,
    /// The acquirer answered; settling (`loaded`: decided, to be written).
    Settling {
        answer: Decision,
        loaded: Option<Loaded>,
    },
    Done(Response),
}

impl Handler {
    /// Whether an instance is running it (so a crash can take it).
    pub fn is_running(&self) -> bool {
        !matches!(self, Self::Idle | Self::Done(_))
    }
}

/// A settlement decided on the payment at version `expected`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Loaded {
    pub expected: u32,
    pub next: Row,
    pub transition: bool,
}

/// A delivery of an outbox message by one instance's dispatcher.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Delivery {
    pub attempt_no: u8,
    pub phase: Phase,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Phase {
    Calling,
    Settling {
        outcome: Outcome,
        step: Step,
        loaded: Option<Loaded>,
    },
    Finishing {
        step: Step,
    },
}

/// The retry policy's verdict on an attempt.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Step {
    Delivered,
    Retry,
    Dead,
}

/// How a cancel is settled.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Outcome {
    Confirmed,
    Refused,
    /// The last attempt went unanswered.
    GaveUp,
}

impl Outcome {
    pub(super) fn command(self) -> CancelOutcome {
        let code = |c: &str| FailureCode::parse(c).unwrap();
        match self {
            Self::Confirmed => CancelOutcome::Confirmed {
                acquirer_transaction_id: Some(TransactionId::parse("tx-cancel").unwrap()),
            },
            Self::Refused => CancelOutcome::Refused {
                code: code(CANCEL_REFUSED),
                message: None,
            },
            Self::GaveUp => CancelOutcome::Refused {
                code: code(ACQUIRER_UNAVAILABLE),
                message: None,
            },
        }
    }
}

/// What the acquirer decides for a cancel id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Decision {
    Cancel,
    Refuse,
}

impl Decision {
    pub(super) fn outcome(self) -> Outcome {
        match self {
            Self::Cancel => Outcome::Confirmed,
            Self::Refuse => Outcome::Refused,
        }
    }

    pub(super) fn response(self) -> Response {
        match self {
            Self::Cancel => Response::Ok200,
            Self::Refuse => Response::BadGateway502,
        }
    }
}

/// The acquirer's record of one of our cancels.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Debug)]
pub struct Ledger {
    pub decision: Option<Decision>,
    /// How many times it moved the money of this cancel.
    pub canceled: u8,
}

/// One call to the acquirer, as it turns out.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Call {
    /// Connection refused, or lost on the way: the acquirer never saw it.
    NeverArrives,
    /// The acquirer took `decision`; its answer is `lost` (a timeout) or reaches us.
    Arrives { decision: Decision, lost: bool },
}

/// One step of one process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Action {
    /// The merchant sends request `request`; the instance loads the payment and decides the
    /// reservation.
    Arrive {
        request: usize,
    },
    /// Load again after a lost compare-and-set.
    Load {
        request: usize,
    },
    /// The reservation's compare-and-set (the cancel, its audit row and its outbox message).
    Reserve {
        request: usize,
    },
    /// The synchronous acquirer call.
    Call {
        request: usize,
        call: Call,
    },
    LoadSettle {
        request: usize,
    },
    /// The settlement's compare-and-set (with the outbox message called off).
    Settle {
        request: usize,
    },
    /// A dispatcher leases the message.
    Claim {
        message: usize,
    },
    Deliver {
        message: usize,
        call: Call,
    },
    LoadOutboxSettle {
        message: usize,
    },
    OutboxSettle {
        message: usize,
    },
    /// `finish_attempt`.
    Finish {
        message: usize,
    },
    /// An instance crashes: the requests and deliveries it was running (`lost`) are gone,
    /// their leases expire.
    Crash {
        lost: Lost,
    },
}

/// What one instance was running when it crashed: bit `i` of `requests` is request `i`, bit
/// `i` of `deliveries` the delivery of message `i`.
///
/// Which instance runs a step matters for nothing but what a crash takes with it, and with two
/// instances and every possible routing, the work of the crashed one can be any non-empty set
/// of what is running. So steps carry no instance, and a crash takes such a set: the same
/// behaviours as labelling every step with one of two instances, without multiplying the
/// states by every routing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Lost {
    pub requests: u8,
    pub deliveries: u8,
}

impl Lost {
    /// Every non-empty set of the work running in `state`.
    pub(super) fn choices(state: &State) -> impl Iterator<Item = Self> {
        let bits = |running: Vec<bool>| {
            running
                .iter()
                .enumerate()
                .filter(|(_, r)| **r)
                .fold(0u8, |mask, (i, _)| mask | (1 << i))
        };
        let requests = bits(state.requests.iter().map(Handler::is_running).collect());
        let deliveries = bits(state.deliveries.iter().map(Option::is_some).collect());
        let all = (u16::from(deliveries) << 8) | u16::from(requests);
        // Every non-empty subset of `all`.
        let mut subset = all;
        std::iter::from_fn(move || {
            if subset == 0 {
                return None;
            }
            let current = subset;
            subset = (subset - 1) & all;
            Some(Self {
                requests: (current & 0xff) as u8,
                deliveries: (current >> 8) as u8,
            })
        })
    }
}
