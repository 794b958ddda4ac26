//! `OperatorReads`: the read side — statistics and the live feeds, deliveries with their
//! attempts in one read-only snapshot, the outbox backlog, the PENDING cancels.

use async_trait::async_trait;
use domain::{
    RepositoryError, Timestamp,
    ids::EventId,
    operator::{
        feed::{AttemptFeedEntry, AuditFeedEntry},
        stats::{StatsBreakdown, StatsFilter},
    },
    outbox::{BacklogScope, Delivery, DeliveryFilter, OutboxBacklog},
    payment::PendingCancels,
    ports::{OperatorReads, PageRequest},
};

use super::{
    Reads, SqlStore, db_error,
    outbox::{find_delivery, list_deliveries},
};
use crate::{
    records::{from_db_time, to_db_time},
    reporting::{attempt_entry, audit_entry, last_id, stats_breakdown},
    statements::Statements,
    statements::{Feed, FeedTable, StatsBinds},
};

/// Feed entries in id order, or why they could not be read.
type Entries<T> = Result<Vec<T>, RepositoryError>;

/// Runs `read` in a read-only snapshot (`Dialect::BEGIN_SNAPSHOT`), so an operator never sees a
/// new attempt next to the message's previous state; `COMMIT` after it, `ROLLBACK` after a
/// failed read.
async fn in_snapshot<B: Statements, T>(
    conn: &mut B::Conn,
    read: impl AsyncFnOnce(&mut B::Conn) -> Result<T, RepositoryError>,
) -> Result<T, RepositoryError> {
    B::execute_plain(conn, B::BEGIN_SNAPSHOT)
        .await
        .map_err(db_error::<B>)?;
    let result = read(&mut *conn).await;
    let end = B::execute_plain(conn, if result.is_ok() { "COMMIT" } else { "ROLLBACK" }).await;
    let value = result?;
    end.map_err(db_error::<B>)?;
    Ok(value)
}

impl<B: Statements> SqlStore<B, Reads> {
    /// The largest id of a feed's table (0 when it is empty).
    async fn last_id(&self, table: FeedTable) -> Result<u64, RepositoryError> {
        let max = self
            .run(async |conn| B::max_feed_id(conn, table).await)
            .await?;
        last_id(table.name(), max)
    }

    async fn audit_feed(&self, feed: Feed<'_>) -> Entries<AuditFeedEntry> {
        if feed.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .run(async |conn| B::audit_feed(conn, feed).await)
            .await?;
        rows.into_iter().map(audit_entry).collect()
    }

    async fn attempt_feed(&self, feed: Feed<'_>) -> Entries<AttemptFeedEntry> {
        if feed.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .run(async |conn| B::attempt_feed(conn, feed).await)
            .await?;
        rows.into_iter().map(attempt_entry).collect()
    }
}

#[async_trait]
impl<B: Statements> OperatorReads for SqlStore<B, Reads> {
    /// Three `GROUP BY` queries over `payment`: overall, per `DATE(created_at)` (instants are
    /// stored in UTC) and per merchant.
    async fn stats(&self, filter: &StatsFilter) -> Result<StatsBreakdown, RepositoryError> {
        let binds = StatsBinds {
            client: filter.client_id.as_ref().map(|c| c.as_str().to_owned()),
            from: filter.from.map(to_db_time),
            to: filter.to.map(to_db_time),
        };
        let rows = self
            .run(async |conn| B::stats_rows(conn, &binds).await)
            .await?;
        stats_breakdown(rows.overall, rows.by_day, rows.by_merchant)
    }

    async fn audit_since(&self, after: u64, limit: u32) -> Entries<AuditFeedEntry> {
        self.audit_feed(Feed::After(after, limit)).await
    }

    async fn audit_by_ids(&self, ids: &[u64]) -> Entries<AuditFeedEntry> {
        self.audit_feed(Feed::Ids(ids)).await
    }

    async fn last_log_id(&self) -> Result<u64, RepositoryError> {
        self.last_id(FeedTable::Audit).await
    }

    /// Filters combine with AND. Newest first by `seq` (enqueue order), strictly older than the
    /// message `page.before` (an unknown cursor gives an empty page), at most `limit + 1`.
    async fn deliveries(
        &self,
        filter: &DeliveryFilter,
        page: &PageRequest<EventId>,
    ) -> Result<Vec<Delivery>, RepositoryError> {
        let mut conn = self.conn().await?;
        in_snapshot::<B, _>(&mut conn, async |conn| {
            list_deliveries::<B>(conn, filter, page).await
        })
        .await
    }

    async fn delivery(&self, id: &EventId) -> Result<Option<Delivery>, RepositoryError> {
        let mut conn = self.conn().await?;
        in_snapshot::<B, _>(&mut conn, async |conn| find_delivery::<B>(conn, id).await).await
    }

    /// Due and retrying PENDING messages and DEAD ones (`raw::backlog`); leased ones are not
    /// done yet.
    async fn backlog(
        &self,
        now: Timestamp,
        scope: &BacklogScope,
    ) -> Result<OutboxBacklog, RepositoryError> {
        let client = scope.client_id.as_ref().map(|c| c.as_str().to_owned());
        let kind = scope.kind.map(|k| k.as_str());
        let b = self
            .run(async |conn| B::backlog(conn, to_db_time(now), client.clone(), kind).await)
            .await?;
        Ok(OutboxBacklog {
            due: u64::try_from(b.due_n).unwrap_or(0),
            oldest_due: b.due_oldest.map(from_db_time),
            retrying: u64::try_from(b.retrying_n).unwrap_or(0),
            oldest_retrying: b.retrying_oldest.map(from_db_time),
            dead: u64::try_from(b.dead_n).unwrap_or(0),
        })
    }

    /// One aggregate over `payment_cancel` (`status = 'PENDING'`).
    async fn pending_cancels_summary(&self) -> Result<PendingCancels, RepositoryError> {
        let (count, oldest) = self
            .run(async |conn| B::pending_cancels(conn).await)
            .await?;
        Ok(PendingCancels {
            count: u64::try_from(count).unwrap_or(0),
            oldest_requested_at: oldest.map(from_db_time),
        })
    }

    async fn attempts_since(&self, after: u64, limit: u32) -> Entries<AttemptFeedEntry> {
        self.attempt_feed(Feed::After(after, limit)).await
    }

    async fn attempts_by_ids(&self, ids: &[u64]) -> Entries<AttemptFeedEntry> {
        self.attempt_feed(Feed::Ids(ids)).await
    }

    async fn last_attempt_id(&self) -> Result<u64, RepositoryError> {
        self.last_id(FeedTable::Attempts).await
    }
}
