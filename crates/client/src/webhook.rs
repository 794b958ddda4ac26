//! Verifying SimplePG's notifications to your `returnUrl` (api.md §7, docs/webhooks.md): the
//! Standard Webhooks signature over the raw body with the domain's scheme (ADR 0006), the
//! timestamp tolerance, then the typed event.

use std::{collections::HashMap, time::Duration};

use domain::signing::WebhookKey;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::payment::Payment;

/// The tolerance of docs/webhooks.md: reject timestamps more than 5 minutes from your clock.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// A merchant webhook secret (`whsec_...`). `Debug` never shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSecret(WebhookKey);

impl WebhookSecret {
    /// Parses `whsec_` followed by the standard Base64 of at least 24 bytes.
    pub fn parse(secret: &str) -> Result<Self, WebhookError> {
        WebhookKey::parse(secret.trim())
            .map(Self)
            .map_err(|e| WebhookError::InvalidSecret(e.to_string()))
    }
}

/// Why a delivery was refused. Answer it with a non-2xx status (SimplePG retries).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not Unix seconds")]
    InvalidTimestamp,
    #[error("webhook-timestamp is {skew_secs} s from now, more than the tolerance")]
    Stale { skew_secs: i64 },
    #[error("no signature in webhook-signature matches a secret and the body")]
    NoMatchingSignature,
    #[error("the webhook secret {0}")]
    InvalidSecret(String),
    /// The signature is valid but the body is not a SimplePG event.
    #[error("the signed body is not a SimplePG event: {0}")]
    InvalidPayload(#[source] serde_json::Error),
}

/// Where the three `webhook-*` headers are read from; names are matched case-insensitively.
/// Implemented for [`reqwest::header::HeaderMap`] (the `http` crate's, as axum and hyper use),
/// name/value pair lists and maps; implement it for your framework's header type.
pub trait WebhookHeaders {
    fn header(&self, name: &str) -> Option<&str>;
}

impl WebhookHeaders for reqwest::header::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<V: AsRef<str>, S> WebhookHeaders for HashMap<String, V, S>
where
    S: std::hash::BuildHasher,
{
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

/// The kind of a notification (api.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum EventType {
    #[serde(rename = "payment.approved")]
    PaymentApproved,
    #[serde(rename = "payment.failed")]
    PaymentFailed,
    #[serde(rename = "payment.completed")]
    PaymentCompleted,
    /// The payment is canceled as a whole (the last cancel emptied it, or the authorization
    /// expired).
    #[serde(rename = "payment.canceled")]
    PaymentCanceled,
    /// A partial cancel succeeded and something is left: PARTIAL_CANCELED (`cancels` says which).
    #[serde(rename = "payment.partially_canceled")]
    PaymentPartiallyCanceled,
    /// A PENDING cancel ended FAILED; its amount is cancelable again.
    #[serde(rename = "payment.cancel_failed")]
    PaymentCancelFailed,
    #[serde(rename = "payment.expired")]
    PaymentExpired,
    /// A test notification an operator or the merchant sent from the back office: it carries
    /// no payment ([`WebhookEvent::payment`] is `None`); answer 2xx.
    #[serde(rename = "merchant.test")]
    MerchantTest,
    /// A type added after this version of the client: acknowledge it and move on.
    #[serde(other)]
    Unknown,
}

/// The headers of a delivery whose signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedDelivery {
    /// `webhook-id`: the same for every attempt of one event. Store it to ignore repeats.
    pub id: String,
    /// `webhook-timestamp`, in Unix seconds.
    pub timestamp: i64,
}

/// A verified notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEvent {
    /// `webhook-id`: the same for every attempt of one event. Store it to ignore repeats.
    pub id: String,
    pub kind: EventType,
    /// When the change happened.
    pub timestamp: OffsetDateTime,
    /// The payment as of that change; `None` only for [`EventType::MerchantTest`].
    pub payment: Option<Payment>,
}

#[derive(Deserialize)]
struct EventBody {
    #[serde(rename = "type")]
    kind: EventType,
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
    data: serde_json::Value,
}

/// Verifies deliveries against one or more secrets: during a rotation's grace period, give it
/// the new and the old secret and a delivery signed with either is accepted.
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    secrets: Vec<WebhookSecret>,
    tolerance: Option<Duration>,
}

impl WebhookVerifier {
    /// A verifier with the [`DEFAULT_TOLERANCE`].
    pub fn new(secrets: impl IntoIterator<Item = WebhookSecret>) -> Self {
        Self {
            secrets: secrets.into_iter().collect(),
            tolerance: Some(DEFAULT_TOLERANCE),
        }
    }

