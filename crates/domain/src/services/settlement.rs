//! Running settlements and reading them (api.md §12.2), decided by the principal (§10). The
//! values and arithmetic are `crate::settlement`'s.

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError, Timestamp,
    ids::ClientId,
    people::{Action, Guarded, OperatorAuditEntry, Principal, RequestOrigin},
    ports::{Clock, KeyGenerator, MerchantStore, PageRequest, SettlementFindings, SettlementStore},
    service_struct::service_struct,
    services::{Limit, Page},
};

use crate::settlement::{
    BatchCreated, BatchPlan, Calendar, SettlementBatch, SettlementDate, SettlementFilter,
    SettlementId, SettlementLine, SettlementTerms,
};

/// The operator audit action of a settlement run by hand.
pub const RUN_ACTION: &str = "SETTLEMENT_RUN";

#[derive(Debug, thiserror::Error)]
pub enum SettlementError {
    /// The date has not ended yet in the settlement time zone (409): its movements are not all
    /// known, and a batch never changes once made.
    #[error("{0} is not over yet in the settlement time zone; a day is settled once it has ended")]
    DateNotOver(SettlementDate),
    /// No such batch, or one the caller may not see (404).
    #[error("settlement {0} not found")]
    NotFound(SettlementId),
    /// A payment's merchant is not stored (a broken database: payments reference merchants).
    #[error("merchant {0} of a payment to settle is not stored")]
    MerchantMissing(ClientId),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// What a run of one date came to: how many batches it created, and every batch of the date
/// (created now or by an earlier run).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SettlementRun {
    pub date: SettlementDate,
    pub created: u64,
    pub batches: Vec<SettlementBatch>,
}

service_struct! {
    pub struct SettlementService {
        store: Arc<dyn SettlementStore>,
        merchants: Arc<dyn MerchantStore>,
        keys: Arc<dyn KeyGenerator>,
        clock: Arc<dyn Clock>,
        calendar: Arc<dyn Calendar>,
    }
    pub fn new;
}

impl SettlementService {
    /// The settlement date `at` falls on.
    pub fn date_of(&self, at: Timestamp) -> SettlementDate {
        self.calendar.date_of(at)
    }

    /// Runs the settlement of `date` for `by` (ADMIN; the CLI), with a `SETTLEMENT_RUN` row in
    /// the operator audit log. Idempotent: a second run creates nothing and answers the same
    /// batches.
    pub async fn run(
        &self,
        by: &Principal,
        date: SettlementDate,
        from: &RequestOrigin,
    ) -> Result<SettlementRun, Guarded<SettlementError>> {
        by.may(Action::RunSettlement, None)
            .map_err(|_| Guarded::Forbidden)?;
        let now = self.clock.now();
        let row = OperatorAuditEntry::success(by, RUN_ACTION, Some(date.to_string()), from, now);
        Ok(self.settle(date, &[row]).await?)
    }

    /// Creates every missing batch of `date` (one transaction each), then marks the date run.
    /// Batches are keyed by merchant, currency and date and movements by what they settle, so
    /// concurrent runs of one date on several instances create each batch and settle each
    /// movement exactly once.
    pub async fn settle(
        &self,
        date: SettlementDate,
        audit: &[OperatorAuditEntry],
    ) -> Result<SettlementRun, SettlementError> {
        let now = self.clock.now();
        let day = self.calendar.day(date);
        if now < day.end {
            return Err(SettlementError::DateNotOver(date));
        }
        let mut created = 0;
        for (client_id, currency) in self.store.unsettled(&day).await? {
            let merchant = self
                .merchants
                .find(&client_id)
                .await?
                .ok_or_else(|| SettlementError::MerchantMissing(client_id.clone()))?;
            let terms: SettlementTerms = merchant.terms;
            let plan = BatchPlan {
                id: self.keys.settlement_id(),
                client_id,
                currency,
                date,
                day,
                payout_date: date.plus_days(terms.delay.days()).unwrap_or(date),
                fee_rate: terms.fee_rate,
                created_at: now,
            };
            if let BatchCreated::Created(_) = self.store.create_batch(&plan).await? {
                created += 1;
            }
        }
        self.store.finish_run(date, now, audit).await?;
        let batches = self.batches_of(date).await?;
        Ok(SettlementRun {
            date,
            created,
            batches,
        })
    }

