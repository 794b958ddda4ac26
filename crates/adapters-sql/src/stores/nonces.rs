//! `NonceStore` (`request_nonce`): replay memory shared by every instance, and the batched purge
//! of expired rows the idempotency store uses too.

use async_trait::async_trait;
use diesel::QueryResult;
use domain::{
    RepositoryError, Timestamp,
    ids::{ClientId, Nonce},
    ports::{NonceOutcome, NonceStore},
};

use super::{Nonces, SqlStore, db_error};
use crate::{
    backend::ConnectionPool,
    decisions::PURGE_BATCH,
    error::is_unique_violation,
    records::{NonceRow, to_db_time},
    statements::NonceStatements,
    statements::Statements,
};

impl<B: ConnectionPool, P> SqlStore<B, P> {
    /// `Dialect::delete_expired_batch` of `table` (`expires_at < now`), repeated until a batch
    /// comes back short, so a large backlog never holds locks (or grows the undo log) for long.
    pub(super) async fn purge_expired_rows(
        &self,
        table: &str,
        now: Timestamp,
    ) -> Result<u64, RepositoryError>
    where
        B: NonceStatements,
    {
        let cutoff = to_db_time(now);
        let statement = B::delete_expired_batch(table, PURGE_BATCH);
        let mut conn = self.conn().await?;
        let mut total: u64 = 0;
        loop {
            let deleted = crate::retrying!(B::delete_expired(&mut conn, &statement, cutoff).await)
                .map_err(db_error::<B>)?;
            total = total.saturating_add(deleted as u64);
            if deleted < PURGE_BATCH {
                return Ok(total);
            }
        }
    }
}

/// `INSERT`; the primary key `(client_id, nonce)` makes exactly one concurrent caller win. On a
/// duplicate key the stored row may merely be expired and not yet purged: a single `UPDATE ..
/// SET expires_at = ? WHERE client_id = ? AND nonce = ? AND expires_at < <the database's now>`
/// takes it over. That is atomic too (MySQL's row lock; SQLite's single writer): a second caller
/// re-reads the row after the first commits, sees the new `expires_at`, matches nothing and gets
/// `Replayed`. "Now" is the database's clock (`Dialect::NOW`), the one reference every instance
/// shares.
///
/// Always outside a transaction (autocommit): by `NonceStore::remember`, and by
/// `PaymentStore::insert` when its in-transaction `INSERT` of the nonce found the row. Inside
/// one, the shared lock a duplicate-key error leaves on the row would be held while the `UPDATE`
/// asks for an exclusive one: concurrent replays would deadlock.
pub(super) async fn record_nonce<B: NonceStatements>(
    conn: &mut B::Conn,
    row: &NonceRow<'_>,
) -> QueryResult<NonceOutcome> {
    match B::insert_nonce(conn, row).await {
        Ok(()) => Ok(NonceOutcome::Fresh),
        Err(e) if is_unique_violation(&e) => {
            let matched = B::renew_expired_nonce(conn, row).await?;
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
impl<B: Statements> NonceStore for SqlStore<B, Nonces> {
    /// `record_nonce` on its own connection, outside any transaction.
    async fn remember(
        &self,
        client: &ClientId,
        nonce: &Nonce,
        expires_at: Timestamp,
    ) -> Result<NonceOutcome, RepositoryError> {
        let row = NonceRow::new(client, nonce, expires_at);
        let mut conn = self.conn().await?;
        crate::retrying!(record_nonce::<B>(&mut conn, &row).await).map_err(db_error::<B>)
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, RepositoryError> {
        self.purge_expired_rows("request_nonce", now).await
    }
}
