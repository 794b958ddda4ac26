//! Business metrics of payments, counted where the store is wired rather than inside a storage
//! adapter: a [`PaymentStore`] decorator that counts created payments, transitions by target
//! status, and compare-and-set attempts that had to be decided again (a lost race or a conflict
//! the database reported).

use std::sync::Arc;

use async_trait::async_trait;
use domain::{
    RepositoryError, Timestamp,
    ids::{PaymentId, PaymentKey},
    outbox::{DeliveryAttempt, OutboxMessage},
    payment::{AuditEntry, AuditNote, AuditRecord, Payment},
    ports::{
        InsertPaymentError, NonceRecord, PageRequest, PaymentFilter, PaymentStore, StateChange,
        TransitionStoreError,
    },
};

/// Counts what passes through `inner`; everything else is delegated unchanged.
pub struct CountedPayments(pub Arc<dyn PaymentStore>);

#[async_trait]
impl PaymentStore for CountedPayments {
    async fn insert(
        &self,
        payment: &Payment,
        audit: &AuditRecord,
        events: &[OutboxMessage],
        nonce: Option<NonceRecord>,
    ) -> Result<(), InsertPaymentError> {
        self.0.insert(payment, audit, events, nonce).await?;
        metrics::counter!("simplepg_payments_created_total").increment(1);
        Ok(())
    }

    async fn find_by_key(&self, key: &PaymentKey) -> Result<Option<Payment>, RepositoryError> {
        self.0.find_by_key(key).await
    }

    async fn find_by_id(&self, id: &PaymentId) -> Result<Option<Payment>, RepositoryError> {
        self.0.find_by_id(id).await
    }

    async fn list(
        &self,
        filter: &PaymentFilter,
        page: &PageRequest<PaymentId>,
    ) -> Result<Vec<Payment>, RepositoryError> {
        self.0.list(filter, page).await
    }

    async fn transition(&self, change: &StateChange) -> Result<(), TransitionStoreError> {
        let result = self.0.transition(change).await;
        match &result {
            Ok(()) => metrics::counter!(
                "simplepg_payment_transitions_total",
                "to" => change.next.status.as_str()
            )
            .increment(1),
            Err(TransitionStoreError::Stale | TransitionStoreError::Conflict(_)) => {
                metrics::counter!("simplepg_payment_transition_conflicts_total").increment(1);
            }
            Err(TransitionStoreError::Repository(_)) => {}
        }
        result
    }

    async fn append_note(
        &self,
        payment: &PaymentId,
        note: &AuditNote,
        events: &[OutboxMessage],
    ) -> Result<(), RepositoryError> {
        self.0.append_note(payment, note, events).await
    }

    async fn record_call(&self, attempt: &DeliveryAttempt) -> Result<(), RepositoryError> {
        self.0.record_call(attempt).await
    }

    async fn due_for_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<PaymentKey>, RepositoryError> {
        self.0.due_for_expiry(now, limit).await
    }

    async fn due_for_authorization_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<PaymentKey>, RepositoryError> {
        self.0.due_for_authorization_expiry(now, limit).await
    }

    async fn audit_trail(&self, payment: &PaymentId) -> Result<Vec<AuditEntry>, RepositoryError> {
        self.0.audit_trail(payment).await
    }
}
