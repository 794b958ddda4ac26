//! The HTTP workloads: signed merchant requests and signed acquirer webhooks.

use std::{
    cell::RefCell,
    rc::Rc,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use domain::signing::{CanonicalRequest, WebhookKey};
use serde_json::{Value, json};

use crate::{Args, Workload, report::Report};

static SEQ: AtomicU64 = AtomicU64::new(0);

#[derive(Clone)]
struct Merchant {
    id: String,
    secret: String,
}

#[derive(Clone)]
struct Target {
    http: awc::Client,
    base: String,
}

impl Target {
    async fn signed(
        &self,
        m: &Merchant,
        method: &str,
        path: &str,
        body: &str,
    ) -> (u16, Option<Value>) {
        let ts = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).to_string();
        let nonce = format!(
            "bench-{}-{:016x}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let sig = CanonicalRequest {
            method,
            path,
            query: "",
            timestamp: &ts,
            nonce: &nonce,
            body: body.as_bytes(),
        }
        .sign(m.secret.as_bytes());
        let req = self
            .http
            .request(
                method.parse().unwrap_or(awc::http::Method::GET),
                format!("{}{path}", self.base),
            )
            .insert_header(("x-client-id", m.id.as_str()))
            .insert_header(("x-timestamp", ts.as_str()))
            .insert_header(("x-nonce", nonce.as_str()))
            .insert_header(("x-signature", sig.as_str()));
        let sent = if body.is_empty() {
            req.send().await
        } else {
            req.insert_header(("content-type", "application/json"))
                .send_body(body.to_owned())
                .await
        };
        match sent {
            Ok(mut res) => {
                let status = res.status().as_u16();
                let json = res.json::<Value>().limit(1 << 20).await.ok();
                (status, json)
            }
            Err(_) => (0, None),
        }
    }

    async fn register(&self, token: &str, n: usize) -> anyhow::Result<Vec<Merchant>> {
        let mut out = Vec::new();
        for i in 0..n {
            let mut res = self
                .http
                .post(format!("{}/admin/api/merchants", self.base))
                .insert_header(("authorization", format!("Bearer {token}")))
                .send_json(&json!({ "clientName": format!("bench-{i}") }))
                .await
                .map_err(|e| anyhow::anyhow!("registering a merchant: {e}"))?;
            let body: Value = res.json().await.context("registration body")?;
            if res.status().as_u16() != 201 {
                bail!("registration answered {}: {body}", res.status());
            }
            out.push(Merchant {
                id: body["clientId"].as_str().unwrap_or_default().to_owned(),
                secret: body["clientSecret"].as_str().unwrap_or_default().to_owned(),
            });
        }
        Ok(out)
    }
}

