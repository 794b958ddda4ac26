//! Test doubles shared by the service unit tests.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use crate::people::{Email, OperatorAuditEntry, Principal, Role, UserId};
use crate::{
    Timestamp,
    ids::{ClientId, EventId, PaymentId, PaymentKey},
    outbox::SendReport,
    payment::{CancelId, Payment},
    ports::{
        CipherError, MockClock, MockDispatchSignal, MockKeyGenerator, MockMerchantStore,
        MockOutboundSender, MockPayloadEncoder, MockPaymentStore, SecretCipher,
    },
    secret::{SealedSecret, Secret},
    services::{
        outbound::{AcquirerEndpoint, Outbound},
        payments::{PaymentPolicy, PaymentService},
    },
    signing::WebhookKey,
};

/// The first of `rows` that `matches`, cloned (the lookups of the in-memory stores).
pub fn first<T: Clone>(rows: &Mutex<Vec<T>>, matches: impl Fn(&T) -> bool) -> Option<T> {
    rows.lock()
        .unwrap()
        .iter()
        .find(|row| matches(row))
        .cloned()
}

/// The actions of the operator audit rows an in-memory store kept, in order.
pub fn actions_of(audit: &Mutex<Vec<OperatorAuditEntry>>) -> Vec<String> {
    audit
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.action.clone())
        .collect()
}

/// A logged-in user `email` of `role`, of the merchant `client` for a merchant role.
pub fn person(email: &str, role: Role, client: Option<&str>) -> Principal {
    Principal::user(
        UserId::from_uuid(uuid::Uuid::now_v7()),
        Email::parse(email).unwrap(),
        role,
        client.map(|c| ClientId::parse(c).unwrap()),
    )
    .unwrap()
}

pub fn t0() -> Timestamp {
    Timestamp::from_unix_millis(1_795_507_200_000).unwrap()
}

pub fn fixed_clock() -> MockClock {
    clock_at(t0())
}

pub fn clock_at(t: Timestamp) -> MockClock {
    let mut c = MockClock::new();
    c.expect_now().return_const(t);
    c
}

pub fn keys() -> MockKeyGenerator {
    let mut k = MockKeyGenerator::new();
    k.expect_payment_id()
        .returning(|| PaymentId::from_uuid(uuid::Uuid::now_v7()));
    k.expect_payment_key()
        .returning(|| PaymentKey::from_bytes([9; 32]));
    k.expect_event_id()
        .returning(|| EventId::from_uuid(uuid::Uuid::now_v7()));
    k.expect_cancel_id()
        .returning(|| CancelId::from_uuid(uuid::Uuid::now_v7()));
    k.expect_settlement_id()
        .returning(|| crate::settlement::SettlementId::from_uuid(uuid::Uuid::now_v7()));
    k.expect_reconciliation_id()
        .returning(|| crate::reconciliation::ReconciliationId::from_uuid(uuid::Uuid::now_v7()));
    k.expect_client_id()
        .returning(|| ClientId::parse("mch_new").unwrap());
    k.expect_client_secret()
        .returning(|| Secret::new("sk_test_secret".into()));
    k.expect_webhook_secret()
        .returning(|| Secret::new("whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdA==".into()));
    k
}

/// `plain` "sealed" under key `version` by reversing its bytes: enough to prove that what is
/// stored is not the plaintext.
pub fn sealed_reversed(version: u32, plain: &str) -> SealedSecret {
    SealedSecret {
        key_version: version,
        ciphertext: plain.bytes().rev().collect(),
    }
}

/// Opens what [`sealed_reversed`] sealed, whatever the key version.
pub fn open_reversed(sealed: &SealedSecret) -> Result<Secret, CipherError> {
    let bytes: Vec<u8> = sealed.ciphertext.iter().rev().copied().collect();
    String::from_utf8(bytes)
        .map(Secret::new)
        .map_err(|e| CipherError(e.to_string()))
}

/// Seals by reversing the bytes under key version 1.
pub struct FakeCipher;

impl SecretCipher for FakeCipher {
    fn seal(&self, secret: &Secret) -> Result<SealedSecret, CipherError> {
        Ok(sealed_reversed(1, secret.expose()))
    }

    fn open(&self, sealed: &SealedSecret) -> Result<Secret, CipherError> {
        open_reversed(sealed)
    }

    fn key_version(&self) -> u32 {
        1
    }
}

pub fn acquirer() -> AcquirerEndpoint {
    AcquirerEndpoint {
        request_url: "http://acquirer.test/request".into(),
        return_url: "http://pg.test/api/webhook/payment".into(),
        key: WebhookKey::from_bytes(&[3; 32]),
        timeout: Duration::from_secs(1),
        cancel_timeout: Duration::from_secs(3),
    }
}

