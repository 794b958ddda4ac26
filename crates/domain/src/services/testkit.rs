//! Test doubles shared by the service unit tests.

use std::{sync::Arc, time::Duration};

use crate::{
    Timestamp,
    ids::{ClientId, EventId, PaymentId, PaymentKey},
    ports::{
        CipherError, MockClock, MockDispatchSignal, MockKeyGenerator, MockMerchantStore,
        MockOutboundSender, MockPayloadEncoder, SecretCipher,
    },
    secret::{SealedSecret, Secret},
    services::outbound::{AcquirerEndpoint, Outbound},
    signing::WebhookKey,
};

pub fn t0() -> Timestamp {
    Timestamp::from_unix_millis(1_795_507_200_000).unwrap()
}

pub fn fixed_clock() -> MockClock {
    clock_at(t0())
}

pub fn clock_at(t: Timestamp) -> MockClock {
    let mut c = MockClock::new();
    c.expect_now().return_const(t);
    c
}

pub fn keys() -> MockKeyGenerator {
    let mut k = MockKeyGenerator::new();
    k.expect_payment_id()
        .returning(|| PaymentId::from_uuid(uuid::Uuid::now_v7()));
    k.expect_payment_key()
        .returning(|| PaymentKey::from_bytes([9; 32]));
    k.expect_event_id()
        .returning(|| EventId::from_uuid(uuid::Uuid::now_v7()));
    k.expect_client_id()
        .returning(|| ClientId::parse("mch_new").unwrap());
    k.expect_client_secret()
        .returning(|| Secret::new("sk_test_secret".into()));
    k.expect_webhook_secret()
        .returning(|| Secret::new("whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdA==".into()));
    k
}

/// Reverses the bytes: enough to prove that what is stored is not the plaintext.
pub struct FakeCipher;

impl SecretCipher for FakeCipher {
    fn seal(&self, secret: &Secret) -> Result<SealedSecret, CipherError> {
        Ok(SealedSecret {
            key_version: 1,
            ciphertext: secret.expose().bytes().rev().collect(),
        })
    }

    fn open(&self, sealed: &SealedSecret) -> Result<Secret, CipherError> {
        let bytes: Vec<u8> = sealed.ciphertext.iter().rev().copied().collect();
        String::from_utf8(bytes)
            .map(Secret::new)
            .map_err(|e| CipherError(e.to_string()))
    }

    fn key_version(&self) -> u32 {
        1
    }
}

pub fn acquirer() -> AcquirerEndpoint {
    AcquirerEndpoint {
        request_url: "http://acquirer.test/request".into(),
        return_url: "http://pg.test/api/webhook/payment".into(),
        key: WebhookKey::from_bytes(&[3; 32]),
        timeout: Duration::from_secs(1),
    }
}

/// Outbound wiring for service tests: merchants without a return URL (so no notifications),
/// payloads `{}`, and the given sender.
pub fn outbound(sender: MockOutboundSender) -> Outbound {
    let mut encoder = MockPayloadEncoder::new();
    encoder
        .expect_acquirer_request()
        .returning(|_, _| "{}".into());
    encoder.expect_acquirer_cancel().returning(|_| "{}".into());
    encoder
        .expect_merchant_event()
        .returning(|_, _, _| "{}".into());
    let mut merchants = MockMerchantStore::new();
    merchants.expect_find().returning(|_| Ok(None));
    let mut signal = MockDispatchSignal::new();
    signal.expect_wake().return_const(());
    Outbound::new(
        Arc::new(encoder),
        Arc::new(keys()),
        Arc::new(merchants),
        Arc::new(sender),
        Arc::new(signal),
        Arc::new(acquirer()),
    )
}
