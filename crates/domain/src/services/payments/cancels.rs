//! Cancels (api.md §9.2): full or partial, reserved before the acquirer is asked, answered
//! synchronously when the acquirer answers in time and finished by the outbox when it does not.
//!
//! The protocol, in three steps, none of which holds a transaction or lock while waiting:
//!
//! 1. **Reserve.** One compare-and-set writes the PENDING cancel (its amount taken out of
//!    `cancelableAmount`), its `CANCEL_REQUESTED` audit row and an outbox message that carries
//!    the cancel to the acquirer, due only after the synchronous call below has had its time.
//!    From here on the cancel is durable: whatever happens to this process, the outbox asks the
//!    acquirer (again, under the same `cancelId`, which the acquirer treats idempotently) and
//!    settles the cancel with the answer.
//! 2. **Ask.** The acquirer is called under the cancel timeout.
//! 3. **Settle.** A confirmation makes the cancel SUCCEEDED and transitions the payment; a
//!    refusal makes it FAILED and releases its amount; both mark the outbox message done, in the
//!    same transaction. No answer (or a settle that cannot commit now) leaves it PENDING for the
//!    outbox: the merchant gets 202.
//!
//! Settling goes through the change loop like every state change, and only ever settles a
//! PENDING cancel, so the synchronous path and a dispatcher racing on one cancel settle it once.

use std::sync::Mutex;

use crate::{
    RepositoryError,
    ids::{ClientId, EventId, PaymentId, PaymentKey, TransactionId},
    money::{Amount, CancelAmount},
    outbox::{FinishedMessage, NextStep, SendReport},
    payment::{
        AcquirerCancel, CancelId, CancelOutcome, CancelReason, CancelRefused, CancelStatus,
        Command, FailureCode, FailureMessage, Origin, Payment, PaymentStatus, TransitionRejected,
    },
    people::OperatorAuditEntry,
    services::outbound::CancelCall,
};

use super::{
    ChangePaymentError, PaymentService,
    change::{Changed, Decision, MAX_ATTEMPTS, Skipped},
};

/// How long after the synchronous call's deadline the outbox takes a PENDING cancel over.
const OUTBOX_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// How many lost races a cancel's reservation may take (8 times the change loop's usual
/// bound). Concurrent cancels of one payment may all fit (unlike completes, where the losers
/// stop at the first re-decision), so a reservation can lose many races in a row; each lost race
/// means another change of the payment landed, and every cancel lands at most twice (reserved,
/// settled). The money invariant asks that each cancel that fits is taken and every other one
/// refused with `CANCEL_AMOUNT_EXCEEDED`, never `CONCURRENT_UPDATE` (api.md §9.2).
const RESERVE_ATTEMPTS: usize = 8 * MAX_ATTEMPTS;

/// The failure code of a cancel the acquirer refused.
const CANCEL_REFUSED: &str = "CANCEL_REFUSED";
/// The failure code of a cancel the acquirer could not be reached for, after every attempt.
const ACQUIRER_UNAVAILABLE: &str = "ACQUIRER_UNAVAILABLE";

/// A cancel request (api.md §9.2).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CancelRequest {
    pub reason: CancelReason,
    /// `None`: all that is cancelable.
    pub amount: Option<CancelAmount>,
}

/// How a cancel request ended, when it did not fail.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CancelAnswer {
    /// The cancel is done (READY canceled here, or the acquirer confirmed): 200.
    Done(Payment),
    /// The acquirer has not answered yet: the cancel stays PENDING and the outbox finishes it
    /// (202, the PENDING cancel visible).
    Accepted(Payment),
}

/// What the acquirer finally said about a PENDING cancel, as the outbox learned it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum AcquirerCancelAnswer {
    /// 2xx: SUCCEEDED (under the acquirer's transaction id, if it gave one).
    Confirmed(Option<TransactionId>),
    /// Refused (4xx): `FAILED` with `CANCEL_REFUSED`.
    Refused(String),
    /// Every attempt went unanswered: `FAILED` with `ACQUIRER_UNAVAILABLE`.
    GaveUp(String),
}

fn failure_message(text: &str) -> Option<FailureMessage> {
    let cut: String = text.chars().take(255).collect();
    FailureMessage::parse(&cut).ok()
}

fn code(raw: &str) -> Result<FailureCode, RepositoryError> {
    FailureCode::parse(raw).map_err(|e| RepositoryError::msg(e.to_string()))
}

