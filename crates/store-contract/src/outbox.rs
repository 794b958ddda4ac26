//! OutboxStore: enqueue round trips, claiming with leases (also under concurrency), per-payment
//! notification order, finishing attempts (manual redelivery and listing: `outbox_deliveries`;
//! the backlog: `outbox_backlog`).

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use domain::{
    Timestamp,
    ids::{EventId, RequestId},
    outbox::{
        Delivery, DeliveryAttempt, DeliveryState, NextStep, OutboxKind, OutboxMessage, SendReport,
    },
    payment::{Actor, AuditAction, AuditNote, Payment, PaymentStatus},
};

use crate::{
    StoreFactory,
    support::{Env, assert_note_row, at, message, new_event_id, note_of, spawn_all},
};

pub(crate) const LEASE: Duration = Duration::from_secs(60);

pub(crate) fn ids(claimed: &[domain::outbox::ClaimedMessage]) -> Vec<EventId> {
    claimed.iter().map(|c| c.message.id).collect()
}

pub(crate) async fn claim(env: &Env, now: Timestamp) -> Vec<EventId> {
    ids(&env.outbox.claim_due(now, LEASE, 100).await.unwrap())
}

fn status(code: u16, latency_ms: u64) -> SendReport {
    SendReport {
        status: Some(code),
        latency: Duration::from_millis(latency_ms),
        ..Default::default()
    }
}

fn attempt(
    m: &OutboxMessage,
    attempt_no: u32,
    started: Timestamp,
    report: SendReport,
) -> DeliveryAttempt {
    DeliveryAttempt {
        event_id: m.id,
        attempt_no,
        started_at: started,
        report,
    }
}

/// Records attempt `a` and moves its message on with `step` and `note`; the message's delivery
/// as stored afterwards.
async fn record(
    env: &Env,
    a: &DeliveryAttempt,
    step: NextStep,
    note: Option<AuditNote>,
) -> Delivery {
    env.outbox.finish_attempt(a, step, note).await.unwrap();
    delivery(env, &a.event_id).await
}

/// The delivery of the stored message `id`.
pub(crate) async fn delivery(env: &Env, id: &EventId) -> Delivery {
    env.reads.delivery(id).await.unwrap().expect("stored")
}

/// Stores a message of `kind` for `payment` (or none), created at `at(0)`, and claims it.
async fn claimed(env: &Env, kind: OutboxKind, payment: Option<&Payment>) -> OutboxMessage {
    let m = message(kind, payment, at(0));
    enqueue(env, &[&m]).await;
    assert_eq!(claim(env, at(0)).await, [m.id]);
    m
}

/// Stores `messages` on their own.
pub(crate) async fn enqueue(env: &Env, messages: &[&OutboxMessage]) {
    let owned: Vec<OutboxMessage> = messages.iter().map(|m| (*m).clone()).collect();
    env.outbox.enqueue(&owned, &[]).await.unwrap();
}

/// Records a failed attempt `attempt_no` of `m` at `now` and moves it on with `step`.
pub(crate) async fn finish(
    env: &Env,
    m: &OutboxMessage,
    attempt_no: u32,
    now: Timestamp,
    step: NextStep,
) {
    let a = attempt(m, attempt_no, now, status(500, 5));
    env.outbox.finish_attempt(&a, step, None).await.unwrap();
}

pub async fn enqueued_messages_round_trip_exactly_and_payloads_keep_every_byte<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_rt").await;
    // Larger than TEXT's 64 KiB, with 4-byte characters, NUL, CRLF, quotes and trailing spaces.
    let payload = format!(
        "{{\"note\":\"☕🙏 \\\"q\\\" \\\\ \r\n\t\0\",\"pad\":\"{}\"}}   ",
        "가나다🙂".repeat(10_000)
    );
    let mut webhook = message(OutboxKind::AcquirerWebhook, None, at(5));
    webhook.payload = payload.clone();
    webhook.target_url = format!(
        "http://127.0.0.1:9/api/webhook/payment?x={}",
        "a".repeat(1900)
    );
    let mut notification = message(OutboxKind::MerchantNotification, Some(&p), at(6));
    notification.not_before = at(7_000);
    notification.event_type = Some("payment.expired".to_owned());

    enqueue(&env, &[&webhook, &notification]).await;

    let w = delivery(&env, &webhook.id).await;
    assert_eq!(w.message, webhook);
    assert_eq!(w.message.payload.as_bytes(), payload.as_bytes());
    assert_eq!(w.message.payment_id, None);
    assert_eq!(w.message.client_id, None);
    assert_eq!(w.message.event_type, None);
    let n = delivery(&env, &notification.id).await;
    assert_eq!(n.message, notification);
    assert_eq!(
        n.next_attempt_at,
        Some(at(7_000)),
        "first due at not_before"
    );
    assert_eq!(env.reads.delivery(&new_event_id()).await.unwrap(), None);
}

