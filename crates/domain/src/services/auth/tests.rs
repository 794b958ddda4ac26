//! Unit tests of the `Authenticator`: every refusal, and what each one records.

use super::*;
use crate::{
    merchant::ClientName,
    ports::{MockMerchantStore, MockNonceStore, SecretCipher},
    secret::Secret,
    services::testkit::{FakeCipher, fixed_clock, t0},
};

const SECRET: &str = "sk_test_secret";

fn merchant(status: MerchantStatus) -> Merchant {
    Merchant {
        client_id: ClientId::parse("mch_a").unwrap(),
        client_name: ClientName::parse("A").unwrap(),
        client_secret: FakeCipher.seal(&Secret::new(SECRET.into())).unwrap(),
        webhook_secret: FakeCipher.seal(&Secret::new("whsec_x".into())).unwrap(),
        previous_client_secret: None,
        previous_webhook_secret: None,
        return_url: None,
        status,
        terms: Default::default(),
        created_at: t0(),
        updated_at: t0(),
        version: 0,
    }
}

struct Req {
    ts: String,
    sig: String,
}

const NONCE: &str = "nonce-0123456789ab";

/// The test client's request (`GET /api/payments?limit=5`, empty body) at `timestamp`.
fn canonical<'a>(timestamp: &'a str, nonce: &'a str) -> CanonicalRequest<'a> {
    CanonicalRequest {
        method: "GET",
        path: "/api/payments",
        query: "limit=5",
        timestamp,
        nonce,
        body: b"",
    }
}

fn signed_with_nonce(ts_millis: i64, secret: &str, nonce: &str) -> Req {
    let ts = ts_millis.to_string();
    let sig = canonical(&ts, nonce).sign(secret.as_bytes());
    Req { ts, sig }
}

fn signed(ts_millis: i64, secret: &str) -> Req {
    signed_with_nonce(ts_millis, secret, NONCE)
}

fn request(r: &Req) -> SignedRequest<'_> {
    SignedRequest {
        client_id: SigningHeader::Value("mch_a"),
        timestamp: SigningHeader::Value(&r.ts),
        nonce: SigningHeader::Value(NONCE),
        signature: SigningHeader::Value(&r.sig),
        method: "GET",
        path: "/api/payments",
        query: "limit=5",
        body: b"",
    }
}

fn auth(merchants: MockMerchantStore, nonces: MockNonceStore) -> Authenticator {
    Authenticator::new(
        Arc::new(merchants),
        Arc::new(nonces),
        Arc::new(FakeCipher),
        Arc::new(fixed_clock()),
        Duration::from_secs(300),
    )
}

fn known(status: MerchantStatus) -> MockMerchantStore {
    let mut m = MockMerchantStore::new();
    m.expect_find()
        .returning(move |_| Ok(Some(merchant(status))));
    m
}

fn unknown_client() -> MockMerchantStore {
    let mut m = MockMerchantStore::new();
    m.expect_find().returning(|_| Ok(None));
    m
}

fn fresh_nonces() -> MockNonceStore {
    let mut n = MockNonceStore::new();
    n.expect_remember()
        .times(1)
        .returning(|_, _, _| Ok(NonceOutcome::Fresh));
    n
}

fn used_nonces() -> MockNonceStore {
    let mut n = MockNonceStore::new();
    n.expect_remember()
        .returning(|_, _, _| Ok(NonceOutcome::Replayed));
    n
}

/// Nonces that must not be recorded.
fn untouched_nonces() -> MockNonceStore {
    let mut n = MockNonceStore::new();
    n.expect_remember().never();
    n
}

/// How `authenticator` answers a request signed now with `secret`.
async fn authenticate_signed_with(
    authenticator: Authenticator,
    secret: &str,
) -> Result<Merchant, AuthError> {
    authenticator
        .authenticate(request(&signed(t0().unix_millis(), secret)))
        .await
}

/// How `authenticator` answers, deferring the nonce, a request signed now with the secret.
async fn authenticate_deferred(authenticator: Authenticator) -> Result<Deferred, AuthError> {
    authenticator
        .authenticate_deferred(request(&signed(t0().unix_millis(), SECRET)))
        .await
}

