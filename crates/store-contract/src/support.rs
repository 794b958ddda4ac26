//! Fixtures shared by the contract tests.

use std::{sync::Arc, time::Duration};

use domain::{
    Timestamp,
    ids::{ClientId, EventId, PaymentId, PaymentKey, TransactionId},
    merchant::{ClientName, Merchant, MerchantStatus, ReturnUrl},
    money::{Amount, Currency},
    outbox::{OutboxKind, OutboxMessage, SendReport},
    payment::{
        AcquirerCancel, Actor, AuditAction, AuditEntry, AuditNote, AuditRecord, CancelId,
        CancelOutcome, CancelReason, Command, FailureCode, FailureMessage, MethodCode, NewPayment,
        OrderNo, Origin, Payment, PaymentStatus,
    },
    ports::{
        Clock, DispatchSignal, InsertPaymentError, NonceRecord, OutboundRequest, OutboundSender,
        PayloadEncoder, StateChange,
    },
    secret::SealedSecret,
    services::outbound::{AcquirerEndpoint, Outbound},
    signing::WebhookKey,
    store_ports::StorePorts,
};
use uuid::Uuid;

use adapters_crypto::RandomKeyGenerator;

use crate::{People, RawSql, StoreFactory, Stores};

/// Spawns `task(i)` for every `i` in `0..n` so that they run at once, and waits for all of them;
/// their outputs, in order (a task that panicked fails the test).
pub async fn spawn_all<T, Fut>(n: usize, task: impl FnMut(usize) -> Fut) -> Vec<T>
where
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(task).map(tokio::spawn).collect();
    futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("a concurrent task panicked"))
        .collect()
}

/// A fresh empty database's stores (see [`StoreFactory`]), plus raw row counts.
pub struct Env {
    ports: StorePorts,
    people: People,
    raw: Arc<dyn RawSql>,
    /// Declared last so the database outlives the stores.
    _guard: Box<dyn std::any::Any + Send + Sync>,
}

/// `env.payments`, `env.outbox`, … are the ports of the fresh database.
impl std::ops::Deref for Env {
    type Target = StorePorts;

    fn deref(&self) -> &StorePorts {
        &self.ports
    }
}

impl Env {
    pub async fn new<F: StoreFactory>() -> Self {
        Self::from_stores(F::fresh().await)
    }

    /// A fresh database with one merchant, `client_id`.
    pub async fn with_merchant<F: StoreFactory>(client_id: &str) -> (Self, ClientId) {
        let env = Self::new::<F>().await;
        let mch = env.merchant(client_id).await;
        (env, mch)
    }

    /// A fresh database with two merchants, `a` and `b`.
    pub async fn with_two_merchants<F: StoreFactory>(
        a: &str,
        b: &str,
    ) -> (Self, ClientId, ClientId) {
        let env = Self::new::<F>().await;
        let (a, b) = (env.merchant(a).await, env.merchant(b).await);
        (env, a, b)
    }

    /// A fresh database with one merchant, `client_id`, and its READY payment `ORDER-1` created
    /// at `at(0)`.
    pub async fn with_payment<F: StoreFactory>(client_id: &str) -> (Self, ClientId, Payment) {
        let (env, mch) = Self::with_merchant::<F>(client_id).await;
        let p = env.payment(&mch, "ORDER-1", at(0)).await;
        (env, mch, p)
    }

    pub fn from_stores(s: Stores) -> Self {
        Self {
            ports: s.ports,
            people: s.people,
            raw: s.raw,
            _guard: s.guard,
        }
    }

    /// The people ports (users, sessions, the operator audit log) of the same database.
    pub fn people(&self) -> &People {
        &self.people
    }

    /// Runs `sql` on the test database directly (for setting up states the ports cannot express).
    pub async fn exec(&self, sql: &str) -> usize {
        self.raw.exec(sql).await
    }

    /// `SELECT COUNT(*)` of `from_where` (e.g. `"payment WHERE client_id = 'x'"`).
    pub async fn count(&self, from_where: &str) -> i64 {
        self.raw.count(from_where).await
    }

    /// Stores a merchant with this id (payments need one: foreign key).
    pub async fn merchant(&self, client_id: &str) -> ClientId {
        let m = merchant(client_id, at(0));
        self.merchants.insert(&m, &[]).await.unwrap();
        m.client_id
    }

