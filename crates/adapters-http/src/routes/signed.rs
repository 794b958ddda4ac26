//! The signed merchant request (api.md §2) as an extractor: [`Signed`] reads the body, has the
//! domain's [`Authenticator`] verify the signature and use up the nonce, and applies the
//! merchant's rate limit before the handler starts, so no handler verifies or records a nonce
//! itself (adr/0020).

use std::future::Future;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use domain::{
    merchant::Merchant,
    ports::NonceRecord,
    services::auth::{Authenticator, Deferred, SignedRequest, SigningHeader},
};
use futures_util::future::LocalBoxFuture;

use super::guards::extract_then;
use crate::{
    idempotency::IDEMPOTENCY_KEY,
    problem::{ApiError, ErrorCode},
    state::AppState,
};

/// A correctly signed request of an active merchant within its rate, with the body it was
/// signed over. `N` says what became of its nonce: [`Recorded`] (every request but a create) or
/// [`CreateNonce`] (the create, which records it with the payment, adr/0014).
///
/// The body is read first, then the signature checked: a body over the limit is a 413 whatever
/// the signature, as when the handlers checked it themselves.
pub struct Signed<N = Recorded> {
    pub merchant: Merchant,
    pub body: web::Bytes,
    pub nonce: N,
}

/// The nonce was recorded as the request was authenticated: a replay of it is refused.
pub struct Recorded(());

/// The nonce of a signed create, which only [`CreateNonce::settle`] can use up. Without
/// `Idempotency-Key` it is still to be recorded, in the create's own transaction (one commit,
/// adr/0014); a keyed create has it recorded up front, because its idempotency record is a write
/// of its own and a replay must not reach it.
#[must_use = "a create's nonce is used up by CreateNonce::settle"]
pub struct CreateNonce(Option<NonceRecord>);

/// How a [`Signed`] request's nonce is used up.
pub trait NonceRule: Sized + 'static {
    fn authenticate(
        req: &HttpRequest,
        body: &[u8],
        state: &AppState,
    ) -> impl Future<Output = Result<(Merchant, Self), ApiError>>;
}

impl NonceRule for Recorded {
    async fn authenticate(
        req: &HttpRequest,
        body: &[u8],
        state: &AppState,
    ) -> Result<(Merchant, Self), ApiError> {
        let merchant = state.auth.authenticate(signed(req, body)).await?;
        rate_limit(&merchant, state)?;
        Ok((merchant, Self(())))
    }
}

impl NonceRule for CreateNonce {
    /// `Authenticator::authenticate_deferred` unless the create is keyed. A request refused here
    /// for its rate has its nonce recorded first, as [`Recorded`] would have.
    async fn authenticate(
        req: &HttpRequest,
        body: &[u8],
        state: &AppState,
    ) -> Result<(Merchant, Self), ApiError> {
        if req.headers().contains_key(IDEMPOTENCY_KEY) {
            let (merchant, Recorded(())) = Recorded::authenticate(req, body, state).await?;
            return Ok((merchant, Self(None)));
        }
        let Deferred { merchant, nonce } =
            state.auth.authenticate_deferred(signed(req, body)).await?;
        if let Err(limited) = rate_limit(&merchant, state) {
            state.auth.record(&nonce).await?;
            return Err(limited);
        }
        Ok((merchant, Self(Some(nonce))))
    }
}

impl CreateNonce {
    /// Runs `create` with the nonce to record in its transaction (`None`: recorded already).
    /// Whenever the create does not commit — refused for its body, its order number, its
    /// `clientId`, or failed — the nonce is recorded on its own before answering, and a replay
    /// found then is the answer. A create the store refused as a replay (`REPLAYED_REQUEST`)
    /// found the nonce used already.
    pub async fn settle<T>(
        self,
        auth: &Authenticator,
        create: impl AsyncFnOnce(Option<&NonceRecord>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let Some(nonce) = self.0 else {
            return create(None).await;
        };
        match create(Some(&nonce)).await {
            Err(refused) if refused.problem.code != ErrorCode::ReplayedRequest => {
                auth.record(&nonce).await?;
                Err(refused)
            }
            outcome => outcome,
        }
    }
}

impl<N: NonceRule> FromRequest for Signed<N> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        extract_then(req, payload, async |req, state, body: web::Bytes| {
            let (merchant, nonce) = N::authenticate(req, &body, state).await?;
            Ok(Self {
                merchant,
                body,
                nonce,
            })
        })
    }
}

/// A signing header as received: absent, once as text, repeated, or not text. The domain decides
/// what each means (a repeated one is refused, like a repeated query parameter is).
fn signing_header<'a>(req: &'a HttpRequest, name: &str) -> SigningHeader<'a> {
    let mut values = req.headers().get_all(name);
    match (values.next(), values.next()) {
        (None, _) => SigningHeader::Absent,
        (Some(_), Some(_)) => SigningHeader::Repeated,
        (Some(value), None) => value
            .to_str()
            .map_or(SigningHeader::NotText, SigningHeader::Value),
    }
}

/// The signing headers and signed parts of `req` as the domain's [`Authenticator`] reads them.
pub(crate) fn signed<'a>(req: &'a HttpRequest, body: &'a [u8]) -> SignedRequest<'a> {
    SignedRequest {
        client_id: signing_header(req, "x-client-id"),
        timestamp: signing_header(req, "x-timestamp"),
        nonce: signing_header(req, "x-nonce"),
        signature: signing_header(req, "x-signature"),
        method: req.method().as_str(),
        path: req.uri().path(),
        query: req.uri().query().unwrap_or(""),
        body,
    }
}

fn rate_limit(merchant: &Merchant, state: &AppState) -> Result<(), ApiError> {
    if let Err(wait) = state.rate_limiter.check(merchant.client_id.as_str()) {
        return Err(ApiError::rate_limited(
            "Too many requests for this client; retry after the time in Retry-After",
            wait,
        ));
    }
    Ok(())
}
