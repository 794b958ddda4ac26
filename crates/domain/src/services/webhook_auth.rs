//! Verification of Standard Webhooks signatures on incoming webhooks (api.md §4, §6).

use std::{sync::Arc, time::Duration};

use crate::{Timestamp, ports::Clock, signing::WebhookKey};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookAuthError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp must be Unix seconds within {0} s of the server's clock")]
    TimestampOutOfWindow(u64),
    #[error("no webhook-signature matches")]
    InvalidSignature,
}

/// Checks `webhook-id`, `webhook-timestamp` (± tolerance) and `webhook-signature` (any of the
/// space-separated `v1,` signatures made with any of the keys).
#[derive(Clone)]
pub struct WebhookVerifier {
    keys: Vec<WebhookKey>,
    tolerance: Duration,
    clock: Arc<dyn Clock>,
}

impl WebhookVerifier {
    pub fn new(keys: Vec<WebhookKey>, tolerance: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            keys,
            tolerance,
            clock,
        }
    }

    pub fn verify(
        &self,
        id: Option<&str>,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), WebhookAuthError> {
        let id = id
            .filter(|v| !v.is_empty())
            .ok_or(WebhookAuthError::MissingHeader("webhook-id"))?;
        let timestamp = timestamp.ok_or(WebhookAuthError::MissingHeader("webhook-timestamp"))?;
        let signature = signature.ok_or(WebhookAuthError::MissingHeader("webhook-signature"))?;
        let out_of_window = WebhookAuthError::TimestampOutOfWindow(self.tolerance.as_secs());
        let secs: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| out_of_window.clone())?;
        let sent = Timestamp::from_unix_millis(secs.saturating_mul(1000))
            .map_err(|_| out_of_window.clone())?;
        if sent.distance(self.clock.now()) > self.tolerance {
            return Err(out_of_window);
        }
        if self
            .keys
            .iter()
            .any(|k| k.verify(id, secs, body, signature))
        {
            Ok(())
        } else {
            Err(WebhookAuthError::InvalidSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::testkit::{fixed_clock, t0};

    fn key() -> WebhookKey {
        WebhookKey::from_bytes(&[5; 32])
    }

    fn verifier() -> WebhookVerifier {
        WebhookVerifier::new(
            vec![key()],
            Duration::from_secs(300),
            Arc::new(fixed_clock()),
        )
    }

    #[test]
    fn a_correctly_signed_webhook_passes() {
        let ts = t0().unix_seconds();
        let sig = key().sign("msg_1", ts, b"{}");
        assert_eq!(
            verifier().verify(Some("msg_1"), Some(&ts.to_string()), Some(&sig), b"{}"),
            Ok(())
        );
    }

    #[test]
    fn stale_missing_or_forged_webhooks_are_refused() {
        let ts = t0().unix_seconds();
        let sig = key().sign("msg_1", ts, b"{}");
        let v = verifier();
        assert_eq!(
            v.verify(None, Some(&ts.to_string()), Some(&sig), b"{}"),
            Err(WebhookAuthError::MissingHeader("webhook-id"))
        );
        let stale = (ts - 301).to_string();
        assert_eq!(
            v.verify(Some("msg_1"), Some(&stale), Some(&sig), b"{}"),
            Err(WebhookAuthError::TimestampOutOfWindow(300))
        );
        assert_eq!(
            v.verify(Some("msg_1"), Some(&ts.to_string()), Some(&sig), b"{ }"),
            Err(WebhookAuthError::InvalidSignature)
        );
        let other = WebhookKey::from_bytes(&[6; 32]).sign("msg_1", ts, b"{}");
        assert_eq!(
            v.verify(Some("msg_1"), Some(&ts.to_string()), Some(&other), b"{}"),
            Err(WebhookAuthError::InvalidSignature)
        );
    }
}