    /// Applies `command` to the stored payment `p` as the system at `now` (no outbox messages)
    /// and returns the next state; panics if the command or the write is refused.
    pub async fn apply(&self, p: &Payment, command: Command, now: Timestamp) -> Payment {
        let (next, audit) = p.apply(command, Origin::system(), now).unwrap();
        self.payments
            .transition(&StateChange::new(next.clone(), p.version, audit))
            .await
            .unwrap();
        next
    }

    /// Stores a READY payment created at `created` and returns it.
    pub async fn payment(&self, client: &ClientId, order_no: &str, created: Timestamp) -> Payment {
        let (p, audit) = unsaved_payment(client, order_no, 15_000, created);
        self.payments.insert(&p, &audit, &[], None).await.unwrap();
        p
    }

    /// Inserts `p` with `audit`, `messages` and `nonce`, which the store must refuse; its error.
    pub async fn refused_insert(
        &self,
        p: &Payment,
        audit: &AuditRecord,
        messages: &[OutboxMessage],
        nonce: Option<&NonceRecord>,
    ) -> InsertPaymentError {
        self.payments
            .insert(p, audit, messages, nonce.cloned())
            .await
            .unwrap_err()
    }

    /// The stored payment with this key, if there is one.
    pub async fn stored(&self, key: &PaymentKey) -> Option<Payment> {
        self.payments.find_by_key(key).await.unwrap()
    }

    /// The stored audit trail of this payment, oldest first.
    pub async fn trail(&self, id: &PaymentId) -> Vec<AuditEntry> {
        self.payments.audit_trail(id).await.unwrap()
    }

    /// The READY payments past their expiry at `now`, at most `limit`, oldest first.
    pub async fn due_for_expiry(&self, now: Timestamp, limit: u32) -> Vec<PaymentKey> {
        self.payments.due_for_expiry(now, limit).await.unwrap()
    }

    /// The APPROVED payments past their authorization deadline at `now`, at most `limit`,
    /// earliest deadline first.
    pub async fn due_for_authorization_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Vec<PaymentKey> {
        self.payments
            .due_for_authorization_expiry(now, limit)
            .await
            .unwrap()
    }
}

/// A READY payment of `client` for `amount` KRW created at `created` with a fresh id and key and
/// thirty minutes to live, and its CREATE audit row: not stored yet.
pub fn unsaved_payment(
    client: &ClientId,
    order_no: &str,
    amount: i64,
    created: Timestamp,
) -> (Payment, AuditRecord) {
    Payment::create(
        new_payment_id(),
        new_payment_key(),
        client.clone(),
        new_payment(order_no, amount),
        created,
        Duration::from_secs(1800),
        None,
    )
}

/// A note `action` by `actor` at `at(millis)`, with no details and no request id.
pub fn note_of(action: AuditAction, actor: Actor, millis: i64) -> AuditNote {
    AuditNote {
        action,
        actor,
        details: None,
        request_id: None,
        at: at(millis),
    }
}

/// The acquirer's approval with this transaction id.
pub fn approve(transaction_id: &str) -> Command {
    Command::Approve {
        transaction_id: TransactionId::parse(transaction_id).unwrap(),
        authorization_ttl: Duration::from_secs(7 * 24 * 3600),
    }
}

/// A cancel for this reason.
pub fn cancel(reason: &str) -> Command {
    Command::Cancel {
        id: new_cancel_id(),
        reason: CancelReason::parse(reason).unwrap(),
    }
}

/// A cancel id, new at every call.
pub fn new_cancel_id() -> CancelId {
    CancelId::from_uuid(Uuid::now_v7())
}

/// Reserves the cancel `id` of `amount` (all that is left when `None`) for `reason`: a PENDING
/// cancel, until the acquirer answers.
pub fn request_cancel(id: &CancelId, amount: Option<i64>, reason: &str) -> Command {
    Command::RequestCancel {
        id: id.clone(),
        amount: amount.map(|a| Amount::parse(a).unwrap()),
        reason: CancelReason::parse(reason).unwrap(),
    }
}

/// The acquirer confirmed the cancel `id`, under its own reference `acquirer_tx` if it gave one.
pub fn confirm_cancel(id: &CancelId, acquirer_tx: Option<&str>) -> Command {
    Command::SettleCancel {
        id: id.clone(),
        outcome: CancelOutcome::Confirmed {
            acquirer_transaction_id: acquirer_tx.map(|tx| TransactionId::parse(tx).unwrap()),
        },
    }
}

