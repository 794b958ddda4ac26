//! Delivering the outbox: claim due messages, sign and send each outside any transaction,
//! record the attempt, and reschedule, finish or give up (architecture.md §3).

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError,
    ids::ClientId,
    outbox::{
        AttemptOutcome, ClaimedMessage, DeliveryAttempt, NextStep, OutboxKind, RetryPolicy,
        SendReport,
    },
    payment::{Actor, AuditAction, AuditNote},
    ports::{
        Clock, Destination, MerchantStore, OutboundRequest, OutboundSender, OutboxStore,
        SecretCipher,
    },
    service_struct::service_struct,
    services::{
        outbound::CancelCall,
        outbound::{AcquirerEndpoint, signed_headers},
        payments::{AcquirerCancelAnswer, PaymentService},
    },
    signing::WebhookKey,
};

/// Retry schedules and limits of the dispatcher.
#[derive(Clone, Debug)]
pub struct DispatchPolicies {
    /// Requests and cancels to the acquirer.
    pub acquirer: RetryPolicy,
    /// Merchant notifications (api.md §7).
    pub notifications: RetryPolicy,
    pub notification_timeout: Duration,
    /// Webhooks of the built-in mock acquirer.
    pub mock_webhooks: RetryPolicy,
    /// How long a claimed message is reserved for this dispatcher; longer than any timeout.
    pub lease: Duration,
    /// Messages claimed per round.
    pub batch: u32,
}

service_struct! {
    pub struct Dispatcher {
        outbox: Arc<dyn OutboxStore>,
        sender: Arc<dyn OutboundSender>,
        merchants: Arc<dyn MerchantStore>,
        cipher: Arc<dyn SecretCipher>,
        clock: Arc<dyn Clock>,
        payments: PaymentService,
        acquirer: Arc<AcquirerEndpoint>,
        policies: DispatchPolicies,
    }
    #[expect(
        clippy::too_many_arguments,
        reason = "the dispatcher is where the outbound ports meet"
    )]
    pub fn new;
}

impl Dispatcher {
    /// Leases the next due messages to this dispatcher: at most `limit` (the free delivery
    /// slots), never more than the configured batch.
    pub async fn claim(&self, limit: u32) -> Result<Vec<ClaimedMessage>, RepositoryError> {
        let limit = limit.min(self.policies.batch);
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.outbox
            .claim_due(self.clock.now(), self.policies.lease, limit)
            .await
    }

