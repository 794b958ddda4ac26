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

use std::{future::Future, time::Duration};

use diesel::result::Error as DieselError;

use crate::error::is_conflict;

/// Attempts of a short transaction, the first included.
pub const ATTEMPTS: u32 = 6;

/// Runs `transaction` until it does not end in a conflict, at most [`ATTEMPTS`] times, pausing
/// a random 1–`4 × 2^n` ms after the n-th conflict (at most ~250 ms in all).
pub async fn retry_conflicts<T, E, F, Fut>(mut transaction: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: AsConflict,
{
    let mut attempt = 0;
    loop {
        match transaction().await {
            Err(e) if e.is_conflict() && attempt + 1 < ATTEMPTS => {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
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
        let result = retry_conflicts(|| async {
            match runs.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(deadlock()),
                _ => Ok("done"),
            }
        })
        .await;
        assert_eq!(result.unwrap(), "done");
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_transaction_that_always_conflicts_gives_up_after_the_last_attempt() {
        let runs = AtomicU32::new(0);
        let result: Result<(), _> = retry_conflicts(|| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err(deadlock())
        })
        .await;
        assert!(is_conflict(&result.unwrap_err()));
        assert_eq!(runs.load(Ordering::SeqCst), ATTEMPTS);
    }

    #[tokio::test]
    async fn any_other_error_is_returned_at_once() {
        let runs = AtomicU32::new(0);
        let result: Result<(), _> = retry_conflicts(|| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err(DieselError::NotFound)
        })
        .await;
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
