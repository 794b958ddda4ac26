//! `PaymentStore`: payments and their audit trail (`payment_log`).

use std::collections::HashMap;

use async_trait::async_trait;
use domain::{
    RepositoryError, Timestamp,
    ids::{PaymentId, PaymentKey},
    outbox::{DeliveryAttempt, OutboxMessage},
    payment::{AuditEntry, AuditNote, AuditRecord, Payment},
    ports::{
        InsertPaymentError, NonceOutcome, NonceRecord, PageRequest, PaymentFilter, PaymentStore,
        StateChange, TransitionStoreError,
    },
};

use super::{
    Payments, SqlStore, db_error, nonces::record_nonce, outbox::insert_messages,
    users::insert_audit_rows, with_children,
};
use crate::{
    backend::write_tx,
    decisions::{
        AttemptOutcome, NONCE_DEADLOCK_ATTEMPTS, OutboxTxError, PaymentTxError as TxError,
    },
    error::{InsertTxError, corrupt, is_conflict, is_unique_violation, is_unique_violation_on},
    records::{
        CancelRow, NewAttemptRow, NewAuditRow, NewOperatorAuditRow, NonceRow, PaymentRow,
        to_db_time,
    },
    retry,
    statements::{Deadline, PaymentLookup, Statements},
};

/// `insert`'s transaction (see there); `NonceTaken` when `nonce`'s `INSERT` found the row there
/// or lost a deadlock.
async fn insert_tx<B: Statements>(
    conn: &mut B::Conn,
    row: &PaymentRow,
    cancels: &[CancelRow],
    log: &NewAuditRow,
    events: &[OutboxMessage],
    nonce: Option<&NonceRow<'_>>,
) -> Result<(), InsertTxError> {
    write_tx::<B, _, _>(conn, async |conn| {
        if let Some(nonce) = nonce {
            match B::insert_nonce(conn, nonce).await {
                Ok(()) => {}
                Err(e) if is_unique_violation(&e) || is_conflict(&e) => {
                    return Err(InsertTxError::NonceTaken);
                }
                Err(e) => return Err(e.into()),
            }
        }
        B::insert_payment(conn, row).await?;
        for cancel in cancels {
            B::insert_cancel(conn, cancel).await?;
        }
        B::insert_audit(conn, log).await?;
        Ok(insert_messages::<B>(conn, events).await?)
    })
    .await
}

