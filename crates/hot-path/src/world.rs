//! The services of one server, wired as `app-server` wires them, over in-memory ports.

use std::{sync::Arc, time::Duration};

use adapters_crypto::{KeyRing, RandomKeyGenerator, VersionedKey};
use domain::{
    Timestamp,
    ids::ClientId,
    merchant::{ClientName, Merchant, MerchantStatus, ReturnUrl},
    outbox::RetryPolicy,
    ports::{KeyGenerator, SecretCipher},
    services::{
        auth::Authenticator,
        dispatcher::{DispatchPolicies, Dispatcher},
        outbound::{AcquirerEndpoint, Outbound},
        payments::{PaymentPolicy, PaymentService},
        webhook_auth::WebhookVerifier,
    },
    settlement::SettlementTerms,
    signing::WebhookKey,
};

use crate::memory::{Answering, FixedClock, FreshNonces, NoSignal, OneMerchant, Outbox, Payments};

/// The fixed "now" of every measured request (2026-11-24T08:00:00Z).
pub const T0_MILLIS: i64 = 1_795_507_200_000;
/// Where the merchant receives its notifications.
pub const MERCHANT_RETURN_URL: &str = "https://shop.example.com/simplepg/webhooks";
/// The webhook URL the acquirer is given (the server's own `/api/webhook/payment`).
pub const ACQUIRER_RETURN_URL: &str = "https://pg.example.com/api/webhook/payment";
const ACQUIRER_REQUEST_URL: &str = "https://acquirer.example.com/v1/payments";
/// A 32-byte `ENCRYPTION_KEY` (version 1), as configuration gives it.
const ENCRYPTION_KEY: &str = "1:c2ltcGxlcGctaG90LXBhdGgtZW5jcnlwdGlvbi1rZXk=";

/// One server's services and the in-memory ports under them, with one active merchant.
pub struct World {
    pub now: Timestamp,
    pub merchant: Merchant,
    /// The merchant's client secret in clear (what the merchant signs with).
    pub client_secret: String,
    /// The merchant's webhook key (what its receiver verifies with).
    pub merchant_webhook_key: WebhookKey,
    /// The acquirer's Standard Webhooks key (both directions).
    pub acquirer_key: WebhookKey,
    pub store: Arc<Payments>,
    pub outbox: Arc<Outbox>,
    pub sender: Arc<Answering>,
    pub payments: PaymentService,
    pub auth: Authenticator,
    pub webhooks: WebhookVerifier,
    pub dispatcher: Dispatcher,
}

impl World {
    pub fn new() -> Result<Self, String> {
        let now = Timestamp::from_unix_millis(T0_MILLIS).map_err(|e| e.to_string())?;
        let clock = Arc::new(FixedClock(now));
        let keys = Arc::new(RandomKeyGenerator::new());
        let key = VersionedKey::parse(ENCRYPTION_KEY).map_err(|e| e.to_string())?;
        let cipher = Arc::new(KeyRing::new(key, []).map_err(|e| e.to_string())?);

        let client_secret = keys.client_secret();
        let webhook_secret = keys.webhook_secret();
        let merchant_webhook_key =
            WebhookKey::parse(webhook_secret.expose()).map_err(|e| e.to_string())?;
        let merchant = Merchant {
            client_id: ClientId::from_uuid(uuid::Uuid::now_v7()),
            client_name: ClientName::parse("Coffee shop").map_err(|e| e.to_string())?,
            client_secret: cipher.seal(&client_secret).map_err(|e| e.to_string())?,
            webhook_secret: cipher.seal(&webhook_secret).map_err(|e| e.to_string())?,
            previous_client_secret: None,
            previous_webhook_secret: None,
            return_url: Some(ReturnUrl::parse(MERCHANT_RETURN_URL).map_err(|e| e.to_string())?),
            status: MerchantStatus::Active,
            terms: SettlementTerms::default(),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let merchants = Arc::new(OneMerchant(merchant.clone()));
        let acquirer_key =
            WebhookKey::parse(keys.webhook_secret().expose()).map_err(|e| e.to_string())?;
        let acquirer = Arc::new(AcquirerEndpoint {
            request_url: ACQUIRER_REQUEST_URL.to_owned(),
            return_url: ACQUIRER_RETURN_URL.to_owned(),
            key: acquirer_key.clone(),
            timeout: Duration::from_secs(10),
            cancel_timeout: Duration::from_secs(3),
        });
        let store = Arc::new(Payments::default());
        let outbox = Arc::new(Outbox::default());
        let sender = Arc::new(Answering::default());
        let outbound = Outbound::new(
            Arc::new(adapters_http::JsonPayloadEncoder),
            keys.clone(),
            merchants.clone(),
            sender.clone(),
            Arc::new(NoSignal),
            acquirer.clone(),
        );
        let payments = PaymentService::new(
            store.clone(),
            keys.clone(),
            clock.clone(),
            outbound,
            PaymentPolicy::default(),
        );
        let auth = Authenticator::new(
            merchants.clone(),
            Arc::new(FreshNonces),
            cipher.clone(),
            clock.clone(),
            Duration::from_secs(300),
        );
        let webhooks = WebhookVerifier::new(
            vec![acquirer_key.clone()],
            Duration::from_secs(300),
            clock.clone(),
        );
        let dispatcher = Dispatcher::new(
            outbox.clone(),
            sender.clone(),
            merchants,
            cipher,
            clock,
            payments.clone(),
            acquirer,
            DispatchPolicies {
                acquirer: RetryPolicy::exponential(
                    8,
                    Duration::from_millis(500),
                    Duration::from_secs(60),
                ),
                notifications: RetryPolicy::from_attempt_delays(&[
                    Duration::ZERO,
                    Duration::from_secs(60),
                    Duration::from_secs(600),
                ])
                .retrying_all_failures(),
                notification_timeout: Duration::from_secs(10),
                mock_webhooks: RetryPolicy::exponential(
                    6,
                    Duration::from_millis(500),
                    Duration::from_secs(10),
                ),
                lease: Duration::from_secs(70),
                batch: 64,
            },
        );
        Ok(Self {
            now,
            merchant,
            client_secret: client_secret.expose().to_owned(),
            merchant_webhook_key,
            acquirer_key,
            store,
            outbox,
            sender,
            payments,
            auth,
            webhooks,
            dispatcher,
        })
    }

    /// Whether the in-memory ports keep what they are given (for checks) or only count it.
    pub fn keep(&self, on: bool) {
        self.store.keep.set(on);
        self.outbox.keep.set(on);
        self.sender.keep.set(on);
    }
}
