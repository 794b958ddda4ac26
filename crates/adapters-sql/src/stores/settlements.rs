//! `SettlementStore` (`settlement_batch`, `settlement_line`, `settlement_run`), reading the
//! day's movements from `payment` and `payment_cancel`.

use async_trait::async_trait;
use diesel::result::Error as DieselError;
use domain::{
    RepositoryError, Timestamp,
    ids::ClientId,
    money::Currency,
    people::OperatorAuditEntry,
    ports::{PageRequest, SettlementFindings, SettlementStore},
    settlement::{
        BatchCreated, BatchPlan, BatchTotals, DayBounds, Movement, SettlementBatch, SettlementDate,
        SettlementFilter, SettlementId, SettlementLine,
    },
};

use super::{Settlements, SqlStore, audit_rows, dated_rows, db_error};
use crate::{
    backend::write_tx,
    error::{is_unique_violation, is_unique_violation_on},
    records::{BatchRow, LineRow, to_db_time, wide},
    statements::{
        Statements,
        settlement::{self as sql, MovementPage},
    },
};

/// Movements read, priced and written per round trip while a batch is made.
const PAGE: i64 = 1_000;

/// Why a batch's transaction stopped.
enum BatchTxError {
    Db(DieselError),
    /// A stored row failed to parse.
    Corrupt(RepositoryError),
}

impl From<DieselError> for BatchTxError {
    fn from(e: DieselError) -> Self {
        Self::Db(e)
    }
}

impl crate::retry::AsConflict for BatchTxError {
    fn is_conflict(&self) -> bool {
        match self {
            Self::Db(e) => e.is_conflict(),
            Self::Corrupt(_) => false,
        }
    }
}

/// Reads the unsettled movements of `plan` page by page (captures, then cancels), prices each
/// with the plan and writes its lines, summing them: the batch's whole transaction but the
/// header.
async fn write_lines<B: Statements>(
    conn: &mut B::Conn,
    plan: &BatchPlan,
) -> Result<BatchTotals, BatchTxError> {
    let page = MovementPage {
        client_id: plan.client_id.as_str(),
        currency: plan.currency.as_str(),
        start: to_db_time(plan.day.start),
        end: to_db_time(plan.day.end),
        limit: PAGE,
    };
    let mut totals = BatchTotals::default();
    let mut after_payment = String::new();
    loop {
        let rows = B::capture_page(conn, &page, &after_payment).await?;
        let Some(last) = rows.last() else { break };
        after_payment = last.payment_id.clone();
        let full = rows.len() as i64 == PAGE;
        write_page::<B>(conn, plan, rows, &mut totals).await?;
        if !full {
            break;
        }
    }
    let mut after_seq = 0;
    loop {
        let rows = B::cancel_page(conn, &page, after_seq).await?;
        let Some(last) = rows.last() else { break };
        after_seq = last.seq;
        let full = rows.len() as i64 == PAGE;
        write_page::<B>(conn, plan, rows, &mut totals).await?;
        if !full {
            break;
        }
    }
    Ok(totals)
}

async fn write_page<B: Statements>(
    conn: &mut B::Conn,
    plan: &BatchPlan,
    rows: Vec<crate::records::MovementRow>,
    totals: &mut BatchTotals,
) -> Result<(), BatchTxError> {
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        let movement = Movement::try_from(row).map_err(BatchTxError::Corrupt)?;
        let line = plan.line(&movement);
        totals.add(&line);
        lines.push(LineRow::new(&plan.id, movement.settlement_key(), &line));
    }
    B::insert_lines(conn, &lines).await?;
    Ok(())
}

#[async_trait]
impl<B: Statements> SettlementStore for SqlStore<B, Settlements> {
    async fn unsettled(
        &self,
        day: &DayBounds,
    ) -> Result<Vec<(ClientId, Currency)>, RepositoryError> {
        let (start, end) = (to_db_time(day.start), to_db_time(day.end));
        self.run(async |conn| B::unsettled_pairs(conn, start, end).await)
            .await?
            .into_iter()
            .map(crate::records::PairRow::parse)
            .collect()
    }

    /// One write transaction: the header (with zero totals; its unique key on merchant,
    /// currency and date makes a concurrent run's twin `AlreadyExists`), the lines in pages of
    /// [`PAGE`], then the totals. Nothing to settle rolls back (`Empty`). A conflict the
    /// database reports runs the transaction again (it then finds the twin, or nothing left).
    async fn create_batch(&self, plan: &BatchPlan) -> Result<BatchCreated, RepositoryError> {
        let header = BatchRow::from(&plan.batch(BatchTotals::default()));
        let mut conn = self.conn().await?;
        let outcome = crate::retrying!(
            write_tx::<B, _, BatchTxError>(&mut conn, async |conn| {
                B::insert_batch(conn, &header).await?;
                let totals = write_lines::<B>(conn, plan).await?;
                if totals.line_count == 0 {
                    // Rolled back by write_tx: an empty batch is never stored.
                    return Err(BatchTxError::Db(DieselError::RollbackTransaction));
                }
                let batch = plan.batch(totals);
                B::set_totals(conn, &BatchRow::from(&batch)).await?;
                Ok(batch)
            })
            .await
        );
        match outcome {
            Ok(batch) => Ok(BatchCreated::Created(batch)),
            Err(BatchTxError::Db(DieselError::RollbackTransaction)) => Ok(BatchCreated::Empty),
            Err(BatchTxError::Db(e)) if is_unique_violation_on(&e, B::UQ_SETTLEMENT_BATCH_DAY) => {
                Ok(BatchCreated::AlreadyExists)
            }
            Err(BatchTxError::Db(e)) => Err(db_error::<B>(e)),
            Err(BatchTxError::Corrupt(e)) => Err(e),
        }
    }

