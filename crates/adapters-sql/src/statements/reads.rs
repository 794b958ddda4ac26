//! The statements of `OperatorReads` (statistics, live feeds, the outbox backlog) and of
//! `StoreHealth`: read-only, each one statement (the statistics: one per grouping).

use diesel::QueryResult;
use time::PrimitiveDateTime;

use crate::{
    backend::SqlBackend,
    raw::{Backlog, CellRow, DayCellRow, MerchantCellRow},
    reporting::{AttemptFeedRow, AuditFeedRow},
};

/// Which rows of a live feed: those after an id (at most a limit), or these ids.
#[derive(Debug, Clone, Copy)]
pub enum Feed<'a> {
    After(u64, u32),
    Ids(&'a [u64]),
}

impl Feed<'_> {
    /// True when no row can match (an empty list of ids).
    pub fn is_empty(&self) -> bool {
        matches!(self, Feed::Ids(ids) if ids.is_empty())
    }

    /// The ids of `Feed::Ids`, as stored.
    pub fn ids(&self) -> Vec<i64> {
        match self {
            Feed::After(..) => Vec::new(),
            Feed::Ids(ids) => ids.iter().map(|&i| crate::records::wide(i)).collect(),
        }
    }
}

/// The tables a live feed tails, by their increasing ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedTable {
    /// `payment_log.log_id`.
    Audit,
    /// `delivery_attempt.id`.
    Attempts,
}

impl FeedTable {
    pub fn name(self) -> &'static str {
        match self {
            FeedTable::Audit => "payment_log",
            FeedTable::Attempts => "delivery_attempt",
        }
    }
}

/// The binds of the statistics queries (`raw::stats`).
#[derive(Debug, Clone)]
pub struct StatsBinds {
    pub client: Option<String>,
    pub from: Option<PrimitiveDateTime>,
    pub to: Option<PrimitiveDateTime>,
}

/// The rows of the three statistics groupings.
pub struct StatsRows {
    pub overall: Vec<CellRow>,
    pub by_day: Vec<DayCellRow>,
    pub by_merchant: Vec<MerchantCellRow>,
}

/// One method per read-only statement of the read side and the health check.
pub trait ReadStatements: SqlBackend {
    /// `raw::stats` for each grouping, on one connection.
    fn stats_rows(
        conn: &mut Self::Conn,
        binds: &StatsBinds,
    ) -> impl Future<Output = QueryResult<StatsRows>> + Send;

    /// `payment_log JOIN payment`, by `log_id`.
    fn audit_feed(
        conn: &mut Self::Conn,
        feed: Feed<'_>,
    ) -> impl Future<Output = QueryResult<Vec<AuditFeedRow>>> + Send;

    /// `delivery_attempt JOIN outbox_event LEFT JOIN payment`, by attempt id.
    fn attempt_feed(
        conn: &mut Self::Conn,
        feed: Feed<'_>,
    ) -> impl Future<Output = QueryResult<Vec<AttemptFeedRow>>> + Send;

    /// The largest id of `table` (none when it is empty).
    fn max_feed_id(
        conn: &mut Self::Conn,
        table: FeedTable,
    ) -> impl Future<Output = QueryResult<Option<i64>>> + Send;

    /// `raw::backlog` at `now`.
    fn backlog(
        conn: &mut Self::Conn,
        now: PrimitiveDateTime,
    ) -> impl Future<Output = QueryResult<Backlog>> + Send;

    /// A statement without binds or rows (`BEGIN …`, `COMMIT`, `ROLLBACK`).
    fn execute_plain(
        conn: &mut Self::Conn,
        sql: &'static str,
    ) -> impl Future<Output = QueryResult<usize>> + Send;

    /// `SELECT 1`.
    fn select_one(conn: &mut Self::Conn) -> impl Future<Output = QueryResult<i32>> + Send;

