//! The statements of `SettlementStore` (`settlement_batch`, `settlement_line`,
//! `settlement_run`), and the queries of a day's movements, which read `payment` and
//! `payment_cancel`.

use time::PrimitiveDateTime;

use super::DatedPage;
use crate::{
    backend::{QueryFuture, SqlBackend},
    records::{BatchRow, FindingRow, LineRow, MovementRow, PairRow},
};

/// A movement no line settles yet (`settles` is the payment id of a capture, the cancel id of
/// a cancel).
const UNSETTLED_CAPTURE: &str = "NOT EXISTS (SELECT 1 FROM settlement_line l \
     WHERE l.settles = p.payment_id)";
const UNSETTLED_CANCEL: &str = "NOT EXISTS (SELECT 1 FROM settlement_line l \
     WHERE l.settles = c.cancel_id)";
/// The cancels that move money: SUCCEEDED, of a payment that was captured.
const SETTLED_CANCELS: &str = "payment_cancel c JOIN payment p ON p.payment_id = c.payment_id \
     WHERE c.status = 'SUCCEEDED' AND p.completed_at IS NOT NULL";

/// The merchants and currencies with an unsettled movement in a day. Binds: start, end (twice).
pub fn unsettled_pairs() -> String {
    format!(
        "SELECT DISTINCT m.client_id AS client_id, m.currency AS currency FROM ( \
           SELECT p.client_id AS client_id, p.currency AS currency FROM payment p \
           WHERE p.completed_at >= ? AND p.completed_at < ? AND {UNSETTLED_CAPTURE} \
           UNION ALL \
           SELECT p.client_id AS client_id, p.currency AS currency FROM {SETTLED_CANCELS} \
             AND c.completed_at >= ? AND c.completed_at < ? AND {UNSETTLED_CANCEL} \
         ) m ORDER BY m.client_id, m.currency"
    )
}

/// One page of a merchant's unsettled captures in a day, by payment id. Binds: client id,
/// currency, start, end, after (payment id), limit.
pub fn capture_page() -> String {
    format!(
        "SELECT 0 AS seq, p.payment_id AS payment_id, p.payment_key AS payment_key, \
                p.order_no AS order_no, p.amount AS amount, p.completed_at AS at, \
                CAST(NULL AS CHAR(1)) AS cancel_id \
         FROM payment p \
         WHERE p.client_id = ? AND p.currency = ? AND p.completed_at >= ? AND p.completed_at < ? \
           AND p.payment_id > ? AND {UNSETTLED_CAPTURE} \
         ORDER BY p.payment_id LIMIT ?"
    )
}

/// One page of a merchant's unsettled cancels in a day, by cancel seq. Binds: client id,
/// currency, start, end, after (seq), limit.
pub fn cancel_page() -> String {
    format!(
        "SELECT c.seq AS seq, p.payment_id AS payment_id, p.payment_key AS payment_key, \
                p.order_no AS order_no, c.amount AS amount, c.completed_at AS at, \
                c.cancel_id AS cancel_id \
         FROM {SETTLED_CANCELS} \
           AND p.client_id = ? AND p.currency = ? AND c.completed_at >= ? AND c.completed_at < ? \
           AND c.seq > ? AND {UNSETTLED_CANCEL} \
         ORDER BY c.seq LIMIT ?"
    )
}

/// Unsettled movements of a day that was run (`simplepg check`). Binds: start, end (twice).
pub fn unsettled_in_day() -> String {
    format!(
        "SELECT p.payment_key AS payment_key, p.payment_id AS settles FROM payment p \
         WHERE p.completed_at >= ? AND p.completed_at < ? AND {UNSETTLED_CAPTURE} \
         UNION ALL \
         SELECT p.payment_key AS payment_key, c.cancel_id AS settles FROM {SETTLED_CANCELS} \
           AND c.completed_at >= ? AND c.completed_at < ? AND {UNSETTLED_CANCEL} \
         LIMIT 100"
    )
}