pub async fn enqueueing_a_reused_event_id_is_an_error_and_writes_nothing<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let first = message(OutboxKind::AcquirerWebhook, None, at(0));
    enqueue(&env, &[&first]).await;
    let fresh = message(OutboxKind::AcquirerWebhook, None, at(0));
    let mut again = message(OutboxKind::AcquirerWebhook, None, at(0));
    again.id = first.id;

    let err = env
        .outbox
        .enqueue(&[fresh.clone(), again], &[])
        .await
        .unwrap_err();

    assert!(!err.is_unavailable());
    assert_eq!(env.reads.delivery(&fresh.id).await.unwrap(), None);
    assert_eq!(env.count("outbox_event").await, 1);
}

pub async fn a_claim_gives_due_messages_and_leases_them_so_a_second_claim_gets_nothing<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let a = message(OutboxKind::AcquirerWebhook, None, at(0));
    let b = message(OutboxKind::AcquirerWebhook, None, at(1));
    let c = message(OutboxKind::AcquirerWebhook, None, at(2));
    enqueue(&env, &[&a, &b, &c]).await;

    let claimed = env.outbox.claim_due(at(10), LEASE, 10).await.unwrap();

    assert_eq!(ids(&claimed), [a.id, b.id, c.id]);
    assert_eq!(claimed[1].message, b);
    assert!(claimed.iter().all(|m| m.attempts == 0));
    assert!(claimed.iter().all(|m| m.lease_until == at(10).plus(LEASE)));
    assert!(claim(&env, at(10)).await.is_empty(), "leased");
    assert!(claim(&env, at(30_000)).await.is_empty(), "still leased");
}

pub async fn a_claim_takes_at_most_limit_messages<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let all: Vec<OutboxMessage> = (0..5)
        .map(|i| message(OutboxKind::AcquirerRequest, None, at(i)))
        .collect();
    env.outbox.enqueue(&all, &[]).await.unwrap();

    let sizes = [
        env.outbox.claim_due(at(10), LEASE, 2).await.unwrap().len(),
        env.outbox.claim_due(at(10), LEASE, 2).await.unwrap().len(),
        env.outbox.claim_due(at(10), LEASE, 2).await.unwrap().len(),
        env.outbox.claim_due(at(10), LEASE, 0).await.unwrap().len(),
    ];

    assert_eq!(sizes, [2, 2, 1, 0]);
}

pub async fn an_expired_lease_is_claimable_again<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let m = message(OutboxKind::AcquirerRequest, None, at(0));
    enqueue(&env, &[&m]).await;
    let lease = Duration::from_secs(10);
    assert_eq!(
        ids(&env.outbox.claim_due(at(0), lease, 5).await.unwrap()),
        [m.id]
    );

    assert!(
        env.outbox
            .claim_due(at(10_000), lease, 5)
            .await
            .unwrap()
            .is_empty(),
        "a lease holds until its last millisecond"
    );
    let again = env.outbox.claim_due(at(10_001), lease, 5).await.unwrap();

    assert_eq!(ids(&again), [m.id]);
    assert_eq!(again[0].lease_until, at(20_001));
    assert_eq!(again[0].attempts, 0);
}

pub async fn a_message_whose_not_before_is_in_the_future_is_not_claimed<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let mut m = message(OutboxKind::AcquirerWebhook, None, at(0));
    m.not_before = at(5_000);
    enqueue(&env, &[&m]).await;

    assert!(claim(&env, at(4_999)).await.is_empty());
    assert_eq!(claim(&env, at(5_000)).await, [m.id]);
}

pub async fn a_second_notification_of_a_payment_waits_until_the_first_is_delivered<
    F: StoreFactory,