fn create_body(amount: i64) -> String {
    json!({ "orderNo": format!("b-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed)), "amount": amount, "methodCode": "CARD" })
        .to_string()
}

/// Payments to read or approve, prepared before measuring.
async fn prepare(target: &Target, merchants: &[Merchant], count: usize) -> Vec<(Merchant, String)> {
    let mut out = Vec::new();
    for i in 0..count {
        let m = &merchants[i % merchants.len()];
        let (status, json) = target
            .signed(m, "POST", "/api/payments", &create_body(15_002))
            .await;
        if status == 201
            && let Some(key) = json.and_then(|j| j["paymentKey"].as_str().map(str::to_owned))
        {
            out.push((m.clone(), key));
        }
    }
    out
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let target = Target {
        http,
        base: args.url.trim_end_matches('/').to_owned(),
    };
    let merchants = target
        .register(&args.admin_token, args.merchants.max(1))
        .await?;
    let pool = match args.workload {
        Workload::Read => prepare(&target, &merchants, 200).await,
        // Enough READY payments that each webhook approves a fresh one.
        // Each webhook approves a fresh READY payment; if they run out the run ends early and the
        // throughput is computed over the time actually measured.
        Workload::Webhook => {
            prepare(
                &target,
                &merchants,
                (1_500 * args.duration as usize + 100 * args.concurrency).min(30_000),
            )
            .await
        }
        _ => Vec::new(),
    };
    let pool = Rc::new(pool);
    let webhook_key = WebhookKey::parse(&args.acquirer_secret)
        .map_err(|e| anyhow::anyhow!("acquirer secret {e}"))?;
    let next = Rc::new(RefCell::new(0usize));
    let start = Instant::now();
    let measure_from = start + args.warmup();
    let stop_at = measure_from + args.measure();
    let mut workers = Vec::new();
    for w in 0..args.concurrency.max(1) {
        let (target, merchants, pool, key, next) = (
            target.clone(),
            merchants.clone(),
            pool.clone(),
            webhook_key.clone(),
            next.clone(),
        );
        let (workload, pacing, stagger) = (args.workload, args.pacing(), args.stagger(w));
        workers.push(actix_web::rt::spawn(async move {
            let mut report = Report::new();
            actix_web::rt::time::sleep(stagger).await;
            let m = merchants[w % merchants.len()].clone();
            let mut i = 0usize;
            while Instant::now() < stop_at {
                let began = Instant::now();
                let outcome = match workload {
                    Workload::Create => target
                        .signed(&m, "POST", "/api/payments", &create_body(15_002))
                        .await
                        .0
                        .to_string(),
                    Workload::Read => {
                        i += 1;
                        let (owner, key) = &pool[(w * 7919 + i) % pool.len().max(1)];
                        target
                            .signed(owner, "GET", &format!("/api/payments/{key}"), "")
                            .await
                            .0
                            .to_string()
                    }
                    Workload::Flow => flow(&target, &m).await,
                    Workload::Webhook => {
                        let idx = {
                            let mut n = next.borrow_mut();
                            *n += 1;
                            *n - 1
                        };
                        match pool.get(idx) {
                            Some((_, payment_key)) => webhook(&target, &key, payment_key).await,
                            None => break,
                        }
                    }
                    Workload::Raw => "unsupported".to_owned(),
                };
                if began >= measure_from {
                    report.record(began.elapsed(), &outcome);
                }
                if let Some(p) = pacing {
                    let spent = began.elapsed();
                    if spent < p {
                        actix_web::rt::time::sleep(p - spent).await;
                    }
                }
            }
            report
        }));
    }
    let mut total = Report::new();
    for w in workers {
        if let Ok(r) = w.await {
            total.merge(&r);
        }
    }
    total.elapsed = Instant::now()
        .saturating_duration_since(measure_from)
        .min(args.measure());
    Ok(total)
}

/// create → poll until APPROVED (the mock's webhook) → complete; one outcome for the lot.
async fn flow(target: &Target, m: &Merchant) -> String {
    let (status, json) = target
        .signed(m, "POST", "/api/payments", &create_body(15_000))
        .await;
    let Some(key) = json
        .filter(|_| status == 201)
        .and_then(|j| j["paymentKey"].as_str().map(str::to_owned))
    else {
        return format!("create-{status}");
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, json) = target
            .signed(m, "GET", &format!("/api/payments/{key}"), "")
            .await;
        if json.as_ref().is_some_and(|j| j["status"] == "APPROVED") {
            break;
        }
        if status != 200 || Instant::now() > deadline {
            return format!("poll-{status}");
        }
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
    target
        .signed(m, "POST", &format!("/api/payments/{key}/complete"), "")
        .await
        .0
        .to_string()
}

/// One signed acquirer webhook approving a READY payment.
async fn webhook(target: &Target, key: &WebhookKey, payment_key: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let body = json!({ "paymentKey": payment_key, "transactionId": format!("bench-tx-{n}"), "status": "APPROVED", "amount": 15_002 }).to_string();
    let id = format!("msg_bench_{n}");
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let sent = target
        .http
        .post(format!("{}/api/webhook/payment", target.base))
        .insert_header(("content-type", "application/json"))
        .insert_header(("webhook-id", id.as_str()))
        .insert_header(("webhook-timestamp", ts.to_string()))
        .insert_header(("webhook-signature", key.sign(&id, ts, body.as_bytes())))
        .send_body(body)
        .await;
    match sent {
        Ok(mut res) => {
            let _ = res.body().await;
            res.status().as_u16().to_string()
        }
        Err(_) => "0".to_owned(),
    }
}