impl<B: Statements> SqlStore<B, Payments> {
    /// The keys of the payments due by `deadline` at `now`, `limit` at most.
    async fn due(
        &self,
        deadline: Deadline,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<PaymentKey>, RepositoryError> {
        let keys = self
            .run(async |conn| B::due_payments(conn, deadline, to_db_time(now), limit).await)
            .await?;
        parse_keys(&keys)
    }

    async fn find_one(&self, lookup: PaymentLookup) -> Result<Option<Payment>, RepositoryError> {
        let rows = self
            .run(async |conn| {
                let Some(row) = B::find_payment(conn, lookup).await? else {
                    return Ok(None);
                };
                let cancels = cancels_as_of::<B>(conn, std::slice::from_ref(&row)).await?;
                Ok(Some((row, cancels)))
            })
            .await?;
        match rows {
            Some((row, Some(cancels))) => row.into_payment(cancels).map(Some),
            // It kept changing while being read: read it again, whole.
            Some((row, None)) => {
                let lookup = PaymentLookup::Id(row.payment_id);
                Box::pin(self.find_one(lookup)).await
            }
            None => Ok(None),
        }
    }
}

/// How many times a read of payments and their cancels is repeated when a payment changed in
/// between.
const CONSISTENT_READ_ATTEMPTS: usize = 5;

/// The cancels of `rows` as of the versions the rows were read at: read after them, then the
/// rows' versions checked again (every change of a payment's cancels takes its next version, in
/// the same transaction). `None` when a payment kept changing meanwhile: read it again.
async fn cancels_as_of<B: Statements>(
    conn: &mut B::Conn,
    rows: &[PaymentRow],
) -> diesel::QueryResult<Option<Vec<CancelRow>>> {
    let ids: Vec<String> = rows.iter().map(|r| r.payment_id.clone()).collect();
    if ids.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let read_at: HashMap<&str, i64> = rows
        .iter()
        .map(|r| (r.payment_id.as_str(), r.version))
        .collect();
    for _ in 0..CONSISTENT_READ_ATTEMPTS {
        let cancels = B::cancel_rows(conn, ids.clone()).await?;
        let now = B::payment_versions(conn, ids.clone()).await?;
        if now
            .iter()
            .all(|(id, v)| read_at.get(id.as_str()).is_none_or(|then| then == v))
        {
            return Ok(Some(cancels));
        }
    }
    Ok(None)
}

/// Payments from their rows and all their cancel rows (any order of payments; each payment's
/// cancels oldest first).
fn with_cancels(
    rows: Vec<PaymentRow>,
    cancels: Vec<CancelRow>,
) -> Result<Vec<Payment>, RepositoryError> {
    with_children(rows, cancels, PaymentRow::into_payment)
}

#[async_trait]
impl<B: Statements> PaymentStore for SqlStore<B, Payments> {
    /// One transaction: the nonce if given, the payment row, its `CREATE` audit row, then its
    /// outbox messages. A used nonce is `InsertPaymentError::Replayed`; a duplicate `(client_id,
    /// order_no)` is `InsertPaymentError::DuplicateOrder`; any other clash (e.g. a reused payment
    /// key, which a 256-bit random key makes a bug, not a user error) is a repository error.
    /// Either way nothing is written.
    ///
    /// The nonce is a plain `INSERT`, first, so a fresh one costs no extra round trip or commit.
    /// If its row is already there (used, or expired and not purged) — or the `INSERT` lost a
    /// deadlock to a concurrent one with the same nonce — the transaction ends at once and
    /// releases its locks: deciding it inside would have concurrent replays each hold a shared
    /// lock on the row while asking for an exclusive one (a deadlock InnoDB reports). The nonce
    /// is then decided on its own by `record_nonce` (autocommit), and only if this request wins
    /// it is the payment inserted, without it.
    async fn insert(
        &self,
        p: &Payment,
        audit: &AuditRecord,
        events: &[OutboxMessage],
        nonce: Option<NonceRecord>,
    ) -> Result<(), InsertPaymentError> {
        let row = PaymentRow::from(p);
        let cancels: Vec<CancelRow> = p
            .cancels
            .list()
            .iter()
            .map(|c| CancelRow::new(&p.id, c))
            .collect();
        let log = NewAuditRow::new(&p.id, audit);
        let nonce_row = nonce
            .as_ref()
            .map(|n| NonceRow::new(&n.client, &n.nonce, n.expires_at));
        let mut conn = self.conn().await?;
        let mut attempt = 1;
        let outcome = loop {
            let outcome = crate::retrying!(
                insert_tx::<B>(&mut conn, &row, &cancels, &log, events, nonce_row.as_ref()).await
            );
            let (Err(InsertTxError::NonceTaken), Some(nonce_row)) = (&outcome, &nonce_row) else {
                break outcome;
            };
            match record_nonce::<B>(&mut conn, nonce_row).await {
                Ok(NonceOutcome::Replayed) => break Err(InsertTxError::NonceTaken),
                Ok(NonceOutcome::Fresh) => {
                    break crate::retrying!(
                        insert_tx::<B>(&mut conn, &row, &cancels, &log, events, None).await
                    );
                }
                // The first holder of the nonce rolled back and its waiters deadlocked over the
                // freed row; the victim starts again.
                Err(e) if is_conflict(&e) && attempt < NONCE_DEADLOCK_ATTEMPTS => {
                    attempt += 1;
                }
                Err(e) => break Err(InsertTxError::Db(e)),
            }
        };
        outcome.map_err(|e| match e {
            InsertTxError::NonceTaken => InsertPaymentError::Replayed,
            InsertTxError::Db(e) if is_unique_violation_on(&e, B::UQ_CLIENT_ORDER) => {
                InsertPaymentError::DuplicateOrder
            }
            InsertTxError::Db(e) => InsertPaymentError::Repository(db_error::<B>(e)),
        })
    }

