//! The test profile (`config/test.toml`): its fixed secrets, and the environment that selects it.

use std::collections::HashMap;

/// The admin bearer token of the test profile.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The acquirer's Standard Webhooks secret in the test profile.
pub const ACQUIRER_SECRET: &str = "whsec_dGVzdC1vbmx5LWFjcXVpcmVyLXNlY3JldC0wMTIz";

/// An amount whose last three digits are `002`: the mock acquirer (api.md §6) accepts it and
/// never answers, so a payment with it stays READY whatever the acquirer integration does.
pub const STAYS_READY: i64 = 15_002;

/// The environment of a server under test: the test profile on `db_url`, plus `extra`
/// (`SIMPLEPG__...` overrides; a later entry wins over an earlier one).
pub fn server_env(db_url: &str, extra: &[(&str, &str)]) -> HashMap<String, String> {
    [
        ("SIMPLEPG_PROFILE", "test"),
        ("SIMPLEPG__DATABASE__URL", db_url),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// [`ACQUIRER_SECRET`] as a key that signs acquirer webhooks.
///
/// # Panics
/// Never: the constant is a valid `whsec_` secret.
pub fn acquirer_key() -> domain::signing::WebhookKey {
    domain::signing::WebhookKey::parse(ACQUIRER_SECRET)
        .unwrap_or_else(|e| panic!("the test profile's acquirer secret: {e}"))
}
