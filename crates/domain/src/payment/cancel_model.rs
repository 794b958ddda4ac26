//! A model of the cancel protocol (api.md §9.2, §9.5), checked exhaustively with `stateright`
//! (ADR 0022).
//!
//! The model is the protocol of `services::payments::cancels` and `services::dispatcher` with
//! every process step made explicit, and the checker explores every interleaving of them:
//!
//! - **A merchant request**: load → decide → compare-and-set (the change loop) reserves a
//!   PENDING cancel together with its outbox message, or refuses it (409); then one acquirer
//!   call with nothing locked; then load → decide → compare-and-set settles it (SUCCEEDED with
//!   the payment's transition: 200; FAILED `CANCEL_REFUSED`: 502), calling the outbox message
//!   off in the same write unless a dispatcher holds it. No answer: 202, the cancel stays
//!   PENDING for the outbox.
//! - **The dispatcher** leases a free message, calls the acquirer under the same cancel id,
//!   settles the cancel if the acquirer answered or if that was the last attempt (FAILED
//!   `ACQUIRER_UNAVAILABLE`), then records the attempt (`finish_attempt`: only a message still
//!   PENDING takes the outcome; a retry frees it for the next attempt).
//! - **Settling** only ever settles a PENDING cancel, and its write is a compare-and-set.
//! - **Two instances** run requests and dispatchers. Which one runs a step matters only for
//!   what a crash takes with it, so a **crash** takes any non-empty set of the work running
//!   (see [`Lost`]): those requests go unanswered, those deliveries are not recorded, their
//!   leases expire; committed rows survive and any dispatcher may take the messages over.
//! - **The acquirer** decides each cancel id once (cancel or refuse) and answers every later call
//!   under that id the same way, moving no money again; it checks nothing else (not even its
//!   balance), so its ledger shows what we asked of it. Any call may never arrive, or arrive
//!   and have its answer lost (a timeout).
//!
//! The committed payment is the real [`Payment`]: every write is [`Payment::apply`] of the
//! commands the service issues (`RequestCancel`, `SettleCancel`), so the cancelable amount,
//! the PENDING-only settling and the PARTIAL_CANCELED/CANCELED transitions are the domain's own
//! rules, not a re-implementation. Time is not modelled: by default the dispatcher may take a
//! message over at any moment after it is committed (more interleavings than the service's
//! timing allows; [`CancelModel::with_outbox_after_the_call`] adds that timing).
//!
//! [`Flaws`] switches on deliberately broken variants of the protocol; the tests check that
//! the checker catches each of them, so the properties are known to be able to fail.

mod properties;
mod state;
mod steps;
mod tests;

pub use state::*;

use std::time::Duration;

use stateright::{Expectation, Model, Property};

use super::{AuditAction, CancelId, CancelReason, Command, Origin, Payment, fixtures};
use crate::{
    ids::{PaymentId, PaymentKey},
    money::Amount,
};

/// The failure code of a cancel the acquirer refused (as the service writes it).
pub const CANCEL_REFUSED: &str = "CANCEL_REFUSED";
/// The failure code of a cancel given up after the last unanswered attempt.
pub const ACQUIRER_UNAVAILABLE: &str = "ACQUIRER_UNAVAILABLE";

/// What is checked: one payment, the cancel requests made of it, and the limits.
#[derive(Clone, Debug)]
pub struct CancelModel {
    /// The payment's amount; the payment starts COMPLETED.
    pub amount: i64,
    /// One merchant cancel request per entry, of that amount; request `i` uses cancel id `i`.
    pub requests: Vec<i64>,
    /// The dispatcher's attempts per message (the acquirer retry policy's `max_attempts`).
    pub max_attempts: u8,
    /// How many instance crashes may happen in one run.
    pub crashes: u8,
    /// Each change (load, decide, compare-and-set) as one step instead of two (see
    /// [`CancelModel::with_atomic_changes`]).
    pub atomic_changes: bool,
    /// The dispatcher takes a message over only once its synchronous call has ended (see
    /// [`CancelModel::with_outbox_after_the_call`]).
    pub outbox_after_the_call: bool,
    pub flaws: Flaws,
    /// Which properties a check looks at (each one costs time in every state).
    pub checking: Checking,
    /// The committed payment before any cancel, and the cancel ids.
    start: Payment,
    ids: Vec<CancelId>,
}

/// Which properties of [`properties::all`] a check looks at.
#[derive(Clone, Debug)]
pub enum Checking {
    All,
    /// The invariants (`Always`) or the reachability properties (`Sometimes`).
    Only(Expectation),
    /// The one property of this name.
    One(&'static str),
}

/// Deliberately broken variants of the protocol (all off: the protocol as built).
#[derive(Clone, Copy, Default, Debug)]
pub struct Flaws {
    /// The reservation is written without its version check (a lost update).
    pub reserve_without_version_check: bool,
    /// The settlement is written without its version check (a lost update).
    pub settle_without_version_check: bool,
    /// Every acquirer call carries a fresh cancel id instead of the reserved cancel's.
    pub fresh_cancel_id_per_call: bool,
    /// The acquirer may confirm, on a later call, a cancel id it once refused.
    pub acquirer_may_reverse_a_refusal: bool,
}

impl CancelModel {
    /// A COMPLETED payment of `amount` and the cancel `requests` made of it.
    pub fn new(amount: i64, requests: &[i64], max_attempts: u8, crashes: u8) -> Self {
        assert!(requests.len() <= 8, "a state keeps at most 8 requests");
        Self {
            amount,
            requests: requests.to_vec(),
            max_attempts,
            crashes,
            atomic_changes: false,
            outbox_after_the_call: false,
            flaws: Flaws::default(),
            checking: Checking::All,
            start: completed_payment(amount),
            ids: (0..requests.len()).map(fixtures::cancel_id).collect(),
        }
    }

