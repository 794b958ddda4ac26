//! Wiring: settings → adapters → domain services → HTTP server and background workers.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::dev::{Server, ServerHandle};
use adapters_crypto::{EncryptionKey, KeyRing, RandomKeyGenerator, VersionedKey};
use adapters_http::{
    AdminToken, AppState, HttpsSender, JsonPayloadEncoder, OutboundOptions, People, ServerInfo,
    ServerOptions, mock::MockAcquirer, rate_limit::RateLimiter,
};
use anyhow::Context;
use domain::{
    destination::ReturnUrlPolicy,
    idempotency::{IdempotencyPolicy, IdempotencyService},
    operator::{
        deliveries::DeliveryService,
        key_rotation::KeyRotationService,
        live::LiveFeed,
        simulator::{AcquirerSimulator, SimulatorTargets},
        stats::StatsService,
    },
    outbox::RetryPolicy,
    ports::{Clock, DispatchSignal, KeyGenerator, OutboundSender, PayloadEncoder, SecretCipher},
    services::{
        auth::Authenticator,
        dispatcher::{DispatchPolicies, Dispatcher},
        merchants::MerchantService,
        outbound::{AcquirerEndpoint, Outbound},
        payments::{PaymentPolicy, PaymentService},
        webhook_auth::WebhookVerifier,
    },
    signing::WebhookKey,
};
use secrecy::ExposeSecret;
use tokio::sync::Notify;

use crate::{
    clock::SystemClock,
    key_check::KeyCheckedHealth,
    people,
    settings::Settings,
    store::{self, StoreKind, Stores},
    telemetry_metrics,
    workers::{self, NotifySignal},
};

/// How often expired nonces and idempotency records are purged.
const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Tolerance of `webhook-timestamp` on incoming webhooks (api.md §4).
const WEBHOOK_TOLERANCE: Duration = Duration::from_secs(300);

/// Outbox messages claimed per round.
const DISPATCH_BATCH: u32 = 64;

/// Creates the database if needed and applies pending migrations.
pub async fn migrate(settings: &Settings) -> anyhow::Result<usize> {
    store::migrate(settings.database.url.expose_secret()).await
}

/// Every storage port on the configured database (by the scheme of `database.url`).
pub fn open_stores(settings: &Settings) -> anyhow::Result<Stores> {
    store::open(
        settings.database.url.expose_secret(),
        settings.database.max_connections,
        Duration::from_millis(settings.database.connect_timeout_ms),
    )
}

/// The cipher of merchant secrets: the current key (`security.encryption_key`, stamped
/// `security.encryption_key_version`) plus the retired keys that still open older secrets.
pub fn secret_cipher(settings: &Settings) -> anyhow::Result<KeyRing> {
    let current = VersionedKey {
        version: settings.security.encryption_key_version,
        key: EncryptionKey::parse(settings.security.encryption_key.expose_secret())
            .context("security.encryption_key")?,
    };
    let retired = settings
        .security
        .retired_encryption_keys
        .iter()
        .map(|raw| VersionedKey::parse(raw.expose_secret()))
        .collect::<Result<Vec<_>, _>>()
        .context("security.retired_encryption_keys")?;
    KeyRing::new(current, retired).context("security.retired_encryption_keys")
}

/// Everything the configuration must yield before the database is touched: a setting that does
/// not parse stops the start-up here, before any migration runs or any pool is built.
pub struct Prepared {
    pub cipher: KeyRing,
    pub acquirer_key: WebhookKey,
    pub sender: HttpsSender,
    pub return_urls: ReturnUrlPolicy,
}

impl Prepared {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let cipher = secret_cipher(settings)?;
        let acquirer_key = WebhookKey::parse(settings.acquirer.webhook_secret.expose_secret())
            .map_err(|e| anyhow::anyhow!("acquirer.webhook_secret {e}"))?;
        let sender = outbound_sender(settings)?;
        let return_urls = settings.return_url_policy()?;
        Ok(Self {
            cipher,
            acquirer_key,
            sender,
            return_urls,
        })
    }
}

