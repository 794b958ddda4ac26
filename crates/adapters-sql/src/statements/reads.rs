//! The statements of `OperatorReads` (statistics, live feeds, the outbox backlog, the PENDING
//! cancels) and of `StoreHealth`: read-only, each one statement (the statistics: one per
//! grouping).

use time::PrimitiveDateTime;

use diesel::{
    ExpressionMethods,
    dsl::{EqAny, Gt},
    expression::AsExpression,
    query_dsl::methods::{FilterDsl, LimitDsl},
    sql_types::{SqlType, is_nullable},
};

use crate::{
    backend::{QueryFuture, SqlBackend},
    raw::{Backlog, CellRow, DayCellRow, MerchantCellRow},
    records::wide,
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

    /// Narrows `query` (a boxed feed query ordered by `id`) to these rows: `id > after LIMIT
    /// limit`, or `id IN (ids)`.
    pub fn select<Q, C>(self, query: Q, id: C) -> Q
    where
        C: ExpressionMethods,
        C::SqlType: SqlType<IsNull = is_nullable::NotNull>,
        i64: AsExpression<C::SqlType>,
        Q: FilterDsl<Gt<C, i64>, Output = Q>
            + FilterDsl<EqAny<C, Vec<i64>>, Output = Q>
            + LimitDsl<Output = Q>,
    {
        match self {
            Feed::After(after, limit) => query.filter(id.gt(wide(after))).limit(i64::from(limit)),
            Feed::Ids(ids) => {
                query.filter(id.eq_any(ids.iter().map(|&i| wide(i)).collect::<Vec<_>>()))
            }
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
    fn stats_rows(conn: &mut Self::Conn, binds: &StatsBinds) -> impl QueryFuture<StatsRows>;

    /// `payment_log JOIN payment`, by `log_id`.
    fn audit_feed(conn: &mut Self::Conn, feed: Feed<'_>) -> impl QueryFuture<Vec<AuditFeedRow>>;

    /// `delivery_attempt JOIN outbox_event LEFT JOIN payment`, by attempt id.
    fn attempt_feed(conn: &mut Self::Conn, feed: Feed<'_>)
    -> impl QueryFuture<Vec<AttemptFeedRow>>;

    /// The largest id of `table` (none when it is empty).
    fn max_feed_id(conn: &mut Self::Conn, table: FeedTable) -> impl QueryFuture<Option<i64>>;

    /// `raw::backlog` at `now`, of one merchant's and/or one kind's messages (or all).
    fn backlog(
        conn: &mut Self::Conn,
        now: PrimitiveDateTime,
        client_id: Option<String>,
        kind: Option<&'static str>,
    ) -> impl QueryFuture<Backlog>;

    /// How many `payment_cancel` rows are PENDING, and the earliest `requested_at` among them
    /// (served by the `(status, requested_at)` index).
    fn pending_cancels(conn: &mut Self::Conn)
    -> impl QueryFuture<(i64, Option<PrimitiveDateTime>)>;

    /// A statement without binds or rows (`BEGIN …`, `COMMIT`, `ROLLBACK`).
    fn execute_plain(conn: &mut Self::Conn, sql: &'static str) -> impl QueryFuture<usize>;

    /// `SELECT 1`.
    fn select_one(conn: &mut Self::Conn) -> impl QueryFuture<i32>;

    /// How many rows of diesel's migrations table have this version (`raw::MIGRATION_APPLIED`).
    fn migration_applied(conn: &mut Self::Conn, version: &str) -> impl QueryFuture<i64>;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __read_statements {
    ($backend:ty) => {
        impl ReadStatements for $backend {
            async fn stats_rows(conn: &mut Conn, binds: &StatsBinds) -> QueryResult<StatsRows> {
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
                Ok(StatsRows {
                    overall: query(StatsGrouping::Overall).load(conn).await?,
                    by_day: query(StatsGrouping::ByDay).load(conn).await?,
                    by_merchant: query(StatsGrouping::ByMerchant).load(conn).await?,
                })
            }

            async fn audit_feed(conn: &mut Conn, feed: Feed<'_>) -> QueryResult<Vec<AuditFeedRow>> {
                let query = payment_log::table
                    .inner_join(payment::table)
                    .select((
                        AuditRow::as_select(),
                        payment::payment_key,
                        payment::client_id,
                    ))
                    .order(payment_log::log_id.asc())
                    .into_boxed();
                feed.select(query, payment_log::log_id).load(conn).await
            }

            async fn attempt_feed(
                conn: &mut Conn,
                feed: Feed<'_>,
            ) -> QueryResult<Vec<AttemptFeedRow>> {
                use diesel::NullableExpressionMethods as _;
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
                feed.select(query, delivery_attempt::id).load(conn).await
            }

            async fn max_feed_id(conn: &mut Conn, table: FeedTable) -> QueryResult<Option<i64>> {
                use diesel::dsl::max;
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
                now: PrimitiveDateTime,
                client_id: Option<String>,
                kind: Option<&'static str>,
            ) -> QueryResult<$crate::raw::Backlog> {
                use diesel::sql_types::{Nullable, Text, Timestamp};
                diesel::sql_query($crate::raw::backlog::<$backend>())
                    .bind::<Timestamp, _>(now)
                    .bind::<Timestamp, _>(now)
                    .bind::<Nullable<Text>, _>(client_id.clone())
                    .bind::<Nullable<Text>, _>(client_id)
                    .bind::<Nullable<Text>, _>(kind)
                    .bind::<Nullable<Text>, _>(kind)
                    .get_result(conn)
                    .await
            }

            async fn pending_cancels(
                conn: &mut Conn,
            ) -> QueryResult<(i64, Option<PrimitiveDateTime>)> {
                use diesel::dsl::{count_star, min};
                payment_cancel::table
                    .filter(
                        payment_cancel::status.eq(domain::payment::CancelStatus::Pending.as_str()),
                    )
                    .select((count_star(), min(payment_cancel::requested_at)))
                    .first(conn)
                    .await
            }

            async fn execute_plain(conn: &mut Conn, sql: &'static str) -> QueryResult<usize> {
                diesel::sql_query(sql).execute(conn).await
            }

            async fn select_one(conn: &mut Conn) -> QueryResult<i32> {
                let one: $crate::raw::One = diesel::sql_query("SELECT 1 AS one")
                    .get_result(conn)
                    .await?;
                Ok(one.one)
            }

            async fn migration_applied(conn: &mut Conn, version: &str) -> QueryResult<i64> {
                let applied: $crate::raw::Count = diesel::sql_query($crate::raw::MIGRATION_APPLIED)
                    .bind::<diesel::sql_types::Text, _>(version)
                    .get_result(conn)
                    .await?;
                Ok(applied.n)
            }
        }
    };
}
