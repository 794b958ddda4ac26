//! Payment use cases: create, read, list, complete, cancel, audit trail.

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError,
    ids::{ClientId, PaymentId, PaymentKey, RequestId, TransactionId},
    outbox::OutboxMessage,
    payment::{
        Actor, AuditAction, AuditEntry, AuditNote, CancelReason, Command, FailureCode,
        FailureMessage, NewPayment, Origin, Payment, PaymentStatus, TransitionRejected,
    },
    ports::{
        Clock, InsertPaymentError, KeyGenerator, NonceRecord, PageRequest, PaymentFilter,
        PaymentStore, StateChange, TransitionStoreError,
    },
    services::{Limit, Page, outbound::Outbound},
};

/// How many times a compare-and-set that lost a race is re-decided on fresh data.
const MAX_CAS_ATTEMPTS: usize = 8;

#[derive(Clone, Copy, Debug)]
pub struct PaymentPolicy {
    /// How long a payment may stay READY before it expires.
    pub ready_ttl: Duration,
}

impl Default for PaymentPolicy {
    fn default() -> Self {
        Self {
            ready_ttl: Duration::from_secs(1800),
        }
    }
}

/// A create request as received: the validated payment plus the optional `clientId` that the
/// body may carry for compatibility.
#[derive(Clone, Debug)]
pub struct CreatePayment {
    pub declared_client_id: Option<String>,
    pub payment: NewPayment,
}

