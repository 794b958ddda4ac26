//! [`OutboxStore`] on SQLite (`outbox_event`, `delivery_attempt`), plus the helpers the
//! payment store uses to write messages and audit notes inside its own transactions.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use diesel::{
    BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, QueryResult,
    QueryableByName, SelectableHelper,
    sql_types::{BigInt, Nullable, Text, Timestamp as SqlTimestamp},
};
use diesel_async::RunQueryDsl;

use crate::pool::SqliteConn;
use domain::{
    RepositoryError, Timestamp,
    feed::AttemptFeedEntry,
    ids::EventId,
    outbox::{
        ClaimedMessage, Delivery, DeliveryAttempt, DeliveryFilter, DeliveryState, NextStep,
        OutboxMessage,
    },
    payment::AuditNote,
    ports::{OutboxStore, PageRequest},
};

use crate::{
    error::{db_error, pool_error},
    pool::Pool,
    rows::{
        AttemptRow, MAX_ERROR_CHARS, NewAttemptRow, NewOutboxRow, OutboxRow, event_key,
        from_db_time, narrow, to_db_time, truncate_chars,
    },
    schema::{delivery_attempt, outbox_event},
};

const PENDING: &str = DeliveryState::Pending.as_str();
const DELIVERED: &str = DeliveryState::Delivered.as_str();
const DEAD: &str = DeliveryState::Dead.as_str();

#[derive(Clone)]
pub struct SqliteOutboxStore {
    pool: Pool,
}

impl SqliteOutboxStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

// ---------------------------------------------------------------------------------------------
// helpers shared with the payment store (they run inside the caller's transaction)

/// Inserts `messages` as new PENDING rows (one `INSERT` each; nothing for an empty slice).
pub(crate) async fn insert_messages(
    conn: &mut SqliteConn,
    messages: &[OutboxMessage],
) -> QueryResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    // SQLite has no multi-row `INSERT … VALUES` through diesel (no DEFAULT keyword).
    for row in messages.iter().map(NewOutboxRow::from) {
        diesel::insert_into(outbox_event::table)
            .values(&row)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Appends a note to `payment`'s audit trail: `from_status` and `from_version` NULL, `status`
/// copied from the payment row by the same `INSERT … SELECT`, so the note can never contradict
/// the transition rows around it. `details` is cut to the column's 1024 characters. Returns the
/// number of rows written: 0 when there is no such payment.
pub(crate) async fn insert_note(
    conn: &mut SqliteConn,
    payment: &str,
    note: &AuditNote,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO payment_log \
             (payment_id, action, from_status, status, actor, details, request_id, from_version, created_at) \
         SELECT p.payment_id, ?, NULL, p.status, ?, ?, ?, NULL, ? \
         FROM payment p WHERE p.payment_id = ?",
    )
    .bind::<Text, _>(note.action.as_str())
    .bind::<Text, _>(note.actor.as_str())
    .bind::<Nullable<Text>, _>(note.details.as_deref().map(|d| truncate_chars(d, MAX_ERROR_CHARS)))
    .bind::<Nullable<Text>, _>(note.request_id.as_ref().map(|r| r.as_str()))
    .bind::<SqlTimestamp, _>(to_db_time(note.at))
    .bind::<Text, _>(payment)
    .execute(conn)
    .await
}

// ---------------------------------------------------------------------------------------------

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

#[derive(QueryableByName)]
struct Backlog {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<SqlTimestamp>)]
    oldest: Option<time::PrimitiveDateTime>,
}

/// How many candidates the non-locking first step of a claim looks at, per message wanted: some
/// may be taken by a concurrent claimer before this one takes the write lock.
const CANDIDATES_PER_CLAIM: u32 = 4;

#[derive(Debug, thiserror::Error)]
enum TxError {
    #[error("no outbox message {0}")]
    UnknownMessage(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<TxError> for RepositoryError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::UnknownMessage(_) => RepositoryError::msg(e.to_string()),
            TxError::Db(e) => db_error(e),
        }
    }
}

impl SqliteOutboxStore {
    /// Attempts of `events`, oldest first, grouped by stored event id.
    async fn attempts_of(
        conn: &mut SqliteConn,
        events: Vec<String>,
    ) -> Result<HashMap<String, Vec<DeliveryAttempt>>, RepositoryError> {
        let mut by_event: HashMap<String, Vec<DeliveryAttempt>> = HashMap::new();
        if events.is_empty() {
            return Ok(by_event);
        }
        let rows = delivery_attempt::table
            .filter(delivery_attempt::event_id.eq_any(events))
            .order(delivery_attempt::id.asc())
            .select(AttemptRow::as_select())
            .load(conn)
            .await
            .map_err(db_error)?;
        for row in rows {
            let key = row.event_id.clone();
            by_event
                .entry(key)
                .or_default()
                .push(DeliveryAttempt::try_from(row)?);
        }
        Ok(by_event)
    }