/// Outbound wiring for service tests: merchants without a return URL (so no notifications),
/// payloads `{}`, and the given sender.
pub fn outbound(sender: MockOutboundSender) -> Outbound {
    let mut encoder = MockPayloadEncoder::new();
    encoder
        .expect_acquirer_request()
        .returning(|_, _| "{}".into());
    encoder.expect_acquirer_cancel().returning(|_| "{}".into());
    encoder.expect_acquirer_capture().returning(|_| "{}".into());
    encoder.expect_cancel_confirmation().returning(|_| None);
    encoder
        .expect_merchant_event()
        .returning(|_, _, _| "{}".into());
    let mut merchants = MockMerchantStore::new();
    merchants.expect_find().returning(|_| Ok(None));
    let mut signal = MockDispatchSignal::new();
    signal.expect_wake().return_const(());
    Outbound::new(
        Arc::new(encoder),
        Arc::new(keys()),
        Arc::new(merchants),
        Arc::new(sender),
        Arc::new(signal),
        Arc::new(acquirer()),
    )
}

/// The payment use cases over `store`, at `clock`'s time, reaching out through `sender`.
pub fn payment_service_with(
    store: MockPaymentStore,
    clock: MockClock,
    sender: MockOutboundSender,
) -> PaymentService {
    PaymentService::new(
        Arc::new(store),
        Arc::new(keys()),
        Arc::new(clock),
        outbound(sender),
        PaymentPolicy::default(),
    )
}

/// The payment use cases over `store`, at [`t0`], with a sender that must not be used.
pub fn payment_service(store: MockPaymentStore) -> PaymentService {
    payment_service_with(store, fixed_clock(), MockOutboundSender::new())
}

/// A store that finds `payment` by key every time it is asked.
pub fn store_finding(payment: Payment) -> MockPaymentStore {
    let mut store = MockPaymentStore::new();
    store
        .expect_find_by_key()
        .returning(move |_| Ok(Some(payment.clone())));
    store
}

/// A store that finds `first` by key the first time and `then` every later time (another
/// instance changed the payment in between), and the count of those loads.
pub fn store_finding_in_turn(
    first: Payment,
    then: Payment,
) -> (MockPaymentStore, Arc<AtomicUsize>) {
    let loads = Arc::new(AtomicUsize::new(0));
    let counter = loads.clone();
    let mut store = MockPaymentStore::new();
    store.expect_find_by_key().returning(move |_| {
        let load = counter.fetch_add(1, Ordering::SeqCst);
        Ok(Some(if load == 0 {
            first.clone()
        } else {
            then.clone()
        }))
    });
    (store, loads)
}

/// A sender that is asked exactly once and answered with HTTP `status`.
pub fn answered_once(status: u16) -> MockOutboundSender {
    let mut sender = MockOutboundSender::new();
    sender
        .expect_post()
        .times(1)
        .returning(move |_| SendReport {
            status: Some(status),
            ..Default::default()
        });
    sender
}

/// A payment store in memory with a real compare-and-set, for the use cases whose steps read
/// back what they wrote (cancels). It keeps every stored change, and can let "another instance"
/// change the payment once, just before the next compare-and-set.
#[derive(Default)]
pub struct MemoryStore {
    pub payments: std::sync::Mutex<Vec<Payment>>,
    pub changes: std::sync::Mutex<Vec<crate::ports::StateChange>>,
    /// Applied to the stored payment just before the next `transition` compares versions.
    pub interfere: std::sync::Mutex<Option<Payment>>,
    /// Calls recorded outside any state change (`record_call`).
    pub calls: std::sync::Mutex<Vec<crate::outbox::DeliveryAttempt>>,
}

impl MemoryStore {
    pub fn holding(payment: Payment) -> Arc<Self> {
        let store = Self::default();
        if let Ok(mut payments) = store.payments.lock() {
            payments.push(payment);
        }
        Arc::new(store)
    }

    /// The stored payment (the first one).
    pub fn current(&self) -> Payment {
        self.payments.lock().unwrap()[0].clone()
    }