    /// Makes one attempt at a claimed message and records it.
    pub async fn deliver(
        &self,
        claimed: ClaimedMessage,
    ) -> Result<AttemptOutcome, RepositoryError> {
        let message = &claimed.message;
        let attempt_no = claimed.attempts.saturating_add(1);
        let (policy, timeout) = match message.kind {
            OutboxKind::AcquirerRequest
            | OutboxKind::AcquirerCancel
            | OutboxKind::AcquirerCapture => (&self.policies.acquirer, self.acquirer.timeout),
            OutboxKind::MerchantNotification => (
                &self.policies.notifications,
                self.policies.notification_timeout,
            ),
            OutboxKind::AcquirerWebhook => (&self.policies.mock_webhooks, self.acquirer.timeout),
        };
        let keys = match message.kind {
            OutboxKind::MerchantNotification => {
                self.merchant_keys(message.client_id.as_ref()).await?
            }
            OutboxKind::AcquirerRequest
            | OutboxKind::AcquirerCancel
            | OutboxKind::AcquirerCapture
            | OutboxKind::AcquirerWebhook => {
                vec![self.acquirer.key.clone()]
            }
        };
        let started_at = self.clock.now();
        let (report, step) = if keys.is_empty() {
            let report = SendReport {
                error: Some("no signing key: the merchant no longer exists".into()),
                ..Default::default()
            };
            (report, NextStep::Dead)
        } else {
            let request = OutboundRequest {
                destination: match message.kind {
                    OutboxKind::MerchantNotification => Destination::Merchant,
                    OutboxKind::AcquirerRequest
                    | OutboxKind::AcquirerCancel
                    | OutboxKind::AcquirerCapture
                    | OutboxKind::AcquirerWebhook => Destination::Acquirer,
                },
                url: message.target_url.clone(),
                headers: signed_headers(
                    &keys,
                    &message.id.to_string(),
                    started_at.unix_seconds(),
                    &message.payload,
                ),
                body: message.payload.clone(),
                timeout,
            };
            let report = self.sender.post(&request).await;
            let step = policy.next_step(attempt_no, &report, self.clock.now());
            (report, step)
        };
        let note =
            (message.kind == OutboxKind::AcquirerRequest && !report.is_success()).then(|| {
                AuditNote {
                    action: AuditAction::AcquirerRequestFailed,
                    actor: Actor::System,
                    details: Some(format!(
                        "attempt {attempt_no} of {}: {}",
                        policy.max_attempts(),
                        report.summary()
                    )),
                    request_id: None,
                    at: self.clock.now(),
                }
            });
        // A PENDING cancel is settled with the acquirer's answer before the attempt is recorded:
        // if this process stops in between, the message is claimed again after its lease, the
        // acquirer (idempotent by cancelId) answers the same, and the cancel is found settled.
        let mut settled_cancel = None;
        if let (OutboxKind::AcquirerCancel, Some(payment), Some(cancel_id)) =
            (message.kind, message.payment_id, message.cancel_id.as_ref())
        {
            let answer = match (self.payments.cancel_answer(&report), step) {
                (CancelCall::Confirmed(tx), _) => Some(AcquirerCancelAnswer::Confirmed(tx)),
                (CancelCall::Refused(why), _) => Some(AcquirerCancelAnswer::Refused(why)),
                (CancelCall::Unanswered(why), NextStep::Dead) => {
                    Some(AcquirerCancelAnswer::GaveUp(format!(
                        "no answer after {attempt_no} attempts: {why}"
                    )))
                }
                (CancelCall::Unanswered(_), NextStep::Delivered | NextStep::RetryAt(_)) => None,
            };
            if let Some(answer) = answer {
                settled_cancel = self
                    .payments
                    .acquirer_answered_cancel(&payment, cancel_id, answer)
                    .await?
                    .and_then(|p| p.cancels.find(cancel_id).map(|c| c.status));
            }
        }
        let outcome = AttemptOutcome {
            step,
            attempt_no,
            max_attempts: policy.max_attempts(),
            cause: (!report.is_success()).then(|| report.summary()),
            latency: report.latency,
            settled_cancel,
        };
        let attempt = DeliveryAttempt {
            event_id: message.id,
            attempt_no,
            started_at,
            report,
        };
        self.outbox.finish_attempt(&attempt, step, note).await?;
        if let (OutboxKind::AcquirerRequest, NextStep::Dead, Some(payment)) =
            (message.kind, step, message.payment_id)
        {
            self.payments.fail_unreachable(&payment, attempt_no).await?;
        }
        Ok(outcome)
    }

