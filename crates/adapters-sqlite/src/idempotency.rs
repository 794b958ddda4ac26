//! [`IdempotencyStore`] on SQLite (`idempotency_record`).

use std::time::Duration;

use async_trait::async_trait;
use diesel::{
    ExpressionMethods, OptionalExtension, QueryDsl, Queryable, Selectable, SelectableHelper,
};
use diesel_async::RunQueryDsl;
use domain::{
    RepositoryError, Timestamp,
    idempotency::{Claim, Fingerprint, IdempotencyKey, IdempotencyStore, StoredResponse},
    ids::ClientId,
};
use time::PrimitiveDateTime;

use crate::{
    error::{db_error, is_unique_violation, pool_error},
    pool::Pool,
    rows::to_db_time,
    schema::idempotency_record as ir,
};

const IN_FLIGHT: &str = "IN_FLIGHT";
const COMPLETED: &str = "COMPLETED";
const PURGE_BATCH: usize = 1000;

#[derive(Clone)]
pub struct SqliteIdempotencyStore {
    pool: Pool,
}

impl SqliteIdempotencyStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = ir)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite))]
struct RecordRow {
    fingerprint: String,
    state: String,
    response_status: Option<i64>,
    response_content_type: Option<String>,
    response_location: Option<String>,
    response_body: Option<Vec<u8>>,
    lease_until: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
}

/// What the locked re-read decided.
enum Decision {
    Claim(Claim),
    /// The row vanished (purged) between the insert and the read: try the insert again.
    Gone,
}

#[async_trait]
impl IdempotencyStore for SqliteIdempotencyStore {
    /// An autocommit `INSERT` wins a free key. On a duplicate, a short `BEGIN IMMEDIATE`
    /// transaction (it holds SQLite's write lock, so no other writer runs meanwhile) re-reads the
    /// row and decides (replace if expired, mismatch, replay, in flight, or take over an
    /// abandoned lease).
    async fn claim(
        &self,
        client: &ClientId,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
        now: Timestamp,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, RepositoryError> {
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
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => return Err(db_error(e)),
            }
            let (c, k, f) = (client.clone(), key.clone(), fp.clone());
            let decision = conn
                .immediate_transaction::<_, diesel::result::Error, _>(async move |conn| {
                    let row: Option<RecordRow> = ir::table
                        .find((&c, &k))
                        .select(RecordRow::as_select())
                        .first(conn)
                        .await
                        .optional()?;
                    let Some(row) = row else {
                        return Ok(Decision::Gone);
                    };
                    let target = ir::table.find((&c, &k));
                    if row.expires_at <= now_db {
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
                        return Ok(Decision::Claim(Claim::Fresh));
                    }
                    if row.fingerprint != f {
                        return Ok(Decision::Claim(Claim::Mismatch));
                    }
                    if row.state == COMPLETED {
                        return Ok(Decision::Claim(Claim::Replay(StoredResponse {
                            status: row
                                .response_status
                                .and_then(|s| u16::try_from(s).ok())
                                .unwrap_or(200),
                            content_type: row.response_content_type,
                            location: row.response_location,
                            body: row.response_body.unwrap_or_default(),
                        })));
                    }
                    if row.lease_until > now_db {
                        return Ok(Decision::Claim(Claim::InFlight));
                    }
                    diesel::update(target)
                        .set((ir::lease_until.eq(lease_db), ir::updated_at.eq(now_db)))
                        .execute(conn)
                        .await?;
                    Ok(Decision::Claim(Claim::Fresh))
                })
                .await
                .map_err(db_error)?;
            match decision {
                Decision::Claim(claim) => return Ok(claim),
                Decision::Gone => continue,
            }
        }
        Err(RepositoryError::msg(
            "idempotency record kept disappearing while being claimed",
        ))
    }

    async fn complete(
        &self,
        client: &ClientId,
        key: &IdempotencyKey,
        response: &StoredResponse,
        now: Timestamp,
    ) -> Result<(), RepositoryError> {
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
        client: &ClientId,
        key: &IdempotencyKey,
    ) -> Result<(), RepositoryError> {
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

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, RepositoryError> {
        let cutoff = to_db_time(now);
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let mut total: u64 = 0;
        loop {
            let deleted = diesel::sql_query(format!(
                "DELETE FROM idempotency_record WHERE rowid IN \
                 (SELECT rowid FROM idempotency_record WHERE expires_at < ? LIMIT {PURGE_BATCH})"
            ))
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
}