/// Lines of a date's batches outside the day. Binds: date, start, end.
pub const LINES_OUTSIDE_DAY: &str = "SELECT l.payment_key AS payment_key, l.settles AS settles \
     FROM settlement_line l JOIN settlement_batch b ON b.settlement_id = l.settlement_id \
     WHERE b.settlement_date = ? AND (l.occurred_at < ? OR l.occurred_at >= ?) LIMIT 100";

/// Lines that disagree with the movement they settle: gone, another amount or time, a cancel
/// that is not SUCCEEDED. No binds.
pub const MISMATCHED_LINES: &str = "SELECT l.payment_key AS payment_key, l.settles AS settles \
     FROM settlement_line l \
     LEFT JOIN payment p ON l.line_type = 'CAPTURE' AND p.payment_id = l.settles \
     LEFT JOIN payment_cancel c ON l.line_type = 'CANCEL' AND c.cancel_id = l.settles \
     WHERE (l.line_type = 'CAPTURE' AND (p.payment_id IS NULL OR p.amount <> l.amount \
             OR p.completed_at IS NULL OR p.completed_at <> l.occurred_at)) \
        OR (l.line_type = 'CANCEL' AND (c.cancel_id IS NULL OR c.status <> 'SUCCEEDED' \
             OR c.amount <> -l.amount OR c.completed_at <> l.occurred_at)) \
     LIMIT 100";

/// Batches whose totals are not the sums of their lines. No binds.
pub const WRONG_TOTALS: &str = "SELECT b.settlement_id AS payment_key, \
            b.settlement_id AS settles \
     FROM settlement_batch b LEFT JOIN ( \
       SELECT settlement_id, SUM(amount) AS g, SUM(fee) AS f, SUM(net) AS n, COUNT(*) AS k \
       FROM settlement_line GROUP BY settlement_id) s ON s.settlement_id = b.settlement_id \
     WHERE COALESCE(s.g, 0) <> b.gross OR COALESCE(s.f, 0) <> b.fees \
        OR COALESCE(s.n, 0) <> b.net OR COALESCE(s.k, 0) <> b.line_count \
     LIMIT 100";

/// The binds of a page of movements.
pub struct MovementPage<'a> {
    pub client_id: &'a str,
    pub currency: &'a str,
    pub start: PrimitiveDateTime,
    pub end: PrimitiveDateTime,
    pub limit: i64,
}

/// One method per statement of the settlement store.
pub trait SettlementStatements: SqlBackend {
    fn unsettled_pairs(
        conn: &mut Self::Conn,
        start: PrimitiveDateTime,
        end: PrimitiveDateTime,
    ) -> impl QueryFuture<Vec<PairRow>>;

    /// Captures after payment id `after`.
    fn capture_page(
        conn: &mut Self::Conn,
        page: &MovementPage<'_>,
        after: &str,
    ) -> impl QueryFuture<Vec<MovementRow>>;

    /// Cancels after cancel seq `after`.
    fn cancel_page(
        conn: &mut Self::Conn,
        page: &MovementPage<'_>,
        after: i64,
    ) -> impl QueryFuture<Vec<MovementRow>>;

    fn insert_batch(conn: &mut Self::Conn, row: &BatchRow) -> impl QueryFuture<()>;

    fn insert_lines(conn: &mut Self::Conn, rows: &[LineRow]) -> impl QueryFuture<()>;

    /// Sets the totals of batch `row.settlement_id` to those of `row`.
    fn set_totals(conn: &mut Self::Conn, row: &BatchRow) -> impl QueryFuture<usize>;

    fn find_batch(conn: &mut Self::Conn, id: &str) -> impl QueryFuture<Option<BatchRow>>;

    /// The batches of `page`, of merchant `client_id` when given.
    fn list_batches(
        conn: &mut Self::Conn,
        client_id: Option<&str>,
        page: &DatedPage,
    ) -> impl QueryFuture<Vec<BatchRow>>;

    fn batch_lines(
        conn: &mut Self::Conn,
        id: &str,
        offset: i64,
        limit: i64,
    ) -> impl QueryFuture<Vec<LineRow>>;

