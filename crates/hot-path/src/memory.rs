//! Minimal in-memory implementations of the ports the hot paths reach, standing in for the
//! database and the network. Each does as little as it can: answers a clone of what the set-up
//! put there, and writes nothing unless asked to keep it (the tests ask; the measured runs do
//! not, so a count holds the server's work and not the harness's bookkeeping).

use std::sync::{
    Mutex, PoisonError,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use async_trait::async_trait;
use domain::{
    RepositoryError, Timestamp,
    ids::{ClientId, EventId, Nonce, PaymentId, PaymentKey},
    merchant::Merchant,
    outbox::{ClaimedMessage, DeliveryAttempt, NextStep, OutboxMessage, SendReport},
    payment::{AuditEntry, AuditNote, AuditRecord, Payment},
    people::OperatorAuditEntry,
    ports::{
        Clock, DispatchSignal, InsertPaymentError, MerchantStore, NonceOutcome, NonceRecord,
        NonceStore, OutboundRequest, OutboundSender, OutboxStore, PageRequest, PaymentFilter,
        PaymentStore, StateChange, TransitionStoreError,
    },
};

fn unused(what: &str) -> RepositoryError {
    RepositoryError::msg(format!("{what} is not on a measured hot path"))
}

/// Whether the ports keep what they are given (for the tests) or only count it.
#[derive(Debug, Default)]
pub struct Keep(AtomicBool);

impl Keep {
    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed);
    }

    fn on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A slot written only while [`Keep`] is on.
#[derive(Debug)]
pub struct Kept<T>(Mutex<Option<T>>);

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

impl<T: Clone> Kept<T> {
    fn put(&self, value: T) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
    }

    /// The last value kept, if any.
    pub fn get(&self) -> Option<T> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The clock of every measured request: one fixed instant, so that signed requests stay inside
/// their window and every run does exactly the same work.
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// The dispatcher's wake-up: nothing to wake here.
pub struct NoSignal;

impl DispatchSignal for NoSignal {
    fn wake(&self) {}
}

/// One merchant, found by its id (a clone per lookup, as a store decodes a row per lookup).
pub struct OneMerchant(pub Merchant);

#[async_trait]
impl MerchantStore for OneMerchant {
    async fn insert(&self, _: &Merchant, _: &[OperatorAuditEntry]) -> Result<(), RepositoryError> {
        Err(unused("MerchantStore::insert"))
    }

    async fn find(&self, client_id: &ClientId) -> Result<Option<Merchant>, RepositoryError> {
        Ok((self.0.client_id == *client_id).then(|| self.0.clone()))
    }

    async fn list(&self, _: &PageRequest<ClientId>) -> Result<Vec<Merchant>, RepositoryError> {
        Err(unused("MerchantStore::list"))
    }

    async fn update(
        &self,
        _: &Merchant,
        _: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        Err(unused("MerchantStore::update"))
    }

    async fn replace_secrets(
        &self,
        _: &Merchant,
        _: &Merchant,
        _: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        Err(unused("MerchantStore::replace_secrets"))
    }
}

/// Every nonce is fresh (a create records its nonce with the payment, not here).
pub struct FreshNonces;

#[async_trait]
impl NonceStore for FreshNonces {
    async fn remember(
        &self,
        _: &ClientId,
        _: &Nonce,
        _: Timestamp,
    ) -> Result<NonceOutcome, RepositoryError> {
        Ok(NonceOutcome::Fresh)
    }

    async fn purge_expired(&self, _: Timestamp) -> Result<u64, RepositoryError> {
        Ok(0)
    }
}

/// What one create handed to [`Payments::insert`].
#[derive(Clone, Debug)]
pub struct Inserted {
    pub payment: Payment,
    pub audit: AuditRecord,
    pub events: Vec<OutboxMessage>,
    pub nonce: Option<NonceRecord>,
}

/// Payments: inserts are counted (and kept on demand); lookups answer the one payment the
/// set-up stored, as it was, so every webhook finds it READY again.
#[derive(Default)]
pub struct Payments {
    pub keep: Keep,
    stored: Kept<Payment>,
    pub inserted: Kept<Inserted>,
    pub changed: Kept<StateChange>,
    pub writes: AtomicU64,
}

