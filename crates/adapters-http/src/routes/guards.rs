//! Who is calling the back office, at the edge: the admin bearer token or a person's session
//! cookie (api.md §8, §10.2). [`Caller`] guards every operator endpoint (its use case decides
//! what the principal may do: api.md §10.1), and
//! [`SessionOf`] the `/auth/*` endpoints of the logged-in person. Signed merchant requests are
//! [`super::signed::Signed`].

use actix_web::{
    FromRequest, HttpMessage, HttpRequest,
    dev::Payload,
    http::{Method, header},
    web,
};
use domain::{
    ids::RequestId,
    people::{Action, Principal, RequestOrigin, SessionToken},
    services::people::Authenticated,
};
use futures_util::future::LocalBoxFuture;

use crate::{
    problem::{ApiError, ErrorCode},
    state::AppState,
};

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "simplepg_session";
/// The header a cookie-authenticated change carries its session's CSRF token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Where the request came from, for the operator audit log: the peer address (no forwarding
/// header is trusted) and the request id.
pub(super) fn origin(req: &HttpRequest) -> RequestOrigin {
    RequestOrigin {
        ip: req.peer_addr().map(|a| a.ip().to_string()),
        request_id: req.extensions().get::<RequestId>().cloned(),
    }
}

/// The token of the session cookie, if the request carries a well-formed one.
pub(super) fn session_token(req: &HttpRequest) -> Option<SessionToken> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .and_then(|(_, value)| SessionToken::parse(value.trim()).ok())
}

/// What `Authorization` says about the admin token.
enum Bearer {
    /// No bearer credentials (none at all, or another scheme).
    Absent,
    /// The configured admin token (and it is enabled).
    Valid,
    /// A bearer token that is not the admin token, or any while the token is disabled.
    Invalid,
}

fn bearer(req: &HttpRequest, state: &AppState) -> Bearer {
    let presented = header(req, header::AUTHORIZATION.as_str())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match presented {
        None => Bearer::Absent,
        Some(token) if state.admin_token.as_ref().is_some_and(|t| t.matches(token)) => {
            Bearer::Valid
        }
        Some(_) => Bearer::Invalid,
    }
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

pub(super) fn csrf_failed() -> ApiError {
    ApiError::new(
        ErrorCode::CsrfCheckFailed,
        "Send the session's X-CSRF-Token (from /auth/login or /auth/me) with every change",
    )
}

pub(super) fn forbidden() -> ApiError {
    ApiError::new(ErrorCode::Forbidden, "Your role may not do this")
}

/// The live session of the cookie, the CSRF rule applied: a request that changes something
/// must carry the session's `X-CSRF-Token` (403 `CSRF_CHECK_FAILED`).
async fn session(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<(SessionToken, Authenticated)>, ApiError> {
    let Some(token) = session_token(req) else {
        return Ok(None);
    };
    let Some(me) = state.people.login.authenticate(&token).await? else {
        return Ok(None);
    };
    known_caller(req, &me.principal);
    if changes_state(req.method())
        && !header(req, CSRF_HEADER).is_some_and(|presented| me.csrf.matches(presented))
    {
        return Err(csrf_failed());
    }
    Ok(Some((token, me)))
}

/// Notes who the caller is on the request as soon as it is known, before any check of the
/// request refuses it: a refused call is recorded under its caller (`operator_calls`).
fn known_caller(req: &HttpRequest, principal: &Principal) {
    req.extensions_mut().insert(principal.clone());
}

/// The principal of a back-office request: the admin token (ADMIN, actor `token`) or the
/// session cookie's user; neither is `401 ADMIN_UNAUTHORIZED` (`WWW-Authenticate: Bearer`).
async fn principal(req: &HttpRequest, state: &AppState) -> Result<Principal, ApiError> {
    match bearer(req, state) {
        Bearer::Valid => {
            known_caller(req, &Principal::token());
            return Ok(Principal::token());
        }
        Bearer::Invalid => return Err(ApiError::admin_unauthorized()),
        Bearer::Absent => {}
    }
    match session(req, state).await? {
        Some((_, me)) if state.people.login.must_enroll_totp(&me.user) => Err(ApiError::new(
            ErrorCode::TotpEnrollmentRequired,
            "Your role must confirm a second factor first: POST /auth/totp, then /auth/totp/confirm",
        )),
        Some((_, me)) => Ok(me.principal),
        None => Err(ApiError::admin_unauthorized()),
    }
}

/// Any authenticated back-office caller, whatever its role: the endpoint's use case decides
/// what the principal may do (api.md §10.1). No or wrong credentials are `401
/// ADMIN_UNAUTHORIZED` (problem+json, `WWW-Authenticate: Bearer`) before the handler starts
/// (adr/0016); a cookie-authenticated change without the session's CSRF token is `403
/// CSRF_CHECK_FAILED`. `inner` is `T`, extracted first: `Caller<web::Bytes>` reads the body
/// before the check (a body over the limit is a 413 whatever the credentials).
pub struct Caller<T = ()> {
    pub principal: Principal,
    pub origin: RequestOrigin,
    pub inner: T,
}

impl<T> FromRequest for Caller<T>
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
            let inner = inner.await.map_err(Into::into);
            // Known even when the body is refused, so that the refused call is audited under
            // its caller (api.md §10.4); the body's error still comes first.
            let principal = principal(&req, app_state(&req)?).await;
            Ok(Self {
                inner: inner?,
                principal: principal?,
                origin: origin(&req),
            })
        })
    }
}