    /// `INSERT` of a claimed run (a duplicate key is the caller's to decide).
    fn insert_run(
        conn: &mut Self::Conn,
        date: &str,
        holder: Option<&str>,
        until: Option<PrimitiveDateTime>,
        finished: Option<PrimitiveDateTime>,
    ) -> impl QueryFuture<()>;

    /// Takes over an unfinished run whose claim lapsed before `now`; the rows matched.
    fn take_over_run(
        conn: &mut Self::Conn,
        date: &str,
        holder: &str,
        now: PrimitiveDateTime,
        until: PrimitiveDateTime,
    ) -> impl QueryFuture<usize>;

    /// Marks a run finished at `now` (keeping an earlier finish) and drops its claim; the rows
    /// changed (MySQL counts none for a row already so: the caller then inserts, and a
    /// duplicate key means it exists).
    fn finish_run(
        conn: &mut Self::Conn,
        date: &str,
        now: PrimitiveDateTime,
    ) -> impl QueryFuture<usize>;

    fn finished_runs(conn: &mut Self::Conn, from: &str, to: &str) -> impl QueryFuture<Vec<String>>;

    /// One of the `simplepg check` queries above, with its timestamp/text binds.
    fn findings(
        conn: &mut Self::Conn,
        statement: &str,
        date: Option<&str>,
        times: &[PrimitiveDateTime],
    ) -> impl QueryFuture<Vec<FindingRow>>;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __settlement_statements {
    ($backend:ty, $insert:ident) => {
        impl SettlementStatements for $backend {
            async fn unsettled_pairs(
                conn: &mut Conn,
                start: PrimitiveDateTime,
                end: PrimitiveDateTime,
            ) -> QueryResult<Vec<PairRow>> {
                use diesel::sql_types::Timestamp;
                diesel::sql_query($crate::statements::settlement::unsettled_pairs())
                    .bind::<Timestamp, _>(start)
                    .bind::<Timestamp, _>(end)
                    .bind::<Timestamp, _>(start)
                    .bind::<Timestamp, _>(end)
                    .load(conn)
                    .await
            }

            async fn capture_page(
                conn: &mut Conn,
                page: &$crate::statements::settlement::MovementPage<'_>,
                after: &str,
            ) -> QueryResult<Vec<MovementRow>> {
                use diesel::sql_types::{BigInt, Text, Timestamp};
                diesel::sql_query($crate::statements::settlement::capture_page())
                    .bind::<Text, _>(page.client_id)
                    .bind::<Text, _>(page.currency)
                    .bind::<Timestamp, _>(page.start)
                    .bind::<Timestamp, _>(page.end)
                    .bind::<Text, _>(after)
                    .bind::<BigInt, _>(page.limit)
                    .load(conn)
                    .await
            }

            async fn cancel_page(
                conn: &mut Conn,
                page: &$crate::statements::settlement::MovementPage<'_>,
                after: i64,
            ) -> QueryResult<Vec<MovementRow>> {
                use diesel::sql_types::{BigInt, Text, Timestamp};
                diesel::sql_query($crate::statements::settlement::cancel_page())
                    .bind::<Text, _>(page.client_id)
                    .bind::<Text, _>(page.currency)
                    .bind::<Timestamp, _>(page.start)
                    .bind::<Timestamp, _>(page.end)
                    .bind::<BigInt, _>(after)
                    .bind::<BigInt, _>(page.limit)
                    .load(conn)
                    .await
            }

            async fn insert_batch(conn: &mut Conn, row: &BatchRow) -> QueryResult<()> {
                insert(conn, settlement_batch::table, row).await
            }

            async fn insert_lines(conn: &mut Conn, rows: &[LineRow]) -> QueryResult<()> {
                if rows.is_empty() {
                    return Ok(());
                }
                $crate::__insert_rows!($insert, many, conn, settlement_line::table, rows)
            }

            async fn set_totals(conn: &mut Conn, row: &BatchRow) -> QueryResult<usize> {
                diesel::update(
                    settlement_batch::table
                        .filter(settlement_batch::settlement_id.eq(&row.settlement_id)),
                )
                .set((
                    settlement_batch::gross.eq(row.gross),
                    settlement_batch::fees.eq(row.fees),
                    settlement_batch::net.eq(row.net),
                    settlement_batch::line_count.eq(row.line_count),
                ))
                .execute(conn)
                .await
            }

            async fn find_batch(conn: &mut Conn, id: &str) -> QueryResult<Option<BatchRow>> {
                settlement_batch::table
                    .filter(settlement_batch::settlement_id.eq(id))
                    .select(BatchRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn list_batches(
                conn: &mut Conn,
                client_id: Option<&str>,
                page: &DatedPage,
            ) -> QueryResult<Vec<BatchRow>> {
                let mut query = settlement_batch::table
                    .select(BatchRow::as_select())
                    .into_boxed();
                if let Some(client) = client_id {
                    query = query.filter(settlement_batch::client_id.eq(client.to_owned()));
                }
                $crate::__dated_page!(
                    query,
                    settlement_batch::settlement_date,
                    settlement_batch::seq,
                    page
                )
                .load(conn)
                .await
            }

            async fn batch_lines(
                conn: &mut Conn,
                id: &str,
                offset: i64,
                limit: i64,
            ) -> QueryResult<Vec<LineRow>> {
                settlement_line::table
                    .filter(settlement_line::settlement_id.eq(id))
                    .order((
                        settlement_line::occurred_at.asc(),
                        settlement_line::seq.asc(),
                    ))
                    .select(LineRow::as_select())
                    .limit(limit)
                    .offset(offset)
                    .load(conn)
                    .await
            }

            async fn insert_run(
                conn: &mut Conn,
                date: &str,
                holder: Option<&str>,
                until: Option<PrimitiveDateTime>,
                finished: Option<PrimitiveDateTime>,
            ) -> QueryResult<()> {
                insert(
                    conn,
                    settlement_run::table,
                    (
                        settlement_run::settlement_date.eq(date),
                        settlement_run::claimed_by.eq(holder),
                        settlement_run::lease_until.eq(until),
                        settlement_run::finished_at.eq(finished),
                    ),
                )
                .await
            }

            async fn take_over_run(
                conn: &mut Conn,
                date: &str,
                holder: &str,
                now: PrimitiveDateTime,
                until: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                diesel::update(
                    settlement_run::table
                        .find(date)
                        .filter(settlement_run::finished_at.is_null())
                        .filter(
                            settlement_run::lease_until
                                .is_null()
                                .or(settlement_run::lease_until.lt(now)),
                        ),
                )
                .set((
                    settlement_run::claimed_by.eq(holder),
                    settlement_run::lease_until.eq(until),
                ))
                .execute(conn)
                .await
            }

            async fn finish_run(
                conn: &mut Conn,
                date: &str,
                now: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                use diesel::sql_types::{Text, Timestamp};
                diesel::sql_query(
                    "UPDATE settlement_run SET finished_at = COALESCE(finished_at, ?), \
                     claimed_by = NULL, lease_until = NULL WHERE settlement_date = ?",
                )
                .bind::<Timestamp, _>(now)
                .bind::<Text, _>(date)
                .execute(conn)
                .await
            }

            async fn finished_runs(
                conn: &mut Conn,
                from: &str,
                to: &str,
            ) -> QueryResult<Vec<String>> {
                settlement_run::table
                    .filter(settlement_run::settlement_date.ge(from))
                    .filter(settlement_run::settlement_date.le(to))
                    .filter(settlement_run::finished_at.is_not_null())
                    .order(settlement_run::settlement_date.asc())
                    .select(settlement_run::settlement_date)
                    .load(conn)
                    .await
            }

            async fn findings(
                conn: &mut Conn,
                statement: &str,
                date: Option<&str>,
                times: &[PrimitiveDateTime],
            ) -> QueryResult<Vec<FindingRow>> {
                use diesel::sql_types::{Text, Timestamp};
                let mut query = diesel::sql_query(statement).into_boxed();
                if let Some(date) = date {
                    query = query.bind::<Text, _>(date.to_owned());
                }
                for t in times {
                    query = query.bind::<Timestamp, _>(*t);
                }
                query.load(conn).await
            }
        }
    };
}
