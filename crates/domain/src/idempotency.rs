//! `Idempotency-Key` (api.md §3.1, IETF idempotency-key draft): the first response to a keyed
//! POST is stored per merchant for 24 h and replayed for retries of the same request.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;

use crate::{
    RepositoryError, Timestamp,
    ids::ClientId,
    ports::Clock,
    service_struct::service_struct,
    signing::sha256_hex,
    validation::{checked_string, visible_ascii},
};

checked_string!(
    /// 1–255 visible ASCII characters.
    IdempotencyKey,
    |raw| visible_ascii(raw, 255)
);

/// What makes two requests "the same request": method, path, query and body.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(method: &str, path: &str, query: &str, body: &[u8]) -> Self {
        let mut bytes =
            Vec::with_capacity(method.len() + path.len() + query.len() + body.len() + 3);
        for part in [method.as_bytes(), path.as_bytes(), query.as_bytes()] {
            bytes.extend_from_slice(part);
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(body);
        Self(sha256_hex(&bytes))
    }

    /// Rebuilds a fingerprint read from storage.
    pub fn from_hex(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A response as first sent, replayed byte for byte.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// The outcome of presenting a key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Claim {
    /// First use (or the previous holder crashed and its lease expired): go ahead, then
    /// [`IdempotencyService::finish`] or [`IdempotencyService::abandon`].
    Fresh,
    /// Same key, same request, already answered: send this again.
    Replay(StoredResponse),
    /// Same key, same request, the first is still running: 409 `IDEMPOTENCY_KEY_IN_USE`.
    InFlight,
    /// Same key, different request: 422 `IDEMPOTENCY_KEY_REUSED`.
    Mismatch,
}

/// Storage of idempotency records, shared by every instance.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Atomically: no live record → insert IN_FLIGHT (lease until `now + lease`, expiry
    /// `now + ttl`) and `Fresh`; a record past its expiry is replaced the same way; otherwise a
    /// different fingerprint is `Mismatch`, a completed one is `Replay`, an in-flight one with a
    /// live lease is `InFlight`, and one whose lease expired is taken over (`Fresh`). Exactly
    /// one of any number of concurrent claimers of a free key gets `Fresh`.
    async fn claim(
        &self,
        client: &ClientId,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
        now: Timestamp,
        lease: Duration,
        ttl: Duration,
    ) -> Result<Claim, RepositoryError>;

    /// Stores the response of a `Fresh` claim.
    async fn complete(
        &self,
        client: &ClientId,
        key: &IdempotencyKey,
        response: &StoredResponse,
        now: Timestamp,
    ) -> Result<(), RepositoryError>;

    /// Forgets an in-flight record whose request failed in a way worth retrying (5xx).
    async fn release(&self, client: &ClientId, key: &IdempotencyKey)
    -> Result<(), RepositoryError>;

    /// Deletes records past their expiry; returns how many.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, RepositoryError>;
}

#[derive(Clone, Copy, Debug)]
pub struct IdempotencyPolicy {
    /// How long a record (and its stored response) lives: 24 h.
    pub ttl: Duration,
    /// How long an in-flight record blocks retries before it is considered abandoned.
    pub lease: Duration,
}

impl Default for IdempotencyPolicy {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(60),
        }
    }
}

service_struct! {
    pub struct IdempotencyService {
        store: Arc<dyn IdempotencyStore>,
        clock: Arc<dyn Clock>,
        policy: IdempotencyPolicy,
    }
    pub fn new;
}

impl IdempotencyService {
    pub async fn begin(
        &self,
        client: &ClientId,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
    ) -> Result<Claim, RepositoryError> {
        self.store
            .claim(
                client,
                key,
                fingerprint,
                self.clock.now(),
                self.policy.lease,
                self.policy.ttl,
            )
            .await
    }

    /// Stores the response to be replayed, unless it says the request was not done: a 500 (a
    /// fault) or a 503 (the database or cluster could not take it now) releases the key so that
    /// the client's retry runs the request again (the IETF draft leaves 5xx to the server). A
    /// 502 `ACQUIRER_ERROR` is the acquirer's definitive refusal, already recorded (a FAILED
    /// cancel): it is stored like any answer, so a retry replays it instead of asking again.
    pub async fn finish(
        &self,
        client: &ClientId,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), RepositoryError> {
        if matches!(response.status, 500 | 503) {
            self.store.release(client, key).await
        } else {
            self.store
                .complete(client, key, response, self.clock.now())
                .await
        }
    }

    pub async fn abandon(
        &self,
        client: &ClientId,
        key: &IdempotencyKey,
    ) -> Result<(), RepositoryError> {
        self.store.release(client, key).await
    }

    pub async fn purge_expired(&self) -> Result<u64, RepositoryError> {
        self.store.purge_expired(self.clock.now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{services::testkit::fixed_clock, validation::assert_parser};

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert_parser(
            IdempotencyKey::parse,
            &["order-1:attempt", &"k".repeat(255)],
            &[&"k".repeat(256), "", "has space", "키"],
        );
    }

    #[test]
    fn fingerprints_differ_when_method_path_query_or_body_differ() {
        let base = Fingerprint::of("POST", "/api/payments", "", b"{}");
        assert_eq!(base, Fingerprint::of("POST", "/api/payments", "", b"{}"));
        assert_ne!(base, Fingerprint::of("PUT", "/api/payments", "", b"{}"));
        assert_ne!(base, Fingerprint::of("POST", "/api/payment", "", b"{}"));
        assert_ne!(base, Fingerprint::of("POST", "/api/payments", "x=1", b"{}"));
        assert_ne!(base, Fingerprint::of("POST", "/api/payments", "", b"{ }"));
    }

    /// Finishes key `k` of `mch_a` with a response of `status` and `body`.
    async fn finish(store: MockIdempotencyStore, status: u16, body: Vec<u8>) {
        let svc = IdempotencyService::new(
            Arc::new(store),
            Arc::new(fixed_clock()),
            IdempotencyPolicy::default(),
        );
        let resp = StoredResponse {
            status,
            content_type: None,
            location: None,
            body,
        };
        svc.finish(
            &ClientId::parse("mch_a").unwrap(),
            &IdempotencyKey::parse("k").unwrap(),
            &resp,
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_fault_or_an_unavailable_database_releases_the_key_instead_of_storing_it() {
        for status in [500, 503] {
            let mut store = MockIdempotencyStore::new();
            store.expect_release().times(1).returning(|_, _| Ok(()));
            store.expect_complete().never();
            finish(store, status, Vec::new()).await;
        }
    }

    #[tokio::test]
    async fn the_acquirers_definitive_refusal_is_stored_and_replayed() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_complete()
            .withf(|_, _, r, _| r.status == 502)
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        store.expect_release().never();
        finish(store, 502, b"{}".to_vec()).await;
    }

    #[tokio::test]
    async fn a_client_error_is_stored_and_replayed_like_a_success() {
        let mut store = MockIdempotencyStore::new();
        store
            .expect_complete()
            .withf(|_, _, r, _| r.status == 409)
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        finish(store, 409, b"{}".to_vec()).await;
    }
}
