//! `OutboxStore` (`outbox_event`, `delivery_attempt`), plus the helpers the payment store uses to
//! write messages and audit notes inside its own transactions.

/// Expanded by [`sql_stores!`](crate::sql_stores).
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_outbox_store {
    ($store:ident, $tx:ident, $insert:ident, ($($lock_row:tt)*), ($($lock_claim:tt)*)) => {
        // -----------------------------------------------------------------------------------
        // helpers shared with the payment store (they run inside the caller's transaction)

        /// Inserts `messages` as new PENDING rows (nothing for an empty slice): one multi-row
        /// `INSERT`, or one per row where diesel-async cannot batch (SQLite: no `DEFAULT` in
        /// `VALUES`).
        async fn insert_messages(
            conn: &mut Conn,
            messages: &[domain::outbox::OutboxMessage],
        ) -> diesel::QueryResult<()> {
            use $crate::{records::NewOutboxRow, schema::outbox_event};
            if messages.is_empty() {
                return Ok(());
            }
            let rows: Vec<NewOutboxRow> = messages.iter().map(NewOutboxRow::from).collect();
            $crate::__sql_insert_rows!($insert, conn, outbox_event::table, rows);
            Ok(())
        }

        /// Appends a note to `payment`'s audit trail ([`raw::INSERT_NOTE`](
        /// $crate::raw::INSERT_NOTE)): `from_status` and `from_version` NULL, `status` copied
        /// from the payment row, so the note can never contradict the transition rows around
        /// it. `details` is cut to the column's 1024 characters. Returns the number of rows
        /// written: 0 when there is no such payment.
        async fn insert_note(
            conn: &mut Conn,
            payment: &str,
            note: &domain::payment::AuditNote,
        ) -> diesel::QueryResult<usize> {
            use diesel::sql_types::{Nullable, Text, Timestamp};
            use $crate::records::{MAX_ERROR_CHARS, to_db_time, truncate_chars};
            diesel::sql_query($crate::raw::INSERT_NOTE)
                .bind::<Text, _>(note.action.as_str())
                .bind::<Text, _>(note.actor.as_str())
                .bind::<Nullable<Text>, _>(
                    note.details
                        .as_deref()
                        .map(|d| truncate_chars(d, MAX_ERROR_CHARS)),
                )
                .bind::<Nullable<Text>, _>(note.request_id.as_ref().map(|r| r.as_str()))
                .bind::<Timestamp, _>(to_db_time(note.at))
                .bind::<Text, _>(payment)
                .execute(conn)
                .await
        }

        /// Reads of a message and of its attempts run in one read-only snapshot, so an operator
        /// never sees a new attempt next to the message's previous state.
        impl $store {
            /// Attempts of `events`, oldest first, grouped by stored event id.
            async fn attempts_of(
                conn: &mut Conn,
                events: Vec<String>,
            ) -> Result<
                std::collections::HashMap<String, Vec<domain::outbox::DeliveryAttempt>>,
                RepositoryError,
            > {
                use $crate::{records::AttemptRow, schema::delivery_attempt};
                let mut by_event: std::collections::HashMap<
                    String,
                    Vec<domain::outbox::DeliveryAttempt>,
                > = std::collections::HashMap::new();
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
                        .push(domain::outbox::DeliveryAttempt::try_from(row)?);
                }
                Ok(by_event)
            }

            async fn deliveries(
                conn: &mut Conn,
                rows: Vec<$crate::records::OutboxRow>,
            ) -> Result<Vec<domain::outbox::Delivery>, RepositoryError> {
                let mut attempts =
                    Self::attempts_of(conn, rows.iter().map(|r| r.event_id.clone()).collect())
                        .await?;
                rows.into_iter()
                    .map(|row| {
                        let mine = attempts.remove(&row.event_id).unwrap_or_default();
                        row.into_delivery(mine)
                    })
                    .collect()
            }

            async fn list_in(
                conn: &mut Conn,
                filter: &domain::outbox::DeliveryFilter,
                page: &domain::ports::PageRequest<domain::ids::EventId>,
            ) -> Result<Vec<domain::outbox::Delivery>, RepositoryError> {
                use $crate::{records::{OutboxRow, event_key}, schema::outbox_event};
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
                conn: &mut Conn,
                id: &domain::ids::EventId,
            ) -> Result<Option<domain::outbox::Delivery>, RepositoryError> {
                use $crate::{records::{OutboxRow, event_key}, schema::outbox_event};
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

            /// Starts the read-only snapshot (`Dialect::BEGIN_SNAPSHOT`); `end_snapshot` ends
            /// it (`COMMIT`, or `ROLLBACK` after a failed read).
            async fn begin_snapshot(conn: &mut Conn) -> Result<(), RepositoryError> {
                use $crate::Dialect as _;
                diesel::sql_query(D::BEGIN_SNAPSHOT)
                    .execute(conn)
                    .await
                    .map(drop)
                    .map_err(db_error)
            }

            async fn end_snapshot<T>(
                conn: &mut Conn,
                result: Result<T, RepositoryError>,
            ) -> Result<T, RepositoryError> {
                let end = diesel::sql_query(if result.is_ok() { "COMMIT" } else { "ROLLBACK" })
                    .execute(conn)
                    .await;
                let value = result?;
                end.map_err(db_error)?;
                Ok(value)
            }
        }

        #[async_trait]
        impl domain::ports::OutboxStore for $store {
            /// One transaction for all `messages`; a reused event id is a repository error and
            /// nothing is written.
            async fn enqueue(
                &self,
                messages: &[domain::outbox::OutboxMessage],
            ) -> Result<(), RepositoryError> {
                if messages.is_empty() {
                    return Ok(());
                }
                let messages = messages.to_vec();
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                conn.$tx::<_, diesel::result::Error, _>(async move |conn| {
                    insert_messages(conn, &messages).await
                })
                .await
                .map_err(db_error)
            }

            /// Two steps, so that the per-payment order never depends on lock visibility:
            ///
            /// 1. A plain (non-locking) read picks candidates
            ///    (`adapters_sql::raw::CLAIM_CANDIDATES`): PENDING,
            ///    `not_before <= now`, `next_attempt_at <= now`, lease NULL or `< now`, and — for
            ///    a merchant notification — no older (lower `seq`) notification of the same
            ///    payment still PENDING, leased or not. Earliest due first, a few times `limit`.
            /// 2. In a short write transaction, `SELECT … WHERE seq IN (candidates) AND <the same
            ///    due and lease conditions> ORDER BY seq LIMIT limit` plus the dialect's claim
            ///    lock (MySQL: `FOR UPDATE SKIP LOCKED`, which skips rows a concurrent claimer
            ///    holds; SQLite: none, `BEGIN IMMEDIATE` already made this the only writer)
            ///    re-checks them on the latest committed rows, then `UPDATE … SET lease_until =
            ///    now + lease WHERE seq IN (…) AND (lease_until IS NULL OR lease_until < now)`
            ///    leases the ones it got (the condition keeps the claim correct on its own).
            ///
            /// Only one notification per payment can be a candidate, so one claim never returns
            /// two of the same payment. `attempts` is the number of attempts already recorded.
            async fn claim_due(
                &self,
                now: domain::Timestamp,
                lease: std::time::Duration,
                limit: u32,
            ) -> Result<Vec<domain::outbox::ClaimedMessage>, RepositoryError> {
                use diesel::sql_types::{BigInt, Timestamp};
                use $crate::{
                    decisions::{CANDIDATES_PER_CLAIM, PENDING},
                    raw::Seq,
                    records::{OutboxRow, to_db_time},
                    schema::outbox_event,
                };
                if limit == 0 {
                    return Ok(Vec::new());
                }
                let at = to_db_time(now);
                let lease_until = now.plus(lease);
                let until = to_db_time(lease_until);
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let candidates: Vec<i64> = diesel::sql_query($crate::raw::CLAIM_CANDIDATES)
                    .bind::<Timestamp, _>(at)
                    .bind::<Timestamp, _>(at)
                    .bind::<Timestamp, _>(at)
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
                let lease_free = || {
                    outbox_event::lease_until
                        .is_null()
                        .or(outbox_event::lease_until.lt(at))
                };
                let rows = conn
                    .$tx::<_, diesel::result::Error, _>(async move |conn| {
                        let rows = outbox_event::table
                            .filter(outbox_event::seq.eq_any(&candidates))
                            .filter(outbox_event::state.eq(PENDING))
                            .filter(outbox_event::next_attempt_at.le(at))
                            .filter(outbox_event::not_before.le(at))
                            .filter(lease_free())
                            .order(outbox_event::seq.asc())
                            .limit(i64::from(limit))
                            .select(OutboxRow::as_select())
                            $($lock_claim)*
                            .load(conn)
                            .await?;
                        if !rows.is_empty() {
                            let claimed: Vec<i64> = rows.iter().map(|r| r.seq).collect();
                            diesel::update(
                                outbox_event::table
                                    .filter(outbox_event::seq.eq_any(claimed))
                                    .filter(lease_free()),
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
                        Ok(domain::outbox::ClaimedMessage {
                            message: row.message()?,
                            attempts: row.attempts()?,
                            lease_until,
                        })
                    })
                    .collect()
            }

            /// One write transaction: re-reads the message row (with the dialect's row lock),
            /// inserts the `delivery_attempt` row, and — if the message is still PENDING — writes
            /// the `AttemptOutcome` (`adapters_sql::decisions`): `attempts =
            /// attempt_no`, the state from `step` (`RetryAt(t)`: PENDING due at `t`),
            /// `lease_until = NULL`, `last_error` and `updated_at`. A message that is no longer
            /// PENDING (finished meanwhile by a dispatcher that claimed it after this one's lease
            /// ran out) keeps its state; the attempt is still recorded. `note` goes to the
            /// message's payment as in `append_note` (skipped when the message has no payment).
            /// An unknown event id is an error and writes nothing.
            async fn finish_attempt(
                &self,
                attempt: &domain::outbox::DeliveryAttempt,
                step: domain::outbox::NextStep,
                note: Option<domain::payment::AuditNote>,
            ) -> Result<(), RepositoryError> {
                use $crate::{
                    decisions::{AttemptOutcome, OutboxTxError as TxError, PENDING},
                    records::NewAttemptRow,
                    schema::{delivery_attempt, outbox_event},
                };
                let row = NewAttemptRow::from(attempt);
                let outcome = AttemptOutcome::new(attempt, step);
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                conn.$tx::<_, TxError, _>(async move |conn| {
                    let current: Option<(Option<String>, String)> = outbox_event::table
                        .filter(outbox_event::event_id.eq(&row.event_id))
                        .select((outbox_event::payment_id, outbox_event::state))
                        $($lock_row)*
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
                        let target =
                            outbox_event::table.filter(outbox_event::event_id.eq(&row.event_id));
                        let changes = (
                            outbox_event::attempts.eq(row.attempt_no),
                            outbox_event::state.eq(outcome.state),
                            outbox_event::lease_until
                                .eq(None::<$crate::__private::time::PrimitiveDateTime>),
                            outbox_event::last_error.eq(&outcome.last_error),
                            outbox_event::updated_at.eq(outcome.updated_at),
                        );
                        match outcome.next_attempt_at {
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
                .map_err(|e| e.into_repository(db_error))
            }

            /// `UPDATE … SET state = 'PENDING', next_attempt_at = now, attempts = 0, lease_until =
            /// NULL, updated_at = now WHERE event_id = ? AND state IN ('DELIVERED', 'DEAD')`: a
            /// full retry schedule again; earlier attempt rows and `last_error` are kept,
            /// `not_before` unchanged. A message that is already PENDING is left alone (it is on
            /// its way) and still counts as found.
            async fn redeliver(
                &self,
                id: &domain::ids::EventId,
                now: domain::Timestamp,
            ) -> Result<bool, RepositoryError> {
                use $crate::{
                    decisions::{DEAD, DELIVERED, PENDING},
                    records::{event_key, to_db_time},
                    schema::outbox_event,
                };
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
                    outbox_event::lease_until.eq(None::<$crate::__private::time::PrimitiveDateTime>),
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
        }
    };
}

/// Inserts a `Vec` of records: `multi_row` as one statement, `row_by_row` as one per record.
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_insert_rows {
    (multi_row, $conn:ident, $table:expr, $rows:ident) => {
        diesel::insert_into($table)
            .values(&$rows)
            .execute($conn)
            .await?;
    };
    (row_by_row, $conn:ident, $table:expr, $rows:ident) => {
        for row in &$rows {
            diesel::insert_into($table)
                .values(row)
                .execute($conn)
                .await?;
        }
    };
}
