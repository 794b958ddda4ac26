//! Requests signed with the acquirer secret (Standard Webhooks, api.md §4) as an extractor:
//! the acquirer's webhook to us, and the server's own requests to its built-in mock acquirer.
//! Like [`super::signed::Signed`], the body is read first and the signature checked before the
//! handler starts.

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use domain::services::webhook_auth::{WebhookAuthError, WebhookVerifier};
use futures_util::future::LocalBoxFuture;

use super::guards::extract_then;
use crate::{
    problem::{ApiError, ErrorCode},
    state::AppState,
};

/// A request whose Standard Webhooks signature verified, with the body it was signed over. `E`
/// is the endpoint it was sent to, which says whose secret signs it.
pub struct AcquirerSigned<E> {
    pub body: web::Bytes,
    pub endpoint: E,
}

/// An endpoint that takes requests signed with the acquirer secret.
pub trait AcquirerEndpoint: Sized + 'static {
    /// The endpoint (a refusal, e.g. 404, where it is off) and the verifier of its requests.
    fn open(state: &AppState) -> Result<(Self, &WebhookVerifier), ApiError>;
}

/// `POST /api/webhook/payment`: the acquirer reports an outcome.
pub struct PaymentWebhook;

impl AcquirerEndpoint for PaymentWebhook {
    fn open(state: &AppState) -> Result<(Self, &WebhookVerifier), ApiError> {
        Ok((Self, &state.webhooks))
    }
}

impl<E: AcquirerEndpoint> FromRequest for AcquirerSigned<E> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        extract_then(req, payload, async |req, state, body: web::Bytes| {
            let (endpoint, verifier) = E::open(state)?;
            verify(req, &body, verifier)?;
            Ok(Self { body, endpoint })
        })
    }
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Standard Webhooks verification of a request to us.
pub(crate) fn verify(
    req: &HttpRequest,
    body: &[u8],
    verifier: &WebhookVerifier,
) -> Result<(), ApiError> {
    verifier
        .verify(
            header(req, "webhook-id"),
            header(req, "webhook-timestamp"),
            header(req, "webhook-signature"),
            body,
        )
        .map_err(|e| {
            let code = match e {
                WebhookAuthError::MissingHeader(_) => ErrorCode::MissingAuthHeaders,
                WebhookAuthError::TimestampOutOfWindow(_) => ErrorCode::TimestampOutOfWindow,
                WebhookAuthError::InvalidSignature => ErrorCode::InvalidSignature,
            };
            ApiError::new(code, e.to_string()).titled("Webhook signature rejected")
        })
}