/// Why the deferred authentication of the deactivated merchant's correctly signed request fails,
/// its nonce going to `nonces`.
async fn deferred_refusal_of_a_deactivated_merchant(nonces: MockNonceStore) -> AuthError {
    authenticate_deferred(auth(known(MerchantStatus::Inactive), nonces))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_correctly_signed_request_is_accepted() {
    let m = authenticate_signed_with(auth(known(MerchantStatus::Active), fresh_nonces()), SECRET)
        .await
        .unwrap();
    assert_eq!(m.client_id.as_str(), "mch_a");
}

/// The merchant after a rotation from `sk_old` to [`SECRET`] whose grace ends at `until`.
fn rotated_with_grace_until(until: Timestamp) -> MockMerchantStore {
    let mut m = MockMerchantStore::new();
    m.expect_find().returning(move |_| {
        Ok(Some(Merchant {
            previous_client_secret: Some(crate::merchant::PreviousSecret {
                secret: FakeCipher.seal(&Secret::new("sk_old".into())).unwrap(),
                until,
            }),
            ..merchant(MerchantStatus::Active)
        }))
    });
    m
}

#[tokio::test]
async fn during_a_rotation_grace_both_the_new_and_the_old_client_secret_verify() {
    let until = t0().plus(Duration::from_millis(1));
    for secret in [SECRET, "sk_old"] {
        let m = authenticate_signed_with(
            auth(rotated_with_grace_until(until), fresh_nonces()),
            secret,
        )
        .await
        .unwrap_or_else(|e| panic!("{secret}: {e}"));
        assert_eq!(m.client_id.as_str(), "mch_a");
    }
    let wrong = authenticate_signed_with(
        auth(rotated_with_grace_until(until), untouched_nonces()),
        "sk_wrong",
    )
    .await
    .unwrap_err();
    assert!(matches!(wrong, AuthError::InvalidSignature { .. }));
}

#[tokio::test]
async fn once_the_grace_has_ended_only_the_new_client_secret_verifies() {
    let err = authenticate_signed_with(
        auth(rotated_with_grace_until(t0()), untouched_nonces()),
        "sk_old",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AuthError::InvalidSignature { .. }), "{err}");
    authenticate_signed_with(auth(rotated_with_grace_until(t0()), fresh_nonces()), SECRET)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_missing_header_is_named() {
    let r = signed(t0().unix_millis(), SECRET);
    let req = SignedRequest {
        nonce: SigningHeader::Absent,
        ..request(&r)
    };
    let err = auth(MockMerchantStore::new(), MockNonceStore::new())
        .authenticate(req)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::MissingHeader("X-Nonce")));
}

#[tokio::test]
async fn timestamps_outside_the_window_are_refused_before_any_lookup() {
    for offset in [-300_001, 300_001] {
        let r = signed(t0().unix_millis() + offset, SECRET);
        let err = auth(MockMerchantStore::new(), MockNonceStore::new())
            .authenticate(request(&r))
            .await
            .unwrap_err();
        assert!(
            matches!(err, AuthError::TimestampOutOfWindow { .. }),
            "{offset}"
        );
    }
    let r = Req {
        ts: "soon".into(),
        sig: String::new(),
    };
    let err = auth(MockMerchantStore::new(), MockNonceStore::new())
        .authenticate(request(&r))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::TimestampOutOfWindow { .. }));
}

#[tokio::test]
async fn an_unknown_client_looks_exactly_like_a_wrong_signature() {
    let unknown = authenticate_signed_with(auth(unknown_client(), untouched_nonces()), SECRET)
        .await
        .unwrap_err();
    let wrong = authenticate_signed_with(
        auth(known(MerchantStatus::Active), untouched_nonces()),
        "sk_wrong",
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert!(matches!(wrong, AuthError::InvalidSignature { .. }));
}

#[tokio::test]
async fn a_replayed_nonce_is_refused() {
    let err = authenticate_signed_with(auth(known(MerchantStatus::Active), used_nonces()), SECRET)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Replayed));
}

#[tokio::test]
async fn a_deactivated_merchant_with_a_valid_signature_is_forbidden() {
    let err = authenticate_signed_with(
        auth(known(MerchantStatus::Inactive), fresh_nonces()),
        SECRET,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AuthError::Inactive));
}

#[tokio::test]
async fn nonces_are_remembered_for_twice_the_window() {
    let mut nonces = MockNonceStore::new();
    nonces
        .expect_remember()
        .withf(|_, _, until| *until == t0().plus(Duration::from_secs(600)))
        .returning(|_, _, _| Ok(NonceOutcome::Fresh));
    authenticate_signed_with(auth(known(MerchantStatus::Active), nonces), SECRET)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_deferred_authentication_records_no_nonce_and_hands_it_to_the_caller() {
    let deferred = authenticate_deferred(auth(known(MerchantStatus::Active), untouched_nonces()))
        .await
        .unwrap();
    assert_eq!(deferred.merchant.client_id.as_str(), "mch_a");
    assert_eq!(deferred.nonce.client.as_str(), "mch_a");
    assert_eq!(deferred.nonce.nonce.as_str(), NONCE);
    assert_eq!(
        deferred.nonce.expires_at,
        t0().plus(Duration::from_secs(600))
    );
}

#[tokio::test]
async fn a_deferred_authentication_of_a_deactivated_merchant_records_the_nonce_and_is_forbidden() {
    let err = deferred_refusal_of_a_deactivated_merchant(fresh_nonces()).await;
    assert!(matches!(err, AuthError::Inactive));
}

#[tokio::test]
async fn a_deferred_authentication_of_a_deactivated_merchant_with_a_used_nonce_is_a_replay() {
    let err = deferred_refusal_of_a_deactivated_merchant(used_nonces()).await;
    assert!(matches!(err, AuthError::Replayed));
}

#[tokio::test]
async fn recording_a_used_nonce_on_its_own_is_a_replay() {
    let deferred =
        authenticate_deferred(auth(known(MerchantStatus::Active), MockNonceStore::new()))
            .await
            .unwrap();
    let err = auth(MockMerchantStore::new(), used_nonces())
        .record(&deferred.nonce)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Replayed));
}

