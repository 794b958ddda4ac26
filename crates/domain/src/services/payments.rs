//! Payment use cases: create, read, list, complete, cancel, audit trail.

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError,
    ids::{ClientId, PaymentKey, RequestId},
    payment::{Actor, AuditEntry, CancelReason, Command, NewPayment, Origin, Payment, PaymentStatus, TransitionRejected},
    ports::{Clock, InsertPaymentError, KeyGenerator, PageRequest, PaymentFilter, PaymentStore, StateChange, TransitionStoreError},
    services::{Limit, Page},
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
        Self { ready_ttl: Duration::from_secs(1800) }
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
    #[error(transparent)]
    Repository(#[from] RepositoryError),
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

#[derive(Clone)]
pub struct PaymentService {
    store: Arc<dyn PaymentStore>,
    keys: Arc<dyn KeyGenerator>,
    clock: Arc<dyn Clock>,
    policy: PaymentPolicy,
}

impl PaymentService {
    pub fn new(store: Arc<dyn PaymentStore>, keys: Arc<dyn KeyGenerator>, clock: Arc<dyn Clock>, policy: PaymentPolicy) -> Self {
        Self { store, keys, clock, policy }
    }

    pub async fn create(&self, merchant: &ClientId, req: CreatePayment, request_id: Option<RequestId>) -> Result<Payment, CreatePaymentError> {
        if req.declared_client_id.as_deref().is_some_and(|declared| declared != merchant.as_str()) {
            return Err(CreatePaymentError::ClientMismatch);
        }
        let order_no = req.payment.order_no.to_string();
        let (payment, audit) = Payment::create(
            self.keys.payment_id(),
            self.keys.payment_key(),
            merchant.clone(),
            req.payment,
            self.clock.now(),
            self.policy.ready_ttl,
            request_id,
        );
        match self.store.insert(&payment, &audit).await {
            Ok(()) => Ok(payment),
            Err(InsertPaymentError::DuplicateOrder) => Err(CreatePaymentError::DuplicateOrder(order_no)),
            Err(InsertPaymentError::Repository(e)) => Err(e.into()),
        }
    }

    /// The payment, if it exists and belongs to `owner` (`None`: any merchant, for admins).
    /// Another merchant's payment is reported exactly like an unknown key.
    pub async fn get(&self, owner: Option<&ClientId>, key: &PaymentKey) -> Result<Payment, FindPaymentError> {
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
        let page = PageRequest { limit: query.limit.get(), before };
        let rows = self.store.list(&query.filter, &page).await?;
        Ok(Page::from_overfetch(rows, query.limit.get()))
    }

    pub async fn complete(&self, merchant: &ClientId, key: &PaymentKey, request_id: Option<RequestId>) -> Result<Payment, ChangePaymentError> {
        let origin = Origin { actor: Actor::Merchant, request_id };
        self.change(Some(merchant), key, |_| Ok(Command::Complete), origin).await
    }

    /// Cancels a READY payment locally. Canceling an APPROVED or COMPLETED payment needs the
    /// acquirer to cancel the transaction first, which this build cannot do yet.
    pub async fn cancel(
        &self,
        merchant: &ClientId,
        key: &PaymentKey,
        reason: CancelReason,
        request_id: Option<RequestId>,
    ) -> Result<Payment, ChangePaymentError> {
        let origin = Origin { actor: Actor::Merchant, request_id };
        self.change(
            Some(merchant),
            key,
            |current| match current.status {
                PaymentStatus::Approved | PaymentStatus::Completed => {
                    Err(ChangePaymentError::Acquirer("the acquirer could not be asked to cancel the transaction".into()))
                }
                PaymentStatus::Ready | PaymentStatus::Failed | PaymentStatus::Canceled | PaymentStatus::Expired => {
                    Ok(Command::Cancel { reason: reason.clone() })
                }
            },
            origin,
        )
        .await
    }

    pub async fn audit_trail(&self, owner: Option<&ClientId>, key: &PaymentKey) -> Result<Vec<AuditEntry>, FindPaymentError> {
        let payment = self.get(owner, key).await?;
        Ok(self.store.audit_trail(&payment.id).await?)
    }

    /// Load, decide, compare-and-set; on a lost race, reload and decide again.
    async fn change(
        &self,
        owner: Option<&ClientId>,
        key: &PaymentKey,
        decide: impl Fn(&Payment) -> Result<Command, ChangePaymentError>,
        origin: Origin,
    ) -> Result<Payment, ChangePaymentError> {
        for _ in 0..MAX_CAS_ATTEMPTS {
            let current = self.get(owner, key).await?;
            let command = decide(&current)?;
            let (next, audit) = current.apply(command, origin.clone(), self.clock.now())?;
            let change = StateChange { expected_version: current.version, next, audit };
            match self.store.transition(&change).await {
                Ok(()) => return Ok(change.next),
                Err(TransitionStoreError::Stale) => continue,
                Err(TransitionStoreError::Repository(e)) => return Err(e.into()),
            }
        }
        Err(ChangePaymentError::Contended)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{
        payment::{TransitionKind, fixtures},
        ports::MockPaymentStore,
        services::testkit::{fixed_clock, keys},
    };

    fn service(store: MockPaymentStore) -> PaymentService {
        PaymentService::new(Arc::new(store), Arc::new(keys()), Arc::new(fixed_clock()), PaymentPolicy::default())
    }

    fn owner() -> ClientId {
        fixtures::client()
    }

    fn create_req(declared: Option<&str>) -> CreatePayment {
        CreatePayment { declared_client_id: declared.map(str::to_owned), payment: fixtures::new_payment(15_000) }
    }

    #[tokio::test]
    async fn creating_a_payment_stores_it_ready_with_a_create_audit_row() {
        let mut store = MockPaymentStore::new();
        store
            .expect_insert()
            .withf(|p, a| p.status == PaymentStatus::Ready && a.action.as_str() == "CREATE" && a.actor == Actor::Merchant)
            .times(1)
            .returning(|_, _| Ok(()));
        let p = service(store).create(&owner(), create_req(None), None).await.unwrap();
        assert_eq!(p.status, PaymentStatus::Ready);
    }

    #[tokio::test]
    async fn a_body_client_id_of_another_merchant_is_refused_without_writing() {
        let mut store = MockPaymentStore::new();
        store.expect_insert().never();
        let err = service(store).create(&owner(), create_req(Some("mch_other")), None).await.unwrap_err();
        assert!(matches!(err, CreatePaymentError::ClientMismatch));
    }

    #[tokio::test]
    async fn a_duplicate_order_number_is_reported_with_the_order_number() {
        let mut store = MockPaymentStore::new();
        store.expect_insert().returning(|_, _| Err(InsertPaymentError::DuplicateOrder));
        let err = service(store).create(&owner(), create_req(Some("mch_test")), None).await.unwrap_err();
        assert_eq!(err.to_string(), "orderNo ORDER-1 was already used by this merchant");
    }

    #[tokio::test]
    async fn another_merchants_payment_is_not_found() {
        let mut store = MockPaymentStore::new();
        store.expect_find_by_key().returning(|_| Ok(Some(fixtures::ready_payment())));
        let other = ClientId::parse("mch_other").unwrap();
        let err = service(store).get(Some(&other), &PaymentKey::from_bytes([7; 32])).await.unwrap_err();
        assert!(matches!(err, FindPaymentError::NotFound));
    }

    #[tokio::test]
    async fn completing_a_ready_payment_is_rejected_without_any_write() {
        let mut store = MockPaymentStore::new();
        store.expect_find_by_key().returning(|_| Ok(Some(fixtures::ready_payment())));
        store.expect_transition().never();
        let err = service(store).complete(&owner(), &PaymentKey::from_bytes([7; 32]), None).await.unwrap_err();
        assert!(matches!(
            err,
            ChangePaymentError::Rejected(TransitionRejected::InvalidTransition { from: PaymentStatus::Ready, kind: TransitionKind::Complete })
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
            Ok(Some(if *n == 1 { p } else { p.apply(fixtures::cancel(), fixtures::merchant_origin(), fixtures::at(1)).unwrap().0 }))
        });
        store.expect_transition().times(1).returning(|_| Err(TransitionStoreError::Stale));
        let reason = CancelReason::parse("twice").unwrap();
        let err = service(store).cancel(&owner(), &PaymentKey::from_bytes([7; 32]), reason, None).await.unwrap_err();
        assert!(matches!(err, ChangePaymentError::Rejected(TransitionRejected::InvalidTransition { from: PaymentStatus::Canceled, .. })));
        assert_eq!(*loads.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn canceling_a_ready_payment_writes_one_cancel_transition_from_version_zero() {
        let mut store = MockPaymentStore::new();
        store.expect_find_by_key().returning(|_| Ok(Some(fixtures::ready_payment())));
        store
            .expect_transition()
            .withf(|c| c.expected_version == 0 && c.next.status == PaymentStatus::Canceled && c.audit.from_version == Some(0))
            .times(1)
            .returning(|_| Ok(()));
        let p = service(store)
            .cancel(&owner(), &PaymentKey::from_bytes([7; 32]), CancelReason::parse("r").unwrap(), None)
            .await
            .unwrap();
        assert_eq!(p.status, PaymentStatus::Canceled);
    }

    #[tokio::test]
    async fn an_unknown_cursor_is_reported_instead_of_an_empty_page() {
        let mut store = MockPaymentStore::new();
        store.expect_find_by_key().returning(|_| Ok(None));
        store.expect_list().never();
        let q = ListPayments { starting_after: Some(PaymentKey::from_bytes([1; 32])), ..Default::default() };
        assert!(matches!(service(store).list(q).await, Err(ListPaymentsError::UnknownCursor)));
    }

    #[test]
    fn pages_report_whether_more_rows_exist() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2);
        assert_eq!(page.items, vec![1, 2]);
        assert!(page.has_more);
        assert!(!Page::from_overfetch(vec![1, 2], 2).has_more);
    }
}
