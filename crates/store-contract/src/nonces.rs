//! NonceStore: replay detection shared through the database.

use std::{collections::HashSet, sync::Arc, time::Duration};

use domain::{
    RepositoryError, Timestamp,
    ids::{ClientId, Nonce},
    ports::NonceOutcome,
};

use crate::{
    StoreFactory,
    support::{Env, client, spawn_all},
};

fn nonce(raw: &str) -> Nonce {
    Nonce::parse(raw).unwrap()
}

/// Exactly one of concurrent `remember`s of the same nonce found it fresh; none failed.
fn assert_exactly_one_fresh(outcomes: Vec<Result<NonceOutcome, RepositoryError>>) {
    let outcomes: Vec<NonceOutcome> = outcomes.into_iter().map(Result::unwrap).collect();
    let fresh = outcomes.iter().filter(|o| **o == NonceOutcome::Fresh);
    assert_eq!(fresh.count(), 1, "{outcomes:?}");
}

/// `NonceStore::remember`, which must not fail.
async fn remember(env: &Env, c: &ClientId, n: &Nonce, expires_at: Timestamp) -> NonceOutcome {
    env.nonces.remember(c, n, expires_at).await.unwrap()
}

fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

pub async fn a_nonce_is_fresh_once_and_replayed_after<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let (c, n) = (client("mch_n"), nonce("nonce-0123456789abcdef"));
    let expires = now().plus(Duration::from_secs(300));

    assert_eq!(remember(&env, &c, &n, expires).await, NonceOutcome::Fresh);
    assert_eq!(
        remember(&env, &c, &n, expires).await,
        NonceOutcome::Replayed
    );
    assert_eq!(
        remember(&env, &c, &n, expires.plus(Duration::from_secs(1))).await,
        NonceOutcome::Replayed
    );
}

pub async fn the_same_nonce_from_two_merchants_is_fresh_for_both<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let n = nonce("shared-nonce-00000001");
    let expires = now().plus(Duration::from_secs(300));
    assert_eq!(
        remember(&env, &client("mch_a"), &n, expires).await,
        NonceOutcome::Fresh
    );
    assert_eq!(
        remember(&env, &client("mch_b"), &n, expires).await,
        NonceOutcome::Fresh
    );
    // Nonces are case-sensitive like every other id.
    let upper = nonce("SHARED-NONCE-00000001");
    assert_eq!(
        remember(&env, &client("mch_a"), &upper, expires).await,
        NonceOutcome::Fresh
    );
}

pub async fn an_expired_nonce_that_was_not_purged_yet_is_fresh_again<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let (c, n) = (client("mch_exp"), nonce("expired-nonce-0000001"));
    assert_eq!(
        remember(&env, &c, &n, now().minus(Duration::from_secs(60))).await,
        NonceOutcome::Fresh
    );

    let renewed = now().plus(Duration::from_secs(300));
    assert_eq!(remember(&env, &c, &n, renewed).await, NonceOutcome::Fresh);
    assert_eq!(
        remember(&env, &c, &n, renewed).await,
        NonceOutcome::Replayed,
        "renewed, not forgotten"
    );
}

pub async fn twenty_concurrent_requests_with_the_same_nonce_let_exactly_one_through<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let store = Arc::new(env.nonces.clone());
    let expires = now().plus(Duration::from_secs(300));
    let outcomes = spawn_all(20, |_| {
        let store = store.clone();
        async move {
            store
                .remember(
                    &client("mch_race"),
                    &nonce("race-nonce-0000000001"),
                    expires,
                )
                .await
        }
    })
    .await;
    assert_exactly_one_fresh(outcomes);
}

pub async fn twenty_concurrent_reuses_of_an_expired_nonce_let_exactly_one_through<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let (c, n) = (client("mch_race2"), nonce("race-nonce-0000000002"));
    remember(&env, &c, &n, now().minus(Duration::from_secs(60))).await;
    let store = Arc::new(env.nonces.clone());
    let expires = now().plus(Duration::from_secs(300));
    let outcomes = spawn_all(20, |_| {
        let (store, c, n) = (store.clone(), c.clone(), n.clone());
        async move { store.remember(&c, &n, expires).await }
    })
    .await;
    assert_exactly_one_fresh(outcomes);
}

pub async fn purging_forgets_only_expired_nonces_and_counts_them<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let c = client("mch_purge");
    let t = now();
    for i in 0..3 {
        remember(
            &env,
            &c,
            &nonce(&format!("old-nonce-{i:012}")),
            t.minus(Duration::from_secs(10)),
        )
        .await;
    }
    let keep = nonce("kept-nonce-0000000000");
    remember(&env, &c, &keep, t.plus(Duration::from_secs(300))).await;

    assert_eq!(env.nonces.purge_expired(t).await.unwrap(), 3);
    assert_eq!(env.nonces.purge_expired(t).await.unwrap(), 0);
    assert_eq!(env.count("request_nonce").await, 1);
    assert_eq!(
        remember(&env, &c, &keep, t.plus(Duration::from_secs(300))).await,
        NonceOutcome::Replayed
    );
    assert_eq!(
        remember(
            &env,
            &c,
            &nonce("old-nonce-000000000000"),
            t.plus(Duration::from_secs(300))
        )
        .await,
        NonceOutcome::Fresh,
        "purged, so fresh again"
    );
}

pub async fn purging_a_large_backlog_works_in_batches_until_done<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    // 2 500 expired rows and 10 live ones, written in one statement.
    let mut values: Vec<String> = (0..2_500)
        .map(|i| format!("('mch_bulk', 'bulk-nonce-{i:010}', '2026-01-01 00:00:00.000000')"))
        .collect();
    values.extend(
        (0..10)
            .map(|i| format!("('mch_bulk', 'live-nonce-{i:010}', '2999-01-01 00:00:00.000000')")),
    );
    env.exec(&format!(
        "INSERT INTO request_nonce (client_id, nonce, expires_at) VALUES {}",
        values.join(",")
    ))
    .await;

    assert_eq!(env.nonces.purge_expired(now()).await.unwrap(), 2_500);

    let left: HashSet<i64> = [env.count("request_nonce").await].into();
    assert_eq!(left, [10].into());
}
