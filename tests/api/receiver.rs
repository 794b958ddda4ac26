//! A tiny HTTP server started by a test: it plays the merchant's `returnUrl` receiver or a stub
//! acquirer. It records every request (method, path, headers, raw body, arrival time) and answers
//! from a programmable script (e.g. 500 twice, then 200).

use std::{
    collections::VecDeque,
    net::TcpListener,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, http::StatusCode, web};
use serde_json::Value;

use crate::{helpers::eventually, standard_webhooks};

/// One answer of the receiver.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            location: None,
            body: format!("status {status} from the test receiver"),
        }
    }

    pub fn with_body(status: u16, body: &str) -> Self {
        Self {
            status,
            location: None,
            body: body.to_owned(),
        }
    }

    pub fn redirect(status: u16, location: &str) -> Self {
        Self {
            status,
            location: Some(location.to_owned()),
            body: String::new(),
        }
    }
}

/// The next answers in order, then `then` for every later request.
#[derive(Clone, Debug)]
pub struct Script {
    pub first: VecDeque<Reply>,
    pub then: Reply,
}

impl Script {
    /// Always the same answer.
    pub fn always(reply: Reply) -> Self {
        Self {
            first: VecDeque::new(),
            then: reply,
        }
    }

    /// `first` in order, then `then` forever.
    pub fn first_then(first: Vec<Reply>, then: Reply) -> Self {
        Self {
            first: first.into(),
            then,
        }
    }

    /// A stub acquirer's: takes the payment request (202, transaction `stub-tx-1`), then
    /// answers every request after it with `then`.
    pub fn stub_acquirer_then(then: Reply) -> Self {
        Self::first_then(
            vec![Reply::with_body(202, r#"{"transactionId":"stub-tx-1"}"#)],
            then,
        )
    }

    fn next(&mut self) -> Reply {
        self.first.pop_front().unwrap_or_else(|| self.then.clone())
    }
}

/// A request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Lower-case names, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
    /// The status it was answered with.
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn webhook_id(&self) -> &str {
        self.header("webhook-id").unwrap_or("")
    }

    /// `type` of a merchant event.
    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or("").to_owned()
    }

    /// `data.paymentKey` of a merchant event, or `paymentKey` of an acquirer request.
    pub fn payment_key(&self) -> String {
        let json = self.json();
        json["data"]["paymentKey"]
            .as_str()
            .or_else(|| json["paymentKey"].as_str())
            .unwrap_or("")
            .to_owned()
    }

    /// The merchant event, verified by the client crate's verifier with any of `secrets` (the
    /// production path of a merchant backend; [`Received::verify`] is the independent check).
    pub fn verified_event(
        &self,
        secrets: &[&str],
    ) -> Result<simplepg_client::WebhookEvent, simplepg_client::WebhookError> {
        let secrets = secrets
            .iter()
            .map(|s| simplepg_client::WebhookSecret::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        simplepg_client::WebhookVerifier::new(secrets).verify(self.headers.as_slice(), &self.body)
    }

    /// Standard Webhooks verification with `secret` (our own verifier).
    pub fn verify(&self, secret: &str) -> Result<(), standard_webhooks::Rejected> {
        standard_webhooks::verify_at(
            secret,
            self.header("webhook-id"),
            self.header("webhook-timestamp"),
            self.header("webhook-signature"),
            &self.body,
            standard_webhooks::now_secs(),
        )
    }
}

struct Shared {
    requests: Mutex<Vec<Received>>,
    script: Mutex<Script>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running receiver on `127.0.0.1:<free port>`.
pub struct Receiver {
    pub base_url: String,
    shared: Arc<Shared>,
}

async fn record(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let reply = lock(&shared.script).next();
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    lock(&shared.requests).push(Received {
        method: req.method().as_str().to_owned(),
        path: req.path().to_owned(),
        headers,
        body: body.to_vec(),
        at: Instant::now(),
        answered: reply.status,
    });
    let status = StatusCode::from_u16(reply.status).expect("a valid status code");
    let mut res = HttpResponse::build(status);
    if let Some(location) = &reply.location {
        res.insert_header(("location", location.as_str()));
    }
    res.content_type("text/plain").body(reply.body)
}

impl Receiver {
    /// Starts a receiver answering with `script`.
    pub async fn start(script: Script) -> Self {
        Self::start_with(script, None).await
    }

    /// Starts a receiver that speaks HTTPS with `tls` (its `base_url` is `https://127.0.0.1:…`).
    pub async fn start_tls(script: Script, tls: rustls::ServerConfig) -> Self {
        Self::start_with(script, Some(tls)).await
    }

    async fn start_with(script: Script, tls: Option<rustls::ServerConfig>) -> Self {
        let shared = web::Data::new(Shared {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(script),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("a bound address").port();
        let data = shared.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0);
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config),
            None => server.listen(listener),
        }
        .expect("the receiver listens")
        .run();
        actix_web::rt::spawn(server);
        Self {
            base_url: format!("{scheme}://127.0.0.1:{port}"),
            shared: shared.into_inner(),
        }
    }

    /// Answers 200 to everything.
    pub async fn ok() -> Self {
        Self::start(Script::always(Reply::status(200))).await
    }

    /// The absolute URL of `path` on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Replaces the script for the requests to come.
    pub fn set_script(&self, script: Script) {
        *lock(&self.shared.script) = script;
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Received> {
        lock(&self.shared.requests).clone()
    }

    /// The requests to `path`, in arrival order.
    pub fn requests_to(&self, path: &str) -> Vec<Received> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// The requests carrying merchant events of this payment, in arrival order.
    pub fn events_of(&self, payment_key: &str) -> Vec<Received> {
        self.requests()
            .into_iter()
            .filter(|r| r.payment_key() == payment_key)
            .collect()
    }

    /// Waits (up to `timeout`) for the first merchant event `event_type` of the payment.
    pub async fn wait_for_event(
        &self,
        payment_key: &str,
        event_type: &str,
        timeout: Duration,
    ) -> Received {
        let filter = |r: &Received| r.payment_key() == payment_key && r.event_type() == event_type;
        self.wait_for(event_type, 1, timeout, filter)
            .await
            .remove(0)
    }

    /// Waits until at least `count` requests matched `filter`; returns all that match.
    pub async fn wait_for(
        &self,
        what: &str,
        count: usize,
        timeout: Duration,
        filter: impl Fn(&Received) -> bool,
    ) -> Vec<Received> {
        eventually(what, timeout, || {
            let matching: Vec<Received> = self.requests().into_iter().filter(&filter).collect();
            let found = matching.len();
            async move {
                if found >= count {
                    Ok(matching)
                } else {
                    Err(format!("{found} of {count} requests so far"))
                }
            }
        })
        .await
    }
}
