//! OutboxStore::backlog: the due and retrying figures of the outbox (docs/ops/runbook.md,
//! "Metrics").

use domain::{
    Timestamp,
    outbox::{BacklogScope, NextStep, OutboxBacklog, OutboxKind},
};

use crate::{
    StoreFactory,
    outbox::{claim, enqueue, finish},
    support::{Env, at, message},
};

/// `n` due messages, the oldest due since `oldest`, and none retrying.
fn due(n: u64, oldest: Option<Timestamp>) -> OutboxBacklog {
    OutboxBacklog {
        due: n,
        oldest_due: oldest,
        ..Default::default()
    }
}

/// `due` messages due since `oldest_due` and `retrying` ones, the oldest created at
/// `oldest_retrying`.
fn due_and_retrying(
    due: u64,
    oldest_due: Timestamp,
    retrying: u64,
    oldest_retrying: Timestamp,
) -> OutboxBacklog {
    OutboxBacklog {
        due,
        oldest_due: Some(oldest_due),
        retrying,
        oldest_retrying: Some(oldest_retrying),
        dead: 0,
    }
}

/// Every message of the outbox.
fn all() -> BacklogScope {
    BacklogScope::default()
}

pub async fn the_backlog_counts_due_pending_messages_and_knows_the_oldest_due_time<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    assert_eq!(
        env.reads.backlog(at(0), &all()).await.unwrap(),
        due(0, None)
    );
    let early = message(OutboxKind::AcquirerWebhook, None, at(1_000));
    let mut later = message(OutboxKind::AcquirerWebhook, None, at(0));
    later.not_before = at(3_000);
    let mut future = message(OutboxKind::AcquirerWebhook, None, at(0));
    future.not_before = at(100_000);
    let done = message(OutboxKind::AcquirerWebhook, None, at(0));
    enqueue(&env, &[&early, &later, &future, &done]).await;
    claim(&env, at(0)).await;
    finish(&env, &done, 1, at(1), NextStep::Delivered).await;
    claim(&env, at(3_000)).await;

    for (now, due_then, why) in [
        (
            5_000,
            2,
            "leased ones are still backlog; delivered and not-yet-due ones are not",
        ),
        (2_000, 1, "the later one is not due yet"),
        (100_000, 3, "the future one is due by then"),
    ] {
        assert_eq!(
            env.reads.backlog(at(now), &all()).await.unwrap(),
            due(due_then, Some(at(1_000))),
            "{why}"
        );
    }
}

/// One merchant's endpoint is down: its failed notification and the ones queued behind it for
/// the same payment are "retrying", not "due", so a stalled-dispatcher alert on the due figures
/// does not fire for it; when the retry's time comes it is due again, and DEAD ones leave both.
pub async fn failed_messages_and_the_notifications_queued_behind_them_are_retrying_not_due<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_backlog").await;
    let p = env.payment(&mch, "ORDER-B", at(0)).await;
    let failing = message(OutboxKind::MerchantNotification, Some(&p), at(0));
    let behind = message(OutboxKind::MerchantNotification, Some(&p), at(10));
    let fresh = message(OutboxKind::AcquirerRequest, None, at(20));
    enqueue(&env, &[&failing, &behind]).await;
    assert_eq!(claim(&env, at(100)).await, [failing.id]);
    finish(&env, &failing, 1, at(200), NextStep::RetryAt(at(60_000))).await;
    enqueue(&env, &[&fresh]).await;

    for (now, expected, why) in [
        (
            30_000,
            due_and_retrying(1, at(20), 2, at(0)),
            "the never-attempted message is due; the failed one and the one behind it are retrying",
        ),
        (
            60_000,
            due_and_retrying(2, at(20), 1, at(10)),
            "a retry whose time has come is due again; the one behind it still waits",
        ),
    ] {
        assert_eq!(
            env.reads.backlog(at(now), &all()).await.unwrap(),
            expected,
            "{why}"
        );
    }
    claim(&env, at(60_000)).await;
    finish(&env, &failing, 2, at(60_000), NextStep::Dead).await;
    assert_eq!(
        env.reads.backlog(at(60_000), &all()).await.unwrap(),
        OutboxBacklog {
            dead: 1,
            ..due(2, Some(at(10)))
        },
        "a DEAD message is neither due nor retrying but counted as dead; the one behind it is free to go"
    );
}

/// The console's alert strip of a merchant user counts only the notifications to its merchant;
/// another merchant's messages and the platform's acquirer traffic are not in its figures.
pub async fn a_backlog_scoped_to_one_merchant_and_kind_counts_only_those_messages<
    F: StoreFactory,
>() {
    let (env, a, b) = Env::with_two_merchants::<F>("mch_scope_a", "mch_scope_b").await;
    let pa = env.payment(&a, "ORDER-A", at(0)).await;
    let pb = env.payment(&b, "ORDER-B", at(0)).await;
    let a_dead = message(OutboxKind::MerchantNotification, Some(&pa), at(0));
    let a_request = message(OutboxKind::AcquirerRequest, Some(&pa), at(5));
    let b_note = message(OutboxKind::MerchantNotification, Some(&pb), at(10));
    enqueue(&env, &[&a_dead, &a_request, &b_note]).await;
    claim(&env, at(100)).await;
    finish(&env, &a_dead, 1, at(200), NextStep::Dead).await;

    let scope = |client_id: Option<&domain::ids::ClientId>, kind| BacklogScope {
        client_id: client_id.cloned(),
        kind,
    };
    let notifications = Some(OutboxKind::MerchantNotification);
    for (scope, due_now, dead, why) in [
        (
            scope(Some(&a), notifications),
            0,
            1,
            "a's only notification is DEAD",
        ),
        (
            scope(Some(&b), notifications),
            1,
            0,
            "b's notification, leased, is still backlog",
        ),
        (
            scope(Some(&a), None),
            1,
            1,
            "a's acquirer request, leased, is still backlog",
        ),
        (
            scope(None, Some(OutboxKind::AcquirerRequest)),
            1,
            0,
            "one acquirer request in all",
        ),
        (all(), 2, 1, "the whole outbox"),
    ] {
        let got = env.reads.backlog(at(300), &scope).await.unwrap();
        assert_eq!((got.due, got.dead), (due_now, dead), "{why}");
    }
}
