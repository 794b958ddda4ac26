//! What must hold in every reachable state (`always`), and what must be reachable at all
//! (`sometimes`: the paths the protocol exists for are really explored).

use stateright::{Expectation, Property};

use super::{CancelModel, Handler, MessageState, Recorded, Response, State};
use crate::payment::PaymentStatus;

/// `canceledAmount + sum(PENDING) <= amount` (api.md §9.2, the money invariant).
pub const MONEY: &str = "canceled + PENDING <= amount";
/// `canceledAmount` is the sum of the SUCCEEDED cancels, and of the cancels whose transition
/// rows were written.
pub const CANCELED_AMOUNT: &str = "canceledAmount = SUCCEEDED = transitions";
/// A SUCCEEDED cancel has exactly one transition row, any other cancel none: no cancel is
/// applied twice in our records.
pub const ONE_TRANSITION: &str = "one transition per SUCCEEDED cancel";
/// COMPLETED while nothing is canceled, PARTIAL_CANCELED in between, CANCELED at the amount.
pub const STATUS: &str = "status follows canceledAmount";
/// The acquirer's ledger never moves the money of one cancel id twice.
pub const ACQUIRER_ONCE: &str = "the acquirer cancels an id once";
/// The acquirer cancels at most the amount in all, unless a cancel it carried out was given up
/// after timeouts (its amount, released by us, can then be asked for again).
pub const ACQUIRER_AMOUNT: &str = "the acquirer stays within the amount";
/// Where our records contradict the acquirer's, it is a cancel given up after timeouts
/// (FAILED `ACQUIRER_UNAVAILABLE`) that the acquirer did carry out: never anything else.
pub const ONLY_GIVEN_UP_DIVERGES: &str = "only a given-up cancel diverges";
/// In a state where nothing can happen any more, no cancel is PENDING, every outbox message is
/// finished and every request answered (or lost with its instance).
pub const NOTHING_LEFT_PENDING: &str = "nothing stays PENDING";

pub const SUCCEEDED: &str = "a cancel SUCCEEDED";
/// FAILED `CANCEL_REFUSED`.
pub const REFUSED: &str = "a cancel refused";
/// FAILED `ACQUIRER_UNAVAILABLE`.
pub const GIVEN_UP: &str = "a cancel given up";
pub const ANSWERED_200: &str = "a 200";
pub const ANSWERED_202: &str = "a 202";
/// `CANCEL_AMOUNT_EXCEEDED`.
pub const ANSWERED_409: &str = "a 409";
pub const ANSWERED_502: &str = "a 502";
/// A cancel answered 202 ends SUCCEEDED: settled by the outbox.
pub const OUTBOX_FINISHES_A_202: &str = "a 202 finished by the outbox";
/// A cancel whose request was lost in a crash ends SUCCEEDED or FAILED all the same.
pub const SURVIVES_A_CRASH: &str = "settled after a crash";
/// A reservation's compare-and-set loses a race and is decided again (split changes only).
pub const LOST_RACE: &str = "a reservation decided again";
/// The payment ends CANCELED (when some of the cancels add up to its amount).
pub const FULLY_CANCELED: &str = "the payment CANCELED";
/// Some run ends: a state where nothing can happen (so the invariant above is not vacuous).
pub const ENDS: &str = "a run ends";
/// Our records contradict the acquirer's (the known divergence, for its shortest path).
pub const DIVERGES: &str = "records diverge";
/// The acquirer is asked to cancel more than the amount in all.
pub const OVER_CANCELED: &str = "the acquirer asked beyond the amount";

/// How our record of one cancel contradicts the acquirer's.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Divergence {
    /// FAILED (refused or given up, `recorded`), though the acquirer canceled.
    FailedButCanceled { cancel: usize, recorded: Recorded },
    /// SUCCEEDED, though the acquirer never canceled.
    SucceededButNotCanceled { cancel: usize },
    /// The acquirer canceled a cancel we have no record of.
    Unrecorded { cancel: usize },
}

