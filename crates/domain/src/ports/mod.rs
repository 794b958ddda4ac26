//! Driven ports: everything the core needs from the outside world.
//!
//! Ports take and return domain types only. They are `async_trait` objects so services can hold
//! `Arc<dyn Port>` (see docs/adr/0003-dynamic-ports.md). Each documents the error an adapter
//! MUST return in each case; adapters are checked against that by the contract tests.

use std::time::Duration;

use async_trait::async_trait;

use crate::{
    RepositoryError, Timestamp,
    ids::{ClientId, EventId, Nonce, PaymentId, PaymentKey, TransactionId},
    merchant::Merchant,
    outbox::{
        ClaimedMessage, DeliveryAttempt, FinishedMessage, NextStep, OutboxMessage, SendReport,
    },
    payment::{
        AcquirerCancel, AcquirerReport, AuditEntry, AuditNote, AuditRecord, CancelId, OrderNo,
        Payment, PaymentStatus,
    },
    people::OperatorAuditEntry,
    secret::{SealedSecret, Secret},
};

mod people;
mod reads;
mod reconciliation;
mod settlement;

pub use people::{
    AccountKeys, AdminKept, HashError, InsertUserError, OperatorAuditStore, PasswordCheck,
    PasswordHasher, PeopleStores, SessionStore, TotpCodes, UserStore,
};
#[cfg(any(test, feature = "mocks"))]
pub use people::{
    MockAccountKeys, MockOperatorAuditStore, MockPasswordHasher, MockSessionStore, MockTotpCodes,
    MockUserStore,
};
#[cfg(any(test, feature = "mocks"))]
pub use reads::MockOperatorReads;
pub use reads::OperatorReads;
pub use reconciliation::{
    AcquirerFileError, AcquirerFiles, AcquirerLedger, LedgerEntry, OwnLineCursor,
    ReconciliationStore,
};
#[cfg(any(test, feature = "mocks"))]
pub use reconciliation::{MockAcquirerFiles, MockAcquirerLedger, MockReconciliationStore};
#[cfg(any(test, feature = "mocks"))]
pub use settlement::MockSettlementStore;
pub use settlement::{SettlementFindings, SettlementStore};

/// Filters of a payment search; `client_id = None` searches every merchant (admin).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct PaymentFilter {
    pub client_id: Option<ClientId>,
    pub status: Option<PaymentStatus>,
    pub order_no: Option<OrderNo>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
}

/// One page of a newest-first listing: `limit` rows strictly older than `before` (a payment
/// id, ids sort by creation time).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PageRequest<C> {
    pub limit: u32,
    pub before: Option<C>,
}

