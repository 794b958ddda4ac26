//! What the black-box suites (`tests/api`, `tests/console`), the resilience tests of
//! `app-server` and the load generator (`bench`) share, instead of each re-declaring it:
//!
//! - [`profile`]: the constants of `config/test.toml` (admin token, acquirer secret) and the
//!   environment that starts a server on the test profile;
//! - [`net`]: free loopback ports;
//! - [`http`]: a client that sends admin, signed merchant and signed acquirer-webhook requests
//!   (merchant signing is the client crate's [`simplepg_client::RequestSigner`]), registers
//!   merchants and reads whole replies;
//! - [`payments`]: a merchant's calls on one payment (read, complete, cancel) and the cancels
//!   it shows;
//! - [`wait`]: polling until something the server does in the background is seen;
//! - [`settlement_day`]: a past settlement day of many payments as SQL, with the batches it
//!   must settle into (the settlement benchmark and the crash test of a settlement run);
//! - [`settlement_db`] (feature `database`): such a day seeded on a connection, and its batches
//!   read back with what their lines add up to;
//! - [`server`] (feature `server`): a real server started in-process on its own thread.

pub mod http;
pub mod merchant;
pub mod net;
pub mod payments;
pub mod profile;
#[cfg(feature = "server")]
pub mod server;
pub mod settlement_day;
#[cfg(feature = "database")]
pub mod settlement_db;
pub mod wait;

pub use awc::http::Method;
pub use http::{Api, Error, Reply, order_body};
pub use merchant::Merchant;
pub use net::free_port;
pub use payments::{cancels, settled_payment, taken_and_refused};
pub use profile::{ACQUIRER_SECRET, ADMIN_TOKEN, STAYS_READY, acquirer_key, server_env};
#[cfg(feature = "server")]
pub use server::{InProcessServer, Instance, StartError};
pub use wait::{WAIT, eventually};
