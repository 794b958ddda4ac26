//! The protocol's steps: what each action does to the state.

use super::*;

impl CancelModel {
    /// The protocol's step `action`, taken on `state`; `None` when it changes nothing.
    pub(super) fn step(&self, state: &State, action: Action) -> Option<State> {
        let mut next = state.clone();
        match action {
            Action::Arrive { request } => {
                next.requests[request] = Handler::Loading;
                self.load_reservation(&mut next, request);
            }
            Action::Load { request } => self.load_reservation(&mut next, request),
            Action::Reserve { request } => self.commit_reservation(&mut next, request),
            Action::Call { request, call } => self.call_synchronously(&mut next, request, call),
            Action::LoadSettle { request } => self.load_sync_settle(&mut next, request),
            Action::Settle { request } => self.commit_sync_settle(&mut next, request),
            Action::Claim { message } => {
                let msg = next.db.outbox[message].as_mut()?;
                msg.state = MessageState::Pending(Lease::Held);
                next.deliveries[message] = Some(Delivery {
                    attempt_no: msg.attempts + 1,
                    phase: Phase::Calling,
                });
            }
            Action::Deliver { message, call } => self.deliver(&mut next, message, call),
            Action::LoadOutboxSettle { message } => self.load_outbox_settle(&mut next, message),
            Action::OutboxSettle { message } => self.commit_outbox_settle(&mut next, message),
            Action::Finish { message } => self.finish_attempt(&mut next, message),
            Action::Crash { lost } => {
                next.crashes_left -= 1;
                for (i, handler) in next.requests.iter_mut().enumerate() {
                    if lost.requests & (1 << i) != 0 {
                        *handler = Handler::Done(Response::NoAnswer);
                    }
                }
                for (i, delivery) in next.deliveries.iter_mut().enumerate() {
                    if lost.deliveries & (1 << i) != 0 {
                        *delivery = None;
                        // Its lease expires: the message is free for any dispatcher.
                        if let Some(msg) = next.db.outbox[i].as_mut()
                            && matches!(msg.state, MessageState::Pending(_))
                        {
                            msg.state = MessageState::Pending(Lease::Free);
                        }
                    }
                }
            }
        }
        Some(next)
    }

    /// Load the payment and decide the reservation of request `i` on it: refused (409) here and
    /// now, or a next state to compare-and-set.
    fn load_reservation(&self, state: &mut State, i: usize) {
        let command = Command::RequestCancel {
            id: self.ids[i].clone(),
            amount: Some(amount(self.requests[i])),
            reason: reason(),
        };
        state.requests[i] = match state.db.row.payment.apply(command, merchant(), now()) {
            Ok((next, _)) => Handler::Reserving {
                expected: state.db.row.payment.version,
                next: Row::new(next, &self.ids),
            },
            Err(_) => Handler::Done(Response::Conflict409),
        };
        if self.atomic_changes {
            self.commit_reservation(state, i);
        }
    }

    fn commit_reservation(&self, state: &mut State, i: usize) {
        let Handler::Reserving { expected, next } = state.requests[i].clone() else {
            return;
        };
        if state.db.row.payment.version != expected && !self.flaws.reserve_without_version_check {
            state.requests[i] = Handler::Loading;
            return;
        }
        state.db.row = next;
        state.db.outbox[i] = Some(Message {
            attempts: 0,
            state: MessageState::Pending(Lease::Free),
        });
        state.requests[i] = Handler::Calling;
    }

    fn call_synchronously(&self, state: &mut State, i: usize, call: Call) {
        let Handler::Calling = state.requests[i] else {
            return;
        };
        state.requests[i] = match self.acquirer_answers(state, i, call) {
            None => Handler::Done(Response::Accepted202),
            Some(answer) => Handler::Settling {
                answer,
                loaded: None,
            },
        };
    }

    /// The acquirer takes `call` for cancel `i`: the answer that reaches us, if one does.
    fn acquirer_answers(&self, state: &mut State, i: usize, call: Call) -> Option<Decision> {
        let Call::Arrives { decision, lost } = call else {
            return None;
        };
        let ledger = &mut state.acquirer[i];
        if ledger.decision != Some(decision) {
            ledger.decision = Some(decision);
            if decision == Decision::Cancel {
                ledger.canceled += 1;
            }
        } else if decision == Decision::Cancel && self.flaws.fresh_cancel_id_per_call {
            ledger.canceled += 1;
        }
        (!lost).then_some(decision)
    }

    /// The decisions the acquirer may take on a call for cancel `i` now.
    fn possible_decisions(&self, state: &State, i: usize) -> Vec<Decision> {
        match state.acquirer[i].decision {
            _ if self.flaws.fresh_cancel_id_per_call => vec![Decision::Cancel, Decision::Refuse],
            None => vec![Decision::Cancel, Decision::Refuse],
            Some(Decision::Refuse) if self.flaws.acquirer_may_reverse_a_refusal => {
                vec![Decision::Cancel, Decision::Refuse]
            }
            Some(decided) => vec![decided],
        }
    }

