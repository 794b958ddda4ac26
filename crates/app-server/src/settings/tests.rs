//! Loading and validating the layered configuration.

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_local_profile_loads_with_development_values_flagged() {
    let s = Settings::load_from(&env(&[])).unwrap();
    assert_eq!(s.profile, "local");
    assert_eq!(s.development_values_in_use().len(), 3);
    assert!(s.mock_acquirer.enabled);
}

#[test]
fn production_refuses_to_start_without_secrets() {
    let err = Settings::load_from(&env(&[
        ("SIMPLEPG_PROFILE", "production"),
        ("API_REQUEST_URL", "http://acq"),
    ]))
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("encryption_key") && msg.contains("admin.token"),
        "{msg}"
    );
}

#[test]
fn production_starts_with_real_secrets_and_without_the_mock() {
    let s = Settings::load_from(&env(&[
        ("SIMPLEPG_PROFILE", "production"),
        ("ENCRYPTION_KEY", "ab".repeat(32).as_str()),
        ("ADMIN_TOKEN", "a-long-enough-admin-token"),
        (
            "SIMPLEPG__ACQUIRER__WEBHOOK_SECRET",
            "whsec_cmVhbC1hY3F1aXJlci1zZWNyZXQtMDEyMzQ1Njc4OQ==",
        ),
        ("API_REQUEST_URL", "https://acquirer.example/request"),
        ("SIMPLEPG__SERVER__PUBLIC_URL", "https://pg.example.com"),
    ]))
    .unwrap();
    assert!(!s.mock_acquirer.enabled);
    assert!(!s.security.allow_plain_http_webhooks);
    let policy = s.return_url_policy().unwrap();
    assert!(
        policy
            .destinations
            .check("127.0.0.1".parse().unwrap())
            .is_err()
    );
    assert!(s.development_values_in_use().is_empty());
}

#[test]
fn simplepg_variables_override_files_and_legacy_aliases() {
    let s = Settings::load_from(&env(&[
        ("MYSQL_HOST", "db"),
        ("MYSQL_USERNAME", "pg"),
        ("MYSQL_PASSWORD", "p@ss"),
        ("SIMPLEPG__SERVER__PORT", "9090"),
        ("SIMPLEPG__NOTIFICATIONS__RETRY_SCHEDULE_SECS", "0,1,2"),
    ]))
    .unwrap();
    assert_eq!(s.server.port, 9090);
    assert_eq!(
        s.database.url.expose_secret(),
        "mysql://pg:p%40ss@db:3306/simplepg"
    );
    assert_eq!(s.notifications.retry_schedule_secs, vec![0, 1, 2]);
    let s = Settings::load_from(&env(&[
        ("MYSQL_HOST", "db"),
        ("SIMPLEPG__DATABASE__URL", "mysql://x@y/z"),
    ]))
    .unwrap();
    assert_eq!(s.database.url.expose_secret(), "mysql://x@y/z");
}

fn production(extra: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let key = "ab".repeat(32);
    let mut pairs = vec![
        ("SIMPLEPG_PROFILE", "production"),
        ("ENCRYPTION_KEY", key.as_str()),
        ("ADMIN_TOKEN", "a-long-enough-admin-token"),
        (
            "SIMPLEPG__ACQUIRER__WEBHOOK_SECRET",
            "whsec_cmVhbC1hY3F1aXJlci1zZWNyZXQtMDEyMzQ1Njc4OQ==",
        ),
        ("API_REQUEST_URL", "https://acquirer.example/request"),
        ("SIMPLEPG__SERVER__PUBLIC_URL", "https://pg.example.com"),
    ];
    pairs.extend_from_slice(extra);
    Settings::load_from(&env(&pairs))
}

#[test]
fn production_requires_the_public_url() {
    let err = production(&[("SIMPLEPG__SERVER__PUBLIC_URL", "")]).unwrap_err();
    assert!(format!("{err:#}").contains("server.public_url"), "{err:#}");
    let err = production(&[("SIMPLEPG__SERVER__PUBLIC_URL", "pg.example.com")]).unwrap_err();
    assert!(format!("{err:#}").contains("server.public_url"), "{err:#}");
}

