//! Read-only queries for operators: payment statistics (`GROUP BY`) and the live feed (audit rows
//! and delivery attempts tailed by their increasing ids), as the module `reporting`.

/// Expanded by [`sql_stores!`](crate::sql_stores).
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_reporting {
    () => {
        mod reporting {
            use super::{D, Pool, db_error, pool_error};
            use $crate::__private::{
                diesel::{
                    self, ExpressionMethods as _, JoinOnDsl as _, NullableExpressionMethods as _,
                    QueryDsl as _, SelectableHelper as _,
                    sql_types::{Nullable, Text, Timestamp},
                },
                diesel_async::RunQueryDsl as _,
                domain::{self, RepositoryError},
            };
            use $crate::{
                raw::{StatsGrouping, stats as stats_sql},
                records::{AttemptRow, AuditRow, to_db_time, wide},
                reporting::{AttemptFeedRow, AuditFeedRow, attempt_entry, audit_entry, last_id},
                schema::{delivery_attempt, outbox_event, payment, payment_log},
            };

            /// Which rows of a live feed: those after an id (at most a limit), or these ids.
            pub(super) enum Feed<'a> {
                After(u64, u32),
                Ids(&'a [u64]),
            }

            impl Feed<'_> {
                fn is_empty(&self) -> bool {
                    matches!(self, Feed::Ids(ids) if ids.is_empty())
                }

                fn ids(&self) -> Vec<i64> {
                    match self {
                        Feed::After(..) => Vec::new(),
                        Feed::Ids(ids) => ids.iter().map(|&i| wide(i)).collect(),
                    }
                }
            }

            /// Three `GROUP BY` queries over `payment`: overall, per `DATE(created_at)` (instants
            /// are stored in UTC) and per merchant.
            pub(super) async fn stats(
                pool: &Pool,
                filter: &domain::operator::stats::StatsFilter,
            ) -> Result<domain::operator::stats::StatsBreakdown, RepositoryError> {
                let client = filter.client_id.as_ref().map(|c| c.as_str().to_owned());
                let from = filter.from.map(to_db_time);
                let to = filter.to.map(to_db_time);
                let query = |grouping| {
                    diesel::sql_query(stats_sql::<D>(grouping))
                        .bind::<Nullable<Text>, _>(client.clone())
                        .bind::<Nullable<Text>, _>(client.clone())
                        .bind::<Nullable<Timestamp>, _>(from)
                        .bind::<Nullable<Timestamp>, _>(from)
                        .bind::<Nullable<Timestamp>, _>(to)
                        .bind::<Nullable<Timestamp>, _>(to)
                };
                let mut conn = pool.get().await.map_err(pool_error)?;
                let overall = query(StatsGrouping::Overall)
                    .load(&mut conn)
                    .await
                    .map_err(db_error)?;
                let by_day = query(StatsGrouping::ByDay)
                    .load(&mut conn)
                    .await
                    .map_err(db_error)?;
                let by_merchant = query(StatsGrouping::ByMerchant)
                    .load(&mut conn)
                    .await
                    .map_err(db_error)?;
                $crate::reporting::stats_breakdown(overall, by_day, by_merchant)
            }

            /// `payment_log JOIN payment`, by `log_id`.
            pub(super) async fn audit_feed(
                pool: &Pool,
                feed: Feed<'_>,
            ) -> Result<Vec<domain::operator::feed::AuditFeedEntry>, RepositoryError> {
                if feed.is_empty() {
                    return Ok(Vec::new());
                }
                let query = payment_log::table
                    .inner_join(payment::table)
                    .select((AuditRow::as_select(), payment::payment_key, payment::client_id))
                    .order(payment_log::log_id.asc())
                    .into_boxed();
                let query = match feed {
                    Feed::After(after, limit) => query
                        .filter(payment_log::log_id.gt(wide(after)))
                        .limit(i64::from(limit)),
                    Feed::Ids(_) => query.filter(payment_log::log_id.eq_any(feed.ids())),
                };
                let mut conn = pool.get().await.map_err(pool_error)?;
                let rows: Vec<AuditFeedRow> = query.load(&mut conn).await.map_err(db_error)?;
                rows.into_iter().map(audit_entry).collect()
            }

            pub(super) async fn last_log_id(pool: &Pool) -> Result<u64, RepositoryError> {
                let mut conn = pool.get().await.map_err(pool_error)?;
                let max: Option<i64> = payment_log::table
                    .select(diesel::dsl::max(payment_log::log_id))
                    .first(&mut conn)
                    .await
                    .map_err(db_error)?;
                last_id("payment_log", max)
            }

            /// `delivery_attempt JOIN outbox_event LEFT JOIN payment`, by attempt id.
            pub(super) async fn attempt_feed(
                pool: &Pool,
                feed: Feed<'_>,
            ) -> Result<Vec<domain::operator::feed::AttemptFeedEntry>, RepositoryError> {
                if feed.is_empty() {
                    return Ok(Vec::new());
                }
                let query = delivery_attempt::table
                    .inner_join(
                        outbox_event::table
                            .on(outbox_event::event_id.eq(delivery_attempt::event_id)),
                    )
                    .left_join(
                        payment::table
                            .on(outbox_event::payment_id.eq(payment::payment_id.nullable())),
                    )
                    .select((
                        AttemptRow::as_select(),
                        outbox_event::kind,
                        outbox_event::event_type,
                        outbox_event::target_url,
                        outbox_event::client_id,
                        payment::payment_key.nullable(),
                    ))
                    .order(delivery_attempt::id.asc())
                    .into_boxed();
                let query = match feed {
                    Feed::After(after, limit) => query
                        .filter(delivery_attempt::id.gt(wide(after)))
                        .limit(i64::from(limit)),
                    Feed::Ids(_) => query.filter(delivery_attempt::id.eq_any(feed.ids())),
                };
                let mut conn = pool.get().await.map_err(pool_error)?;
                let rows: Vec<AttemptFeedRow> = query.load(&mut conn).await.map_err(db_error)?;
                rows.into_iter().map(attempt_entry).collect()
            }

            pub(super) async fn last_attempt_id(pool: &Pool) -> Result<u64, RepositoryError> {
                let mut conn = pool.get().await.map_err(pool_error)?;
                let max: Option<i64> = delivery_attempt::table
                    .select(diesel::dsl::max(delivery_attempt::id))
                    .first(&mut conn)
                    .await
                    .map_err(db_error)?;
                last_id("delivery_attempt", max)
            }
        }
    };
}
