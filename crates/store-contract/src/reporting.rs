//! Statistics (`PaymentStore::stats`) and the live feed (`audit_since`, `audit_by_ids`,
//! `last_log_id`, `attempts_since`, `attempts_by_ids`, `last_attempt_id`).

use std::time::Duration;

use domain::{
    Timestamp,
    ids::ClientId,
    money::Currency,
    operator::stats::{StatsCell, StatsFilter},
    outbox::{DeliveryAttempt, OutboxKind, SendReport},
    payment::{AuditAction, Command, FailureCode, Payment, PaymentStatus},
};

use crate::{
    StoreFactory,
    support::{
        Env, approve, at, cancel, confirm_cancel, message, new_cancel_id, request_cancel,
        unsaved_payment,
    },
};

/// `at(0)` is 08:00 UTC: the next UTC day starts 16 hours later.
const DAY: i64 = 16 * 3_600_000;

async fn create(
    env: &Env,
    client: &ClientId,
    order: &str,
    amount: i64,
    created: Timestamp,
) -> Payment {
    let (p, audit) = unsaved_payment(client, order, amount, created);
    env.payments.insert(&p, &audit, &[], None).await.unwrap();
    p
}

/// A full cancel of an APPROVED payment: the PENDING reservation, then the acquirer's yes.
async fn cancel_approved(env: &Env, p: Payment, now: Timestamp) -> Payment {
    let id = new_cancel_id();
    let p = env
        .apply(&p, request_cancel(&id, None, "customer asked"), now)
        .await;
    env.apply(&p, confirm_cancel(&id, None), now).await
}

fn fail() -> Command {
    Command::Fail {
        transaction_id: None,
        code: FailureCode::parse("CARD_DECLINED").unwrap(),
        message: None,
    }
}

fn sorted(mut cells: Vec<StatsCell>) -> Vec<(PaymentStatus, bool, u64, i64)> {
    cells.sort_by_key(|c| (c.status.as_str(), c.was_approved));
    cells
        .into_iter()
        .map(|c| (c.status, c.was_approved, c.count, c.amount))
        .collect()
}

/// Two merchants, two UTC days: on day 0 merchant A has one COMPLETED (1000), one APPROVED then
/// CANCELED (2000), one READY then CANCELED (3000) and one FAILED (4000); on day 1 merchant B
/// has one APPROVED (5000), one READY (6000) and one EXPIRED (7000).
async fn seed(env: &Env) -> (ClientId, ClientId) {
    let a = env.merchant("mch_stats_a").await;
    let b = env.merchant("mch_stats_b").await;
    let p = create(env, &a, "A-1", 1000, at(1_000)).await;
    let p = env.apply(&p, approve("tx-1"), at(2_000)).await;
    env.apply(&p, Command::Complete, at(3_000)).await;
    let p = create(env, &a, "A-2", 2000, at(1_000)).await;
    let p = env.apply(&p, approve("tx-1"), at(2_000)).await;
    cancel_approved(env, p, at(3_000)).await;
    let p = create(env, &a, "A-3", 3000, at(1_000)).await;
    env.apply(&p, cancel("customer asked"), at(3_000)).await;
    let p = create(env, &a, "A-4", 4000, at(DAY - 1)).await;
    env.apply(&p, fail(), at(DAY + 5)).await;
    let p = create(env, &b, "B-1", 5000, at(DAY)).await;
    env.apply(&p, approve("tx-1"), at(DAY + 5)).await;
    create(env, &b, "B-2", 6000, at(DAY + 1)).await;
    let p = create(env, &b, "B-3", 7000, at(DAY + 2)).await;
    env.apply(&p, Command::Expire, at(DAY + 2 + 1_800_000))
        .await;
    (a, b)
}

pub async fn stats_group_by_status_approval_day_and_merchant<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let (a, b) = seed(&env).await;
    let s = env.reads.stats(&StatsFilter::default()).await.unwrap();
    use PaymentStatus as S;
    assert_eq!(
        sorted(s.overall.clone()),
        vec![
            (S::Approved, true, 1, 5000),
            (S::Canceled, false, 1, 3000),
            (S::Canceled, true, 1, 2000),
            (S::Completed, true, 1, 1000),
            (S::Expired, false, 1, 7000),
            (S::Failed, false, 1, 4000),
            (S::Ready, false, 1, 6000),
        ]
    );
    assert!(s.overall.iter().all(|c| c.currency == Currency::KRW));
    let mut canceled: Vec<(&str, bool, i64)> = s
        .overall
        .iter()
        .filter(|c| c.canceled != 0)
        .map(|c| (c.status.as_str(), c.was_approved, c.canceled))
        .collect();
    canceled.sort();
    assert_eq!(
        canceled,
        vec![("CANCELED", false, 3000), ("CANCELED", true, 2000)],
        "each cell sums the canceled amounts of its payments"
    );

    let day0 = at(0).as_datetime().date();
    let day1 = at(DAY).as_datetime().date();
    let of_day = |d| {
        sorted(
            s.by_day
                .iter()
                .filter(|(day, _)| *day == d)
                .map(|(_, c)| c.clone())
                .collect(),
        )
    };
    assert_eq!(
        of_day(day0),
        vec![
            (S::Canceled, false, 1, 3000),
            (S::Canceled, true, 1, 2000),
            (S::Completed, true, 1, 1000),
            (S::Failed, false, 1, 4000),
        ],
        "the day is the UTC date of created_at"
    );
    assert_eq!(of_day(day1).len(), 3);
    let of_merchant = |m: &ClientId| {
        s.by_merchant
            .iter()
            .filter(|(c, _)| c == m)
            .map(|(_, c)| c.count)
            .sum::<u64>()
    };
    assert_eq!((of_merchant(&a), of_merchant(&b)), (4, 3));
}

