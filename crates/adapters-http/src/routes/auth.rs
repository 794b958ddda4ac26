//! Logging in and out, the session's user and TOTP enrollment (api.md §10.2). The session
//! lives in the database; the cookie `simplepg_session` holds its token (`HttpOnly`,
//! `SameSite=Strict`, `Path=/`, `Secure` unless the public URL is plain http).

use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, http::header, web};
use domain::{people::Password, services::people::Credentials};

use super::guards::{SESSION_COOKIE, SessionOf, origin};
use crate::{
    annotations::schemas::{ConfirmTotpRequest, LoginRequest},
    body::{json_object, valid},
    dto::{MeResponse, SessionResponse, TotpEnrollmentResponse},
    problem::ApiError,
    state::AppState,
};

/// The fields of a login (api.md §10.2).
pub(crate) const LOGIN_FIELDS: &[&str] = &["email", "password", "totp"];
/// The fields of a TOTP confirmation.
pub(crate) const CONFIRM_TOTP_FIELDS: &[&str] = &["code"];

/// The `Set-Cookie` value of a session: `max_age_secs` 0 clears it.
fn session_cookie(value: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}"
    )
}

fn no_store(mut response: HttpResponseBuilder) -> HttpResponseBuilder {
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    response
}

/// Log in: checks the credentials and opens a session.
///
/// Wrong email, wrong password or a disabled account: the same `401 LOGIN_FAILED` (same detail,
/// comparable timing). `TOTP_REQUIRED` only after a right password. The failure that reaches
/// `auth.max_failed_logins` is still `LOGIN_FAILED`; the next attempt, right password or not,
/// is `429 LOGIN_LOCKED` until the lock ends. More than `auth.login_attempts_per_ip_per_minute`
/// attempts from one address: `429 RATE_LIMITED` with `Retry-After`.
#[utoipa::path(
    post,
    path = "/auth/login",
    operation_id = "login",
    request_body(content = LoginRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = SessionResponse,
            headers(("Set-Cookie" = String, description = "`simplepg_session=<token>; HttpOnly; SameSite=Strict; Path=/; Max-Age=<absolute lifetime>[; Secure]`"))),
        (status = 401, response = crate::annotations::problems::LoginFailed),
        (status = 409, response = crate::annotations::problems::LoginConflict),
        (status = 429, response = crate::annotations::problems::LoginLocked),
    ),
)]
pub async fn login(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let from = origin(&req);
    if let Err(wait) = state
        .people
        .login_limiter
        .check(from.ip.as_deref().unwrap_or("unknown"))
    {
        return Err(ApiError::rate_limited(
            "Too many login attempts from this address; retry after the time in Retry-After",
            wait,
        ));
    }
    let obj = json_object(&req, &body, LOGIN_FIELDS)?;
    let mut v = obj.violations();
    let email = obj.string("email", true, &mut v).map(str::to_owned);
    let password = obj.string("password", true, &mut v).map(Password::attempt);
    let totp = obj.string("totp", false, &mut v).map(str::to_owned);
    let (email, password) = valid(v, (email, password))?;
    let credentials = Credentials {
        email,
        password,
        totp,
    };
    let login = &state.people.login;
    let session = login.login(credentials, &from).await?;
    let max_age = login.session_policy().absolute.as_secs();
    let cookie = session_cookie(session.token.expose(), max_age, state.people.cookie_secure);
    Ok(no_store(HttpResponse::Ok())
        .insert_header((header::SET_COOKIE, cookie))
        .json(SessionResponse::new(
            &session.user,
            session.csrf.expose(),
            session.expires_at,
            login.must_enroll_totp(&session.user),
        )))
}

/// Log out: the session is revoked server-side and the cookie cleared (`X-CSRF-Token`
/// required).
#[utoipa::path(
    post,
    path = "/auth/logout",
    operation_id = "logout",
    security(("sessionCookie" = [])),
    responses(
        (status = 204, description = "Logged out; the cookie is cleared",
            headers(("Set-Cookie" = String, description = "`simplepg_session=; …; Max-Age=0`"))),
        (status = 403, response = crate::annotations::problems::CsrfFailed),
    ),
)]
pub async fn logout(
    session: SessionOf,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state
        .people
        .login
        .logout(&session.token, &session.origin)
        .await?;
    Ok(HttpResponse::NoContent()
        .insert_header((
            header::SET_COOKIE,
            session_cookie("", 0, state.people.cookie_secure),
        ))
        .finish())
}

/// The logged-in user, with the session's CSRF token.
#[utoipa::path(
    get,
    path = "/auth/me",
    operation_id = "me",
    security(("sessionCookie" = [])),
    responses(
        (status = 200, description = "The session's user (its fields, and `user` as the login answers it) with the session", body = MeResponse),
    ),
)]
pub async fn me(session: SessionOf, state: web::Data<AppState>) -> HttpResponse {
    let me = &session.me;
    let current = SessionResponse::new(
        &me.user,
        me.csrf.expose(),
        me.expires_at,
        state.people.login.must_enroll_totp(&me.user),
    );
    no_store(HttpResponse::Ok()).json(MeResponse::new(current, &me.user))
}

/// Start TOTP enrollment: a new secret, returned once as an `otpauth://` URI; login asks for a
/// code only after `POST /auth/totp/confirm`.
#[utoipa::path(
    post,
    path = "/auth/totp",
    operation_id = "enrollTotp",
    security(("sessionCookie" = [])),
    responses(
        (status = 200, description = "The URI to enroll an authenticator from (shown once)", body = TotpEnrollmentResponse),
        (status = 403, response = crate::annotations::problems::CsrfFailed),
        (status = 409, response = crate::annotations::problems::TotpAlreadyOn),
    ),
)]
pub async fn enroll_totp(
    session: SessionOf,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let uri = state
        .people
        .login
        .begin_totp(&session.me.user, &session.origin)
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(TotpEnrollmentResponse { otpauth_uri: uri }))
}

/// Confirm TOTP enrollment with a current code: from now on login requires `totp`.
#[utoipa::path(
    post,
    path = "/auth/totp/confirm",
    operation_id = "confirmTotp",
    security(("sessionCookie" = [])),
    request_body(content = ConfirmTotpRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "The second factor is on"),
        (status = 403, response = crate::annotations::problems::CsrfFailed),
        (status = 409, response = crate::annotations::problems::TotpConflict),
    ),
)]
pub async fn confirm_totp(
    req: HttpRequest,
    session: SessionOf<web::Bytes>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let obj = json_object(&req, &session.inner, CONFIRM_TOTP_FIELDS)?;
    let mut v = obj.violations();
    let code = obj.string("code", true, &mut v).map(str::to_owned);
    let code = valid(v, code)?;
    state
        .people
        .login
        .confirm_totp(&session.me.user, &code, &session.origin)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
