//! Black-box HTTP tests of SimplePG against its HTTP contract (api.md): each test starts the
//! real server on port 0 over its own fresh MariaDB database and speaks to it over HTTP only.
//! Needs the database server named by `TEST_DATABASE_ADMIN_URL` (default
//! `mysql://root@127.0.0.1:3306`); fails, never skips, when it is unreachable.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed setup step or assertion must fail the test loudly"
)]

mod acquirer;
mod admin_client;
mod admin_guard;
mod admin_payments;
mod auth;
mod cancels;
mod capture;
mod client_crate;
mod errors;
mod expiry;
mod helpers;
mod hostile_input;
mod inbound_webhook;
mod listing;
mod merchants;
mod metrics;
mod notifications;
mod openapi;
mod outbound_tls;
mod payments;
mod people;
mod probes;
mod python_check;
mod receiver;
mod reconciliation;
mod recovery;
mod settlement;
mod signature;
mod signing_headers;
mod standard_webhooks;
mod validation;
