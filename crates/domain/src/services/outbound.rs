//! Building outbox messages and signed outbound requests (api.md §5, §7).

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError, Timestamp,
    ids::ClientId,
    outbox::{OutboxKind, OutboxMessage, SendReport},
    payment::{AcquirerCancel, Payment, TransitionKind},
    ports::{
        Destination, DispatchSignal, KeyGenerator, MerchantStore, OutboundRequest, OutboundSender,
        PayloadEncoder,
    },
    service_struct::service_struct,
    signing::WebhookKey,
};

/// Where the acquirer lives and how we talk to it.
#[derive(Clone, Debug)]
pub struct AcquirerEndpoint {
    /// `acquirer.request_url`; the cancel URL is `{request_url}/cancel`.
    pub request_url: String,
    /// The webhook URL handed to the acquirer (our `/api/webhook/payment`).
    pub return_url: String,
    /// The shared Standard Webhooks secret (both directions).
    pub key: WebhookKey,
    pub timeout: Duration,
}

impl AcquirerEndpoint {
    pub fn cancel_url(&self) -> String {
        format!("{}/cancel", self.request_url.trim_end_matches('/'))
    }
}

/// The `type` of a merchant notification for a transition.
pub const fn event_type(kind: TransitionKind) -> &'static str {
    match kind {
        TransitionKind::Approve => "payment.approved",
        TransitionKind::Fail => "payment.failed",
        TransitionKind::Complete => "payment.completed",
        TransitionKind::Cancel => "payment.canceled",
        TransitionKind::Expire => "payment.expired",
    }
}

/// Standard Webhooks headers for one attempt: `webhook-id`, `webhook-timestamp` and one `v1,`
/// signature per key (several during a secret rotation).
pub fn signed_headers(
    keys: &[WebhookKey],
    id: &str,
    timestamp_secs: i64,
    body: &str,
) -> Vec<(String, String)> {
    let signatures: Vec<String> = keys
        .iter()
        .map(|k| k.sign(id, timestamp_secs, body.as_bytes()))
        .collect();
    vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("webhook-id".to_owned(), id.to_owned()),
        ("webhook-timestamp".to_owned(), timestamp_secs.to_string()),
        ("webhook-signature".to_owned(), signatures.join(" ")),
    ]
}

service_struct! {
    /// Makes the outbox messages that state changes cause, and performs the one synchronous
    /// outbound call (acquirer cancel).
    pub struct Outbound {
        encoder: Arc<dyn PayloadEncoder>,
        keys: Arc<dyn KeyGenerator>,
        merchants: Arc<dyn MerchantStore>,
        sender: Arc<dyn OutboundSender>,
        signal: Arc<dyn DispatchSignal>,
        acquirer: Arc<AcquirerEndpoint>,
    }
    pub fn new;
}

impl Outbound {
    pub fn acquirer(&self) -> &AcquirerEndpoint {
        &self.acquirer
    }

    fn message(
        &self,
        kind: OutboxKind,
        payment: &Payment,
        target_url: String,
        payload: String,
        now: Timestamp,
    ) -> OutboxMessage {
        OutboxMessage {
            id: self.keys.event_id(),
            kind,
            payment_id: Some(payment.id),
            client_id: Some(payment.client_id.clone()),
            event_type: None,
            target_url,
            payload,
            created_at: now,
            not_before: now,
        }
    }

    /// "Process this payment", sent after the create commits.
    pub fn acquirer_request(&self, payment: &Payment, now: Timestamp) -> OutboxMessage {
        let body = self
            .encoder
            .acquirer_request(payment, &self.acquirer.return_url);
        self.message(
            OutboxKind::AcquirerRequest,
            payment,
            self.acquirer.request_url.clone(),
            body,
            now,
        )
    }

    /// "Cancel this payment's transaction", delivered asynchronously.
    pub fn acquirer_cancel(
        &self,
        payment: &Payment,
        cancel: &AcquirerCancel,
        now: Timestamp,
    ) -> OutboxMessage {
        let body = self.encoder.acquirer_cancel(cancel);
        self.message(
            OutboxKind::AcquirerCancel,
            payment,
            self.acquirer.cancel_url(),
            body,
            now,
        )
    }

    /// The merchant notification for a transition, or `None` when the merchant has no
    /// `returnUrl` (no deliveries, no errors).
    pub async fn notification(
        &self,
        payment: &Payment,
        kind: TransitionKind,
        now: Timestamp,
    ) -> Result<Option<OutboxMessage>, RepositoryError> {
        let Some(url) = self.return_url_of(&payment.client_id).await? else {
            return Ok(None);
        };
        let event_type = event_type(kind);
        let body = self.encoder.merchant_event(event_type, payment, now);
        let mut message = self.message(OutboxKind::MerchantNotification, payment, url, body, now);
        message.event_type = Some(event_type.to_owned());
        Ok(Some(message))
    }

    async fn return_url_of(&self, client: &ClientId) -> Result<Option<String>, RepositoryError> {
        Ok(self
            .merchants
            .find(client)
            .await?
            .and_then(|m| m.return_url)
            .map(|u| u.to_string()))
    }

    /// Asks the acquirer to cancel now, outside any transaction. `Err` carries why it failed.
    pub async fn cancel_at_acquirer(
        &self,
        cancel: &AcquirerCancel,
        now: Timestamp,
    ) -> Result<(), String> {
        let id = self.keys.event_id().to_string();
        let body = self.encoder.acquirer_cancel(cancel);
        let request = OutboundRequest {
            destination: Destination::Acquirer,
            url: self.acquirer.cancel_url(),
            headers: signed_headers(
                std::slice::from_ref(&self.acquirer.key),
                &id,
                now.unix_seconds(),
                &body,
            ),
            body,
            timeout: self.acquirer.timeout,
        };
        let report: SendReport = self.sender.post(&request).await;
        if report.is_success() {
            Ok(())
        } else {
            Err(format!(
                "the acquirer did not cancel the transaction ({})",
                report.summary()
            ))
        }
    }

    /// Wakes the dispatcher after a commit that wrote messages.
    pub fn wake(&self) {
        self.signal.wake();
    }
}
