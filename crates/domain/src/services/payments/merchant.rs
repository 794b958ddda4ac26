//! The merchant API's use cases: create, list, complete, audit trail (api.md §3); cancels are in
//! [`super::cancels`].

use std::convert::Infallible;

use crate::{
    ids::{ClientId, PaymentKey, RequestId},
    payment::{Actor, AuditEntry, Command, Origin, Payment},
    ports::{InsertPaymentError, NonceRecord},
    services::Page,
};

use super::{
    ChangePaymentError, CreatePayment, CreatePaymentError, FindPaymentError, ListPayments,
    ListPaymentsError, PaymentService,
    change::{Changed, Decision, MAX_ATTEMPTS},
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

    /// APPROVED → COMPLETED (api.md §3.4), queuing the capture at the acquirer in the same
    /// transaction (api.md §9.3).
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
        self.change_payment(
            Some(merchant),
            key,
            &origin,
            MAX_ATTEMPTS,
            |current| async move {
                let capture = self.outbound.acquirer_capture(&current, self.clock.now());
                Ok(Decision::apply_with(Command::Complete, vec![capture]))
            },
        )
        .await
    }

    /// Changes the payment `key` (of `owner`, or of any merchant) as `decide` says, deciding
    /// again on the payment as it is whenever another change got there first. `decide` never
    /// stops: it applies a command or fails.
    pub(super) async fn change_payment<D>(
        &self,
        owner: Option<&ClientId>,
        key: &PaymentKey,
        origin: &Origin,
        attempts: usize,
        decide: impl FnMut(Payment) -> D,
    ) -> Result<Payment, ChangePaymentError>
    where
        D: Future<Output = Result<Decision<Infallible>, ChangePaymentError>>,
    {
        let changed = self
            .change_within(
                attempts,
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
