//! The HTTP workloads: signed merchant requests and signed acquirer webhooks.

use std::{
    cell::RefCell,
    rc::Rc,
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use anyhow::Context;
use domain::signing::WebhookKey;
use serde_json::{Value, json};
use test_support::{Api, Merchant, STAYS_READY, order_body};

use crate::{Args, Workload, report::Report};

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A merchant request signed by `m`; its status (0 when it got no answer) and JSON body
/// (`Null` when there is none).
async fn signed(api: &Api, m: &Merchant, method: &str, path: &str, body: &str) -> (u16, Value) {
    let body = Some(body).filter(|b| !b.is_empty());
    match api.signed(m, method, path, body, &[]).await {
        Ok(reply) => (reply.status, reply.json),
        Err(_) => (0, Value::Null),
    }
}

async fn register(api: &Api, n: usize) -> anyhow::Result<Vec<Merchant>> {
    let mut out = Vec::new();
    for i in 0..n {
        let merchant = api
            .register_merchant(&format!("bench-{i}"), None)
            .await
            .context("registering a merchant")?;
        out.push(merchant);
    }
    Ok(out)
}

/// A create of `amount` with an order number unique to this run.
pub fn create_body(amount: i64) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    order_body(&format!("b-{}-{n}", std::process::id()), amount)
}

/// Payments to read or approve, prepared before measuring.
async fn prepare(target: &Api, merchants: &[Merchant], count: usize) -> Vec<(Merchant, String)> {
    let mut out = Vec::new();
    for i in 0..count {
        let m = &merchants[i % merchants.len()];
        let (status, json) = signed(
            target,
            m,
            "POST",
            "/api/payments",
            &create_body(STAYS_READY),
        )
        .await;
        if status == 201
            && let Some(key) = json["paymentKey"].as_str()
        {
            out.push((m.clone(), key.to_owned()));
        }
    }
    out
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let target = Api::new(args.url.as_str()).with_admin_token(args.admin_token.as_str());
    let merchants = if args.workload == Workload::Bare {
        // The bare server checks no signature: any merchant signs the same bytes.
        vec![Merchant {
            client_id: "mch_bare".to_owned(),
            client_secret: "c2VjcmV0LWJhcmUtY2VpbGluZw==".to_owned(),
            webhook_secret: String::new(),
        }]
    } else {
        register(&target, args.merchants.max(1)).await?
    };
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
                    Workload::Create | Workload::Bare => signed(
                        &target,
                        &m,
                        "POST",
                        "/api/payments",
                        &create_body(STAYS_READY),
                    )
                    .await
                    .0
                    .to_string(),
                    Workload::Read => {
                        i += 1;
                        let (owner, key) = &pool[(w * 7919 + i) % pool.len().max(1)];
                        signed(&target, owner, "GET", &format!("/api/payments/{key}"), "")
                            .await
                            .0
                            .to_string()
                    }
                    Workload::Flow => "unsupported".to_owned(),
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
                    Workload::Raw
                    | Workload::RawFlow
                    | Workload::BareServer
                    | Workload::Settle
                    | Workload::CancelHot
                    | Workload::CancelSpread => "unsupported".to_owned(),
                };
                if began >= measure_from {
                    report.record(began.elapsed(), &outcome);
                }
                crate::report::pace(began, pacing).await;
            }
            report
        }));
    }
    Ok(crate::report::gather(workers, measure_from, args.measure()).await)
}

/// One signed acquirer webhook approving a READY payment.
async fn webhook(target: &Api, key: &WebhookKey, payment_key: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let body = json!({ "paymentKey": payment_key, "transactionId": format!("bench-tx-{n}"), "status": "APPROVED", "amount": STAYS_READY }).to_string();
    let id = format!("msg_bench_{n}");
    match target.acquirer_webhook(key, &id, &body).await {
        Ok(reply) => reply.status.to_string(),
        Err(_) => "0".to_owned(),
    }
}
