//! `simplepg listen`: a tiny local receiver for a merchant's `returnUrl`, for trying SimplePG
//! out (README walk-through). It prints every request it gets and, given the merchant's webhook
//! secret, verifies each delivery's Standard Webhooks signature and timestamp (with the
//! merchant client crate's verifier, as a real receiver would; docs/webhooks.md).
//!
//! Answers: `204` for a delivery that verifies (or for any request when no secret is given),
//! `401` for one that does not — SimplePG then retries it on its schedule, as it would against
//! a real receiver that refuses a delivery.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, http::StatusCode, web};
use clap::Args;
use simplepg_client::{WebhookSecret, WebhookVerifier};
use time::OffsetDateTime;

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The merchant's webhook secret (`whsec_...`): verify every delivery and answer 401 to one
    /// that does not verify. Without it, deliveries are printed unverified.
    #[arg(long, env = "SIMPLEPG_WEBHOOK_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Accepted clock skew of `webhook-timestamp` in seconds (0 = do not check the timestamp).
    #[arg(long, default_value_t = 300)]
    pub tolerance: u64,
}

/// Where the receiver writes what it got: standard output, or a buffer in tests.
#[derive(Clone)]
pub enum Output {
    Stdout,
    Buffer(Arc<Mutex<Vec<String>>>),
}

impl Output {
    fn write(&self, text: String) {
        match self {
            Self::Stdout => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                // A closed pipe must not take the receiver down.
                let _ = writeln!(out, "{text}");
                let _ = out.flush();
            }
            Self::Buffer(lines) => lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(text),
        }
    }
}

/// What one receiver needs: the verifier (when a secret was given) and where to print.
#[derive(Clone)]
pub struct Receiver {
    verifier: Option<WebhookVerifier>,
    output: Output,
}

impl Receiver {
    /// A receiver for `args`; fails on a malformed secret.
    pub fn new(args: &ListenArgs, output: Output) -> anyhow::Result<Self> {
        let verifier = match &args.secret {
            None => None,
            Some(secret) => {
                let secret =
                    WebhookSecret::parse(secret).map_err(|e| anyhow::anyhow!("--secret: {e}"))?;
                let verifier = WebhookVerifier::new([secret]);
                Some(if args.tolerance == 0 {
                    verifier.without_timestamp_check()
                } else {
                    verifier.with_tolerance(Duration::from_secs(args.tolerance))
                })
            }
        };
        Ok(Self { verifier, output })
    }

    /// Describes one request and decides the answer's status (pure apart from `now`).
    pub fn receive(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
        now: OffsetDateTime,
    ) -> (StatusCode, String) {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .unwrap_or("-")
        };
        let (status, verdict) = match &self.verifier {
            None => (
                StatusCode::NO_CONTENT,
                "not verified (no --secret)".to_owned(),
            ),
            Some(verifier) => match verifier.verify_signature_at(headers, body, now) {
                Ok(_) => (StatusCode::NO_CONTENT, "signature valid".to_owned()),
                Err(e) => (StatusCode::UNAUTHORIZED, format!("signature INVALID: {e}")),
            },
        };
        let event: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |pointer: &str| {
            event
                .as_ref()
                .and_then(|e| e.pointer(pointer))
                .and_then(|v| v.as_str())
                .unwrap_or("-")
                .to_owned()
        };
        let text = format!(
            "--- {method} {path}  webhook-id {id}  {verdict} -> {status}\n\
             {kind}  status={pstatus}  orderNo={order}  paymentKey={key}\n{body}",
            id = header("webhook-id"),
            status = status.as_u16(),
            kind = field("/type"),
            pstatus = field("/data/status"),
            order = field("/data/orderNo"),
            key = field("/data/paymentKey"),
            body = String::from_utf8_lossy(body),
        );
        (status, text)
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    receiver: web::Data<Receiver>,
) -> HttpResponse {
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
    let (status, text) = receiver.receive(
        req.method().as_str(),
        &path,
        &headers,
        &body,
        OffsetDateTime::now_utc(),
    );
    receiver.output.write(text);
    HttpResponse::build(status).finish()
}

/// The receiver as an actix-web app: every method and path is handled the same way.
pub fn app(
    receiver: Receiver,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(receiver))
        .app_data(web::PayloadConfig::new(1024 * 1024))
        .default_service(web::to(receive))
}

