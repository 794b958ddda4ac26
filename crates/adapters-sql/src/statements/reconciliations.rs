//! The statements of `ReconciliationStore` (`reconciliation`, `reconciliation_item`, and the
//! day's own movements, which read `payment` and `payment_cancel`) and of `AcquirerLedger`
//! (`mock_acquirer_ledger`).

use time::PrimitiveDateTime;

use super::DatedPage;
use crate::{
    backend::{QueryFuture, SqlBackend},
    records::{ItemRow, KindCountRow, LedgerRow, OwnLineRow, ReconciliationRow},
};

/// One page of the captures of a day, by payment id. Binds: start, end, after (payment id),
/// limit.
pub const OWN_CAPTURE_PAGE: &str = "SELECT 0 AS seq, p.payment_id AS payment_id, \
            p.payment_key AS payment_key, p.client_id AS client_id, \
            p.transaction_id AS transaction_id, 'CAPTURE' AS line_type, p.amount AS amount, \
            p.completed_at AS at \
     FROM payment p \
     WHERE p.completed_at >= ? AND p.completed_at < ? AND p.payment_id > ? \
     ORDER BY p.payment_id LIMIT ?";

/// One page of the succeeded cancels of captured payments in a day, by cancel seq. Binds:
/// start, end, after (seq), limit.
pub const OWN_CANCEL_PAGE: &str = "SELECT c.seq AS seq, p.payment_id AS payment_id, \
            p.payment_key AS payment_key, p.client_id AS client_id, \
            c.acquirer_transaction_id AS transaction_id, 'CANCEL' AS line_type, \
            -c.amount AS amount, c.completed_at AS at \
     FROM payment_cancel c JOIN payment p ON p.payment_id = c.payment_id \
     WHERE c.status = 'SUCCEEDED' AND p.completed_at IS NOT NULL \
       AND c.completed_at >= ? AND c.completed_at < ? AND c.seq > ? \
     ORDER BY c.seq LIMIT ?";

/// The mock acquirer's entries of a day: captures, and cancels of payments it captured.
/// Binds: start, end.
pub const LEDGER_DAY: &str = "SELECT l.seq AS seq, l.transaction_id AS transaction_id, \
            l.payment_key AS payment_key, l.line_type AS line_type, l.amount AS amount, \
            l.payment_amount AS payment_amount, l.recorded_at AS recorded_at \
     FROM mock_acquirer_ledger l \
     WHERE l.recorded_at >= ? AND l.recorded_at < ? \
       AND (l.line_type = 'CAPTURE' OR EXISTS (SELECT 1 FROM mock_acquirer_ledger k \
            WHERE k.payment_key = l.payment_key AND k.line_type = 'CAPTURE')) \
     ORDER BY l.recorded_at, l.seq";

/// One method per statement of the reconciliation store and the mock acquirer's ledger.
pub trait ReconciliationStatements: SqlBackend {
    fn own_capture_page(
        conn: &mut Self::Conn,
        start: PrimitiveDateTime,
        end: PrimitiveDateTime,
        after: &str,
        limit: i64,
    ) -> impl QueryFuture<Vec<OwnLineRow>>;

    fn own_cancel_page(
        conn: &mut Self::Conn,
        start: PrimitiveDateTime,
        end: PrimitiveDateTime,
        after: i64,
        limit: i64,
    ) -> impl QueryFuture<Vec<OwnLineRow>>;

    fn insert_reconciliation(
        conn: &mut Self::Conn,
        row: &ReconciliationRow,
    ) -> impl QueryFuture<()>;

    fn insert_items(conn: &mut Self::Conn, rows: &[ItemRow]) -> impl QueryFuture<()>;

    fn find_reconciliation(
        conn: &mut Self::Conn,
        id: &str,
    ) -> impl QueryFuture<Option<ReconciliationRow>>;

    /// The reconciliations of `page`.
    fn list_reconciliations(
        conn: &mut Self::Conn,
        page: &DatedPage,
    ) -> impl QueryFuture<Vec<ReconciliationRow>>;

    /// The newest by creation (seq).
    fn latest_reconciliation(conn: &mut Self::Conn) -> impl QueryFuture<Option<ReconciliationRow>>;

    /// The discrepancies of reconciliation `id` counted by kind.
    fn kind_counts(conn: &mut Self::Conn, id: &str) -> impl QueryFuture<Vec<KindCountRow>>;

    /// The items of the reconciliations `ids`, by seq.
    fn items_of(conn: &mut Self::Conn, ids: &[String]) -> impl QueryFuture<Vec<ItemRow>>;

    fn insert_ledger(conn: &mut Self::Conn, row: &LedgerRow) -> impl QueryFuture<()>;

    fn find_ledger(
        conn: &mut Self::Conn,
        transaction_id: &str,
    ) -> impl QueryFuture<Option<LedgerRow>>;

    /// The amounts (negative) of the payment's cancels.
    fn ledger_cancels(conn: &mut Self::Conn, payment_key: &str) -> impl QueryFuture<Vec<i64>>;

    fn ledger_day(
        conn: &mut Self::Conn,
        start: PrimitiveDateTime,
        end: PrimitiveDateTime,
    ) -> impl QueryFuture<Vec<LedgerRow>>;
}

