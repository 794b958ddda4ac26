//! The transactional outbox: messages written in the same transaction as the state change that
//! caused them, delivered later (at least once) by the dispatcher, every attempt recorded.

use std::time::Duration;

use crate::named_enum::named_enum;
use crate::{
    Timestamp,
    ids::{ClientId, EventId, PaymentId},
    payment::{CancelId, CancelStatus},
};

named_enum! {
    /// What a message is, which decides its destination, signing key and retry policy.
    pub enum OutboxKind {
        /// Server → acquirer: process this payment (api.md §5).
        AcquirerRequest = "ACQUIRER_REQUEST",
        /// Server → acquirer: cancel (part of) this payment's transaction (api.md §9.5).
        AcquirerCancel = "ACQUIRER_CANCEL",
        /// Server → acquirer: capture this completed payment (api.md §9.3).
        AcquirerCapture = "ACQUIRER_CAPTURE",
        /// Server → merchant `returnUrl`: a status change (api.md §7).
        MerchantNotification = "MERCHANT_NOTIFICATION",
        /// Mock acquirer → server: the outcome webhook of api.md §4 (built-in mock only).
        AcquirerWebhook = "ACQUIRER_WEBHOOK",
    }
    parse -> Option;
}

named_enum! {
    /// Delivery state of an outbox message.
    pub enum DeliveryState {
        Pending = "PENDING",
        Delivered = "DELIVERED",
        Dead = "DEAD",
    }
    parse -> Option;
}

/// A message to deliver. `payload` is the exact JSON body (encoded by the
/// [`crate::ports::PayloadEncoder`]); it is signed at each attempt.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OutboxMessage {
    pub id: EventId,
    pub kind: OutboxKind,
    pub payment_id: Option<PaymentId>,
    /// The merchant whose webhook secret signs a [`OutboxKind::MerchantNotification`].
    pub client_id: Option<ClientId>,
    /// e.g. `payment.approved` for notifications.
    pub event_type: Option<String>,
    pub target_url: String,
    pub payload: String,
    pub created_at: Timestamp,
    /// Not delivered before this instant (the mock acquirer's delays; a cancel's retry waits
    /// for the synchronous call to end first).
    pub not_before: Timestamp,
    /// For an [`OutboxKind::AcquirerCancel`] that carries a PENDING cancel: which one, so that
    /// the acquirer's answer settles it.
    pub cancel_id: Option<CancelId>,
}

impl OutboxMessage {
    /// The host (and port, if any) of `target_url`, for logs: never its path or query, which may
    /// carry a merchant's tokens, nor any user info.
    pub fn target_host(&self) -> String {
        url::Url::parse(&self.target_url)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(port) => format!("{h}:{port}"),
                    None => h.to_owned(),
                })
            })
            .unwrap_or_else(|| "(invalid url)".to_owned())
    }
}

/// A message claimed by one dispatcher until `lease_until`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ClaimedMessage {
    pub message: OutboxMessage,
    /// Attempts already made before this one.
    pub attempts: u32,
    pub lease_until: Timestamp,
}

/// The result of one HTTP attempt, as the sender saw it.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SendReport {
    /// HTTP status, if a response arrived.
    pub status: Option<u16>,
    pub latency: Duration,
    /// Transport error (timeout, refused, ...), if no response arrived.
    pub error: Option<String>,
    /// The first KiB of the response body.
    pub excerpt: Option<String>,
    /// `Retry-After` of a 429/503, if present.
    pub retry_after: Option<Duration>,
}

impl SendReport {
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// Whether trying again may help: transport errors, 408, 425, 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        match self.status {
            None => true,
            Some(s) => s == 408 || s == 425 || s == 429 || s >= 500,
        }
    }

    /// One line for logs and audit details.
    pub fn summary(&self) -> String {
        match (self.status, &self.error) {
            (Some(s), _) => format!("HTTP {s}"),
            (None, Some(e)) => e.clone(),
            (None, None) => "no response".to_owned(),
        }
    }
}

/// One stored delivery attempt.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DeliveryAttempt {
    pub event_id: EventId,
    pub attempt_no: u32,
    pub started_at: Timestamp,
    pub report: SendReport,
}

/// An outbox message a state change finishes in its own transaction, with the attempt that did
/// its work: a cancel's carrier once the acquirer answered the synchronous call (`Delivered`
/// when it confirmed, `Dead` when it refused). The attempt is recorded; the message moves on
/// only while it is PENDING and no dispatcher holds it (one that does finishes it itself).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FinishedMessage {
    pub attempt: DeliveryAttempt,
    pub step: NextStep,
}

/// A message as operators see it: its state and every attempt so far.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Delivery {
    pub message: OutboxMessage,
    pub state: DeliveryState,
    pub attempts: Vec<DeliveryAttempt>,
    pub next_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub updated_at: Timestamp,
}

