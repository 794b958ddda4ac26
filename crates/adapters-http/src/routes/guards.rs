//! Authentication at the edge: signed merchant requests and the admin bearer token (the
//! [`Admin`] extractor).

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use domain::{
    merchant::Merchant,
    services::auth::{Deferred, SignedRequest, SigningHeader},
};
use futures_util::future::LocalBoxFuture;

use crate::{
    problem::{ApiError, ErrorCode},
    state::AppState,
};

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
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

fn signed<'a>(req: &'a HttpRequest, body: &'a [u8]) -> SignedRequest<'a> {
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

/// Authenticates a merchant request (api.md §2) over the raw body bytes.
pub async fn merchant(
    req: &HttpRequest,
    body: &[u8],
    state: &AppState,
) -> Result<Merchant, ApiError> {
    let merchant = state.auth.authenticate(signed(req, body)).await?;
    rate_limit(&merchant, state)?;
    Ok(merchant)
}

/// Like [`merchant`], but leaves the nonce for the caller to record with its own write
/// (`Authenticator::authenticate_deferred`). A request refused here for its rate has its nonce
/// recorded first, as [`merchant`] would have.
pub async fn merchant_deferred(
    req: &HttpRequest,
    body: &[u8],
    state: &AppState,
) -> Result<Deferred, ApiError> {
    let deferred = state.auth.authenticate_deferred(signed(req, body)).await?;
    if let Err(limited) = rate_limit(&deferred.merchant, state) {
        state.auth.record(&deferred.nonce).await?;
        return Err(limited);
    }
    Ok(deferred)
}

fn rate_limit(merchant: &Merchant, state: &AppState) -> Result<(), ApiError> {
    if let Err(wait) = state.rate_limiter.check(merchant.client_id.as_str()) {
        let mut e = ApiError::new(
            ErrorCode::RateLimited,
            "Too many requests for this client; retry after the time in Retry-After",
        );
        e.retry_after_secs = Some(u32::try_from(wait.as_secs().max(1)).unwrap_or(u32::MAX));
        return Err(e);
    }
    Ok(())
}

/// Proof that the request carries the admin token (`Authorization: Bearer <admin token>`,
/// api.md §8). Every admin handler takes one, so none can run without the check: without or
/// with a wrong token the request is answered `401 ADMIN_UNAUTHORIZED` (problem+json,
/// `WWW-Authenticate: Bearer`) before the handler starts (adr/0016).
///
/// `T` is extracted first, then the token is checked: `Admin<web::Bytes>` reads the body
/// before the check, exactly as the handlers did when they called the check themselves (a body
/// over the limit is a 413 whatever the token). `Admin` alone (`T = ()`) is the check only.
pub struct Admin<T = ()>(pub T);

impl<T> FromRequest for Admin<T>
where
    T: FromRequest + 'static,
    T::Future: 'static,
    T::Error: Into<actix_web::Error>,
{
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let inner = T::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let inner = inner.await.map_err(Into::into)?;
            check_admin(&req, app_state(&req)?)?;
            Ok(Self(inner))
        })
    }
}

/// Like [`Admin`], but also accepts the token as `?token=…`: only for `GET /admin/api/events`,
/// because a browser's `EventSource` cannot send headers.
pub struct AdminOrQueryToken;

impl FromRequest for AdminOrQueryToken {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(app_state(req).and_then(|state| {
            check_admin_or_query_token(req, state)?;
            Ok(Self)
        }))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the application state is not registered with the server")]
struct NoAppState;

fn app_state(req: &HttpRequest) -> Result<&AppState, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .map(|data| data.get_ref())
        .ok_or_else(|| ApiError::internal(NoAppState))
}

/// Checks `Authorization: Bearer <admin token>` in constant time.
fn check_admin(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let presented = header(req, header::AUTHORIZATION.as_str())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match presented {
        Some(token) if state.admin_token.matches(token) => Ok(()),
        _ => Err(ApiError::admin_unauthorized()),
    }
}

fn check_admin_or_query_token(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    if check_admin(req, state).is_ok() {
        return Ok(());
    }
    let from_query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .ok()
        .and_then(|q| {
            q.into_inner()
                .into_iter()
                .find(|(name, _)| name == "token")
                .map(|(_, value)| value)
        });
    match from_query {
        Some(token) if state.admin_token.matches(&token) => Ok(()),
        _ => Err(ApiError::admin_unauthorized()),
    }
}
