//! The `simplepg` CLI against a running server: `merchant create`, `sign`/`call`, `verify-webhook`.

use std::process::Command;

use adapters_mysql::test_util::TestDatabase;

use crate::support::instance;

pub(crate) fn simplepg(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let (code, out) = simplepg_exit(args, env);
    (code == Some(0), out)
}

/// Runs `simplepg` with `args` and `env`: its exit code (none if a signal ended it) and its
/// stdout then stderr.
pub(crate) fn simplepg_exit(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_simplepg"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("simplepg runs");
    (
        out.status.code(),
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
    let url = api.base().to_owned();
    let created = actix_web::rt::task::spawn_blocking(move || {
        simplepg(
            &[
                "merchant",
                "create",
                "--name",
                "CLI shop",
                "--fee-rate-bps",
                "175",
                "--settlement-delay-days",
                "1",
                "--url",
                &url,
            ],
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
    assert_eq!(json["feeRateBps"], 175, "{json}");
    assert_eq!(json["settlementDelayDays"], 1, "{json}");
    let (id, secret) = (
        json["clientId"].as_str().unwrap().to_owned(),
        json["clientSecret"].as_str().unwrap().to_owned(),
    );
    let url = api.base().to_owned();
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

/// One webhook delivery as received: its headers (lower-case names) and raw body.
struct Delivery {
    headers: std::collections::HashMap<String, String>,
    body: Vec<u8>,
}

/// A one-shot HTTP receiver on a free port: answers the first POST with 200 and hands it over.
fn receive_one() -> (String, std::sync::mpsc::Receiver<Delivery>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut headers = std::collections::HashMap::new();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap(); // request line
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        let len: usize = headers["content-length"].parse().unwrap();
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .unwrap();
        tx.send(Delivery { headers, body }).unwrap();
    });
    (url, rx)
}

#[actix_web::test]
async fn verify_webhook_accepts_a_real_delivery_from_the_server_and_rejects_it_tampered() {
    let db = TestDatabase::create().await;
    let api = instance(db.url(), &[]).await;
    let (hook_url, deliveries) = receive_one();
    let merchant = api
        .register_merchant("CLI receiver", Some(&hook_url))
        .await
        .unwrap();
    let webhook_secret = merchant.webhook_secret.clone();
    // The mock acquirer approves it: the merchant is notified.
    let created = api
        .create_payment(&merchant, "cli-hook-1", 15_000)
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{:?}", created.json);
    let delivery = actix_web::rt::task::spawn_blocking(move || {
        deliveries
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("a notification arrives")
    })
    .await
    .unwrap();

    let dir = std::env::temp_dir().join(format!("simplepg-real-hook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("delivery.json");
    std::fs::write(&body, &delivery.body).unwrap();
    let header = |name: &str| delivery.headers[name].clone();
    let args = [
        "verify-webhook".to_owned(),
        "--secret".to_owned(),
        webhook_secret,
        "--id".to_owned(),
        header("webhook-id"),
        "--timestamp".to_owned(),
        header("webhook-timestamp"),
        "--signature".to_owned(),
        header("webhook-signature"),
        "--body".to_owned(),
        body.to_str().unwrap().to_owned(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, out) = simplepg(&args, &[]);
    assert!(ok, "a real delivery verifies: {out}");

    let mut tampered = delivery.body.clone();
    tampered.extend_from_slice(b" ");
    std::fs::write(&body, &tampered).unwrap();
    let (ok, out) = simplepg(&args, &[]);
    assert!(!ok && out.contains("invalid"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
