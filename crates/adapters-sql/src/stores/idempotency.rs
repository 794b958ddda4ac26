//! `IdempotencyStore` (`idempotency_record`).

/// Expanded by [`sql_stores!`](crate::sql_stores).
#[doc(hidden)]
#[macro_export]
macro_rules! __sql_idempotency_store {
    ($store:ident, $tx:ident, ($($lock_row:tt)*)) => {
        #[async_trait]
        impl domain::idempotency::IdempotencyStore for $store {
            /// An autocommit `INSERT` wins a free key. On a duplicate, a short write transaction
            /// re-reads the row (MySQL: `FOR UPDATE`; SQLite: `BEGIN IMMEDIATE` already holds the
            /// write lock) and decides (`decisions::retake`) — replace if expired,
            /// mismatch, replay, in flight, or take over an abandoned lease. The insert and the
            /// locking read are separate statements so two claimers never deadlock on the shared
            /// lock a duplicate-key error leaves behind (MySQL).
            async fn claim(
                &self,
                client: &domain::ids::ClientId,
                key: &domain::idempotency::IdempotencyKey,
                fingerprint: &domain::idempotency::Fingerprint,
                now: domain::Timestamp,
                lease: std::time::Duration,
                ttl: std::time::Duration,
            ) -> Result<domain::idempotency::Claim, RepositoryError> {
                use domain::idempotency::Claim;
                use $crate::{
                    decisions::{IN_FLIGHT, Retake, retake},
                    records::{IdempotencyRow, to_db_time},
                    schema::idempotency_record as ir,
                };
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                let (client, key, fp) = (
                    client.as_str().to_owned(),
                    key.as_str().to_owned(),
                    fingerprint.as_str().to_owned(),
                );
                let (now_db, lease_db, expires_db) = (
                    to_db_time(now),
                    to_db_time(now.plus(lease)),
                    to_db_time(now.plus(ttl)),
                );
                for _ in 0..3 {
                    let inserted = diesel::insert_into(ir::table)
                        .values((
                            ir::client_id.eq(&client),
                            ir::idempotency_key.eq(&key),
                            ir::fingerprint.eq(&fp),
                            ir::state.eq(IN_FLIGHT),
                            ir::lease_until.eq(lease_db),
                            ir::expires_at.eq(expires_db),
                            ir::created_at.eq(now_db),
                            ir::updated_at.eq(now_db),
                        ))
                        .execute(&mut conn)
                        .await;
                    match inserted {
                        Ok(_) => return Ok(Claim::Fresh),
                        Err(e) if $crate::error::is_unique_violation(&e) => {}
                        Err(e) => return Err(db_error(e)),
                    }
                    let (c, k, f) = (client.clone(), key.clone(), fp.clone());
                    // `None`: the row vanished (purged) between the insert and the read.
                    let claim = conn
                        .$tx::<_, diesel::result::Error, _>(async move |conn| {
                            let row: Option<IdempotencyRow> = ir::table
                                .find((&c, &k))
                                .select(IdempotencyRow::as_select())
                                $($lock_row)*
                                .first(conn)
                                .await
                                .optional()?;
                            let Some(row) = row else {
                                return Ok(None);
                            };
                            let target = ir::table.find((&c, &k));
                            match retake(row, &f, now_db) {
                                Retake::Replace => {
                                    diesel::update(target)
                                        .set((
                                            ir::fingerprint.eq(&f),
                                            ir::state.eq(IN_FLIGHT),
                                            ir::response_status.eq(None::<i64>),
                                            ir::response_content_type.eq(None::<String>),
                                            ir::response_location.eq(None::<String>),
                                            ir::response_body.eq(None::<Vec<u8>>),
                                            ir::lease_until.eq(lease_db),
                                            ir::expires_at.eq(expires_db),
                                            ir::created_at.eq(now_db),
                                            ir::updated_at.eq(now_db),
                                        ))
                                        .execute(conn)
                                        .await?;
                                    Ok(Some(Claim::Fresh))
                                }
                                Retake::TakeOverLease => {
                                    diesel::update(target)
                                        .set((ir::lease_until.eq(lease_db), ir::updated_at.eq(now_db)))
                                        .execute(conn)
                                        .await?;
                                    Ok(Some(Claim::Fresh))
                                }
                                Retake::Answer(claim) => Ok(Some(claim)),
                            }
                        })
                        .await
                        .map_err(db_error)?;
                    if let Some(claim) = claim {
                        return Ok(claim);
                    }
                }
                Err(RepositoryError::msg(
                    "idempotency record kept disappearing while being claimed",
                ))
            }

            async fn complete(
                &self,
                client: &domain::ids::ClientId,
                key: &domain::idempotency::IdempotencyKey,
                response: &domain::idempotency::StoredResponse,
                now: domain::Timestamp,
            ) -> Result<(), RepositoryError> {
                use $crate::{
                    decisions::COMPLETED, records::to_db_time, schema::idempotency_record as ir,
                };
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                diesel::update(ir::table.find((client.as_str(), key.as_str())))
                    .set((
                        ir::state.eq(COMPLETED),
                        ir::response_status.eq(Some(i64::from(response.status))),
                        ir::response_content_type.eq(response.content_type.as_deref()),
                        ir::response_location.eq(response.location.as_deref()),
                        ir::response_body.eq(Some(response.body.as_slice())),
                        ir::updated_at.eq(to_db_time(now)),
                    ))
                    .execute(&mut conn)
                    .await
                    .map_err(db_error)?;
                Ok(())
            }

            async fn release(
                &self,
                client: &domain::ids::ClientId,
                key: &domain::idempotency::IdempotencyKey,
            ) -> Result<(), RepositoryError> {
                use $crate::{decisions::IN_FLIGHT, schema::idempotency_record as ir};
                let mut conn = self.pool.get().await.map_err(pool_error)?;
                diesel::delete(
                    ir::table
                        .find((client.as_str(), key.as_str()))
                        .filter(ir::state.eq(IN_FLIGHT)),
                )
                .execute(&mut conn)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            async fn purge_expired(&self, now: domain::Timestamp) -> Result<u64, RepositoryError> {
                purge_expired(&self.pool, "idempotency_record", now).await
            }
        }
    };
}
