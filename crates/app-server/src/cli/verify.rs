//! `simplepg verify-webhook`: checks a received SimplePG (Standard Webhooks) delivery.

use std::time::Duration;

use clap::Args;
use domain::Timestamp;
use simplepg_client::{WebhookSecret, WebhookVerifier};

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

/// `Ok(message)` when the delivery verifies (with the merchant client crate's verifier),
/// `Err(reason)` otherwise.
pub fn verify(args: &VerifyArgs, body: &[u8], now: Timestamp) -> Result<String, String> {
    let secret = WebhookSecret::parse(&args.secret).map_err(|e| e.to_string())?;
    let verifier = WebhookVerifier::new([secret]);
    let verifier = if args.tolerance == 0 {
        verifier.without_timestamp_check()
    } else {
        verifier.with_tolerance(Duration::from_secs(args.tolerance))
    };
    let headers = [
        ("webhook-id", args.id.as_str()),
        ("webhook-timestamp", args.timestamp.as_str()),
        ("webhook-signature", args.signature.as_str()),
    ];
    let delivery = verifier
        .verify_signature_at(&headers[..], body, now.as_datetime())
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "valid: webhook-id {} signed at {}",
        delivery.id, delivery.timestamp
    ))
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
