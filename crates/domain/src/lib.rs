//! SimplePG's pure core.
//!
//! Everything a payment gateway *decides* lives here: the values that can exist (parse, don't
//! validate), the payment state machine, the merchant lifecycle, request authentication rules and
//! the use-case services that orchestrate the driven ports. Nothing here performs I/O: storage,
//! clocks, randomness and encryption are reached through the traits in [`ports`].
#![forbid(unsafe_code)]

pub mod destination;
pub mod error;
pub mod feed;
pub mod idempotency;
pub mod ids;
pub mod merchant;
pub mod money;
mod named_enum;
pub mod operator;
pub mod outbox;
pub mod payment;
pub mod people;
pub mod ports;
pub mod reconciliation;
pub mod secret;
mod service_struct;
pub mod services;
pub mod settlement;
pub mod signing;
pub mod stats;
pub mod store_ports;
pub mod timestamp;
pub mod validation;

pub use error::RepositoryError;
pub use timestamp::Timestamp;
