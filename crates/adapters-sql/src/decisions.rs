//! The decisions the stores take on rows they have read, as pure functions (the statements that
//! carry them out are [`crate::statements`], the code that runs them [`crate::stores`]).

use domain::{
    RepositoryError,
    idempotency::{Claim, StoredResponse},
    ids::PaymentId,
    outbox::{DeliveryAttempt, DeliveryState, NextStep},
};
use time::PrimitiveDateTime;

use crate::records::{IdempotencyRow, MAX_ERROR_CHARS, to_db_time, truncate_chars};

pub const IN_FLIGHT: &str = "IN_FLIGHT";
pub const COMPLETED: &str = "COMPLETED";
pub const PENDING: &str = DeliveryState::Pending.as_str();
pub const DELIVERED: &str = DeliveryState::Delivered.as_str();
pub const DEAD: &str = DeliveryState::Dead.as_str();

/// Rows deleted per statement by a purge, so a large backlog never holds locks for long.
pub const PURGE_BATCH: usize = 1000;

/// How many times a create decides its nonce again after losing a deadlock over it (concurrent
/// replays whose first holder rolled back; see `PaymentStore::insert`). Each retry is one
/// autocommit statement and the deadlock needs a new rollback of a holder, so a few suffice.
pub const NONCE_DEADLOCK_ATTEMPTS: u32 = 5;

/// How many candidates the non-locking first step of a claim looks at, per message wanted: some
/// may be taken by a concurrent claimer before this one locks them.
pub const CANDIDATES_PER_CLAIM: u32 = 4;

/// What a claim of an idempotency key that is already taken does, given the stored record.
#[derive(Debug)]
pub enum Retake {
    /// The record expired: overwrite it with a fresh in-flight claim.
    Replace,
    /// The earlier request died holding the lease: take the lease over.
    TakeOverLease,
    /// Nothing to write: answer this.
    Answer(Claim),
}

/// Replace if expired, mismatch, replay, in flight, or take over an abandoned lease — in that
/// order.
pub fn retake(row: IdempotencyRow, fingerprint: &str, now: PrimitiveDateTime) -> Retake {
    if row.expires_at <= now {
        return Retake::Replace;
    }
    if row.fingerprint != fingerprint {
        return Retake::Answer(Claim::Mismatch);
    }
    if row.state == COMPLETED {
        return Retake::Answer(Claim::Replay(StoredResponse {
            status: row
                .response_status
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(200),
            content_type: row.response_content_type,
            location: row.response_location,
            body: row.response_body.unwrap_or_default(),
        }));
    }
    if row.lease_until > now {
        return Retake::Answer(Claim::InFlight);
    }
    Retake::TakeOverLease
}

/// What recording a delivery attempt writes to its message, if the message is still PENDING.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub state: &'static str,
    /// Only for a retry: when it is due.
    pub next_attempt_at: Option<PrimitiveDateTime>,
    /// NULL when delivered, else the report's summary cut to the column.
    pub last_error: Option<String>,
    /// The attempt's end: start plus latency.
    pub updated_at: PrimitiveDateTime,
}

impl AttemptOutcome {
    pub fn new(attempt: &DeliveryAttempt, step: NextStep) -> Self {
        let (state, next_attempt_at) = match step {
            NextStep::Delivered => (DELIVERED, None),
            NextStep::RetryAt(t) => (PENDING, Some(to_db_time(t))),
            NextStep::Dead => (DEAD, None),
        };
        let last_error = match step {
            NextStep::Delivered => None,
            NextStep::RetryAt(_) | NextStep::Dead => {
                Some(truncate_chars(&attempt.report.summary(), MAX_ERROR_CHARS))
            }
        };
        Self {
            state,
            next_attempt_at,
            last_error,
            updated_at: to_db_time(attempt.started_at.plus(attempt.report.latency)),
        }
    }
}

/// The outcomes of a payment write that roll its transaction back on purpose
/// (`transaction` needs `E: From<diesel::result::Error>`).
#[derive(Debug, thiserror::Error)]
pub enum PaymentTxError {
    #[error("the payment changed concurrently")]
    Stale,
    #[error("no payment {0}")]
    UnknownPayment(PaymentId),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The same for the outbox: recording an attempt of a message that does not exist.
#[derive(Debug, thiserror::Error)]
pub enum OutboxTxError {
    #[error("no outbox message {0}")]
    UnknownMessage(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl OutboxTxError {
    /// As the domain's error; `db_error` is the dialect's translation of a query failure.
    pub fn into_repository(
        self,
        db_error: impl FnOnce(diesel::result::Error) -> RepositoryError,
    ) -> RepositoryError {
        match self {
            Self::UnknownMessage(_) => RepositoryError::msg(self.to_string()),
            Self::Db(e) => db_error(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: PrimitiveDateTime = datetime!(2026-11-24 12:00:00);

    fn record(state: &str, lease_until: PrimitiveDateTime) -> IdempotencyRow {
        IdempotencyRow {
            fingerprint: "fp".to_owned(),
            state: state.to_owned(),
            response_status: Some(201),
            response_content_type: Some("application/json".to_owned()),
            response_location: None,
            response_body: Some(b"{}".to_vec()),
            lease_until,
            expires_at: datetime!(2026-11-25 12:00:00),
        }
    }

    #[test]
    fn an_expired_record_is_replaced_whatever_it_holds() {
        let mut row = record(COMPLETED, NOW);
        row.expires_at = NOW;
        assert!(matches!(retake(row, "other", NOW), Retake::Replace));
    }

    #[test]
    fn another_request_under_the_same_key_is_a_mismatch_even_when_completed() {
        let row = record(COMPLETED, NOW);
        assert!(matches!(
            retake(row, "other", NOW),
            Retake::Answer(Claim::Mismatch)
        ));
    }

    #[test]
    fn a_completed_record_replays_its_stored_response() {
        let Retake::Answer(Claim::Replay(response)) = retake(record(COMPLETED, NOW), "fp", NOW)
        else {
            panic!("expected a replay");
        };
        assert_eq!(response.status, 201);
        assert_eq!(response.content_type.as_deref(), Some("application/json"));
        assert_eq!(response.body, b"{}");
    }

    #[test]
    fn a_live_lease_is_in_flight_and_a_lapsed_one_is_taken_over() {
        let live = record(IN_FLIGHT, datetime!(2026-11-24 12:00:01));
        assert!(matches!(
            retake(live, "fp", NOW),
            Retake::Answer(Claim::InFlight)
        ));
        let lapsed = record(IN_FLIGHT, NOW);
        assert!(matches!(retake(lapsed, "fp", NOW), Retake::TakeOverLease));
    }
}
