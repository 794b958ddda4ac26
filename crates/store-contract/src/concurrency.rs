//! Races on one payment: exactly one change wins and the audit trail stays legal.

use domain::{
    payment::{Actor, CancelReason, Origin, PaymentStatus, TransitionRejected},
    ports::{StateChange, TransitionStoreError},
    services::payments::{CancelAnswer, CancelRequest, ChangePaymentError},
};

use crate::{
    StoreFactory,
    support::{
        Env, SystemClock, approve, assert_legal_trail, at, cancel, payment_service, spawn_all,
    },
};

const RACERS: usize = 16;

pub async fn sixteen_services_canceling_the_same_payment_cancel_it_exactly_once<F: StoreFactory>() {
    let (env, mch, p) = Env::with_payment::<F>("mch_race").await;
    let service = payment_service(&env);

    // `cancel` futures are not `Send` (the outbound sender is thread-local by design), so the
    // racers interleave on this task instead of being spawned; each holds its own pooled
    // connection, so the database still sees concurrent transactions.
    let racers = (0..RACERS).map(|i| {
        let (service, mch, key) = (service.clone(), mch.clone(), p.key.clone());
        async move {
            let request = CancelRequest {
                reason: CancelReason::parse(&format!("racer {i}")).unwrap(),
                amount: None,
            };
            service
                .cancel(Some(&mch), &key, request, Origin::merchant(), None)
                .await
        }
    });
    let results = futures_util::future::join_all(racers).await;

    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1, "{results:?}");
    for r in &results {
        match r {
            Ok(CancelAnswer::Done(p)) => assert_eq!(p.status, PaymentStatus::Canceled),
            Ok(CancelAnswer::Accepted(p)) => panic!("a READY cancel is never 202: {p:?}"),
            // Losers re-read the payment and find it canceled; a loser that kept losing the
            // CAS could also give up as contended. Nothing else is acceptable.
            Err(ChangePaymentError::Rejected(TransitionRejected::InvalidTransition {
                from: PaymentStatus::Canceled,
                ..
            }))
            | Err(ChangePaymentError::Contended) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    let stored = env.stored(&p.key).await.unwrap();
    assert_eq!(stored.status, PaymentStatus::Canceled);
    assert_eq!(stored.version, 1);
    let trail = env.trail(&p.id).await;
    assert_eq!(trail.len(), 2, "CREATE then exactly one CANCEL: {trail:?}");
    assert_legal_trail(&trail, &stored);
    assert_eq!(
        env.count("outbox_event WHERE kind = 'ACQUIRER_CANCEL' AND payment_id IS NOT NULL")
            .await,
        1,
        "only the winner's acquirer cancel was stored"
    );
    assert_eq!(
        env.count("outbox_event WHERE kind = 'MERCHANT_NOTIFICATION'")
            .await,
        1,
        "only the winner's notification was stored"
    );
}

pub async fn sixteen_services_completing_the_same_payment_complete_it_exactly_once<
    F: StoreFactory,
>() {
    let (env, mch, p) = Env::with_payment::<F>("mch_race_c").await;
    let (approved, audit) = p
        .apply(
            approve("tx-1"),
            Origin {
                actor: Actor::Acquirer,
                request_id: None,
            },
            at(1),
        )
        .unwrap();
    env.payments
        .transition(&StateChange::new(approved, 0, audit))
        .await
        .unwrap();
    let service = payment_service(&env);

    let results = spawn_all(RACERS, |_| {
        let (service, mch, key) = (service.clone(), mch.clone(), p.key.clone());
        async move { service.complete(&mch, &key, None).await }
    })
    .await;

    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let stored = env.stored(&p.key).await.unwrap();
    assert_eq!(stored.status, PaymentStatus::Completed);
    let trail = env.trail(&p.id).await;
    assert_eq!(
        trail.len(),
        3,
        "CREATE, APPROVE, exactly one COMPLETE: {trail:?}"
    );
    assert_legal_trail(&trail, &stored);
}

pub async fn sixteen_direct_transitions_from_the_same_version_let_exactly_one_through<
    F: StoreFactory,
>() {
    let (env, _, p) = Env::with_payment::<F>("mch_race_d").await;
    let store = env.payments.clone();
    let clock = SystemClock;
    use domain::ports::Clock;

    // Half try to cancel, half to approve, all decided on version 0.
    let results = spawn_all(RACERS, |i| {
        let command = if i % 2 == 0 {
            cancel(&format!("racer {i}"))
        } else {
            approve(&format!("tx-{i}"))
        };
        let (next, audit) = p.apply(command, Origin::system(), clock.now()).unwrap();
        let change = StateChange::new(next, p.version, audit);
        let store = store.clone();
        async move { store.transition(&change).await.map(|()| change.next) }
    })
    .await;

    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(TransitionStoreError::Stale))),
        "losers are Stale, not errors: {results:?}"
    );
    let stored = env.stored(&p.key).await.unwrap();
    assert_eq!(&stored, winners[0]);
    let trail = env.trail(&p.id).await;
    assert_eq!(trail.len(), 2, "{trail:?}");
    assert_legal_trail(&trail, &stored);
}
