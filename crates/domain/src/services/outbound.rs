//! Building outbox messages and signed outbound requests (api.md §5, §7).

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError, Timestamp,
    ids::ClientId,
    ids::{EventId, TransactionId},
    outbox::{DeliveryAttempt, OutboxKind, OutboxMessage, SendReport},
    payment::{AcquirerCancel, AuditAction, Payment, TransitionKind},
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
    /// How long a merchant's cancel waits for the acquirer before it answers 202 and leaves the
    /// cancel to the outbox (`acquirer.cancel_timeout_ms`, api.md §9.2).
    pub cancel_timeout: Duration,
}

impl AcquirerEndpoint {
    pub fn cancel_url(&self) -> String {
        format!("{}/cancel", self.request_url.trim_end_matches('/'))
    }

    pub fn capture_url(&self) -> String {
        format!("{}/capture", self.request_url.trim_end_matches('/'))
    }
}

/// The `type` of the merchant notification an audited change sends, if any (api.md §7, §9.6).
pub const fn event_type(action: AuditAction) -> Option<&'static str> {
    match action {
        AuditAction::Transition(kind) => Some(match kind {
            TransitionKind::Approve => "payment.approved",
            TransitionKind::Fail => "payment.failed",
            TransitionKind::Complete => "payment.completed",
            TransitionKind::Cancel | TransitionKind::ExpireAuthorization => "payment.canceled",
            TransitionKind::PartialCancel => "payment.partially_canceled",
            TransitionKind::Expire => "payment.expired",
        }),
        AuditAction::CancelFailed => Some("payment.cancel_failed"),
        AuditAction::Create
        | AuditAction::CancelRequested
        | AuditAction::WebhookDuplicate
        | AuditAction::WebhookRejected
        | AuditAction::AcquirerRequestFailed => None,
    }
}

/// How the acquirer answered a synchronous cancel call.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CancelCall {
    /// 2xx: the cancel is done at the acquirer (under this transaction id, if it gave one).
    Confirmed(Option<TransactionId>),
    /// 4xx: the acquirer refuses this cancel, definitively.
    Refused(String),
    /// No answer that decides (5xx, timeout, no connection): the outbox asks again.
    Unanswered(String),
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
            cancel_id: None,
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

    /// "Cancel this (part of the) payment's transaction", delivered by the outbox from
    /// `not_before` on. It carries the cancel's id: its answer settles that cancel if it is still
    /// PENDING.
    pub fn acquirer_cancel(
        &self,
        payment: &Payment,
        cancel: &AcquirerCancel,
        now: Timestamp,
        not_before: Timestamp,
    ) -> OutboxMessage {
        let body = self.encoder.acquirer_cancel(cancel);
        let mut message = self.message(
            OutboxKind::AcquirerCancel,
            payment,
            self.acquirer.cancel_url(),
            body,
            now,
        );
        message.not_before = not_before;
        message.cancel_id = Some(cancel.cancel_id.clone());
        message
    }

    /// "Capture this payment", queued with the APPROVED → COMPLETED change (api.md §9.3).
    pub fn acquirer_capture(&self, payment: &Payment, now: Timestamp) -> OutboxMessage {
        let body = self.encoder.acquirer_capture(payment);
        self.message(
            OutboxKind::AcquirerCapture,
            payment,
            self.acquirer.capture_url(),
            body,
            now,
        )
    }

    /// The merchant notification for an audited change, or `None` when the change sends none or
    /// the merchant has no `returnUrl` (no deliveries, no errors).
    pub async fn notification(
        &self,
        payment: &Payment,
        action: AuditAction,
        now: Timestamp,
    ) -> Result<Option<OutboxMessage>, RepositoryError> {
        let Some(event_type) = event_type(action) else {
            return Ok(None);
        };
        let Some(url) = self.return_url_of(&payment.client_id).await? else {
            return Ok(None);
        };
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

    /// Asks the acquirer to carry out `cancel` now, outside any transaction, waiting at most
    /// the cancel timeout. `event` is the id of the outbox message that retries it: the call
    /// goes out under that `webhook-id`, so the acquirer sees one message however often it is
    /// sent. What the answer means, and the call as that message's first attempt.
    pub async fn cancel_at_acquirer(
        &self,
        cancel: &AcquirerCancel,
        event: EventId,
        now: Timestamp,
    ) -> (CancelCall, DeliveryAttempt) {
        let body = self.encoder.acquirer_cancel(cancel);
        let request = OutboundRequest {
            destination: Destination::Acquirer,
            url: self.acquirer.cancel_url(),
            headers: signed_headers(
                std::slice::from_ref(&self.acquirer.key),
                &event.to_string(),
                now.unix_seconds(),
                &body,
            ),
            body,
            timeout: self.acquirer.cancel_timeout,
        };
        let report: SendReport = self.sender.post(&request).await;
        let call = self.cancel_answer(&report);
        // An answered call is the message's first attempt: it settles the cancel and finishes
        // the message. An unanswered one is attempt 0, listed but not one of the outbox's
        // `max_attempts`, which come after the synchronous call's time.
        let attempt_no = match call {
            CancelCall::Unanswered(_) => 0,
            CancelCall::Confirmed(_) | CancelCall::Refused(_) => 1,
        };
        let attempt = DeliveryAttempt {
            event_id: event,
            attempt_no,
            started_at: now,
            report,
        };
        (call, attempt)
    }

    /// What an acquirer's answer to a cancel call means.
    pub fn cancel_answer(&self, report: &SendReport) -> CancelCall {
        if report.is_success() {
            let transaction_id = report
                .excerpt
                .as_deref()
                .and_then(|body| self.encoder.cancel_confirmation(body));
            CancelCall::Confirmed(transaction_id)
        } else if !report.is_retryable() {
            CancelCall::Refused(report.summary())
        } else {
            CancelCall::Unanswered(report.summary())
        }
    }

    /// Wakes the dispatcher after a commit that wrote messages.
    pub fn wake(&self) {
        self.signal.wake();
    }
}