impl<C> PageRequest<C> {
    /// The first page: the newest `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            before: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InsertPaymentError {
    /// `(client_id, order_no)` already exists. Nothing was written.
    #[error("order number already used by this merchant")]
    DuplicateOrder,
    /// The nonce given to record with the payment was already recorded (and has not expired):
    /// the request is a replay. Nothing was written.
    #[error("this nonce was already used")]
    Replayed,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

#[derive(Debug, thiserror::Error)]
pub enum TransitionStoreError {
    /// The stored payment no longer has the expected version (someone else changed it first).
    /// Nothing was written.
    #[error("the payment changed concurrently")]
    Stale,
    /// The database refused the transaction as a conflict with another one (a deadlock victim;
    /// a certification failure on a multi-primary cluster) and rolled it back. Nothing was
    /// written; like `Stale`, a reason to load the payment and decide again, never a failure.
    #[error("the database reported a conflicting transaction: {0}")]
    Conflict(String),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// A decided state change: the new state of the payment (its cancels included), the version it
/// was decided on, its audit row and the outbox messages it causes. Stored atomically or not at
/// all.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StateChange {
    pub next: Payment,
    pub expected_version: u32,
    pub audit: AuditRecord,
    pub events: Vec<OutboxMessage>,
    /// Outbox messages this change finishes, with the attempt that did their work: a cancel's
    /// retry message once the acquirer answered it synchronously. The attempt is recorded, and
    /// the message moves on (DELIVERED, or DEAD for a refusal) in the same transaction if still
    /// PENDING and not leased to a dispatcher (a leased one is left to finish: its answer then
    /// finds the cancel ended and changes nothing).
    pub settles: Vec<FinishedMessage>,
    /// The operator audit row of the back-office call that made this change (api.md §10.4),
    /// stored in the same transaction.
    pub operator_audit: Option<OperatorAuditEntry>,
}

impl StateChange {
    /// The change to `next` decided on `expected_version`, with its audit row and nothing else:
    /// no outbox messages, none settled, no operator audit row.
    pub fn new(next: Payment, expected_version: u32, audit: AuditRecord) -> Self {
        Self {
            next,
            expected_version,
            audit,
            events: Vec::new(),
            settles: Vec::new(),
            operator_audit: None,
        }
    }
}

/// The write model of payments: what the money core reads to decide and writes when it has
/// decided. Operator reads (statistics, the live feed, deliveries) are on [`OperatorReads`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentStore: Send + Sync {
    /// Stores a new payment, its `CREATE` audit row and its outbox messages in one transaction.
    /// With `nonce`, that transaction first records the nonce exactly as
    /// [`NonceStore::remember`] would (an expired, not yet purged row is taken over); if it is
    /// already used the whole insert is refused with [`InsertPaymentError::Replayed`], so of any
    /// number of concurrent inserts with one nonce, on any instance, at most one commits.
    async fn insert(
        &self,
        payment: &Payment,
        audit: &AuditRecord,
        events: &[OutboxMessage],
        nonce: Option<NonceRecord>,
    ) -> Result<(), InsertPaymentError>;

    async fn find_by_key(&self, key: &PaymentKey) -> Result<Option<Payment>, RepositoryError>;

    async fn find_by_id(&self, id: &PaymentId) -> Result<Option<Payment>, RepositoryError>;

    /// Newest first; returns up to `page.limit + 1` rows so callers can tell whether more exist.
    async fn list(
        &self,
        filter: &PaymentFilter,
        page: &PageRequest<PaymentId>,
    ) -> Result<Vec<Payment>, RepositoryError>;

    /// Compare-and-set: updates the payment only if its stored version is still
    /// `change.expected_version`, and writes its cancels (each inserted or updated to what `next`
    /// holds), the audit row and the outbox messages in the same transaction. Otherwise returns [`TransitionStoreError::Stale`] and writes nothing.
    async fn transition(&self, change: &StateChange) -> Result<(), TransitionStoreError>;

    /// Appends an audit row that changes nothing (e.g. `WEBHOOK_DUPLICATE`), together with any
    /// outbox messages it causes, in one transaction.
    /// The note's row gets `from_status = NULL` and `status` = the payment's status read in the
    /// same statement (`INSERT … SELECT`).
    async fn append_note(
        &self,
        payment: &PaymentId,
        note: &AuditNote,
        events: &[OutboxMessage],
    ) -> Result<(), RepositoryError>;

    /// Records `attempt`, a call made for a payment outside any state change (the synchronous
    /// acquirer cancel left unanswered, api.md §9.2), among the attempts of its outbox message.
    /// The message stays as it is: its state, schedule and count of attempts are the outbox's.
    /// An unknown message is an error and writes nothing.
    async fn record_call(&self, attempt: &DeliveryAttempt) -> Result<(), RepositoryError>;

    /// Keys of READY payments whose `expires_at` is at or before `now`, oldest first, at most
    /// `limit`.
    async fn due_for_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<PaymentKey>, RepositoryError>;

    /// Keys of APPROVED payments whose `authorization_expires_at` is at or before `now`, oldest
    /// deadline first, at most `limit` (api.md §9.4).
    async fn due_for_authorization_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<PaymentKey>, RepositoryError>;

