//! The built-in mock acquirer (api.md §6): plays the external payment module. Its HTTP side,
//! `/mock/request` and `/mock/request/cancel`, is `routes/mock.rs`; this module knows nothing
//! of the server's state or routes.
//!
//! Its webhooks go through the server's durable outbox (kind `ACQUIRER_WEBHOOK`, due after the
//! scenario's delay), so they survive a busy or restarted server and are retried like any other
//! delivery. Its captures and cancels are booked in the database ([`Books`]), from which it
//! publishes its settlement file (api.md §12.3). Only the "503 twice" counters are in memory:
//! after a restart such a payment gets two more 503s, which the server's retries absorb. See
//! docs/adr/0009-mock-acquirer.md.

mod books;
mod scenario;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

pub use books::{Books, CancelRequest, CaptureRequest};
use domain::{
    RepositoryError, Timestamp,
    ids::PaymentKey,
    outbox::{OutboxKind, OutboxMessage},
    ports::{AcquirerLedger, Clock, DispatchSignal, KeyGenerator, OutboxStore, PaymentStore},
    services::webhook_auth::WebhookVerifier,
    settlement::Calendar,
    signing::sha256_hex,
};
pub use scenario::Scenario;

use crate::encoder::{AcquirerWebhookBody, to_json};

/// The mock's configuration and the ports it writes through.
pub struct MockAcquirer {
    pub outbox: Arc<dyn OutboxStore>,
    /// Where the mock looks up a payment's amount, which chooses its cancel scenario (a real
    /// acquirer knows its transactions' amounts).
    pub payments: Arc<dyn PaymentStore>,
    pub keys: Arc<dyn KeyGenerator>,
    pub clock: Arc<dyn Clock>,
    pub signal: Arc<dyn DispatchSignal>,
    /// Verifies the server's signature on requests to the mock (the acquirer secret).
    pub verifier: WebhookVerifier,
    pub delay: Duration,
    pub slow_delay: Duration,
    /// How long a cancel of scenario `…009` takes to answer.
    pub slow_cancel_delay: Duration,
    /// How many times each payment key was refused with 503 (scenario `…005`).
    refusals: Mutex<HashMap<String, u32>>,
    /// The cancels and captures it has carried out (api.md §9.5, §12.3).
    pub books: Books,
    /// Its settlement days (the settlement time zone: acquirer and PG agree on the cut-off).
    pub calendar: Arc<dyn Calendar>,
}

/// The stores and calendar of the mock's books.
pub struct MockBooks {
    pub ledger: Arc<dyn AcquirerLedger>,
    pub calendar: Arc<dyn Calendar>,
}

/// A payment request to the mock acquirer (api.md §5), as far as the mock reads it.
pub struct PaymentRequest {
    pub payment_key: String,
    pub amount: i64,
    pub return_url: String,
}

