//! Payments through the back office (api.md §8, §10.1): the same use cases as the merchant's,
//! for a [`Principal`] — a platform role over every merchant, a merchant role over its own
//! only, another merchant's payment answered exactly as an unknown one.

use crate::{
    ids::PaymentKey,
    payment::{Actor, AuditEntry, Origin, Payment},
    people::{
        Action, Guarded, NothingInReach, OperatorAuditEntry, Principal, RequestOrigin, Scope,
    },
    services::Page,
};

use super::{
    CancelAnswer, CancelRequest, ChangePaymentError, FindPaymentError, ListPayments,
    ListPaymentsError, PaymentService,
};

/// The operator audit action of a cancel through the back office.
pub const CANCEL_ACTION: &str = "PAYMENT_CANCEL";

impl PaymentService {
    /// The payments `by` may see, newest first: the query's `clientId` filter narrowed to a
    /// merchant role's own merchant (another merchant's: an empty page).
    pub async fn search(
        &self,
        by: &Principal,
        mut query: ListPayments,
    ) -> Result<Page<Payment>, Guarded<ListPaymentsError>> {
        let reach = by
            .reach(Action::ReadPayments, query.filter.client_id.take())
            .map_err(|d| Guarded::denied(d, ListPaymentsError::UnknownCursor))?;
        match reach.merchant_filter() {
            Ok(client) => {
                query.filter.client_id = client;
                Ok(self.list(query).await?)
            }
            Err(NothingInReach) if query.starting_after.is_some() => {
                Err(ListPaymentsError::UnknownCursor.into())
            }
            Err(NothingInReach) => Ok(Page::empty()),
        }
    }

    /// A payment `by` may do `action` to.
    async fn reachable(
        &self,
        by: &Principal,
        action: Action,
        key: &PaymentKey,
    ) -> Result<Payment, Guarded<FindPaymentError>> {
        let payment = self.get(by.merchant(), key).await?;
        by.may_touch(action, Some(&payment.client_id))
            .map_err(|d| Guarded::denied(d, FindPaymentError::NotFound))?;
        Ok(payment)
    }

    /// A payment, for `by`.
    pub async fn show(
        &self,
        by: &Principal,
        key: &PaymentKey,
    ) -> Result<Payment, Guarded<FindPaymentError>> {
        self.reachable(by, Action::ReadPayments, key).await
    }

    /// A payment's audit trail, oldest first, for `by`.
    pub async fn trail(
        &self,
        by: &Principal,
        key: &PaymentKey,
    ) -> Result<Vec<AuditEntry>, Guarded<FindPaymentError>> {
        let payment = self.reachable(by, Action::ReadPayments, key).await?;
        Ok(self
            .store
            .audit_trail(&payment.id)
            .await
            .map_err(FindPaymentError::from)?)
    }

    /// Cancels (part of) a payment on its merchant's behalf (api.md §9.7), as the merchant
    /// cancel does; the payment's trail names actor `ADMIN` for a platform role and `MERCHANT`
    /// for the merchant's own people, and the operator audit log gets a `PAYMENT_CANCEL` row in
    /// the transaction that reserves (or makes) the cancel.
    pub async fn cancel_for(
        &self,
        by: &Principal,
        key: &PaymentKey,
        request: CancelRequest,
        from: &RequestOrigin,
    ) -> Result<CancelAnswer, Guarded<ChangePaymentError>> {
        let payment = self
            .reachable(by, Action::CancelPayment, key)
            .await
            .map_err(|e| match e {
                Guarded::Forbidden => Guarded::Forbidden,
                Guarded::Failed(FindPaymentError::NotFound) => {
                    Guarded::Failed(ChangePaymentError::NotFound)
                }
                Guarded::Failed(FindPaymentError::Repository(r)) => Guarded::Failed(r.into()),
            })?;
        let actor = match by.scope() {
            Scope::Platform => Actor::Admin,
            Scope::Merchant(_) => Actor::Merchant,
        };
        let origin = Origin {
            actor,
            request_id: from.request_id.clone(),
        };
        let row = OperatorAuditEntry::success(
            by,
            CANCEL_ACTION,
            Some(key.to_string()),
            from,
            self.clock.now(),
        );
        Ok(self
            .cancel(Some(&payment.client_id), key, request, origin, Some(row))
            .await?)
    }
}