    /// Audit rows of one payment, oldest first.
    async fn audit_trail(&self, payment: &PaymentId) -> Result<Vec<AuditEntry>, RepositoryError>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MerchantStore: Send + Sync {
    /// The merchant and its `audit` rows, in one transaction.
    async fn insert(
        &self,
        merchant: &Merchant,
        audit: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError>;

    async fn find(&self, client_id: &ClientId) -> Result<Option<Merchant>, RepositoryError>;

    /// Newest first; up to `page.limit + 1` rows older than `page.before`.
    async fn list(&self, page: &PageRequest<ClientId>) -> Result<Vec<Merchant>, RepositoryError>;

    /// Compare-and-set: replaces the mutable fields (name, secrets and previous secrets, return
    /// URL, status, `updated_at`, `version`) where the stored version is still
    /// `next.version - 1`, and writes the `audit` rows in the same transaction. Returns false,
    /// writing nothing, when the version moved on (someone else changed it first: read again and
    /// decide again) or no such merchant exists.
    async fn update(
        &self,
        next: &Merchant,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError>;

    /// Compare-and-set of the sealed secrets (re-encryption under a new key): writes
    /// `resealed`'s client, webhook and previous secrets and its `version` (one more than
    /// `expected`'s) only if the stored version is still `expected`'s and the stored secrets
    /// still byte-for-byte `expected`'s (every seal has a fresh nonce, so equal bytes mean
    /// nothing was rotated meanwhile), with the `audit` rows in the same transaction. Returns
    /// false, writing nothing, otherwise.
    async fn replace_secrets(
        &self,
        expected: &Merchant,
        resealed: &Merchant,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError>;
}

/// A signed request's nonce to remember until `expires_at` (api.md §2).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NonceRecord {
    pub client: ClientId,
    pub nonce: Nonce,
    pub expires_at: Timestamp,
}

/// Whether a nonce was seen before.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NonceOutcome {
    Fresh,
    Replayed,
}

/// Replay memory shared by every server instance (the database, never a process-local map).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait NonceStore: Send + Sync {
    /// Records `(client, nonce)` atomically: exactly one of any number of concurrent calls
    /// with the same pair, on any instance, gets [`NonceOutcome::Fresh`].
    async fn remember(
        &self,
        client: &ClientId,
        nonce: &Nonce,
        expires_at: Timestamp,
    ) -> Result<NonceOutcome, RepositoryError>;

    /// Forgets nonces whose `expires_at` is before `now`; returns how many.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, RepositoryError>;
}

/// The durable outbox (architecture.md §3).
/// The outbox as the dispatcher and the state changes use it. Reading deliveries, the backlog
/// and the attempt feed is on [`OperatorReads`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Stores messages on their own (not caused by a payment change, e.g. mock webhooks, a
    /// test notification), with the operator `audit` rows of the call, in one transaction.
    async fn enqueue(
        &self,
        messages: &[OutboxMessage],
        audit: &[OperatorAuditEntry],
    ) -> Result<(), RepositoryError>;

    /// Claims up to `limit` PENDING messages that are due at `now` (`not_before` and
    /// `next_attempt_at` passed) and not leased (or whose lease expired), leasing them until
    /// `now + lease`. Concurrent claimers on any instance never get the same message while its
    /// lease holds (`FOR UPDATE SKIP LOCKED`). A merchant notification is not claimed while an
    /// older notification of the same payment is still PENDING (per-payment order).
    async fn claim_due(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>, RepositoryError>;

    /// Records one attempt and moves the message on (`step`), releasing the lease; writes
    /// `note` (an audit note on the message's payment, as [`PaymentStore::append_note`]) in the
    /// same transaction.
    async fn finish_attempt(
        &self,
        attempt: &DeliveryAttempt,
        step: NextStep,
        note: Option<AuditNote>,
    ) -> Result<(), RepositoryError>;

    /// Puts a DELIVERED or DEAD message back to PENDING, due `now` (manual redelivery; the event
    /// id stays the same), with the operator's `audit` rows in the same transaction. Returns
    /// false when there is no such message (and writes nothing).
    async fn redeliver(
        &self,
        id: &EventId,
        now: Timestamp,
        audit: &[OperatorAuditEntry],
    ) -> Result<bool, RepositoryError>;
}

/// Who an outbound request is for. It decides which addresses the request may reach: the
/// acquirer's URLs come from the operator's configuration and are trusted; a merchant's URL comes
/// from the merchant and may reach only what the [`crate::destination::DestinationPolicy`]
/// allows, checked on the resolved address at connect time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Destination {
    /// The acquirer (or our own endpoints: the mock acquirer and its webhooks).
    Acquirer,
    /// A merchant's `returnUrl`.
    Merchant,
}

