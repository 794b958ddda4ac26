//! `SessionStore` (`operator_session`, with its rows of `operator_audit`).

use async_trait::async_trait;
use domain::{
    RepositoryError, Timestamp,
    people::{OperatorAuditEntry, Session, SessionTokenHash, UserId},
    ports::SessionStore,
};

use super::{Sessions, SqlStore, db_error};
use crate::{
    records::{NewOperatorAuditRow, SessionRow, to_db_time, user_key},
    statements::{SessionsOf, Statements},
};

#[async_trait]
impl<B: Statements> SessionStore for SqlStore<B, Sessions> {
    /// One transaction: the session, then its audit row. A session of an unknown user (foreign
    /// key) or a reused token hash is a repository error and writes nothing.
    async fn insert(
        &self,
        session: &Session,
        audit: &OperatorAuditEntry,
    ) -> Result<(), RepositoryError> {
        let row = SessionRow::from(session);
        let audit = [NewOperatorAuditRow::from(audit)];
        let insert = async move |conn: &mut B::Conn| B::insert_session(conn, &row).await;
        self.insert_audited(&audit, insert, db_error::<B>).await
    }

    async fn find(&self, hash: &SessionTokenHash) -> Result<Option<Session>, RepositoryError> {
        let row = self
            .run(async |conn| B::find_session(conn, hash.as_str()).await)
            .await?;
        row.map(Session::try_from).transpose()
    }

    /// One autocommit `UPDATE … WHERE last_seen_at < at`: a use reported late (or by a slower
    /// instance) never moves `last_seen_at` back, and an unknown hash changes nothing.
    async fn touch(&self, hash: &SessionTokenHash, at: Timestamp) -> Result<(), RepositoryError> {
        let at = to_db_time(at);
        let mut conn = self.conn().await?;
        crate::retrying!(B::touch_session(&mut conn, hash.as_str(), at).await)
            .map_err(db_error::<B>)?;
        Ok(())
    }

    /// One transaction: `UPDATE … SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS
    /// NULL`, then the audit row only if it matched. Two concurrent revocations of one session
    /// (a double logout) write one audit row between them.
    async fn revoke(
        &self,
        hash: &SessionTokenHash,
        at: Timestamp,
        audit: &OperatorAuditEntry,
    ) -> Result<bool, RepositoryError> {
        let at = to_db_time(at);
        let audit = [NewOperatorAuditRow::from(audit)];
        let hash = hash.as_str().to_owned();
        let revoke = async move |conn: &mut B::Conn| {
            Ok(B::revoke_sessions(conn, SessionsOf::Token(&hash), at).await? != 0)
        };
        self.write_audited(&audit, revoke, db_error::<B>).await
    }

    /// One autocommit `UPDATE` of the user's unrevoked sessions (served by the `(user_id,
    /// revoked_at)` index).
    async fn revoke_all_of(&self, user: &UserId, at: Timestamp) -> Result<u64, RepositoryError> {
        let user = user_key(user);
        let at = to_db_time(at);
        let mut conn = self.conn().await?;
        let n = crate::retrying!(B::revoke_sessions(&mut conn, SessionsOf::User(&user), at).await)
            .map_err(db_error::<B>)?;
        Ok(n as u64)
    }

    /// One autocommit `DELETE … WHERE created_at < ? OR revoked_at < ?`: sessions are few (one
    /// per person logged in), so a single statement suffices where the nonce and idempotency
    /// purges work in batches.
    async fn purge(&self, started_before: Timestamp) -> Result<u64, RepositoryError> {
        let before = to_db_time(started_before);
        let mut conn = self.conn().await?;
        let n =
            crate::retrying!(B::purge_sessions(&mut conn, before).await).map_err(db_error::<B>)?;
        Ok(n as u64)
    }
}