impl PaymentService {
    /// Cancels (part of) a payment of `owner` (any merchant's when `None`, for admins): READY
    /// as a whole, here and now; APPROVED as a whole, COMPLETED and PARTIAL_CANCELED in full or
    /// in part, through the acquirer (see the module docs). `Err(Acquirer)` when the acquirer
    /// refused (the FAILED cancel stays on the payment). `operator_audit`: the back-office
    /// call's row, stored with the reservation (or the READY cancel).
    pub async fn cancel(
        &self,
        owner: Option<&ClientId>,
        key: &PaymentKey,
        request: CancelRequest,
        origin: Origin,
        operator_audit: Option<OperatorAuditEntry>,
    ) -> Result<CancelAnswer, ChangePaymentError> {
        let cancel_id = self.keys.cancel_id();
        let carrier: Mutex<Option<EventId>> = Mutex::new(None);
        let (request, id, carrier_ref, at) = (&request, &cancel_id, &carrier, &origin);
        let row = &operator_audit;
        let reserved = self
            .change_payment(
                owner,
                key,
                &origin,
                RESERVE_ATTEMPTS,
                |current| async move {
                    self.decide_cancel(&current, request, id, at, carrier_ref)
                        .map(|d| d.audited(row.clone()))
                },
            )
            .await?;
        if reserved.status == PaymentStatus::Canceled {
            // READY, canceled here; the acquirer is told by the outbox.
            return Ok(CancelAnswer::Done(reserved));
        }
        let Some(event) = carrier.lock().ok().and_then(|e| *e) else {
            return Err(RepositoryError::msg("the reserved cancel has no outbox message").into());
        };
        let Some(cancel) = reserved.cancels.find(&cancel_id) else {
            return Err(RepositoryError::msg("the reserved cancel is not on the payment").into());
        };
        let (call, attempt) = self
            .outbound
            .cancel_at_acquirer(
                &AcquirerCancel::of(&reserved, cancel),
                event,
                self.clock.now(),
            )
            .await;
        let (outcome, step) = match &call {
            CancelCall::Confirmed(tx) => (
                CancelOutcome::Confirmed {
                    acquirer_transaction_id: tx.clone(),
                },
                NextStep::Delivered,
            ),
            CancelCall::Refused(why) => (
                CancelOutcome::Refused {
                    code: code(CANCEL_REFUSED)?,
                    message: failure_message(why),
                },
                NextStep::Dead,
            ),
            CancelCall::Unanswered(_) => {
                // Only the operators' record of the call: the cancel is durable without it, and
                // the outbox asks again whatever happens here.
                let _recorded = self.store.record_call(&attempt).await;
                return Ok(CancelAnswer::Accepted(reserved));
            }
        };
        let carrier = FinishedMessage { attempt, step };
        let settled = self
            .settle(&reserved.id, &cancel_id, outcome, Some(carrier), &origin)
            .await;
        match (call, settled) {
            (CancelCall::Refused(why), _) => Err(ChangePaymentError::Acquirer(format!(
                "the acquirer refused the cancel ({why})"
            ))),
            (_, Ok(Some(payment))) => Ok(answer_for(payment, &cancel_id)),
            // Settled meanwhile by the outbox, or not settled now: the payment as it is (the
            // cancel, if still PENDING, is finished by the outbox).
            (_, Ok(None) | Err(_)) => match self.get(None, &reserved.key).await {
                Ok(payment) => Ok(answer_for(payment, &cancel_id)),
                Err(_) => Ok(CancelAnswer::Accepted(reserved)),
            },
        }
    }

    /// What a cancel request means for the payment as it is now.
    fn decide_cancel(
        &self,
        current: &Payment,
        request: &CancelRequest,
        id: &CancelId,
        origin: &Origin,
        carrier: &Mutex<Option<EventId>>,
    ) -> Result<Decision<std::convert::Infallible>, ChangePaymentError> {
        let now = self.clock.now();
        let amount = requested_amount(current, request.amount)?;
        if current.status == PaymentStatus::Ready {
            if amount.is_some_and(|a| a != current.amount) {
                return Err(TransitionRejected::PartialCancelNotAllowed {
                    from: current.status,
                    amount: current.amount,
                }
                .into());
            }
            let command = Command::Cancel {
                id: id.clone(),
                reason: request.reason.clone(),
            };
            let (after, _) = current.apply(command.clone(), origin.clone(), now)?;
            let events = after
                .cancels
                .find(id)
                .map(|c| {
                    let cancel = AcquirerCancel::of(&after, c);
                    self.outbound.acquirer_cancel(&after, &cancel, now, now)
                })
                .into_iter()
                .collect();
            return Ok(Decision::apply_with(command, events));
        }
        let command = Command::RequestCancel {
            id: id.clone(),
            amount,
            reason: request.reason.clone(),
        };
        let (after, _) = current.apply(command.clone(), origin.clone(), now)?;
        let Some(cancel) = after.cancels.find(id) else {
            return Err(RepositoryError::msg("the reserved cancel is not on the payment").into());
        };
        let due = now.plus(self.outbound.acquirer().cancel_timeout + OUTBOX_GRACE);
        let message =
            self.outbound
                .acquirer_cancel(&after, &AcquirerCancel::of(&after, cancel), now, due);
        if let Ok(mut slot) = carrier.lock() {
            *slot = Some(message.id);
        }
        Ok(Decision::apply_with(command, vec![message]))
    }

    /// What the acquirer's `report` to a cancel call means (for the outbox's attempts).
    pub fn cancel_answer(&self, report: &SendReport) -> CancelCall {
        self.outbound.cancel_answer(report)
    }