#[tokio::test]
async fn a_repeated_or_unreadable_signing_header_is_refused_before_any_lookup() {
    let r = signed(t0().unix_millis(), SECRET);
    for name in [
        HEADER_CLIENT_ID,
        HEADER_TIMESTAMP,
        HEADER_NONCE,
        HEADER_SIGNATURE,
    ] {
        for bad in [SigningHeader::Repeated, SigningHeader::NotText] {
            let mut req = request(&r);
            match name {
                HEADER_CLIENT_ID => req.client_id = bad,
                HEADER_TIMESTAMP => req.timestamp = bad,
                HEADER_NONCE => req.nonce = bad,
                _ => req.signature = bad,
            }
            // Mocks without expectations: any lookup or nonce record would panic.
            let err = auth(MockMerchantStore::new(), MockNonceStore::new())
                .authenticate(req)
                .await
                .unwrap_err();
            match (bad, &err) {
                (SigningHeader::Repeated, AuthError::RepeatedHeader(h))
                | (SigningHeader::NotText, AuthError::UnreadableHeader(h)) => {
                    assert_eq!(*h, name);
                    assert!(err.to_string().contains(name), "{err}");
                }
                _ => panic!("{name} {bad:?}: {err:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_malformed_nonce_is_named_as_such_before_any_lookup() {
    for nonce in ["short", &"n".repeat(65), "has spaces in the nonce", ""] {
        let r = signed_with_nonce(t0().unix_millis(), SECRET, nonce);
        let req = SignedRequest {
            nonce: SigningHeader::Value(nonce),
            ..request(&r)
        };
        let err = auth(MockMerchantStore::new(), MockNonceStore::new())
            .authenticate(req)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AuthError::MalformedNonce),
            "{nonce:?}: {err:?}"
        );
        assert!(err.to_string().contains("X-Nonce is malformed"), "{err}");
    }
}

#[tokio::test]
async fn by_default_a_wrong_signature_says_nothing_about_the_canonical_string() {
    let err = authenticate_signed_with(
        auth(known(MerchantStatus::Active), MockNonceStore::new()),
        "sk_wrong",
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        AuthError::InvalidSignature {
            canonical_sha256: None
        }
    ));
    assert_eq!(err.to_string(), "the request signature is not valid");
}

#[tokio::test]
async fn with_mismatch_hints_a_wrong_signature_names_the_sha256_of_the_canonical_string() {
    let r = signed(t0().unix_millis(), "sk_wrong");
    let err = auth(known(MerchantStatus::Active), MockNonceStore::new())
        .with_mismatch_hints(true)
        .authenticate(request(&r))
        .await
        .unwrap_err();
    let expected =
        crate::signing::sha256_hex(canonical(&r.ts, NONCE).canonical_string().as_bytes());
    let AuthError::InvalidSignature {
        canonical_sha256: Some(hash),
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(hash, &expected);
    assert!(err.to_string().contains(&expected), "{err}");
    assert!(!err.to_string().contains(SECRET), "{err}");
    assert!(!err.to_string().contains(&r.sig), "{err}");
    let right = signed(t0().unix_millis(), SECRET);
    assert!(
        !err.to_string().contains(&right.sig),
        "never the expected signature"
    );
}

#[tokio::test]
async fn with_mismatch_hints_an_unknown_client_still_looks_exactly_like_a_wrong_signature() {
    let r = signed(t0().unix_millis(), SECRET);
    let unknown = auth(unknown_client(), MockNonceStore::new())
        .with_mismatch_hints(true)
        .authenticate(request(&r))
        .await
        .unwrap_err();
    let wrong = auth(known(MerchantStatus::Active), MockNonceStore::new())
        .with_mismatch_hints(true)
        .authenticate(request(&Req {
            ts: r.ts.clone(),
            sig: signed(t0().unix_millis(), "sk_wrong").sig,
        }))
        .await
        .unwrap_err();
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert!(matches!(
        unknown,
        AuthError::InvalidSignature {
            canonical_sha256: Some(_)
        }
    ));
}
