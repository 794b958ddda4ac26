//! The acquirer simulator for operators (admin API, test and local profiles only): sends a
//! correctly signed acquirer webhook for a payment to this server's own webhook endpoint, or a
//! signed raw request to the mock acquirer, over real HTTP, and reports what came back.

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError,
    ids::{PaymentKey, TransactionId},
    outbox::SendReport,
    payment::{AcquirerReport, FailureCode, FailureMessage, ReportedOutcome},
    people::{Action, OperatorAuditEntry, Principal, RequestOrigin},
    ports::{
        Clock, Destination, KeyGenerator, OperatorAuditStore, OutboundRequest, OutboundSender,
        PayloadEncoder,
    },
    service_struct::service_struct,
    services::{
        outbound::signed_headers,
        payments::{FindPaymentError, PaymentService},
    },
    signing::WebhookKey,
};

/// Where the simulator sends and with which key.
#[derive(Clone, Debug)]
pub struct SimulatorTargets {
    /// This server's `/api/webhook/payment`.
    pub webhook_url: String,
    /// The mock acquirer's `/mock/request`.
    pub mock_request_url: String,
    /// The acquirer's shared secret.
    pub key: WebhookKey,
    pub timeout: Duration,
}

/// What the operator asks for; absent fields take the payment's values.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SimulatedWebhook {
    pub payment_key: PaymentKey,
    pub approve: bool,
    /// Default: the payment's amount.
    pub amount: Option<i64>,
    /// Default: the payment's transaction id if it has one, else a new `sim_…` id.
    pub transaction_id: Option<TransactionId>,
    /// For a failure; default `DECLINED`.
    pub failure_code: Option<FailureCode>,
    pub failure_message: Option<FailureMessage>,
}

/// The request that was sent and what came back.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Exchange {
    pub request: OutboundRequest,
    pub report: SendReport,
}

#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("payment not found")]
    PaymentNotFound,
    #[error("{0}")]
    Invalid(String),
    /// The principal's role may not use the simulator (403).
    #[error("your role may not use the simulator")]
    Forbidden,
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// The operator audit actions of the simulator.
pub const WEBHOOK_ACTION: &str = "SIMULATOR_WEBHOOK";
pub const MOCK_REQUEST_ACTION: &str = "SIMULATOR_MOCK_REQUEST";

service_struct! {
    pub struct AcquirerSimulator {
        payments: PaymentService,
        encoder: Arc<dyn PayloadEncoder>,
        sender: Arc<dyn OutboundSender>,
        keys: Arc<dyn KeyGenerator>,
        clock: Arc<dyn Clock>,
        audit: Arc<dyn OperatorAuditStore>,
        targets: SimulatorTargets,
    }
    pub fn new;
}

impl AcquirerSimulator {
    /// Builds the webhook the acquirer would send for `order`, signs it with the acquirer
    /// secret and POSTs it to this server's webhook endpoint. The server then treats it exactly
    /// like a real one (the payment must be READY, the amount must match, …).
    ///
    /// Only platform roles that may use the simulator (`Forbidden` otherwise); the call is
    /// recorded in the operator audit log before it is sent (its effect, if any, is the webhook
    /// endpoint's own transaction).
    pub async fn send_webhook(
        &self,
        by: &Principal,
        order: SimulatedWebhook,
        from: &RequestOrigin,
    ) -> Result<Exchange, SimulatorError> {
        self.admit(by)?;
        let payment = match self.payments.get(None, &order.payment_key).await {
            Ok(p) => p,
            Err(FindPaymentError::NotFound) => return Err(SimulatorError::PaymentNotFound),
            Err(FindPaymentError::Repository(e)) => return Err(e.into()),
        };
        let transaction_id = match order.transaction_id.or(payment.transaction_id.clone()) {
            Some(t) => t,
            None => TransactionId::parse(&format!(
                "sim_{}",
                self.keys
                    .event_id()
                    .to_string()
                    .trim_start_matches("evt_")
                    .replace('-', "")
            ))
            .map_err(|e| SimulatorError::Invalid(e.to_string()))?,
        };
        let outcome = if order.approve {
            ReportedOutcome::Approved
        } else {
            let code = match order.failure_code {
                Some(c) => c,
                None => FailureCode::parse("DECLINED")
                    .map_err(|e| SimulatorError::Invalid(e.to_string()))?,
            };
            ReportedOutcome::Failed {
                code,
                message: order.failure_message,
            }
        };
        let report = AcquirerReport {
            payment_key: payment.key.clone(),
            transaction_id,
            amount: order.amount.unwrap_or(payment.amount.minor_units()),
            outcome,
        };
        let body = self.encoder.acquirer_webhook(&report, self.clock.now());
        self.record(by, WEBHOOK_ACTION, Some(payment.key.to_string()), from)
            .await?;
        Ok(self.post(self.targets.webhook_url.clone(), body).await)
    }