/// Runs the receiver until Ctrl-C.
pub async fn run(args: &ListenArgs) -> anyhow::Result<()> {
    let receiver = Receiver::new(args, Output::Stdout)?;
    let verifying = receiver.verifier.is_some();
    let server = HttpServer::new(move || app(receiver.clone()))
        .workers(1)
        .bind((args.host.as_str(), args.port))?;
    for addr in server.addrs() {
        println!(
            "listening on http://{addr}/ ({}); Ctrl-C to stop",
            if verifying {
                "verifying signatures"
            } else {
                "not verifying: pass --secret whsec_... to verify"
            }
        );
    }
    server.run().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use actix_web::test as web_test;
    use domain::signing::WebhookKey;

    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn args(secret: Option<&str>) -> ListenArgs {
        ListenArgs {
            port: 0,
            host: "127.0.0.1".into(),
            secret: secret.map(Into::into),
            tolerance: 300,
        }
    }

    fn signed(body: &str, timestamp: i64) -> web_test::TestRequest {
        let key = WebhookKey::parse(SECRET).unwrap();
        web_test::TestRequest::post()
            .uri("/webhooks")
            .insert_header(("content-type", "application/json"))
            .insert_header(("webhook-id", "evt_1"))
            .insert_header(("webhook-timestamp", timestamp.to_string()))
            .insert_header((
                "webhook-signature",
                key.sign("evt_1", timestamp, body.as_bytes()),
            ))
            .set_payload(body.to_owned())
    }

    const EVENT: &str = r#"{"type":"payment.approved","timestamp":"2026-11-24T08:00:05.120Z","data":{"paymentKey":"ab12","orderNo":"ORDER-1","status":"APPROVED"}}"#;

    /// Sends `requests`, in order, to a receiver with this secret (or none); the status of each
    /// answer and all that the receiver printed.
    async fn deliver(
        secret: Option<&str>,
        requests: Vec<web_test::TestRequest>,
    ) -> (Vec<u16>, String) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let receiver = Receiver::new(&args(secret), Output::Buffer(lines.clone())).unwrap();
        let app = web_test::init_service(app(receiver)).await;
        let mut statuses = Vec::new();
        for req in requests {
            let res = web_test::call_service(&app, req.to_request()).await;
            statuses.push(res.status().as_u16());
        }
        let printed = lines.lock().unwrap().join("\n");
        (statuses, printed)
    }

    fn now() -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }

    #[actix_web::test]
    async fn a_signed_delivery_is_printed_verified_and_answered_204() {
        let (statuses, printed) = deliver(Some(SECRET), vec![signed(EVENT, now())]).await;

        assert_eq!(statuses, [204]);
        assert!(
            printed.contains("POST /webhooks  webhook-id evt_1  signature valid -> 204"),
            "{printed}"
        );
        assert!(
            printed.contains("payment.approved  status=APPROVED  orderNo=ORDER-1  paymentKey=ab12"),
            "{printed}"
        );
        assert!(printed.ends_with(EVENT), "{printed}");
    }

    #[actix_web::test]
    async fn a_tampered_unsigned_or_stale_delivery_is_refused_with_401() {
        let now = now();
        let tampered = signed(EVENT, now).set_payload(EVENT.replace("ORDER-1", "ORDER-2"));
        let unsigned = web_test::TestRequest::post()
            .uri("/webhooks")
            .set_payload(EVENT);
        let stale = signed(EVENT, now - 3600);

        let (statuses, printed) = deliver(Some(SECRET), vec![tampered, unsigned, stale]).await;

        assert_eq!(statuses, [401, 401, 401]);
        assert!(
            printed.contains("signature INVALID: no signature in webhook-signature matches"),
            "{printed}"
        );
        assert!(
            printed.contains("signature INVALID: the webhook-id header is missing"),
            "{printed}"
        );
        assert!(printed.contains("more than the tolerance"), "{printed}");
    }

    #[actix_web::test]
    async fn without_a_secret_everything_is_printed_and_accepted() {
        let req = web_test::TestRequest::post()
            .uri("/hook?x=1")
            .set_payload("not json");

        let (statuses, printed) = deliver(None, vec![req]).await;

        assert_eq!(statuses, [204]);
        assert!(
            printed.contains("POST /hook?x=1  webhook-id -  not verified (no --secret) -> 204"),
            "{printed}"
        );
        assert!(printed.ends_with("not json"), "{printed}");
    }

    #[test]
    fn a_malformed_secret_is_refused_up_front() {
        assert!(Receiver::new(&args(Some("sk_not_a_webhook_secret")), Output::Stdout).is_err());
    }

    #[test]
    fn listen_is_a_subcommand_with_a_port() {
        use clap::Parser;
        let cli =
            crate::cli::Cli::try_parse_from(["simplepg", "listen", "--port", "9100"]).unwrap();
        match cli.command {
            Some(crate::cli::Command::Listen(a)) => assert_eq!(a.port, 9100),
            other => panic!("{other:?}"),
        }
    }
}
