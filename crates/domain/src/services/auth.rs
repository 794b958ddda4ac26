//! Authentication of signed merchant requests (api.md §2).

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError, Timestamp,
    ids::{ClientId, Nonce},
    merchant::{Merchant, MerchantStatus},
    ports::{
        CipherError, Clock, MerchantStore, NonceOutcome, NonceRecord, NonceStore, SecretCipher,
    },
    signing::CanonicalRequest,
};

pub const HEADER_CLIENT_ID: &str = "X-Client-Id";
pub const HEADER_TIMESTAMP: &str = "X-Timestamp";
pub const HEADER_NONCE: &str = "X-Nonce";
pub const HEADER_SIGNATURE: &str = "X-Signature";

/// A request as received: the four signing headers (absent = `None`) and the signed parts.
#[derive(Clone, Copy, Debug)]
pub struct SignedRequest<'a> {
    pub client_id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a [u8],
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error(
        "X-Timestamp must be Unix time in milliseconds within {window_secs} s of the server's clock"
    )]
    TimestampOutOfWindow { window_secs: u64 },
    /// Unknown client, malformed header or wrong signature: indistinguishable on purpose.
    #[error("the request signature is not valid")]
    InvalidSignature,
    #[error("this X-Nonce was already used")]
    Replayed,
    #[error("the merchant is deactivated")]
    Inactive,
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// A correctly signed request of an active merchant whose nonce is not recorded yet (see
/// [`Authenticator::authenticate_deferred`]).
#[derive(Debug)]
#[must_use = "the nonce must be recorded: with the request's change, or by Authenticator::record"]
pub struct Deferred {
    pub merchant: Merchant,
    pub nonce: NonceRecord,
}

#[derive(Clone)]
pub struct Authenticator {
    merchants: Arc<dyn MerchantStore>,
    nonces: Arc<dyn NonceStore>,
    cipher: Arc<dyn SecretCipher>,
    clock: Arc<dyn Clock>,
    window: Duration,
}

/// Secret used to burn the same HMAC time when the client id is unknown.
const DECOY_SECRET: &[u8] = b"simplepg-decoy-secret-for-unknown-clients";

impl Authenticator {
    pub fn new(
        merchants: Arc<dyn MerchantStore>,
        nonces: Arc<dyn NonceStore>,
        cipher: Arc<dyn SecretCipher>,
        clock: Arc<dyn Clock>,
        window: Duration,
    ) -> Self {
        Self {
            merchants,
            nonces,
            cipher,
            clock,
            window,
        }
    }

    /// Checks, in order: headers present, timestamp inside the window, signature (against the
    /// merchant's secret; an unknown client fails exactly like a wrong signature), nonce fresh
    /// across all instances, merchant active. Only a correctly signed request consumes a nonce.
    pub async fn authenticate(&self, req: SignedRequest<'_>) -> Result<Merchant, AuthError> {
        let (merchant, nonce) = self.verify(req).await?;
        self.record(&nonce).await?;
        match merchant.status {
            MerchantStatus::Active => Ok(merchant),
            MerchantStatus::Inactive => Err(AuthError::Inactive),
        }
    }

    /// [`authenticate`](Self::authenticate) without recording the nonce, for a request that
    /// records it in its own write transaction (a create: one commit instead of two).
    ///
    /// The caller must record [`Deferred::nonce`] exactly once: with its change (a store
    /// refuses the change as a replay if the nonce is used), or — whenever the change does not
    /// commit, for any reason — with [`record`](Self::record), whose `Replayed` then wins over
    /// the request's own outcome. A replay therefore never changes anything and is answered
    /// `REPLAYED_REQUEST` once the first request has been answered, exactly as when the nonce is
    /// recorded up front. A deactivated merchant's request records its nonce here.
    pub async fn authenticate_deferred(
        &self,
        req: SignedRequest<'_>,
    ) -> Result<Deferred, AuthError> {
        let (merchant, nonce) = self.verify(req).await?;
        match merchant.status {
            MerchantStatus::Active => Ok(Deferred { merchant, nonce }),
            MerchantStatus::Inactive => {
                self.record(&nonce).await?;
                Err(AuthError::Inactive)
            }
        }
    }