#[derive(Debug, thiserror::Error)]
pub enum CreatePaymentError {
    #[error("clientId in the body does not match X-Client-Id")]
    ClientMismatch,
    #[error("orderNo {0} was already used by this merchant")]
    DuplicateOrder(String),
    /// The nonce to record with the payment was already used: nothing was written.
    #[error("this X-Nonce was already used")]
    Replayed,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl CreatePaymentError {
    /// Whether the request's nonce is known to be recorded already (by an earlier request):
    /// for every other error the create wrote nothing, the nonce included.
    pub fn nonce_already_used(&self) -> bool {
        matches!(self, Self::Replayed)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FindPaymentError {
    #[error("payment not found")]
    NotFound,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

#[derive(Debug, thiserror::Error)]
pub enum ListPaymentsError {
    /// `startingAfter` names no payment visible to the caller.
    #[error("startingAfter does not name one of your payments")]
    UnknownCursor,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

#[derive(Debug, thiserror::Error)]
pub enum ChangePaymentError {
    #[error("payment not found")]
    NotFound,
    #[error(transparent)]
    Rejected(#[from] TransitionRejected),
    /// The acquirer must confirm this change and could not be asked (api.md §3.5).
    #[error("{0}")]
    Acquirer(String),
    #[error("the payment kept changing concurrently; retry")]
    Contended,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl From<FindPaymentError> for ChangePaymentError {
    fn from(e: FindPaymentError) -> Self {
        match e {
            FindPaymentError::NotFound => Self::NotFound,
            FindPaymentError::Repository(r) => Self::Repository(r),
        }
    }
}

/// A listing request: filters, page size and cursor.
#[derive(Clone, Debug, Default)]
pub struct ListPayments {
    pub filter: PaymentFilter,
    pub limit: Limit,
    pub starting_after: Option<PaymentKey>,
}

/// What the acquirer reported in its webhook (api.md §4).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AcquirerReport {
    pub payment_key: PaymentKey,
    pub transaction_id: TransactionId,
    pub amount: i64,
    pub outcome: ReportedOutcome,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ReportedOutcome {
    Approved,
    Failed {
        code: FailureCode,
        message: Option<FailureMessage>,
    },
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum WebhookOutcome {
    /// The payment moved to APPROVED or FAILED.
    Applied(Payment),
    /// The same outcome was already applied; nothing changed.
    Duplicate(Payment),
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("payment not found")]
    NotFound,
    #[error("the acquirer reported amount {reported} but the payment is for {expected}")]
    AmountMismatch { expected: i64, reported: i64 },
    #[error("{0}")]
    Conflict(String),
    #[error("the payment kept changing concurrently; retry")]
    Contended,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

const ACQUIRER_UNAVAILABLE: &str = "ACQUIRER_UNAVAILABLE";

#[derive(Clone)]
pub struct PaymentService {
    store: Arc<dyn PaymentStore>,
    keys: Arc<dyn KeyGenerator>,
    clock: Arc<dyn Clock>,
    outbound: Outbound,
    policy: PaymentPolicy,
}

/// The result of one compare-and-set attempt.
enum Commit {
    Done(Box<Payment>),
    Stale,
}

impl PaymentService {
    pub fn new(
        store: Arc<dyn PaymentStore>,
        keys: Arc<dyn KeyGenerator>,
        clock: Arc<dyn Clock>,
        outbound: Outbound,
        policy: PaymentPolicy,
    ) -> Self {
        Self {
            store,
            keys,
            clock,
            outbound,
            policy,
        }
    }

    /// Creates a READY payment with its audit row and acquirer request. With `nonce` (see
    /// `Authenticator::authenticate_deferred`), the signed request's nonce is recorded in the
    /// same transaction, and a used one refuses the create as [`CreatePaymentError::Replayed`];
    /// on any error nothing is written, that nonce included.
    pub async fn create(
        &self,
        merchant: &ClientId,
        req: CreatePayment,
        request_id: Option<RequestId>,
        nonce: Option<&NonceRecord>,
    ) -> Result<Payment, CreatePaymentError> {
        if req
            .declared_client_id
            .as_deref()
            .is_some_and(|declared| declared != merchant.as_str())
        {
            return Err(CreatePaymentError::ClientMismatch);
        }
        let order_no = req.payment.order_no.to_string();
        let now = self.clock.now();
        let (payment, audit) = Payment::create(
            self.keys.payment_id(),
            self.keys.payment_key(),
            merchant.clone(),
            req.payment,
            now,
            self.policy.ready_ttl,
            request_id,
        );
        let request = self.outbound.acquirer_request(&payment, now);
        match self
            .store
            .insert(
                &payment,
                &audit,
                std::slice::from_ref(&request),
                nonce.cloned(),
            )
            .await
        {
            Ok(()) => {
                self.outbound.wake();
                Ok(payment)
            }
            Err(InsertPaymentError::DuplicateOrder) => {
                Err(CreatePaymentError::DuplicateOrder(order_no))
            }
            Err(InsertPaymentError::Replayed) => Err(CreatePaymentError::Replayed),
            Err(InsertPaymentError::Repository(e)) => Err(e.into()),
        }
    }

    /// The payment, if it exists and belongs to `owner` (`None`: any merchant, for admins).
    /// Another merchant's payment is reported exactly like an unknown key.
    pub async fn get(
        &self,
        owner: Option<&ClientId>,
        key: &PaymentKey,
    ) -> Result<Payment, FindPaymentError> {
        match self.store.find_by_key(key).await? {
            Some(p) if owner.is_none_or(|o| *o == p.client_id) => Ok(p),
            _ => Err(FindPaymentError::NotFound),
        }
    }

    /// Newest first. `query.filter.client_id` scopes the listing (always set for merchants).
    pub async fn list(&self, query: ListPayments) -> Result<Page<Payment>, ListPaymentsError> {
        let before = match &query.starting_after {
            None => None,
            Some(key) => match self.get(query.filter.client_id.as_ref(), key).await {
                Ok(p) => Some(p.id),
                Err(FindPaymentError::NotFound) => return Err(ListPaymentsError::UnknownCursor),
                Err(FindPaymentError::Repository(e)) => return Err(e.into()),
            },
        };
        let page = PageRequest {
            limit: query.limit.get(),
            before,
        };
        let rows = self.store.list(&query.filter, &page).await?;
        Ok(Page::from_overfetch(rows, query.limit.get()))
    }

    pub async fn complete(
        &self,
        merchant: &ClientId,
        key: &PaymentKey,
        request_id: Option<RequestId>,
    ) -> Result<Payment, ChangePaymentError> {
        let origin = Origin {
            actor: Actor::Merchant,
            request_id,
        };
        for _ in 0..MAX_CAS_ATTEMPTS {
            let current = self.get(Some(merchant), key).await?;
            if let Commit::Done(p) = self
                .commit(&current, Command::Complete, &origin, Vec::new())
                .await?
            {
                return Ok(*p);
            }
        }
        Err(ChangePaymentError::Contended)
    }

    /// Cancels a payment (api.md §3.5). READY: canceled here, the acquirer is told through the
    /// outbox. APPROVED/COMPLETED: the acquirer cancels the transaction first, synchronously and
    /// with no transaction or lock held; if it fails, nothing changes.
    pub async fn cancel(
        &self,
        owner: Option<&ClientId>,
        key: &PaymentKey,
        reason: CancelReason,
        origin: Origin,
    ) -> Result<Payment, ChangePaymentError> {
        let mut acquirer_canceled = false;
        for _ in 0..MAX_CAS_ATTEMPTS {
            let current = self.get(owner, key).await?;
            let now = self.clock.now();
            let events = match current.status {
                PaymentStatus::Approved | PaymentStatus::Completed => {
                    if !acquirer_canceled {
                        self.outbound
                            .cancel_at_acquirer(&current, &reason, now)
                            .await
                            .map_err(ChangePaymentError::Acquirer)?;
                        acquirer_canceled = true;
                    }
                    Vec::new()
                }
                PaymentStatus::Ready => vec![self.outbound.acquirer_cancel(&current, &reason, now)],
                PaymentStatus::Failed | PaymentStatus::Canceled | PaymentStatus::Expired => {
                    Vec::new()
                }
            };
            if let Commit::Done(p) = self
                .commit(
                    &current,
                    Command::Cancel {
                        reason: reason.clone(),
                    },
                    &origin,
                    events,
                )
                .await?
            {
                return Ok(*p);
            }
        }
        Err(ChangePaymentError::Contended)
    }

    pub async fn audit_trail(
        &self,
        owner: Option<&ClientId>,
        key: &PaymentKey,
    ) -> Result<Vec<AuditEntry>, FindPaymentError> {
        let payment = self.get(owner, key).await?;
        Ok(self.store.audit_trail(&payment.id).await?)
    }

    /// Applies an acquirer webhook (api.md §4). Any number of concurrent identical deliveries
    /// produce exactly one transition: the losers of the compare-and-set re-read the payment and
    /// find the outcome already applied.
    pub async fn apply_acquirer_report(
        &self,
        report: AcquirerReport,
        request_id: Option<RequestId>,
    ) -> Result<WebhookOutcome, WebhookError> {
        let origin = Origin {
            actor: Actor::Acquirer,
            request_id,
        };
        for _ in 0..MAX_CAS_ATTEMPTS {
            let current = match self.get(None, &report.payment_key).await {
                Ok(p) => p,
                Err(FindPaymentError::NotFound) => return Err(WebhookError::NotFound),
                Err(FindPaymentError::Repository(e)) => return Err(e.into()),
            };
            if already_applied(&current, &report) {
                self.note(
                    &current,
                    AuditAction::WebhookDuplicate,
                    &origin,
                    format!("transactionId={}", report.transaction_id),
                    Vec::new(),
                )
                .await?;
                return Ok(WebhookOutcome::Duplicate(current));
            }
            if report.amount != current.amount.minor_units() {
                let details = format!(
                    "amount mismatch: reported {} but the payment is {}",
                    report.amount, current.amount
                );
                self.note(
                    &current,
                    AuditAction::WebhookRejected,
                    &origin,
                    details,
                    Vec::new(),
                )
                .await?;
                return Err(WebhookError::AmountMismatch {
                    expected: current.amount.minor_units(),
                    reported: report.amount,
                });
            }
            if current.status != PaymentStatus::Ready {
                return Err(self.reject_late_report(&current, &report, &origin).await?);
            }
            let command = match &report.outcome {
                ReportedOutcome::Approved => Command::Approve {
                    transaction_id: report.transaction_id.clone(),
                },
                ReportedOutcome::Failed { code, message } => Command::Fail {
                    transaction_id: Some(report.transaction_id.clone()),
                    code: code.clone(),
                    message: message.clone(),
                },
            };
            match self.commit(&current, command, &origin, Vec::new()).await {
                Ok(Commit::Done(p)) => return Ok(WebhookOutcome::Applied(*p)),
                Ok(Commit::Stale) => continue,
                Err(ChangePaymentError::Repository(e)) => return Err(e.into()),
                Err(other) => return Err(WebhookError::Conflict(other.to_string())),
            }
        }
        Err(WebhookError::Contended)
    }

    /// A report for a payment that is no longer READY and did not get this outcome: refused and
    /// audited. An approval of a payment that was canceled or expired meanwhile also queues a
    /// compensating cancel, so no money stays captured.
    async fn reject_late_report(
        &self,
        current: &Payment,
        report: &AcquirerReport,
        origin: &Origin,
    ) -> Result<WebhookError, RepositoryError> {
        let reported = match report.outcome {
            ReportedOutcome::Approved => "APPROVED",
            ReportedOutcome::Failed { .. } => "FAILED",
        };
        let compensate = matches!(report.outcome, ReportedOutcome::Approved)
            && matches!(
                current.status,
                PaymentStatus::Canceled | PaymentStatus::Expired
            );
        let mut events = Vec::new();
        let mut details = format!(
            "{reported} (transactionId={}) refused: the payment is {}",
            report.transaction_id, current.status
        );
        if compensate {
            let mut target = current.clone();
            target.transaction_id = Some(report.transaction_id.clone());
            let reason = CancelReason::parse("approval arrived after the payment was closed")
                .map_err(|e| RepositoryError::msg(e.to_string()))?;
            events.push(
                self.outbound
                    .acquirer_cancel(&target, &reason, self.clock.now()),
            );
            details.push_str("; compensating cancel queued");
        }
        self.note(
            current,
            AuditAction::WebhookRejected,
            origin,
            details,
            events,
        )
        .await?;
        Ok(WebhookError::Conflict(format!(
            "the payment is {} and cannot become {reported}",
            current.status
        )))
    }

    /// Expires READY payments past `expiresAt` (actor SYSTEM); safe with several instances, the
    /// compare-and-set decides. Returns how many this call expired.
    pub async fn expire_due(&self, limit: u32) -> Result<usize, RepositoryError> {
        let origin = Origin {
            actor: Actor::System,
            request_id: None,
        };
        let mut expired = 0;
        for key in self.store.due_for_expiry(self.clock.now(), limit).await? {
            let Ok(current) = self.get(None, &key).await else {
                continue;
            };
            let reason = CancelReason::parse("payment expired")
                .map_err(|e| RepositoryError::msg(e.to_string()))?;
            let events = vec![
                self.outbound
                    .acquirer_cancel(&current, &reason, self.clock.now()),
            ];
            match self
                .commit(&current, Command::Expire, &origin, events)
                .await
            {
                Ok(Commit::Done(_)) => expired += 1,
                Ok(Commit::Stale) | Err(ChangePaymentError::Rejected(_)) => {}
                Err(ChangePaymentError::Repository(e)) => return Err(e),
                Err(_) => {}
            }
        }
        Ok(expired)
    }

    /// The acquirer could not be reached after every attempt: READY → FAILED with
    /// `ACQUIRER_UNAVAILABLE` (actor SYSTEM). A payment that moved on meanwhile is left alone.
    pub async fn fail_unreachable(
        &self,
        id: &PaymentId,
        attempts: u32,
    ) -> Result<Option<Payment>, RepositoryError> {
        let origin = Origin {
            actor: Actor::System,
            request_id: None,
        };
        for _ in 0..MAX_CAS_ATTEMPTS {
            let Some(current) = self.store.find_by_id(id).await? else {
                return Ok(None);
            };
            if current.status != PaymentStatus::Ready {
                return Ok(None);
            }
            let command = Command::Fail {
                transaction_id: None,
                code: FailureCode::parse(ACQUIRER_UNAVAILABLE)
                    .map_err(|e| RepositoryError::msg(e.to_string()))?,
                message: FailureMessage::parse(&format!(
                    "the acquirer could not be reached after {attempts} attempts"
                ))
                .ok(),
            };
            match self.commit(&current, command, &origin, Vec::new()).await {
                Ok(Commit::Done(p)) => return Ok(Some(*p)),
                Ok(Commit::Stale) => continue,
                Err(ChangePaymentError::Repository(e)) => return Err(e),
                Err(_) => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Decides `command` on `current` and tries to store it with `events` plus the merchant
    /// notification, in one transaction.
    async fn commit(
        &self,
        current: &Payment,
        command: Command,
        origin: &Origin,
        mut events: Vec<OutboxMessage>,
    ) -> Result<Commit, ChangePaymentError> {
        let kind = command.kind();
        let now = self.clock.now();
        let (next, audit) = current.apply(command, origin.clone(), now)?;
        if let Some(notification) = self.outbound.notification(&next, kind, now).await? {
            events.push(notification);
        }
        let change = StateChange {
            expected_version: current.version,
            next,
            audit,
            events,
        };
        match self.store.transition(&change).await {
            Ok(()) => {
                if !change.events.is_empty() {
                    self.outbound.wake();
                }
                Ok(Commit::Done(Box::new(change.next)))
            }
            Err(TransitionStoreError::Stale) => Ok(Commit::Stale),
            Err(TransitionStoreError::Repository(e)) => Err(e.into()),
        }
    }

    async fn note(
        &self,
        payment: &Payment,
        action: AuditAction,
        origin: &Origin,
        details: String,
        events: Vec<OutboxMessage>,
    ) -> Result<(), RepositoryError> {
        let note = AuditNote {
            action,
            actor: origin.actor,
            details: Some(details),
            request_id: origin.request_id.clone(),
            at: self.clock.now(),
        };
        self.store.append_note(&payment.id, &note, &events).await?;
        if !events.is_empty() {
            self.outbound.wake();
        }
        Ok(())
    }
}

/// The report repeats an outcome this payment already has (same transaction id).
fn already_applied(p: &Payment, report: &AcquirerReport) -> bool {
    if p.transaction_id.as_ref() != Some(&report.transaction_id)
        || report.amount != p.amount.minor_units()
    {
        return false;
    }
    match report.outcome {
        ReportedOutcome::Approved => p.approved_at.is_some(),
        ReportedOutcome::Failed { .. } => p.status == PaymentStatus::Failed,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::outbox::SendReport;
    use crate::{
        payment::{TransitionKind, fixtures},
        ports::MockOutboundSender,
        ports::MockPaymentStore,
        services::testkit::{fixed_clock, keys, outbound},
    };

    fn service(store: MockPaymentStore) -> PaymentService {
        service_with(store, MockOutboundSender::new())
    }

    fn service_with(store: MockPaymentStore, sender: MockOutboundSender) -> PaymentService {
        PaymentService::new(
            Arc::new(store),
            Arc::new(keys()),
            Arc::new(fixed_clock()),
            outbound(sender),
            PaymentPolicy::default(),
        )
    }

    fn owner() -> ClientId {
        fixtures::client()
    }

    fn create_req(declared: Option<&str>) -> CreatePayment {
        CreatePayment {
            declared_client_id: declared.map(str::to_owned),
            payment: fixtures::new_payment(15_000),
        }
    }

    #[tokio::test]
    async fn creating_a_payment_stores_it_ready_with_a_create_audit_row() {
        let mut store = MockPaymentStore::new();
        store
            .expect_insert()
            .withf(|p, a, events, nonce| {
                nonce.is_none()
                    && p.status == PaymentStatus::Ready
                    && a.action.as_str() == "CREATE"
                    && a.actor == Actor::Merchant
                    && events.len() == 1
                    && events[0].kind == crate::outbox::OutboxKind::AcquirerRequest
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let p = service(store)
            .create(&owner(), create_req(None), None, None)
            .await
            .unwrap();
        assert_eq!(p.status, PaymentStatus::Ready);
    }

    #[tokio::test]
    async fn a_body_client_id_of_another_merchant_is_refused_without_writing() {
        let mut store = MockPaymentStore::new();
        store.expect_insert().never();
        let err = service(store)
            .create(&owner(), create_req(Some("mch_other")), None, None)
            .await
            .unwrap_err();
        assert!(matches!(err, CreatePaymentError::ClientMismatch));
    }

    #[tokio::test]
    async fn a_duplicate_order_number_is_reported_with_the_order_number() {
        let mut store = MockPaymentStore::new();
        store
            .expect_insert()
            .returning(|_, _, _, _| Err(InsertPaymentError::DuplicateOrder));
        let err = service(store)
            .create(&owner(), create_req(Some("mch_test")), None, None)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "orderNo ORDER-1 was already used by this merchant"
        );
        assert!(!err.nonce_already_used());
    }

    fn nonce_record() -> NonceRecord {
        NonceRecord {
            client: owner(),
            nonce: crate::ids::Nonce::parse("nonce-0123456789ab").unwrap(),
            expires_at: crate::services::testkit::t0(),
        }
    }

    #[tokio::test]
    async fn a_deferred_nonce_is_handed_to_the_store_with_the_payment() {
        let mut store = MockPaymentStore::new();
        store
            .expect_insert()
            .withf(|_, _, _, nonce| nonce == &Some(nonce_record()))
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        service(store)
            .create(&owner(), create_req(None), None, Some(&nonce_record()))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_create_whose_nonce_the_store_finds_used_is_a_replay() {
        let mut store = MockPaymentStore::new();
        store
            .expect_insert()
            .returning(|_, _, _, _| Err(InsertPaymentError::Replayed));
        let err = service(store)
            .create(&owner(), create_req(None), None, Some(&nonce_record()))
            .await
            .unwrap_err();
        assert!(matches!(err, CreatePaymentError::Replayed));
        assert!(err.nonce_already_used());
    }

    #[tokio::test]
    async fn another_merchants_payment_is_not_found() {
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_key()
            .returning(|_| Ok(Some(fixtures::ready_payment())));
        let other = ClientId::parse("mch_other").unwrap();
        let err = service(store)
            .get(Some(&other), &PaymentKey::from_bytes([7; 32]))
            .await
            .unwrap_err();
        assert!(matches!(err, FindPaymentError::NotFound));
    }

    #[tokio::test]
    async fn completing_a_ready_payment_is_rejected_without_any_write() {
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_key()
            .returning(|_| Ok(Some(fixtures::ready_payment())));
        store.expect_transition().never();
        let err = service(store)
            .complete(&owner(), &PaymentKey::from_bytes([7; 32]), None)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            ChangePaymentError::Rejected(TransitionRejected::InvalidTransition {
                from: PaymentStatus::Ready,
                kind: TransitionKind::Complete
            })
        ));
    }

    #[tokio::test]
    async fn a_lost_race_is_re_decided_on_fresh_data() {
        // First load: READY. The CAS loses (someone canceled meanwhile). Second load: CANCELED,
        // so the cancel is now an invalid transition instead of a second CANCEL row.
        let loads = Arc::new(Mutex::new(0));
        let mut store = MockPaymentStore::new();
        let counter = loads.clone();
        store.expect_find_by_key().returning(move |_| {
            let mut n = counter.lock().unwrap();
            *n += 1;
            let p = fixtures::ready_payment();
            Ok(Some(if *n == 1 {
                p
            } else {
                p.apply(
                    fixtures::cancel(),
                    fixtures::merchant_origin(),
                    fixtures::at(1),
                )
                .unwrap()
                .0
            }))
        });
        store
            .expect_transition()
            .times(1)
            .returning(|_| Err(TransitionStoreError::Stale));
        let reason = CancelReason::parse("twice").unwrap();
        let err = service(store)
            .cancel(
                Some(&owner()),
                &PaymentKey::from_bytes([7; 32]),
                reason,
                fixtures::merchant_origin(),
            )
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            ChangePaymentError::Rejected(TransitionRejected::InvalidTransition {
                from: PaymentStatus::Canceled,
                ..
            })
        ));
        assert_eq!(*loads.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn canceling_a_ready_payment_writes_one_cancel_transition_from_version_zero() {
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_key()
            .returning(|_| Ok(Some(fixtures::ready_payment())));
        store
            .expect_transition()
            .withf(|c| {
                c.expected_version == 0
                    && c.next.status == PaymentStatus::Canceled
                    && c.audit.from_version == Some(0)
                    && c.events
                        .iter()
                        .any(|e| e.kind == crate::outbox::OutboxKind::AcquirerCancel)
            })
            .times(1)
            .returning(|_| Ok(()));
        let p = service(store)
            .cancel(
                Some(&owner()),
                &PaymentKey::from_bytes([7; 32]),
                CancelReason::parse("r").unwrap(),
                fixtures::merchant_origin(),
            )
            .await
            .unwrap();
        assert_eq!(p.status, PaymentStatus::Canceled);
    }

    #[tokio::test]
    async fn an_unknown_cursor_is_reported_instead_of_an_empty_page() {
        let mut store = MockPaymentStore::new();
        store.expect_find_by_key().returning(|_| Ok(None));
        store.expect_list().never();
        let q = ListPayments {
            starting_after: Some(PaymentKey::from_bytes([1; 32])),
            ..Default::default()
        };
        assert!(matches!(
            service(store).list(q).await,
            Err(ListPaymentsError::UnknownCursor)
        ));
    }

    fn approved() -> Payment {
        fixtures::ready_payment()
            .apply(
                fixtures::approve(),
                fixtures::merchant_origin(),
                fixtures::at(1),
            )
            .unwrap()
            .0
    }

    fn report(amount: i64) -> AcquirerReport {
        AcquirerReport {
            payment_key: PaymentKey::from_bytes([7; 32]),
            transaction_id: TransactionId::parse("tx-1").unwrap(),
            amount,
            outcome: ReportedOutcome::Approved,
        }
    }

    #[tokio::test]
    async fn canceling_an_approved_payment_whose_acquirer_cancel_fails_changes_nothing() {
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_key()
            .returning(|_| Ok(Some(approved())));
        store.expect_transition().never();
        let mut sender = MockOutboundSender::new();
        sender.expect_post().times(1).returning(|_| SendReport {
            status: Some(500),
            ..Default::default()
        });
        let err = service_with(store, sender)
            .cancel(
                Some(&owner()),
                &PaymentKey::from_bytes([7; 32]),
                CancelReason::parse("r").unwrap(),
                fixtures::merchant_origin(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, ChangePaymentError::Acquirer(_)));
    }

    #[tokio::test]
    async fn canceling_an_approved_payment_asks_the_acquirer_once_even_if_the_write_races() {
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_key()
            .returning(|_| Ok(Some(approved())));
        let mut calls = 0;
        store.expect_transition().times(2).returning(move |_| {
            calls += 1;
            if calls == 1 {
                Err(TransitionStoreError::Stale)
            } else {
                Ok(())
            }
        });
        let mut sender = MockOutboundSender::new();
        sender.expect_post().times(1).returning(|_| SendReport {
            status: Some(200),
            ..Default::default()
        });
        let p = service_with(store, sender)
            .cancel(
                Some(&owner()),
                &PaymentKey::from_bytes([7; 32]),
                CancelReason::parse("r").unwrap(),
                fixtures::merchant_origin(),
            )
            .await
            .unwrap();
        assert_eq!(p.status, PaymentStatus::Canceled);
    }

    #[tokio::test]
    async fn an_approval_webhook_for_a_ready_payment_is_applied() {
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_key()
            .returning(|_| Ok(Some(fixtures::ready_payment())));
        store
            .expect_transition()
            .withf(|c| c.next.status == PaymentStatus::Approved && c.audit.actor == Actor::Acquirer)
            .times(1)
            .returning(|_| Ok(()));
        let outcome = service(store)
            .apply_acquirer_report(report(15_000), None)
            .await
            .unwrap();
        assert!(
            matches!(outcome, WebhookOutcome::Applied(p) if p.status == PaymentStatus::Approved)
        );
    }

    #[tokio::test]
    async fn a_repeated_approval_is_a_duplicate_with_a_note_and_no_transition() {
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_key()
            .returning(|_| Ok(Some(approved())));
        store.expect_transition().never();
        store
            .expect_append_note()
            .withf(|_, n, events| n.action == AuditAction::WebhookDuplicate && events.is_empty())
            .times(1)
            .returning(|_, _, _| Ok(()));
        let outcome = service(store)
            .apply_acquirer_report(report(15_000), None)
            .await
            .unwrap();
        assert!(matches!(outcome, WebhookOutcome::Duplicate(_)));
    }

    #[tokio::test]
    async fn a_wrong_amount_is_refused_and_audited_without_a_transition() {
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_key()
            .returning(|_| Ok(Some(fixtures::ready_payment())));
        store.expect_transition().never();
        store
            .expect_append_note()
            .withf(|_, n, _| n.action == AuditAction::WebhookRejected)
            .times(1)
            .returning(|_, _, _| Ok(()));
        let err = service(store)
            .apply_acquirer_report(report(15_001), None)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            WebhookError::AmountMismatch {
                expected: 15_000,
                reported: 15_001
            }
        ));
    }

    #[tokio::test]
    async fn an_approval_after_cancel_is_refused_and_queues_a_compensating_cancel() {
        let canceled = fixtures::ready_payment()
            .apply(
                fixtures::cancel(),
                fixtures::merchant_origin(),
                fixtures::at(1),
            )
            .unwrap()
            .0;
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_key()
            .returning(move |_| Ok(Some(canceled.clone())));
        store.expect_transition().never();
        store
            .expect_append_note()
            .withf(|_, n, events| {
                n.action == AuditAction::WebhookRejected
                    && events.len() == 1
                    && events[0].kind == crate::outbox::OutboxKind::AcquirerCancel
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let err = service(store)
            .apply_acquirer_report(report(15_000), None)
            .await
            .unwrap_err();
        assert!(matches!(err, WebhookError::Conflict(_)));
    }

    #[test]
    fn pages_report_whether_more_rows_exist() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2);
        assert_eq!(page.items, vec![1, 2]);
        assert!(page.has_more);
        assert!(!Page::from_overfetch(vec![1, 2], 2).has_more);
    }
}
