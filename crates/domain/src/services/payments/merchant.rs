//! The merchant API's use cases: create, list, complete, cancel, audit trail (api.md §3).

use std::{
    convert::Infallible,
    sync::atomic::{AtomicBool, Ordering},
};

use crate::{
    ids::{ClientId, PaymentKey, RequestId},
    payment::{
        AcquirerCancel, Actor, AuditEntry, CancelReason, Command, Origin, Payment, PaymentStatus,
    },
    ports::{InsertPaymentError, NonceRecord},
    services::Page,
};

use super::{
    ChangePaymentError, CreatePayment, CreatePaymentError, FindPaymentError, ListPayments,
    ListPaymentsError, PaymentService,
    change::{Changed, Decision},
};

impl PaymentService {
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
        let filter = &query.filter;
        let page = Page::fetch(query.limit.get(), before, |page| async move {
            self.store.list(filter, &page).await
        })
        .await?;
        Ok(page)
    }

    /// APPROVED → COMPLETED (api.md §3.4).
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
        self.change_payment(Some(merchant), key, &origin, |_| async {
            Ok(Decision::apply(Command::Complete))
        })
        .await
    }

    /// Cancels a payment (api.md §3.5). READY: canceled here, the acquirer is told through the
    /// outbox. APPROVED/COMPLETED: the acquirer cancels the transaction first, synchronously and
    /// with no transaction or lock held; if it fails, nothing changes. The acquirer is asked at
    /// most once, however many times the write has to be decided again.
    pub async fn cancel(
        &self,
        owner: Option<&ClientId>,
        key: &PaymentKey,
        reason: CancelReason,
        origin: Origin,
    ) -> Result<Payment, ChangePaymentError> {
        let acquirer_canceled = AtomicBool::new(false);
        let (reason, canceled) = (&reason, &acquirer_canceled);
        self.change_payment(owner, key, &origin, |current| async move {
            let now = self.clock.now();
            let events = match current.status {
                PaymentStatus::Approved | PaymentStatus::Completed => {
                    if !canceled.load(Ordering::Acquire) {
                        self.outbound
                            .cancel_at_acquirer(&AcquirerCancel::of(&current, reason.clone()), now)
                            .await
                            .map_err(ChangePaymentError::Acquirer)?;
                        canceled.store(true, Ordering::Release);
                    }
                    Vec::new()
                }
                PaymentStatus::Ready => {
                    vec![self.outbound.acquirer_cancel(
                        &current,
                        &AcquirerCancel::of(&current, reason.clone()),
                        now,
                    )]
                }
                PaymentStatus::Failed | PaymentStatus::Canceled | PaymentStatus::Expired => {
                    Vec::new()
                }
            };
            Ok(Decision::Apply {
                command: Command::Cancel {
                    reason: reason.clone(),
                },
                events,
            })
        })
        .await
    }

    /// Changes the payment `key` (of `owner`, or of any merchant) as `decide` says, deciding
    /// again on the payment as it is whenever another change got there first. `decide` never
    /// stops: it applies a command or fails.
    async fn change_payment<D>(
        &self,
        owner: Option<&ClientId>,
        key: &PaymentKey,
        origin: &Origin,
        decide: impl FnMut(Payment) -> D,
    ) -> Result<Payment, ChangePaymentError>
    where
        D: Future<Output = Result<Decision<Infallible>, ChangePaymentError>>,
    {
        let changed = self
            .change(
                origin,
                || async move { Ok(self.get(owner, key).await?) },
                decide,
            )
            .await?;
        match changed {
            Changed::Applied(p) => Ok(*p),
            Changed::Stopped(never) => match never {},
        }
    }

    /// The payment's audit trail, oldest first.
    pub async fn audit_trail(
        &self,
        owner: Option<&ClientId>,
        key: &PaymentKey,
    ) -> Result<Vec<AuditEntry>, FindPaymentError> {
        let payment = self.get(owner, key).await?;
        Ok(self.store.audit_trail(&payment.id).await?)
    }
}
