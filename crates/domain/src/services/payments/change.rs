//! The one way a payment changes: load it, decide on it as it is now, and store the decision
//! with a compare-and-set on its version. A write that lost its race (another change got there
//! first) or that the database refused as a conflict (a deadlock victim; a certification failure
//! on a multi-primary cluster) is not an error: the payment is loaded again and the decision
//! made again on fresh data, at most [`MAX_ATTEMPTS`] times.

use std::future::Future;

use crate::{
    RepositoryError,
    outbox::{FinishedMessage, OutboxMessage},
    payment::{Command, Origin, Payment, TransitionRejected},
    people::OperatorAuditEntry,
    ports::{StateChange, TransitionStoreError},
};

use super::{
    PaymentService,
    errors::{Contended, FindPaymentError},
};

/// How many times a decision is made again after its write lost a race.
pub const MAX_ATTEMPTS: usize = 8;

/// Why a change the system makes on its own (a sweep, settling a cancel) did not happen. Only
/// `Repository` is a failure; the rest mean the payment is gone, refused the change, or kept
/// changing, and each caller decides what that means for it.
#[derive(Debug)]
pub(super) enum Skipped {
    Gone,
    Rejected(TransitionRejected),
    Contended,
    Repository(RepositoryError),
}

impl From<RepositoryError> for Skipped {
    fn from(e: RepositoryError) -> Self {
        Self::Repository(e)
    }
}

impl From<TransitionRejected> for Skipped {
    fn from(e: TransitionRejected) -> Self {
        Self::Rejected(e)
    }
}

impl From<Contended> for Skipped {
    fn from(_: Contended) -> Self {
        Self::Contended
    }
}

impl From<FindPaymentError> for Skipped {
    fn from(e: FindPaymentError) -> Self {
        match e {
            FindPaymentError::NotFound => Self::Gone,
            FindPaymentError::Repository(r) => Self::Repository(r),
        }
    }
}

/// What a use case decides about the payment as it is now.
pub enum Decision<T> {
    /// Apply `command`, writing `events` (and the merchant notification it causes) in the same
    /// transaction.
    Apply {
        command: Command,
        events: Vec<OutboxMessage>,
        /// Outbox messages the change finishes ([`StateChange::settles`]).
        settles: Vec<FinishedMessage>,
        /// The operator audit row of the back-office call deciding it
        /// ([`StateChange::operator_audit`]); boxed, as most decisions have none.
        operator_audit: Option<Box<OperatorAuditEntry>>,
    },
    /// Change nothing and answer `T`.
    Stop(T),
}

impl<T> Decision<T> {
    /// Apply `command` and nothing else.
    pub fn apply(command: Command) -> Self {
        Self::apply_with(command, Vec::new())
    }

    /// Apply `command` and write `events` with it.
    pub fn apply_with(command: Command, events: Vec<OutboxMessage>) -> Self {
        Self::Apply {
            command,
            events,
            settles: Vec::new(),
            operator_audit: None,
        }
    }

    /// The same decision, recording `row` in the operator audit log with it (a back-office
    /// call's change).
    pub fn audited(self, row: Option<OperatorAuditEntry>) -> Self {
        match self {
            Self::Apply {
                command,
                events,
                settles,
                operator_audit,
            } => Self::Apply {
                command,
                events,
                settles,
                operator_audit: row.map(Box::new).or(operator_audit),
            },
            stop @ Self::Stop(_) => stop,
        }
    }
}

/// How a change ended.
pub enum Changed<T> {
    /// The command was applied: the payment as stored.
    Applied(Box<Payment>),
    /// The decision was to change nothing.
    Stopped(T),
}

/// A decision to apply, as one attempt writes it.
struct Apply {
    command: Command,
    events: Vec<OutboxMessage>,
    settles: Vec<FinishedMessage>,
    operator_audit: Option<Box<OperatorAuditEntry>>,
}

/// The outcome of one compare-and-set attempt.
enum Attempt {
    Stored(Box<Payment>),
    /// Lost a race or met a database conflict: decide again on fresh data.
    DecideAgain,
}

impl PaymentService {
    /// Load → decide → compare-and-set until the write lands or `decide` stops; every state
    /// change of a payment goes through here. `Contended` after [`MAX_ATTEMPTS`] lost races.
    ///
    /// `load` and `decide` are closures returning futures (not async closures: the futures of
    /// those do not yet prove `Send` for every lifetime, and a use case's future must stay `Send`
    /// where its steps are). `decide` gets its own copy of the payment.
    pub(super) async fn change<T, E, L, D>(
        &self,
        origin: &Origin,
        load: impl FnMut() -> L,
        decide: impl FnMut(Payment) -> D,
    ) -> Result<Changed<T>, E>
    where
        L: Future<Output = Result<Payment, E>>,
        D: Future<Output = Result<Decision<T>, E>>,
        E: From<RepositoryError> + From<TransitionRejected> + From<Contended>,
    {
        self.change_within(MAX_ATTEMPTS, origin, load, decide).await
    }

    /// [`Self::change`] with its own bound on lost races: `Contended` after `attempts`.
    pub(super) async fn change_within<T, E, L, D>(
        &self,
        attempts: usize,
        origin: &Origin,
        mut load: impl FnMut() -> L,
        mut decide: impl FnMut(Payment) -> D,
    ) -> Result<Changed<T>, E>
    where
        L: Future<Output = Result<Payment, E>>,
        D: Future<Output = Result<Decision<T>, E>>,
        E: From<RepositoryError> + From<TransitionRejected> + From<Contended>,
    {
        for _ in 0..attempts {
            let current = load().await?;
            let apply = match decide(current.clone()).await? {
                Decision::Stop(answer) => return Ok(Changed::Stopped(answer)),
                Decision::Apply {
                    command,
                    events,
                    settles,
                    operator_audit,
                } => Apply {
                    command,
                    events,
                    settles,
                    operator_audit,
                },
            };
            match self.attempt::<E>(&current, apply, origin).await? {
                Attempt::Stored(p) => return Ok(Changed::Applied(p)),
                Attempt::DecideAgain => {}
            }
        }
        Err(Contended.into())
    }

    /// Decides `command` on `current` and tries to store it with `events` plus the merchant
    /// notification, in one transaction.
    async fn attempt<E>(
        &self,
        current: &Payment,
        apply: Apply,
        origin: &Origin,
    ) -> Result<Attempt, E>
    where
        E: From<RepositoryError> + From<TransitionRejected>,
    {
        let Apply {
            command,
            mut events,
            settles,
            operator_audit,
        } = apply;
        let now = self.clock.now();
        let (next, audit) = current.apply(command, origin.clone(), now)?;
        if let Some(notification) = self.outbound.notification(&next, audit.action, now).await? {
            events.push(notification);
        }
        let change = StateChange {
            expected_version: current.version,
            next,
            audit,
            events,
            settles,
            operator_audit: operator_audit.map(|row| *row),
        };
        match self.store.transition(&change).await {
            Ok(()) => {
                if !change.events.is_empty() {
                    self.outbound.wake();
                }
                Ok(Attempt::Stored(Box::new(change.next)))
            }
            Err(TransitionStoreError::Stale | TransitionStoreError::Conflict(_)) => {
                Ok(Attempt::DecideAgain)
            }
            Err(TransitionStoreError::Repository(e)) => Err(e.into()),
        }
    }
}