    async fn find_by_key(&self, key: &PaymentKey) -> Result<Option<Payment>, RepositoryError> {
        self.find_one(PaymentLookup::Key(key.as_str().to_owned()))
            .await
    }

    /// Filters combine with AND: `client_id`, `status` and `order_no` match exactly;
    /// `created_from` is inclusive (`created_at >= from`) and `created_to` exclusive
    /// (`created_at < to`), so consecutive ranges never overlap. Newest first by `payment_id` (a
    /// UUIDv7, so creation order), strictly before `page.before`, at most `limit + 1` rows.
    async fn list(
        &self,
        filter: &PaymentFilter,
        page: &PageRequest<PaymentId>,
    ) -> Result<Vec<Payment>, RepositoryError> {
        for _ in 0..CONSISTENT_READ_ATTEMPTS {
            let (rows, cancels) = self
                .run(async |conn| {
                    let rows = B::list_payments(conn, filter, page).await?;
                    let cancels = cancels_as_of::<B>(conn, &rows).await?;
                    Ok((rows, cancels))
                })
                .await?;
            if let Some(cancels) = cancels {
                return with_cancels(rows, cancels);
            }
        }
        Err(RepositoryError::msg(
            "the listed payments kept changing while their cancels were read",
        ))
    }

    /// Compare-and-set plus audit row and outbox messages in one transaction: `UPDATE payment
    /// SET <mutable fields> WHERE payment_id = ? AND version = ?`, then the `payment_log` and
    /// `outbox_event` inserts. Both backends report *matched* rows (diesel-async's MySQL
    /// connection sets `CLIENT_FOUND_ROWS`), which is why the version guard lives in the
    /// `WHERE`: 0 matched means someone else moved the payment first → `Stale`, rolled back. A
    /// clash on `UNIQUE (payment_id, from_version)` of `payment_log` (this version was already
    /// left) is also `Stale`; a transaction the database chose as a deadlock victim is
    /// `Conflict` (decide again). Only what a transition can change is written; identity,
    /// amount and order stay as created.
    async fn transition(&self, change: &StateChange) -> Result<(), TransitionStoreError> {
        let next = &change.next;
        if change.expected_version.checked_add(1) != Some(next.version)
            || change.audit.from_version != Some(change.expected_version)
        {
            return Err(RepositoryError::msg(format!(
                "inconsistent state change for payment {}: expected version {}, next version {}, audit from_version {:?}",
                next.id, change.expected_version, next.version, change.audit.from_version
            ))
            .into());
        }
        let row = PaymentRow::from(next);
        let log = NewAuditRow::new(&next.id, &change.audit);
        let cancels: Vec<CancelRow> = next
            .cancels
            .list()
            .iter()
            .map(|c| CancelRow::new(&next.id, c))
            .collect();
        let finished: Vec<(NewAttemptRow, AttemptOutcome)> = change
            .settles
            .iter()
            .map(|f| {
                let row = NewAttemptRow::from(&f.attempt);
                (row, AttemptOutcome::new(&f.attempt, f.step))
            })
            .collect();
        let operator_audit: Vec<NewOperatorAuditRow> = change
            .operator_audit
            .iter()
            .map(NewOperatorAuditRow::from)
            .collect();
        let now = to_db_time(change.audit.at);
        let expected = i64::from(change.expected_version);
        let mut conn = self.conn().await?;
        // Not retried here: a conflict is the domain's cue to decide again on fresh data. A
        // short random pause first, so that the writers that collided do not meet again in step.
        let outcome = write_tx::<B, _, TxError>(&mut conn, async |conn| {
            if B::update_payment(conn, &row, expected).await? != 1 {
                return Err(TxError::Stale);
            }
            for cancel in &cancels {
                if B::update_cancel(conn, cancel).await? == 0 {
                    B::insert_cancel(conn, cancel).await?;
                }
            }
            B::insert_audit(conn, &log).await?;
            insert_messages::<B>(conn, &change.events).await?;
            for (attempt, outcome) in &finished {
                B::insert_attempt(conn, attempt).await?;
                B::finish_unleased(conn, attempt, outcome, now).await?;
            }
            insert_audit_rows::<B>(conn, &operator_audit).await?;
            Ok(())
        })
        .await;
        match outcome {
            Ok(()) => Ok(()),
            Err(TxError::Stale) => Err(TransitionStoreError::Stale),
            Err(e @ TxError::UnknownPayment(_)) => Err(RepositoryError::msg(e.to_string()).into()),
            Err(TxError::Db(e)) if is_unique_violation_on(&e, B::UQ_LOG_TRANSITION) => {
                Err(TransitionStoreError::Stale)
            }
            Err(TxError::Db(e)) if is_conflict(&e) => {
                tokio::time::sleep(retry::backoff(0)).await;
                Err(TransitionStoreError::Conflict(e.to_string()))
            }
            Err(TxError::Db(e)) => Err(db_error::<B>(e).into()),
        }
    }

