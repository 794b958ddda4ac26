//! Wire representations of people (api.md §10): users (never a password or its hash), the
//! session a login opens, and the operator audit log.

use domain::{
    Timestamp,
    people::{OperatorAuditEntry, TotpState, User},
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{opt_ts, ts};
use crate::annotations::schemas::{AuditOutcomeName, RoleName};

/// A back-office account (api.md §10.1).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = User)]
pub struct UserResponse {
    /// `usr_` and 32 hex digits.
    #[schema(pattern = "^usr_[0-9a-f]{32}$")]
    user_id: String,
    /// Lower-cased.
    #[schema(example = "ops@example.com")]
    email: String,
    #[schema(value_type = RoleName)]
    role: &'static str,
    /// The merchant of a merchant role; `null` for platform roles.
    #[schema(required = true)]
    client_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    /// Whether login asks for a one-time code.
    totp_enabled: bool,
    disabled: bool,
    /// While the account is locked after failed logins; `null` otherwise.
    #[schema(required = true, format = DateTime)]
    locked_until: Option<String>,
}

impl From<&User> for UserResponse {
    fn from(u: &User) -> Self {
        Self {
            user_id: u.id.to_string(),
            email: u.email.as_str().to_owned(),
            role: u.role.as_str(),
            client_id: u.client_id.as_ref().map(ToString::to_string),
            created_at: ts(u.created_at),
            totp_enabled: matches!(u.totp, TotpState::On(_)),
            disabled: u.disabled,
            locked_until: opt_ts(u.locked_until),
        }
    }
}

/// The session of `POST /auth/login` and `GET /auth/me` (the cookie carries its token).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Session)]
pub struct SessionResponse {
    user: UserResponse,
    /// Send it as `X-CSRF-Token` with every state-changing request authenticated by the cookie.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    csrf_token: String,
    /// When the session ends at the latest if it is not used again (idle timeout, or the
    /// absolute lifetime if sooner).
    #[schema(format = DateTime)]
    expires_at: String,
    /// The server requires a second factor of this role and it is not confirmed yet: until it
    /// is (`POST /auth/totp`, `/auth/totp/confirm`), `/admin/api` answers `403
    /// TOTP_ENROLLMENT_REQUIRED`.
    totp_enrollment_required: bool,
}

impl SessionResponse {
    pub fn new(
        user: &User,
        csrf_token: &str,
        expires_at: Timestamp,
        totp_enrollment_required: bool,
    ) -> Self {
        Self {
            user: user.into(),
            csrf_token: csrf_token.to_owned(),
            expires_at: ts(expires_at),
            totp_enrollment_required,
        }
    }
}

/// `GET /auth/me`: the user itself (its fields at the top level, api.md §10.2) and, as the login
/// answers, the session (`user`, `csrfToken`, `expiresAt`, `totpEnrollmentRequired`).
#[derive(Serialize, ToSchema)]
#[schema(as = Me)]
pub struct MeResponse {
    #[serde(flatten)]
    person: UserResponse,
    #[serde(flatten)]
    session: SessionResponse,
}

impl MeResponse {
    pub fn new(session: SessionResponse, user: &User) -> Self {
        Self {
            person: user.into(),
            session,
        }
    }
}

/// `POST /auth/totp`: the enrollment URI, shown this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = TotpEnrollment)]
pub struct TotpEnrollmentResponse {
    /// `otpauth://totp/SimplePG:{email}?secret=…&issuer=SimplePG` (RFC 6238: SHA-1, 6 digits,
    /// 30 s).
    #[schema(
        example = "otpauth://totp/SimplePG:ops%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=SimplePG"
    )]
    pub otpauth_uri: String,
}

/// One row of the operator audit log (api.md §10.4).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OperatorAuditEntry)]
pub struct OperatorAuditResponse {
    audit_id: u64,
    #[schema(format = DateTime)]
    at: String,
    /// The user's email, `token` (the admin token), `cli` (the command line), or the email typed
    /// at a failed login.
    actor: String,
    /// The actor's role; `null` when nobody was authenticated (a failed login of an unknown
    /// email).
    #[schema(required = true, value_type = Option<RoleName>)]
    role: Option<&'static str>,
    /// e.g. `LOGIN`, `LOGIN_FAILED`, `LOCKED`, `LOGIN_LOCKED`, `LOGOUT`, `TOTP_ENROLLED`,
    /// `TOTP_ENABLED`, `USER_CREATED`, `USER_CHANGED`.
    #[schema(example = "LOGIN")]
    action: String,
    /// What it was done to (a user id), if anything.
    #[schema(required = true)]
    target: Option<String>,
    #[schema(value_type = AuditOutcomeName)]
    outcome: &'static str,
    /// The peer address of the request.
    #[schema(required = true)]
    ip: Option<String>,
    #[schema(required = true)]
    request_id: Option<String>,
}

impl From<&OperatorAuditEntry> for OperatorAuditResponse {
    fn from(e: &OperatorAuditEntry) -> Self {
        Self {
            audit_id: e.audit_id,
            at: ts(e.at),
            actor: e.actor.clone(),
            role: e.role.map(|r| r.as_str()),
            action: e.action.clone(),
            target: e.target.clone(),
            outcome: e.outcome.as_str(),
            ip: e.ip.clone(),
            request_id: e.request_id.as_ref().map(|r| r.as_str().to_owned()),
        }
    }
}
