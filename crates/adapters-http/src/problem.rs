//! RFC 9457 problem details with SimplePG's stable `code` (api.md §1). The codes themselves,
//! with their statuses and titles, are [`ErrorCode`] (`problem/code.rs`), the one place that
//! names them; which domain error gets which code is decided in `routes/errors.rs` and next to
//! the few routes whose use cases only they call.

mod code;

use std::fmt;

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use domain::{
    RepositoryError,
    validation::{FieldViolation, Violations},
};
use serde::Serialize;
use utoipa::ToSchema;

pub use code::ErrorCode;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One API error: its problem body, plus what the response carries beside it (`Retry-After`,
/// `WWW-Authenticate`) and the cause a 5xx logs.
#[derive(Debug)]
pub struct ApiError {
    pub problem: Problem,
    pub retry_after_secs: Option<u32>,
    pub www_authenticate: bool,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Members beyond RFC 9457's and SimplePG's usual ones, for the few problems that have them.
#[derive(Clone, Debug, Default)]
pub struct Extensions {
    /// `canonicalStringSha256` of an `INVALID_SIGNATURE` outside production.
    pub canonical_string_sha256: Option<String>,
}

/// The problem body, without `instance`/`requestId`, which the request-context middleware adds.
/// Stored in the response's extensions so the middleware can render the final body.
#[derive(Clone, Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldViolation>,
    pub extensions: Option<Box<Extensions>>,
}

/// RFC 9457 problem details with SimplePG's stable `code` (api.md §1).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Problem)]
pub(crate) struct ProblemBody<'a> {
    /// Always `about:blank`: `code` carries the meaning.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    kind: &'static str,
    #[schema(example = "Duplicate order")]
    title: &'a str,
    /// The HTTP status.
    #[schema(minimum = 400, maximum = 599, example = 409)]
    status: u16,
    code: ErrorCode,
    #[schema(example = "orderNo ORDER-1 was already used by this merchant")]
    detail: &'a str,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "/api/payments")]
    instance: Option<&'a str>,
    /// The request's `X-Request-Id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    /// On validation failures only: one entry per offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldErrorBody<'a>>,
    /// On `INVALID_SIGNATURE` outside the production profile only: the lower-case hex SHA-256
    /// of the canonical string the server computed the signature over (never the secret nor the
    /// expected signature). Compare it with the SHA-256 of your own canonical string
    /// (signing.md); an unknown client id gets it too, exactly like a wrong secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        pattern = "^[0-9a-f]{64}$",
        example = "3f0c5d1e9b2a47c8e6f1d0a9b8c7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9"
    )]
    canonical_string_sha256: Option<&'a str>,
}

/// One offending field of a `VALIDATION_FAILED` problem.
#[derive(Serialize, ToSchema)]
#[schema(as = FieldError)]
struct FieldErrorBody<'a> {
    #[schema(example = "amount")]
    field: &'a str,
    #[schema(example = "must be at least 1")]
    message: &'a str,
}

impl Problem {
    /// A problem with `code`, its status and its title (api.md §1), and `detail`.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status: code.status(),
            code,
            title: code.title(),
            detail: detail.into(),
            errors: Vec::new(),
            extensions: None,
        }
    }

    /// The JSON body; `instance` is the request path and `request_id` the correlation id.
    pub fn to_json(&self, instance: Option<&str>, request_id: Option<&str>) -> String {
        let body = ProblemBody {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            code: self.code,
            detail: &self.detail,
            instance,
            request_id,
            errors: self
                .errors
                .iter()
                .map(|e| FieldErrorBody {
                    field: &e.field,
                    message: &e.message,
                })
                .collect(),
            canonical_string_sha256: self
                .extensions
                .as_ref()
                .and_then(|x| x.canonical_string_sha256.as_deref()),
        };
        serde_json::to_string(&body).unwrap_or_else(|_| String::from("{}"))
    }

    /// A problem for a response that some layer produced without one (actix routing or
    /// payload errors), from its status alone.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status.as_u16() {
            400 => (ErrorCode::BadRequest, "The request could not be read"),
            401 => (ErrorCode::Unauthorized, "Authentication is required"),
            404 => (ErrorCode::NotFound, "No resource at this path"),
            405 => (
                ErrorCode::MethodNotAllowed,
                "This method is not allowed on this resource",
            ),
            408 => (
                ErrorCode::RequestTimeout,
                "The request took too long to arrive",
            ),
            411 => (ErrorCode::LengthRequired, "Content-Length is required"),
            413 => (
                ErrorCode::PayloadTooLarge,
                "The request body is larger than 65536 bytes",
            ),
            415 => (
                ErrorCode::UnsupportedMediaType,
                "Content-Type must be application/json",
            ),
            431 => (
                ErrorCode::HeadersTooLarge,
                "The request headers are too large",
            ),
            503 => (
                ErrorCode::ServiceUnavailable,
                "The service is temporarily unavailable",
            ),
            s if s >= 500 => (ErrorCode::InternalError, "An unexpected error occurred"),
            _ => (ErrorCode::BadRequest, "The request was not accepted"),
        };
        Self {
            status,
            ..Self::new(code, detail)
        }
    }
}

