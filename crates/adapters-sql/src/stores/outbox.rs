//! `OutboxStore` (`outbox_event`, `delivery_attempt`), plus what the payment store and the read
//! side share: writing messages inside a caller's transaction, and reading deliveries with their
//! attempts.

use std::{collections::HashMap, time::Duration};

use async_trait::async_trait;
use diesel::QueryResult;
use domain::{
    RepositoryError, Timestamp,
    ids::EventId,
    outbox::{ClaimedMessage, Delivery, DeliveryAttempt, DeliveryFilter, NextStep, OutboxMessage},
    payment::AuditNote,
    people::OperatorAuditEntry,
    ports::{OutboxStore, PageRequest},
};

use super::{Outbox, SqlStore, audit_rows, db_error, keyset_start, users::insert_audit_rows};
use crate::{
    backend::write_tx,
    decisions::{AttemptOutcome, CANDIDATES_PER_CLAIM, OutboxTxError as TxError, PENDING},
    records::{NewAttemptRow, NewOutboxRow, OutboxRow, event_key, to_db_time},
    statements::OutboxStatements,
    statements::Statements,
};

/// Inserts `messages` as new PENDING rows, inside the caller's transaction (nothing for an empty
/// slice).
pub(super) async fn insert_messages<B: OutboxStatements>(
    conn: &mut B::Conn,
    messages: &[OutboxMessage],
) -> QueryResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewOutboxRow> = messages.iter().map(NewOutboxRow::from).collect();
    B::insert_messages(conn, &rows).await
}

/// `rows` with their attempts, oldest first.
async fn deliveries<B: Statements>(
    conn: &mut B::Conn,
    rows: Vec<OutboxRow>,
) -> Result<Vec<Delivery>, RepositoryError> {
    let mut attempts: HashMap<String, Vec<DeliveryAttempt>> = HashMap::new();
    if !rows.is_empty() {
        let events = rows.iter().map(|r| r.event_id.clone()).collect();
        for row in B::attempt_rows(conn, events).await.map_err(db_error::<B>)? {
            let event = row.attempt.event_id.clone();
            attempts
                .entry(event)
                .or_default()
                .push(DeliveryAttempt::try_from(row)?);
        }
    }
    rows.into_iter()
        .map(|row| {
            let mine = attempts.remove(&row.event_id).unwrap_or_default();
            row.into_delivery(mine)
        })
        .collect()
}

/// The filtered page of `OperatorReads::deliveries` (see there), inside the caller's snapshot.
pub(super) async fn list_deliveries<B: Statements>(
    conn: &mut B::Conn,
    filter: &DeliveryFilter,
    page: &PageRequest<EventId>,
) -> Result<Vec<Delivery>, RepositoryError> {
    let found = async |conn: &mut B::Conn, id: &EventId| B::event_seq(conn, &event_key(id)).await;
    let Some(before_seq) =
        keyset_start::<B, _, _, _>(conn, page.before.as_ref(), found, |seq| seq).await?
    else {
        return Ok(Vec::new());
    };
    let rows = B::list_events(conn, filter, before_seq, page.limit)
        .await
        .map_err(db_error::<B>)?;
    deliveries::<B>(conn, rows).await
}

/// One delivery, inside the caller's snapshot.
pub(super) async fn find_delivery<B: Statements>(
    conn: &mut B::Conn,
    id: &EventId,
) -> Result<Option<Delivery>, RepositoryError> {
    let Some(row) = B::find_event(conn, &event_key(id))
        .await
        .map_err(db_error::<B>)?
    else {
        return Ok(None);
    };
    Ok(deliveries::<B>(conn, vec![row]).await?.pop())
}