>() {
    let (env, mch, p) = Env::with_payment::<F>("mch_order").await;
    let q = env.payment(&mch, "ORDER-2", at(0)).await;
    let first = message(OutboxKind::MerchantNotification, Some(&p), at(1));
    let second = message(OutboxKind::MerchantNotification, Some(&p), at(2));
    let other_payment = message(OutboxKind::MerchantNotification, Some(&q), at(3));
    let cancel = message(OutboxKind::AcquirerCancel, Some(&p), at(4));
    let another_cancel = message(OutboxKind::AcquirerCancel, Some(&p), at(5));
    enqueue(
        &env,
        &[&first, &second, &other_payment, &cancel, &another_cancel],
    )
    .await;

    let round1 = claim(&env, at(10)).await;
    assert_eq!(
        round1,
        [first.id, other_payment.id, cancel.id, another_cancel.id],
        "other kinds and other payments are not held back"
    );

    // The first fails and is retried later: still PENDING, so the second keeps waiting, even
    // while the first is not due.
    finish(&env, &first, 1, at(20), NextStep::RetryAt(at(60_000))).await;
    assert!(claim(&env, at(30)).await.is_empty());

    assert_eq!(claim(&env, at(60_000)).await, [first.id]);
    finish(&env, &first, 2, at(60_000), NextStep::Delivered).await;

    assert_eq!(claim(&env, at(60_001)).await, [second.id]);
}

pub async fn a_second_notification_is_released_when_the_first_is_dead<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_order_dead").await;
    let first = message(OutboxKind::MerchantNotification, Some(&p), at(1));
    let second = message(OutboxKind::MerchantNotification, Some(&p), at(2));
    enqueue(&env, &[&first, &second]).await;
    assert_eq!(claim(&env, at(10)).await, [first.id]);

    finish(&env, &first, 1, at(20), NextStep::Dead).await;

    assert_eq!(claim(&env, at(30)).await, [second.id]);
}

pub async fn finishing_attempts_moves_the_message_on_and_records_every_attempt<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let m = claimed(&env, OutboxKind::AcquirerRequest, None).await;

    // 1: a 503 with a body, retried in 5 s.
    let busy = SendReport {
        status: Some(503),
        latency: Duration::from_millis(1_234),
        error: None,
        excerpt: Some("{\"error\":\"busy 😴\"}".to_owned()),
        retry_after: Some(Duration::from_secs(2)),
    };
    let a1 = attempt(&m, 1, at(100), busy.clone());

    let d = record(&env, &a1, NextStep::RetryAt(at(5_000)), None).await;
    assert_eq!(d.state, DeliveryState::Pending);
    assert_eq!(d.next_attempt_at, Some(at(5_000)));
    assert_eq!(d.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(d.updated_at, at(1_334), "the attempt's end");
    let expected_a1 = DeliveryAttempt {
        report: SendReport {
            retry_after: None,
            ..busy
        },
        ..a1
    };
    assert_eq!(d.attempts, std::slice::from_ref(&expected_a1));
    assert!(claim(&env, at(4_999)).await.is_empty(), "not due yet");
    let claimed = env.outbox.claim_due(at(5_000), LEASE, 10).await.unwrap();
    assert_eq!(ids(&claimed), [m.id], "the lease was released");
    assert_eq!(claimed[0].attempts, 1);

    // 2: no response at all, with an error longer than the column; given up.
    let refused = SendReport {
        status: None,
        latency: Duration::from_millis(3),
        error: Some(format!("connection refused {}", "é".repeat(2_000))),
        excerpt: None,
        retry_after: None,
    };
    let a2 = attempt(&m, 2, at(5_000), refused);

    let d = record(&env, &a2, NextStep::Dead, None).await;
    assert_eq!(d.state, DeliveryState::Dead);
    assert_eq!(
        d.next_attempt_at, None,
        "a finished message has no next attempt"
    );
    let cut = format!("connection refused {}", "é".repeat(1_024 - 19));
    assert_eq!(d.last_error.as_deref(), Some(cut.as_str()));
    assert_eq!(d.attempts.len(), 2);
    assert_eq!(d.attempts[0], expected_a1, "oldest first");
    assert_eq!(d.attempts[1].attempt_no, 2);
    assert_eq!(d.attempts[1].report.status, None);
    assert_eq!(d.attempts[1].report.error.as_deref(), Some(cut.as_str()));
    assert_eq!(d.attempts[1].report.latency, Duration::from_millis(3));
    assert!(
        claim(&env, at(999_999)).await.is_empty(),
        "dead is never claimed"
    );
}