    async fn deliveries(
        conn: &mut SqliteConn,
        rows: Vec<OutboxRow>,
    ) -> Result<Vec<Delivery>, RepositoryError> {
        let mut attempts =
            Self::attempts_of(conn, rows.iter().map(|r| r.event_id.clone()).collect()).await?;
        rows.into_iter()
            .map(|row| {
                let mine = attempts.remove(&row.event_id).unwrap_or_default();
                row.into_delivery(mine)
            })
            .collect()
    }
}

#[async_trait]
impl OutboxStore for SqliteOutboxStore {
    /// One transaction for all `messages`; a reused event id is a repository error and nothing
    /// is written.
    async fn enqueue(&self, messages: &[OutboxMessage]) -> Result<(), RepositoryError> {
        if messages.is_empty() {
            return Ok(());
        }
        let messages = messages.to_vec();
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        conn.immediate_transaction::<_, diesel::result::Error, _>(async move |conn| {
            insert_messages(conn, &messages).await
        })
        .await
        .map_err(db_error)
    }

    /// Two steps, so that the per-payment order never depends on lock visibility:
    ///
    /// 1. A plain (non-locking) read picks candidates: PENDING, `not_before <= now`,
    ///    `next_attempt_at <= now`, lease NULL or `< now`, and — for a merchant notification —
    ///    no older (lower `seq`) notification of the same payment still PENDING, leased or not.
    ///    Earliest due first, a few times `limit`.
    /// 2. In a `BEGIN IMMEDIATE` transaction (SQLite's single writer lock, in place of MySQL's
    ///    `FOR UPDATE SKIP LOCKED`), `SELECT … WHERE seq IN (candidates) AND <the same due and
    ///    lease conditions> ORDER BY seq LIMIT limit` re-checks them on the latest committed
    ///    rows, then `UPDATE … SET lease_until = now + lease WHERE … AND (lease_until IS NULL
    ///    OR lease_until < now)` for the ones it got.
    ///
    /// Only one notification per payment can be a candidate, so one claim never returns two of
    /// the same payment. `attempts` is the number of attempts already recorded.
    async fn claim_due(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>, RepositoryError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let at = to_db_time(now);
        let lease_until = now.plus(lease);
        let until = to_db_time(lease_until);
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let candidates: Vec<i64> = diesel::sql_query(
            "SELECT e.seq AS seq FROM outbox_event e \
             WHERE e.state = 'PENDING' AND e.next_attempt_at <= ? AND e.not_before <= ? \
               AND (e.lease_until IS NULL OR e.lease_until < ?) \
               AND (e.kind <> 'MERCHANT_NOTIFICATION' OR NOT EXISTS ( \
                     SELECT 1 FROM outbox_event o \
                     WHERE o.payment_id = e.payment_id AND o.kind = 'MERCHANT_NOTIFICATION' \
                       AND o.state = 'PENDING' AND o.seq < e.seq)) \
             ORDER BY e.next_attempt_at, e.seq \
             LIMIT ?",
        )
        .bind::<SqlTimestamp, _>(at)
        .bind::<SqlTimestamp, _>(at)
        .bind::<SqlTimestamp, _>(at)
        .bind::<BigInt, _>(i64::from(limit) * i64::from(CANDIDATES_PER_CLAIM))
        .load::<Seq>(&mut conn)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|s| s.seq)
        .collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let rows = conn
            .immediate_transaction::<_, diesel::result::Error, _>(async move |conn| {
                let rows = outbox_event::table
                    .filter(outbox_event::seq.eq_any(&candidates))
                    .filter(outbox_event::state.eq(PENDING))
                    .filter(outbox_event::next_attempt_at.le(at))
                    .filter(outbox_event::not_before.le(at))
                    .filter(
                        outbox_event::lease_until
                            .is_null()
                            .or(outbox_event::lease_until.lt(at)),
                    )
                    .order(outbox_event::seq.asc())
                    .limit(i64::from(limit))
                    .select(OutboxRow::as_select())
                    .load(conn)
                    .await?;
                if !rows.is_empty() {
                    let claimed: Vec<i64> = rows.iter().map(|r| r.seq).collect();
                    // Conditional on the lease still being free (the write lock already makes
                    // this transaction the only writer; the condition keeps the claim correct
                    // on its own).
                    diesel::update(
                        outbox_event::table
                            .filter(outbox_event::seq.eq_any(claimed))
                            .filter(
                                outbox_event::lease_until
                                    .is_null()
                                    .or(outbox_event::lease_until.lt(at)),
                            ),
                    )
                    .set(outbox_event::lease_until.eq(Some(until)))
                    .execute(conn)
                    .await?;
                }
                Ok(rows)
            })
            .await
            .map_err(db_error)?;
        rows.into_iter()
            .map(|row| {
                Ok(ClaimedMessage {
                    message: row.message()?,
                    attempts: narrow(row.attempts),
                    lease_until,
                })
            })
            .collect()
    }

    /// One `BEGIN IMMEDIATE` transaction (the write lock): reads the message row, inserts the `delivery_attempt` row, and — if
    /// the message is still PENDING — sets `attempts = attempt_no`, the state from `step`
    /// (`RetryAt(t)`: PENDING due at `t`), `lease_until = NULL`, `last_error` (NULL when
    /// delivered, else the report's summary) and `updated_at` (the attempt's end: start plus
    /// latency). A message that is no longer PENDING (finished meanwhile by a dispatcher that
    /// claimed it after this one's lease ran out) keeps its state; the attempt is still
    /// recorded. `note` goes to the message's payment as in `append_note` (skipped when the
    /// message has no payment). An unknown event id is an error and writes nothing.
    async fn finish_attempt(
        &self,
        attempt: &DeliveryAttempt,
        step: NextStep,
        note: Option<AuditNote>,
    ) -> Result<(), RepositoryError> {
        let row = NewAttemptRow::from(attempt);
        let ended = to_db_time(attempt.started_at.plus(attempt.report.latency));
        let (state, next_attempt_at) = match step {
            NextStep::Delivered => (DELIVERED, None),
            NextStep::RetryAt(t) => (PENDING, Some(to_db_time(t))),
            NextStep::Dead => (DEAD, None),
        };
        let last_error = match step {
            NextStep::Delivered => None,
            NextStep::RetryAt(_) | NextStep::Dead => {
                Some(truncate_chars(&attempt.report.summary(), MAX_ERROR_CHARS))
            }
        };
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        conn.immediate_transaction::<_, TxError, _>(async move |conn| {
            let current: Option<(Option<String>, String)> = outbox_event::table
                .filter(outbox_event::event_id.eq(&row.event_id))
                .select((outbox_event::payment_id, outbox_event::state))
                .first(conn)
                .await
                .optional()?;
            let Some((payment_id, current_state)) = current else {
                return Err(TxError::UnknownMessage(row.event_id.clone()));
            };
            diesel::insert_into(delivery_attempt::table)
                .values(&row)
                .execute(conn)
                .await?;
            if current_state == PENDING {
                let target = outbox_event::table.filter(outbox_event::event_id.eq(&row.event_id));
                let changes = (
                    outbox_event::attempts.eq(row.attempt_no),
                    outbox_event::state.eq(state),
                    outbox_event::lease_until.eq(None::<time::PrimitiveDateTime>),
                    outbox_event::last_error.eq(&last_error),
                    outbox_event::updated_at.eq(ended),
                );
                match next_attempt_at {
                    Some(t) => {
                        diesel::update(target)
                            .set((changes, outbox_event::next_attempt_at.eq(t)))
                            .execute(conn)
                            .await?
                    }
                    None => diesel::update(target).set(changes).execute(conn).await?,
                };
            }
            if let (Some(note), Some(payment_id)) = (&note, &payment_id) {
                insert_note(conn, payment_id, note).await?;
            }
            Ok(())
        })
        .await
        .map_err(RepositoryError::from)
    }

    /// `UPDATE … SET state = 'PENDING', next_attempt_at = now, attempts = 0, lease_until = NULL,
    /// updated_at = now WHERE event_id = ? AND state IN ('DELIVERED', 'DEAD')`: a full retry
    /// schedule again; earlier attempt rows and `last_error` are kept, `not_before` unchanged.
    /// A message that is already PENDING is left alone (it is on its way) and still counts as
    /// found.
    async fn redeliver(&self, id: &EventId, now: Timestamp) -> Result<bool, RepositoryError> {
        let key = event_key(id);
        let at = to_db_time(now);
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let matched = diesel::update(
            outbox_event::table
                .filter(outbox_event::event_id.eq(&key))
                .filter(outbox_event::state.eq_any([DELIVERED, DEAD])),
        )
        .set((
            outbox_event::state.eq(PENDING),
            outbox_event::next_attempt_at.eq(at),
            outbox_event::attempts.eq(0i64),
            outbox_event::lease_until.eq(None::<time::PrimitiveDateTime>),
            outbox_event::updated_at.eq(at),
        ))
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
        if matched > 0 {
            return Ok(true);
        }
        let exists = outbox_event::table
            .filter(outbox_event::event_id.eq(&key))
            .select(outbox_event::seq)
            .first::<i64>(&mut conn)
            .await
            .optional()
            .map_err(db_error)?;
        Ok(exists.is_some())
    }

    /// Filters combine with AND. Newest first by `seq` (enqueue order), strictly older than the
    /// message `page.before` (an unknown cursor gives an empty page), at most `limit + 1`.
    async fn list(
        &self,
        filter: &DeliveryFilter,
        page: &PageRequest<EventId>,
    ) -> Result<Vec<Delivery>, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        begin_snapshot(&mut conn).await?;
        let result = Self::list_in(&mut conn, filter, page).await;
        end_snapshot(&mut conn, result).await
    }

    async fn find(&self, id: &EventId) -> Result<Option<Delivery>, RepositoryError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        begin_snapshot(&mut conn).await?;
        let result = Self::find_in(&mut conn, id).await;
        end_snapshot(&mut conn, result).await
    }

    /// PENDING messages with `not_before` and `next_attempt_at` passed (leased ones included:
    /// they are not done yet), and the earliest instant one of them became due.
    async fn backlog(&self, now: Timestamp) -> Result<(u64, Option<Timestamp>), RepositoryError> {
        let at = to_db_time(now);
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let b: Backlog = diesel::sql_query(
            "SELECT COUNT(*) AS n, MIN(MAX(next_attempt_at, not_before)) AS oldest \
             FROM outbox_event \
             WHERE state = 'PENDING' AND next_attempt_at <= ? AND not_before <= ?",
        )
        .bind::<SqlTimestamp, _>(at)
        .bind::<SqlTimestamp, _>(at)
        .get_result(&mut conn)
        .await
        .map_err(db_error)?;
        Ok((u64::try_from(b.n).unwrap_or(0), b.oldest.map(from_db_time)))
    }

    async fn attempts_since(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<AttemptFeedEntry>, RepositoryError> {
        crate::reporting::attempts_since(&self.pool, after, limit).await
    }

    async fn attempts_by_ids(&self, ids: &[u64]) -> Result<Vec<AttemptFeedEntry>, RepositoryError> {
        crate::reporting::attempts_by_ids(&self.pool, ids).await
    }

    async fn last_attempt_id(&self) -> Result<u64, RepositoryError> {
        crate::reporting::last_attempt_id(&self.pool).await
    }
}

