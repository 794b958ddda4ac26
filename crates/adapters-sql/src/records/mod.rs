//! Record structs, one per table, and their conversions to and from domain types, for both
//! backends (no `check_for_backend`: the derives are generic, each adapter instantiates them).
//!
//! Integer columns are `i64` on both backends (MySQL's unsigned columns read through `BigInt`;
//! SQLite has only signed integers); the domain's unsigned values are widened on write and
//! checked on read.
//!
//! Writing never fails (domain values are valid by construction). Reading re-parses every value
//! through the domain's constructors, so a row that the schema should have made impossible
//! surfaces as a [`RepositoryError`] naming the row instead of a panic or a silently wrong value.

use std::time::Duration;

use diesel::prelude::*;
use domain::{
    RepositoryError, Timestamp,
    ids::{ClientId, EventId, Nonce, PaymentId, PaymentKey, RequestId, TransactionId},
    merchant::{ClientName, Merchant, MerchantStatus, PreviousSecret, ReturnUrl},
    money::{Amount, Currency},
    outbox::{Delivery, DeliveryAttempt, DeliveryState, OutboxKind, OutboxMessage, SendReport},
    payment::{
        Actor, AuditAction, AuditEntry, AuditRecord, Cancel, CancelId, CancelReason, CancelStatus,
        Cancels, CustomerName, FailureCode, FailureMessage, MethodCode, OrderNo, Payment,
        PaymentRecord, PaymentStatus, ProductName,
    },
    secret::SealedSecret,
};
use time::{PrimitiveDateTime, UtcOffset};

use crate::{
    error::corrupt,
    schema::{
        api_credential, delivery_attempt, idempotency_record, outbox_event, payment,
        payment_cancel, payment_log, request_nonce,
    },
};

/// A domain instant as a stored one, in UTC: MySQL's `DATETIME(6)` (connections run with
/// `time_zone = '+00:00'`), SQLite's `TEXT` (`YYYY-MM-DD HH:MM:SS.f…`, which sorts as text).
pub fn to_db_time(t: Timestamp) -> PrimitiveDateTime {
    let utc = t.as_datetime().to_offset(UtcOffset::UTC);
    PrimitiveDateTime::new(utc.date(), utc.time())
}

/// A stored timestamp (UTC) as a domain instant; sub-millisecond digits are dropped.
pub fn from_db_time(t: PrimitiveDateTime) -> Timestamp {
    Timestamp::from_datetime(t.assume_utc())
}

/// An id or count from the domain as a stored integer (saturating: ids never get near
/// `i64::MAX`).
pub fn wide(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// One stored row being read back: its table and key, which a value that fails to parse names
/// along with its column.
#[derive(Clone, Copy)]
struct Cells<'a> {
    table: &'static str,
    key: &'a str,
}

impl Cells<'_> {
    /// Parses one column of the row, naming the row and column on failure.
    fn col<T, E: std::fmt::Display>(
        self,
        column: &str,
        r: Result<T, E>,
    ) -> Result<T, RepositoryError> {
        r.map_err(|e| corrupt(self.table, self.key, format_args!("{column} {e}")))
    }

    /// A nullable column, parsed where set.
    fn opt<T, E: std::fmt::Display>(
        self,
        column: &str,
        raw: Option<impl AsRef<str>>,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, RepositoryError> {
        raw.map(|v| self.col(column, parse(v.as_ref()))).transpose()
    }

    /// A stored integer as the unsigned domain type it was written from; a value out of range
    /// (only possible in a row this code did not write) names the row and column.
    fn int<T: TryFrom<i64>>(self, column: &str, v: i64) -> Result<T, RepositoryError>
    where
        T::Error: std::fmt::Display,
    {
        self.col(column, T::try_from(v))
    }

    /// A nullable integer column, read as [`Cells::int`] where set.
    fn opt_int<T: TryFrom<i64>>(
        self,
        column: &str,
        v: Option<i64>,
    ) -> Result<Option<T>, RepositoryError>
    where
        T::Error: std::fmt::Display,
    {
        v.map(|v| self.int(column, v)).transpose()
    }
}

// ---------------------------------------------------------------------------------------------
// payment

/// A row of a one-to-many read: the key that joins a parent row and its child rows.
pub trait JoinKey {
    fn join_key(&self) -> &str;
}

mod merchant_rows;
mod outbox_rows;
mod payment_rows;
mod people_rows;
mod reconciliation_rows;
mod settlement_rows;

pub use merchant_rows::*;
pub use outbox_rows::*;
pub use payment_rows::*;
pub use people_rows::*;
pub use reconciliation_rows::*;
pub use settlement_rows::*;

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn attempt_row() -> AttemptRow {
        AttemptRow {
            id: 7,
            attempt: NewAttemptRow {
                event_id: "0192f5e4-7b1c-7cc0-8000-000000000001".to_owned(),
                attempt_no: 2,
                started_at: datetime!(2026-11-24 12:00:00.123),
                status_code: Some(503),
                latency_ms: 40,
                error: None,
                response_excerpt: None,
            },
        }
    }

    #[test]
    fn a_stored_attempt_reads_back_with_its_unsigned_values() {
        let a = DeliveryAttempt::try_from(attempt_row()).unwrap();
        assert_eq!(a.attempt_no, 2);
        assert_eq!(a.report.status, Some(503));
        assert_eq!(a.report.latency, Duration::from_millis(40));
        assert_eq!(NewAttemptRow::from(&a).status_code, Some(503));
    }

    #[test]
    fn an_integer_out_of_its_domain_range_is_a_corrupt_row_naming_the_column() {
        let mut row = attempt_row();
        row.attempt.status_code = Some(70_000);
        let e = DeliveryAttempt::try_from(row).unwrap_err();
        assert!(e.to_string().contains("status_code"), "{e}");
        let mut row = attempt_row();
        row.attempt.latency_ms = -1;
        let e = DeliveryAttempt::try_from(row).unwrap_err();
        assert!(e.to_string().contains("latency_ms"), "{e}");
    }
}