    /// How far `webhook-timestamp` may be from now.
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Checks no timestamp: only for re-checking a delivery captured earlier, never for live
    /// traffic (a captured delivery could then be replayed forever).
    pub fn without_timestamp_check(mut self) -> Self {
        self.tolerance = None;
        self
    }

    /// Verifies the signature and timestamp against the current clock, then parses the event.
    pub fn verify(
        &self,
        headers: &(impl WebhookHeaders + ?Sized),
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        self.verify_at(headers, body, OffsetDateTime::now_utc())
    }

    /// [`WebhookVerifier::verify`] with `now` given.
    pub fn verify_at(
        &self,
        headers: &(impl WebhookHeaders + ?Sized),
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<WebhookEvent, WebhookError> {
        let delivery = self.verify_signature_at(headers, body, now)?;
        let event: EventBody =
            serde_json::from_slice(body).map_err(WebhookError::InvalidPayload)?;
        let payment = match event.kind {
            EventType::MerchantTest => None,
            _ => Some(serde_json::from_value(event.data).map_err(WebhookError::InvalidPayload)?),
        };
        Ok(WebhookEvent {
            id: delivery.id,
            kind: event.kind,
            timestamp: event.timestamp,
            payment,
        })
    }

    /// Verifies the signature and timestamp only, whatever the body is.
    pub fn verify_signature_at(
        &self,
        headers: &(impl WebhookHeaders + ?Sized),
        body: &[u8],
        now: OffsetDateTime,
    ) -> Result<VerifiedDelivery, WebhookError> {
        let required = |name: &'static str| {
            headers
                .header(name)
                .ok_or(WebhookError::MissingHeader(name))
        };
        let id = required("webhook-id")?;
        let timestamp: i64 = required("webhook-timestamp")?
            .trim()
            .parse()
            .map_err(|_| WebhookError::InvalidTimestamp)?;
        let signatures = required("webhook-signature")?;
        if let Some(tolerance) = self.tolerance {
            let skew_secs = now.unix_timestamp().saturating_sub(timestamp);
            if skew_secs.unsigned_abs() > tolerance.as_secs() {
                return Err(WebhookError::Stale { skew_secs });
            }
        }
        if self
            .secrets
            .iter()
            .any(|secret| secret.0.verify(id, timestamp, body, signatures))
        {
            Ok(VerifiedDelivery {
                id: id.to_owned(),
                timestamp,
            })
        } else {
            Err(WebhookError::NoMatchingSignature)
        }
    }
}

