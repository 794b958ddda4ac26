//! The deployment files agree with the server: the `simplepg` service of docker-compose.yml plus
//! `.env.example` (filled with real-looking values) is a configuration the production profile
//! accepts, and leaving out any variable the server requires makes it refuse to start.
#![expect(
    clippy::expect_used,
    reason = "test code: a missing file must fail the test"
)]

use std::{collections::HashMap, path::Path};

use app_server::Settings;

fn repo(file: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(file),
    )
    .expect(file)
}

/// `KEY: value` lines of the `environment:` block of one compose service.
fn compose_environment(compose: &str, service: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut in_service = false;
    let mut in_env = false;
    for line in compose.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if indent == 2 && text.ends_with(':') {
            in_service = text.trim_end_matches(':') == service;
            in_env = false;
            continue;
        }
        if !in_service {
            continue;
        }
        if indent == 4 {
            in_env = text == "environment:";
            continue;
        }
        if in_env
            && indent == 6
            && let Some((k, v)) = text.split_once(':')
        {
            out.insert(k.trim().to_owned(), v.trim().trim_matches('"').to_owned());
        }
    }
    out
}

/// `KEY=value` lines of `.env.example`, with empty values replaced by real-looking secrets.
fn env_example() -> HashMap<String, String> {
    repo(".env.example")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = match (k, v.is_empty()) {
                ("ENCRYPTION_KEY", true) => "ab".repeat(32),
                ("ADMIN_TOKEN", true) => "an-operator-token-of-some-length".to_owned(),
                ("SIMPLEPG__ACQUIRER__WEBHOOK_SECRET", true) => {
                    "whsec_cmVhbC1hY3F1aXJlci1zZWNyZXQtMDEyMzQ1Njc4OQ==".to_owned()
                }
                _ => v.to_owned(),
            };
            (k.to_owned(), v)
        })
        .collect()
}

fn compose_env() -> HashMap<String, String> {
    let compose = repo("docker-compose.yml");
    assert!(compose.contains("env_file: .env"), "the server reads .env");
    let mut env = env_example();
    env.extend(compose_environment(&compose, "simplepg"));
    env
}

#[test]
fn the_compose_service_with_the_env_example_is_a_valid_production_configuration() {
    let env = compose_env();
    assert_eq!(
        env.get("SIMPLEPG_PROFILE").map(String::as_str),
        Some("production")
    );
    let settings = Settings::load_from(&env).expect("production accepts the compose configuration");
    assert!(settings.is_production());
    assert!(!settings.mock_acquirer.enabled);
    assert!(settings.development_values_in_use().is_empty());
    assert_eq!(settings.server.host, "0.0.0.0");
}

#[test]
fn leaving_out_any_required_variable_makes_production_refuse_to_start() {
    for required in [
        "ENCRYPTION_KEY",
        "ADMIN_TOKEN",
        "SIMPLEPG__ACQUIRER__WEBHOOK_SECRET",
        "API_REQUEST_URL",
    ] {
        let mut env = compose_env();
        assert!(env.contains_key(required), ".env.example lists {required}");
        env.remove(required);
        assert!(
            Settings::load_from(&env).is_err(),
            "production started without {required}"
        );
    }
}

/// `section.key` of every setting in config/default.toml.
fn default_setting_keys() -> Vec<String> {
    let mut section = String::new();
    let mut keys = Vec::new();
    for line in repo("config/default.toml").lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
        } else if let Some((key, _)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
            keys.push(format!("{section}.{}", key.trim()));
        }
    }
    keys
}

#[test]
fn every_setting_of_the_default_configuration_is_in_the_reference() {
    let reference = repo("docs/ops/configuration.md");
    let keys = default_setting_keys();
    assert!(keys.len() > 30, "parsed only {keys:?}");
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !reference.contains(&format!("| `{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/ops/configuration.md lacks {missing:?}"
    );
}