    async fn find_by_id(&self, id: &PaymentId) -> Result<Option<Payment>, RepositoryError> {
        self.find_one(PaymentLookup::Id(id.to_string())).await
    }

    /// One transaction: the note (`INSERT INTO payment_log … SELECT …, p.status, … FROM payment p
    /// WHERE p.payment_id = ?`, so its status is the payment's at that instant, with
    /// `from_status` and `from_version` NULL), then the outbox messages. An unknown payment is
    /// an error and nothing is written. `details` longer than the column (1024 characters) is
    /// cut.
    async fn append_note(
        &self,
        payment_id: &PaymentId,
        note: &AuditNote,
        events: &[OutboxMessage],
    ) -> Result<(), RepositoryError> {
        let id = *payment_id;
        let mut conn = self.conn().await?;
        crate::retrying!(
            write_tx::<B, _, TxError>(&mut conn, async |conn| {
                if B::insert_note(conn, &id.to_string(), note).await? == 0 {
                    return Err(TxError::UnknownPayment(id));
                }
                insert_messages::<B>(conn, events).await?;
                Ok(())
            })
            .await
        )
        .map_err(|e| match e {
            TxError::Db(e) => db_error::<B>(e),
            other => RepositoryError::msg(other.to_string()),
        })
    }

    /// One transaction: the message's row is read (with the dialect's row lock, so it exists
    /// and stays), then the `delivery_attempt` row inserted; the message's row is not written.
    async fn record_call(&self, attempt: &DeliveryAttempt) -> Result<(), RepositoryError> {
        let row = NewAttemptRow::from(attempt);
        let mut conn = self.conn().await?;
        crate::retrying!(
            write_tx::<B, _, OutboxTxError>(&mut conn, async |conn| {
                if B::lock_event(conn, &row.event_id).await?.is_none() {
                    return Err(OutboxTxError::UnknownMessage(row.event_id.clone()));
                }
                B::insert_attempt(conn, &row).await?;
                Ok(())
            })
            .await
        )
        .map_err(|e| e.into_repository(db_error::<B>))
    }

    /// `status = 'READY' AND expires_at <= now`, earliest expiry first (ties by id), served by
    /// the `(status, expires_at)` index.
    async fn due_for_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<PaymentKey>, RepositoryError> {
        self.due(Deadline::Expiry, now, limit).await
    }

    /// `status = 'APPROVED' AND authorization_expires_at <= now`, earliest deadline first,
    /// served by the `(status, authorization_expires_at)` index.
    async fn due_for_authorization_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<PaymentKey>, RepositoryError> {
        self.due(Deadline::Authorization, now, limit).await
    }

    async fn audit_trail(
        &self,
        payment_id: &PaymentId,
    ) -> Result<Vec<AuditEntry>, RepositoryError> {
        let rows = self
            .run(async |conn| B::audit_rows(conn, payment_id.to_string()).await)
            .await?;
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}

/// Payment keys as the database holds them.
fn parse_keys(keys: &[String]) -> Result<Vec<PaymentKey>, RepositoryError> {
    keys.iter()
        .map(|k| {
            PaymentKey::parse(k).map_err(|e| corrupt("payment", k, format_args!("payment_key {e}")))
        })
        .collect()
}
