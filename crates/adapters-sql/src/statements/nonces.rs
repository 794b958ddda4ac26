//! The statements of `NonceStore` (`request_nonce`) and the batched purge of expired rows.

use time::PrimitiveDateTime;

use crate::{
    backend::{QueryFuture, SqlBackend},
    records::NonceRow,
};

/// One method per statement on `request_nonce`, plus the purge batch the idempotency store
/// shares.
pub trait NonceStatements: SqlBackend {
    /// A plain `INSERT` (a duplicate key is the caller's to decide).
    fn insert_nonce(conn: &mut Self::Conn, row: &NonceRow<'_>) -> impl QueryFuture<()>;

    /// `UPDATE request_nonce SET expires_at = ? WHERE client_id = ? AND nonce = ? AND
    /// expires_at < <the database's now>` (`Dialect::NOW`); the number of matched rows.
    fn renew_expired_nonce(conn: &mut Self::Conn, row: &NonceRow<'_>) -> impl QueryFuture<usize>;

    /// One `Dialect::delete_expired_batch` statement with `cutoff` bound; the rows deleted.
    fn delete_expired(
        conn: &mut Self::Conn,
        statement: &str,
        cutoff: PrimitiveDateTime,
    ) -> impl QueryFuture<usize>;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __nonce_statements {
    ($backend:ty) => {
        impl NonceStatements for $backend {
            async fn insert_nonce(conn: &mut Conn, row: &NonceRow<'_>) -> QueryResult<()> {
                insert(conn, request_nonce::table, row).await
            }

            async fn renew_expired_nonce(
                conn: &mut Conn,
                row: &NonceRow<'_>,
            ) -> QueryResult<usize> {
                use $crate::Dialect as _;
                let now = diesel::dsl::sql::<diesel::sql_types::Timestamp>(<$backend>::NOW);
                diesel::update(
                    request_nonce::table
                        .find((row.client_id, row.nonce))
                        .filter(request_nonce::expires_at.lt(now)),
                )
                .set(request_nonce::expires_at.eq(row.expires_at))
                .execute(conn)
                .await
            }

            async fn delete_expired(
                conn: &mut Conn,
                statement: &str,
                cutoff: PrimitiveDateTime,
            ) -> QueryResult<usize> {
                diesel::sql_query(statement)
                    .bind::<diesel::sql_types::Timestamp, _>(cutoff)
                    .execute(conn)
                    .await
            }
        }
    };
}