    /// How many rows of diesel's migrations table have this version (`raw::MIGRATION_APPLIED`).
    fn migration_applied(
        conn: &mut Self::Conn,
        version: &str,
    ) -> impl Future<Output = QueryResult<i64>> + Send;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __read_statements {
    ($backend:ty) => {
        impl $crate::statements::ReadStatements for $backend {
            async fn stats_rows(
                conn: &mut Conn,
                binds: &$crate::statements::StatsBinds,
            ) -> diesel::QueryResult<$crate::statements::StatsRows> {
                use diesel::sql_types::{Nullable, Text, Timestamp};
                use $crate::raw::{StatsGrouping, stats};
                let query = |grouping| {
                    diesel::sql_query(stats::<$backend>(grouping))
                        .bind::<Nullable<Text>, _>(binds.client.clone())
                        .bind::<Nullable<Text>, _>(binds.client.clone())
                        .bind::<Nullable<Timestamp>, _>(binds.from)
                        .bind::<Nullable<Timestamp>, _>(binds.from)
                        .bind::<Nullable<Timestamp>, _>(binds.to)
                        .bind::<Nullable<Timestamp>, _>(binds.to)
                };
                Ok($crate::statements::StatsRows {
                    overall: query(StatsGrouping::Overall).load(conn).await?,
                    by_day: query(StatsGrouping::ByDay).load(conn).await?,
                    by_merchant: query(StatsGrouping::ByMerchant).load(conn).await?,
                })
            }

            async fn audit_feed(
                conn: &mut Conn,
                feed: $crate::statements::Feed<'_>,
            ) -> diesel::QueryResult<Vec<$crate::reporting::AuditFeedRow>> {
                use $crate::{
                    records::{AuditRow, wide},
                    schema::{payment, payment_log},
                    statements::Feed,
                };
                let query = payment_log::table
                    .inner_join(payment::table)
                    .select((
                        AuditRow::as_select(),
                        payment::payment_key,
                        payment::client_id,
                    ))
                    .order(payment_log::log_id.asc())
                    .into_boxed();
                let query = match feed {
                    Feed::After(after, limit) => query
                        .filter(payment_log::log_id.gt(wide(after)))
                        .limit(i64::from(limit)),
                    Feed::Ids(_) => query.filter(payment_log::log_id.eq_any(feed.ids())),
                };
                query.load(conn).await
            }

            async fn attempt_feed(
                conn: &mut Conn,
                feed: $crate::statements::Feed<'_>,
            ) -> diesel::QueryResult<Vec<$crate::reporting::AttemptFeedRow>> {
                use diesel::NullableExpressionMethods as _;
                use $crate::{
                    records::{AttemptRow, wide},
                    schema::{delivery_attempt, outbox_event, payment},
                    statements::Feed,
                };
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
                query.load(conn).await
            }

            async fn max_feed_id(
                conn: &mut Conn,
                table: $crate::statements::FeedTable,
            ) -> diesel::QueryResult<Option<i64>> {
                use diesel::dsl::max;
                use $crate::{
                    schema::{delivery_attempt, payment_log},
                    statements::FeedTable,
                };
                match table {
                    FeedTable::Audit => {
                        payment_log::table
                            .select(max(payment_log::log_id))
                            .first(conn)
                            .await
                    }
                    FeedTable::Attempts => {
                        delivery_attempt::table
                            .select(max(delivery_attempt::id))
                            .first(conn)
                            .await
                    }
                }
            }

            async fn backlog(
                conn: &mut Conn,
                now: $crate::__private::time::PrimitiveDateTime,
            ) -> diesel::QueryResult<$crate::raw::Backlog> {
                use diesel::sql_types::Timestamp;
                diesel::sql_query($crate::raw::backlog::<$backend>())
                    .bind::<Timestamp, _>(now)
                    .bind::<Timestamp, _>(now)
                    .get_result(conn)
                    .await
            }

            async fn execute_plain(
                conn: &mut Conn,
                sql: &'static str,
            ) -> diesel::QueryResult<usize> {
                diesel::sql_query(sql).execute(conn).await
            }

            async fn select_one(conn: &mut Conn) -> diesel::QueryResult<i32> {
                let one: $crate::raw::One = diesel::sql_query("SELECT 1 AS one")
                    .get_result(conn)
                    .await?;
                Ok(one.one)
            }

            async fn migration_applied(conn: &mut Conn, version: &str) -> diesel::QueryResult<i64> {
                let applied: $crate::raw::Count = diesel::sql_query($crate::raw::MIGRATION_APPLIED)
                    .bind::<diesel::sql_types::Text, _>(version)
                    .get_result(conn)
                    .await?;
                Ok(applied.n)
            }
        }
    };
}