impl<T> Caller<T> {
    /// `403 FORBIDDEN` unless the caller's role may do `action` to anything at all
    /// ([`Principal::may_ever`]): asked first, before the body or the resource named in the
    /// path is looked at, so a role that may never do it gets 403 whatever it sent.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        self.principal.may_ever(action).map_err(|_| forbidden())
    }

    /// [`Self::require`] for the user endpoints ([`Principal::may_manage_users`]).
    pub fn require_user_management(&self) -> Result<(), ApiError> {
        self.principal.may_manage_users().map_err(|_| forbidden())
    }
}

/// The logged-in person of a `/auth/*` request: the session cookie only (no admin token), the
/// CSRF rule applied; without a live session `401 UNAUTHENTICATED`.
pub struct SessionOf<T = ()> {
    pub token: SessionToken,
    pub me: Authenticated,
    pub origin: RequestOrigin,
    pub inner: T,
}

pub(super) fn unauthenticated() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        "Log in first: no live session cookie",
    )
}

impl<T> FromRequest for SessionOf<T>
where
    T: FromRequest + 'static,
    T::Future: 'static,
    T::Error: Into<actix_web::Error>,
{
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        extract_then(req, payload, async |req, state, inner| {
            let (token, me) = session(req, state).await?.ok_or_else(unauthenticated)?;
            Ok(Self {
                token,
                me,
                origin: origin(req),
                inner,
            })
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

/// Like [`Caller`], but also accepts the admin token as `?token=…`: only for `GET
/// /admin/api/events`, because a browser's `EventSource` cannot send headers (it does send the
/// session cookie). The endpoint's use case decides whether the principal may watch.
pub struct AdminOrQueryToken(pub Principal);

impl FromRequest for AdminOrQueryToken {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        extract_then(req, payload, async |req, state, (): ()| {
            if matches!(bearer(req, state), Bearer::Valid) {
                return Ok(Self(Principal::token()));
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
                Some(token)
                    if state
                        .admin_token
                        .as_ref()
                        .is_some_and(|t| t.matches(&token)) =>
                {
                    Ok(Self(Principal::token()))
                }
                Some(_) => Err(ApiError::admin_unauthorized()),
                None => principal(req, state).await.map(Self),
            }
        })
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
