//! The merchant's webhook receiver of the flow workload: an HTTP server on a loopback port that
//! verifies every notification's Standard Webhooks signature with the merchants' webhook secrets,
//! notes when each `(paymentKey, type)` arrived, and hands that instant to the worker waiting for
//! it — as a merchant's backend learns of an approval.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use domain::signing::WebhookKey;
use serde_json::Value;
use tokio::sync::oneshot;

/// A notification awaited or already here.
enum Slot {
    Waiting(oneshot::Sender<Instant>),
    Arrived(Instant),
}

/// What arrived, by payment key and event type.
pub struct Inbox {
    /// The merchants' webhook secrets (set once they are registered with this receiver's URL).
    keys: RwLock<Vec<WebhookKey>>,
    slots: Mutex<HashMap<(String, String), Slot>>,
    /// Notifications whose signature verified with no merchant's secret (answered 400).
    pub forged: AtomicU64,
}

impl Inbox {
    fn arrive(&self, key: String, event: String, at: Instant) {
        let Ok(mut slots) = self.slots.lock() else {
            return;
        };
        match slots.remove(&(key.clone(), event.clone())) {
            Some(Slot::Waiting(tx)) => {
                let _ = tx.send(at);
            }
            // A redelivery of one already seen keeps the first arrival.
            Some(Slot::Arrived(first)) => {
                slots.insert((key, event), Slot::Arrived(first));
            }
            None => {
                slots.insert((key, event), Slot::Arrived(at));
            }
        }
    }

    /// When the `event` notification of payment `key` arrived; waits up to `timeout`.
    pub async fn wait(&self, key: &str, event: &str, timeout: Duration) -> Option<Instant> {
        let rx = {
            let mut slots = self.slots.lock().ok()?;
            let id = (key.to_owned(), event.to_owned());
            if let Some(Slot::Arrived(at)) = slots.remove(&id) {
                return Some(at);
            }
            let (tx, rx) = oneshot::channel();
            slots.insert(id, Slot::Waiting(tx));
            rx
        };
        tokio::time::timeout(timeout, rx).await.ok()?.ok()
    }
}

/// The receiver, running; `url` is what merchants register as `returnUrl`.
pub struct Receiver {
    pub url: String,
    pub inbox: Arc<Inbox>,
    handle: ServerHandle,
}

impl Receiver {
    /// Starts on a free loopback port; it accepts nothing until [`Self::set_keys`].
    pub async fn start() -> anyhow::Result<Self> {
        let inbox = Arc::new(Inbox {
            keys: RwLock::new(Vec::new()),
            slots: Mutex::new(HashMap::new()),
            forged: AtomicU64::new(0),
        });
        let data = web::Data::from(inbox.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/hook", web::post().to(hook))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))?;
        let port = server
            .addrs()
            .first()
            .map(|a| a.port())
            .ok_or_else(|| anyhow::anyhow!("the receiver bound no address"))?;
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Ok(Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            inbox,
            handle,
        })
    }

    /// The merchants' webhook secrets (`whsec_…`), known once they are registered with
    /// [`Self::url`] as their `returnUrl`.
    pub fn set_keys(&self, secrets: &[String]) -> anyhow::Result<()> {
        let keys = secrets
            .iter()
            .map(|s| WebhookKey::parse(s).map_err(|e| anyhow::anyhow!("webhook secret {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut held = self
            .inbox
            .keys
            .write()
            .map_err(|_| anyhow::anyhow!("the receiver's lock is poisoned"))?;
        *held = keys;
        Ok(())
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn hook(req: HttpRequest, body: web::Bytes, inbox: web::Data<Inbox>) -> HttpResponse {
    let at = Instant::now();
    let (Some(id), Some(ts), Some(sig)) = (
        header(&req, "webhook-id"),
        header(&req, "webhook-timestamp").and_then(|t| t.parse::<i64>().ok()),
        header(&req, "webhook-signature"),
    ) else {
        inbox.forged.fetch_add(1, Ordering::Relaxed);
        return HttpResponse::BadRequest().finish();
    };
    let verified = inbox
        .keys
        .read()
        .is_ok_and(|keys| keys.iter().any(|k| k.verify(id, ts, &body, sig)));
    if !verified {
        inbox.forged.fetch_add(1, Ordering::Relaxed);
        return HttpResponse::BadRequest().finish();
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().finish();
    };
    if let (Some(event), Some(key)) = (json["type"].as_str(), json["data"]["paymentKey"].as_str()) {
        inbox.arrive(key.to_owned(), event.to_owned(), at);
    }
    HttpResponse::Ok().finish()
}
