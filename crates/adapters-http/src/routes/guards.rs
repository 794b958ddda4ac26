//! Authentication at the edge: signed merchant requests and the admin bearer token.

use actix_web::{HttpRequest, http::header};
use domain::{
    merchant::Merchant,
    services::auth::{Deferred, SignedRequest, SigningHeader},
};

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

/// Checks `Authorization: Bearer <admin token>` in constant time.
pub fn admin(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
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

/// Like [`admin`], but also accepts the token as `?token=…`: only for `GET /admin/api/events`,
/// because a browser's `EventSource` cannot send headers.
pub fn admin_or_query_token(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    if admin(req, state).is_ok() {
        return Ok(());
    }
    let from_query = actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
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
