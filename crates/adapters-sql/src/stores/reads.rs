//! `OperatorReads`: the read side — statistics and the live feed (`reporting`), deliveries
//! with their attempts in one read-only snapshot (the outbox store's helpers), the backlog.

/// Expanded by [`sql_stores!`](crate::sql_stores).
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_operator_reads {
    ($store:ident, $outbox:ident) => {
        #[async_trait]
        impl domain::ports::OperatorReads for $store {
            async fn stats(
                &self,
                filter: &domain::operator::stats::StatsFilter,
            ) -> Result<domain::operator::stats::StatsBreakdown, RepositoryError> {
                reporting::stats(&self.pool, filter).await
            }

            async fn audit_since(
                &self,
                after: u64,
                limit: u32,
            ) -> Result<Vec<domain::operator::feed::AuditFeedEntry>, RepositoryError> {
                reporting::audit_feed(&self.pool, reporting::Feed::After(after, limit)).await
            }

            async fn audit_by_ids(
                &self,
                ids: &[u64],
            ) -> Result<Vec<domain::operator::feed::AuditFeedEntry>, RepositoryError> {
                reporting::audit_feed(&self.pool, reporting::Feed::Ids(ids)).await
            }

            async fn last_log_id(&self) -> Result<u64, RepositoryError> {
                reporting::last_log_id(&self.pool).await
            }

            /// Filters combine with AND. Newest first by `seq` (enqueue order), strictly older
            /// than the message `page.before` (an unknown cursor gives an empty page), at most
            /// `limit + 1`.
            async fn deliveries(
                &self,
                filter: &domain::outbox::DeliveryFilter,
                page: &domain::ports::PageRequest<domain::ids::EventId>,
            ) -> Result<Vec<domain::outbox::Delivery>, RepositoryError> {
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                $outbox::begin_snapshot(&mut conn).await?;
                let result = $outbox::list_in(&mut conn, filter, page).await;
                $outbox::end_snapshot(&mut conn, result).await
            }

            async fn delivery(
                &self,
                id: &domain::ids::EventId,
            ) -> Result<Option<domain::outbox::Delivery>, RepositoryError> {
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                $outbox::begin_snapshot(&mut conn).await?;
                let result = $outbox::find_in(&mut conn, id).await;
                $outbox::end_snapshot(&mut conn, result).await
            }

            /// Due and retrying PENDING messages (`raw::backlog`); leased ones are not done yet.
            async fn backlog(
                &self,
                now: domain::Timestamp,
            ) -> Result<domain::outbox::OutboxBacklog, RepositoryError> {
                use diesel::sql_types::Timestamp;
                use $crate::records::{from_db_time, to_db_time};
                let at = to_db_time(now);
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let b: $crate::raw::Backlog = diesel::sql_query($crate::raw::backlog::<D>())
                    .bind::<Timestamp, _>(at)
                    .bind::<Timestamp, _>(at)
                    .get_result(&mut conn)
                    .await
                    .map_err(db_error)?;
                Ok(domain::outbox::OutboxBacklog {
                    due: u64::try_from(b.due_n).unwrap_or(0),
                    oldest_due: b.due_oldest.map(from_db_time),
                    retrying: u64::try_from(b.retrying_n).unwrap_or(0),
                    oldest_retrying: b.retrying_oldest.map(from_db_time),
                })
            }

            async fn attempts_since(
                &self,
                after: u64,
                limit: u32,
            ) -> Result<Vec<domain::operator::feed::AttemptFeedEntry>, RepositoryError> {
                reporting::attempt_feed(&self.pool, reporting::Feed::After(after, limit)).await
            }

            async fn attempts_by_ids(
                &self,
                ids: &[u64],
            ) -> Result<Vec<domain::operator::feed::AttemptFeedEntry>, RepositoryError> {
                reporting::attempt_feed(&self.pool, reporting::Feed::Ids(ids)).await
            }

            async fn last_attempt_id(&self) -> Result<u64, RepositoryError> {
                reporting::last_attempt_id(&self.pool).await
            }
        }
    };
}
