//! Statistics for operators (api.md §8 `GET /admin/api/stats`).

use std::sync::Arc;

use crate::{
    RepositoryError,
    people::{Action, Guarded, NothingInReach, Principal},
    ports::OperatorReads,
    stats::{PaymentStats, StatsBreakdown, StatsFilter},
};

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("from must not be after to")]
    InvertedRange,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

#[derive(Clone)]
pub struct StatsService {
    store: Arc<dyn OperatorReads>,
}

impl StatsService {
    pub fn new(store: Arc<dyn OperatorReads>) -> Self {
        Self { store }
    }

    /// Counts and amounts per status, approval rate, per day and per merchant, over the
    /// payments created in `[from, to)`.
    pub async fn stats(&self, filter: StatsFilter) -> Result<PaymentStats, StatsError> {
        check_range(&filter)?;
        let breakdown = self.store.stats(&filter).await?;
        Ok(PaymentStats::from_breakdown(filter, &breakdown))
    }

    /// [`Self::stats`] for `by`: a merchant role's narrowed to its own merchant (another
    /// merchant's: zero counts, as for an unknown one).
    pub async fn stats_for(
        &self,
        by: &Principal,
        mut filter: StatsFilter,
    ) -> Result<PaymentStats, Guarded<StatsError>> {
        match by.merchant_filter(Action::ReadStats, filter.client_id.take())? {
            Ok(client) => {
                filter.client_id = client;
                Ok(self.stats(filter).await?)
            }
            Err(NothingInReach) => {
                check_range(&filter)?;
                let empty = PaymentStats::from_breakdown(filter, &StatsBreakdown::default());
                Ok(empty)
            }
        }
    }
}

fn check_range(filter: &StatsFilter) -> Result<(), StatsError> {
    match (filter.from, filter.to) {
        (Some(from), Some(to)) if from > to => Err(StatsError::InvertedRange),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        money::Currency,
        payment::PaymentStatus,
        ports::MockOperatorReads,
        services::testkit::t0,
        stats::{StatsBreakdown, StatsCell},
    };

    #[tokio::test]
    async fn the_rate_is_computed_from_what_storage_grouped() {
        let mut store = MockOperatorReads::new();
        store.expect_stats().times(1).returning(|_| {
            let cell = |status, was_approved, count| StatsCell {
                status,
                was_approved,
                currency: Currency::parse("KRW").unwrap(),
                count,
                amount: 1000 * count as i64,
                canceled: 0,
            };
            Ok(StatsBreakdown {
                overall: vec![
                    cell(PaymentStatus::Completed, true, 3),
                    cell(PaymentStatus::Failed, false, 1),
                ],
                ..Default::default()
            })
        });
        let stats = StatsService::new(Arc::new(store))
            .stats(StatsFilter::default())
            .await
            .unwrap();
        assert_eq!(stats.totals.count, 4);
        assert_eq!(stats.totals.approval_rate(), Some(0.75));
    }

    #[tokio::test]
    async fn an_inverted_range_is_refused_before_storage_is_asked() {
        let store = MockOperatorReads::new();
        let filter = StatsFilter {
            from: Some(t0().plus(std::time::Duration::from_secs(1))),
            to: Some(t0()),
            client_id: None,
        };
        let err = StatsService::new(Arc::new(store))
            .stats(filter)
            .await
            .unwrap_err();
        assert!(matches!(err, StatsError::InvertedRange));
    }
}