    /// Records a correctly signed request's nonce on its own: [`AuthError::Replayed`] if it was
    /// used already.
    pub async fn record(&self, nonce: &NonceRecord) -> Result<(), AuthError> {
        match self
            .nonces
            .remember(&nonce.client, &nonce.nonce, nonce.expires_at)
            .await?
        {
            NonceOutcome::Fresh => Ok(()),
            NonceOutcome::Replayed => Err(AuthError::Replayed),
        }
    }

    /// Everything but the nonce's freshness and the merchant's status: the merchant and the
    /// nonce to record.
    async fn verify(&self, req: SignedRequest<'_>) -> Result<(Merchant, NonceRecord), AuthError> {
        let client_id = req
            .client_id
            .ok_or(AuthError::MissingHeader(HEADER_CLIENT_ID))?;
        let timestamp = req
            .timestamp
            .ok_or(AuthError::MissingHeader(HEADER_TIMESTAMP))?;
        let nonce = req.nonce.ok_or(AuthError::MissingHeader(HEADER_NONCE))?;
        let signature = req
            .signature
            .ok_or(AuthError::MissingHeader(HEADER_SIGNATURE))?;

        let now = self.clock.now();
        let sent_at = self.check_window(timestamp, now)?;
        let canonical = CanonicalRequest {
            method: req.method,
            path: req.path,
            query: req.query,
            timestamp,
            nonce,
            body: req.body,
        };

        let merchant = match ClientId::parse(client_id) {
            Ok(id) => self.merchants.find(&id).await?,
            Err(_) => None,
        };
        let Some(merchant) = merchant else {
            let _ = canonical.verify(DECOY_SECRET, signature);
            return Err(AuthError::InvalidSignature);
        };
        let secret = self.cipher.open(&merchant.client_secret)?;
        if !canonical.verify(secret.expose().as_bytes(), signature) {
            return Err(AuthError::InvalidSignature);
        }
        let nonce = NonceRecord {
            client: merchant.client_id.clone(),
            nonce: Nonce::parse(nonce).map_err(|_| AuthError::InvalidSignature)?,
            expires_at: sent_at.max(now).plus(self.window.saturating_mul(2)),
        };
        Ok((merchant, nonce))
    }

    fn check_window(&self, raw: &str, now: Timestamp) -> Result<Timestamp, AuthError> {
        let sent_at =
            (!raw.is_empty() && raw.len() <= 16 && raw.bytes().all(|b| b.is_ascii_digit()))
                .then(|| raw.parse::<i64>().ok())
                .flatten()
                .and_then(|millis| Timestamp::from_unix_millis(millis).ok())
                .filter(|sent_at| sent_at.distance(now) <= self.window);
        sent_at.ok_or(AuthError::TimestampOutOfWindow {
            window_secs: self.window.as_secs(),
        })
    }
}

