//! SimplePG's HTTP edge (actix-web): the signed merchant API, the admin API and the probes.
//!
//! Handlers only translate: wire format in, a domain use case, wire format out. Every error
//! leaves as RFC 9457 problem+json (see [`problem`]), including actix's own extractor and
//! routing errors, and every response carries `X-Request-Id`.
#![forbid(unsafe_code)]

pub mod annotations;
mod body;
mod context;
mod dto;
mod encoder;
#[doc(hidden)]
pub mod hot_path;
mod idempotency;
pub mod mock;
pub mod openapi;
mod outbound;
pub mod problem;
pub mod rate_limit;
mod routes;
mod server;
pub mod state;
#[cfg(test)]
mod wire_snapshots;

pub use context::latency_ms;
pub use encoder::JsonPayloadEncoder;
pub use outbound::{HttpsSender, OutboundOptions, OutboundSetupError, SettlementFileClient};
pub use routes::{reconciliations::record_discrepancies, settlements::record_settlement};
pub use server::{MAX_BODY_BYTES, ServerOptions, serve};
pub use state::{AdminToken, AppState, People, ServerInfo};