/// The acquirer refused the cancel `id` (`CANCEL_REFUSED`, saying `message` if anything).
pub fn refuse_cancel(id: &CancelId, message: Option<&str>) -> Command {
    Command::SettleCancel {
        id: id.clone(),
        outcome: CancelOutcome::Refused {
            code: FailureCode::parse("CANCEL_REFUSED").unwrap(),
            message: message.map(|m| FailureMessage::parse(m).unwrap()),
        },
    }
}

/// Checks that the audit `row` records `note` as a note: no transition, and `status`, the
/// payment's status when it was written (storage reads it from the payment row).
pub fn assert_note_row(row: &AuditRecord, note: &AuditNote, status: PaymentStatus) {
    assert_eq!(row.action, note.action);
    assert_eq!(row.status, status, "read from the payment row");
    assert_eq!(row.from_status, None);
    assert_eq!(row.from_version, None);
    assert_eq!(row.actor, note.actor);
    assert_eq!(row.details, note.details);
    assert_eq!(row.request_id, note.request_id);
    assert_eq!(row.at, note.at);
}

/// A fresh event id (a UUIDv7, like the real key generator's).
pub fn new_event_id() -> EventId {
    EventId::from_uuid(Uuid::now_v7())
}

/// A message of `kind` for `payment` (or none), created and due at `created`.
pub fn message(kind: OutboxKind, payment: Option<&Payment>, created: Timestamp) -> OutboxMessage {
    OutboxMessage {
        id: new_event_id(),
        kind,
        payment_id: payment.map(|p| p.id),
        client_id: payment.map(|p| p.client_id.clone()),
        event_type: (kind == OutboxKind::MerchantNotification)
            .then(|| "payment.approved".to_owned()),
        target_url: "https://shop.example/webhooks/pg".to_owned(),
        payload: format!(r#"{{"kind":"{kind}"}}"#),
        created_at: created,
        not_before: created,
        cancel_id: None,
    }
}

/// 2026-11-24T08:00:00Z plus `millis`.
pub fn at(millis: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_795_507_200_000 + millis).unwrap()
}

pub fn client(raw: &str) -> ClientId {
    ClientId::parse(raw).unwrap()
}

pub fn new_payment_id() -> PaymentId {
    PaymentId::from_uuid(Uuid::now_v7())
}

pub fn new_payment_key() -> PaymentKey {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    PaymentKey::from_bytes(bytes)
}

pub fn new_payment(order_no: &str, amount: i64) -> NewPayment {
    NewPayment {
        order_no: OrderNo::parse(order_no).unwrap(),
        amount: Amount::parse(amount).unwrap(),
        currency: Currency::KRW,
        method: MethodCode::Card,
        product_name: None,
        customer_name: None,
    }
}

pub fn merchant(client_id: &str, created: Timestamp) -> Merchant {
    Merchant {
        client_id: client(client_id),
        client_name: ClientName::parse("Coffee shop").unwrap(),
        client_secret: SealedSecret {
            key_version: 1,
            ciphertext: vec![1, 2, 3, 0, 255],
        },
        webhook_secret: SealedSecret {
            key_version: 2,
            ciphertext: vec![9; 60],
        },
        previous_client_secret: None,
        previous_webhook_secret: None,
        return_url: Some(ReturnUrl::parse("https://shop.example/webhooks/pg").unwrap()),
        status: MerchantStatus::Active,
        terms: Default::default(),
        created_at: created,
        updated_at: created,
        version: 0,
    }
}

/// Checks the invariants of api.md/architecture §3 on one payment's audit trail: it starts with
/// CREATE, every later row is a legal transition from the previous status, from_version goes
/// 0, 1, 2, ... without repeats, at most one APPROVE, and it ends in the payment's status.
pub fn assert_legal_trail(trail: &[AuditEntry], payment: &Payment) {
    let (first, rest) = trail.split_first().expect("a trail starts with CREATE");
    assert_eq!(first.record.action, AuditAction::Create);
    assert_eq!(first.record.status, PaymentStatus::Ready);
    assert_eq!(first.record.from_version, None);
    let mut status = first.record.status;
    let mut approvals = 0;
    for (expected_version, entry) in (0u32..).zip(rest) {
        let r = &entry.record;
        let AuditAction::Transition(kind) = r.action else {
            panic!("not a transition: {r:?}")
        };
        assert_eq!(r.from_status, Some(status), "{r:?}");
        assert_eq!(
            kind.target(status),
            Some(r.status),
            "illegal transition {r:?}"
        );
        assert_eq!(r.from_version, Some(expected_version), "{r:?}");
        if kind == domain::payment::TransitionKind::Approve {
            approvals += 1;
        }
        status = r.status;
    }
    assert!(approvals <= 1);
    assert!(
        trail.windows(2).all(|w| w[0].log_id < w[1].log_id),
        "log ids grow"
    );
    assert_eq!(
        status, payment.status,
        "the last audit row has the payment's status"
    );
    assert_eq!(rest.len() as u32, payment.version);
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(time::OffsetDateTime::now_utc())
    }
}

