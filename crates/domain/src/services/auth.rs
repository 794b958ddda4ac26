//! Authentication of signed merchant requests (api.md §2).

use std::{sync::Arc, time::Duration};

use crate::{
    RepositoryError, Timestamp,
    ids::{ClientId, Nonce},
    merchant::{Merchant, MerchantStatus},
    ports::{
        CipherError, Clock, MerchantStore, NonceOutcome, NonceRecord, NonceStore, SecretCipher,
    },
    signing::{CanonicalRequest, sha256_hex},
};

pub const HEADER_CLIENT_ID: &str = "X-Client-Id";
pub const HEADER_TIMESTAMP: &str = "X-Timestamp";
pub const HEADER_NONCE: &str = "X-Nonce";
pub const HEADER_SIGNATURE: &str = "X-Signature";

/// One signing header as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningHeader<'a> {
    Absent,
    /// Sent once, as visible ASCII text.
    Value(&'a str),
    /// Sent more than once: which value counts would depend on who reads the request (a proxy
    /// may take the first, another server the last), so none does.
    Repeated,
    /// Sent once, but not as visible ASCII text (bytes 0x80–0xFF, which HTTP parsers let through).
    NotText,
}

impl<'a> From<Option<&'a str>> for SigningHeader<'a> {
    fn from(value: Option<&'a str>) -> Self {
        value.map_or(Self::Absent, Self::Value)
    }
}

/// A request as received: the four signing headers and the signed parts.
#[derive(Clone, Copy, Debug)]
pub struct SignedRequest<'a> {
    pub client_id: SigningHeader<'a>,
    pub timestamp: SigningHeader<'a>,
    pub nonce: SigningHeader<'a>,
    pub signature: SigningHeader<'a>,
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
    /// A signing header sent more than once; decided before anything is looked up.
    #[error("the {0} header was sent more than once; send each signing header exactly once")]
    RepeatedHeader(&'static str),
    /// A signing header that is not visible ASCII text; decided before anything is looked up.
    #[error("the {0} header is not visible ASCII text")]
    UnreadableHeader(&'static str),
    /// An `X-Nonce` outside its format. It says nothing about the client, so it is named.
    #[error("X-Nonce is malformed: it must be 16 to 64 characters of [A-Za-z0-9_-]")]
    MalformedNonce,
    /// Unknown client or wrong signature: indistinguishable on purpose. With
    /// [`Authenticator::with_mismatch_hints`], `canonical_sha256` is the lower-case hex SHA-256
    /// of the canonical string the server computed over (a function of the request alone, so it
    /// is there for an unknown client too and reveals nothing about any client or secret).
    #[error("{}", invalid_signature_detail(.canonical_sha256.as_deref()))]
    InvalidSignature { canonical_sha256: Option<String> },
    #[error("this X-Nonce was already used")]
    Replayed,
    #[error("the merchant is deactivated")]
    Inactive,
    #[error(transparent)]
    Cipher(#[from] CipherError),
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

fn invalid_signature_detail(canonical_sha256: Option<&str>) -> String {
    match canonical_sha256 {
        None => "the request signature is not valid".to_owned(),
        Some(hash) => format!(
            "the request signature is not valid; the server computed it over a canonical string \
             whose SHA-256 is {hash} (canonicalStringSha256): compare it with the SHA-256 of \
             your own canonical string (docs/signing.md) to find which line differs"
        ),
    }
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
    mismatch_hints: bool,
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
            mismatch_hints: false,
        }
    }

    /// Policy: whether a refused signature tells the client the SHA-256 of the canonical string
    /// the server computed over ([`AuthError::InvalidSignature`]), so an integrator can see
    /// which side built a different string. Off by default; on everywhere but in production,
    /// where the answer stays opaque. Never the secret nor the expected signature; and the same
    /// for an unknown client as for a wrong signature, since the hash depends only on the
    /// request.
    #[must_use]
    pub fn with_mismatch_hints(mut self, on: bool) -> Self {
        self.mismatch_hints = on;
        self
    }

    /// Checks, in order: each header present exactly once as text, timestamp inside the window,
    /// nonce well-formed, signature (against the merchant's secret, or the previous one during
    /// a rotation's grace; an unknown client fails
    /// exactly like a wrong signature), nonce fresh across all instances, merchant active. Only
    /// a correctly signed request consumes a nonce.
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
        let client_id = required(req.client_id, HEADER_CLIENT_ID)?;
        let timestamp = required(req.timestamp, HEADER_TIMESTAMP)?;
        let nonce = required(req.nonce, HEADER_NONCE)?;
        let signature = required(req.signature, HEADER_SIGNATURE)?;

        let now = self.clock.now();
        let sent_at = self.check_window(timestamp, now)?;
        let nonce_value = Nonce::parse(nonce).map_err(|_| AuthError::MalformedNonce)?;
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
            return Err(self.mismatch(&canonical));
        };
        // The current secret, and the previous one while its rotation grace lasts (api.md
        // §10.6). Every live secret is tried, so the time taken does not tell which one signed.
        let mut verified = false;
        for sealed in merchant.client_secrets_at(now) {
            let secret = self.cipher.open(sealed)?;
            verified |= canonical.verify(secret.expose().as_bytes(), signature);
        }
        if !verified {
            return Err(self.mismatch(&canonical));
        }
        let nonce = NonceRecord {
            client: merchant.client_id.clone(),
            nonce: nonce_value,
            expires_at: sent_at.max(now).plus(self.window.saturating_mul(2)),
        };
        Ok((merchant, nonce))
    }

    /// The refusal of a signature that does not verify (or of an unknown client: the same).
    fn mismatch(&self, canonical: &CanonicalRequest<'_>) -> AuthError {
        AuthError::InvalidSignature {
            canonical_sha256: self
                .mismatch_hints
                .then(|| sha256_hex(canonical.canonical_string().as_bytes())),
        }
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

/// A header that must be there exactly once, as text.
fn required<'a>(header: SigningHeader<'a>, name: &'static str) -> Result<&'a str, AuthError> {
    match header {
        SigningHeader::Value(value) => Ok(value),
        SigningHeader::Absent => Err(AuthError::MissingHeader(name)),
        SigningHeader::Repeated => Err(AuthError::RepeatedHeader(name)),
        SigningHeader::NotText => Err(AuthError::UnreadableHeader(name)),
    }
}

#[cfg(test)]
mod tests;
