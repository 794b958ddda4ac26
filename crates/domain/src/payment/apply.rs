//! The only way a payment changes: [`Payment::apply`] of a [`Command`], which yields the next
//! state and the audit row that describes the change (api.md §3 and §9).

use std::time::Duration;

use super::{
    Actor, AuditAction, AuditRecord, CancelId, CancelReason, CancelRefused, FailureCode,
    FailureMessage, Origin, Payment, PaymentStatus, Settled, TransitionKind,
};
use crate::{Timestamp, ids::TransactionId, money::Amount};

/// Something that can happen to a payment after it was created.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Command {
    /// The acquirer approved: the authorization holds for `authorization_ttl` unless completed.
    Approve {
        transaction_id: TransactionId,
        authorization_ttl: Duration,
    },
    Fail {
        transaction_id: Option<TransactionId>,
        code: FailureCode,
        message: Option<FailureMessage>,
    },
    /// APPROVED → COMPLETED; refused while a cancel (the void) is PENDING.
    Complete,
    /// A READY payment canceled here and now, as a whole: recorded as the SUCCEEDED cancel `id`
    /// (no money moved; the acquirer is told asynchronously).
    Cancel { id: CancelId, reason: CancelReason },
    /// Reserve a PENDING cancel of `amount` (all that is cancelable when `None`) before the
    /// acquirer is asked: APPROVED (whole amount only), COMPLETED or PARTIAL_CANCELED.
    RequestCancel {
        id: CancelId,
        amount: Option<Amount>,
        reason: CancelReason,
    },
    /// The acquirer's final answer to the PENDING cancel `id`.
    SettleCancel {
        id: CancelId,
        outcome: CancelOutcome,
    },
    /// A READY payment past `expiresAt`.
    Expire,
    /// An APPROVED payment past `authorizationExpiresAt`: voided, recorded as the SUCCEEDED
    /// cancel `id` (the acquirer is told asynchronously).
    ExpireAuthorization { id: CancelId, reason: CancelReason },
}

/// How the acquirer answered a cancel.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CancelOutcome {
    Confirmed {
        acquirer_transaction_id: Option<TransactionId>,
    },
    Refused {
        code: FailureCode,
        message: Option<FailureMessage>,
    },
}

impl Command {
    /// The transition this command asks for (a cancel request or answer counts as `Cancel`).
    pub fn kind(&self) -> TransitionKind {
        match self {
            Self::Approve { .. } => TransitionKind::Approve,
            Self::Fail { .. } => TransitionKind::Fail,
            Self::Complete => TransitionKind::Complete,
            Self::Cancel { .. } | Self::RequestCancel { .. } | Self::SettleCancel { .. } => {
                TransitionKind::Cancel
            }
            Self::Expire => TransitionKind::Expire,
            Self::ExpireAuthorization { .. } => TransitionKind::ExpireAuthorization,
        }
    }
}

/// Why a command does not apply to a payment.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum TransitionRejected {
    #[error("cannot {} a payment that is {from}", verb(*.kind))]
    InvalidTransition {
        from: PaymentStatus,
        kind: TransitionKind,
    },
    #[error("the payment does not expire before {0}")]
    NotYetExpired(Timestamp),
    /// A partial amount where only the whole payment can be canceled (READY, APPROVED).
    #[error(
        "must be the whole amount ({amount}) while the payment is {from}: only a COMPLETED or PARTIAL_CANCELED payment is canceled in part"
    )]
    PartialCancelNotAllowed { from: PaymentStatus, amount: Amount },
    /// A cancel of this payment is still waiting for the acquirer.
    #[error("a cancel of this payment is still pending at the acquirer")]
    CancelPending,
    #[error(transparent)]
    Cancel(#[from] CancelRefused),
}

const fn verb(kind: TransitionKind) -> &'static str {
    match kind {
        TransitionKind::Approve => "approve",
        TransitionKind::Fail => "fail",
        TransitionKind::Complete => "complete",
        TransitionKind::Cancel | TransitionKind::PartialCancel => "cancel",
        TransitionKind::Expire => "expire",
        TransitionKind::ExpireAuthorization => "expire the authorization of",
    }
}