    /// The same model with each change as one step: load, decide and write at once.
    ///
    /// A reduction, not a simplification of the protocol: a compare-and-set that lands wrote
    /// what was decided on the payment as it still is, so it is the same as deciding and
    /// writing at the moment of the write; one that loses changes nothing and is decided
    /// again, a step no other process can observe. The split model (the default) explores
    /// those lost races too, and is what the flaws that drop the version check need.
    pub fn with_atomic_changes(mut self) -> Self {
        self.atomic_changes = true;
        self
    }

    /// The same model with the service's timing: a cancel's outbox message is due only after
    /// the synchronous call's timeout and a grace period, so the dispatcher takes it over once
    /// that call has ended (answered, timed out, or lost with its instance). Without it (the
    /// default) the dispatcher may take over at any moment, as it would if the request's
    /// process stalled for longer than the timeout and the grace: more interleavings.
    pub fn with_outbox_after_the_call(mut self) -> Self {
        self.outbox_after_the_call = true;
        self
    }

    /// The same model looking only at `checking`.
    pub fn checking(mut self, checking: Checking) -> Self {
        self.checking = checking;
        self
    }

    /// The same model with `flaws`.
    pub fn with_flaws(mut self, flaws: Flaws) -> Self {
        self.flaws = flaws;
        self
    }

    /// Whether anything can still happen in `state`.
    pub fn is_terminal(&self, state: &State) -> bool {
        // What `actions` offers nothing for (a crash needs something running).
        state.requests.iter().all(|h| matches!(h, Handler::Done(_)))
            && state.deliveries.iter().all(Option::is_none)
            && state
                .db
                .outbox
                .iter()
                .flatten()
                .all(|m| m.state != MessageState::Pending(Lease::Free))
    }
}

impl Model for CancelModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let n = self.requests.len();
        vec![State {
            db: Db {
                row: Row::new(self.start.clone(), &self.ids),
                outbox: vec![None; n],
                transitions: vec![0; n],
            },
            requests: vec![Handler::Idle; n],
            deliveries: vec![None; n],
            acquirer: vec![Ledger::default(); n],
            crashes_left: self.crashes,
        }]
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        for (request, handler) in state.requests.iter().enumerate() {
            match handler {
                Handler::Idle => actions.push(Action::Arrive { request }),
                Handler::Loading => actions.push(Action::Load { request }),
                Handler::Reserving { .. } => actions.push(Action::Reserve { request }),
                Handler::Calling => actions.extend(
                    self.calls(state, request)
                        .into_iter()
                        .map(|call| Action::Call { request, call }),
                ),
                Handler::Settling { loaded, .. } => actions.push(match loaded {
                    None => Action::LoadSettle { request },
                    Some(_) => Action::Settle { request },
                }),
                Handler::Done(_) => {}
            }
        }
        for (message, msg) in state.db.outbox.iter().enumerate() {
            let Some(msg) = msg else { continue };
            match &state.deliveries[message] {
                None if msg.state == MessageState::Pending(Lease::Free) => {
                    let calling = state.requests[message] == Handler::Calling;
                    if !(calling && self.outbox_after_the_call) {
                        actions.push(Action::Claim { message });
                    }
                }
                None => {}
                Some(delivery) => match &delivery.phase {
                    Phase::Calling => actions.extend(
                        self.calls(state, message)
                            .into_iter()
                            .map(|call| Action::Deliver { message, call }),
                    ),
                    Phase::Settling { loaded, .. } => actions.push(match loaded {
                        None => Action::LoadOutboxSettle { message },
                        Some(_) => Action::OutboxSettle { message },
                    }),
                    Phase::Finishing { .. } => actions.push(Action::Finish { message }),
                },
            }
        }
        if state.crashes_left > 0 {
            actions.extend(Lost::choices(state).map(|lost| Action::Crash { lost }));
        }
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        self.step(state, action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut all = properties::all(self);
        match &self.checking {
            Checking::All => {}
            Checking::Only(expectation) => all.retain(|p| p.expectation == *expectation),
            Checking::One(name) => all.retain(|p| p.name == *name),
        }
        all
    }
}

fn amount(minor: i64) -> Amount {
    Amount::parse(minor).unwrap()
}

fn reason() -> CancelReason {
    fixtures::reason()
}

fn merchant() -> Origin {
    fixtures::merchant_origin()
}

fn now() -> crate::Timestamp {
    fixtures::at(10)
}

/// A COMPLETED payment of `minor` units.
fn completed_payment(minor: i64) -> Payment {
    let (ready, _) = Payment::create(
        PaymentId::from_uuid(uuid::Uuid::nil()),
        PaymentKey::from_bytes([7; 32]),
        fixtures::client(),
        fixtures::new_payment(minor),
        fixtures::at(0),
        Duration::from_secs(1800),
        None,
    );
    let approved = ready
        .apply(fixtures::approve(), merchant(), fixtures::at(1))
        .unwrap()
        .0;
    approved
        .apply(Command::Complete, merchant(), fixtures::at(2))
        .unwrap()
        .0
}
