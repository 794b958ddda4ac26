//! The `simplepg` CLI against a running server: `merchant create`, `sign`/`call`, `verify-webhook`.

use std::process::Command;

use adapters_mysql::test_util::TestDatabase;

use crate::support::instance;

fn simplepg(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_simplepg"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("simplepg runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[actix_web::test]
async fn merchant_create_then_a_signed_call_round_trip_through_the_cli() {
    let db = TestDatabase::create().await;
    let api = instance(db.url(), &[]).await;
    let url = api.base.clone();
    let created = actix_web::rt::task::spawn_blocking(move || {
        simplepg(
            &["merchant", "create", "--name", "CLI shop", "--url", &url],
            &[("SIMPLEPG_ADMIN_TOKEN", "test-admin-token")],
        )
    })
    .await
    .unwrap();
    assert!(created.0, "{}", created.1);
    let json: serde_json::Value = serde_json::from_str(
        created
            .1
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
            .trim(),
    )
    .unwrap();
    let (id, secret) = (
        json["clientId"].as_str().unwrap().to_owned(),
        json["clientSecret"].as_str().unwrap().to_owned(),
    );
    let url = api.base.clone();
    let called = actix_web::rt::task::spawn_blocking(move || {
        simplepg(
            &[
                "call",
                "-X",
                "POST",
                "/api/payments",
                "-d",
                r#"{"orderNo":"cli-1","amount":15002,"methodCode":"CARD"}"#,
                "--url",
                &url,
            ],
            &[
                ("SIMPLEPG_CLIENT_ID", &id),
                ("SIMPLEPG_CLIENT_SECRET", &secret),
            ],
        )
    })
    .await
    .unwrap();
    assert!(called.0 && called.1.starts_with("HTTP 201"), "{}", called.1);
}

#[test]
fn verify_webhook_accepts_the_reference_delivery_and_rejects_a_tampered_one() {
    let dir = std::env::temp_dir().join(format!("simplepg-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("body.json");
    std::fs::write(&body, br#"{"test": 2432232314}"#).unwrap();
    let args = |path: &str| {
        vec![
            "verify-webhook".to_owned(),
            "--secret".to_owned(),
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
            "--id".to_owned(),
            "msg_p5jXN8AQM9LWM0D4loKWxJek".to_owned(),
            "--timestamp".to_owned(),
            "1614265330".to_owned(),
            "--signature".to_owned(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned(),
            "--tolerance".to_owned(),
            "0".to_owned(),
            "--body".to_owned(),
            path.to_owned(),
        ]
    };
    let good = args(body.to_str().unwrap());
    let (ok, out) = simplepg(&good.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert!(ok, "{out}");
    std::fs::write(&body, br#"{"test": 2432232315}"#).unwrap();
    let (ok, out) = simplepg(&good.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert!(!ok && out.contains("invalid"), "{out}");
}
