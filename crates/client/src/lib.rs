//! A merchant backend's client for SimplePG.
//!
//! * [`Client`] calls the merchant API (create, get, list, complete, full or partial cancel,
//!   audit logs), signing every request with the client id and secret issued at registration
//!   (docs/signing.md), and returns typed payments or a typed [`Error`] carrying SimplePG's
//!   problem details.
//! * [`WebhookVerifier`] checks the notifications SimplePG posts to your `returnUrl`
//!   (Standard Webhooks, docs/webhooks.md) and returns the typed [`WebhookEvent`].
//! * [`AdminClient`] registers and manages merchants and cancels on a merchant's behalf
//!   (operators, tests, scripts).
//!
//! The signature schemes are the server's own (`domain::signing`, ADR 0006); HTTP is `reqwest`
//! with rustls, and everything here is `Send + Sync`.
//!
//! ```no_run
//! use simplepg_client::{
//!     Client, CreatePayment, ErrorCode, MethodCode, SecretString, WebhookSecret, WebhookVerifier,
//! };
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(
//!     "https://pay.example.com",
//!     "mch_01a20d74f7a573d8a04b6d71eaac68e5",
//!     SecretString::from(std::env::var("SIMPLEPG_CLIENT_SECRET")?),
//! )?;
//!
//! // Create with an idempotency key, so a retry after a timeout never pays twice.
//! let order = CreatePayment::new("ORDER-1001", 15_000, MethodCode::Card)
//!     .with_product_name("Coffee beans");
//! let payment = match client.create_payment_idempotent(&order, "order-1001-create").await {
//!     Ok(created) => created.value,
//!     Err(e) if e.code() == Some(&ErrorCode::DuplicateOrder) => {
//!         return Err("ORDER-1001 was already paid for".into());
//!     }
//!     Err(e) => return Err(e.into()),
//! };
//! println!("{} is {:?}", payment.payment_key, payment.status);
//!
//! // In the handler of your returnUrl: verify the raw body before trusting it.
//! let verifier = WebhookVerifier::new([WebhookSecret::parse(&std::env::var("SIMPLEPG_WEBHOOK_SECRET")?)?]);
//! # let (headers, raw_body): (Vec<(String, String)>, Vec<u8>) = (Vec::new(), Vec::new());
//! let event = verifier.verify(&headers, &raw_body)?;
//! if let Some(payment) = &event.payment {
//!     println!("{:?}: {} is now {:?}", event.kind, payment.payment_key, payment.status);
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod admin;
mod client;
mod error;
mod merchant;
mod payment;
mod response;
mod signer;
mod webhook;
mod wire;

pub use admin::AdminClient;
pub use client::{Client, DEFAULT_TIMEOUT};
pub use error::{Error, ErrorCode, FieldError, Problem};
pub use merchant::{
    Merchant, MerchantUpdate, NewMerchant, RegisteredMerchant, RotatedClientSecret,
    RotatedWebhookSecret, SettlementTerms,
};
pub use payment::{
    Actor, AuditLogEntry, Cancel, CancelOutcome, CancelPayment, CancelStatus, CreatePayment,
    ListPayments, MethodCode, Payment, PaymentPage, PaymentStatus,
};
pub use reqwest::{self, Method, StatusCode};
pub use response::{Idempotent, RawResponse};
pub use secrecy::{self, SecretString};
pub use signer::{RequestSigner, SignedHeaders, fresh_nonce, now_millis};
pub use webhook::{
    DEFAULT_TOLERANCE, EventType, VerifiedDelivery, WebhookError, WebhookEvent, WebhookHeaders,
    WebhookSecret, WebhookVerifier, verify_webhook,
};
