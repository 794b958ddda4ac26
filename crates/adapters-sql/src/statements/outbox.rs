//! The statements of `OutboxStore` (`outbox_event`, `delivery_attempt`).

use domain::outbox::DeliveryFilter;
use time::PrimitiveDateTime;

use crate::{
    backend::{QueryFuture, SqlBackend},
    decisions::AttemptOutcome,
    records::{AttemptRow, NewAttemptRow, NewOutboxRow, OutboxRow},
};

/// Who holds an outbox message as re-read under the row lock: its payment and state.
pub type LockedEvent = (Option<String>, String);

/// One method per statement on `outbox_event` and `delivery_attempt`.
pub trait OutboxStatements: SqlBackend {
    /// New PENDING rows: one multi-row `INSERT`, or one per row where diesel-async cannot batch
    /// (SQLite: no `DEFAULT` in `VALUES`). `rows` is never empty.
    fn insert_messages(conn: &mut Self::Conn, rows: &[NewOutboxRow]) -> impl QueryFuture<()>;

    /// The attempts of these stored event ids, oldest first.
    fn attempt_rows(
        conn: &mut Self::Conn,
        events: Vec<String>,
    ) -> impl QueryFuture<Vec<AttemptRow>>;

    /// The `seq` of the message with this stored event id.
    fn event_seq(conn: &mut Self::Conn, event_id: &str) -> impl QueryFuture<Option<i64>>;

    /// A page of messages: `filter`, `seq < before_seq`, newest first, at most `limit + 1`.
    fn list_events(
        conn: &mut Self::Conn,
        filter: &DeliveryFilter,
        before_seq: Option<i64>,
        limit: u32,
    ) -> impl QueryFuture<Vec<OutboxRow>>;

    fn find_event(conn: &mut Self::Conn, event_id: &str) -> impl QueryFuture<Option<OutboxRow>>;

    /// [`raw::CLAIM_CANDIDATES`](crate::raw::CLAIM_CANDIDATES): at most `max` due `seq`s.
    fn claim_candidates(
        conn: &mut Self::Conn,
        now: PrimitiveDateTime,
        max: i64,
    ) -> impl QueryFuture<Vec<i64>>;

    /// Re-checks `candidates` on the latest committed rows (still PENDING, due, lease free),
    /// earliest first, at most `limit`, with the dialect's claim lock.
    fn lock_claimable(
        conn: &mut Self::Conn,
        candidates: &[i64],
        now: PrimitiveDateTime,
        limit: u32,
    ) -> impl QueryFuture<Vec<OutboxRow>>;

    /// `UPDATE … SET lease_until = ? WHERE seq IN (…) AND (lease_until IS NULL OR lease_until <
    /// now)`.
    fn lease_events(
        conn: &mut Self::Conn,
        seqs: Vec<i64>,
        now: PrimitiveDateTime,
        until: PrimitiveDateTime,
    ) -> impl QueryFuture<usize>;

    /// Re-reads a message's payment and state with the dialect's row lock.
    fn lock_event(conn: &mut Self::Conn, event_id: &str) -> impl QueryFuture<Option<LockedEvent>>;

    fn insert_attempt(conn: &mut Self::Conn, row: &NewAttemptRow) -> impl QueryFuture<()>;

    /// Writes `outcome` of attempt `row` to its (PENDING) message.
    fn record_outcome(
        conn: &mut Self::Conn,
        row: &NewAttemptRow,
        outcome: &AttemptOutcome,
    ) -> impl QueryFuture<()>;

    /// Writes `outcome` of attempt `row` to its message, with the attempt counted, if it is
    /// PENDING and no dispatcher holds it (`lease_until IS NULL OR lease_until < now`; one that
    /// does finishes it itself): a message a state change finishes.
    fn finish_unleased(
        conn: &mut Self::Conn,
        row: &NewAttemptRow,
        outcome: &AttemptOutcome,
        now: PrimitiveDateTime,
    ) -> impl QueryFuture<usize>;

