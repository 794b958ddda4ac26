//! Outbound HTTPS and the destination policy, against real TLS receivers whose certificates are
//! made at test time by a throwaway CA: notifications and acquirer requests are delivered over
//! https when the CA is trusted (`outbound.extra_ca_file`), and refused — a failed attempt
//! recorded as `tls: ...` — when it is not, when the name does not match, or when the certificate
//! has expired. Merchant URLs that reach non-public addresses are refused at registration
//! (literal addresses) and at connect time (names), and plain http only where allowed.

use std::{path::PathBuf, sync::Arc};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{Value, json};

use crate::{
    helpers::{
        STAYS_READY, TestApp, WAIT, assert_invalid_field, attempt_codes, eventually, key_of,
        spawn_app_configured,
    },
    receiver::{Receiver, Reply, Script},
};

/// A CA made for one test, and a file holding its certificate (PEM), deleted on drop.
struct TestCa {
    params: CertificateParams,
    key: KeyPair,
    file: PathBuf,
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

impl TestCa {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "SimplePG test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let file = std::env::temp_dir().join(format!(
            "simplepg-test-ca-{}.pem",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::write(&file, cert.pem()).unwrap();
        Self { params, key, file }
    }

    fn path(&self) -> &str {
        self.file.to_str().unwrap()
    }

    /// A server configuration with a certificate for `names` signed by this CA, valid from a
    /// day ago until `valid_for_days` from now (negative: already expired).
    fn server_config(&self, names: &[&str], valid_for_days: i64) -> rustls::ServerConfig {
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(2);
        params.not_after = now + time::Duration::days(valid_for_days);
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key_der)
        .unwrap()
    }
}

/// Waits until the payment's single merchant notification has `n` attempts, and returns it.
async fn notification_after_attempts(app: &TestApp, key: &str, n: usize) -> Value {
    eventually(
        &format!("{n} notification attempts of {key}"),
        WAIT,
        || async move {
            let list = app.deliveries_of(key, "MERCHANT_NOTIFICATION").await;
            match list.first() {
                Some(d) if d["attempts"].as_array().is_some_and(|a| a.len() >= n) => Ok(d.clone()),
                _ => Err(Value::Array(list).to_string()),
            }
        },
    )
    .await
}

fn first_error(delivery: &Value) -> String {
    delivery["attempts"][0]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("an attempt error: {delivery}"))
        .to_owned()
}

#[actix_web::test]
async fn a_notification_is_delivered_over_https_to_a_receiver_whose_ca_is_trusted() {
    let ca = TestCa::new();
    let receiver = Receiver::start_tls(
        Script::always(Reply::status(200)),
        ca.server_config(&["127.0.0.1", "localhost"], 30),
    )
    .await;
    assert!(receiver.base_url.starts_with("https://"));
    let app = spawn_app_configured(&[("SIMPLEPG__OUTBOUND__EXTRA_CA_FILE", ca.path())]).await;
    let merchant = app.register_merchant("Shop", &receiver.url("/hook")).await;
    let key = key_of(&app.pay(&merchant, "ORDER-TLS", STAYS_READY).await);
    let res = app.cancel(&merchant, &key, "customer asked").await;
    assert_eq!(res.status, 200, "{}", res.text());

    let delivery = app
        .wait_until_delivered(&key, "MERCHANT_NOTIFICATION")
        .await;
    assert_eq!(attempt_codes(&delivery), [Some(200)], "{delivery}");
    let events = receiver.events_of(&key);
    assert_eq!(events.len(), 1, "{events:?}");
    events[0]
        .verify(&merchant.webhook_secret)
        .expect("the event received over https verifies");
    assert_eq!(events[0].event_type(), "payment.canceled");
}

#[actix_web::test]
async fn a_receiver_whose_certificate_no_trusted_ca_signed_is_refused_and_recorded_as_a_tls_failure()
 {
    let ca = TestCa::new();
    let receiver = Receiver::start_tls(
        Script::always(Reply::status(200)),
        ca.server_config(&["127.0.0.1"], 30),
    )
    .await;
    // The CA is not configured: only the system and webpki roots are trusted.
    let app = spawn_app_configured(&[]).await;
    let merchant = app.register_merchant("Shop", &receiver.url("/hook")).await;
    let key = key_of(&app.pay(&merchant, "ORDER-UNTRUSTED", STAYS_READY).await);
    app.cancel(&merchant, &key, "customer asked").await;

    let delivery = notification_after_attempts(&app, &key, 2).await;
    assert_ne!(delivery["status"], "DELIVERED", "{delivery}");
    assert_eq!(attempt_codes(&delivery)[..2], [None, None], "{delivery}");
    let error = first_error(&delivery);
    assert!(
        error.starts_with("tls: ") && error.contains("UnknownIssuer"),
        "{error}"
    );
    assert!(
        receiver.requests().is_empty(),
        "nothing reached the handler"
    );
}