impl Divergence {
    /// The one kind the spec accepts: FAILED after the last unanswered attempt.
    pub fn is_given_up_after_timeouts(&self) -> bool {
        matches!(
            self,
            Self::FailedButCanceled {
                recorded: Recorded::GivenUp,
                ..
            }
        )
    }
}

/// Where our committed records contradict the acquirer's ledger in `state`. A PENDING cancel
/// is on its way, not a contradiction.
pub fn divergences(state: &State) -> Vec<Divergence> {
    let mut found = Vec::new();
    for (cancel, ledger) in state.acquirer.iter().enumerate() {
        let canceled = ledger.canceled > 0;
        match state.db.row.cancel(cancel) {
            None if canceled => found.push(Divergence::Unrecorded { cancel }),
            Some(recorded @ (Recorded::Refused | Recorded::GivenUp)) if canceled => {
                found.push(Divergence::FailedButCanceled { cancel, recorded });
            }
            Some(Recorded::Succeeded) if !canceled => {
                found.push(Divergence::SucceededButNotCanceled { cancel });
            }
            _ => {}
        }
    }
    found
}

fn recorded(state: &State) -> impl Iterator<Item = (usize, Recorded)> + '_ {
    (0..state.requests.len()).filter_map(|i| state.db.row.cancel(i).map(|r| (i, r)))
}

fn answered(state: &State, response: Response) -> bool {
    state.requests.contains(&Handler::Done(response))
}

fn money(_: &CancelModel, state: &State) -> bool {
    let c = &state.db.row.payment.cancels;
    c.canceled_amount() + c.pending_amount() <= c.amount().minor_units()
}

fn canceled_amount(model: &CancelModel, state: &State) -> bool {
    let succeeded: i64 = recorded(state)
        .filter(|(_, r)| *r == Recorded::Succeeded)
        .map(|(i, _)| model.requests[i])
        .sum();
    let transitioned: i64 = state
        .db
        .transitions
        .iter()
        .zip(&model.requests)
        .map(|(&n, &amount)| i64::from(n) * amount)
        .sum();
    state.db.row.payment.canceled_amount() == succeeded && succeeded == transitioned
}

fn one_transition(_: &CancelModel, state: &State) -> bool {
    state.db.transitions.iter().enumerate().all(|(i, &n)| {
        let succeeded = state.db.row.cancel(i) == Some(Recorded::Succeeded);
        n == u8::from(succeeded)
    })
}

fn status(model: &CancelModel, state: &State) -> bool {
    let payment = &state.db.row.payment;
    let expected = match payment.canceled_amount() {
        0 => PaymentStatus::Completed,
        c if c == model.amount => PaymentStatus::Canceled,
        _ => PaymentStatus::PartialCanceled,
    };
    payment.status == expected
}

fn acquirer_once(_: &CancelModel, state: &State) -> bool {
    state.acquirer.iter().all(|l| l.canceled <= 1)
}

/// What the acquirer canceled in all.
fn acquirer_total(model: &CancelModel, state: &State) -> i64 {
    state
        .acquirer
        .iter()
        .zip(&model.requests)
        .map(|(l, &amount)| i64::from(l.canceled) * amount)
        .sum()
}

fn acquirer_amount(model: &CancelModel, state: &State) -> bool {
    acquirer_total(model, state) <= model.amount
        || divergences(state)
            .iter()
            .any(Divergence::is_given_up_after_timeouts)
}

fn only_given_up_diverges(_: &CancelModel, state: &State) -> bool {
    divergences(state)
        .iter()
        .all(Divergence::is_given_up_after_timeouts)
}

fn nothing_left_pending(model: &CancelModel, state: &State) -> bool {
    if !model.is_terminal(state) {
        return true;
    }
    let pending = recorded(state).any(|(_, r)| r == Recorded::Pending);
    let unfinished = state
        .db
        .outbox
        .iter()
        .flatten()
        .any(|m| matches!(m.state, MessageState::Pending(_)));
    let unanswered = state
        .requests
        .iter()
        .any(|h| !matches!(h, Handler::Done(_)));
    !pending && !unfinished && !unanswered
}

