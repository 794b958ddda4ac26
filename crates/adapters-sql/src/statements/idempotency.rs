//! The statements of `IdempotencyStore` (`idempotency_record`).

use domain::idempotency::StoredResponse;
use time::PrimitiveDateTime;

use crate::{
    backend::{QueryFuture, SqlBackend},
    records::IdempotencyRow,
};

/// A claim of `(client, key)` as written: IN_FLIGHT, leased until `lease_until`.
#[derive(Debug, Clone, Copy)]
pub struct NewClaim<'a> {
    pub client: &'a str,
    pub key: &'a str,
    pub fingerprint: &'a str,
    pub lease_until: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
    pub now: PrimitiveDateTime,
}

/// One method per statement on `idempotency_record`.
pub trait IdempotencyStatements: SqlBackend {
    /// A plain `INSERT` of a fresh IN_FLIGHT row.
    fn insert_claim(conn: &mut Self::Conn, claim: &NewClaim<'_>) -> impl QueryFuture<()>;

    /// Re-reads the row of `(client, key)` with the dialect's row lock.
    fn lock_claim(
        conn: &mut Self::Conn,
        client: &str,
        key: &str,
    ) -> impl QueryFuture<Option<IdempotencyRow>>;

    /// Overwrites the row as a fresh claim (the stored response cleared).
    fn replace_claim(conn: &mut Self::Conn, claim: &NewClaim<'_>) -> impl QueryFuture<()>;

    /// Extends an abandoned lease: `lease_until` and `updated_at` only.
    fn take_over_lease(conn: &mut Self::Conn, claim: &NewClaim<'_>) -> impl QueryFuture<()>;

    /// Stores the response: COMPLETED.
    fn complete_claim(
        conn: &mut Self::Conn,
        client: &str,
        key: &str,
        response: &StoredResponse,
        now: PrimitiveDateTime,
    ) -> impl QueryFuture<()>;

    /// Deletes the row if it is still IN_FLIGHT.
    fn release_claim(conn: &mut Self::Conn, client: &str, key: &str) -> impl QueryFuture<()>;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __idempotency_statements {
    ($backend:ty, ($($lock_row:tt)*)) => {
        impl IdempotencyStatements for $backend {
            async fn insert_claim(conn: &mut Conn, claim: &NewClaim<'_>) -> QueryResult<()> {
                use idempotency_record as ir;
                let row = (
                    ir::client_id.eq(claim.client),
                    ir::idempotency_key.eq(claim.key),
                    ir::fingerprint.eq(claim.fingerprint),
                    ir::state.eq(IN_FLIGHT),
                    ir::lease_until.eq(claim.lease_until),
                    ir::expires_at.eq(claim.expires_at),
                    ir::created_at.eq(claim.now),
                    ir::updated_at.eq(claim.now),
                );
                insert(conn, ir::table, row).await
            }

            async fn lock_claim(
                conn: &mut Conn,
                client: &str,
                key: &str,
            ) -> QueryResult<Option<IdempotencyRow>> {
                idempotency_record::table
                    .find((client, key))
                    .select(IdempotencyRow::as_select())
                    $($lock_row)*
                    .first(conn)
                    .await
                    .optional()
            }

            async fn replace_claim(conn: &mut Conn, claim: &NewClaim<'_>) -> QueryResult<()> {
                use idempotency_record as ir;
                diesel::update(ir::table.find((claim.client, claim.key)))
                    .set((
                        ir::fingerprint.eq(claim.fingerprint),
                        ir::state.eq(IN_FLIGHT),
                        ir::response_status.eq(None::<i64>),
                        ir::response_content_type.eq(None::<String>),
                        ir::response_location.eq(None::<String>),
                        ir::response_body.eq(None::<Vec<u8>>),
                        ir::lease_until.eq(claim.lease_until),
                        ir::expires_at.eq(claim.expires_at),
                        ir::created_at.eq(claim.now),
                        ir::updated_at.eq(claim.now),
                    ))
                    .execute(conn)
                    .await?;
                Ok(())
            }

            async fn take_over_lease(conn: &mut Conn, claim: &NewClaim<'_>) -> QueryResult<()> {
                use idempotency_record as ir;
                diesel::update(ir::table.find((claim.client, claim.key)))
                    .set((ir::lease_until.eq(claim.lease_until), ir::updated_at.eq(claim.now)))
                    .execute(conn)
                    .await?;
                Ok(())
            }

            async fn complete_claim(
                conn: &mut Conn,
                client: &str,
                key: &str,
                response: &domain::idempotency::StoredResponse,
                now: PrimitiveDateTime,
            ) -> QueryResult<()> {
                use idempotency_record as ir;
                diesel::update(ir::table.find((client, key)))
                    .set((
                        ir::state.eq(COMPLETED),
                        ir::response_status.eq(Some(i64::from(response.status))),
                        ir::response_content_type.eq(response.content_type.as_deref()),
                        ir::response_location.eq(response.location.as_deref()),
                        ir::response_body.eq(Some(response.body.as_slice())),
                        ir::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                Ok(())
            }

            async fn release_claim(conn: &mut Conn, client: &str, key: &str) -> QueryResult<()> {
                use idempotency_record as ir;
                diesel::delete(ir::table.find((client, key)).filter(ir::state.eq(IN_FLIGHT)))
                    .execute(conn)
                    .await?;
                Ok(())
            }
        }
    };
}
