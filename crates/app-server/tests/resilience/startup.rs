//! Start-up checks: a setting that does not parse stops the start before the database is
//! touched; a wrong but well-formed `ENCRYPTION_KEY` stops it naming the merchant and the fix
//! instead of giving a READY server that answers 500; a schema behind the binary without
//! `migrate_on_start` is not ready and says "run `simplepg migrate`"; `simplepg check` never
//! creates an empty SQLite file.

use std::{net::TcpListener, path::PathBuf, process::Command};

use adapters_mysql::test_util::TestDatabase;
use app_server::{Application, Settings};

use crate::support::{instance, register, server_env};

const OTHER_KEY: &str = "a2V5LXR3by1mb3ItdGhlLXJvdGF0aW9uLXRlc3QhISE=";
const TEST_KEY: &str = "dGVzdC1vbmx5LWtleS0wMTIzNDU2Nzg5YWJjZGVmISE=";

/// Builds (does not run) a server with the test profile plus `extra` on `db_url`.
async fn build(db_url: &str, extra: &[(&str, &str)]) -> anyhow::Result<Application> {
    let settings = Settings::load_from(&server_env(db_url, extra))?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Application::build_with_listener(settings, listener).await
}

fn temp_path(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "simplepg-startup-{}-{nanos}-{name}",
        std::process::id()
    ))
}

#[actix_web::test]
async fn a_wrong_encryption_key_stops_the_start_naming_the_merchant_and_the_fix() {
    let db = TestDatabase::create().await;
    let api = instance(db.url(), &[]).await;
    let merchant = register(&api, None).await;

    let err = match build(
        db.url(),
        &[("SIMPLEPG__SECURITY__ENCRYPTION_KEY", OTHER_KEY)],
    )
    .await
    {
        Ok(_) => panic!("a server with the wrong key must not start"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("cannot open the stored merchant secrets")
            && err.contains(&merchant.client_id),
        "{err}"
    );
    assert!(
        err.contains("RETIRED_ENCRYPTION_KEYS"),
        "names the fix: {err}"
    );

    // The right key as a retired key of a rotation is fine.
    let retired = format!("1:{TEST_KEY}");
    build(
        db.url(),
        &[
            ("SIMPLEPG__SECURITY__ENCRYPTION_KEY", OTHER_KEY),
            ("SIMPLEPG__SECURITY__ENCRYPTION_KEY_VERSION", "2"),
            (
                "SIMPLEPG__SECURITY__RETIRED_ENCRYPTION_KEYS",
                retired.as_str(),
            ),
        ],
    )
    .await
    .expect("the old key, retired, opens the stored secrets");
}

#[actix_web::test]
async fn a_setting_that_does_not_parse_stops_the_start_before_the_database_is_created() {
    let db_file = temp_path("never.db");
    let url = format!("sqlite://{}", db_file.display());
    let missing_ca = temp_path("missing-ca.pem");
    let missing_ca = missing_ca.to_str().unwrap();
    for (key, value, named) in [
        (
            "SIMPLEPG__OUTBOUND__EXTRA_CA_FILE",
            missing_ca,
            "outbound.extra_ca_file",
        ),
        (
            "SIMPLEPG__SECURITY__RETIRED_ENCRYPTION_KEYS",
            "1:not-a-key",
            "security.retired_encryption_keys",
        ),
        (
            "SIMPLEPG__SECURITY__ENCRYPTION_KEY",
            "c2hvcnQ=",
            "security.encryption_key",
        ),
    ] {
        let err = match build(&url, &[(key, value)]).await {
            Ok(_) => panic!("{key}={value} must stop the start"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(named), "{key}: {err}");
        assert!(!db_file.exists(), "{key}: the database was touched");
    }
}

#[actix_web::test]
async fn without_migrate_on_start_a_schema_behind_the_binary_is_not_ready_and_says_run_simplepg_migrate()
 {
    let db = TestDatabase::create_unmigrated().await;
    let api = instance(
        db.url(),
        &[("SIMPLEPG__DATABASE__MIGRATE_ON_START", "false")],
    )
    .await;
    let ready = api.get("/ready").await.unwrap();
    assert_eq!(ready.status, 503);
    assert!(
        ready.json["detail"]
            .as_str()
            .is_some_and(|d| d.contains("run `simplepg migrate`")),
        "{:?}",
        ready.json
    );
}

#[test]
fn simplepg_check_on_a_missing_sqlite_file_fails_and_creates_nothing() {
    let db_file = temp_path("absent.db");
    let out = Command::new(env!("CARGO_BIN_EXE_simplepg"))
        .arg("check")
        .env("SIMPLEPG_PROFILE", "test")
        .env(
            "SIMPLEPG__DATABASE__URL",
            format!("sqlite://{}", db_file.display()),
        )
        .output()
        .expect("simplepg runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no such database file"), "{stderr}");
    assert!(!db_file.exists(), "check created {}", db_file.display());
}