#[test]
fn allowed_private_networks_are_parsed_at_start_up() {
    let s = production(&[(
        "SIMPLEPG__OUTBOUND__ALLOWED_PRIVATE_CIDRS",
        "10.20.0.0/16,fd00::/8",
    )])
    .unwrap();
    let policy = s.destination_policy().unwrap();
    assert!(policy.check("10.20.1.1".parse().unwrap()).is_ok());
    assert!(policy.check("10.21.1.1".parse().unwrap()).is_err());
    let err = production(&[("SIMPLEPG__OUTBOUND__ALLOWED_PRIVATE_CIDRS", "10.0.0.0")]).unwrap_err();
    assert!(
        format!("{err:#}").contains("outbound.allowed_private_cidrs"),
        "{err:#}"
    );
}

#[test]
fn local_and_test_profiles_allow_plain_http_and_loopback_receivers() {
    for profile in ["local", "test"] {
        let s = Settings::load_from(&env(&[("SIMPLEPG_PROFILE", profile)])).unwrap();
        assert!(s.security.allow_plain_http_webhooks, "{profile}");
        let policy = s.destination_policy().unwrap();
        assert!(
            policy.check("127.0.0.1".parse().unwrap()).is_ok(),
            "{profile}"
        );
        assert!(policy.check("::1".parse().unwrap()).is_ok(), "{profile}");
        assert!(
            policy.check("10.0.0.1".parse().unwrap()).is_err(),
            "{profile}"
        );
    }
}

#[test]
fn debug_output_hides_secrets() {
    let s = Settings::load_from(&env(&[])).unwrap();
    let dbg = format!("{s:?}");
    assert!(!dbg.contains("dev-admin-token"));
    assert!(!dbg.contains("ZGV2ZWxvcG1lbnQ"));
}

#[test]
fn the_session_cookie_is_secure_unless_the_public_url_is_plain_http_or_configured_otherwise() {
    let s = production(&[]).unwrap();
    assert!(s.cookie_secure("https://pg.example.com"));
    assert!(!s.cookie_secure("http://127.0.0.1:8080"));
    let s = production(&[("SIMPLEPG__AUTH__COOKIE_SECURE", "true")]).unwrap();
    assert!(s.cookie_secure("http://127.0.0.1:8080"));
    let s = production(&[("SIMPLEPG__AUTH__COOKIE_SECURE", "false")]).unwrap();
    assert!(!s.cookie_secure("https://pg.example.com"));
}

#[test]
fn the_admin_token_is_required_only_while_it_is_enabled() {
    let err = production(&[("ADMIN_TOKEN", "")]).unwrap_err();
    assert!(format!("{err:#}").contains("admin.token"), "{err:#}");
    let s = production(&[
        ("ADMIN_TOKEN", ""),
        ("SIMPLEPG__AUTH__ADMIN_TOKEN_ENABLED", "false"),
    ])
    .unwrap();
    assert!(!s.auth.admin_token_enabled);
}

#[test]
fn auth_defaults_follow_the_contract_and_the_test_profile_hashes_cheaply() {
    let s = production(&[]).unwrap();
    assert_eq!(
        (s.auth.session_idle_secs, s.auth.session_absolute_secs),
        (1800, 43200)
    );
    assert_eq!((s.auth.max_failed_logins, s.auth.lock_secs), (5, 900));
    assert_eq!(
        (
            s.auth.argon2_memory_kib,
            s.auth.argon2_iterations,
            s.auth.argon2_parallelism
        ),
        (19456, 2, 1)
    );
    let test = Settings::load_from(&env(&[("SIMPLEPG_PROFILE", "test")])).unwrap();
    assert!(test.auth.argon2_memory_kib < 19456);
    let err = production(&[("SIMPLEPG__AUTH__SESSION_ABSOLUTE_SECS", "60")]).unwrap_err();
    assert!(format!("{err:#}").contains("auth.session"), "{err:#}");
}