#[async_trait]
impl<B: Statements> OutboxStore for SqlStore<B, Outbox> {
    /// One transaction for all `messages`; a reused event id is a repository error and nothing
    /// is written.
    async fn enqueue(
        &self,
        messages: &[OutboxMessage],
        audit: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError> {
        if messages.is_empty() && audit.is_empty() {
            return Ok(());
        }
        let audit = audit_rows(audit);
        let mut conn = self.conn().await?;
        crate::retrying!(
            write_tx::<B, _, diesel::result::Error>(&mut conn, async |conn| {
                insert_messages::<B>(conn, messages).await?;
                insert_audit_rows::<B>(conn, &audit).await
            })
            .await
        )
        .map_err(db_error::<B>)
    }

    /// Two steps, so that the per-payment order never depends on lock visibility:
    ///
    /// 1. A plain (non-locking) read picks candidates (`adapters_sql::raw::CLAIM_CANDIDATES`):
    ///    PENDING, `not_before <= now`, `next_attempt_at <= now`, lease NULL or `< now`, and —
    ///    for a merchant notification — no older (lower `seq`) notification of the same payment
    ///    still PENDING, leased or not. Earliest due first, a few times `limit`.
    /// 2. In a short write transaction, `SELECT … WHERE seq IN (candidates) AND <the same due
    ///    and lease conditions> ORDER BY seq LIMIT limit` plus the dialect's claim lock (MySQL:
    ///    `FOR UPDATE SKIP LOCKED`, which skips rows a concurrent claimer holds; SQLite: none,
    ///    `BEGIN IMMEDIATE` already made this the only writer) re-checks them on the latest
    ///    committed rows, then `UPDATE … SET lease_until = now + lease WHERE seq IN (…) AND
    ///    (lease_until IS NULL OR lease_until < now)` leases the ones it got (the condition keeps
    ///    the claim correct on its own).
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
        let mut conn = self.conn().await?;
        let max = i64::from(limit) * i64::from(CANDIDATES_PER_CLAIM);
        let candidates = B::claim_candidates(&mut conn, at, max)
            .await
            .map_err(db_error::<B>)?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let rows = crate::retrying!(
            write_tx::<B, _, diesel::result::Error>(&mut conn, async |conn| {
                let rows = B::lock_claimable(conn, &candidates, at, limit).await?;
                if !rows.is_empty() {
                    let claimed = rows.iter().map(|r| r.seq).collect();
                    B::lease_events(conn, claimed, at, until).await?;
                }
                Ok(rows)
            })
            .await
        )
        .map_err(db_error::<B>)?;
        rows.into_iter()
            .map(|row| {
                Ok(ClaimedMessage {
                    message: row.message()?,
                    attempts: row.attempts()?,
                    lease_until,
                })
            })
            .collect()
    }

    /// One write transaction: re-reads the message row (with the dialect's row lock), inserts
    /// the `delivery_attempt` row, and — if the message is still PENDING — writes the
    /// `AttemptOutcome` (`adapters_sql::decisions`): `attempts = attempt_no`, the state from
    /// `step` (`RetryAt(t)`: PENDING due at `t`), `lease_until = NULL`, `last_error` and
    /// `updated_at`. A message that is no longer PENDING (finished meanwhile by a dispatcher
    /// that claimed it after this one's lease ran out) keeps its state; the attempt is still
    /// recorded. `note` goes to the message's payment as in `append_note` (skipped when the
    /// message has no payment). An unknown event id is an error and writes nothing.
    async fn finish_attempt(
        &self,
        attempt: &DeliveryAttempt,
        step: NextStep,
        note: Option<AuditNote>,
    ) -> Result<(), RepositoryError> {
        let row = NewAttemptRow::from(attempt);
        let outcome = AttemptOutcome::new(attempt, step);
        let mut conn = self.conn().await?;
        crate::retrying!(
            write_tx::<B, _, TxError>(&mut conn, async |conn| {
                let Some((payment_id, current_state)) = B::lock_event(conn, &row.event_id).await?
                else {
                    return Err(TxError::UnknownMessage(row.event_id.clone()));
                };
                B::insert_attempt(conn, &row).await?;
                if current_state == PENDING {
                    B::record_outcome(conn, &row, &outcome).await?;
                }
                if let (Some(note), Some(payment_id)) = (&note, &payment_id) {
                    B::insert_note(conn, payment_id, note).await?;
                }
                Ok(())
            })
            .await
        )
        .map_err(|e| e.into_repository(db_error::<B>))
    }

    /// `UPDATE … SET state = 'PENDING', next_attempt_at = now, attempts = 0, lease_until = NULL,
    /// updated_at = now WHERE event_id = ? AND state IN ('DELIVERED', 'DEAD')`: a full retry
    /// schedule again; earlier attempt rows and `last_error` are kept, `not_before` unchanged. A
    /// message that is already PENDING is left alone (it is on its way) and still counts as
    /// found.
    async fn redeliver(
        &self,
        id: &EventId,
        now: Timestamp,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        let (key, now) = (event_key(id), to_db_time(now));
        let redeliver = async move |conn: &mut B::Conn| {
            Ok(B::redeliver_event(conn, &key, now).await? != 0
                || B::event_seq(conn, &key).await?.is_some())
        };
        self.write_audited(&audit_rows(audit), redeliver, db_error::<B>)
            .await
    }
}
