//! Reconciling a day against the acquirer's settlement file, and reading reconciliations
//! (api.md §12.3), decided by the principal (§10). The matching is `crate::reconciliation`'s.

use std::sync::Arc;

use crate::{
    RepositoryError,
    people::{Action, AuditOutcome, Guarded, OperatorAuditEntry, Principal, RequestOrigin},
    ports::{
        AcquirerFileError, AcquirerFiles, Clock, KeyGenerator, OwnLineCursor, ReconciliationStore,
    },
    reconciliation::{Matcher, Reconciliation, ReconciliationFilter, ReconciliationId},
    service_struct::service_struct,
    services::{Limit, Page},
    settlement::{Calendar, SettlementDate},
};

/// The operator audit action of a reconciliation.
pub const RECONCILE_ACTION: &str = "RECONCILE";
/// The operator audit action of each discrepancy a reconciliation found (outcome `FAILURE`,
/// target `{paymentKey} {KIND} {reconciliationId}`).
pub const DISCREPANCY_ACTION: &str = "RECONCILIATION_DISCREPANCY";

/// SimplePG's own lines read per round trip.
const PAGE: u32 = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum ReconciliationError {
    /// The date has not begun yet in the settlement time zone: there is nothing to compare.
    #[error("{0} has not begun yet in the settlement time zone")]
    DateInFuture(SettlementDate),
    /// No such reconciliation (404).
    #[error("reconciliation {0} not found")]
    NotFound(ReconciliationId),
    /// The acquirer's file could not be had (502): nothing was stored.
    #[error(transparent)]
    Acquirer(#[from] AcquirerFileError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

service_struct! {
    pub struct ReconciliationService {
        store: Arc<dyn ReconciliationStore>,
        files: Arc<dyn AcquirerFiles>,
        keys: Arc<dyn KeyGenerator>,
        clock: Arc<dyn Clock>,
        calendar: Arc<dyn Calendar>,
    }
    pub fn new;
}

impl ReconciliationService {
    /// Reconciles `date` for `by` (ADMIN; the CLI): fetches the acquirer's file (no
    /// transaction open), streams SimplePG's own movements of the day through the matcher, and
    /// stores the result with a `RECONCILE` audit row and one `RECONCILIATION_DISCREPANCY` row
    /// per discrepancy, in one transaction. Every run is stored as a new reconciliation: a day
    /// may be reconciled again (today's, while it goes on; a past day, after a correction).
    pub async fn run(
        &self,
        by: &Principal,
        date: SettlementDate,
        from: &RequestOrigin,
    ) -> Result<Reconciliation, Guarded<ReconciliationError>> {
        by.may(Action::Reconcile, None)
            .map_err(|_| Guarded::Forbidden)?;
        let now = self.clock.now();
        if date > self.calendar.date_of(now) {
            return Err(ReconciliationError::DateInFuture(date).into());
        }
        let day = self.calendar.day(date);
        let file = self
            .files
            .settlement_file(date)
            .await
            .map_err(ReconciliationError::from)?;
        let mut matcher = Matcher::new(file);
        let mut cursor = OwnLineCursor::default();
        loop {
            let (lines, next) = self
                .store
                .own_lines(&day, &cursor, PAGE)
                .await
                .map_err(ReconciliationError::from)?;
            for line in lines {
                matcher.offer(line);
            }
            match next {
                Some(next) => cursor = next,
                None => break,
            }
        }
        let outcome = matcher.finish();
        let reconciliation = Reconciliation {
            id: self.keys.reconciliation_id(),
            date,
            matched: outcome.matched,
            discrepancies: outcome.discrepancies,
            created_at: now,
            created_by: by.actor_label().to_owned(),
        };
        let mut audit = vec![OperatorAuditEntry::success(
            by,
            RECONCILE_ACTION,
            Some(format!(
                "{} {} {}",
                reconciliation.id,
                date,
                reconciliation.status()
            )),
            from,
            now,
        )];
        audit.extend(reconciliation.discrepancies.iter().map(|d| {
            let mut row = OperatorAuditEntry::success(
                by,
                DISCREPANCY_ACTION,
                Some(format!(
                    "{} {} {}",
                    d.payment_key(),
                    d.kind(),
                    reconciliation.id
                )),
                from,
                now,
            );
            row.outcome = AuditOutcome::Failure;
            row
        }));
        self.store
            .save(&reconciliation, &audit)
            .await
            .map_err(ReconciliationError::from)?;
        Ok(reconciliation)
    }

    /// Reconciliations, newest date first.
    pub async fn list(
        &self,
        by: &Principal,
        filter: ReconciliationFilter,
        limit: Limit,
        starting_after: Option<ReconciliationId>,
    ) -> Result<Page<Reconciliation>, Guarded<RepositoryError>> {
        by.may(Action::ReadReconciliations, None)
            .map_err(|_| Guarded::Forbidden)?;
        Ok(Page::fetch(limit.get(), starting_after, |page| async move {
            self.store.list(&filter, &page).await
        })
        .await?)
    }

    pub async fn get(
        &self,
        by: &Principal,
        id: &ReconciliationId,
    ) -> Result<Reconciliation, Guarded<ReconciliationError>> {
        by.may(Action::ReadReconciliations, None)
            .map_err(|_| Guarded::Forbidden)?;
        self.store
            .find(id)
            .await
            .map_err(ReconciliationError::from)?
            .ok_or_else(|| ReconciliationError::NotFound(id.clone()).into())
    }
}

#[cfg(test)]
#[path = "reconciliation_tests.rs"]
mod tests;