fn any_recorded(state: &State, wanted: Recorded) -> bool {
    recorded(state).any(|(_, r)| r == wanted)
}

fn outbox_finishes_a_202(_: &CancelModel, state: &State) -> bool {
    recorded(state).any(|(i, r)| {
        r == Recorded::Succeeded && state.requests[i] == Handler::Done(Response::Accepted202)
    })
}

fn survives_a_crash(_: &CancelModel, state: &State) -> bool {
    recorded(state).any(|(i, r)| {
        r != Recorded::Pending && state.requests[i] == Handler::Done(Response::NoAnswer)
    })
}

/// Every property of `model`.
pub fn all(model: &CancelModel) -> Vec<Property<CancelModel>> {
    let mut all = vec![
        Property::always(MONEY, money),
        Property::always(CANCELED_AMOUNT, canceled_amount),
        Property::always(ONE_TRANSITION, one_transition),
        Property::always(STATUS, status),
        Property::always(ACQUIRER_ONCE, acquirer_once),
        Property::always(ACQUIRER_AMOUNT, acquirer_amount),
        Property::always(ONLY_GIVEN_UP_DIVERGES, only_given_up_diverges),
        Property::always(NOTHING_LEFT_PENDING, nothing_left_pending),
        Property::sometimes(SUCCEEDED, |_, s| any_recorded(s, Recorded::Succeeded)),
        Property::sometimes(REFUSED, |_, s| any_recorded(s, Recorded::Refused)),
        Property::sometimes(GIVEN_UP, |_, s| any_recorded(s, Recorded::GivenUp)),
        Property::sometimes(ANSWERED_200, |_, s| answered(s, Response::Ok200)),
        Property::sometimes(ANSWERED_202, |_, s| answered(s, Response::Accepted202)),
        Property::sometimes(ANSWERED_409, |_, s| answered(s, Response::Conflict409)),
        Property::sometimes(ANSWERED_502, |_, s| answered(s, Response::BadGateway502)),
        Property::sometimes(OUTBOX_FINISHES_A_202, outbox_finishes_a_202),
        Property::sometimes(SURVIVES_A_CRASH, survives_a_crash),
        Property::sometimes(DIVERGES, |_, s| !divergences(s).is_empty()),
        Property::sometimes(OVER_CANCELED, |m, s| acquirer_total(m, s) > m.amount),
        Property::sometimes(ENDS, |m, s| m.is_terminal(s)),
        Property::sometimes(FULLY_CANCELED, |_, s: &State| {
            s.db.row.payment.status == PaymentStatus::Canceled
        }),
    ];
    if !model.atomic_changes {
        all.push(Property::sometimes(LOST_RACE, |_, s: &State| {
            s.requests.contains(&Handler::Loading)
        }));
    }
    if model.crashes == 0 {
        all.retain(|p| p.name != SURVIVES_A_CRASH);
    }
    if !some_cancels_add_up(model) {
        all.retain(|p| p.name != FULLY_CANCELED);
    }
    all
}

/// Whether some of the requested cancels add up to the amount exactly.
fn some_cancels_add_up(model: &CancelModel) -> bool {
    let n = model.requests.len();
    (1u32..(1 << n)).any(|set| {
        let sum: i64 = (0..n)
            .filter(|i| set & (1 << i) != 0)
            .map(|i| model.requests[i])
            .sum();
        sum == model.amount
    })
}

/// The names of the properties of `model` of `expectation`.
pub fn named(model: &CancelModel, expectation: Expectation) -> Vec<&'static str> {
    all(model)
        .into_iter()
        .filter(|p| p.expectation == expectation)
        .map(|p| p.name)
        .collect()
}
