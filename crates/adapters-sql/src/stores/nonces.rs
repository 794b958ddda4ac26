//! `NonceStore` (`request_nonce`): replay memory shared by every instance, and the batched purge
//! of expired rows the idempotency store uses too.

/// Expanded by [`sql_stores!`](crate::sql_stores).
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_nonce_store {
    ($store:ident) => {
        /// `Dialect::delete_expired_batch` of
        /// `table` (`expires_at < now`), repeated until a batch comes back short, so a large
        /// backlog never holds locks (or grows the undo log) for long.
        async fn purge_expired(
            pool: &Pool,
            table: &str,
            now: domain::Timestamp,
        ) -> Result<u64, RepositoryError> {
            use $crate::{Dialect as _, decisions::PURGE_BATCH, records::to_db_time};
            let cutoff = to_db_time(now);
            let statement = D::delete_expired_batch(table, PURGE_BATCH);
            let mut conn = pool.get().await.map_err(pool_error)?;
            let mut total: u64 = 0;
            loop {
                let deleted = diesel::sql_query(&statement)
                    .bind::<diesel::sql_types::Timestamp, _>(cutoff)
                    .execute(&mut conn)
                    .await
                    .map_err(db_error)?;
                total = total.saturating_add(deleted as u64);
                if deleted < PURGE_BATCH {
                    return Ok(total);
                }
            }
        }

        /// `INSERT`; the primary key `(client_id, nonce)` makes exactly one concurrent caller
        /// win. On a duplicate key the stored row may merely be expired and not yet purged: a
        /// single `UPDATE .. SET expires_at = ? WHERE client_id = ? AND nonce = ? AND
        /// expires_at < <the database's now>` takes it over. That is atomic too (MySQL's row
        /// lock; SQLite's single writer): a second caller re-reads the row after the first
        /// commits, sees the new `expires_at`, matches nothing and gets `Replayed`. "Now" is
        /// the database's clock (`Dialect::NOW`), the one reference every instance shares.
        ///
        /// Always outside a transaction (autocommit): by `NonceStore::remember`, and by
        /// `PaymentStore::insert` when its in-transaction `INSERT` of the nonce found the row.
        /// Inside one, the shared lock a duplicate-key error leaves on the row would be held
        /// while the `UPDATE` asks for an exclusive one: concurrent replays would deadlock.
        async fn record_nonce(
            conn: &mut Conn,
            row: &$crate::records::NonceRow<'_>,
        ) -> diesel::QueryResult<domain::ports::NonceOutcome> {
            use domain::ports::NonceOutcome;
            use $crate::{Dialect as _, schema::request_nonce};
            match diesel::insert_into(request_nonce::table)
                .values(row)
                .execute(conn)
                .await
            {
                Ok(_) => Ok(NonceOutcome::Fresh),
                Err(e) if $crate::error::is_unique_violation(&e) => {
                    let matched = diesel::update(
                        request_nonce::table
                            .find((row.client_id, row.nonce))
                            .filter(
                                request_nonce::expires_at
                                    .lt(diesel::dsl::sql::<diesel::sql_types::Timestamp>(D::NOW)),
                            ),
                    )
                    .set(request_nonce::expires_at.eq(row.expires_at))
                    .execute(conn)
                    .await?;
                    Ok(if matched == 1 {
                        NonceOutcome::Fresh
                    } else {
                        NonceOutcome::Replayed
                    })
                }
                Err(e) => Err(e),
            }
        }

        #[async_trait]
        impl domain::ports::NonceStore for $store {
            /// [`record_nonce`] on its own connection, outside any transaction.
            async fn remember(
                &self,
                client: &domain::ids::ClientId,
                nonce: &domain::ids::Nonce,
                expires_at: domain::Timestamp,
            ) -> Result<domain::ports::NonceOutcome, RepositoryError> {
                let row = $crate::records::NonceRow::new(client, nonce, expires_at);
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                record_nonce(&mut conn, &row).await.map_err(db_error)
            }

            async fn purge_expired(&self, now: domain::Timestamp) -> Result<u64, RepositoryError> {
                purge_expired(&self.pool, "request_nonce", now).await
            }
        }
    };
}
