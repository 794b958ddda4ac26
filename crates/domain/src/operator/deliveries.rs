//! Operator view of outbound deliveries and manual redelivery (api.md §7, §8).

use std::sync::Arc;

use crate::{
    RepositoryError,
    ids::EventId,
    outbox::{Delivery, DeliveryFilter},
    ports::{Clock, DispatchSignal, OperatorReads, OutboxStore},
    service_struct::service_struct,
    services::{Limit, Page},
};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("delivery {0} not found")]
    NotFound(EventId),
    #[error("delivery {0} is still pending; it will be attempted on its schedule")]
    StillPending(EventId),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

service_struct! {
    pub struct DeliveryService {
        outbox: Arc<dyn OutboxStore>,
        reads: Arc<dyn OperatorReads>,
        clock: Arc<dyn Clock>,
        signal: Arc<dyn DispatchSignal>,
    }
    pub fn new;
}

impl DeliveryService {
    pub async fn list(
        &self,
        filter: DeliveryFilter,
        limit: Limit,
        starting_after: Option<EventId>,
    ) -> Result<Page<Delivery>, RepositoryError> {
        Page::fetch(limit.get(), starting_after, |page| async move {
            self.reads.deliveries(&filter, &page).await
        })
        .await
    }

    pub async fn get(&self, id: &EventId) -> Result<Delivery, DeliveryError> {
        self.reads
            .delivery(id)
            .await?
            .ok_or(DeliveryError::NotFound(*id))
    }

    /// Delivers a DEAD or DELIVERED message again, now, with the same event id (so receivers
    /// can still de-duplicate). A PENDING one is already on its way.
    pub async fn retry(&self, id: &EventId) -> Result<Delivery, DeliveryError> {
        let current = self.get(id).await?;
        if current.state == crate::outbox::DeliveryState::Pending {
            return Err(DeliveryError::StillPending(*id));
        }
        if !self.outbox.redeliver(id, self.clock.now()).await? {
            return Err(DeliveryError::NotFound(*id));
        }
        self.signal.wake();
        self.get(id).await
    }
}