pub async fn stats_filters_by_merchant_and_half_open_creation_range<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let (a, _) = seed(&env).await;
    let only_a = env
        .reads
        .stats(&StatsFilter {
            client_id: Some(a.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(only_a.overall.iter().map(|c| c.count).sum::<u64>(), 4);
    assert!(only_a.by_merchant.iter().all(|(c, _)| *c == a));

    // [DAY - 1, DAY + 1): A-4 (created DAY - 1) and B-1 (created DAY); B-2 at DAY + 1 is out.
    let window = env
        .reads
        .stats(&StatsFilter {
            client_id: None,
            from: Some(at(DAY - 1)),
            to: Some(at(DAY + 1)),
        })
        .await
        .unwrap();
    assert_eq!(
        sorted(window.overall),
        vec![
            (PaymentStatus::Approved, true, 1, 5000),
            (PaymentStatus::Failed, false, 1, 4000)
        ]
    );

    let empty = env
        .reads
        .stats(&StatsFilter {
            client_id: Some(ClientId::parse("mch_nobody").unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(empty.overall.is_empty() && empty.by_day.is_empty() && empty.by_merchant.is_empty());
}

pub async fn the_audit_feed_tails_every_merchant_in_log_id_order<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    assert_eq!(env.reads.last_log_id().await.unwrap(), 0);
    let a = env.merchant("mch_feed_a").await;
    let b = env.merchant("mch_feed_b").await;
    let pa = create(&env, &a, "A-1", 1000, at(0)).await;
    let pb = create(&env, &b, "B-1", 2000, at(1)).await;
    env.apply(&pa, approve("tx-1"), at(2)).await;

    let all = env.reads.audit_since(0, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(
        all.windows(2)
            .all(|w| w[0].entry.log_id < w[1].entry.log_id)
    );
    assert_eq!(
        all.iter()
            .map(|e| (
                e.payment_key.clone(),
                e.client_id.clone(),
                e.entry.record.action
            ))
            .collect::<Vec<_>>(),
        vec![
            (pa.key.clone(), a.clone(), AuditAction::Create),
            (pb.key.clone(), b.clone(), AuditAction::Create),
            (
                pa.key.clone(),
                a.clone(),
                AuditAction::Transition(domain::payment::TransitionKind::Approve)
            ),
        ]
    );
    let last = env.reads.last_log_id().await.unwrap();
    assert_eq!(last, all[2].entry.log_id);

    let after_first = env.reads.audit_since(all[0].entry.log_id, 1).await.unwrap();
    assert_eq!(after_first.len(), 1, "limit");
    assert_eq!(after_first[0].entry.log_id, all[1].entry.log_id);
    assert!(env.reads.audit_since(last, 100).await.unwrap().is_empty());

    let some = env
        .reads
        .audit_by_ids(&[all[2].entry.log_id, all[0].entry.log_id, last + 100])
        .await
        .unwrap();
    assert_eq!(
        some.iter().map(|e| e.entry.log_id).collect::<Vec<_>>(),
        vec![all[0].entry.log_id, all[2].entry.log_id]
    );
    assert!(env.reads.audit_by_ids(&[]).await.unwrap().is_empty());
}

pub async fn the_attempt_feed_tails_attempts_with_their_message_and_payment<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    assert_eq!(env.reads.last_attempt_id().await.unwrap(), 0);
    let a = env.merchant("mch_att").await;
    let p = create(&env, &a, "A-1", 1000, at(0)).await;
    let notification = message(OutboxKind::MerchantNotification, Some(&p), at(0));
    let mock = message(OutboxKind::AcquirerWebhook, None, at(0));
    env.outbox
        .enqueue(&[notification.clone(), mock.clone()], &[])
        .await
        .unwrap();
    let report = |status| SendReport {
        status: Some(status),
        latency: Duration::from_millis(12),
        excerpt: Some("ok".into()),
        ..Default::default()
    };
    for (m, status) in [(&notification, 500), (&mock, 200), (&notification, 204)] {
        let attempt = DeliveryAttempt {
            event_id: m.id,
            attempt_no: 1,
            started_at: at(10),
            report: report(status),
        };
        env.outbox
            .finish_attempt(&attempt, domain::outbox::NextStep::Delivered, None)
            .await
            .unwrap();
    }
    let all = env.reads.attempts_since(0, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(all[0].kind, OutboxKind::MerchantNotification);
    assert_eq!(all[0].payment_key.as_ref(), Some(&p.key));
    assert_eq!(all[0].client_id.as_ref(), Some(&a));
    assert_eq!(all[0].event_type.as_deref(), Some("payment.approved"));
    assert_eq!(all[0].attempt.report.status, Some(500));
    assert_eq!(all[0].attempt.report.latency, Duration::from_millis(12));
    assert_eq!(all[1].kind, OutboxKind::AcquirerWebhook);
    assert_eq!(
        (all[1].payment_key.as_ref(), all[1].client_id.as_ref()),
        (None, None)
    );
    assert_eq!(all[1].target_url, mock.target_url);
    assert_eq!(env.reads.last_attempt_id().await.unwrap(), all[2].id);
    assert_eq!(
        env.reads
            .attempts_since(all[0].id, 100)
            .await
            .unwrap()
            .len(),
        2
    );
    let picked = env.reads.attempts_by_ids(&[all[1].id]).await.unwrap();
    assert_eq!(picked, vec![all[1].clone()]);
}
