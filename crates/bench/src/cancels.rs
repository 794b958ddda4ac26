//! Partial cancels (issue 19): what the money invariant costs. `cancel-hot`: every worker
//! cancels 1 KRW at a time of **one** completed payment, so every cancel races the others on that
//! payment's version (reserve, acquirer call, settle); `cancel-spread`: each worker cancels its
//! own payment, the same work without the contention. At the end the tool checks the invariant
//! from the outside: each payment's `canceledAmount` equals the 1 KRW cancels that were answered
//! 200 on it, and never exceeds its amount — a run that breaks it is an error, not a number.

use std::{
    cell::Cell,
    rc::Rc,
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use anyhow::{Context, bail};
use domain::signing::WebhookKey;
use serde_json::json;
use test_support::{Api, Merchant, order_body};

use crate::{Args, Workload, report::Report};

/// The payments' amount: the mock acquirer stays silent on `…002` (this tool approves them
/// itself) and cancels them at once; large enough for a run of 1 KRW cancels.
const AMOUNT: i64 = 1_000_002;

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A completed payment of [`AMOUNT`]: created, approved by a signed acquirer webhook, completed.
async fn completed_payment(
    target: &Api,
    m: &Merchant,
    acquirer: &WebhookKey,
) -> anyhow::Result<String> {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let order = format!("cx-{}-{n}", std::process::id());
    let created = target
        .signed(
            m,
            "POST",
            "/api/payments",
            Some(&order_body(&order, AMOUNT)),
            &[],
        )
        .await
        .context("creating a payment")?;
    if created.status != 201 {
        bail!("create answered {}: {}", created.status, created.text());
    }
    let key = created.json["paymentKey"]
        .as_str()
        .context("the create answer has no paymentKey")?
        .to_owned();
    let body = json!({ "paymentKey": key, "transactionId": format!("bench-cx-tx-{n}"), "status": "APPROVED", "amount": AMOUNT }).to_string();
    let approved = target
        .acquirer_webhook(acquirer, &format!("msg_bench_cx_{n}"), &body)
        .await
        .context("approving the payment")?;
    if approved.status != 200 {
        bail!(
            "the approval answered {}: {}",
            approved.status,
            approved.text()
        );
    }
    let completed = target
        .signed(
            m,
            "POST",
            &format!("/api/payments/{key}/complete"),
            None,
            &[],
        )
        .await
        .context("completing the payment")?;
    if completed.status != 200 {
        bail!(
            "complete answered {}: {}",
            completed.status,
            completed.text()
        );
    }
    Ok(key)
}

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let target = Api::new(args.url.as_str()).with_admin_token(args.admin_token.as_str());
    let acquirer = WebhookKey::parse(&args.acquirer_secret)
        .map_err(|e| anyhow::anyhow!("acquirer secret {e}"))?;
    let m = target
        .register_merchant("bench-cancels", None)
        .await
        .context("registering a merchant")?;
    let workers = args.concurrency.max(1);
    let payments = if args.workload == Workload::CancelHot {
        vec![completed_payment(&target, &m, &acquirer).await?]
    } else {
        let mut all = Vec::new();
        for _ in 0..workers {
            all.push(completed_payment(&target, &m, &acquirer).await?);
        }
        all
    };
    // 200s per payment, warm-up included (the invariant is over everything).
    let succeeded: Rc<Vec<Cell<i64>>> = Rc::new(payments.iter().map(|_| Cell::new(0)).collect());
    let payments = Rc::new(payments);
    let start = Instant::now();
    let measure_from = start + args.warmup();
    let stop_at = measure_from + args.measure();
    let mut handles = Vec::new();
    for w in 0..workers {
        let (target, m, payments, succeeded) = (
            target.clone(),
            m.clone(),
            payments.clone(),
            succeeded.clone(),
        );
        let (pacing, stagger) = (args.pacing(), args.stagger(w));
        handles.push(actix_web::rt::spawn(async move {
            let mut report = Report::new();
            actix_web::rt::time::sleep(stagger).await;
            let p = w % payments.len();
            while Instant::now() < stop_at {
                let began = Instant::now();
                let outcome = match target.cancel(&m, &payments[p], "bench", Some(1)).await {
                    Ok(r) => {
                        if r.status == 200 {
                            succeeded[p].set(succeeded[p].get() + 1);
                        }
                        match r.json["code"].as_str() {
                            Some(code) => format!("{}-{code}", r.status),
                            None => r.status.to_string(),
                        }
                    }
                    Err(_) => "0".to_owned(),
                };
                if began >= measure_from {
                    report.record(began.elapsed(), &outcome);
                }
                if let Some(pace) = pacing {
                    let spent = began.elapsed();
                    if spent < pace {
                        actix_web::rt::time::sleep(pace - spent).await;
                    }
                }
            }
            report
        }));
    }
    let mut total = Report::new();
    for h in handles {
        if let Ok(r) = h.await {
            total.merge(&r);
        }
    }
    total.elapsed = Instant::now()
        .saturating_duration_since(measure_from)
        .min(args.measure());
    for (i, key) in payments.iter().enumerate() {
        let p = target
            .payment(&m, key)
            .await
            .context("reading a payment back")?;
        let canceled = p["canceledAmount"].as_i64().unwrap_or(-1);
        let answered = succeeded[i].get();
        if canceled != answered || canceled > AMOUNT {
            bail!(
                "the money invariant broke on {key}: canceledAmount {canceled}, 200 answers {answered}, amount {AMOUNT}"
            );
        }
    }
    Ok(total)
}
