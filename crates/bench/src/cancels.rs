//! Partial cancels (issue 19): what the money invariant costs. Every payment of 10,002 KRW
//! takes exactly ten cancels of 1,000 (the 11th is refused: only 2 are left). `cancel-hot`: all
//! workers cancel the **same** payment at once, so its cancels race on its version (reserve,
//! acquirer call, settle) and the losers of the last 1,000 are refused, then all move to the next
//! payment; `cancel-spread`: each worker cancels payments of its own, the same work without the
//! contention. At the end, once no cancel is PENDING, the
//! tool checks the invariant from the outside: `canceledAmount` is the sum of the SUCCEEDED
//! cancels and never exceeds the amount, every cancel answered 200 is among them, and none
//! succeeded that was not answered 200 or 202 — a run that breaks it is an error, not a number.

use std::{
    cell::Cell,
    rc::Rc,
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use anyhow::{Context, bail};
use domain::signing::WebhookKey;
use serde_json::json;
use test_support::{Api, Merchant};

use crate::{Args, Workload, report::Report};

/// The payments' amount: the mock acquirer stays silent on `…002` (this tool approves them
/// itself) and cancels them at once.
const AMOUNT: i64 = 10_002;
/// One cancel: ten fit in [`AMOUNT`].
const PART: i64 = 1_000;
/// Payments prepared for a run (created, approved, completed before measuring).
const POOL: usize = 400;

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A completed payment of [`AMOUNT`]: created, approved by a signed acquirer webhook, completed.
async fn completed_payment(
    target: &Api,
    m: &Merchant,
    acquirer: &WebhookKey,
) -> anyhow::Result<String> {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let order = format!("cx-{}-{n}", std::process::id());
    let key = target
        .created_payment_key(m, &order, AMOUNT)
        .await
        .context("creating a payment")?;
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
        .complete(m, &key)
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
    let mut pool = Vec::new();
    for _ in 0..POOL {
        pool.push(completed_payment(&target, &m, &acquirer).await?);
    }
    let hot = args.workload == Workload::CancelHot;
    // 200s and 202s per payment, warm-up included (the invariant is over everything).
    let succeeded: Rc<Vec<Cell<i64>>> = Rc::new(pool.iter().map(|_| Cell::new(0)).collect());
    let accepted: Rc<Vec<Cell<i64>>> = Rc::new(pool.iter().map(|_| Cell::new(0)).collect());
    // The payment every worker cancels (hot), or the next one a worker takes (spread).
    let current = Rc::new(Cell::new(0usize));
    let used = Rc::new(Cell::new(0usize));
    let pool = Rc::new(pool);
    let start = Instant::now();
    let measure_from = start + args.warmup();
    let stop_at = measure_from + args.measure();
    let mut handles = Vec::new();
    for w in 0..workers {
        let (target, m, pool, succeeded, accepted, current, used) = (
            target.clone(),
            m.clone(),
            pool.clone(),
            succeeded.clone(),
            accepted.clone(),
            current.clone(),
            used.clone(),
        );
        let (pacing, stagger) = (args.pacing(), args.stagger(w));
        handles.push(actix_web::rt::spawn(async move {
            let mut report = Report::new();
            actix_web::rt::time::sleep(stagger).await;
            let take = || {
                let next = used.get();
                used.set(next + 1);
                next
            };
            let mut mine = if hot { current.get() } else { take() };
            while Instant::now() < stop_at {
                let p = if hot { current.get() } else { mine };
                let Some(key) = pool.get(p) else { break };
                let began = Instant::now();
                let outcome = match target.cancel(&m, key, "bench", Some(PART)).await {
                    Ok(r) => {
                        match r.status {
                            200 => succeeded[p].set(succeeded[p].get() + 1),
                            202 => accepted[p].set(accepted[p].get() + 1),
                            _ => {}
                        }
                        let exhausted = r.json["code"] == "CANCEL_AMOUNT_EXCEEDED";
                        if exhausted {
                            if hot {
                                // The first to see it moves everyone on.
                                if current.get() == p {
                                    current.set(p + 1);
                                }
                            } else {
                                mine = take();
                            }
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
                crate::report::pace(began, pacing).await;
            }
            report
        }));
    }
    let mut total = crate::report::gather(handles, measure_from, args.measure()).await;
    let touched = if hot { current.get() + 1 } else { used.get() };
    for (i, key) in pool.iter().enumerate().take(touched.min(pool.len())) {
        let p = settled(&target, &m, key).await?;
        let canceled = p["canceledAmount"].as_i64().unwrap_or(-1);
        let cancels = test_support::cancels(&p);
        let done: Vec<_> = cancels
            .iter()
            .filter(|c| c["status"] == "SUCCEEDED")
            .collect();
        let done_sum: i64 = done.iter().filter_map(|c| c["amount"].as_i64()).sum();
        let (ok, maybe) = (succeeded[i].get(), accepted[i].get());
        let count = i64::try_from(done.len()).unwrap_or(i64::MAX);
        if canceled != done_sum || canceled > AMOUNT || count < ok || count > ok + maybe {
            eprintln!("{}", total.render(args));
            bail!(
                "the money invariant broke on {key}: canceledAmount {canceled}, SUCCEEDED cancels {count} summing {done_sum}, answered 200: {ok}, 202: {maybe}, amount {AMOUNT}"
            );
        }
    }
    if touched > pool.len() {
        total.note("pool-exhausted", 1);
    }
    Ok(total)
}

/// The payment once none of its cancels is PENDING any more (the outbox settles the 202s).
async fn settled(target: &Api, m: &Merchant, key: &str) -> anyhow::Result<serde_json::Value> {
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let p = target
            .payment(m, key)
            .await
            .context("reading a payment back")?;
        let pending = test_support::cancels(&p)
            .iter()
            .any(|c| c["status"] == "PENDING");
        if !pending {
            return Ok(p);
        }
        if Instant::now() > deadline {
            bail!("cancels of {key} still PENDING after a minute");
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