impl Delivery {
    /// The merchant this delivery is addressed to: a notification's merchant; `None` for the
    /// acquirer traffic, which is the platform's even when it concerns a merchant's payment.
    pub fn addressee(&self) -> Option<&ClientId> {
        match self.message.kind {
            OutboxKind::MerchantNotification => self.message.client_id.as_ref(),
            _ => None,
        }
    }
}

/// The PENDING messages of the outbox in the two figures operators watch (runbook, "Metrics"):
/// what the dispatcher should be sending now, and what waits on a receiver that failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct OutboxBacklog {
    /// Due and free to send: never attempted, or a retry whose time has come, and not queued
    /// behind an earlier undelivered notification of the same payment (leased ones, being
    /// attempted, included). Drains within seconds while the dispatcher keeps up.
    pub due: u64,
    /// The earliest instant one of the `due` messages became due.
    pub oldest_due: Option<Timestamp>,
    /// Waiting after ≥ 1 failed attempt for their next scheduled one, or queued behind an
    /// earlier undelivered notification of the same payment: a receiver is down, not the
    /// dispatcher.
    pub retrying: u64,
    /// When the oldest `retrying` message was created.
    pub oldest_retrying: Option<Timestamp>,
    /// Given up on after the last attempt (DEAD), waiting for an operator's redelivery.
    pub dead: u64,
}

/// A backlog as read at `at`, with the ages of its oldest messages.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BacklogReport {
    pub backlog: OutboxBacklog,
    pub at: Timestamp,
}

impl BacklogReport {
    /// Whole seconds the oldest due message has been due (none when nothing is due).
    pub fn oldest_due_age_seconds(&self) -> Option<u64> {
        self.backlog
            .oldest_due
            .map(|t| self.at.distance(t).as_secs())
    }

    /// Whole seconds since the oldest retrying message was created (none when none retries).
    pub fn oldest_retrying_age_seconds(&self) -> Option<u64> {
        self.backlog
            .oldest_retrying
            .map(|t| self.at.distance(t).as_secs())
    }
}

/// Which messages a backlog counts (both optional, combined with AND).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct BacklogScope {
    pub client_id: Option<crate::ids::ClientId>,
    pub kind: Option<OutboxKind>,
}

/// Filters of a delivery listing (all optional, combined with AND).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct DeliveryFilter {
    pub kind: Option<OutboxKind>,
    pub state: Option<DeliveryState>,
    pub client_id: Option<crate::ids::ClientId>,
    pub payment_id: Option<PaymentId>,
}

/// What one attempt at a claimed message came to: what happens next, and for a failure, why
/// (the dispatcher's worker logs and counts it).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AttemptOutcome {
    pub step: NextStep,
    /// This attempt's number (1-based) and how many the message's policy allows.
    pub attempt_no: u32,
    pub max_attempts: u32,
    /// `HTTP 503`, a transport error, or why nothing was sent; `None` when delivered.
    pub cause: Option<String>,
    pub latency: Duration,
    /// An `ACQUIRER_CANCEL` attempt that settled its PENDING cancel: how it ended (SUCCEEDED or
    /// FAILED). `None` for every other attempt, and when the cancel was settled already.
    pub settled_cancel: Option<CancelStatus>,
}

/// What happens to a message after an attempt.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NextStep {
    Delivered,
    RetryAt(Timestamp),
    Dead,
}

/// A retry schedule: the delay before attempt `n + 1` after `n` failed attempts is
/// `delays[n - 1]`; when the schedule is exhausted the message is dead. `delays.len() + 1`
/// attempts are made in all.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RetryPolicy {
    delays: Vec<Duration>,
    /// Retry every failure (merchant notifications: "any non-2xx"), or only those that may
    /// succeed later (acquirer: transport errors, 408, 425, 429, 5xx; other 4xx are final).
    retry_all_failures: bool,
}

impl RetryPolicy {
    pub fn new(delays: Vec<Duration>) -> Self {
        Self {
            delays,
            retry_all_failures: false,
        }
    }

    /// Also retry responses that are not retryable by nature (any non-2xx).
    pub fn retrying_all_failures(mut self) -> Self {
        self.retry_all_failures = true;
        self
    }

    /// `max_attempts` attempts with doubling delays from `base`, capped at `cap`.
    pub fn exponential(max_attempts: u32, base: Duration, cap: Duration) -> Self {
        let delays = (0..max_attempts.saturating_sub(1))
            .map(|i| base.saturating_mul(2u32.saturating_pow(i)).min(cap))
            .collect();
        Self::new(delays)
    }

