//! The reconciliation room's ports (api.md §12.3): the acquirer's settlement files, SimplePG's
//! own movements of a day and the stored reconciliations, and the built-in mock acquirer's own
//! books.

use async_trait::async_trait;

use crate::{
    RepositoryError, Timestamp,
    ids::{PaymentKey, TransactionId},
    people::OperatorAuditEntry,
    reconciliation::{
        AcquirerLine, OwnLine, Reconciliation, ReconciliationFilter, ReconciliationId,
        ReconciliationSummary,
    },
    settlement::{DayBounds, LineType, SettlementDate},
};

use super::PageRequest;

/// Why the acquirer's settlement file could not be had.
#[derive(Debug, thiserror::Error)]
pub enum AcquirerFileError {
    /// No answer, or not a 200 (the acquirer is down, refused us, or has no file yet).
    #[error("the acquirer's settlement file could not be fetched: {0}")]
    Unavailable(String),
    /// An answer that is not a settlement file (the line, and what is wrong with it).
    #[error("the acquirer's settlement file is malformed: {0}")]
    Malformed(String),
}

/// Where the acquirer publishes its settlement files.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AcquirerFiles: Send + Sync {
    /// The acquirer's captures and cancels of `date`, in file order.
    async fn settlement_file(
        &self,
        date: SettlementDate,
    ) -> Result<Vec<AcquirerLine>, AcquirerFileError>;
}

/// A page of SimplePG's own movements of a day: where the previous page ended.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct OwnLineCursor {
    /// Captures are read first, by payment id; then cancels, by cancel sequence.
    pub after_capture: Option<String>,
    pub after_cancel: Option<i64>,
    /// Every capture was read; the pages now read cancels.
    pub captures_done: bool,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReconciliationStore: Send + Sync {
    /// Up to `limit` of SimplePG's movements of `day` after `cursor` (captures: payments
    /// completed in `day`; cancels: SUCCEEDED cancels, completed in `day`, of payments that were
    /// completed), and the cursor of the next page; `None` when there is no more.
    async fn own_lines(
        &self,
        day: &DayBounds,
        cursor: &OwnLineCursor,
        limit: u32,
    ) -> Result<(Vec<OwnLine>, Option<OwnLineCursor>), RepositoryError>;

    /// Stores `reconciliation` with its discrepancies and `audit` in one transaction.
    async fn save(
        &self,
        reconciliation: &Reconciliation,
        audit: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError>;

    /// Newest first (by date, then creation), up to `page.limit + 1` older than `page.before`.
    async fn list(
        &self,
        filter: &ReconciliationFilter,
        page: &PageRequest<ReconciliationId>,
    ) -> Result<Vec<Reconciliation>, RepositoryError>;

    async fn find(&self, id: &ReconciliationId) -> Result<Option<Reconciliation>, RepositoryError>;

    /// The counts of the newest reconciliation (by creation), for the discrepancy gauge.
    async fn latest(&self) -> Result<Option<ReconciliationSummary>, RepositoryError>;
}

/// One entry of the mock acquirer's books: a capture or cancel it carried out, with the whole
/// amount of the payment (which chooses the scenario of its settlement file, api.md §12.3).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LedgerEntry {
    pub transaction_id: TransactionId,
    pub payment_key: PaymentKey,
    pub line_type: LineType,
    /// Signed minor units: positive for a capture, negative for a cancel.
    pub amount: i64,
    pub payment_amount: i64,
    pub at: Timestamp,
}

/// The built-in mock acquirer's books, durable (shared by every instance, kept over restarts),
/// as a real acquirer's are.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AcquirerLedger: Send + Sync {
    /// Records `entry` unless an entry with its transaction id exists; `true` when recorded now.
    async fn record(&self, entry: &LedgerEntry) -> Result<bool, RepositoryError>;

    /// The entry with this transaction id.
    async fn find(
        &self,
        transaction_id: &TransactionId,
    ) -> Result<Option<LedgerEntry>, RepositoryError>;

    /// How much of the payment's transaction was canceled so far (a positive sum).
    async fn canceled(&self, payment_key: &PaymentKey) -> Result<i64, RepositoryError>;

    /// The entries of `day` in time order: every capture, and the cancels of payments it
    /// captured (at any time; a cancel of a never-captured authorization moves no money).
    async fn entries(&self, day: &DayBounds) -> Result<Vec<LedgerEntry>, RepositoryError>;
}
