//! `ReconciliationStore` (`reconciliation`, `reconciliation_item`, reading the day's movements
//! from `payment` and `payment_cancel`) and `AcquirerLedger` (`mock_acquirer_ledger`).

use async_trait::async_trait;
use domain::{
    RepositoryError,
    ids::{PaymentKey, TransactionId},
    people::OperatorAuditEntry,
    ports::{AcquirerLedger, LedgerEntry, OwnLineCursor, PageRequest, ReconciliationStore},
    reconciliation::{
        OwnLine, Reconciliation, ReconciliationFilter, ReconciliationId, ReconciliationSummary,
    },
    settlement::DayBounds,
};

use super::{Ledger, Reconciliations, SqlStore, audit_rows, dated_rows, db_error, with_children};
use crate::{
    error::is_unique_violation,
    records::{ItemRow, LedgerRow, ReconciliationRow, to_db_time},
    statements::Statements,
};

/// Rows read with their items: the items of every row in one query, then grouped.
async fn with_items<B: Statements>(
    conn: &mut B::Conn,
    rows: Vec<ReconciliationRow>,
) -> Result<Vec<Reconciliation>, RepositoryError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.reconciliation_id.clone()).collect();
    let items = B::items_of(conn, &ids).await.map_err(db_error::<B>)?;
    with_children(rows, items, ReconciliationRow::with_items)
}

#[async_trait]
impl<B: Statements> ReconciliationStore for SqlStore<B, Reconciliations> {
    /// Captures first, in payment id order, then cancels in cancel order; each page one
    /// statement (autocommit: a reconciliation reads, it holds nothing).
    async fn own_lines(
        &self,
        day: &DayBounds,
        cursor: &OwnLineCursor,
        limit: u32,
    ) -> Result<(Vec<OwnLine>, Option<OwnLineCursor>), RepositoryError> {
        let (start, end) = (to_db_time(day.start), to_db_time(day.end));
        let page = i64::from(limit);
        let mut next = cursor.clone();
        let rows = if cursor.captures_done {
            let after = cursor.after_cancel.unwrap_or(0);
            let rows = self
                .run(async |conn| B::own_cancel_page(conn, start, end, after, page).await)
                .await?;
            next.after_cancel = rows.last().map(|r| r.seq).or(next.after_cancel);
            rows
        } else {
            let after = cursor.after_capture.clone().unwrap_or_default();
            let rows = self
                .run(async |conn| B::own_capture_page(conn, start, end, &after, page).await)
                .await?;
            next.after_capture = rows
                .last()
                .map(|r| r.payment_id.clone())
                .or(next.after_capture);
            rows
        };
        let full = rows.len() as i64 == page;
        let lines = rows
            .into_iter()
            .map(OwnLine::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match (full, cursor.captures_done) {
            (true, _) => Some(next),
            // The captures are done: the cancels follow from the start.
            (false, false) => Some(OwnLineCursor {
                captures_done: true,
                ..next
            }),
            (false, true) => None,
        };
        Ok((lines, next))
    }

    async fn save(
        &self,
        reconciliation: &Reconciliation,
        audit: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError> {
        let header = ReconciliationRow::from(reconciliation);
        let items: Vec<ItemRow> = reconciliation
            .discrepancies
            .iter()
            .map(|d| ItemRow::new(&reconciliation.id, d))
            .collect();
        let insert = async move |conn: &mut B::Conn| {
            B::insert_reconciliation(conn, &header).await?;
            for chunk in items.chunks(500) {
                B::insert_items(conn, chunk).await?;
            }
            Ok(())
        };
        self.insert_audited(&audit_rows(audit), insert, db_error::<B>)
            .await
    }

    async fn list(
        &self,
        filter: &ReconciliationFilter,
        page: &PageRequest<ReconciliationId>,
    ) -> Result<Vec<Reconciliation>, RepositoryError> {
        let cursor = (
            async |conn: &mut B::Conn, id: &ReconciliationId| {
                B::find_reconciliation(conn, id.as_str()).await
            },
            |row: ReconciliationRow| (row.reconciliation_date, row.seq),
        );
        let mut conn = self.conn().await?;
        let rows = dated_rows::<B, _, _>(
            &mut conn,
            (filter.from, filter.to),
            page,
            cursor,
            async |conn, page| B::list_reconciliations(conn, page).await,
        )
        .await?;
        with_items::<B>(&mut conn, rows).await
    }

    async fn find(&self, id: &ReconciliationId) -> Result<Option<Reconciliation>, RepositoryError> {
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        let row = B::find_reconciliation(conn, id.as_str())
            .await
            .map_err(db_error::<B>)?;
        Ok(with_items::<B>(conn, row.into_iter().collect())
            .await?
            .pop())
    }

    async fn latest(&self) -> Result<Option<ReconciliationSummary>, RepositoryError> {
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        let Some(row) = B::latest_reconciliation(conn)
            .await
            .map_err(db_error::<B>)?
        else {
            return Ok(None);
        };
        let counts = B::kind_counts(conn, &row.reconciliation_id)
            .await
            .map_err(db_error::<B>)?;
        row.summary(counts).map(Some)
    }
}

#[async_trait]
impl<B: Statements> AcquirerLedger for SqlStore<B, Ledger> {
    /// One `INSERT`; the unique transaction id makes a repeat record nothing.
    async fn record(&self, entry: &LedgerEntry) -> Result<bool, RepositoryError> {
        let row = LedgerRow::from(entry);
        self.run(async |conn| match B::insert_ledger(conn, &row).await {
            Ok(()) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e),
        })
        .await
    }

    async fn find(
        &self,
        transaction_id: &TransactionId,
    ) -> Result<Option<LedgerEntry>, RepositoryError> {
        self.run(async |conn| B::find_ledger(conn, transaction_id.as_str()).await)
            .await?
            .map(LedgerEntry::try_from)
            .transpose()
    }

    async fn canceled(&self, payment_key: &PaymentKey) -> Result<i64, RepositoryError> {
        let key = payment_key.to_string();
        let amounts = self
            .run(async |conn| B::ledger_cancels(conn, &key).await)
            .await?;
        Ok(amounts.into_iter().map(|a| -a).sum())
    }

    async fn entries(&self, day: &DayBounds) -> Result<Vec<LedgerEntry>, RepositoryError> {
        let (start, end) = (to_db_time(day.start), to_db_time(day.end));
        self.run(async |conn| B::ledger_day(conn, start, end).await)
            .await?
            .into_iter()
            .map(LedgerEntry::try_from)
            .collect()
    }
}
