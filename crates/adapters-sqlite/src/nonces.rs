//! [`NonceStore`] on SQLite (`request_nonce`): replay memory shared by every instance.

use async_trait::async_trait;
use diesel::{ExpressionMethods, QueryDsl, dsl::sql, sql_types::Timestamp as SqlTimestamp};
use diesel_async::RunQueryDsl;
use domain::{
    RepositoryError, Timestamp,
    ids::{ClientId, Nonce},
    ports::{NonceOutcome, NonceStore},
};

use crate::{
    error::{db_error, is_unique_violation, pool_error},
    pool::Pool,
    rows::{NonceRow, to_db_time},
    schema::request_nonce,
};

/// Rows deleted per statement by [`SqliteNonceStore::purge_expired`], so a large backlog never
/// holds the write lock for long.
const PURGE_BATCH: usize = 1000;

#[derive(Clone)]
pub struct SqliteNonceStore {
    pool: Pool,
}

impl SqliteNonceStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl NonceStore for SqliteNonceStore {
    /// `INSERT`; the primary key `(client_id, nonce)` makes exactly one concurrent caller win.
    /// On a duplicate key the stored row may merely be expired and not yet purged: a single
    /// `UPDATE .. SET expires_at = ? WHERE client_id = ? AND nonce = ? AND expires_at <
    /// strftime('%Y-%m-%d %H:%M:%f', 'now')` takes it over. SQLite runs one write at a time, so
    /// a second caller's `UPDATE` sees the first one's new `expires_at`, matches nothing and
    /// gets `Replayed`. "Now" is the database's (the host's) clock, in UTC.
    async fn remember(
        &self,
        client: &ClientId,
        nonce: &Nonce,
        expires_at: Timestamp,
    ) -> Result<NonceOutcome, RepositoryError> {
        let row = NonceRow {
            client_id: client.as_str(),
            nonce: nonce.as_str(),
            expires_at: to_db_time(expires_at),
        };
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        match diesel::insert_into(request_nonce::table)
            .values(&row)
            .execute(&mut conn)
            .await
        {
            Ok(_) => Ok(NonceOutcome::Fresh),
            Err(e) if is_unique_violation(&e) => {
                let matched = diesel::update(
                    request_nonce::table
                        .find((row.client_id, row.nonce))
                        .filter(
                            request_nonce::expires_at
                                .lt(sql::<SqlTimestamp>("strftime('%Y-%m-%d %H:%M:%f', 'now')")),
                        ),
                )
                .set(request_nonce::expires_at.eq(row.expires_at))
                .execute(&mut conn)
                .await
                .map_err(db_error)?;
                Ok(if matched == 1 {
                    NonceOutcome::Fresh
                } else {
                    NonceOutcome::Replayed
                })
            }
            Err(e) => Err(db_error(e)),
        }
    }

    /// `DELETE .. WHERE rowid IN (SELECT .. WHERE expires_at < ? LIMIT 1000)` (SQLite has no `DELETE .. LIMIT`), repeated until a batch comes back short.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, RepositoryError> {
        let cutoff = to_db_time(now);
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let mut total: u64 = 0;
        loop {
            let deleted = diesel::sql_query(format!(
                "DELETE FROM request_nonce WHERE rowid IN \
                 (SELECT rowid FROM request_nonce WHERE expires_at < ? LIMIT {PURGE_BATCH})"
            ))
            .bind::<SqlTimestamp, _>(cutoff)
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