    /// Every batch of `date`, newest first.
    async fn batches_of(
        &self,
        date: SettlementDate,
    ) -> Result<Vec<SettlementBatch>, SettlementError> {
        let filter = SettlementFilter {
            client_id: None,
            from: Some(date),
            to: Some(date),
        };
        let mut all = Vec::new();
        let mut before = None;
        loop {
            let page = Page::from_overfetch(
                self.store
                    .list(
                        &filter,
                        &PageRequest {
                            limit: Limit::MAX.get(),
                            before,
                        },
                    )
                    .await?,
                Limit::MAX.get(),
            );
            before = page.next_cursor(|b| b.id.clone());
            all.extend(page.items);
            if before.is_none() {
                return Ok(all);
            }
        }
    }

    /// The daily run (every instance calls it on a timer): settles each of the `lookback` days
    /// before today that ended at least `grace` ago and has not been run, claiming each day in
    /// the database for `lease` first, so that exactly one instance runs it. A claim that lapses
    /// (its holder died) is taken over; runs are idempotent, so a taken-over run finishes what
    /// the dead one left.
    pub async fn run_due(
        &self,
        holder: &str,
        lookback: u8,
        grace: Duration,
        lease: Duration,
    ) -> Result<Vec<SettlementRun>, SettlementError> {
        let now = self.clock.now();
        let mut days = Vec::new();
        let mut day = self.calendar.date_of(now);
        for _ in 0..lookback {
            let Some(previous) = day.previous() else {
                break;
            };
            day = previous;
            if self.calendar.day(day).end.plus(grace) <= now {
                days.push(day);
            }
        }
        let (Some(first), Some(last)) = (days.last(), days.first()) else {
            return Ok(Vec::new());
        };
        let finished = self.store.finished_runs(*first, *last).await?;
        let mut runs = Vec::new();
        for date in days.into_iter().rev() {
            if finished.contains(&date)
                || !self
                    .store
                    .claim_run(date, holder, now, now.plus(lease))
                    .await?
            {
                continue;
            }
            runs.push(self.settle(date, &[]).await?);
        }
        Ok(runs)
    }

    /// The batches `by` may see, newest first: a merchant role's narrowed to its own merchant.
    pub async fn list(
        &self,
        by: &Principal,
        mut filter: SettlementFilter,
        limit: Limit,
        starting_after: Option<SettlementId>,
    ) -> Result<Page<SettlementBatch>, Guarded<RepositoryError>> {
        let Ok(client) = by.merchant_filter(Action::ReadSettlements, filter.client_id.take())?
        else {
            return Ok(Page::empty());
        };
        filter.client_id = client;
        // A cursor outside the listing (another merchant's batch, for a merchant user) is
        // answered as an unknown one: an empty page, so it tells nothing about that batch.
        if let (Some(after), Some(own)) = (&starting_after, &filter.client_id) {
            let cursor = self.store.find(after).await?;
            if cursor.is_some_and(|b| b.client_id != *own) {
                return Ok(Page::empty());
            }
        }
        Ok(Page::fetch(limit.get(), starting_after, |page| async move {
            self.store.list(&filter, &page).await
        })
        .await?)
    }

    /// One batch `by` may see (another merchant's is unknown to a merchant user).
    pub async fn get(
        &self,
        by: &Principal,
        id: &SettlementId,
    ) -> Result<SettlementBatch, Guarded<SettlementError>> {
        let batch = self
            .store
            .find(id)
            .await
            .map_err(SettlementError::from)?
            .ok_or_else(|| SettlementError::NotFound(id.clone()))?;
        by.may_touch(Action::ReadSettlements, Some(&batch.client_id))
            .map_err(|d| Guarded::denied(d, SettlementError::NotFound(id.clone())))?;
        Ok(batch)
    }

    /// A batch `by` may see, with its lines `after .. after + limit` in time order.
    pub async fn lines(
        &self,
        by: &Principal,
        id: &SettlementId,
        after: u64,
        limit: u32,
    ) -> Result<(SettlementBatch, Vec<SettlementLine>), Guarded<SettlementError>> {
        let batch = self.get(by, id).await?;
        let lines = self
            .store
            .lines(id, after, limit)
            .await
            .map_err(SettlementError::from)?;
        Ok((batch, lines))
    }

    /// What `simplepg check` finds in every day whose run finished up to today.
    pub async fn check(&self) -> Result<SettlementFindings, RepositoryError> {
        let today = self.calendar.date_of(self.clock.now());
        let first = SettlementDate::from_date(time::Date::MIN);
        let runs: Vec<_> = self
            .store
            .finished_runs(first, today)
            .await?
            .into_iter()
            .map(|d| (d, self.calendar.day(d)))
            .collect();
        self.store.check(&runs).await
    }
}

#[cfg(test)]
#[path = "settlement_tests.rs"]
mod tests;
