//! `ENCRYPTION_KEY` rotation end to end, as docs/ops/runbook.md tells operators to do it:
//! a merchant registered under key 1 keeps working when key 2 becomes current (key 1 retired),
//! `simplepg reencrypt-secrets` re-seals it (the previous client secret of a rotation with grace
//! too), `--check` then passes, and the server works with key 2 alone.

use std::process::Command;

use adapters_mysql::test_util::TestDatabase;

use crate::support::{Merchant, instance, list_status, register};

const KEY_1: &str = "dGVzdC1vbmx5LWtleS0wMTIzNDU2Nzg5YWJjZGVmISE=";
const KEY_2: &str = "a2V5LXR3by1mb3ItdGhlLXJvdGF0aW9uLXRlc3QhISE=";

fn with_key_2_current() -> Vec<(&'static str, String)> {
    vec![
        ("SIMPLEPG__SECURITY__ENCRYPTION_KEY", KEY_2.to_owned()),
        ("SIMPLEPG__SECURITY__ENCRYPTION_KEY_VERSION", "2".to_owned()),
        (
            "SIMPLEPG__SECURITY__RETIRED_ENCRYPTION_KEYS",
            format!("1:{KEY_1}"),
        ),
    ]
}

async fn reencrypt(db_url: &str, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_simplepg"));
    cmd.arg("reencrypt-secrets")
        .args(args)
        .env("SIMPLEPG_PROFILE", "test")
        .env("SIMPLEPG__DATABASE__URL", db_url);
    for (k, v) in with_key_2_current() {
        cmd.env(k, v);
    }
    let out = actix_web::rt::task::spawn_blocking(move || cmd.output().expect("simplepg runs"))
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The key versions of every secret the merchant holds, read through the storage port.
async fn key_versions(db: &TestDatabase, m: &Merchant) -> Vec<u32> {
    let stores = app_server::store::open(db.url(), 1, std::time::Duration::from_secs(5)).unwrap();
    let id = domain::ids::ClientId::parse(&m.client_id).unwrap();
    let merchant = stores.ports.merchants.find(&id).await.unwrap().unwrap();
    merchant.sealed_secrets().map(|s| s.key_version).collect()
}

#[actix_web::test]
async fn rotating_the_encryption_key_keeps_every_merchant_working_and_reencrypt_moves_all_secrets_to_the_new_key()
 {
    let db = TestDatabase::create().await;
    let old = instance(db.url(), &[]).await;
    let early = register(&old, None).await;
    assert_eq!(list_status(&old, &early).await, 200);
    assert_eq!(key_versions(&db, &early).await, vec![1, 1]);
    // Rolling its servers over: the old client secret stays valid for an hour.
    let path = format!("/admin/api/merchants/{}/rotate-secret", early.client_id);
    let body = serde_json::json!({ "graceSeconds": 3600 });
    let rotated = old.admin("POST", &path, Some(&body)).await.unwrap();
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let early_rotated = Merchant {
        client_secret: rotated.json["clientSecret"].as_str().unwrap().to_owned(),
        ..early.clone()
    };
    assert_eq!(key_versions(&db, &early).await, vec![1, 1, 1]);

    let env: Vec<(&str, String)> = with_key_2_current();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let rotated = instance(db.url(), &env).await;
    assert_eq!(
        list_status(&rotated, &early).await,
        200,
        "a secret sealed under the retired key still opens"
    );
    let late = register(&rotated, None).await;
    assert_eq!(list_status(&rotated, &late).await, 200);

    let (clean, listed) = reencrypt(db.url(), &["--check"]).await;
    assert!(
        !clean,
        "--check fails while a secret is under key 1:\n{listed}"
    );
    assert!(
        listed.contains(&early.client_id) && !listed.contains(&late.client_id),
        "{listed}"
    );

    let (ok, report) = reencrypt(db.url(), &[]).await;
    assert!(ok, "{report}");
    assert!(
        report.contains("2 merchants scanned, 1 re-sealed under key version 2"),
        "{report}"
    );
    assert_eq!(
        key_versions(&db, &early).await,
        vec![2, 2, 2],
        "the previous client secret is re-sealed too"
    );
    assert_eq!(key_versions(&db, &late).await, vec![2, 2]);
    let (again, report) = reencrypt(db.url(), &[]).await;
    assert!(
        again && report.contains("0 re-sealed"),
        "idempotent: {report}"
    );
    let (clean, listed) = reencrypt(db.url(), &["--check"]).await;
    assert!(clean, "{listed}");

    let key_2_only = instance(
        db.url(),
        &[
            ("SIMPLEPG__SECURITY__ENCRYPTION_KEY", KEY_2),
            ("SIMPLEPG__SECURITY__ENCRYPTION_KEY_VERSION", "2"),
        ],
    )
    .await;
    assert_eq!(list_status(&key_2_only, &early).await, 200);
    assert_eq!(
        list_status(&key_2_only, &early_rotated).await,
        200,
        "both secrets of the grace open under key 2 alone"
    );
    assert_eq!(list_status(&key_2_only, &late).await, 200);
}