impl Payments {
    /// The payment every lookup finds from now on.
    pub fn store(&self, payment: Payment) {
        self.stored.put(payment);
    }
}

#[async_trait]
impl PaymentStore for Payments {
    async fn insert(
        &self,
        payment: &Payment,
        audit: &AuditRecord,
        events: &[OutboxMessage],
        nonce: Option<NonceRecord>,
    ) -> Result<(), InsertPaymentError> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        if self.keep.on() {
            self.inserted.put(Inserted {
                payment: payment.clone(),
                audit: audit.clone(),
                events: events.to_vec(),
                nonce,
            });
        }
        Ok(())
    }

    async fn find_by_key(&self, key: &PaymentKey) -> Result<Option<Payment>, RepositoryError> {
        let stored = self.stored.0.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(stored.as_ref().filter(|p| p.key == *key).cloned())
    }

    async fn find_by_id(&self, _: &PaymentId) -> Result<Option<Payment>, RepositoryError> {
        Err(unused("PaymentStore::find_by_id"))
    }

    async fn list(
        &self,
        _: &PaymentFilter,
        _: &PageRequest<PaymentId>,
    ) -> Result<Vec<Payment>, RepositoryError> {
        Err(unused("PaymentStore::list"))
    }

    async fn transition(&self, change: &StateChange) -> Result<(), TransitionStoreError> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        if self.keep.on() {
            self.changed.put(change.clone());
        }
        Ok(())
    }

    async fn record_call(&self, _: &DeliveryAttempt) -> Result<(), RepositoryError> {
        Err(unused("PaymentStore::record_call"))
    }

    async fn append_note(
        &self,
        _: &PaymentId,
        _: &AuditNote,
        _: &[OutboxMessage],
    ) -> Result<(), RepositoryError> {
        Err(unused("PaymentStore::append_note"))
    }

    async fn due_for_expiry(
        &self,
        _: Timestamp,
        _: u32,
    ) -> Result<Vec<PaymentKey>, RepositoryError> {
        Err(unused("PaymentStore::due_for_expiry"))
    }

    async fn due_for_authorization_expiry(
        &self,
        _: Timestamp,
        _: u32,
    ) -> Result<Vec<PaymentKey>, RepositoryError> {
        Err(unused("PaymentStore::due_for_authorization_expiry"))
    }

    async fn audit_trail(&self, _: &PaymentId) -> Result<Vec<AuditEntry>, RepositoryError> {
        Err(unused("PaymentStore::audit_trail"))
    }
}

/// The outbox as the dispatcher uses it: attempts are counted (and kept on demand).
#[derive(Default)]
pub struct Outbox {
    pub keep: Keep,
    pub finished: Kept<(DeliveryAttempt, NextStep)>,
    pub attempts: AtomicU64,
}

#[async_trait]
impl OutboxStore for Outbox {
    async fn enqueue(
        &self,
        _: &[OutboxMessage],
        _: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError> {
        Err(unused("OutboxStore::enqueue"))
    }

    async fn claim_due(
        &self,
        _: Timestamp,
        _: std::time::Duration,
        _: u32,
    ) -> Result<Vec<ClaimedMessage>, RepositoryError> {
        Err(unused("OutboxStore::claim_due"))
    }

    async fn finish_attempt(
        &self,
        attempt: &DeliveryAttempt,
        step: NextStep,
        _: Option<AuditNote>,
    ) -> Result<(), RepositoryError> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        if self.keep.on() {
            self.finished.put((attempt.clone(), step));
        }
        Ok(())
    }

    async fn redeliver(
        &self,
        _: &EventId,
        _: Timestamp,
        _: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError> {
        Err(unused("OutboxStore::redeliver"))
    }
}

/// A receiver that answers every POST `204 No Content` at once (and keeps the request on
/// demand).
#[derive(Default)]
pub struct Answering {
    pub keep: Keep,
    pub sent: Kept<OutboundRequest>,
}

#[async_trait(?Send)]
impl OutboundSender for Answering {
    async fn post(&self, request: &OutboundRequest) -> SendReport {
        if self.keep.on() {
            self.sent.put(request.clone());
        }
        SendReport {
            status: Some(204),
            ..SendReport::default()
        }
    }
}