    /// What settling cancel `i` with `outcome` decides on the payment as it is now: `None` when
    /// the cancel is not PENDING any more (nothing to do), else the next state and whether it
    /// is a transition.
    fn decide_settle(&self, state: &State, i: usize, outcome: Outcome) -> Option<Loaded> {
        if state.db.row.cancel(i) != Some(Recorded::Pending) {
            return None;
        }
        let current = &state.db.row.payment;
        let command = Command::SettleCancel {
            id: self.ids[i].clone(),
            outcome: outcome.command(),
        };
        let origin = match outcome {
            Outcome::GaveUp => Origin::system(),
            Outcome::Confirmed | Outcome::Refused => merchant(),
        };
        // The domain refusing to settle a PENDING cancel would be a bug, not a protocol step.
        let (next, audit) = current
            .apply(command, origin, now())
            .expect("the domain settles a PENDING cancel");
        Some(Loaded {
            expected: current.version,
            next: Row::new(next, &self.ids),
            transition: matches!(audit.action, AuditAction::Transition(_)),
        })
    }

    fn load_sync_settle(&self, state: &mut State, i: usize) {
        let Handler::Settling { answer, .. } = state.requests[i] else {
            return;
        };
        state.requests[i] = match self.decide_settle(state, i, answer.outcome()) {
            Some(loaded) => Handler::Settling {
                answer,
                loaded: Some(loaded),
            },
            // Settled meanwhile: a refusal is still 502; a confirmation answers with the
            // payment as it is (200, the cancel no longer PENDING).
            None => Handler::Done(answer.response()),
        };
        if self.atomic_changes {
            self.commit_sync_settle(state, i);
        }
    }

    fn commit_sync_settle(&self, state: &mut State, i: usize) {
        let Handler::Settling {
            answer,
            loaded: Some(loaded),
        } = state.requests[i].clone()
        else {
            return;
        };
        if !self.write_settlement(state, i, &loaded) {
            state.requests[i] = Handler::Settling {
                answer,
                loaded: None,
            };
            return;
        }
        // The same transaction calls the outbox message off, unless a dispatcher holds it.
        if let Some(msg) = state.db.outbox[i].as_mut()
            && msg.state == MessageState::Pending(Lease::Free)
        {
            msg.state = MessageState::Delivered;
        }
        state.requests[i] = Handler::Done(answer.response());
    }

    /// The compare-and-set of a settlement: `false` when it lost the race.
    fn write_settlement(&self, state: &mut State, i: usize, loaded: &Loaded) -> bool {
        if state.db.row.payment.version != loaded.expected
            && !self.flaws.settle_without_version_check
        {
            return false;
        }
        state.db.row = loaded.next.clone();
        if loaded.transition {
            state.db.transitions[i] += 1;
        }
        true
    }

    fn deliver(&self, state: &mut State, m: usize, call: Call) {
        let Some(delivery) = state.deliveries[m]
            .as_mut()
            .filter(|d| d.phase == Phase::Calling)
        else {
            return;
        };
        let attempt_no = delivery.attempt_no;
        let answer = self.acquirer_answers(state, m, call);
        let last = attempt_no >= self.max_attempts;
        let (step, outcome) = match answer {
            Some(Decision::Cancel) => (Step::Delivered, Some(Outcome::Confirmed)),
            Some(Decision::Refuse) => (Step::Dead, Some(Outcome::Refused)),
            None if last => (Step::Dead, Some(Outcome::GaveUp)),
            None => (Step::Retry, None),
        };
        let phase = match outcome {
            Some(outcome) => Phase::Settling {
                outcome,
                step,
                loaded: None,
            },
            None => Phase::Finishing { step },
        };
        if let Some(delivery) = state.deliveries[m].as_mut() {
            delivery.phase = phase;
        }
    }

    fn load_outbox_settle(&self, state: &mut State, m: usize) {
        let Some(Phase::Settling { outcome, step, .. }) =
            state.deliveries[m].as_ref().map(|d| d.phase.clone())
        else {
            return;
        };
        let phase = match self.decide_settle(state, m, outcome) {
            Some(loaded) => Phase::Settling {
                outcome,
                step,
                loaded: Some(loaded),
            },
            None => Phase::Finishing { step },
        };
        if let Some(delivery) = state.deliveries[m].as_mut() {
            delivery.phase = phase;
        }
        if self.atomic_changes {
            self.commit_outbox_settle(state, m);
        }
    }

    fn commit_outbox_settle(&self, state: &mut State, m: usize) {
        let Some(Phase::Settling {
            outcome,
            step,
            loaded: Some(loaded),
        }) = state.deliveries[m].as_ref().map(|d| d.phase.clone())
        else {
            return;
        };
        let phase = if self.write_settlement(state, m, &loaded) {
            Phase::Finishing { step }
        } else {
            Phase::Settling {
                outcome,
                step,
                loaded: None,
            }
        };
        if let Some(delivery) = state.deliveries[m].as_mut() {
            delivery.phase = phase;
        }
    }

    /// `finish_attempt`: the attempt is recorded; a message still PENDING takes its outcome.
    fn finish_attempt(&self, state: &mut State, m: usize) {
        let Some(Delivery {
            attempt_no,
            phase: Phase::Finishing { step },
            ..
        }) = state.deliveries[m].take()
        else {
            return;
        };
        if let Some(msg) = state.db.outbox[m].as_mut()
            && matches!(msg.state, MessageState::Pending(_))
        {
            msg.attempts = attempt_no;
            msg.state = match step {
                Step::Delivered => MessageState::Delivered,
                Step::Retry => MessageState::Pending(Lease::Free),
                Step::Dead => MessageState::Dead,
            };
        }
    }

    /// The calls to the acquirer that may happen for cancel `i` now.
    pub(super) fn calls(&self, state: &State, i: usize) -> Vec<Call> {
        let mut calls = vec![Call::NeverArrives];
        for decision in self.possible_decisions(state, i) {
            for lost in [false, true] {
                calls.push(Call::Arrives { decision, lost });
            }
        }
        calls
    }
}