/// Reads of a message and of its attempts run in one read-only snapshot, so an operator never
/// sees a new attempt next to the message's previous state.
impl SqliteOutboxStore {
    async fn list_in(
        conn: &mut SqliteConn,
        filter: &DeliveryFilter,
        page: &PageRequest<EventId>,
    ) -> Result<Vec<Delivery>, RepositoryError> {
        let mut query = outbox_event::table
            .select(OutboxRow::as_select())
            .into_boxed();
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
        if let Some(before) = &page.before {
            let seq = outbox_event::table
                .filter(outbox_event::event_id.eq(event_key(before)))
                .select(outbox_event::seq)
                .first::<i64>(conn)
                .await
                .optional()
                .map_err(db_error)?;
            let Some(seq) = seq else {
                return Ok(Vec::new());
            };
            query = query.filter(outbox_event::seq.lt(seq));
        }
        let rows = query
            .order(outbox_event::seq.desc())
            .limit(i64::from(page.limit) + 1)
            .load(conn)
            .await
            .map_err(db_error)?;
        Self::deliveries(conn, rows).await
    }

    async fn find_in(
        conn: &mut SqliteConn,
        id: &EventId,
    ) -> Result<Option<Delivery>, RepositoryError> {
        let row = outbox_event::table
            .filter(outbox_event::event_id.eq(event_key(id)))
            .select(OutboxRow::as_select())
            .first(conn)
            .await
            .optional()
            .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Self::deliveries(conn, vec![row]).await?.pop())
    }
}

async fn begin_snapshot(conn: &mut SqliteConn) -> Result<(), RepositoryError> {
    // A deferred read transaction: in WAL mode it reads one snapshot of the database.
    diesel::sql_query("BEGIN DEFERRED")
        .execute(conn)
        .await
        .map(drop)
        .map_err(db_error)
}

async fn end_snapshot<T>(
    conn: &mut SqliteConn,
    result: Result<T, RepositoryError>,
) -> Result<T, RepositoryError> {
    let end = diesel::sql_query(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })
        .execute(conn)
        .await;
    let value = result?;
    end.map_err(db_error)?;
    Ok(value)
}