    /// The merchant's current webhook key(s); empty when the merchant is gone.
    async fn merchant_keys(
        &self,
        client: Option<&ClientId>,
    ) -> Result<Vec<WebhookKey>, RepositoryError> {
        let Some(client) = client else {
            return Ok(Vec::new());
        };
        let Some(merchant) = self.merchants.find(client).await? else {
            return Ok(Vec::new());
        };
        let now = self.clock.now();
        let previous = merchant
            .previous_webhook_secret
            .iter()
            .filter(|p| p.until > now)
            .map(|p| &p.secret);
        let mut keys = Vec::new();
        for sealed in std::iter::once(&merchant.webhook_secret).chain(previous) {
            let secret = self.cipher.open(sealed).map_err(RepositoryError::new)?;
            keys.extend(WebhookKey::parse(secret.expose()));
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        ids::{EventId, PaymentId},
        outbox::OutboxMessage,
        payment::{CancelStatus, PaymentStatus, fixtures},
        ports::{MockMerchantStore, MockOutboundSender, MockOutboxStore, MockPaymentStore},
        services::testkit::{
            FakeCipher, MemoryStore, acquirer, fixed_clock, payment_service, payment_service_over,
            t0,
        },
    };

    fn policies() -> DispatchPolicies {
        DispatchPolicies {
            acquirer: RetryPolicy::exponential(3, Duration::from_secs(1), Duration::from_secs(10)),
            notifications: RetryPolicy::new(vec![Duration::from_secs(5)]).retrying_all_failures(),
            notification_timeout: Duration::from_secs(10),
            mock_webhooks: RetryPolicy::new(vec![Duration::from_secs(1)]),
            lease: Duration::from_secs(60),
            batch: 10,
        }
    }

    fn claimed(kind: OutboxKind, attempts: u32) -> ClaimedMessage {
        ClaimedMessage {
            message: OutboxMessage {
                id: EventId::from_uuid(uuid::Uuid::now_v7()),
                kind,
                payment_id: Some(PaymentId::from_uuid(uuid::Uuid::nil())),
                client_id: Some(fixtures::client()),
                event_type: None,
                target_url: "http://acquirer.test/request".into(),
                payload: "{}".into(),
                created_at: t0(),
                not_before: t0(),
                cancel_id: None,
            },
            attempts,
            lease_until: t0(),
        }
    }

    fn dispatcher(
        outbox: MockOutboxStore,
        sender: MockOutboundSender,
        store: MockPaymentStore,
    ) -> Dispatcher {
        Dispatcher::new(
            Arc::new(outbox),
            Arc::new(sender),
            Arc::new(MockMerchantStore::new()),
            Arc::new(FakeCipher),
            Arc::new(fixed_clock()),
            payment_service(store),
            Arc::new(acquirer()),
            policies(),
        )
    }

    /// What delivering the `kind` message, tried `attempts` times before, comes to.
    async fn delivered(dispatcher: Dispatcher, kind: OutboxKind, attempts: u32) -> AttemptOutcome {
        dispatcher.deliver(claimed(kind, attempts)).await.unwrap()
    }

    /// An outbox that expects exactly one attempt to be finished, as `check` describes.
    fn finishing_once(
        check: impl Fn(&DeliveryAttempt, &NextStep, &Option<AuditNote>) -> bool + Send + 'static,
    ) -> MockOutboxStore {
        let mut outbox = MockOutboxStore::new();
        outbox
            .expect_finish_attempt()
            .withf(check)
            .times(1)
            .returning(|_, _, _| Ok(()));
        outbox
    }

    fn answering(status: u16) -> MockOutboundSender {
        let mut sender = MockOutboundSender::new();
        sender.expect_post().times(1).returning(move |req| {
            assert!(
                req.headers
                    .iter()
                    .any(|(k, v)| k == "webhook-signature" && v.starts_with("v1,"))
            );
            SendReport {
                status: Some(status),
                ..Default::default()
            }
        });
        sender
    }

    #[tokio::test]
    async fn a_2xx_marks_the_message_delivered_without_an_audit_note() {
        let outbox = finishing_once(|a, step, note| {
            a.attempt_no == 1 && *step == NextStep::Delivered && note.is_none()
        });
        let outcome = delivered(
            dispatcher(outbox, answering(202), MockPaymentStore::new()),
            OutboxKind::AcquirerRequest,
            0,
        )
        .await;
        assert_eq!(outcome.step, NextStep::Delivered);
        assert_eq!(outcome.cause, None);
    }

    #[tokio::test]
    async fn a_failed_acquirer_request_is_rescheduled_with_backoff_and_audited() {
        let outbox = finishing_once(|a, step, note| {
            a.attempt_no == 2
                && *step == NextStep::RetryAt(t0().plus(Duration::from_secs(2)))
                && note
                    .as_ref()
                    .is_some_and(|n| n.action == AuditAction::AcquirerRequestFailed)
        });
        let outcome = delivered(
            dispatcher(outbox, answering(503), MockPaymentStore::new()),
            OutboxKind::AcquirerRequest,
            1,
        )
        .await;
        assert!(matches!(outcome.step, NextStep::RetryAt(_)));
        assert_eq!(outcome.cause.as_deref(), Some("HTTP 503"));
        assert_eq!((outcome.attempt_no, outcome.max_attempts), (2, 3));
    }

    #[tokio::test]
    async fn the_last_failed_acquirer_attempt_fails_the_payment_as_unavailable() {
        let outbox = finishing_once(|_, step, _| *step == NextStep::Dead);
        let mut store = MockPaymentStore::new();
        store
            .expect_find_by_id()
            .returning(|_| Ok(Some(fixtures::ready_payment())));
        store
            .expect_transition()
            .withf(|c| {
                c.next.status == PaymentStatus::Failed
                    && c.next
                        .failure_code
                        .as_ref()
                        .is_some_and(|f| f.as_str() == "ACQUIRER_UNAVAILABLE")
                    && c.audit.actor == Actor::System
            })
            .times(1)
            .returning(|_| Ok(()));
        let outcome = delivered(
            dispatcher(outbox, answering(503), store),
            OutboxKind::AcquirerRequest,
            2,
        )
        .await;
        assert_eq!(outcome.step, NextStep::Dead);
    }

    #[tokio::test]
    async fn a_notification_for_a_vanished_merchant_is_dead_without_sending() {
        let outbox = finishing_once(|_, step, _| *step == NextStep::Dead);
        let mut sender = MockOutboundSender::new();
        sender.expect_post().never();
        let mut d = dispatcher(outbox, sender, MockPaymentStore::new());
        let mut merchants = MockMerchantStore::new();
        merchants.expect_find().returning(|_| Ok(None));
        d.merchants = Arc::new(merchants);
        let outcome = delivered(d, OutboxKind::MerchantNotification, 0).await;
        assert_eq!(outcome.step, NextStep::Dead);
        assert_eq!(
            outcome.cause.as_deref(),
            Some("no signing key: the merchant no longer exists")
        );
    }

    /// A dispatcher whose payments hold a completed payment with the PENDING cancel
    /// `cancel_id(1)`, the outbox finishing every attempt and the acquirer answering `status`
    /// every time; and the claimed message that carries the cancel.
    fn carrying_a_cancel(
        status: u16,
    ) -> (Dispatcher, Arc<MemoryStore>, impl Fn() -> ClaimedMessage) {
        let pending = fixtures::completed_payment()
            .apply(
                fixtures::request_cancel(1, Some(4_000)),
                fixtures::merchant_origin(),
                fixtures::at(3),
            )
            .unwrap()
            .0;
        let store = MemoryStore::holding(pending.clone());
        let mut outbox = MockOutboxStore::new();
        outbox.expect_finish_attempt().returning(|_, _, _| Ok(()));
        let mut sender = MockOutboundSender::new();
        sender.expect_post().returning(move |_| SendReport {
            status: Some(status),
            ..Default::default()
        });
        let mut d = dispatcher(outbox, sender, MockPaymentStore::new());
        d.payments = payment_service_over(store.clone(), MockOutboundSender::new());
        let payment = pending.id;
        let message = move || {
            let mut c = claimed(OutboxKind::AcquirerCancel, 0);
            c.message.payment_id = Some(payment);
            c.message.cancel_id = Some(fixtures::cancel_id(1));
            c
        };
        (d, store, message)
    }

    #[tokio::test]
    async fn a_cancel_attempt_reports_the_cancel_it_settled_and_a_repeated_answer_reports_none() {
        let (d, store, message) = carrying_a_cancel(200);
        let first = d.deliver(message()).await.unwrap();
        assert_eq!(first.settled_cancel, Some(CancelStatus::Succeeded));
        assert_eq!(store.current().status, PaymentStatus::PartialCanceled);
        let again = d.deliver(message()).await.unwrap();
        assert_eq!(again.settled_cancel, None, "a cancel is settled once");
    }

    #[tokio::test]
    async fn a_refused_cancel_attempt_reports_the_cancel_failed() {
        let (d, store, message) = carrying_a_cancel(409);
        let outcome = d.deliver(message()).await.unwrap();
        assert_eq!(outcome.settled_cancel, Some(CancelStatus::Failed));
        assert_eq!(
            store.current().cancels.list()[0].status,
            CancelStatus::Failed
        );
    }

    #[tokio::test]
    async fn an_attempt_at_anything_but_a_cancel_settles_no_cancel() {
        let outbox = finishing_once(|_, _, _| true);
        let outcome = delivered(
            dispatcher(outbox, answering(202), MockPaymentStore::new()),
            OutboxKind::AcquirerCapture,
            0,
        )
        .await;
        assert_eq!(outcome.settled_cancel, None);
    }
}
