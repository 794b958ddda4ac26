//! Payment use cases, one file per kind of caller:
//!
//! - [`merchant`]: the merchant API — create, read, list, complete, cancel, audit trail;
//! - [`acquirer_reports`]: the acquirer's outcome webhooks;
//! - [`system`]: the background workers — expiry, an acquirer that cannot be reached.
//!
//! Every state change goes through one loop, [`PaymentService::change`] in [`change`]: load,
//! decide, compare-and-set, decide again on fresh data after a lost race or a database conflict.

mod acquirer_reports;
mod back_office;
#[cfg(test)]
mod back_office_tests;
#[cfg(test)]
mod cancel_tests;
mod cancels;
mod change;
#[cfg(test)]
mod change_tests;
mod errors;
#[cfg(test)]
mod expiry_tests;
mod merchant;
mod system;
#[cfg(test)]
mod tests;

use std::{sync::Arc, time::Duration};

pub use back_office::CANCEL_ACTION;
pub use cancels::{AcquirerCancelAnswer, CancelAnswer, CancelRequest};
pub use change::MAX_ATTEMPTS;
pub use errors::{
    ChangePaymentError, Contended, CreatePaymentError, FindPaymentError, ListPaymentsError,
    WebhookError, WebhookOutcome,
};

use crate::{
    RepositoryError,
    ids::{ClientId, PaymentKey},
    outbox::OutboxMessage,
    payment::{AuditAction, AuditNote, NewPayment, Origin, Payment},
    ports::{Clock, KeyGenerator, PaymentFilter, PaymentStore},
    service_struct::service_struct,
    services::{Limit, outbound::Outbound},
};

#[derive(Clone, Copy, Debug)]
pub struct PaymentPolicy {
    /// How long a payment may stay READY before it expires.
    pub ready_ttl: Duration,
    /// How long an APPROVED payment's authorization holds unless completed (api.md §9.4).
    pub authorization_ttl: Duration,
}

impl Default for PaymentPolicy {
    fn default() -> Self {
        Self {
            ready_ttl: Duration::from_secs(1800),
            authorization_ttl: Duration::from_secs(7 * 24 * 3600),
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

/// A listing request: filters, page size and cursor.
#[derive(Clone, Debug, Default)]
pub struct ListPayments {
    pub filter: PaymentFilter,
    pub limit: Limit,
    pub starting_after: Option<PaymentKey>,
}

service_struct! {
    pub struct PaymentService {
        store: Arc<dyn PaymentStore>,
        keys: Arc<dyn KeyGenerator>,
        clock: Arc<dyn Clock>,
        outbound: Outbound,
        policy: PaymentPolicy,
    }
    pub fn new;
}

impl PaymentService {
    /// The payment, if it exists and belongs to `owner` (`None`: any merchant, for admins and
    /// the system). Another merchant's payment is reported exactly like an unknown key.
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

    /// An audit row that records an event without changing the payment (a duplicate or refused
    /// webhook), with the outbox `events` it causes, in one transaction.
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