#[cfg(test)]
mod tests {
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
            previous_webhook_secret: None,
            return_url: None,
            status,
            created_at: t0(),
            updated_at: t0(),
        }
    }

    struct Req {
        ts: String,
        sig: String,
    }

    fn signed(ts_millis: i64, secret: &str) -> Req {
        let ts = ts_millis.to_string();
        let sig = CanonicalRequest {
            method: "GET",
            path: "/api/payments",
            query: "limit=5",
            timestamp: &ts,
            nonce: "nonce-0123456789ab",
            body: b"",
        }
        .sign(secret.as_bytes());
        Req { ts, sig }
    }

    fn request(r: &Req) -> SignedRequest<'_> {
        SignedRequest {
            client_id: Some("mch_a"),
            timestamp: Some(&r.ts),
            nonce: Some("nonce-0123456789ab"),
            signature: Some(&r.sig),
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

    fn fresh_nonces() -> MockNonceStore {
        let mut n = MockNonceStore::new();
        n.expect_remember()
            .times(1)
            .returning(|_, _, _| Ok(NonceOutcome::Fresh));
        n
    }

    #[tokio::test]
    async fn a_correctly_signed_request_is_accepted() {
        let r = signed(t0().unix_millis(), SECRET);
        let m = auth(known(MerchantStatus::Active), fresh_nonces())
            .authenticate(request(&r))
            .await
            .unwrap();
        assert_eq!(m.client_id.as_str(), "mch_a");
    }

    #[tokio::test]
    async fn a_missing_header_is_named() {
        let r = signed(t0().unix_millis(), SECRET);
        let req = SignedRequest {
            nonce: None,
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
        let mut merchants = MockMerchantStore::new();
        merchants.expect_find().returning(|_| Ok(None));
        let mut nonces = MockNonceStore::new();
        nonces.expect_remember().never();
        let r = signed(t0().unix_millis(), SECRET);
        let unknown = auth(merchants, nonces)
            .authenticate(request(&r))
            .await
            .unwrap_err();
        let r = signed(t0().unix_millis(), "sk_wrong");
        let mut nonces = MockNonceStore::new();
        nonces.expect_remember().never();
        let wrong = auth(known(MerchantStatus::Active), nonces)
            .authenticate(request(&r))
            .await
            .unwrap_err();
        assert_eq!(unknown.to_string(), wrong.to_string());
        assert!(matches!(wrong, AuthError::InvalidSignature));
    }

    #[tokio::test]
    async fn a_replayed_nonce_is_refused() {
        let mut nonces = MockNonceStore::new();
        nonces
            .expect_remember()
            .returning(|_, _, _| Ok(NonceOutcome::Replayed));
        let r = signed(t0().unix_millis(), SECRET);
        let err = auth(known(MerchantStatus::Active), nonces)
            .authenticate(request(&r))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::Replayed));
    }

    #[tokio::test]
    async fn a_deactivated_merchant_with_a_valid_signature_is_forbidden() {
        let r = signed(t0().unix_millis(), SECRET);
        let err = auth(known(MerchantStatus::Inactive), fresh_nonces())
            .authenticate(request(&r))
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
        let r = signed(t0().unix_millis(), SECRET);
        auth(known(MerchantStatus::Active), nonces)
            .authenticate(request(&r))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_deferred_authentication_records_no_nonce_and_hands_it_to_the_caller() {
        let mut nonces = MockNonceStore::new();
        nonces.expect_remember().never();
        let r = signed(t0().unix_millis(), SECRET);
        let deferred = auth(known(MerchantStatus::Active), nonces)
            .authenticate_deferred(request(&r))
            .await
            .unwrap();
        assert_eq!(deferred.merchant.client_id.as_str(), "mch_a");
        assert_eq!(deferred.nonce.client.as_str(), "mch_a");
        assert_eq!(deferred.nonce.nonce.as_str(), "nonce-0123456789ab");
        assert_eq!(
            deferred.nonce.expires_at,
            t0().plus(Duration::from_secs(600))
        );
    }

    #[tokio::test]
    async fn a_deferred_authentication_of_a_deactivated_merchant_records_the_nonce_and_is_forbidden()
     {
        let r = signed(t0().unix_millis(), SECRET);
        let err = auth(known(MerchantStatus::Inactive), fresh_nonces())
            .authenticate_deferred(request(&r))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::Inactive));
    }

    #[tokio::test]
    async fn a_deferred_authentication_of_a_deactivated_merchant_with_a_used_nonce_is_a_replay() {
        let mut nonces = MockNonceStore::new();
        nonces
            .expect_remember()
            .returning(|_, _, _| Ok(NonceOutcome::Replayed));
        let r = signed(t0().unix_millis(), SECRET);
        let err = auth(known(MerchantStatus::Inactive), nonces)
            .authenticate_deferred(request(&r))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::Replayed));
    }

    #[tokio::test]
    async fn recording_a_used_nonce_on_its_own_is_a_replay() {
        let mut nonces = MockNonceStore::new();
        nonces
            .expect_remember()
            .returning(|_, _, _| Ok(NonceOutcome::Replayed));
        let r = signed(t0().unix_millis(), SECRET);
        let authenticator = auth(known(MerchantStatus::Active), MockNonceStore::new());
        let deferred = authenticator
            .authenticate_deferred(request(&r))
            .await
            .unwrap();
        let err = auth(MockMerchantStore::new(), nonces)
            .record(&deferred.nonce)
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::Replayed));
    }
}
