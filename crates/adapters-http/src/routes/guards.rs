//! The admin bearer token at the edge (the [`Admin`] extractor); signed merchant requests are
//! [`super::signed::Signed`].

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;

use crate::{problem::ApiError, state::AppState};

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
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
        extract_then(req, payload, async |req, state, inner| {
            check_admin(req, state)?;
            Ok(Self(inner))
        })
    }
}

/// The shape of every guard extractor: extract `T` (the body, for the signature guards) first,
/// then run `check` with the request, the state and `T` (adr/0016: a body over the limit is a
/// 413 whatever the credentials).
pub(super) fn extract_then<T, R>(
    req: &HttpRequest,
    payload: &mut Payload,
    check: impl AsyncFnOnce(&HttpRequest, &AppState, T) -> Result<R, ApiError> + 'static,
) -> LocalBoxFuture<'static, Result<R, actix_web::Error>>
where
    T: FromRequest + 'static,
    T::Future: 'static,
    T::Error: Into<actix_web::Error>,
{
    let inner = T::from_request(req, payload);
    let req = req.clone();
    Box::pin(async move {
        let inner = inner.await.map_err(Into::into)?;
        Ok(check(&req, app_state(&req)?, inner).await?)
    })
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

pub(super) fn app_state(req: &HttpRequest) -> Result<&AppState, ApiError> {
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