/// Expanded by [`sql_statements!`](crate::sql_statements).
#[doc(hidden)]
#[macro_export]
macro_rules! __reconciliation_statements {
    ($backend:ty, $insert:ident) => {
        impl ReconciliationStatements for $backend {
            async fn own_capture_page(
                conn: &mut Conn,
                start: PrimitiveDateTime,
                end: PrimitiveDateTime,
                after: &str,
                limit: i64,
            ) -> QueryResult<Vec<OwnLineRow>> {
                use diesel::sql_types::{BigInt, Text, Timestamp};
                diesel::sql_query($crate::statements::reconciliations::OWN_CAPTURE_PAGE)
                    .bind::<Timestamp, _>(start)
                    .bind::<Timestamp, _>(end)
                    .bind::<Text, _>(after)
                    .bind::<BigInt, _>(limit)
                    .load(conn)
                    .await
            }

            async fn own_cancel_page(
                conn: &mut Conn,
                start: PrimitiveDateTime,
                end: PrimitiveDateTime,
                after: i64,
                limit: i64,
            ) -> QueryResult<Vec<OwnLineRow>> {
                use diesel::sql_types::{BigInt, Timestamp};
                diesel::sql_query($crate::statements::reconciliations::OWN_CANCEL_PAGE)
                    .bind::<Timestamp, _>(start)
                    .bind::<Timestamp, _>(end)
                    .bind::<BigInt, _>(after)
                    .bind::<BigInt, _>(limit)
                    .load(conn)
                    .await
            }

            async fn insert_reconciliation(
                conn: &mut Conn,
                row: &ReconciliationRow,
            ) -> QueryResult<()> {
                insert(conn, reconciliation::table, row).await
            }

            async fn insert_items(conn: &mut Conn, rows: &[ItemRow]) -> QueryResult<()> {
                if rows.is_empty() {
                    return Ok(());
                }
                $crate::__insert_rows!($insert, many, conn, reconciliation_item::table, rows)
            }

            async fn find_reconciliation(
                conn: &mut Conn,
                id: &str,
            ) -> QueryResult<Option<ReconciliationRow>> {
                reconciliation::table
                    .filter(reconciliation::reconciliation_id.eq(id))
                    .select(ReconciliationRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn list_reconciliations(
                conn: &mut Conn,
                page: &DatedPage,
            ) -> QueryResult<Vec<ReconciliationRow>> {
                let query = reconciliation::table
                    .select(ReconciliationRow::as_select())
                    .into_boxed();
                $crate::__dated_page!(
                    query,
                    reconciliation::reconciliation_date,
                    reconciliation::seq,
                    page
                )
                .load(conn)
                .await
            }

            async fn latest_reconciliation(
                conn: &mut Conn,
            ) -> QueryResult<Option<ReconciliationRow>> {
                reconciliation::table
                    .order(reconciliation::seq.desc())
                    .select(ReconciliationRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn kind_counts(conn: &mut Conn, id: &str) -> QueryResult<Vec<KindCountRow>> {
                use diesel::sql_types::Text;
                diesel::sql_query(
                    "SELECT kind, COUNT(*) AS n FROM reconciliation_item \
                     WHERE reconciliation_id = ? GROUP BY kind",
                )
                .bind::<Text, _>(id)
                .load(conn)
                .await
            }

            async fn items_of(conn: &mut Conn, ids: &[String]) -> QueryResult<Vec<ItemRow>> {
                reconciliation_item::table
                    .filter(reconciliation_item::reconciliation_id.eq_any(ids))
                    .order(reconciliation_item::seq.asc())
                    .select(ItemRow::as_select())
                    .load(conn)
                    .await
            }

            async fn insert_ledger(conn: &mut Conn, row: &LedgerRow) -> QueryResult<()> {
                insert(conn, mock_acquirer_ledger::table, row).await
            }

            async fn find_ledger(
                conn: &mut Conn,
                transaction_id: &str,
            ) -> QueryResult<Option<LedgerRow>> {
                mock_acquirer_ledger::table
                    .filter(mock_acquirer_ledger::transaction_id.eq(transaction_id))
                    .select(LedgerRow::as_select())
                    .first(conn)
                    .await
                    .optional()
            }

            async fn ledger_cancels(conn: &mut Conn, payment_key: &str) -> QueryResult<Vec<i64>> {
                mock_acquirer_ledger::table
                    .filter(mock_acquirer_ledger::payment_key.eq(payment_key))
                    .filter(mock_acquirer_ledger::line_type.eq("CANCEL"))
                    .select(mock_acquirer_ledger::amount)
                    .load(conn)
                    .await
            }

            async fn ledger_day(
                conn: &mut Conn,
                start: PrimitiveDateTime,
                end: PrimitiveDateTime,
            ) -> QueryResult<Vec<LedgerRow>> {
                use diesel::sql_types::Timestamp;
                diesel::sql_query($crate::statements::reconciliations::LEDGER_DAY)
                    .bind::<Timestamp, _>(start)
                    .bind::<Timestamp, _>(end)
                    .load(conn)
                    .await
            }
        }
    };
}
