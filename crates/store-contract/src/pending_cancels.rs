//! `OperatorReads::pending_cancels_summary`: how many cancels of all payments are PENDING and
//! when the oldest was requested (the stuck-cancel gauges of docs/ops/runbook.md).

use domain::{
    ids::ClientId,
    payment::{CancelId, Command, Payment, PendingCancels},
};

use crate::{
    StoreFactory,
    support::{Env, approve, at, cancel, confirm_cancel, refuse_cancel, request_cancel},
};

/// A stored COMPLETED payment (15 000) of `client`, approved and completed just after `created`.
async fn completed(env: &Env, client: &ClientId, order: &str, created: i64) -> Payment {
    let p = env.payment(client, order, at(created)).await;
    let p = env.apply(&p, approve("tx-1"), at(created + 1)).await;
    env.apply(&p, Command::Complete, at(created + 2)).await
}

fn cancel_id(n: u32) -> CancelId {
    CancelId::parse(&format!("cnl_pending_summary_{n:012}")).unwrap()
}

/// Reserves the PENDING cancel `n` of `amount` on `p` at `at(requested)`.
async fn reserve(env: &Env, p: Payment, n: u32, amount: i64, requested: i64) -> Payment {
    let command = request_cancel(&cancel_id(n), Some(amount), "one item returned");
    env.apply(&p, command, at(requested)).await
}

fn confirmed(n: u32) -> Command {
    confirm_cancel(&cancel_id(n), None)
}

fn refused(n: u32) -> Command {
    refuse_cancel(&cancel_id(n), None)
}

fn pending(count: u64, oldest: Option<i64>) -> PendingCancels {
    PendingCancels {
        count,
        oldest_requested_at: oldest.map(at),
    }
}

pub async fn without_pending_cancels_the_summary_is_zero_with_no_oldest_even_after_ended_ones<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_pending_none").await;
    assert_eq!(
        env.reads.pending_cancels_summary().await.unwrap(),
        pending(0, None),
        "an empty database"
    );
    // A READY payment canceled at once (a SUCCEEDED cancel), one confirmed and one refused.
    let ready = env.payment(&mch, "READY-1", at(0)).await;
    env.apply(&ready, cancel("customer asked"), at(5)).await;
    let p = completed(&env, &mch, "DONE-1", 0).await;
    let p = reserve(&env, p, 1, 1_000, 10).await;
    let p = env.apply(&p, confirmed(1), at(20)).await;
    let p = reserve(&env, p, 2, 2_000, 30).await;
    env.apply(&p, refused(2), at(40)).await;
    assert_eq!(
        env.count("payment_cancel WHERE status <> 'PENDING'").await,
        3
    );
    assert_eq!(
        env.reads.pending_cancels_summary().await.unwrap(),
        pending(0, None),
        "SUCCEEDED and FAILED cancels are not pending"
    );
}

pub async fn the_summary_counts_the_pending_cancels_of_every_merchant_and_knows_the_oldest<
    F: StoreFactory,
>() {
    let (env, a, b) = Env::with_two_merchants::<F>("mch_pending_a", "mch_pending_b").await;
    let pa = completed(&env, &a, "A-1", 0).await;
    let pb = completed(&env, &b, "B-1", 0).await;
    // Requested out of order: the oldest is B's first, at 100 ms.
    let pa = reserve(&env, pa, 1, 1_000, 5_000).await;
    let pb = reserve(&env, pb, 2, 2_000, 100).await;
    let pa = reserve(&env, pa, 3, 3_000, 9_000).await;
    assert_eq!(
        env.reads.pending_cancels_summary().await.unwrap(),
        pending(3, Some(100)),
        "two merchants' pending cancels, the oldest to the millisecond"
    );

    env.apply(&pb, confirmed(2), at(12_000)).await;
    assert_eq!(
        env.reads.pending_cancels_summary().await.unwrap(),
        pending(2, Some(5_000)),
        "settling the oldest moves the oldest on"
    );
    let pa = env.apply(&pa, refused(1), at(13_000)).await;
    env.apply(&pa, confirmed(3), at(14_000)).await;
    assert_eq!(
        env.reads.pending_cancels_summary().await.unwrap(),
        pending(0, None)
    );
}
