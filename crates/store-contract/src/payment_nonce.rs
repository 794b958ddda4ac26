//! PaymentStore × nonces: a create records its request's nonce in its own transaction, so a
//! signed create costs one commit, and a replay can never create a second payment.

use std::{sync::Arc, time::Duration};

use domain::{
    Timestamp,
    ids::{ClientId, Nonce},
    outbox::OutboxKind,
    payment::{AuditRecord, Payment},
    ports::{InsertPaymentError, NonceOutcome, NonceRecord},
};

use crate::{
    StoreFactory,
    support::{Env, message, spawn_all, unsaved_payment},
};

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

fn nonce_of(client: &ClientId, raw: &str, expires_at: Timestamp) -> NonceRecord {
    NonceRecord {
        client: client.clone(),
        nonce: Nonce::parse(raw).unwrap(),
        expires_at,
    }
}

/// A nonce remembered for ten minutes from now.
fn unexpired(client: &ClientId, raw: &str) -> NonceRecord {
    nonce_of(client, raw, now().plus(Duration::from_secs(600)))
}

fn ready(client: &ClientId, order_no: &str) -> (Payment, AuditRecord) {
    unsaved_payment(client, order_no, 15_000, now())
}

/// Sixteen READY payments of `client` (order number `order_no(i)`) inserted at once, all with
/// the nonce `n`; their outcomes.
async fn sixteen_concurrent_inserts(
    env: &Env,
    client: &ClientId,
    n: &NonceRecord,
    order_no: impl Fn(usize) -> String,
) -> Vec<Result<(), InsertPaymentError>> {
    spawn_all(16, |i| {
        let (store, n) = (Arc::clone(&env.payments), n.clone());
        let (p, audit) = ready(client, &order_no(i));
        async move { store.insert(&p, &audit, &[], Some(n)).await }
    })
    .await
}

async fn remember(env: &Env, n: &NonceRecord) -> NonceOutcome {
    env.nonces
        .remember(&n.client, &n.nonce, n.expires_at)
        .await
        .unwrap()
}

pub async fn a_payment_inserted_with_a_nonce_uses_the_nonce_up<F: StoreFactory>() {
    let (env, mch) = Env::with_merchant::<F>("mch_pn1").await;
    let n = unexpired(&mch, "create-nonce-000001");
    let (p, audit) = ready(&mch, "PN-1");
    let request = message(OutboxKind::AcquirerRequest, Some(&p), now());

    env.payments
        .insert(&p, &audit, std::slice::from_ref(&request), Some(n.clone()))
        .await
        .unwrap();

    assert_eq!(remember(&env, &n).await, NonceOutcome::Replayed);
    assert!(env.stored(&p.key).await.is_some());
    assert_eq!(env.count("outbox_event").await, 1);
}

pub async fn a_payment_inserted_with_a_used_nonce_is_a_replay_and_writes_nothing<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_pn2").await;
    let n = unexpired(&mch, "create-nonce-000002");
    assert_eq!(remember(&env, &n).await, NonceOutcome::Fresh);
    let (p, audit) = ready(&mch, "PN-2");
    let request = message(OutboxKind::AcquirerRequest, Some(&p), now());

    let err = env
        .refused_insert(&p, &audit, std::slice::from_ref(&request), Some(&n))
        .await;

    assert!(matches!(err, InsertPaymentError::Replayed), "{err:?}");
    assert_eq!(env.count("payment").await, 0);
    assert_eq!(env.count("payment_log").await, 0);
    assert_eq!(env.count("outbox_event").await, 0);
}

pub async fn a_payment_refused_as_a_duplicate_order_leaves_its_nonce_unused<F: StoreFactory>() {
    let (env, mch) = Env::with_merchant::<F>("mch_pn3").await;
    env.payment(&mch, "PN-3", now()).await;
    let n = unexpired(&mch, "create-nonce-000003");
    let (p, audit) = ready(&mch, "PN-3");

    let err = env.refused_insert(&p, &audit, &[], Some(&n)).await;

    assert!(matches!(err, InsertPaymentError::DuplicateOrder), "{err:?}");
    assert_eq!(remember(&env, &n).await, NonceOutcome::Fresh);
    assert_eq!(env.count("payment").await, 1);
}

pub async fn an_expired_nonce_that_was_not_purged_yet_is_taken_over_by_a_payment_insert<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_pn4").await;
    let expired = nonce_of(
        &mch,
        "create-nonce-000004",
        now().minus(Duration::from_secs(60)),
    );
    assert_eq!(remember(&env, &expired).await, NonceOutcome::Fresh);
    let renewed = unexpired(&mch, "create-nonce-000004");
    let (p, audit) = ready(&mch, "PN-4");

    env.payments
        .insert(&p, &audit, &[], Some(renewed.clone()))
        .await
        .unwrap();

    assert_eq!(remember(&env, &renewed).await, NonceOutcome::Replayed);
}

pub async fn sixteen_concurrent_creates_with_the_same_nonce_commit_exactly_one<F: StoreFactory>() {
    let (env, mch) = Env::with_merchant::<F>("mch_pn5").await;
    let n = unexpired(&mch, "create-nonce-000005");

    let outcomes = sixteen_concurrent_inserts(&env, &mch, &n, |i| format!("PN-5-{i}")).await;

    let committed = outcomes.iter().filter(|o| o.is_ok()).count();
    let replayed = outcomes
        .iter()
        .filter(|o| matches!(o, Err(InsertPaymentError::Replayed)))
        .count();
    assert_eq!((committed, replayed), (1, 15), "{outcomes:?}");
    assert_eq!(env.count("payment").await, 1);
    assert_eq!(env.count("payment_log").await, 1);
}

/// The first holder of the nonce rolls back (its order number is taken), so the waiters race
/// for the freed row: the case where InnoDB picks deadlock victims among them. Every caller
/// still gets a decided answer, never a database error, and nothing is written.
pub async fn sixteen_concurrent_creates_with_one_nonce_and_a_used_order_number_write_nothing<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_pn6").await;
    env.payment(&mch, "PN-6", now()).await;
    let n = unexpired(&mch, "create-nonce-000006");

    let outcomes = sixteen_concurrent_inserts(&env, &mch, &n, |_| "PN-6".to_owned()).await;

    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            Err(InsertPaymentError::DuplicateOrder | InsertPaymentError::Replayed)
        )),
        "{outcomes:?}"
    );
    assert_eq!(env.count("payment").await, 1);
    assert_eq!(env.count("payment_log").await, 1);
}