    /// One transaction: the run row finished (inserted when the date was never claimed) and
    /// the audit rows.
    async fn finish_run(
        &self,
        date: SettlementDate,
        now: Timestamp,
        audit: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError> {
        let date = date.to_string();
        let now = to_db_time(now);
        let finish = async move |conn: &mut B::Conn| {
            if B::finish_run(conn, &date, now).await? == 0 {
                match B::insert_run(conn, &date, None, None, Some(now)).await {
                    Err(e) if is_unique_violation(&e) => {}
                    other => other?,
                }
            }
            Ok(())
        };
        self.insert_audited(&audit_rows(audit), finish, db_error::<B>)
            .await
    }

    /// An `INSERT` of the claim; on a duplicate key, a take-over of a lapsed, unfinished claim.
    async fn claim_run(
        &self,
        date: SettlementDate,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool, RepositoryError> {
        let date = date.to_string();
        let (now, until) = (to_db_time(now), to_db_time(until));
        self.run(async |conn| {
            match B::insert_run(conn, &date, Some(holder), Some(until), None).await {
                Ok(()) => Ok(true),
                Err(e) if is_unique_violation(&e) => {
                    Ok(B::take_over_run(conn, &date, holder, now, until).await? == 1)
                }
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn finished_runs(
        &self,
        from: SettlementDate,
        to: SettlementDate,
    ) -> Result<Vec<SettlementDate>, RepositoryError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.run(async |conn| B::finished_runs(conn, &from, &to).await)
            .await?
            .into_iter()
            .map(|d| {
                SettlementDate::parse(&d).map_err(|e| {
                    crate::error::corrupt("settlement_run", &d, format_args!("settlement_date {e}"))
                })
            })
            .collect()
    }

    async fn list(
        &self,
        filter: &SettlementFilter,
        page: &PageRequest<SettlementId>,
    ) -> Result<Vec<SettlementBatch>, RepositoryError> {
        let client = filter.client_id.as_ref().map(ClientId::as_str);
        let cursor = (
            async |conn: &mut B::Conn, id: &SettlementId| B::find_batch(conn, id.as_str()).await,
            |row: BatchRow| (row.settlement_date, row.seq),
        );
        let mut conn = self.conn().await?;
        dated_rows::<B, _, _>(
            &mut conn,
            (filter.from, filter.to),
            page,
            cursor,
            async |conn, page| B::list_batches(conn, client, page).await,
        )
        .await?
        .into_iter()
        .map(SettlementBatch::try_from)
        .collect()
    }

    async fn find(&self, id: &SettlementId) -> Result<Option<SettlementBatch>, RepositoryError> {
        self.run(async |conn| B::find_batch(conn, id.as_str()).await)
            .await?
            .map(SettlementBatch::try_from)
            .transpose()
    }

    async fn lines(
        &self,
        id: &SettlementId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<SettlementLine>, RepositoryError> {
        self.run(async |conn| {
            B::batch_lines(conn, id.as_str(), wide(after), i64::from(limit)).await
        })
        .await?
        .into_iter()
        .map(SettlementLine::try_from)
        .collect()
    }

    async fn check(
        &self,
        runs: &[(SettlementDate, DayBounds)],
    ) -> Result<SettlementFindings, RepositoryError> {
        let mut findings = SettlementFindings::default();
        let mut conn = self.conn().await?;
        let conn = &mut *conn;
        for (date, day) in runs {
            let (start, end) = (to_db_time(day.start), to_db_time(day.end));
            let date = date.to_string();
            let unsettled = B::findings(
                conn,
                &sql::unsettled_in_day(),
                None,
                &[start, end, start, end],
            )
            .await
            .map_err(db_error::<B>)?;
            findings
                .unsettled
                .extend(unsettled.into_iter().map(|r| (r.payment_key, r.settles)));
            let outside = B::findings(conn, sql::LINES_OUTSIDE_DAY, Some(&date), &[start, end])
                .await
                .map_err(db_error::<B>)?;
            findings
                .mismatched
                .extend(outside.into_iter().map(|r| r.settles));
        }
        let mismatched = B::findings(conn, sql::MISMATCHED_LINES, None, &[])
            .await
            .map_err(db_error::<B>)?;
        findings
            .mismatched
            .extend(mismatched.into_iter().map(|r| r.settles));
        for row in B::findings(conn, sql::WRONG_TOTALS, None, &[])
            .await
            .map_err(db_error::<B>)?
        {
            findings
                .wrong_totals
                .push(SettlementId::parse(&row.settles).map_err(|e| {
                    crate::error::corrupt("settlement_batch", &row.settles, format_args!("{e}"))
                })?);
        }
        Ok(findings)
    }
}
