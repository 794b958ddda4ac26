//! Wiring: settings → adapters → domain services → HTTP server and background workers.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::dev::{Server, ServerHandle};
use adapters_crypto::{AesGcmCipher, EncryptionKey, RandomKeyGenerator};
use adapters_http::{AdminToken, AppState, ServerInfo, ServerOptions};
use adapters_mysql::{MysqlMerchantStore, MysqlNonceStore, MysqlPaymentStore, MysqlStoreHealth, Pool};
use anyhow::Context;
use domain::{
    ports::{Clock, KeyGenerator, NonceStore, SecretCipher},
    services::{
        auth::Authenticator,
        merchants::MerchantService,
        payments::{PaymentPolicy, PaymentService},
    },
};
use secrecy::ExposeSecret;

use crate::{clock::SystemClock, settings::Settings};

/// Version of the key that seals merchant secrets (bumped by a key rotation).
const ENCRYPTION_KEY_VERSION: u32 = 1;

/// How often expired nonces are purged.
const NONCE_PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Creates the database if needed and applies pending migrations.
pub async fn migrate(settings: &Settings) -> anyhow::Result<usize> {
    let url = settings.database.url.expose_secret();
    adapters_mysql::create_database_if_missing(url).await.context("creating the database")?;
    adapters_mysql::run_migrations(url).await.context("applying migrations")
}

/// A built server: bound, wired, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    pool: Pool,
    public_url: String,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| format!("binding {}:{}", settings.server.host, settings.server.port))?;
        Self::build_with_listener(settings, listener).await
    }

    /// Like [`Application::build`] on an already bound listener (tests bind port 0 first).
    pub async fn build_with_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let public_url = settings.public_url(port);
        if settings.database.migrate_on_start {
            let applied = migrate(&settings).await?;
            tracing::info!(applied, "database migrations applied");
        }
        let pool = adapters_mysql::build_pool(
            settings.database.url.expose_secret(),
            settings.database.max_connections,
            Duration::from_millis(settings.database.connect_timeout_ms),
        )
        .context("building the database pool")?;

        let key = EncryptionKey::parse(settings.security.encryption_key.expose_secret())
            .context("security.encryption_key")?;
        let cipher: Arc<dyn SecretCipher> = Arc::new(AesGcmCipher::new(ENCRYPTION_KEY_VERSION, &key));
        let keys: Arc<dyn KeyGenerator> = Arc::new(RandomKeyGenerator::new());
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let merchant_store = Arc::new(MysqlMerchantStore::new(pool.clone()));
        let nonces: Arc<dyn NonceStore> = Arc::new(MysqlNonceStore::new(pool.clone()));

        let state = AppState {
            payments: PaymentService::new(
                Arc::new(MysqlPaymentStore::new(pool.clone())),
                keys.clone(),
                clock.clone(),
                PaymentPolicy { ready_ttl: settings.ready_ttl() },
            ),
            merchants: MerchantService::new(merchant_store.clone(), keys.clone(), cipher.clone(), clock.clone()),
            auth: Authenticator::new(merchant_store, nonces.clone(), cipher, clock.clone(), settings.signature_window()),
            health: Arc::new(MysqlStoreHealth::new(pool.clone())),
            admin_token: AdminToken::new(settings.admin.token.expose_secret()),
            info: ServerInfo { version: env!("CARGO_PKG_VERSION"), profile: settings.profile.clone(), store: "mysql" },
        };
        let options = ServerOptions {
            workers: settings.server.workers,
            shutdown_timeout: Duration::from_secs(settings.server.shutdown_timeout_secs),
        };
        let server = adapters_http::serve(listener, state, &options)?;
        actix_web::rt::spawn(purge_nonces(nonces, clock));
        Ok(Self { port, server, pool, public_url })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn purge_nonces(nonces: Arc<dyn NonceStore>, clock: Arc<dyn Clock>) {
    let mut tick = tokio::time::interval(NONCE_PURGE_INTERVAL);
    loop {
        tick.tick().await;
        match nonces.purge_expired(clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, "expired nonces purged"),
            Err(e) => tracing::warn!(error = %e, "purging expired nonces failed"),
        }
    }
}
