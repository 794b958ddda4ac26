//! The read side: what operators look at — payment statistics, the live feed of audit rows and
//! delivery attempts, the deliveries with their attempts, the outbox backlog, the PENDING
//! cancels. Kept apart from the write model's ports ([`super::PaymentStore`],
//! [`super::OutboxStore`]) so the money core's ports stay small, and so these reads can later be
//! served from a replica.

use async_trait::async_trait;

use crate::{
    RepositoryError, Timestamp,
    feed::{AttemptFeedEntry, AuditFeedEntry},
    ids::EventId,
    outbox::{BacklogScope, Delivery, DeliveryFilter, OutboxBacklog},
    payment::PendingCancels,
    stats::{StatsBreakdown, StatsFilter},
};

use super::PageRequest;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OperatorReads: Send + Sync {
    /// Payments created in `[filter.from, filter.to)` (of `filter.client_id`, or all), grouped
    /// by status, currency and whether `approved_at` is set: once overall, once more per UTC
    /// day of `created_at` and once per merchant. Groups without payments are absent.
    async fn stats(&self, filter: &StatsFilter) -> Result<StatsBreakdown, RepositoryError>;

    /// Audit rows of every payment with `log_id > after`, in `log_id` order, at most `limit`.
    async fn audit_since(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<AuditFeedEntry>, RepositoryError>;

    /// The audit rows among `ids` that exist (now), in `log_id` order.
    async fn audit_by_ids(&self, ids: &[u64]) -> Result<Vec<AuditFeedEntry>, RepositoryError>;

    /// The highest `log_id` written so far (0 when there is none).
    async fn last_log_id(&self) -> Result<u64, RepositoryError>;

    /// Newest first, up to `page.limit + 1` messages older than `page.before`, each with all
    /// its attempts (oldest first).
    async fn deliveries(
        &self,
        filter: &DeliveryFilter,
        page: &PageRequest<EventId>,
    ) -> Result<Vec<Delivery>, RepositoryError>;

    async fn delivery(&self, id: &EventId) -> Result<Option<Delivery>, RepositoryError>;

    /// The PENDING messages at `now` (due ones and retrying ones) and the DEAD ones, among
    /// those in `scope` (see [`OutboxBacklog`]).
    async fn backlog(
        &self,
        now: Timestamp,
        scope: &BacklogScope,
    ) -> Result<OutboxBacklog, RepositoryError>;

    /// The PENDING cancels of all payments: how many, and when the oldest was requested.
    async fn pending_cancels_summary(&self) -> Result<PendingCancels, RepositoryError>;

    /// Delivery attempts with an id above `after`, in id order, at most `limit`, each with its
    /// message's kind, target and payment.
    async fn attempts_since(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<AttemptFeedEntry>, RepositoryError>;

    /// The attempts among `ids` that exist (now), in id order.
    async fn attempts_by_ids(&self, ids: &[u64]) -> Result<Vec<AttemptFeedEntry>, RepositoryError>;

    /// The highest attempt id written so far (0 when there is none).
    async fn last_attempt_id(&self) -> Result<u64, RepositoryError>;
}
