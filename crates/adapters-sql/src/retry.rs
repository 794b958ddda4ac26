//! Bounded retry, with jitter, of a short transaction the database rolled back as a conflict.
//!
//! A transaction that makes no decision of its own from what it read (an audit note, a nonce,
//! an idempotency record, an outbox claim or finish, a delivery attempt) can simply run again
//! when the database reports a conflict ([`is_conflict`]: a deadlock victim, a lock wait
//! timeout, a Galera certification failure). The pause between attempts is random, so that two
//! transactions that collided do not collide again in step. When every attempt conflicted, the
//! last error is returned; [`crate::error::db_error`] turns it into "unavailable" (503).
//!
//! State changes of a payment do not use this: they decide again on fresh data
//! (`TransitionStoreError::Conflict` → the domain's change loop).

use std::time::Duration;

use diesel::result::Error as DieselError;

use crate::error::is_conflict;

/// Attempts of a short transaction, the first included.
pub const ATTEMPTS: u32 = 6;

/// Evaluates `$attempt` (an expression ending in `.await` whose error is [`AsConflict`]) until
/// it does not end in a conflict, at most [`ATTEMPTS`] times, pausing a random 1–`4 × 2^n` ms
/// after the n-th conflict (at most ~250 ms in all); its last result.
///
/// A macro rather than a function taking a closure: the expression borrows the connection
/// afresh on each attempt, which an `AsyncFnMut` closure cannot do while keeping the store's
/// futures `Send` for every lifetime (the bound `async_trait` needs).
#[macro_export]
macro_rules! retrying {
    ($attempt:expr) => {{
        let mut attempt = 0;
        loop {
            match $attempt {
                Err(e)
                    if $crate::retry::AsConflict::is_conflict(&e)
                        && attempt + 1 < $crate::retry::ATTEMPTS =>
                {
                    ::tokio::time::sleep($crate::retry::backoff(attempt)).await;
                    attempt += 1;
                }
                other => break other,
            }
        }
    }};
}

/// The pause after the `attempt`-th conflict (0-based): uniform in 1..=4·2^attempt ms.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = 4u64 << attempt.min(6);
    Duration::from_millis(1 + fastrand::u64(0..ceiling_ms))
}

/// An error that may be a retryable conflict.
pub trait AsConflict {
    fn is_conflict(&self) -> bool;
}

impl AsConflict for DieselError {
    fn is_conflict(&self) -> bool {
        is_conflict(self)
    }
}

impl AsConflict for crate::decisions::PaymentTxError {
    fn is_conflict(&self) -> bool {
        matches!(self, Self::Db(e) if is_conflict(e))
    }
}

impl AsConflict for crate::decisions::OutboxTxError {
    fn is_conflict(&self) -> bool {
        matches!(self, Self::Db(e) if is_conflict(e))
    }
}

impl AsConflict for crate::error::InsertTxError {
    fn is_conflict(&self) -> bool {
        matches!(self, Self::Db(e) if is_conflict(e))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use diesel::result::DatabaseErrorKind;

    use super::*;

    fn deadlock() -> DieselError {
        DieselError::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(
                "Deadlock found when trying to get lock; try restarting transaction".to_owned(),
            ),
        )
    }

    #[tokio::test]
    async fn a_transaction_that_conflicts_twice_runs_a_third_time_and_succeeds() {
        let runs = AtomicU32::new(0);
        let attempt = async || match runs.fetch_add(1, Ordering::SeqCst) {
            0 | 1 => Err(deadlock()),
            _ => Ok("done"),
        };
        let result = crate::retrying!(attempt().await);
        assert_eq!(result.unwrap(), "done");
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_transaction_that_always_conflicts_gives_up_after_the_last_attempt() {
        let runs = AtomicU32::new(0);
        let attempt = async || {
            runs.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(deadlock())
        };
        let result = crate::retrying!(attempt().await);
        assert!(is_conflict(&result.unwrap_err()));
        assert_eq!(runs.load(Ordering::SeqCst), ATTEMPTS);
    }

    #[tokio::test]
    async fn any_other_error_is_returned_at_once() {
        let runs = AtomicU32::new(0);
        let attempt = async || {
            runs.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(DieselError::NotFound)
        };
        let result = crate::retrying!(attempt().await);
        assert!(matches!(result, Err(DieselError::NotFound)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_pause_grows_with_each_conflict_and_stays_bounded() {
        for attempt in 0..10 {
            let pause = backoff(attempt);
            assert!(pause >= Duration::from_millis(1));
            assert!(pause <= Duration::from_millis(1 + (4 << attempt.min(6))));
        }
    }
}