/// The outbound HTTP(S) clients: system + webpki roots, `outbound.extra_ca_file`, and the
/// destination policy of merchant URLs.
pub fn outbound_sender(settings: &Settings) -> anyhow::Result<HttpsSender> {
    let path = settings.outbound.extra_ca_file.trim();
    let extra_ca_pem = if path.is_empty() {
        None
    } else {
        Some(
            std::fs::read(path)
                .with_context(|| format!("outbound.extra_ca_file: reading {path}"))?,
        )
    };
    HttpsSender::new(&OutboundOptions {
        extra_ca_pem,
        merchant_destinations: settings.destination_policy()?,
    })
    .with_context(|| format!("outbound.extra_ca_file {path}"))
}

/// A built server: bound, wired, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    stores: Stores,
    public_url: String,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!("binding {}:{}", settings.server.host, settings.server.port)
            })?;
        Self::build_with_listener(settings, listener).await
    }

    /// Like [`Application::build`] on an already bound listener (tests bind port 0 first).
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let public_url = settings.public_url(port);
        let prepared = Prepared::from_settings(&settings)?;
        if settings.database.migrate_on_start {
            let applied = migrate(&settings).await?;
            tracing::info!(applied, "database migrations applied");
        } else {
            store::require_existing(settings.database.url.expose_secret())?;
        }
        let stores = open_stores(&settings)?;
        if !settings.database.migrate_on_start {
            ensure_migrated(&stores).await;
        }
        let cipher: Arc<dyn SecretCipher> = Arc::new(prepared.cipher);
        let health = Arc::new(KeyCheckedHealth::new(
            stores.ports.health.clone(),
            KeyRotationService::new(stores.ports.merchants.clone(), cipher.clone()),
        ));
        health.verify_at_start().await?;
        match stores.kind {
            StoreKind::Mysql => tracing::info!(store = "mysql", "storage: MySQL/MariaDB"),
            StoreKind::Sqlite => tracing::warn!(
                store = "sqlite",
                "storage: embedded SQLite file {} - for a single instance only (a local sandbox); use mysql:// for production or several instances",
                adapters_sqlite::file_path(settings.database.url.expose_secret())
            ),
        }

        let acquirer_key = prepared.acquirer_key;
        let keys: Arc<dyn KeyGenerator> = Arc::new(RandomKeyGenerator::new());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let merchant_store = stores.ports.merchants.clone();
        let nonces = stores.ports.nonces.clone();
        let outbox = stores.ports.outbox.clone();
        let settlement_files: Arc<dyn domain::ports::AcquirerFiles> =
            Arc::new(prepared.sender.settlement_files(
                settings.acquirer_settlement_file_url(&public_url),
                acquirer_key.clone(),
                Duration::from_millis(settings.acquirer.settlement_file_timeout_ms),
                keys.clone(),
                clock.clone(),
            ));
        let sender: Arc<dyn OutboundSender> = Arc::new(prepared.sender);
        let wake = Arc::new(Notify::new());
        let signal: Arc<dyn DispatchSignal> = Arc::new(NotifySignal(wake.clone()));

        let acquirer = Arc::new(AcquirerEndpoint {
            request_url: settings.acquirer_request_url(&public_url),
            return_url: settings.acquirer_return_url(&public_url),
            key: acquirer_key.clone(),
            timeout: Duration::from_millis(settings.acquirer.timeout_ms),
            cancel_timeout: Duration::from_millis(settings.acquirer.cancel_timeout_ms),
        });
        let encoder: Arc<dyn PayloadEncoder> = Arc::new(JsonPayloadEncoder);
        let payment_store = stores.ports.payments.clone();
        let outbound = Outbound::new(
            encoder.clone(),
            keys.clone(),
            merchant_store.clone(),
            sender.clone(),
            signal.clone(),
            acquirer.clone(),
        );
        let payments = PaymentService::new(
            payment_store.clone(),
            keys.clone(),
            clock.clone(),
            outbound,
            PaymentPolicy {
                ready_ttl: settings.ready_ttl(),
                authorization_ttl: Duration::from_secs(settings.payment.authorization_ttl_secs),
            },
        );
        let dispatcher = Dispatcher::new(
            outbox.clone(),
            sender.clone(),
            merchant_store.clone(),
            cipher.clone(),
            clock.clone(),
            payments.clone(),
            acquirer.clone(),
            dispatch_policies(&settings),
        );
        let idempotency = IdempotencyService::new(
            stores.ports.idempotency.clone(),
            clock.clone(),
            IdempotencyPolicy {
                ttl: Duration::from_secs(settings.idempotency.ttl_secs),
                lease: Duration::from_secs(settings.idempotency.lease_secs),
            },
        );
        let webhooks =
            WebhookVerifier::new(vec![acquirer_key.clone()], WEBHOOK_TOLERANCE, clock.clone());
        let calendar: Arc<dyn domain::settlement::Calendar> = Arc::new(
            crate::calendar::ZoneCalendar::named(&settings.settlement.timezone)?,
        );
        let mock = settings.mock_acquirer.enabled.then(|| {
            Arc::new(MockAcquirer::new(
                outbox.clone(),
                payment_store.clone(),
                keys.clone(),
                clock.clone(),
                signal.clone(),
                webhooks.clone(),
                Duration::from_millis(settings.mock_acquirer.delay_ms),
                Duration::from_millis(settings.mock_acquirer.slow_delay_ms),
                Duration::from_millis(settings.mock_acquirer.slow_cancel_ms),
                adapters_http::mock::MockBooks {
                    ledger: stores.ports.acquirer_ledger.clone(),
                    calendar: calendar.clone(),
                },
            ))
        });

        // The acquirer simulator of the admin API exists only where the mock acquirer does
        // (never in production): it signs webhooks with the acquirer secret.
        let simulator = settings.mock_acquirer.enabled.then(|| {
            AcquirerSimulator::new(
                payments.clone(),
                encoder.clone(),
                sender.clone(),
                keys.clone(),
                clock.clone(),
                stores.people.audit.clone(),
                SimulatorTargets {
                    webhook_url: format!("{public_url}/api/webhook/payment"),
                    mock_request_url: format!("{public_url}/mock/request"),
                    key: acquirer_key.clone(),
                    timeout: Duration::from_millis(settings.acquirer.timeout_ms),
                },
            )
        });
        let live = LiveFeed::new(stores.ports.reads.clone(), clock.clone());
        let people = people::services(&settings, &stores, cipher.clone(), clock.clone())?;
        let session_policy = people::account_policy(&settings).session;

        let state = AppState {
            payments: payments.clone(),
            merchants: MerchantService::new(
                merchant_store.clone(),
                keys.clone(),
                cipher.clone(),
                clock.clone(),
                prepared.return_urls,
                settings.settlement_terms()?,
            ),
            settlements: domain::services::settlement::SettlementService::new(
                stores.ports.settlements.clone(),
                stores.ports.merchants.clone(),
                keys.clone(),
                clock.clone(),
                calendar.clone(),
            ),
            reconciliations: domain::services::reconciliation::ReconciliationService::new(
                stores.ports.reconciliations.clone(),
                settlement_files,
                keys.clone(),
                clock.clone(),
                calendar.clone(),
            ),
            auth: Authenticator::new(
                merchant_store,
                nonces.clone(),
                cipher,
                clock.clone(),
                settings.signature_window(),
            )
            .with_mismatch_hints(!settings.is_production()),
            deliveries: DeliveryService::new(
                outbox.clone(),
                stores.ports.reads.clone(),
                clock.clone(),
                signal,
                stores.ports.merchants.clone(),
                encoder.clone(),
                keys.clone(),
            ),
            stats: StatsService::new(stores.ports.reads.clone()),
            live,
            simulator,
            idempotency: idempotency.clone(),
            rate_limiter: Arc::new(RateLimiter::new(
                settings.rate_limit.per_second,
                settings.rate_limit.burst,
            )),
            webhooks,
            mock,
            webhook_secret_grace: Duration::from_secs(
                settings.notifications.webhook_secret_grace_secs,
            ),
            health,
            metrics: telemetry_metrics::render(),
            admin_token: settings
                .auth
                .admin_token_enabled
                .then(|| AdminToken::new(settings.admin.token.expose_secret())),
            people: People {
                login: people.login,
                users: people.users,
                cookie_secure: settings.cookie_secure(&public_url),
                login_limiter: Arc::new(RateLimiter::per_minute(
                    settings.auth.login_attempts_per_ip_per_minute,
                )),
            },
            info: ServerInfo {
                version: env!("CARGO_PKG_VERSION"),
                profile: settings.profile.clone(),
                store: stores.kind.name(),
            },
        };
        telemetry_metrics::build_info(&state.info);
        let options = ServerOptions {
            workers: settings.server.workers,
            shutdown_timeout: Duration::from_secs(settings.server.shutdown_timeout_secs),
        };
        let settlements = state.settlements.clone();
        let server = adapters_http::serve(listener, state, &options)?;
        if settings.settlement.daily_run {
            actix_web::rt::spawn(workers::run_daily_settlement(
                settlements,
                format!("{}:{port}:{}", std::process::id(), uuid_like(&keys)),
                settings.settlement.lookback_days,
                Duration::from_secs(settings.settlement.run_grace_secs),
                Duration::from_secs(settings.settlement.claim_lease_secs),
                Duration::from_secs(settings.settlement.run_interval_secs),
            ));
        }
        actix_web::rt::spawn(telemetry_metrics::run_gauges(
            stores.ports.reads.clone(),
            stores.ports.reconciliations.clone(),
            stores.pool_status.clone(),
            clock.clone(),
            Duration::from_secs(5),
        ));
        if settings.dispatcher.enabled {
            actix_web::rt::spawn(workers::run_dispatcher(
                dispatcher,
                wake,
                Duration::from_millis(settings.dispatcher.poll_interval_ms),
                settings.dispatcher.max_in_flight,
            ));
            actix_web::rt::spawn(workers::run_expiry_sweeper(
                payments,
                Duration::from_millis(settings.payment.expiry_sweep_ms),
            ));
            actix_web::rt::spawn(workers::run_session_purge(
                stores.people.sessions.clone(),
                clock.clone(),
                session_policy.absolute,
                PURGE_INTERVAL,
            ));
            actix_web::rt::spawn(workers::run_purges(
                nonces,
                idempotency,
                clock,
                PURGE_INTERVAL,
            ));
        } else {
            tracing::warn!(
                "dispatcher.enabled = false: this instance sends no outbox messages and runs no sweepers"
            );
        }
        Ok(Self {
            port,
            server,
            stores,
            public_url,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The storage ports this server runs on.
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// With `database.migrate_on_start = false`, a schema behind this binary is reported at once
/// with the command that fixes it; the server still starts, and `/ready` stays 503 until the
/// schema is migrated (so a rolling upgrade that starts instances before the release step
/// waits instead of crash-looping).
async fn ensure_migrated(stores: &Stores) {
    match stores.ports.health.check().await {
        Ok(()) => {}
        Err(e) if e.is_unavailable() => {
            tracing::warn!(error = %e, "the database is unreachable at start-up; /ready stays 503 until it is reachable");
        }
        Err(e) => tracing::error!(
            error = %e,
            "the database schema is behind this binary: run `simplepg migrate` (with the same configuration); database.migrate_on_start is false, so /ready stays 503 until then"
        ),
    }
}

fn dispatch_policies(settings: &Settings) -> DispatchPolicies {
    let notification_timeout = Duration::from_millis(settings.notifications.timeout_ms);
    let acquirer_timeout = Duration::from_millis(settings.acquirer.timeout_ms);
    let schedule: Vec<Duration> = settings
        .notifications
        .retry_schedule_secs
        .iter()
        .map(|s| Duration::from_secs(*s))
        .collect();
    DispatchPolicies {
        acquirer: RetryPolicy::exponential(
            settings.acquirer.max_attempts,
            Duration::from_millis(settings.acquirer.retry_base_ms),
            Duration::from_millis(settings.acquirer.retry_max_ms),
        ),
        notifications: RetryPolicy::from_attempt_delays(&schedule).retrying_all_failures(),
        notification_timeout,
        mock_webhooks: RetryPolicy::exponential(
            6,
            Duration::from_millis(500),
            Duration::from_secs(10),
        ),
        // Longer than any single attempt can take, so a live dispatcher never loses its lease.
        lease: notification_timeout.max(acquirer_timeout)
            + Duration::from_millis(settings.dispatcher.lease_margin_ms),
        batch: DISPATCH_BATCH,
    }
}

/// A random token naming this instance as the holder of a settlement-run claim.
fn uuid_like(keys: &Arc<dyn KeyGenerator>) -> String {
    keys.event_id().to_string()
}
