//! The flow as a merchant lives it (issue 19): create → the `payment.approved` notification
//! arrives at the merchant's own webhook receiver (signature verified) → complete → the
//! `payment.completed` notification arrives. No polling. Besides the whole flow's latency it
//! reports the **approval latency**: from the create's 201 to the approved notification's
//! arrival. Run it against a server whose mock acquirer answers with no delay.

use std::{
    rc::Rc,
    time::{Duration, Instant},
};

use anyhow::Context;
use test_support::{Api, Merchant};

use crate::{Args, receiver::Receiver, report::Report};

/// How long a flow waits for one notification before it counts as lost.
const NOTIFICATION_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let target = Api::new(args.url.as_str()).with_admin_token(args.admin_token.as_str());
    let receiver = Receiver::start().await?;
    let mut merchants = Vec::new();
    for i in 0..args.merchants.max(1) {
        merchants.push(
            target
                .register_merchant(&format!("bench-flow-{i}"), Some(&receiver.url))
                .await
                .context("registering a merchant with the receiver's returnUrl")?,
        );
    }
    let secrets: Vec<String> = merchants.iter().map(|m| m.webhook_secret.clone()).collect();
    receiver.set_keys(&secrets)?;
    let merchants = Rc::new(merchants);
    let start = Instant::now();
    let measure_from = start + args.warmup();
    let stop_at = measure_from + args.measure();
    let mut workers = Vec::new();
    for w in 0..args.concurrency.max(1) {
        let (target, merchants, inbox) =
            (target.clone(), merchants.clone(), receiver.inbox.clone());
        let (pacing, stagger) = (args.pacing(), args.stagger(w));
        workers.push(actix_web::rt::spawn(async move {
            let mut report = Report::new();
            actix_web::rt::time::sleep(stagger).await;
            let m = &merchants[w % merchants.len()];
            while Instant::now() < stop_at {
                let began = Instant::now();
                let (outcome, approval) = flow(&target, m, &inbox).await;
                if began >= measure_from {
                    report.record(began.elapsed(), &outcome);
                    if let Some(a) = approval {
                        report.record_approval(a);
                    }
                }
                crate::report::pace(began, pacing).await;
            }
            report
        }));
    }
    let mut total = crate::report::gather(workers, measure_from, args.measure()).await;
    let forged = receiver
        .inbox
        .forged
        .load(std::sync::atomic::Ordering::Relaxed);
    if forged > 0 {
        total.note("notification-not-verified", forged);
    }
    receiver.stop().await;
    Ok(total)
}

/// One flow: its outcome (`200` when every step worked) and its approval latency.
async fn flow(
    target: &Api,
    m: &Merchant,
    inbox: &crate::receiver::Inbox,
) -> (String, Option<Duration>) {
    let body = crate::http::create_body(15_000);
    let created = target
        .signed(m, "POST", "/api/payments", Some(&body), &[])
        .await;
    let created_at = Instant::now();
    let key = match created {
        Ok(r) if r.status == 201 => match r.json["paymentKey"].as_str() {
            Some(k) => k.to_owned(),
            None => return ("create-no-key".into(), None),
        },
        Ok(r) => return (format!("create-{}", r.status), None),
        Err(_) => return ("create-0".into(), None),
    };
    let Some(approved_at) = inbox
        .wait(&key, "payment.approved", NOTIFICATION_TIMEOUT)
        .await
    else {
        return ("approved-not-notified".into(), None);
    };
    let approval = approved_at.saturating_duration_since(created_at);
    let completed = target.complete(m, &key).await;
    match completed {
        Ok(r) if r.status == 200 => {}
        Ok(r) => return (format!("complete-{}", r.status), Some(approval)),
        Err(_) => return ("complete-0".into(), Some(approval)),
    }
    if inbox
        .wait(&key, "payment.completed", NOTIFICATION_TIMEOUT)
        .await
        .is_none()
    {
        return ("completed-not-notified".into(), Some(approval));
    }
    ("200".into(), Some(approval))
}
