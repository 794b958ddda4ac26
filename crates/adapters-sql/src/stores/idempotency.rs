//! `IdempotencyStore` (`idempotency_record`).

use std::time::Duration;

use async_trait::async_trait;
use domain::{
    RepositoryError, Timestamp,
    idempotency::{Claim, Fingerprint, IdempotencyKey, IdempotencyStore, StoredResponse},
    ids::ClientId,
};

use super::{Idempotency, SqlStore, db_error};
use crate::{
    backend::write_tx,
    decisions::{Retake, retake},
    error::is_unique_violation,
    records::to_db_time,
    statements::NewClaim,
    statements::Statements,
};

/// How often a claim starts over when the row it collided with vanished (purged) meanwhile.
const CLAIM_ROUNDS: usize = 3;

#[async_trait]
impl<B: Statements> IdempotencyStore for SqlStore<B, Idempotency> {
    /// An autocommit `INSERT` wins a free key. On a duplicate, a short write transaction
    /// re-reads the row (MySQL: `FOR UPDATE`; SQLite: `BEGIN IMMEDIATE` already holds the write
    /// lock) and decides (`decisions::retake`) — replace if expired, mismatch, replay, in
    /// flight, or take over an abandoned lease. The insert and the locking read are separate
    /// statements so two claimers never deadlock on the shared lock a duplicate-key error leaves
    /// behind (MySQL).
    async fn claim(
        &self,
        client: &ClientId,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
        now: Timestamp,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, RepositoryError> {
        let claim = NewClaim {
            client: client.as_str(),
            key: key.as_str(),
            fingerprint: fingerprint.as_str(),
            lease_until: to_db_time(now.plus(lease)),
            expires_at: to_db_time(now.plus(ttl)),
            now: to_db_time(now),
        };
        let mut conn = self.conn().await?;
        for _ in 0..CLAIM_ROUNDS {
            match crate::retrying!(B::insert_claim(&mut conn, &claim).await) {
                Ok(()) => return Ok(Claim::Fresh),
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => return Err(db_error::<B>(e)),
            }
            // `None`: the row vanished (purged) between the insert and the read.
            let decided = crate::retrying!(
                write_tx::<B, _, diesel::result::Error>(&mut conn, async |conn| {
                    let Some(row) = B::lock_claim(conn, claim.client, claim.key).await? else {
                        return Ok(None);
                    };
                    match retake(row, claim.fingerprint, claim.now) {
                        Retake::Replace => {
                            B::replace_claim(conn, &claim).await?;
                            Ok(Some(Claim::Fresh))
                        }
                        Retake::TakeOverLease => {
                            B::take_over_lease(conn, &claim).await?;
                            Ok(Some(Claim::Fresh))
                        }
                        Retake::Answer(answer) => Ok(Some(answer)),
                    }
                })
                .await
            )
            .map_err(db_error::<B>)?;
            if let Some(decided) = decided {
                return Ok(decided);
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
        let (client, key, now) = (client.as_str(), key.as_str(), to_db_time(now));
        let mut conn = self.conn().await?;
        crate::retrying!(B::complete_claim(&mut conn, client, key, response, now).await)
            .map_err(db_error::<B>)
    }

    async fn release(
        &self,
        client: &ClientId,
        key: &IdempotencyKey,
    ) -> Result<(), RepositoryError> {
        let mut conn = self.conn().await?;
        crate::retrying!(B::release_claim(&mut conn, client.as_str(), key.as_str()).await)
            .map_err(db_error::<B>)
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, RepositoryError> {
        self.purge_expired_rows("idempotency_record", now).await
    }
}