/// Why the mock acquirer did not take a request.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// A simulated outage: scenario `…005` (the first two requests or captures of a payment) or
    /// `…008` (the first two calls of a cancel); the scenario's last three digits.
    #[error("mock acquirer: temporarily unavailable (scenario …{0})")]
    Unavailable(&'static str),
    /// Scenario `…007`, or a cancel beyond what is left of the transaction.
    #[error("mock acquirer: {0}")]
    CancelRefused(String),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

impl MockAcquirer {
    #[expect(
        clippy::too_many_arguments,
        reason = "the mock is wired once, at start-up, from its settings and ports"
    )]
    pub fn new(
        outbox: Arc<dyn OutboxStore>,
        payments: Arc<dyn PaymentStore>,
        keys: Arc<dyn KeyGenerator>,
        clock: Arc<dyn Clock>,
        signal: Arc<dyn DispatchSignal>,
        verifier: WebhookVerifier,
        delay: Duration,
        slow_delay: Duration,
        slow_cancel_delay: Duration,
        books: MockBooks,
    ) -> Self {
        Self {
            outbox,
            payments,
            slow_cancel_delay,
            keys,
            clock,
            signal,
            verifier,
            delay,
            slow_delay,
            refusals: Mutex::new(HashMap::new()),
            books: Books::new(books.ledger),
            calendar: books.calendar,
        }
    }

    /// The amount of the payment `key`, if the server has it.
    pub async fn payment_amount(&self, key: &PaymentKey) -> Result<Option<i64>, MockError> {
        Ok(self
            .payments
            .find_by_key(key)
            .await?
            .map(|p| p.amount.minor_units()))
    }

    /// True while a `…005` payment should still be refused.
    fn refuse(&self, payment_key: &str) -> bool {
        let Ok(mut map) = self.refusals.lock() else {
            return false;
        };
        let n = map.entry(payment_key.to_owned()).or_insert(0);
        *n += 1;
        *n <= 2
    }

    /// Takes a payment request: the outcome follows by webhook to `return_url`, through the
    /// durable outbox, chosen by the amount's last three digits (api.md §6). Answers the
    /// transaction id.
    pub async fn request(&self, request: &PaymentRequest) -> Result<String, MockError> {
        let PaymentRequest {
            payment_key: key,
            amount,
            return_url,
        } = request;
        let scenario = Scenario::for_amount(*amount);
        if scenario == Scenario::UnavailableTwice && self.refuse(key) {
            return Err(MockError::Unavailable("005"));
        }
        let tx = transaction_id(key);
        let now = self.clock.now();
        let reported = |status, amount, approved_at: Option<Timestamp>| AcquirerWebhookBody {
            payment_key: key,
            transaction_id: &tx,
            status,
            amount,
            approved_at: approved_at.map(|at| at.to_rfc3339()),
            failure_code: None,
            failure_message: None,
        };
        let approved = |amount, delay| reported("APPROVED", amount, Some(now.plus(delay)));
        let (bodies, delay) = match scenario {
            Scenario::Decline => (
                vec![AcquirerWebhookBody {
                    failure_code: Some("CARD_DECLINED"),
                    failure_message: Some("The card was declined (mock scenario …001)"),
                    ..reported("FAILED", *amount, None)
                }],
                self.delay,
            ),
            Scenario::LostWebhook => (Vec::new(), self.delay),
            Scenario::DuplicateWebhook => (
                vec![approved(*amount, self.delay), approved(*amount, self.delay)],
                self.delay,
            ),
            Scenario::Slow => (vec![approved(*amount, self.slow_delay)], self.slow_delay),
            Scenario::AmountMismatch => (vec![approved(amount + 1, self.delay)], self.delay),
            Scenario::UnavailableTwice
            | Scenario::CancelRefused
            | Scenario::CancelUnavailableTwice
            | Scenario::CancelSlow
            | Scenario::SettledShort
            | Scenario::CaptureLeftOut
            | Scenario::Approve => (vec![approved(*amount, self.delay)], self.delay),
        };
        let due = now.plus(delay);
        let messages: Vec<OutboxMessage> = bodies
            .iter()
            .map(|b| OutboxMessage {
                id: self.keys.event_id(),
                kind: OutboxKind::AcquirerWebhook,
                payment_id: None,
                client_id: None,
                event_type: Some(format!("mock.{}", b.status.to_ascii_lowercase())),
                target_url: return_url.clone(),
                payload: to_json(b),
                created_at: now,
                not_before: due,
                cancel_id: None,
            })
            .collect();
        if !messages.is_empty() {
            self.outbox.enqueue(&messages, &[]).await?;
            self.signal.wake();
        }
        Ok(tx)
    }
}

/// The acquirer's transaction id for a payment: derived from the key, so a retried request gets
/// the same id (and its webhook is then a duplicate, not a conflicting second outcome).
pub fn transaction_id(payment_key: &str) -> String {
    format!("mtx_{}", &sha256_hex(payment_key.as_bytes())[..24])
}