pub async fn a_delivered_message_has_no_error_and_is_not_claimed_again<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let m = claimed(&env, OutboxKind::MerchantNotification, None).await;
    let ok = SendReport {
        excerpt: Some("ok".to_owned()),
        ..status(204, 42)
    };

    let a = attempt(&m, 1, at(10), ok.clone());

    let d = record(&env, &a, NextStep::Delivered, None).await;
    assert_eq!(d.state, DeliveryState::Delivered);
    assert_eq!(d.last_error, None);
    assert_eq!(d.next_attempt_at, None);
    assert_eq!(d.updated_at, at(52));
    assert_eq!(d.attempts[0].report, ok);
    assert!(claim(&env, at(999_999)).await.is_empty());
}

pub async fn a_note_given_with_an_attempt_is_written_to_the_payment_in_the_same_transaction<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_attempt_note").await;
    let p: Payment = env.payment(&mch, "ORDER-1", at(0)).await;
    let request = claimed(&env, OutboxKind::AcquirerRequest, Some(&p)).await;
    let note = AuditNote {
        details: Some("attempt 1 of 3: HTTP 502".to_owned()),
        request_id: Some(RequestId::parse("req-dispatch").unwrap()),
        ..note_of(AuditAction::AcquirerRequestFailed, Actor::System, 77)
    };

    let a = attempt(&request, 1, at(50), status(502, 20));

    let d = record(&env, &a, NextStep::RetryAt(at(1_000)), Some(note.clone())).await;

    let trail = env.trail(&p.id).await;
    assert_eq!(trail.len(), 2);
    assert_note_row(&trail[1].record, &note, PaymentStatus::Ready);
    assert_eq!(d.attempts.len(), 1);
}

pub async fn finishing_an_attempt_of_an_unknown_message_is_an_error_and_writes_nothing<
    F: StoreFactory,
>() {
    let (env, _, p) = Env::with_payment::<F>("mch_ghost_attempt").await;
    let ghost = message(OutboxKind::AcquirerRequest, Some(&p), at(0));
    let note = note_of(AuditAction::AcquirerRequestFailed, Actor::System, 1);

    let err = env
        .outbox
        .finish_attempt(
            &attempt(&ghost, 1, at(1), status(500, 1)),
            NextStep::Dead,
            Some(note),
        )
        .await
        .unwrap_err();

    assert!(!err.is_unavailable());
    assert_eq!(env.count("delivery_attempt").await, 0);
    assert_eq!(env.trail(&p.id).await.len(), 1);
}

pub async fn eight_concurrent_claimers_over_fifty_due_messages_get_each_exactly_once<
    F: StoreFactory,
>() {
    const MESSAGES: usize = 50;
    const CLAIMERS: usize = 8;
    let env = Env::new::<F>().await;
    let all: Vec<OutboxMessage> = (0..MESSAGES)
        .map(|i| message(OutboxKind::AcquirerRequest, None, at(i as i64)))
        .collect();
    env.outbox.enqueue(&all, &[]).await.unwrap();
    let store = Arc::new(env.outbox.clone());
    let claimed_total = Arc::new(AtomicUsize::new(0));
    let now = at(1_000);

    let per_claimer: Vec<Vec<EventId>> = spawn_all(CLAIMERS, |_| {
        let (store, claimed_total) = (store.clone(), claimed_total.clone());
        async move {
            let mut mine = Vec::new();
            // A claimer may find every candidate taken by a concurrent one for a moment;
            // it keeps going until all messages are out (or a generous bound).
            for _ in 0..500 {
                let batch = store.claim_due(now, LEASE, 3).await.unwrap();
                if batch.is_empty() {
                    if claimed_total.load(Ordering::SeqCst) >= MESSAGES {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                }
                claimed_total.fetch_add(batch.len(), Ordering::SeqCst);
                mine.extend(batch.into_iter().map(|c| c.message.id));
            }
            mine
        }
    })
    .await;

    let every: Vec<EventId> = per_claimer.iter().flatten().copied().collect();
    let distinct: HashSet<EventId> = every.iter().copied().collect();
    assert_eq!(
        every.len(),
        MESSAGES,
        "no message was claimed twice: {per_claimer:?}"
    );
    assert_eq!(distinct, all.iter().map(|m| m.id).collect::<HashSet<_>>());
    assert!(store.claim_due(now, LEASE, 100).await.unwrap().is_empty());
}
