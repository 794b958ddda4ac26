//! `PaymentStore`: payments and their audit trail (`payment_log`).

/// Expanded by [`sql_stores!`](crate::sql_stores).
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_payment_store {
    ($store:ident, $tx:ident) => {
        impl $store {
            /// The payment `query` selects, if any.
            async fn find_one(
                &self,
                query: $crate::schema::payment::BoxedQuery<'_, Backend>,
            ) -> Result<Option<domain::payment::Payment>, RepositoryError> {
                use $crate::records::PaymentRow;
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let row = query
                    .select(PaymentRow::as_select())
                    .first(&mut conn)
                    .await
                    .optional()
                    .map_err(db_error)?;
                row.map(domain::payment::Payment::try_from).transpose()
            }

            /// `insert`'s transaction (see there); `NonceTaken` when `nonce`'s `INSERT` found
            /// the row there or lost a deadlock.
            async fn insert_tx(
                conn: &mut Conn,
                row: &$crate::records::PaymentRow,
                log: &$crate::records::NewAuditRow,
                events: &[domain::outbox::OutboxMessage],
                nonce: Option<&$crate::records::NonceRow<'_>>,
            ) -> Result<(), $crate::error::InsertTxError> {
                use $crate::{
                    error::{InsertTxError, is_deadlock, is_unique_violation},
                    schema::{payment, payment_log, request_nonce},
                };
                conn.$tx::<_, InsertTxError, _>(async move |conn| {
                    if let Some(nonce) = nonce {
                        match diesel::insert_into(request_nonce::table)
                            .values(nonce)
                            .execute(conn)
                            .await
                        {
                            Ok(_) => {}
                            Err(e) if is_unique_violation(&e) || is_deadlock(&e) => {
                                return Err(InsertTxError::NonceTaken);
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                    diesel::insert_into(payment::table)
                        .values(row)
                        .execute(conn)
                        .await?;
                    diesel::insert_into(payment_log::table)
                        .values(log)
                        .execute(conn)
                        .await?;
                    Ok(insert_messages(conn, events).await?)
                })
                .await
            }
        }

        #[async_trait]
        impl domain::ports::PaymentStore for $store {
            /// One transaction: the nonce if given, the payment row, its `CREATE` audit row,
            /// then its outbox messages. A used nonce is `InsertPaymentError::Replayed`; a
            /// duplicate `(client_id, order_no)` is `InsertPaymentError::DuplicateOrder`; any
            /// other clash (e.g. a reused payment key, which a 256-bit random key makes a bug,
            /// not a user error) is a repository error. Either way nothing is written.
            ///
            /// The nonce is a plain `INSERT`, first, so a fresh one costs no extra round trip or
            /// commit. If its row is already there (used, or expired and not purged) — or the
            /// `INSERT` lost a deadlock to a concurrent one with the same nonce — the transaction
            /// ends at once and releases its locks: deciding it inside would have concurrent
            /// replays each hold a shared lock on the row while asking for an exclusive one (a
            /// deadlock InnoDB reports). The nonce is then decided on its own by `record_nonce`
            /// (autocommit), and only if this request wins it is the payment inserted, without
            /// it.
            async fn insert(
                &self,
                p: &domain::payment::Payment,
                audit: &domain::payment::AuditRecord,
                events: &[domain::outbox::OutboxMessage],
                nonce: Option<domain::ports::NonceRecord>,
            ) -> Result<(), domain::ports::InsertPaymentError> {
                use domain::ports::{InsertPaymentError, NonceOutcome};
                use $crate::{
                    Dialect as _,
                    error::InsertTxError,
                    records::{NewAuditRow, NonceRow, PaymentRow},
                };
                let row = PaymentRow::from(p);
                let log = NewAuditRow::new(&p.id, audit);
                let nonce_row = nonce
                    .as_ref()
                    .map(|n| NonceRow::new(&n.client, &n.nonce, n.expires_at));
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let mut attempt = 1;
                let outcome = loop {
                    let outcome =
                        Self::insert_tx(&mut conn, &row, &log, events, nonce_row.as_ref()).await;
                    let (Err(InsertTxError::NonceTaken), Some(nonce_row)) = (&outcome, &nonce_row)
                    else {
                        break outcome;
                    };
                    match record_nonce(&mut conn, nonce_row).await {
                        Ok(NonceOutcome::Replayed) => break Err(InsertTxError::NonceTaken),
                        Ok(NonceOutcome::Fresh) => {
                            break Self::insert_tx(&mut conn, &row, &log, events, None).await;
                        }
                        // The first holder of the nonce rolled back and its waiters deadlocked
                        // over the freed row; the victim starts again.
                        Err(e)
                            if $crate::error::is_deadlock(&e)
                                && attempt < $crate::decisions::NONCE_DEADLOCK_ATTEMPTS =>
                        {
                            attempt += 1;
                        }
                        Err(e) => break Err(InsertTxError::Db(e)),
                    }
                };
                outcome.map_err(|e| match e {
                    InsertTxError::NonceTaken => InsertPaymentError::Replayed,
                    InsertTxError::Db(e)
                        if $crate::error::is_unique_violation_on(&e, D::UQ_CLIENT_ORDER) =>
                    {
                        InsertPaymentError::DuplicateOrder
                    }
                    InsertTxError::Db(e) => InsertPaymentError::Repository(db_error(e)),
                })?;
                Ok(())
            }

            async fn find_by_key(
                &self,
                key: &domain::ids::PaymentKey,
            ) -> Result<Option<domain::payment::Payment>, RepositoryError> {
                use $crate::schema::payment;
                self.find_one(
                    payment::table
                        .filter(payment::payment_key.eq(key.as_str().to_owned()))
                        .into_boxed(),
                )
                .await
            }

            /// Filters combine with AND: `client_id`, `status` and `order_no` match exactly;
            /// `created_from` is inclusive (`created_at >= from`) and `created_to` exclusive
            /// (`created_at < to`), so consecutive ranges never overlap. Newest first by
            /// `payment_id` (a UUIDv7, so creation order), strictly before `page.before`, at most
            /// `limit + 1` rows.
            async fn list(
                &self,
                filter: &domain::ports::PaymentFilter,
                page: &domain::ports::PageRequest<domain::ids::PaymentId>,
            ) -> Result<Vec<domain::payment::Payment>, RepositoryError> {
                use $crate::{records::{PaymentRow, to_db_time}, schema::payment};
                let mut query = payment::table.select(PaymentRow::as_select()).into_boxed();
                if let Some(client) = &filter.client_id {
                    query = query.filter(payment::client_id.eq(client.as_str().to_owned()));
                }
                if let Some(status) = filter.status {
                    query = query.filter(payment::status.eq(status.as_str()));
                }
                if let Some(order_no) = &filter.order_no {
                    query = query.filter(payment::order_no.eq(order_no.as_str().to_owned()));
                }
                if let Some(from) = filter.created_from {
                    query = query.filter(payment::created_at.ge(to_db_time(from)));
                }
                if let Some(to) = filter.created_to {
                    query = query.filter(payment::created_at.lt(to_db_time(to)));
                }
                if let Some(before) = &page.before {
                    query = query.filter(payment::payment_id.lt(before.to_string()));
                }
                let rows = query
                    .order(payment::payment_id.desc())
                    .limit(i64::from(page.limit) + 1)
                    .load(&mut *self.pool.get().await.map_err(pool_error)?)
                    .await
                    .map_err(db_error)?;
                rows.into_iter().map(domain::payment::Payment::try_from).collect()
            }

            /// Compare-and-set plus audit row and outbox messages in one transaction:
            /// `UPDATE payment SET <mutable fields> WHERE payment_id = ? AND version = ?`, then the
            /// `payment_log` and `outbox_event` inserts. Both backends report *matched* rows
            /// (diesel-async's MySQL connection sets `CLIENT_FOUND_ROWS`), which is why the
            /// version guard lives in the `WHERE`: 0 matched means someone else moved the payment
            /// first → `Stale`, rolled back. A clash on `UNIQUE (payment_id, from_version)` of
            /// `payment_log` (this version was already left) is also `Stale`; a transaction the
            /// database chose as a deadlock victim is `Conflict` (decide again). Only what a
            /// transition can change is written; identity, amount and order stay as created.
            async fn transition(
                &self,
                change: &domain::ports::StateChange,
            ) -> Result<(), domain::ports::TransitionStoreError> {
                use domain::ports::TransitionStoreError;
                use $crate::{
                    Dialect as _,
                    decisions::PaymentTxError as TxError,
                    records::{NewAuditRow, PaymentRow},
                    schema::{payment, payment_log},
                };
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
                let expected = i64::from(change.expected_version);
                let events = change.events.clone();
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let outcome = conn
                    .$tx::<_, TxError, _>(async move |conn| {
                        let matched = diesel::update(
                            payment::table
                                .filter(payment::payment_id.eq(&row.payment_id))
                                .filter(payment::version.eq(expected)),
                        )
                        .set((
                            payment::status.eq(&row.status),
                            payment::version.eq(row.version),
                            payment::transaction_id.eq(&row.transaction_id),
                            payment::failure_code.eq(&row.failure_code),
                            payment::failure_message.eq(&row.failure_message),
                            payment::cancel_reason.eq(&row.cancel_reason),
                            payment::updated_at.eq(row.updated_at),
                            payment::approved_at.eq(row.approved_at),
                            payment::completed_at.eq(row.completed_at),
                            payment::canceled_at.eq(row.canceled_at),
                            payment::failed_at.eq(row.failed_at),
                            payment::expires_at.eq(row.expires_at),
                        ))
                        .execute(conn)
                        .await?;
                        if matched != 1 {
                            return Err(TxError::Stale);
                        }
                        diesel::insert_into(payment_log::table)
                            .values(&log)
                            .execute(conn)
                            .await?;
                        insert_messages(conn, &events).await?;
                        Ok(())
                    })
                    .await;
                match outcome {
                    Ok(()) => Ok(()),
                    Err(TxError::Stale) => Err(TransitionStoreError::Stale),
                    Err(e @ TxError::UnknownPayment(_)) => {
                        Err(RepositoryError::msg(e.to_string()).into())
                    }
                    Err(TxError::Db(e))
                        if $crate::error::is_unique_violation_on(&e, D::UQ_LOG_TRANSITION) =>
                    {
                        Err(TransitionStoreError::Stale)
                    }
                    Err(TxError::Db(e)) if $crate::error::is_deadlock(&e) => {
                        Err(TransitionStoreError::Conflict(e.to_string()))
                    }
                    Err(TxError::Db(e)) => Err(db_error(e).into()),
                }
            }

            async fn find_by_id(
                &self,
                id: &domain::ids::PaymentId,
            ) -> Result<Option<domain::payment::Payment>, RepositoryError> {
                use $crate::schema::payment;
                self.find_one(payment::table.find(id.to_string()).into_boxed())
                    .await
            }

            /// One transaction: the note (`INSERT INTO payment_log … SELECT …, p.status, … FROM
            /// payment p WHERE p.payment_id = ?`, so its status is the payment's at that instant,
            /// with `from_status` and `from_version` NULL), then the outbox messages. An unknown
            /// payment is an error and nothing is written. `details` longer than the column (1024
            /// characters) is cut.
            async fn append_note(
                &self,
                payment_id: &domain::ids::PaymentId,
                note: &domain::payment::AuditNote,
                events: &[domain::outbox::OutboxMessage],
            ) -> Result<(), RepositoryError> {
                use $crate::decisions::PaymentTxError as TxError;
                let id = *payment_id;
                let note = note.clone();
                let events = events.to_vec();
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                conn.$tx::<_, TxError, _>(async move |conn| {
                    if insert_note(conn, &id.to_string(), &note).await? == 0 {
                        return Err(TxError::UnknownPayment(id));
                    }
                    insert_messages(conn, &events).await?;
                    Ok(())
                })
                .await
                .map_err(|e| match e {
                    TxError::Db(e) => db_error(e),
                    other => RepositoryError::msg(other.to_string()),
                })
            }

            /// `status = 'READY' AND expires_at <= now`, earliest expiry first (ties by id),
            /// served by the `(status, expires_at)` index.
            async fn due_for_expiry(
                &self,
                now: domain::Timestamp,
                limit: u32,
            ) -> Result<Vec<domain::ids::PaymentKey>, RepositoryError> {
                use $crate::{records::to_db_time, schema::payment};
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let keys: Vec<String> = payment::table
                    .filter(payment::status.eq(domain::payment::PaymentStatus::Ready.as_str()))
                    .filter(payment::expires_at.le(to_db_time(now)))
                    .order((payment::expires_at.asc(), payment::payment_id.asc()))
                    .limit(i64::from(limit))
                    .select(payment::payment_key)
                    .load(&mut conn)
                    .await
                    .map_err(db_error)?;
                keys.iter()
                    .map(|k| {
                        domain::ids::PaymentKey::parse(k).map_err(|e| {
                            $crate::error::corrupt("payment", k, format_args!("payment_key {e}"))
                        })
                    })
                    .collect()
            }

            async fn audit_trail(
                &self,
                payment_id: &domain::ids::PaymentId,
            ) -> Result<Vec<domain::payment::AuditEntry>, RepositoryError> {
                use $crate::{records::AuditRow, schema::payment_log};
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let rows = payment_log::table
                    .filter(payment_log::payment_id.eq(payment_id.to_string()))
                    .order(payment_log::log_id.asc())
                    .select(AuditRow::as_select())
                    .load(&mut conn)
                    .await
                    .map_err(db_error)?;
                rows.into_iter()
                    .map(domain::payment::AuditEntry::try_from)
                    .collect()
            }
        }
    };
}