    /// The outbox learned the acquirer's final answer to the PENDING cancel `cancel_id` of
    /// payment `payment`: settles it if it is still PENDING (actor SYSTEM).
    /// `None` when there was nothing to settle (already ended, or the payment is gone).
    pub async fn acquirer_answered_cancel(
        &self,
        payment: &PaymentId,
        cancel_id: &CancelId,
        answer: AcquirerCancelAnswer,
    ) -> Result<Option<Payment>, RepositoryError> {
        let outcome = match answer {
            AcquirerCancelAnswer::Confirmed(tx) => CancelOutcome::Confirmed {
                acquirer_transaction_id: tx,
            },
            AcquirerCancelAnswer::Refused(why) => CancelOutcome::Refused {
                code: code(CANCEL_REFUSED)?,
                message: failure_message(&why),
            },
            AcquirerCancelAnswer::GaveUp(why) => CancelOutcome::Refused {
                code: code(ACQUIRER_UNAVAILABLE)?,
                message: failure_message(&why),
            },
        };
        self.settle(payment, cancel_id, outcome, None, &Origin::system())
            .await
    }

    /// Settles the PENDING cancel `cancel_id` with `outcome` (finishing the outbox message
    /// `carrier` with the attempt that answered it); `None` when it is not PENDING any more, an
    /// error when it is still PENDING (e.g. it lost every race for the payment).
    async fn settle(
        &self,
        payment: &PaymentId,
        cancel_id: &CancelId,
        outcome: CancelOutcome,
        carrier: Option<FinishedMessage>,
        origin: &Origin,
    ) -> Result<Option<Payment>, RepositoryError> {
        let (outcome, origin, carrier) = (&outcome, origin, &carrier);
        // As many races as a reservation may lose: every other cancel of the payment may land
        // twice (reserved, settled) before this one does; with fewer, a settle under contention
        // gives up and the cancel waits a whole outbox lease while nothing is wrong.
        let result = self
            .change_within::<(), Skipped, _, _>(
                RESERVE_ATTEMPTS,
                origin,
                || async move { self.store.find_by_id(payment).await?.ok_or(Skipped::Gone) },
                |current| async move {
                    let pending = current
                        .cancels
                        .find(cancel_id)
                        .is_some_and(|c| c.status == CancelStatus::Pending);
                    if !pending {
                        return Ok(Decision::Stop(()));
                    }
                    Ok(Decision::Apply {
                        command: Command::SettleCancel {
                            id: cancel_id.clone(),
                            outcome: outcome.clone(),
                        },
                        events: Vec::new(),
                        settles: carrier.iter().cloned().collect(),
                        operator_audit: None,
                    })
                },
            )
            .await;
        match result {
            Ok(Changed::Applied(p)) => Ok(Some(*p)),
            Ok(Changed::Stopped(())) => Ok(None),
            Err(Skipped::Repository(e)) => Err(e),
            Err(Skipped::Gone) => Ok(None),
            // Still PENDING: an error, so that the outbox does not record its message as done
            // and asks (and settles) again after its lease; never "nothing to settle".
            Err(Skipped::Contended) => Err(RepositoryError::msg(format!(
                "cancel {cancel_id} could not be settled: the payment kept changing"
            ))),
            Err(Skipped::Rejected(e)) => Err(RepositoryError::msg(format!(
                "cancel {cancel_id} could not be settled: {e}"
            ))),
        }
    }
}

/// 200 when the cancel ended, 202 while it is still PENDING.
fn answer_for(payment: Payment, cancel_id: &CancelId) -> CancelAnswer {
    let pending = payment
        .cancels
        .find(cancel_id)
        .is_some_and(|c| c.status == CancelStatus::Pending);
    if pending {
        CancelAnswer::Accepted(payment)
    } else {
        CancelAnswer::Done(payment)
    }
}

/// The amount a cancel asks of `current` as an [`Amount`] (`None`: all that is cancelable).
/// More than is cancelable now is refused as exceeding it (409 `CANCEL_AMOUNT_EXCEEDED`, api.md
/// §9.2) whenever the payment may be canceled at all, even from READY or APPROVED, where only an
/// amount below the whole is a partial cancel (400) — and so is an amount larger than any payment
/// may hold — and on a payment its cancels have spent ([`PaymentRecord::is_spent_by_cancels`]).
/// Any other payment that may not be canceled is left to refuse by its state.
///
/// [`PaymentRecord::is_spent_by_cancels`]: crate::payment::PaymentRecord::is_spent_by_cancels
fn requested_amount(
    current: &Payment,
    requested: Option<CancelAmount>,
) -> Result<Option<Amount>, TransitionRejected> {
    let Some(requested) = requested else {
        return Ok(None);
    };
    let cancelable = current.cancelable_amount();
    let has_a_balance = !current.status.is_final() || current.is_spent_by_cancels();
    if has_a_balance && requested.minor_units() > cancelable {
        return Err(CancelRefused::AmountExceeded { cancelable }.into());
    }
    Ok(requested.amount())
}