    /// Back to PENDING, due `now`, if DELIVERED or DEAD; the number of matched rows.
    fn redeliver_event(
        conn: &mut Self::Conn,
        event_id: &str,
        now: PrimitiveDateTime,
    ) -> impl QueryFuture<usize>;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __outbox_statements {
    ($backend:ty, $insert:ident, ($($lock_row:tt)*), ($($lock_claim:tt)*)) => {
        impl OutboxStatements for $backend {
            async fn insert_messages(conn: &mut Conn, rows: &[NewOutboxRow]) -> QueryResult<()> {
                $crate::__insert_rows!($insert, few, conn, outbox_event::table, rows)
            }

            async fn attempt_rows(
                conn: &mut Conn,
                events: Vec<String>,
            ) -> QueryResult<Vec<AttemptRow>> {
                delivery_attempt::table
                    .filter(delivery_attempt::event_id.eq_any(events))
                    .order(delivery_attempt::id.asc())
                    .select(AttemptRow::as_select())
                    .load(conn)
                    .await
            }

            async fn event_seq(conn: &mut Conn, event_id: &str) -> QueryResult<Option<i64>> {
                outbox_event::table
                    .filter(outbox_event::event_id.eq(event_id))
                    .select(outbox_event::seq)
                    .first::<i64>(conn)
                    .await
                    .optional()
            }

            async fn list_events(
                conn: &mut Conn,
                filter: &domain::outbox::DeliveryFilter,
                before_seq: Option<i64>,
                limit: u32,
            ) -> QueryResult<Vec<OutboxRow>> {
                let mut query = outbox_event::table.select(OutboxRow::as_select()).into_boxed();
                if let Some(kind) = filter.kind {
                    query = query.filter(outbox_event::kind.eq(kind.as_str()));
                }
                if let Some(state) = filter.state {
                    query = query.filter(outbox_event::state.eq(state.as_str()));
                }
                if let Some(client) = &filter.client_id {
                    query = query.filter(outbox_event::client_id.eq(client.as_str().to_owned()));
                }
                if let Some(payment) = &filter.payment_id {
                    query = query.filter(outbox_event::payment_id.eq(payment.to_string()));
                }
                if let Some(seq) = before_seq {
                    query = query.filter(outbox_event::seq.lt(seq));
                }
                query
                    .order(outbox_event::seq.desc())
                    .limit(i64::from(limit) + 1)
                    .load(conn)
                    .await
            }

            async fn find_event(conn: &mut Conn, event_id: &str) -> QueryResult<Option<OutboxRow>> {
                outbox_event::table
                    .filter(outbox_event::event_id.eq(event_id))
                    .select(OutboxRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn claim_candidates(
                conn: &mut Conn,
                now: PrimitiveDateTime,
                max: i64,
            ) -> QueryResult<Vec<i64>> {
                use diesel::sql_types::{BigInt, Timestamp};
                let seqs = $crate::cached::cached(
                    diesel::sql_query($crate::raw::CLAIM_CANDIDATES)
                        .bind::<Timestamp, _>(now)
                        .bind::<Timestamp, _>(now)
                        .bind::<Timestamp, _>(now)
                        .bind::<BigInt, _>(max),
                )
                .load::<$crate::raw::Seq>(conn)
                .await?;
                Ok(seqs.into_iter().map(|s| s.seq).collect())
            }

            async fn lock_claimable(
                conn: &mut Conn,
                candidates: &[i64],
                now: PrimitiveDateTime,
                limit: u32,
            ) -> QueryResult<Vec<OutboxRow>> {
                use outbox_event as e;
                // Padded: a few forms of the IN list, each kept prepared.
                let candidates = $crate::cached::padded(candidates.to_vec());
                $crate::cached::cached(
                    e::table
                        .filter(e::seq.eq_any(candidates))
                        .filter(e::state.eq(PENDING))
                        .filter(e::next_attempt_at.le(now))
                        .filter(e::not_before.le(now))
                        .filter(e::lease_until.is_null().or(e::lease_until.lt(now)))
                        .order(e::seq.asc())
                        .limit(i64::from(limit))
                        .select(OutboxRow::as_select())
                        $($lock_claim)*,
                )
                .load(conn)
                .await
            }

            async fn lease_events(
                conn: &mut Conn,
                seqs: Vec<i64>,
                now: PrimitiveDateTime,
                until: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                use outbox_event as e;
                let free = e::lease_until.is_null().or(e::lease_until.lt(now));
                let seqs = $crate::cached::padded(seqs);
                $crate::cached::cached(
                    diesel::update(e::table.filter(e::seq.eq_any(seqs)).filter(free))
                        .set(e::lease_until.eq(Some(until))),
                )
                .execute(conn)
                .await
            }

            async fn lock_event(
                conn: &mut Conn,
                event_id: &str,
            ) -> QueryResult<Option<LockedEvent>> {
                outbox_event::table
                    .filter(outbox_event::event_id.eq(event_id))
                    .select((outbox_event::payment_id, outbox_event::state))
                    $($lock_row)*
                    .first(conn)
                    .await
                    .optional()
            }

            async fn insert_attempt(conn: &mut Conn, row: &NewAttemptRow) -> QueryResult<()> {
                insert(conn, delivery_attempt::table, row).await
            }

            async fn record_outcome(
                conn: &mut Conn,
                row: &NewAttemptRow,
                outcome: &$crate::decisions::AttemptOutcome,
            ) -> QueryResult<()> {
                use outbox_event as e;
                let target = e::table.filter(e::event_id.eq(&row.event_id));
                let changes = (
                    e::attempts.eq(row.attempt_no),
                    e::state.eq(outcome.state),
                    e::lease_until.eq(None::<PrimitiveDateTime>),
                    e::last_error.eq(&outcome.last_error),
                    e::updated_at.eq(outcome.updated_at),
                );
                match outcome.next_attempt_at {
                    Some(t) => {
                        let changes = (changes, e::next_attempt_at.eq(t));
                        $crate::cached::cached(diesel::update(target).set(changes))
                            .execute(conn)
                            .await?
                    }
                    None => {
                        $crate::cached::cached(diesel::update(target).set(changes))
                            .execute(conn)
                            .await?
                    }
                };
                Ok(())
            }

            async fn finish_unleased(
                conn: &mut Conn,
                row: &NewAttemptRow,
                outcome: &$crate::decisions::AttemptOutcome,
                now: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                use outbox_event as e;
                let free = e::lease_until.is_null().or(e::lease_until.lt(now));
                diesel::update(
                    e::table
                        .filter(e::event_id.eq(&row.event_id))
                        .filter(e::state.eq(PENDING))
                        .filter(free),
                )
                .set((
                    e::attempts.eq(e::attempts + 1),
                    e::state.eq(outcome.state),
                    e::lease_until.eq(None::<PrimitiveDateTime>),
                    e::last_error.eq(&outcome.last_error),
                    e::updated_at.eq(outcome.updated_at),
                ))
                .execute(conn)
                .await
            }

            async fn redeliver_event(
                conn: &mut Conn,
                event_id: &str,
                now: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                use outbox_event as e;
                diesel::update(
                    e::table
                        .filter(e::event_id.eq(event_id))
                        .filter(e::state.eq_any([DELIVERED, DEAD])),
                )
                .set((
                    e::state.eq(PENDING),
                    e::next_attempt_at.eq(now),
                    e::attempts.eq(0i64),
                    e::lease_until.eq(None::<PrimitiveDateTime>),
                    e::updated_at.eq(now),
                ))
                .execute(conn)
                .await
            }
        }
    };
}

/// Inserts a slice of records: `multi_row` as one statement, `row_by_row` as one per record.
/// `few`: the caller bounds the number of rows (a transition's outbox messages), so the
/// multi-row statement is kept prepared; `many`: it is not.
#[doc(hidden)]
#[macro_export]
macro_rules! __insert_rows {
    (multi_row, few, $conn:ident, $table:expr, $rows:ident) => {
        insert($conn, $table, $rows).await
    };
    (multi_row, many, $conn:ident, $table:expr, $rows:ident) => {
        insert_many($conn, $table, $rows).await
    };
    (row_by_row, $_size:ident, $conn:ident, $table:expr, $rows:ident) => {{
        for row in $rows {
            insert($conn, $table, row).await?;
        }
        Ok(())
    }};
}