#[actix_web::test]
async fn a_certificate_for_another_host_or_an_expired_one_is_refused_even_from_a_trusted_ca() {
    let ca = TestCa::new();
    let wrong_host = Receiver::start_tls(
        Script::always(Reply::status(200)),
        ca.server_config(&["shop.example"], 30),
    )
    .await;
    let expired = Receiver::start_tls(
        Script::always(Reply::status(200)),
        ca.server_config(&["127.0.0.1"], -1),
    )
    .await;
    let app = spawn_app_configured(&[("SIMPLEPG__OUTBOUND__EXTRA_CA_FILE", ca.path())]).await;
    for (receiver, expected) in [(&wrong_host, "not valid for name"), (&expired, "expired")] {
        let merchant = app.register_merchant("Shop", &receiver.url("/hook")).await;
        let key = key_of(
            &app.pay(
                &merchant,
                &format!("ORDER-{}", expected.replace(' ', "-")),
                STAYS_READY,
            )
            .await,
        );
        app.cancel(&merchant, &key, "customer asked").await;
        let delivery = notification_after_attempts(&app, &key, 1).await;
        let error = first_error(&delivery);
        assert!(
            error.starts_with("tls: invalid peer certificate")
                && error.to_lowercase().contains(expected),
            "{expected}: {error}"
        );
        assert!(receiver.requests().is_empty());
    }
}

#[actix_web::test]
async fn the_acquirer_is_reached_over_https_with_the_extra_ca() {
    let ca = TestCa::new();
    let acquirer = Receiver::start_tls(
        Script::always(Reply::with_body(202, r#"{"transactionId":"tls-tx-1"}"#)),
        ca.server_config(&["127.0.0.1"], 30),
    )
    .await;
    let request_url = acquirer.url("/request");
    let app = spawn_app_configured(&[
        ("SIMPLEPG__OUTBOUND__EXTRA_CA_FILE", ca.path()),
        ("SIMPLEPG__ACQUIRER__REQUEST_URL", request_url.as_str()),
    ])
    .await;
    let merchant = app.register_merchant_without_return_url("Shop").await;
    let key = key_of(&app.pay(&merchant, "ORDER-ACQ-TLS", 15_000).await);
    let delivery = app.wait_until_delivered(&key, "ACQUIRER_REQUEST").await;
    assert_eq!(attempt_codes(&delivery), [Some(202)], "{delivery}");
    let received = acquirer.requests();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/request");
    assert_eq!(received[0].json()["paymentKey"], key.as_str());
}

#[actix_web::test]
async fn registration_refuses_a_return_url_at_a_literal_non_public_address() {
    let app = spawn_app_configured(&[]).await;
    for url in [
        "http://10.0.0.1/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://0x0a000001/hook",
    ] {
        let res = app
            .register_raw(&json!({"clientName": "Shop", "returnUrl": url}))
            .await;
        assert_invalid_field(&res, "returnUrl");
        assert!(
            res.text().contains("not a public address"),
            "{url}: {}",
            res.text()
        );
    }
    // The test profile allows loopback (receivers on this machine).
    let res = app
        .register_raw(&json!({"clientName": "Shop", "returnUrl": "http://127.0.0.1:9/hook"}))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
}

#[actix_web::test]
async fn a_name_that_resolves_to_loopback_is_refused_at_connect_time_where_loopback_is_not_allowed()
{
    let receiver = Receiver::ok().await;
    let port = receiver.base_url.rsplit(':').next().unwrap().to_owned();
    // Production-like: no non-public network allowed.
    let app = spawn_app_configured(&[("SIMPLEPG__OUTBOUND__ALLOWED_PRIVATE_CIDRS", "")]).await;
    // A name passes registration (nothing is resolved then)...
    let merchant = app
        .register_merchant("Shop", &format!("http://localhost:{port}/hook"))
        .await;
    let key = key_of(&app.pay(&merchant, "ORDER-REBIND", STAYS_READY).await);
    app.cancel(&merchant, &key, "customer asked").await;
    // ...and is refused on the address it resolves to, as a recorded failed attempt.
    let delivery = notification_after_attempts(&app, &key, 2).await;
    let error = first_error(&delivery);
    assert!(
        error.starts_with("blocked: localhost resolves to ") && error.contains("(loopback)"),
        "{error}"
    );
    assert_eq!(attempt_codes(&delivery)[..2], [None, None], "{delivery}");
    assert!(receiver.requests().is_empty(), "nothing was sent");
}

#[actix_web::test]
async fn plain_http_return_urls_are_refused_where_only_https_is_allowed() {
    let app =
        spawn_app_configured(&[("SIMPLEPG__SECURITY__ALLOW_PLAIN_HTTP_WEBHOOKS", "false")]).await;
    let res = app
        .register_raw(&json!({"clientName": "Shop", "returnUrl": "http://shop.example/hook"}))
        .await;
    assert_invalid_field(&res, "returnUrl");
    assert!(res.text().contains("https"), "{}", res.text());
    let res = app
        .register_raw(&json!({"clientName": "Shop", "returnUrl": "https://shop.example/hook"}))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
}