/// Verifies a delivery with any of `secrets` and `tolerance`, and returns its event.
pub fn verify_webhook(
    headers: &(impl WebhookHeaders + ?Sized),
    body: &[u8],
    secrets: &[WebhookSecret],
    tolerance: Duration,
) -> Result<WebhookEvent, WebhookError> {
    WebhookVerifier::new(secrets.iter().cloned())
        .with_tolerance(tolerance)
        .verify(headers, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Standard Webhooks' reference vector (docs/webhooks.md).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SENT: i64 = 1_614_265_330;

    fn headers(signature: &str) -> Vec<(&'static str, String)> {
        vec![
            ("Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek".to_owned()),
            ("webhook-timestamp", SENT.to_string()),
            ("webhook-signature", signature.to_owned()),
        ]
    }

    /// `body` sent as message `id`, signed with `secret` now, as the receiver verifies it.
    fn signed_and_verified(secret: WebhookSecret, id: &str, body: &[u8]) -> WebhookEvent {
        let now = 1_795_507_205;
        let signature = secret.0.sign(id, now, body);
        let headers = [
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", now.to_string()),
            ("webhook-signature", signature),
        ];
        WebhookVerifier::new([secret])
            .verify_at(&headers[..], body, at(now))
            .unwrap()
    }

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    fn other_secret() -> WebhookSecret {
        WebhookSecret::parse("whsec_dGVzdC1vbmx5LWFjcXVpcmVyLXNlY3JldC0wMTIz").unwrap()
    }

    #[test]
    fn the_reference_vector_verifies_with_either_secret_of_a_rotation() {
        let verifier =
            WebhookVerifier::new([other_secret(), WebhookSecret::parse(SECRET).unwrap()]);
        let delivery = verifier
            .verify_signature_at(
                &headers("v1,bogus v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
                BODY,
                at(SENT + 10),
            )
            .unwrap();
        assert_eq!(delivery.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
        assert_eq!(delivery.timestamp, SENT);
    }

    #[test]
    fn a_tampered_body_or_a_wrong_secret_is_refused() {
        let sig = headers("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let right = WebhookVerifier::new([WebhookSecret::parse(SECRET).unwrap()]);
        assert!(matches!(
            right.verify_signature_at(&sig, br#"{"test": 2432232315}"#, at(SENT)),
            Err(WebhookError::NoMatchingSignature)
        ));
        let wrong = WebhookVerifier::new([other_secret()]);
        assert!(matches!(
            wrong.verify_signature_at(&sig, BODY, at(SENT)),
            Err(WebhookError::NoMatchingSignature)
        ));
    }

    #[test]
    fn a_timestamp_beyond_the_tolerance_is_stale_unless_the_check_is_off() {
        let sig = headers("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let verifier = WebhookVerifier::new([WebhookSecret::parse(SECRET).unwrap()]);
        assert!(matches!(
            verifier.verify_signature_at(&sig, BODY, at(SENT + 301)),
            Err(WebhookError::Stale { skew_secs: 301 })
        ));
        assert!(
            verifier
                .with_tolerance(Duration::from_secs(400))
                .verify_signature_at(&sig, BODY, at(SENT - 399))
                .is_ok()
        );
        assert!(
            WebhookVerifier::new([WebhookSecret::parse(SECRET).unwrap()])
                .without_timestamp_check()
                .verify_signature_at(&sig, BODY, at(0))
                .is_ok()
        );
    }

    #[test]
    fn a_missing_header_is_named() {
        let verifier = WebhookVerifier::new([WebhookSecret::parse(SECRET).unwrap()]);
        let mut partial = headers("v1,x");
        partial.remove(2);
        assert!(matches!(
            verifier.verify_signature_at(&partial, BODY, at(SENT)),
            Err(WebhookError::MissingHeader("webhook-signature"))
        ));
    }

    #[test]
    fn a_signed_event_parses_into_its_type_and_payment() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let body = br#"{"type":"payment.approved","timestamp":"2026-11-24T08:00:05.120Z","data":{
            "paymentKey":"k","clientId":"mch_a","orderNo":"O-1","amount":15000,"currency":"KRW",
            "methodCode":"CARD","status":"APPROVED","productName":null,"customerName":null,
            "transactionId":"tx","failureCode":null,"failureMessage":null,"cancelReason":null,
            "createdAt":"2026-11-24T08:00:00.000Z","approvedAt":"2026-11-24T08:00:05.120Z",
            "completedAt":null,"canceledAt":null,"failedAt":null,
            "expiresAt":"2026-11-24T08:30:00.000Z",
            "authorizationExpiresAt":"2026-12-01T08:00:05.120Z","canceledAmount":0,
            "cancelableAmount":15000,"cancels":[]}}"#;
        let event = signed_and_verified(secret, "evt_1", body);
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.kind, EventType::PaymentApproved);
        let payment = event.payment.unwrap();
        assert_eq!(payment.amount, 15_000);
        assert_eq!(payment.transaction_id.as_deref(), Some("tx"));
    }

    #[test]
    fn a_signed_test_notification_verifies_and_carries_no_payment() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"type":"merchant.test","timestamp":"2026-11-24T08:00:05.120Z","data":{"clientId":"mch_1","message":"hi"}}"#;
        let event = signed_and_verified(secret, "evt_2", body);
        assert_eq!(event.kind, EventType::MerchantTest);
        assert_eq!(event.payment, None);
    }

    #[test]
    fn the_cancel_event_types_have_their_contract_names_and_unknown_ones_are_kept_apart() {
        for (name, kind) in [
            ("payment.canceled", EventType::PaymentCanceled),
            (
                "payment.partially_canceled",
                EventType::PaymentPartiallyCanceled,
            ),
            ("payment.cancel_failed", EventType::PaymentCancelFailed),
            ("payment.refunded_someday", EventType::Unknown),
        ] {
            let parsed: EventType = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(parsed, kind, "{name}");
        }
    }

    #[test]
    fn a_secret_must_be_whsec_base64_and_never_shows_in_debug() {
        assert!(matches!(
            WebhookSecret::parse("not-a-secret"),
            Err(WebhookError::InvalidSecret(_))
        ));
        let shown = format!("{:?}", WebhookSecret::parse(SECRET).unwrap());
        assert!(!shown.contains("MfKQ9r8"), "{shown}");
    }
}
