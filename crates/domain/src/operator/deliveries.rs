//! Operator view of outbound deliveries and manual redelivery (api.md §7, §8).

use std::sync::Arc;

use crate::{
    RepositoryError,
    ids::{ClientId, EventId},
    outbox::{
        BacklogReport, BacklogScope, Delivery, DeliveryFilter, OutboxBacklog, OutboxKind,
        OutboxMessage,
    },
    people::{Action, Guarded, OperatorAuditEntry, Principal, RequestOrigin},
    ports::{
        Clock, DispatchSignal, KeyGenerator, MerchantStore, OperatorReads, OutboxStore,
        PayloadEncoder,
    },
    service_struct::service_struct,
    services::{Limit, Page},
};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("delivery {0} not found")]
    NotFound(EventId),
    #[error("delivery {0} is still pending; it will be attempted on its schedule")]
    StillPending(EventId),
    /// No such merchant, or one the caller may not see (404 `MERCHANT_NOT_FOUND`).
    #[error("merchant {0} not found")]
    MerchantNotFound(ClientId),
    /// The merchant has no `returnUrl` to notify (409).
    #[error("merchant {0} has no returnUrl to notify; set one first")]
    NoReturnUrl(ClientId),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

service_struct! {
    pub struct DeliveryService {
        outbox: Arc<dyn OutboxStore>,
        reads: Arc<dyn OperatorReads>,
        clock: Arc<dyn Clock>,
        signal: Arc<dyn DispatchSignal>,
        merchants: Arc<dyn MerchantStore>,
        encoder: Arc<dyn PayloadEncoder>,
        keys: Arc<dyn KeyGenerator>,
    }
    pub fn new;
}

/// The operator audit action of a manual redelivery.
pub const RETRY_ACTION: &str = "DELIVERY_RETRY";
/// The operator audit action of a test notification.
pub const TEST_ACTION: &str = "TEST_NOTIFICATION";
/// The event type of a test notification.
pub const TEST_EVENT_TYPE: &str = "merchant.test";

impl DeliveryService {
    /// The deliveries `by` may see, newest first: a merchant role's narrowed to its own
    /// merchant's notifications (another merchant's: an empty page).
    pub async fn list(
        &self,
        by: &Principal,
        mut filter: DeliveryFilter,
        limit: Limit,
        starting_after: Option<EventId>,
    ) -> Result<Page<Delivery>, Guarded<RepositoryError>> {
        let Ok(client) = by.merchant_filter(Action::ReadDeliveries, filter.client_id.take())?
        else {
            return Ok(Page::empty());
        };
        if by.merchant().is_some() {
            // A merchant's deliveries are the notifications sent to it; the acquirer traffic
            // of its payments is the platform's.
            match filter.kind {
                None => filter.kind = Some(OutboxKind::MerchantNotification),
                Some(OutboxKind::MerchantNotification) => {}
                Some(_) => return Ok(Page::empty()),
            }
        }
        filter.client_id = client;
        Ok(Page::fetch(limit.get(), starting_after, |page| async move {
            self.reads.deliveries(&filter, &page).await
        })
        .await?)
    }

    /// The backlog of what `by` may see (the console's alert strip): the whole outbox for the
    /// platform roles, the notifications to its own merchant for a merchant role.
    pub async fn summary(&self, by: &Principal) -> Result<BacklogReport, Guarded<RepositoryError>> {
        let scope = by.merchant_filter(Action::ReadDeliveries, None)?;
        let at = self.clock.now();
        let Ok(client_id) = scope else {
            let backlog = OutboxBacklog::default();
            return Ok(BacklogReport { backlog, at });
        };
        let kind = by.merchant().map(|_| OutboxKind::MerchantNotification);
        let scope = BacklogScope { client_id, kind };
        let backlog = self.reads.backlog(at, &scope).await?;
        Ok(BacklogReport { backlog, at })
    }

    /// A delivery `by` may do `action` to: a merchant role only the notifications sent to its
    /// own merchant (anything else is unknown to it).
    async fn reachable(
        &self,
        by: &Principal,
        action: Action,
        id: &EventId,
    ) -> Result<Delivery, Guarded<DeliveryError>> {
        let delivery = self
            .reads
            .delivery(id)
            .await
            .map_err(DeliveryError::from)?
            .ok_or(DeliveryError::NotFound(*id))?;
        by.may_touch(action, delivery.addressee())
            .map_err(|d| Guarded::denied(d, DeliveryError::NotFound(*id)))?;
        Ok(delivery)
    }

    pub async fn get(
        &self,
        by: &Principal,
        id: &EventId,
    ) -> Result<Delivery, Guarded<DeliveryError>> {
        self.reachable(by, Action::ReadDeliveries, id).await
    }

    /// Delivers a DEAD or DELIVERED message again, now, with the same event id (so receivers
    /// can still de-duplicate), recording a `DELIVERY_RETRY` row in the operator audit log in
    /// the same transaction. A PENDING one is already on its way.
    pub async fn retry(
        &self,
        by: &Principal,
        id: &EventId,
        from: &RequestOrigin,
    ) -> Result<Delivery, Guarded<DeliveryError>> {
        let current = self.reachable(by, Action::RetryDelivery, id).await?;
        if current.state == crate::outbox::DeliveryState::Pending {
            return Err(DeliveryError::StillPending(*id).into());
        }
        let now = self.clock.now();
        let row = OperatorAuditEntry::success(by, RETRY_ACTION, Some(id.to_string()), from, now);
        if !self
            .outbox
            .redeliver(id, now, &[row])
            .await
            .map_err(DeliveryError::from)?
        {
            return Err(DeliveryError::NotFound(*id).into());
        }
        self.signal.wake();
        self.get(by, id).await
    }

    /// Queues a `merchant.test` notification to the merchant's `returnUrl`, signed and retried
    /// like every notification (so its delivery shows whether the receiver works), with a
    /// `TEST_NOTIFICATION` row in the operator audit log in the same transaction.
    pub async fn send_test(
        &self,
        by: &Principal,
        client_id: &ClientId,
        from: &RequestOrigin,
    ) -> Result<Delivery, Guarded<DeliveryError>> {
        let not_found = || DeliveryError::MerchantNotFound(client_id.clone());
        by.may(Action::SendTestNotification, Some(client_id))
            .map_err(|d| Guarded::denied(d, not_found()))?;
        let merchant = self
            .merchants
            .find(client_id)
            .await
            .map_err(DeliveryError::from)?
            .ok_or_else(not_found)?;
        let Some(url) = merchant.return_url else {
            return Err(DeliveryError::NoReturnUrl(client_id.clone()).into());
        };
        let now = self.clock.now();
        let message = OutboxMessage {
            id: self.keys.event_id(),
            kind: OutboxKind::MerchantNotification,
            payment_id: None,
            client_id: Some(client_id.clone()),
            event_type: Some(TEST_EVENT_TYPE.to_owned()),
            target_url: url.to_string(),
            payload: self.encoder.test_event(client_id, now),
            created_at: now,
            not_before: now,
            cancel_id: None,
        };
        let row =
            OperatorAuditEntry::success(by, TEST_ACTION, Some(client_id.to_string()), from, now);
        self.outbox
            .enqueue(std::slice::from_ref(&message), &[row])
            .await
            .map_err(DeliveryError::from)?;
        self.signal.wake();
        self.get(by, &message.id).await
    }
}
