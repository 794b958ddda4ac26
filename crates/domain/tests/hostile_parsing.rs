//! Property tests: the parsers and verifiers that see attacker-controlled input (signing
//! headers, canonical-string parts, webhook headers, ids) never panic, and a signature only
//! verifies for exactly the signed inputs.

use std::{sync::Arc, time::Duration};

use domain::{
    Timestamp,
    idempotency::IdempotencyKey,
    ids::{ClientId, EventId, Nonce, PaymentKey, RequestId, TransactionId},
    money::{Amount, Currency},
    payment::{CancelReason, OrderNo, PaymentStatus},
    ports::Clock,
    services::webhook_auth::WebhookVerifier,
    signing::{CanonicalRequest, WebhookKey},
};
use proptest::prelude::*;

struct Fixed(Timestamp);

impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        self.0
    }
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[ -~]{0,80}",
        "v1,[A-Za-z0-9+/=]{0,60}( v1,[A-Za-z0-9+/=]{0,60}){0,3}",
        "whsec_[A-Za-z0-9+/=]{0,60}",
        "[0-9]{0,25}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn value_parsers_never_panic_on_arbitrary_text(s in any_text()) {
        let _ = ClientId::parse(&s);
        let _ = PaymentKey::parse(&s);
        let _ = Nonce::parse(&s);
        let _ = RequestId::parse(&s);
        let _ = TransactionId::parse(&s);
        let _ = EventId::parse(&s);
        let _ = IdempotencyKey::parse(&s);
        let _ = OrderNo::parse(&s);
        let _ = CancelReason::parse(&s);
        let _ = Currency::parse(&s);
        let _ = PaymentStatus::parse(&s);
        let _ = WebhookKey::parse(&s);
        let _ = Timestamp::parse_rfc3339(&s);
    }

    #[test]
    fn amounts_and_timestamps_never_panic_on_any_integer(n in any::<i64>()) {
        let _ = Amount::parse(n);
        let _ = Timestamp::from_unix_millis(n);
    }

    #[test]
    fn request_verification_never_panics_and_never_accepts_garbage(
        method in any_text(), path in any_text(), query in any_text(), ts in any_text(),
        nonce in any_text(), body in proptest::collection::vec(any::<u8>(), 0..256), sig in any_text(),
    ) {
        let req = CanonicalRequest { method: &method, path: &path, query: &query, timestamp: &ts, nonce: &nonce, body: &body };
        prop_assert!(!req.verify(b"sk_property_secret", &sig) || sig == req.sign(b"sk_property_secret"));
    }

    #[test]
    fn a_signature_verifies_only_for_the_exact_signed_request(
        body in proptest::collection::vec(any::<u8>(), 0..256),
        flip in any::<usize>(),
        query in "[a-z=&0-9]{0,20}",
    ) {
        let req = CanonicalRequest { method: "POST", path: "/api/payments", query: &query, timestamp: "1795507200000", nonce: "nonce-0123456789ab", body: &body };
        let sig = req.sign(b"sk_secret");
        prop_assert!(req.verify(b"sk_secret", &sig));
        prop_assert!(!req.verify(b"sk_other", &sig));
        if !body.is_empty() {
            let mut tampered = body.clone();
            let i = flip % tampered.len();
            tampered[i] ^= 0x01;
            let bad = CanonicalRequest { body: &tampered, ..req };
            prop_assert!(!bad.verify(b"sk_secret", &sig));
        }
    }

    #[test]
    fn webhook_verification_never_panics_on_hostile_headers(
        id in proptest::option::of(any_text()), ts in proptest::option::of(any_text()),
        sig in proptest::option::of(any_text()), body in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let now = Timestamp::from_unix_millis(1_795_507_200_000).unwrap();
        let key = WebhookKey::from_bytes(&[9; 32]);
        let verifier = WebhookVerifier::new(vec![key.clone()], Duration::from_secs(300), Arc::new(Fixed(now)));
        let outcome = verifier.verify(id.as_deref(), ts.as_deref(), sig.as_deref(), &body);
        if outcome.is_ok() {
            // Only possible with a genuine signature, which random text does not produce.
            let (id, ts, sig) = (id.unwrap(), ts.unwrap(), sig.unwrap());
            let secs: i64 = ts.trim().parse().unwrap();
            prop_assert!(key.verify(&id, secs, &body, &sig));
        }
    }

    #[test]
    fn a_webhook_signature_round_trips_and_binds_id_timestamp_and_body(
        id in "[a-z0-9_]{1,30}", secs in 0i64..4_000_000_000, body in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let key = WebhookKey::from_bytes(&[1; 32]);
        let sig = key.sign(&id, secs, &body);
        prop_assert!(key.verify(&id, secs, &body, &sig));
        prop_assert!(!key.verify(&id, secs + 1, &body, &sig));
        let other_id = format!("{id}x");
        prop_assert!(!key.verify(&other_id, secs, &body, &sig));
    }
}