impl Payment {
    /// Applies `command`: the next state of the payment and the audit row of the change, or why
    /// the command does not apply. Pure: nothing is stored here. Every change takes the next
    /// version; a transition (its action is `Transition(kind)`) is checked against the table of
    /// [`TransitionKind::target`], a change of the cancels alone is a versioned row of its own.
    pub fn apply(
        &self,
        command: Command,
        origin: Origin,
        now: Timestamp,
    ) -> Result<(Self, AuditRecord), TransitionRejected> {
        let requested = command.kind();
        let invalid = || TransitionRejected::InvalidTransition {
            from: self.status,
            kind: requested,
        };
        let mut next = self.0.clone();
        let (action, details) = match command {
            Command::Approve {
                transaction_id,
                authorization_ttl,
            } => {
                let d = format!("transactionId={transaction_id}");
                next.transaction_id = Some(transaction_id);
                next.approved_at = Some(now);
                next.authorization_expires_at = Some(now.plus(authorization_ttl));
                (TransitionKind::Approve.into(), d)
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
                (TransitionKind::Fail.into(), d)
            }
            Command::Complete => {
                if self.status == PaymentStatus::Approved && self.cancels.pending_amount() > 0 {
                    return Err(TransitionRejected::CancelPending);
                }
                next.completed_at = Some(now);
                next.authorization_expires_at = None;
                (TransitionKind::Complete.into(), String::new())
            }
            Command::Cancel { id, reason } => {
                if self.status != PaymentStatus::Ready {
                    return Err(invalid());
                }
                next.cancels
                    .reserve(id.clone(), None, reason.clone(), now)?;
                next.cancels.succeed(&id, None, now)?;
                let d = format!("reason={reason}");
                next.cancel_reason = Some(reason);
                next.canceled_at = Some(now);
                (TransitionKind::Cancel.into(), d)
            }
            Command::RequestCancel { id, amount, reason } => {
                match self.status {
                    PaymentStatus::Approved => match amount {
                        Some(a) if a != self.amount => {
                            return Err(TransitionRejected::PartialCancelNotAllowed {
                                from: self.status,
                                amount: self.amount,
                            });
                        }
                        _ => {}
                    },
                    PaymentStatus::Completed | PaymentStatus::PartialCanceled => {}
                    PaymentStatus::Ready
                    | PaymentStatus::Failed
                    | PaymentStatus::Canceled
                    | PaymentStatus::Expired => return Err(invalid()),
                }
                let cancel = next.cancels.reserve(id, amount, reason, now)?;
                let d = format!(
                    "cancelId={} amount={} reason={}",
                    cancel.id, cancel.amount, cancel.reason
                );
                (AuditAction::CancelRequested, d)
            }
            Command::SettleCancel { id, outcome } => match outcome {
                CancelOutcome::Confirmed {
                    acquirer_transaction_id,
                } => {
                    let settled = next.cancels.succeed(&id, acquirer_transaction_id, now)?;
                    let (amount, reason) = next
                        .cancels
                        .find(&id)
                        .map(|c| (c.amount, c.reason.clone()))
                        .ok_or_else(|| CancelRefused::Unknown(id.clone()))?;
                    let d = format!(
                        "cancelId={id} amount={amount} canceledAmount={}",
                        next.cancels.canceled_amount()
                    );
                    let kind = match settled {
                        Settled::Fully => {
                            next.cancel_reason = Some(reason);
                            next.canceled_at = Some(now);
                            next.authorization_expires_at = None;
                            TransitionKind::Cancel
                        }
                        Settled::Partially => TransitionKind::PartialCancel,
                    };
                    (kind.into(), d)
                }
                CancelOutcome::Refused { code, message } => {
                    let d = match &message {
                        Some(m) => format!("cancelId={id} {code}: {m}"),
                        None => format!("cancelId={id} {code}"),
                    };
                    next.cancels.fail(&id, code, message, now)?;
                    (AuditAction::CancelFailed, d)
                }
            },
            Command::Expire => {
                if self.status != PaymentStatus::Ready {
                    return Err(invalid());
                }
                if now < self.expires_at {
                    return Err(TransitionRejected::NotYetExpired(self.expires_at));
                }
                (
                    TransitionKind::Expire.into(),
                    format!("expiresAt={}", self.expires_at),
                )
            }
            Command::ExpireAuthorization { id, reason } => {
                if self.status != PaymentStatus::Approved {
                    return Err(invalid());
                }
                if self.cancels.pending_amount() > 0 {
                    return Err(TransitionRejected::CancelPending);
                }
                let deadline = self.authorization_expires_at.unwrap_or(now);
                if now < deadline {
                    return Err(TransitionRejected::NotYetExpired(deadline));
                }
                next.cancels
                    .reserve(id.clone(), None, reason.clone(), now)?;
                next.cancels.succeed(&id, None, now)?;
                next.cancel_reason = Some(reason);
                next.canceled_at = Some(now);
                next.authorization_expires_at = None;
                (
                    TransitionKind::ExpireAuthorization.into(),
                    format!("cancelId={id} authorizationExpiresAt={deadline}"),
                )
            }
        };
        let from_status = match action {
            AuditAction::Transition(kind) => {
                next.status =
                    kind.target(self.status)
                        .ok_or(TransitionRejected::InvalidTransition {
                            from: self.status,
                            kind,
                        })?;
                Some(self.status)
            }
            _ => None,
        };
        next.version = self.version.wrapping_add(1);
        next.updated_at = now;
        let audit = AuditRecord {
            action,
            from_status,
            status: next.status,
            actor: origin.actor,
            details: (!details.is_empty()).then_some(details),
            request_id: origin.request_id,
            at: now,
            from_version: Some(self.version),
        };
        Ok((Self(next), audit))
    }
}

impl From<TransitionKind> for AuditAction {
    fn from(kind: TransitionKind) -> Self {
        Self::Transition(kind)
    }
}

/// Who the command's origin is, for callers that only need the actor.
impl Origin {
    pub fn system() -> Self {
        Self {
            actor: Actor::System,
            request_id: None,
        }
    }

    /// The merchant's own call, without a request id.
    pub fn merchant() -> Self {
        Self {
            actor: Actor::Merchant,
            request_id: None,
        }
    }
}
