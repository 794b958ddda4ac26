//! `simplepg verify-webhook`: checks a received SimplePG (Standard Webhooks) delivery.

use std::time::Duration;

use clap::Args;
use domain::{Timestamp, signing::WebhookKey};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The merchant's webhook secret (`whsec_...`).
    #[arg(long, env = "SIMPLEPG_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: String,
    /// The `webhook-id` header.
    #[arg(long)]
    pub id: String,
    /// The `webhook-timestamp` header (Unix seconds).
    #[arg(long)]
    pub timestamp: String,
    /// The `webhook-signature` header (one or more space-separated `v1,...`).
    #[arg(long)]
    pub signature: String,
    /// The raw body: a file path, or `-` for standard input.
    #[arg(long, default_value = "-")]
    pub body: String,
    /// Accepted clock skew in seconds (0 = do not check the timestamp).
    #[arg(long, default_value_t = 300)]
    pub tolerance: u64,
}

/// `Ok(message)` when the delivery verifies, `Err(reason)` otherwise.
pub fn verify(args: &VerifyArgs, body: &[u8], now: Timestamp) -> Result<String, String> {
    let key = WebhookKey::parse(&args.secret).map_err(|e| format!("the secret {e}"))?;
    let secs: i64 = args
        .timestamp
        .trim()
        .parse()
        .map_err(|_| "webhook-timestamp is not Unix seconds".to_owned())?;
    if args.tolerance > 0 {
        let sent = Timestamp::from_unix_millis(secs.saturating_mul(1000))
            .map_err(|_| "webhook-timestamp is out of range".to_owned())?;
        if sent.distance(now) > Duration::from_secs(args.tolerance) {
            return Err(format!(
                "webhook-timestamp is more than {} s from now",
                args.tolerance
            ));
        }
    }
    if key.verify(&args.id, secs, body, &args.signature) {
        Ok(format!("valid: webhook-id {} signed at {secs}", args.id))
    } else {
        Err("no signature in webhook-signature matches this secret and body".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(signature: String, timestamp: i64) -> VerifyArgs {
        VerifyArgs {
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek".into(),
            timestamp: timestamp.to_string(),
            signature,
            body: "-".into(),
            tolerance: 300,
        }
    }

    #[test]
    fn the_standard_webhooks_reference_vector_verifies_and_a_tampered_body_does_not() {
        let now = Timestamp::from_unix_millis(1_614_265_330_000).unwrap();
        let a = args(
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".into(),
            1_614_265_330,
        );
        assert!(verify(&a, br#"{"test": 2432232314}"#, now).is_ok());
        assert!(verify(&a, br#"{"test": 2432232315}"#, now).is_err());
        let late = Timestamp::from_unix_millis(1_614_265_330_000 + 301_000).unwrap();
        assert!(
            verify(&a, br#"{"test": 2432232314}"#, late)
                .unwrap_err()
                .contains("more than")
        );
    }
}