    /// Signs `body` exactly as given and POSTs it to the mock acquirer's `/mock/request`
    /// (who may, and its audit row, as [`Self::send_webhook`]).
    pub async fn send_mock_request(
        &self,
        by: &Principal,
        body: String,
        from: &RequestOrigin,
    ) -> Result<Exchange, SimulatorError> {
        self.admit(by)?;
        self.record(by, MOCK_REQUEST_ACTION, None, from).await?;
        Ok(self.post(self.targets.mock_request_url.clone(), body).await)
    }

    fn admit(&self, by: &Principal) -> Result<(), SimulatorError> {
        by.may(Action::UseSimulator, None)
            .map_err(|_| SimulatorError::Forbidden)
    }

    async fn record(
        &self,
        by: &Principal,
        action: &str,
        target: Option<String>,
        from: &RequestOrigin,
    ) -> Result<(), RepositoryError> {
        let row = OperatorAuditEntry::success(by, action, target, from, self.clock.now());
        self.audit.append(&row).await.map(|_| ())
    }

    async fn post(&self, url: String, body: String) -> Exchange {
        let id = self.keys.event_id().to_string();
        let request = OutboundRequest {
            destination: Destination::Acquirer,
            url,
            headers: signed_headers(
                std::slice::from_ref(&self.targets.key),
                &id,
                self.clock.now().unix_seconds(),
                &body,
            ),
            body,
            timeout: self.targets.timeout,
        };
        let report = self.sender.post(&request).await;
        Exchange { request, report }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{
        ports::MockPayloadEncoder,
        services::testkit::{
            acquirer, answered_once, fixed_clock, keys, payment_service, store_finding, t0,
        },
    };

    fn ready_payment() -> crate::payment::Payment {
        let (p, _) = crate::payment::Payment::create(
            crate::ids::PaymentId::from_uuid(uuid::Uuid::now_v7()),
            PaymentKey::from_bytes([7; 32]),
            crate::ids::ClientId::parse("mch_a").unwrap(),
            crate::payment::NewPayment {
                order_no: crate::payment::OrderNo::parse("O-1").unwrap(),
                amount: crate::money::Amount::parse(15_002).unwrap(),
                currency: crate::money::Currency::default(),
                method: crate::payment::MethodCode::Card,
                product_name: None,
                customer_name: None,
            },
            t0(),
            Duration::from_secs(60),
            None,
        );
        p
    }

    #[tokio::test]
    async fn an_approval_defaults_to_the_payments_amount_and_is_signed_with_the_acquirer_key() {
        let payment = ready_payment();
        let payments = payment_service(store_finding(payment.clone()));
        let seen = Arc::new(Mutex::new(None));
        let mut encoder = MockPayloadEncoder::new();
        let s = seen.clone();
        encoder.expect_acquirer_webhook().returning(move |r, _| {
            *s.lock().unwrap() = Some(r.clone());
            "{\"x\":1}".into()
        });
        let key = acquirer().key;
        let audit = Arc::new(crate::services::people::testkit::Memory::default());
        let sim = AcquirerSimulator::new(
            payments,
            Arc::new(encoder),
            Arc::new(answered_once(200)),
            Arc::new(keys()),
            Arc::new(fixed_clock()),
            audit.clone(),
            SimulatorTargets {
                webhook_url: "http://pg.test/api/webhook/payment".into(),
                mock_request_url: "http://pg.test/mock/request".into(),
                key: key.clone(),
                timeout: Duration::from_secs(1),
            },
        );
        let operator = Principal::token();
        let from = RequestOrigin::default();
        let exchange = sim
            .send_webhook(
                &operator,
                SimulatedWebhook {
                    payment_key: payment.key.clone(),
                    approve: true,
                    amount: None,
                    transaction_id: None,
                    failure_code: None,
                    failure_message: None,
                },
                &from,
            )
            .await
            .unwrap();
        assert_eq!(audit.actions(), vec![WEBHOOK_ACTION.to_owned()]);
        let report = seen.lock().unwrap().clone().unwrap();
        assert_eq!(report.amount, 15_002);
        assert_eq!(report.outcome, ReportedOutcome::Approved);
        assert!(report.transaction_id.as_str().starts_with("sim_"));
        assert_eq!(exchange.request.url, "http://pg.test/api/webhook/payment");
        assert_eq!(exchange.report.status, Some(200));
        let header = |name: &str| {
            exchange
                .request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let ts: i64 = header("webhook-timestamp").parse().unwrap();
        assert!(key.verify(
            &header("webhook-id"),
            ts,
            b"{\"x\":1}",
            &header("webhook-signature")
        ));
    }
}
