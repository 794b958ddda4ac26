//! Typed configuration: embedded defaults, the profile file, legacy variables, then
//! `SIMPLEPG__SECTION__KEY` environment variables (architecture.md §6).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, bail};
use config::{Config, Environment, File, FileFormat};
use domain::destination::{Cidr, DestinationPolicy, ReturnUrlPolicy};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const EMBEDDED_DEFAULT: &str = include_str!("../../../../config/default.toml");
const EMBEDDED_PROFILES: &[(&str, &str)] = &[
    ("local", include_str!("../../../../config/local.toml")),
    (
        "production",
        include_str!("../../../../config/production.toml"),
    ),
    ("test", include_str!("../../../../config/test.toml")),
];

/// Publicly known development values (config/local.toml, config/test.toml); using one is
/// refused in production and warned about elsewhere.
const DEVELOPMENT_VALUES: &[&str] = &[
    "ZGV2ZWxvcG1lbnQtb25seS1rZXktZG8tbm90LXVzZSE=",
    "dGVzdC1vbmx5LWtleS0wMTIzNDU2Nzg5YWJjZGVmISE=",
    "dev-admin-token",
    "test-admin-token",
    "whsec_ZGV2ZWxvcG1lbnQtb25seS1hY3F1aXJlci1zZWNyZXQ=",
    "whsec_dGVzdC1vbmx5LWFjcXVpcmVyLXNlY3JldC0wMTIz",
];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub profile: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub security: SecuritySettings,
    pub rate_limit: RateLimitSettings,
    pub idempotency: IdempotencySettings,
    pub admin: AdminSettings,
    pub auth: AuthSettings,
    pub acquirer: AcquirerSettings,
    pub mock_acquirer: MockAcquirerSettings,
    pub payment: PaymentSettings,
    pub dispatcher: DispatcherSettings,
    pub notifications: NotificationSettings,
    pub outbound: OutboundSettings,
    pub settlement: SettlementSettings,
    pub log: LogSettings,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundSettings {
    /// A PEM bundle trusted in addition to the system roots (empty: none).
    pub extra_ca_file: String,
    /// Non-public networks merchant URLs may reach anyway (CIDR notation).
    pub allowed_private_cidrs: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: usize,
    pub connect_timeout_ms: u64,
    pub migrate_on_start: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub encryption_key: SecretString,
    /// The version stamped on secrets sealed with `encryption_key`.
    pub encryption_key_version: u32,
    /// Earlier keys, `version:key`, that still open secrets sealed before a rotation.
    pub retired_encryption_keys: Vec<SecretString>,
    pub signature_window_secs: u64,
    /// Accept `http://` merchant `returnUrl`s (local and test profiles); otherwise https only.
    pub allow_plain_http_webhooks: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub per_second: u32,
    pub burst: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencySettings {
    pub ttl_secs: u64,
    pub lease_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    pub token: SecretString,
}

/// People's logins and sessions (api.md §10.2).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Login attempts a minute from one client address (0 = no limit); the lockout bounds the
    /// guesses per account, this the Argon2 work one address can cause.
    #[serde(default = "default_login_attempts_per_ip_per_minute")]
    pub login_attempts_per_ip_per_minute: u32,
    /// A session unused for this long ends.
    pub session_idle_secs: u64,
    /// A session ends this long after the login, used or not.
    pub session_absolute_secs: u64,
    /// Consecutive failed logins that lock an account…
    pub max_failed_logins: u32,
    /// …for this long.
    pub lock_secs: u64,
    /// `Secure` on the session cookie; absent: on unless the public URL is plain `http://`.
    #[serde(default)]
    pub cookie_secure: Option<bool>,
    /// Accept `Authorization: Bearer <admin.token>` on `/admin/api` (automation).
    pub admin_token_enabled: bool,
    /// Platform roles must confirm a second factor (TOTP) before their session may use
    /// `/admin/api` (api.md §10.2).
    #[serde(default)]
    pub require_totp_for_platform_roles: bool,
    /// Argon2id memory in KiB (`m`).
    pub argon2_memory_kib: u32,
    /// Argon2id passes (`t`).
    pub argon2_iterations: u32,
    /// Argon2id lanes (`p`).
    pub argon2_parallelism: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcquirerSettings {
    pub request_url: String,
    /// Where the acquirer publishes its settlement files (api.md §12.3); empty = derived from
    /// `request_url` (`…/request` → `…/settlement-file`), the built-in mock's when that is empty.
    #[serde(default)]
    pub settlement_file_url: String,
    /// How long fetching a settlement file may take.
    #[serde(default = "default_settlement_file_timeout_ms")]
    pub settlement_file_timeout_ms: u64,
    pub return_url: String,
    pub webhook_secret: SecretString,
    pub timeout_ms: u64,
    /// How long a merchant's cancel waits for the acquirer before answering 202 (api.md §9.2).
    pub cancel_timeout_ms: u64,
    pub max_attempts: u32,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
}

fn default_login_attempts_per_ip_per_minute() -> u32 {
    120
}

fn default_settlement_file_timeout_ms() -> u64 {
    60_000
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockAcquirerSettings {
    pub enabled: bool,
    pub delay_ms: u64,
    pub slow_delay_ms: u64,
    /// How long a cancel of a payment whose amount ends in 009 takes to answer.
    pub slow_cancel_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    pub ready_ttl_secs: u64,
    /// How long an APPROVED payment's authorization holds unless completed (api.md §9.4).
    pub authorization_ttl_secs: u64,
    pub expiry_sweep_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatcherSettings {
    pub enabled: bool,
    pub poll_interval_ms: u64,
    pub max_in_flight: usize,
    pub lease_margin_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    pub timeout_ms: u64,
    pub retry_schedule_secs: Vec<u64>,
    pub webhook_secret_grace_secs: u64,
}

/// Fees, settlement days and the daily run (api.md §12).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementSettings {
    /// The IANA time zone whose calendar days are settlement days.
    pub timezone: String,
    /// Fee rate (basis points) of a merchant registered without one.
    pub default_fee_rate_bps: i64,
    /// Days from settlement date to payout of a merchant registered without them.
    pub default_delay_days: i64,
    /// Whether this instance takes part in the daily run (any instance may; a database claim
    /// makes one run each day).
    pub daily_run: bool,
    /// How often the daily run looks for days to settle.
    pub run_interval_secs: u64,
    /// How long after a day ends it is settled (late commits of that day's movements).
    pub run_grace_secs: u64,
    /// How many past days the daily run catches up on.
    pub lookback_days: u8,
    /// How long one instance's claim on a day's run lasts before another may take it over.
    pub claim_lease_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Settings {
    /// Loads the profile named by `SIMPLEPG_PROFILE` (default `local`) from the process
    /// environment.
    pub fn load() -> anyhow::Result<Self> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::load_from(&env)
    }

    /// Loads settings from an explicit environment map (tests use this instead of mutating the
    /// process environment).
    pub fn load_from(env: &HashMap<String, String>) -> anyhow::Result<Self> {
        let profile = env
            .get("SIMPLEPG_PROFILE")
            .cloned()
            .unwrap_or_else(|| "local".to_owned());
        let dir = config_dir(env);
        let mut builder = Config::builder();
        builder = match dir
            .as_ref()
            .map(|d| d.join("default.toml"))
            .filter(|p| p.is_file())
        {
            Some(path) => builder.add_source(File::from(path)),
            None => builder.add_source(File::from_str(EMBEDDED_DEFAULT, FileFormat::Toml)),
        };
        match dir
            .as_ref()
            .map(|d| d.join(format!("{profile}.toml")))
            .filter(|p| p.is_file())
        {
            Some(path) => builder = builder.add_source(File::from(path)),
            None => match EMBEDDED_PROFILES.iter().find(|(name, _)| *name == profile) {
                Some((_, text)) => {
                    builder = builder.add_source(File::from_str(text, FileFormat::Toml))
                }
                None => {
                    bail!("unknown profile {profile:?}: no {profile}.toml in the config directory")
                }
            },
        }
        builder = builder.add_source(legacy_aliases(env)?);
        builder = builder.add_source(
            Environment::with_prefix("SIMPLEPG")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("notifications.retry_schedule_secs")
                .with_list_parse_key("security.retired_encryption_keys")
                .with_list_parse_key("outbound.allowed_private_cidrs")
                .try_parsing(true)
                .source(Some(env.clone())),
        );
        builder = builder.set_override("profile", profile.clone())?;
        let mut settings: Settings = builder
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("configuration has a wrong or unknown key")?;
        settings.profile = profile;
        settings.validate()?;
        Ok(settings)
    }

    /// The terms of a merchant registered without its own.
    pub fn settlement_terms(&self) -> anyhow::Result<domain::settlement::SettlementTerms> {
        use domain::settlement::{FeeRate, SettlementDelay, SettlementTerms};
        Ok(SettlementTerms {
            fee_rate: FeeRate::from_bps(self.settlement.default_fee_rate_bps)
                .map_err(|e| anyhow::anyhow!("settlement.default_fee_rate_bps {e}"))?,
            delay: SettlementDelay::from_days(self.settlement.default_delay_days)
                .map_err(|e| anyhow::anyhow!("settlement.default_delay_days {e}"))?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.profile == "production"
    }

    fn validate(&mut self) -> anyhow::Result<()> {
        let mut missing = Vec::new();
        if self.security.encryption_key.expose_secret().is_empty() {
            missing.push("security.encryption_key (ENCRYPTION_KEY)");
        }
        if self.auth.admin_token_enabled && self.admin.token.expose_secret().is_empty() {
            missing.push("admin.token (ADMIN_TOKEN or SIMPLEPG__ADMIN__TOKEN)");
        }
        if self.acquirer.webhook_secret.expose_secret().is_empty() {
            missing.push("acquirer.webhook_secret (SIMPLEPG__ACQUIRER__WEBHOOK_SECRET)");
        }
        if !missing.is_empty() {
            bail!(
                "profile {}: required settings are missing: {}",
                self.profile,
                missing.join(", ")
            );
        }
        if self.is_production() {
            if !self.development_values_in_use().is_empty() {
                bail!(
                    "profile production refuses the publicly known development secrets; configure real ones"
                );
            }
            if self.auth.admin_token_enabled && self.admin.token.expose_secret().len() < 16 {
                bail!("profile production: admin.token must be at least 16 characters");
            }
            self.mock_acquirer.enabled = false;
        }
        if self.security.encryption_key_version == 0 {
            bail!("security.encryption_key_version must be at least 1");
        }
        if self.security.signature_window_secs == 0 || self.security.signature_window_secs > 3600 {
            bail!("security.signature_window_secs must be between 1 and 3600");
        }
        if self.is_production() && self.acquirer.request_url.is_empty() {
            bail!(
                "profile production: acquirer.request_url (API_REQUEST_URL) is required, the mock acquirer is off"
            );
        }
        if self.acquirer.max_attempts == 0 {
            bail!("acquirer.max_attempts must be at least 1");
        }
        if self.notifications.retry_schedule_secs.is_empty() {
            bail!(
                "notifications.retry_schedule_secs needs at least one entry (the first attempt's delay)"
            );
        }
        domain::signing::WebhookKey::parse(self.acquirer.webhook_secret.expose_secret())
            .map_err(|e| anyhow::anyhow!("acquirer.webhook_secret {e}"))?;
        if self.auth.session_idle_secs == 0
            || self.auth.session_absolute_secs < self.auth.session_idle_secs
        {
            bail!(
                "auth.session_idle_secs must be at least 1 and auth.session_absolute_secs at least as long"
            );
        }
        self.settlement_terms()?;
        crate::calendar::ZoneCalendar::named(&self.settlement.timezone)?;
        if self.settlement.run_interval_secs == 0 || self.settlement.claim_lease_secs == 0 {
            bail!(
                "settlement.run_interval_secs and settlement.claim_lease_secs must be at least 1"
            );
        }
        if self.auth.max_failed_logins == 0 {
            bail!("auth.max_failed_logins must be at least 1");
        }
        if self.database.max_connections == 0 {
            bail!("database.max_connections must be at least 1");
        }
        if self.is_production() && self.server.public_url.is_empty() {
            bail!(
                "profile production: server.public_url (SIMPLEPG__SERVER__PUBLIC_URL) is required: the base URL the acquirer and merchants reach this server at, e.g. https://pg.example.com"
            );
        }
        for (key, value) in [
            ("server.public_url", &self.server.public_url),
            ("acquirer.request_url", &self.acquirer.request_url),
            ("acquirer.return_url", &self.acquirer.return_url),
        ] {
            if !value.is_empty() {
                check_http_url(value).with_context(|| format!("{key} = {value:?}"))?;
            }
        }
        self.return_url_policy()?;
        Ok(())
    }

    /// Which addresses merchant URLs may reach (`outbound.allowed_private_cidrs`).
    pub fn destination_policy(&self) -> anyhow::Result<DestinationPolicy> {
        let allowed = self
            .outbound
            .allowed_private_cidrs
            .iter()
            .filter(|raw| !raw.trim().is_empty())
            .map(|raw| Cidr::parse(raw))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("outbound.allowed_private_cidrs: {e}"))?;
        Ok(DestinationPolicy::public_only_except(allowed))
    }

    /// What a merchant's `returnUrl` must satisfy at registration.
    pub fn return_url_policy(&self) -> anyhow::Result<ReturnUrlPolicy> {
        Ok(ReturnUrlPolicy {
            allow_plain_http: self.security.allow_plain_http_webhooks,
            destinations: self.destination_policy()?,
        })
    }

    /// Names of the settings that hold publicly known development values.
    pub fn development_values_in_use(&self) -> Vec<&'static str> {
        let checks = [
            ("security.encryption_key", &self.security.encryption_key),
            ("admin.token", &self.admin.token),
            ("acquirer.webhook_secret", &self.acquirer.webhook_secret),
        ];
        checks
            .into_iter()
            .filter(|(_, v)| DEVELOPMENT_VALUES.contains(&v.expose_secret()))
            .map(|(name, _)| name)
            .collect()
    }

    pub fn signature_window(&self) -> Duration {
        Duration::from_secs(self.security.signature_window_secs)
    }

    pub fn ready_ttl(&self) -> Duration {
        Duration::from_secs(self.payment.ready_ttl_secs)
    }

    /// `acquirer.request_url`, or the built-in mock's when empty.
    pub fn acquirer_request_url(&self, public_url: &str) -> String {
        or_default(&self.acquirer.request_url, || {
            format!("{public_url}/mock/request")
        })
    }

    /// `acquirer.settlement_file_url`; when empty, a sibling of the request URL (`…/request` →
    /// `…/settlement-file`, as the built-in mock serves it).
    pub fn acquirer_settlement_file_url(&self, public_url: &str) -> String {
        or_default(&self.acquirer.settlement_file_url, || {
            let request = self.acquirer_request_url(public_url);
            let base = request.trim_end_matches('/');
            match base.strip_suffix("/request") {
                Some(root) => format!("{root}/settlement-file"),
                None => format!("{base}/settlement-file"),
            }
        })
    }

    /// `acquirer.return_url`, or our own webhook endpoint when empty.
    pub fn acquirer_return_url(&self, public_url: &str) -> String {
        or_default(&self.acquirer.return_url, || {
            format!("{public_url}/api/webhook/payment")
        })
    }

    /// Whether the session cookie is `Secure`: `auth.cookie_secure`, else unless the public URL
    /// (`server.public_url`, or the bound address when it is empty) is plain `http://`.
    pub fn cookie_secure(&self, public_url: &str) -> bool {
        self.auth
            .cookie_secure
            .unwrap_or_else(|| !public_url.starts_with("http://"))
    }

    /// The base URL others should use to reach this server.
    pub fn public_url(&self, bound_port: u16) -> String {
        if self.server.public_url.is_empty() {
            let host = if self.server.host == "0.0.0.0" {
                "127.0.0.1"
            } else {
                &self.server.host
            };
            format!("http://{host}:{bound_port}")
        } else {
            self.server.public_url.trim_end_matches('/').to_owned()
        }
    }
}

/// An absolute `http(s)` URL with a host.
fn check_http_url(raw: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(raw).context("not an absolute URL")?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("must be an absolute http:// or https:// URL");
    }
    Ok(())
}

fn config_dir(env: &HashMap<String, String>) -> Option<PathBuf> {
    if let Some(dir) = env.get("SIMPLEPG_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    let local = Path::new("config");
    if local.join("default.toml").is_file() {
        return Some(local.to_path_buf());
    }
    None
}

/// The original deployment's variables, mapped onto the new keys (SIMPLEPG__ ones still win).
fn legacy_aliases(env: &HashMap<String, String>) -> anyhow::Result<Config> {
    let mut b = Config::builder();
    if let Some(host) = env.get("MYSQL_HOST") {
        let port = env.get("MYSQL_PORT").map_or("3306", String::as_str);
        let db = env.get("MYSQL_DATABASE").map_or("simplepg", String::as_str);
        let user = env.get("MYSQL_USERNAME").map_or("root", String::as_str);
        let credentials = match env.get("MYSQL_PASSWORD").filter(|p| !p.is_empty()) {
            Some(pw) => format!("{}:{}", percent_encode(user), percent_encode(pw)),
            None => percent_encode(user),
        };
        b = b.set_override(
            "database.url",
            format!("mysql://{credentials}@{host}:{port}/{db}"),
        )?;
    }
    for (var, key) in [
        ("ENCRYPTION_KEY", "security.encryption_key"),
        ("ADMIN_TOKEN", "admin.token"),
        ("API_REQUEST_URL", "acquirer.request_url"),
        ("API_RETURN_URL", "acquirer.return_url"),
    ] {
        if let Some(value) = env.get(var) {
            b = b.set_override(key, value.clone())?;
        }
    }
    Ok(b.build()?)
}

fn percent_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A URL setting: `configured`, or `default` when it is left empty.
fn or_default(configured: &str, default: impl FnOnce() -> String) -> String {
    if configured.is_empty() {
        default()
    } else {
        configured.to_owned()
    }
}

#[cfg(test)]
mod tests;
