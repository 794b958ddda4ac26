//! SimplePG's hot request paths run in-process with no I/O, so that `valgrind --tool=callgrind`
//! can count the CPU instructions of one request (`scripts/instructions`, docs/benchmarks.md
//! "Instruction counts (regression guard)").
//!
//! Every op calls the server's own code — the route's parsing and answer through
//! `adapters_http::hot_path`, the domain's services, the real AES-GCM key ring, key generator,
//! JSON encoder and Argon2id hasher — over the minimal in-memory ports of [`memory`] where the
//! server would reach the database or the network. The clock is fixed, so every run of an op
//! does the same work.
//!
//! - [`Op::Create`]: `POST /api/payments` — the merchant signature check (`Authenticator`:
//!   merchant lookup, the client secret opened with AES-256-GCM, canonical string, HMAC-SHA256),
//!   the body parsed as the route parses it, `PaymentService::create` (the READY payment, its
//!   CREATE audit row, its acquirer request encoded as JSON), and the 201 answer encoded.
//! - [`Op::Webhook`]: `POST /api/webhook/payment` with an approval — the Standard Webhooks
//!   check, the body parsed, `PaymentService::apply_acquirer_report` (`Payment::apply`, the
//!   merchant notification encoded) and the 200 answer encoded.
//! - [`Op::Sign`]: one merchant notification delivered by `Dispatcher::deliver` to a receiver
//!   that answers 204 at once — the merchant's webhook secret opened, the Standard Webhooks
//!   headers signed, the attempt recorded.
//! - [`Op::Login`]: one Argon2id verification at the configured cost (`Argon2Params::OWASP`, the
//!   `auth.argon2_*` of config/default.toml).

pub mod memory;
mod ops;
mod world;

use std::{
    pin::pin,
    task::{Context, Poll, Waker},
};

pub use ops::{
    CreateOp, Created, Delivered, LoginOp, Op, Prepared, SignOp, WebhookAnswered, WebhookOp,
};
pub use world::{ACQUIRER_RETURN_URL, MERCHANT_RETURN_URL, T0_MILLIS, World};

/// Runs `future` to completion on this thread. The in-memory ports never wait, so the first poll
/// finishes it; a future that does wait is an error (some port reached for real I/O).
pub fn block_on<F: Future>(future: F) -> Result<F::Output, String> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => Ok(out),
        Poll::Pending => Err("a hot path waited: some port reached for real I/O".to_owned()),
    }
}