impl ApiError {
    /// A problem with `code`, its status and its title (api.md §1), and `detail`.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            problem: Problem::new(code, detail),
            retry_after_secs: None,
            www_authenticate: false,
            source: None,
        }
    }

    /// The same problem under a more specific `title` than its code's.
    pub fn titled(mut self, title: &'static str) -> Self {
        self.problem.title = title;
        self
    }

    pub fn validation(violations: Violations) -> Self {
        let detail = violations.to_string();
        let mut e = Self::new(ErrorCode::ValidationFailed, detail);
        e.problem.errors = violations.iter().cloned().collect();
        e
    }

    /// `429 RATE_LIMITED` saying `detail`, with `Retry-After` of `wait` (at least a second).
    pub fn rate_limited(detail: &str, wait: std::time::Duration) -> Self {
        let mut e = Self::new(ErrorCode::RateLimited, detail);
        e.retry_after_secs = Some(u32::try_from(wait.as_secs().max(1)).unwrap_or(u32::MAX));
        e
    }

    pub fn field(field: &str, message: &str) -> Self {
        Self::validation(Violations::single(field, message))
    }

    pub fn malformed_json(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedJson, detail)
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/json",
        )
    }

    pub fn payment_not_found() -> Self {
        Self::new(ErrorCode::PaymentNotFound, "No payment with this key")
    }

    pub fn admin_unauthorized() -> Self {
        let mut e = Self::new(
            ErrorCode::AdminUnauthorized,
            "Send Authorization: Bearer <admin token>",
        );
        e.www_authenticate = true;
        e
    }

    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        let mut e = Self::new(
            ErrorCode::InternalError,
            "An unexpected error occurred; it has been logged",
        );
        e.source = Some(Box::new(source));
        e
    }

    pub fn unavailable(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        let mut e = Self::new(
            ErrorCode::ServiceUnavailable,
            "The database is unreachable; retry shortly",
        );
        e.retry_after_secs = Some(5);
        e.source = Some(Box::new(source));
        e
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Problem {
            status,
            code,
            detail,
            ..
        } = &self.problem;
        write!(f, "{} {code}: {detail}", status.as_u16())
    }
}

/// An error and its `source()` chain on one line, `outer: inner: innermost`; a level whose text
/// its parent already quotes (`#[error("…: {0}")]` with `#[source]`) is not repeated.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        next = cause.source();
    }
    line
}

impl From<RepositoryError> for ApiError {
    fn from(e: RepositoryError) -> Self {
        if e.is_unavailable() {
            Self::unavailable(e)
        } else {
            Self::internal(e)
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.problem.status
    }

    fn error_response(&self) -> HttpResponse {
        // The cause of a 5xx is logged here, once, inside the request span (so with the
        // request id). A 500 is a bug: ERROR. A 503 is the database going away, which `/ready`
        // and the pool metrics also show: WARN. 4xx are the client's business: not logged
        // beyond the access line.
        let Problem { status, code, .. } = self.problem;
        if let Some(source) = &self.source
            && status.is_server_error()
        {
            let chain = error_chain(source.as_ref());
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!(code = code.as_str(), error = %chain, cause = ?source, "request failed");
            } else {
                tracing::warn!(code = code.as_str(), status = status.as_u16(), error = %chain, "request failed");
            }
        }
        let problem = self.problem.clone();
        let mut res = HttpResponse::build(status);
        res.content_type(PROBLEM_JSON);
        if let Some(secs) = self.retry_after_secs {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.www_authenticate {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        let mut res = res.body(problem.to_json(None, None));
        res.extensions_mut().insert(problem);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("connection refused")]
    struct Refused;

    #[derive(Debug, thiserror::Error)]
    #[error("pool timed out")]
    struct PoolTimeout(#[source] Refused);

    #[test]
    fn an_error_chain_names_every_cause_once_from_the_outermost() {
        let wrapped = RepositoryError::new(PoolTimeout(Refused));
        assert_eq!(
            error_chain(&wrapped),
            "storage backend failed: pool timed out: connection refused"
        );
    }
}