/// An outbound HTTP POST.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OutboundRequest {
    pub destination: Destination,
    pub url: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
}

/// Sends HTTP requests (http and https, certificates verified). Never follows redirects. A
/// failure is a [`SendReport`] with its `error` set (`tls: ...`, `blocked: ...`, `timeout`, ...),
/// never a panic. Futures need not be `Send` (see docs/adr/0015-outbound-client.md).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait(?Send)]
pub trait OutboundSender: Send + Sync {
    async fn post(&self, request: &OutboundRequest) -> SendReport;
}

/// Encodes wire payloads (the JSON bodies of api.md §4, §5, §7). Lives at the HTTP edge so the
/// domain stays free of serialisation formats.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait PayloadEncoder: Send + Sync {
    /// `{paymentKey, orderNo, amount, currency, methodCode, productName, customerName, returnUrl}`
    fn acquirer_request(&self, payment: &Payment, return_url: &str) -> String;
    /// `{paymentKey, transactionId, cancelId, amount, cancelReason}`
    fn acquirer_cancel(&self, cancel: &AcquirerCancel) -> String;
    /// `{paymentKey, transactionId, amount}` (api.md §9.3)
    fn acquirer_capture(&self, payment: &Payment) -> String;
    /// The `transactionId` of the acquirer's answer confirming a cancel, if the body has one.
    fn cancel_confirmation(&self, body: &str) -> Option<TransactionId>;
    /// `{type, timestamp, data: payment}`
    fn merchant_event(&self, event_type: &str, payment: &Payment, at: Timestamp) -> String;
    /// `{type: "merchant.test", timestamp, data: {clientId, message}}`: a notification with no
    /// payment, for a merchant to check its receiver.
    fn test_event(&self, client_id: &ClientId, at: Timestamp) -> String;
    /// The acquirer's outcome webhook of api.md §4: `{paymentKey, transactionId, status,
    /// amount, approvedAt, failureCode, failureMessage}`, `approvedAt = at` for an approval.
    fn acquirer_webhook(&self, report: &AcquirerReport, at: Timestamp) -> String;
}

/// Wakes the local dispatcher after a commit that wrote outbox messages.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait DispatchSignal: Send + Sync {
    fn wake(&self);
}

/// Readiness of the storage backend (reachable and migrated).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StoreHealth: Send + Sync {
    async fn check(&self) -> Result<(), RepositoryError>;
}

/// The current time, in UTC.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// Fresh identifiers and secrets. Production implementations use a CSPRNG.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait KeyGenerator: Send + Sync {
    fn payment_id(&self) -> PaymentId;
    fn payment_key(&self) -> PaymentKey;
    fn event_id(&self) -> EventId;
    fn cancel_id(&self) -> CancelId;
    fn settlement_id(&self) -> crate::settlement::SettlementId;
    fn reconciliation_id(&self) -> crate::reconciliation::ReconciliationId;
    fn client_id(&self) -> ClientId;
    /// A new client (API) secret: the HMAC key of api.md §2.
    fn client_secret(&self) -> Secret;
    /// A new webhook secret in `whsec_` form.
    fn webhook_secret(&self) -> Secret;
}

#[derive(Debug, thiserror::Error)]
#[error("secret cipher failed: {0}")]
pub struct CipherError(pub String);

/// Encryption at rest of merchant secrets.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretCipher: Send + Sync {
    /// Seals with the current key; the result carries that key's version.
    fn seal(&self, secret: &Secret) -> Result<SealedSecret, CipherError>;
    /// Opens a secret sealed under any key version the cipher still knows.
    fn open(&self, sealed: &SealedSecret) -> Result<Secret, CipherError>;
    /// The version of the current key: what [`SecretCipher::seal`] stamps on new ciphertexts.
    fn key_version(&self) -> u32;
}