/// Fixed JSON bodies: the adapter stores payloads as given, their content does not matter here.
struct TestPayloads;

impl PayloadEncoder for TestPayloads {
    fn acquirer_request(&self, payment: &Payment, _return_url: &str) -> String {
        format!(r#"{{"paymentKey":"{}"}}"#, payment.key)
    }

    fn acquirer_cancel(&self, cancel: &AcquirerCancel) -> String {
        format!(
            r#"{{"paymentKey":"{}","cancelReason":"{}"}}"#,
            cancel.payment_key,
            cancel.reason.as_str()
        )
    }

    fn merchant_event(&self, event_type: &str, payment: &Payment, at: Timestamp) -> String {
        format!(
            r#"{{"type":"{event_type}","timestamp":"{at}","data":{{"paymentKey":"{}"}}}}"#,
            payment.key
        )
    }

    fn acquirer_capture(&self, payment: &Payment) -> String {
        format!(r#"{{"paymentKey":"{}"}}"#, payment.key)
    }

    fn test_event(&self, client_id: &domain::ids::ClientId, at: Timestamp) -> String {
        format!(
            r#"{{"type":"merchant.test","timestamp":"{at}","data":{{"clientId":"{client_id}"}}}}"#
        )
    }

    fn cancel_confirmation(&self, _body: &str) -> Option<domain::ids::TransactionId> {
        None
    }

    fn acquirer_webhook(&self, report: &domain::payment::AcquirerReport, _at: Timestamp) -> String {
        format!(r#"{{"paymentKey":"{}"}}"#, report.payment_key)
    }
}

struct NoSignal;

impl DispatchSignal for NoSignal {
    fn wake(&self) {}
}

/// An acquirer that never answers in time: every call times out.
pub struct SilentSender;

#[async_trait::async_trait(?Send)]
impl OutboundSender for SilentSender {
    async fn post(&self, _request: &OutboundRequest) -> SendReport {
        SendReport {
            error: Some("timed out".to_owned()),
            ..Default::default()
        }
    }
}

/// An acquirer that answers every call with this status (200: it accepts everything; only the
/// synchronous cancel reaches it in these tests).
pub struct AnsweringSender(pub u16);

#[async_trait::async_trait(?Send)]
impl OutboundSender for AnsweringSender {
    async fn post(&self, _request: &OutboundRequest) -> SendReport {
        SendReport {
            status: Some(self.0),
            ..Default::default()
        }
    }
}

/// The real payment service on these stores, with test doubles for everything outbound (every
/// call answered 200).
pub fn payment_service(env: &Env) -> domain::services::payments::PaymentService {
    payment_service_with(env, Arc::new(AnsweringSender(200)))
}

/// The real payment service on these stores, reaching out through `sender`.
pub fn payment_service_with(
    env: &Env,
    sender: Arc<dyn OutboundSender>,
) -> domain::services::payments::PaymentService {
    let outbound = Outbound::new(
        Arc::new(TestPayloads),
        Arc::new(RandomKeyGenerator::new()),
        env.merchants.clone(),
        sender,
        Arc::new(NoSignal),
        Arc::new(AcquirerEndpoint {
            request_url: "http://acquirer.test/request".to_owned(),
            return_url: "http://pg.test/api/webhook/payment".to_owned(),
            key: WebhookKey::from_bytes(&[7; 32]),
            timeout: Duration::from_secs(1),
            cancel_timeout: Duration::from_secs(1),
        }),
    );
    domain::services::payments::PaymentService::new(
        env.payments.clone(),
        Arc::new(RandomKeyGenerator::new()),
        Arc::new(SystemClock),
        outbound,
        domain::services::payments::PaymentPolicy::default(),
    )
}