    /// api.md §7's schedule given as "attempt delays": the first entry is the delay of the first
    /// attempt (0 = immediately), so retries use the rest.
    pub fn from_attempt_delays(delays: &[Duration]) -> Self {
        Self::new(delays.iter().skip(1).copied().collect())
    }

    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    /// The step after attempt number `attempt_no` (1-based) ended with `report` at `now`.
    /// `Retry-After` is honoured when it asks for more time than the schedule, never less.
    pub fn next_step(&self, attempt_no: u32, report: &SendReport, now: Timestamp) -> NextStep {
        if report.is_success() {
            return NextStep::Delivered;
        }
        if !report.is_retryable() && !self.retry_all_failures {
            return NextStep::Dead;
        }
        match self.delays.get(attempt_no.saturating_sub(1) as usize) {
            Some(delay) => {
                let wait = report.retry_after.map_or(*delay, |ra| ra.max(*delay));
                NextStep::RetryAt(now.plus(wait))
            }
            None => NextStep::Dead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> Timestamp {
        Timestamp::from_unix_millis(1_795_507_200_000)
            .unwrap()
            .plus(Duration::from_secs(secs))
    }

    fn status(s: u16) -> SendReport {
        SendReport {
            status: Some(s),
            ..Default::default()
        }
    }

    #[test]
    fn the_default_notification_schedule_makes_eight_attempts_then_gives_up() {
        let secs = [0u64, 5, 300, 1800, 7200, 18000, 36000, 36000];
        let delays: Vec<Duration> = secs.iter().map(|s| Duration::from_secs(*s)).collect();
        let p = RetryPolicy::from_attempt_delays(&delays).retrying_all_failures();
        assert_eq!(p.max_attempts(), 8);
        assert_eq!(p.next_step(1, &status(500), t(0)), NextStep::RetryAt(t(5)));
        assert_eq!(
            p.next_step(2, &status(404), t(0)),
            NextStep::RetryAt(t(300))
        );
        assert_eq!(
            p.next_step(7, &status(500), t(0)),
            NextStep::RetryAt(t(36000))
        );
        assert_eq!(p.next_step(8, &status(500), t(0)), NextStep::Dead);
        assert_eq!(p.next_step(3, &status(204), t(0)), NextStep::Delivered);
    }

    #[test]
    fn retry_after_can_lengthen_but_never_shorten_the_wait() {
        let p = RetryPolicy::new(vec![Duration::from_secs(5)]);
        let slow = SendReport {
            retry_after: Some(Duration::from_secs(60)),
            ..status(503)
        };
        assert_eq!(p.next_step(1, &slow, t(0)), NextStep::RetryAt(t(60)));
        let quick = SendReport {
            retry_after: Some(Duration::from_secs(1)),
            ..status(429)
        };
        assert_eq!(p.next_step(1, &quick, t(0)), NextStep::RetryAt(t(5)));
    }

    #[test]
    fn the_acquirer_policy_retries_transport_errors_and_5xx_but_not_a_400() {
        let p = RetryPolicy::exponential(3, Duration::from_millis(500), Duration::from_secs(30));
        assert_eq!(p.max_attempts(), 3);
        let refused = SendReport {
            error: Some("connection refused".into()),
            ..Default::default()
        };
        assert!(matches!(
            p.next_step(1, &refused, t(0)),
            NextStep::RetryAt(_)
        ));
        assert!(matches!(
            p.next_step(2, &status(503), t(0)),
            NextStep::RetryAt(_)
        ));
        assert_eq!(p.next_step(3, &status(503), t(0)), NextStep::Dead);
        assert_eq!(p.next_step(1, &status(400), t(0)), NextStep::Dead);
    }

    #[test]
    fn exponential_delays_double_up_to_the_cap() {
        let p = RetryPolicy::exponential(5, Duration::from_secs(1), Duration::from_secs(3));
        assert_eq!(
            p.delays,
            vec![
                Duration::from_secs(1),
                Duration::from_secs(2),
                Duration::from_secs(3),
                Duration::from_secs(3)
            ]
        );
    }

    fn to(url: &str) -> OutboxMessage {
        OutboxMessage {
            id: EventId::from_uuid(uuid::Uuid::nil()),
            kind: OutboxKind::MerchantNotification,
            payment_id: None,
            client_id: None,
            event_type: None,
            target_url: url.to_owned(),
            payload: "{}".to_owned(),
            created_at: t(0),
            not_before: t(0),
            cancel_id: None,
        }
    }

    #[test]
    fn a_target_host_for_logs_drops_user_info_path_and_query() {
        assert_eq!(
            to("https://user:pw@shop.example/hook?token=s3cret").target_host(),
            "shop.example"
        );
        assert_eq!(
            to("http://127.0.0.1:8080/mock/request").target_host(),
            "127.0.0.1:8080"
        );
        assert_eq!(to("not a url").target_host(), "(invalid url)");
    }
}
