//! What handlers share: the domain services and the edge's own settings.

use std::sync::Arc;

use domain::{
    idempotency::IdempotencyService,
    operator::{
        deliveries::DeliveryService, live::LiveFeed, simulator::AcquirerSimulator,
        stats::StatsService,
    },
    ports::StoreHealth,
    services::people::{LoginService, UserService},
    services::{
        auth::Authenticator, merchants::MerchantService, payments::PaymentService,
        webhook_auth::WebhookVerifier,
    },
};

use crate::{mock::MockAcquirer, rate_limit::RateLimiter};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The operator token. Only its SHA-256 is kept; comparison is constant-time.
#[derive(Clone)]
pub struct AdminToken([u8; 32]);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken([REDACTED])")
    }
}

impl AdminToken {
    pub fn new(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    pub fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(self.0.ct_eq(&digest))
    }
}

/// Facts the probes report.
#[derive(Clone, Debug)]
pub struct ServerInfo {
    pub version: &'static str,
    pub profile: String,
    pub store: &'static str,
}

/// Renders the Prometheus exposition text (the recorder lives in the composition root).
pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub payments: PaymentService,
    pub merchants: MerchantService,
    pub auth: Authenticator,
    pub deliveries: DeliveryService,
    /// Settlement batches and runs (api.md §12).
    pub settlements: domain::services::settlement::SettlementService,
    /// Reconciliations against the acquirer's settlement file (api.md §12.3).
    pub reconciliations: domain::services::reconciliation::ReconciliationService,
    pub idempotency: IdempotencyService,
    pub rate_limiter: Arc<RateLimiter>,
    /// Verifies acquirer webhooks (the acquirer secret).
    pub webhooks: WebhookVerifier,
    /// The built-in mock acquirer, when enabled.
    pub mock: Option<Arc<MockAcquirer>>,
    /// How long a rotated webhook secret keeps signing deliveries.
    pub webhook_secret_grace: std::time::Duration,
    pub health: Arc<dyn StoreHealth>,
    pub metrics: Option<MetricsRender>,
    /// The admin token of `/admin/api`; `None` when `auth.admin_token_enabled` is off.
    pub admin_token: Option<AdminToken>,
    /// People: logins, sessions, users and the operator audit log (api.md §10).
    pub people: People,
    pub info: ServerInfo,
    /// `GET /admin/api/stats`.
    pub stats: StatsService,
    /// `GET /admin/api/events`: the database tailed for audit rows and delivery attempts.
    pub live: LiveFeed,
    /// The acquirer simulator of the admin API; `None` (404) where the mock acquirer is off
    /// (production), so nobody can forge acquirer outcomes there.
    pub simulator: Option<AcquirerSimulator>,
}

/// The people room's services and how the session cookie is set.
#[derive(Clone)]
pub struct People {
    pub login: LoginService,
    pub users: UserService,
    /// `Secure` on the session cookie (off only where the public URL is plain http).
    pub cookie_secure: bool,
    /// Login attempts per client address (`auth.login_attempts_per_ip_per_minute`).
    pub login_limiter: Arc<crate::rate_limit::RateLimiter>,
}