    /// Every change stored so far.
    pub fn stored(&self) -> Vec<crate::ports::StateChange> {
        self.changes.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl crate::ports::PaymentStore for MemoryStore {
    async fn insert(
        &self,
        payment: &Payment,
        _audit: &crate::payment::AuditRecord,
        _events: &[crate::outbox::OutboxMessage],
        _nonce: Option<crate::ports::NonceRecord>,
    ) -> Result<(), crate::ports::InsertPaymentError> {
        self.payments.lock().unwrap().push(payment.clone());
        Ok(())
    }

    async fn find_by_key(
        &self,
        key: &PaymentKey,
    ) -> Result<Option<Payment>, crate::RepositoryError> {
        Ok(self
            .payments
            .lock()
            .unwrap()
            .iter()
            .find(|p| &p.key == key)
            .cloned())
    }

    async fn find_by_id(&self, id: &PaymentId) -> Result<Option<Payment>, crate::RepositoryError> {
        Ok(self
            .payments
            .lock()
            .unwrap()
            .iter()
            .find(|p| &p.id == id)
            .cloned())
    }

    async fn list(
        &self,
        _filter: &crate::ports::PaymentFilter,
        _page: &crate::ports::PageRequest<PaymentId>,
    ) -> Result<Vec<Payment>, crate::RepositoryError> {
        Ok(self.payments.lock().unwrap().clone())
    }

    async fn transition(
        &self,
        change: &crate::ports::StateChange,
    ) -> Result<(), crate::ports::TransitionStoreError> {
        let mut payments = self.payments.lock().unwrap();
        let Some(stored) = payments.iter_mut().find(|p| p.id == change.next.id) else {
            return Err(crate::RepositoryError::msg("no such payment").into());
        };
        if let Some(other) = self.interfere.lock().unwrap().take() {
            *stored = other;
        }
        if stored.version != change.expected_version {
            return Err(crate::ports::TransitionStoreError::Stale);
        }
        *stored = change.next.clone();
        self.changes.lock().unwrap().push(change.clone());
        Ok(())
    }

    async fn append_note(
        &self,
        _payment: &PaymentId,
        _note: &crate::payment::AuditNote,
        _events: &[crate::outbox::OutboxMessage],
    ) -> Result<(), crate::RepositoryError> {
        Ok(())
    }

    async fn record_call(
        &self,
        attempt: &crate::outbox::DeliveryAttempt,
    ) -> Result<(), crate::RepositoryError> {
        self.calls.lock().unwrap().push(attempt.clone());
        Ok(())
    }

    async fn due_for_expiry(
        &self,
        _now: Timestamp,
        _limit: u32,
    ) -> Result<Vec<PaymentKey>, crate::RepositoryError> {
        Ok(Vec::new())
    }

    async fn due_for_authorization_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<PaymentKey>, crate::RepositoryError> {
        let payments = self
            .payments
            .lock()
            .map_err(|_| crate::RepositoryError::msg("poisoned"))?;
        let mut due: Vec<&Payment> = payments
            .iter()
            .filter(|p| p.status == crate::payment::PaymentStatus::Approved)
            .filter(|p| p.authorization_expires_at.is_some_and(|at| at <= now))
            .collect();
        due.sort_by_key(|p| p.authorization_expires_at);
        Ok(due
            .into_iter()
            .take(limit as usize)
            .map(|p| p.key.clone())
            .collect())
    }

    async fn audit_trail(
        &self,
        _payment: &PaymentId,
    ) -> Result<Vec<crate::payment::AuditEntry>, crate::RepositoryError> {
        Ok(Vec::new())
    }
}

/// The payment use cases over the in-memory `store`, at [`t0`], reaching out through `sender`.
pub fn payment_service_over(store: Arc<MemoryStore>, sender: MockOutboundSender) -> PaymentService {
    PaymentService::new(
        store,
        Arc::new(keys()),
        Arc::new(fixed_clock()),
        outbound(sender),
        PaymentPolicy::default(),
    )
}

/// An active merchant `id` with the default settlement terms and fake sealed secrets.
pub fn merchant(id: &str) -> crate::merchant::Merchant {
    use crate::{
        merchant::{ClientName, Merchant, MerchantStatus, ReturnUrl},
        ports::SecretCipher,
        secret::Secret,
    };
    Merchant {
        client_id: ClientId::parse(id).unwrap(),
        client_name: ClientName::parse("Shop").unwrap(),
        client_secret: FakeCipher.seal(&Secret::new("sk_old".into())).unwrap(),
        webhook_secret: FakeCipher.seal(&Secret::new("whsec_old".into())).unwrap(),
        previous_client_secret: None,
        previous_webhook_secret: None,
        return_url: Some(ReturnUrl::parse("https://shop.example/hook").unwrap()),
        status: MerchantStatus::Active,
        terms: crate::settlement::SettlementTerms::default(),
        created_at: t0(),
        updated_at: t0(),
        version: 3,
    }
}
