//! The settlement room's storage (api.md §12): batches and their lines, the daily run's claim,
//! and what `simplepg check` asks of them.

use async_trait::async_trait;

use crate::{
    RepositoryError, Timestamp,
    ids::ClientId,
    money::Currency,
    people::OperatorAuditEntry,
    settlement::{
        BatchCreated, BatchPlan, DayBounds, SettlementBatch, SettlementDate, SettlementFilter,
        SettlementId, SettlementLine,
    },
};

use super::PageRequest;

/// What `simplepg check` finds wrong with the settlements of the days that were run.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SettlementFindings {
    /// Captures and succeeded cancels of a captured payment in a day whose run finished, with
    /// no settlement line (`payment key` and the movement's settlement key).
    pub unsettled: Vec<(String, String)>,
    /// Lines whose amount or day disagrees with the movement they settle (settlement key).
    pub mismatched: Vec<String>,
    /// Batches whose totals are not the sums of their lines.
    pub wrong_totals: Vec<SettlementId>,
}

impl SettlementFindings {
    pub fn is_clean(&self) -> bool {
        self.unsettled.is_empty() && self.mismatched.is_empty() && self.wrong_totals.is_empty()
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SettlementStore: Send + Sync {
    /// The merchants and currencies with a movement in `day` that no settlement line settles
    /// yet (a capture: a payment whose `completed_at` is in `day`; a cancel: a SUCCEEDED cancel
    /// of a payment with a `completed_at`, its `completed_at` in `day`), in client id order.
    async fn unsettled(
        &self,
        day: &DayBounds,
    ) -> Result<Vec<(ClientId, Currency)>, RepositoryError>;

    /// Creates the batch of `plan` in one transaction: streams the movements of `plan.day` of
    /// the merchant in the currency that no line settles yet (in pages, never the whole day in
    /// memory), prices each with [`BatchPlan::line`], writes the lines and the batch with their
    /// [`crate::settlement::BatchTotals`]. A batch of the merchant, currency and date that
    /// exists already (a concurrent run) is [`BatchCreated::AlreadyExists`]; nothing left to
    /// settle is [`BatchCreated::Empty`]; either way nothing is written. A movement is settled
    /// by at most one line, ever (storage enforces it).
    async fn create_batch(&self, plan: &BatchPlan) -> Result<BatchCreated, RepositoryError>;

    /// Marks `date` as run at `now` (keeping the first time it was), with `audit` (the operator
    /// who ran it by hand) in the same transaction, and releases a claim on it.
    async fn finish_run(
        &self,
        date: SettlementDate,
        now: Timestamp,
        audit: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError>;

    /// Claims the daily run of `date` for `holder` until `until`: `true` when it was free (never
    /// claimed, or its claim lapsed) and not finished. Exactly one instance gets `true` while a
    /// claim lasts.
    async fn claim_run(
        &self,
        date: SettlementDate,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, RepositoryError>;

    /// The dates in `from ..= to` whose run finished.
    async fn finished_runs(
        &self,
        from: SettlementDate,
        to: SettlementDate,
    ) -> Result<Vec<SettlementDate>, RepositoryError>;

    /// Newest first (by date, then creation), up to `page.limit + 1` older than `page.before`.
    async fn list(
        &self,
        filter: &SettlementFilter,
        page: &PageRequest<SettlementId>,
    ) -> Result<Vec<SettlementBatch>, RepositoryError>;

    async fn find(&self, id: &SettlementId) -> Result<Option<SettlementBatch>, RepositoryError>;

    /// Lines of the batch in time order, `limit` after the `after`-th (0-based offset of the
    /// line order, so a CSV can be streamed in pages).
    async fn lines(
        &self,
        id: &SettlementId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<SettlementLine>, RepositoryError>;

    /// Checks the days in `runs` (each with its bounds): every movement in them settled, every
    /// line agreeing with its movement and lying in its batch's day, every batch's totals the
    /// sums of its lines.
    async fn check(
        &self,
        runs: &[(SettlementDate, DayBounds)],
    ) -> Result<SettlementFindings, RepositoryError>;
}
