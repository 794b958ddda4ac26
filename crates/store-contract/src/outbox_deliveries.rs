//! Manual redelivery (`OutboxStore::redeliver`) and the operators' listing of deliveries with
//! their attempts (`OperatorReads::deliveries`).

use domain::{
    Timestamp,
    ids::EventId,
    outbox::{DeliveryFilter, DeliveryState, NextStep, OutboxKind, OutboxMessage},
    ports::PageRequest,
};

use crate::{
    StoreFactory,
    outbox::{LEASE, claim, delivery, enqueue, finish, ids},
    support::{Env, at, client, message, new_event_id},
};

pub async fn redelivering_a_dead_message_makes_it_pending_and_claimable_with_a_fresh_schedule<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let mut m = message(OutboxKind::MerchantNotification, None, at(0));
    m.not_before = at(1);
    enqueue(&env, &[&m]).await;
    assert_eq!(claim(&env, at(1)).await, [m.id]);
    finish(&env, &m, 1, at(2), NextStep::Dead).await;

    assert!(env.outbox.redeliver(&m.id, at(90_000), &[]).await.unwrap());

    let d = delivery(&env, &m.id).await;
    assert_eq!(d.state, DeliveryState::Pending);
    assert_eq!(d.next_attempt_at, Some(at(90_000)));
    assert_eq!(d.updated_at, at(90_000));
    assert_eq!(d.message, m, "same event id, not_before unchanged");
    assert_eq!(d.attempts.len(), 1, "earlier attempts are kept");
    assert!(claim(&env, at(89_999)).await.is_empty());
    let claimed = env.outbox.claim_due(at(90_000), LEASE, 10).await.unwrap();
    assert_eq!(ids(&claimed), [m.id]);
    assert_eq!(claimed[0].attempts, 0, "a full retry schedule again");

    // Attempt numbers start over; both attempt 1s are kept, in order.
    finish(&env, &m, 1, at(90_001), NextStep::Delivered).await;
    let d = delivery(&env, &m.id).await;
    assert_eq!(d.state, DeliveryState::Delivered);
    let numbers: Vec<(u32, Timestamp)> = d
        .attempts
        .iter()
        .map(|a| (a.attempt_no, a.started_at))
        .collect();
    assert_eq!(numbers, [(1, at(2)), (1, at(90_001))]);
}

pub async fn redelivering_needs_a_known_message_and_leaves_a_pending_one_alone<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let delivered = message(OutboxKind::AcquirerWebhook, None, at(0));
    let pending = message(OutboxKind::AcquirerWebhook, None, at(0));
    enqueue(&env, &[&delivered, &pending]).await;
    claim(&env, at(0)).await;
    finish(&env, &delivered, 1, at(1), NextStep::Delivered).await;
    finish(&env, &pending, 1, at(1), NextStep::RetryAt(at(50_000))).await;

    assert!(
        env.outbox
            .redeliver(&delivered.id, at(2), &[])
            .await
            .unwrap()
    );
    assert!(env.outbox.redeliver(&pending.id, at(2), &[]).await.unwrap());
    assert!(
        !env.outbox
            .redeliver(&new_event_id(), at(2), &[])
            .await
            .unwrap()
    );

    assert_eq!(claim(&env, at(2)).await, [delivered.id]);
    let p = delivery(&env, &pending.id).await;
    assert_eq!(
        p.next_attempt_at,
        Some(at(50_000)),
        "its schedule is untouched"
    );
}

pub async fn deliveries_list_newest_first_with_filters_a_cursor_and_their_attempts<
    F: StoreFactory,
>() {
    let (env, a, b) = Env::with_two_merchants::<F>("mch_list_a", "mch_list_b").await;
    let pa = env.payment(&a, "A", at(0)).await;
    let pb = env.payment(&b, "B", at(0)).await;
    let m0 = message(OutboxKind::AcquirerRequest, Some(&pa), at(0));
    let m1 = message(OutboxKind::MerchantNotification, Some(&pa), at(1));
    let m2 = message(OutboxKind::AcquirerRequest, Some(&pb), at(2));
    let m3 = message(OutboxKind::MerchantNotification, Some(&pb), at(3));
    let m4 = message(OutboxKind::AcquirerWebhook, None, at(4));
    enqueue(&env, &[&m0, &m1, &m2, &m3, &m4]).await;
    claim(&env, at(10)).await;
    finish(&env, &m0, 1, at(11), NextStep::RetryAt(at(12))).await;
    claim(&env, at(12)).await;
    finish(&env, &m0, 2, at(13), NextStep::Delivered).await;
    finish(&env, &m3, 1, at(14), NextStep::Dead).await;

    let list = async |filter: DeliveryFilter, limit: u32, before: Option<&OutboxMessage>| {
        let page = PageRequest {
            limit,
            before: before.map(|m| m.id),
        };
        env.reads.deliveries(&filter, &page).await.unwrap()
    };
    let idsof = |ds: &[domain::outbox::Delivery]| -> Vec<EventId> {
        ds.iter().map(|d| d.message.id).collect()
    };
    let all = DeliveryFilter::default();

    let page = list(all.clone(), 2, None).await;
    assert_eq!(
        idsof(&page),
        [m4.id, m3.id, m2.id],
        "limit + 1, newest first"
    );
    assert_eq!(
        idsof(&list(all.clone(), 2, Some(&m2)).await),
        [m1.id, m0.id]
    );
    assert!(list(all.clone(), 2, Some(&m0)).await.is_empty());
    let ghost = message(OutboxKind::AcquirerWebhook, None, at(0));
    assert!(
        list(all.clone(), 2, Some(&ghost)).await.is_empty(),
        "unknown cursor"
    );

    let with_attempts = list(all.clone(), 10, None).await;
    let d0 = with_attempts
        .iter()
        .find(|d| d.message.id == m0.id)
        .unwrap();
    assert_eq!(d0.state, DeliveryState::Delivered);
    let numbers: Vec<u32> = d0.attempts.iter().map(|a| a.attempt_no).collect();
    assert_eq!(numbers, [1, 2], "each with all its attempts, oldest first");
    assert_eq!(d0, &delivery(&env, &m0.id).await);
    assert!(
        with_attempts
            .iter()
            .find(|d| d.message.id == m4.id)
            .unwrap()
            .attempts
            .is_empty()
    );

    let by_kind = DeliveryFilter {
        kind: Some(OutboxKind::MerchantNotification),
        ..Default::default()
    };
    assert_eq!(idsof(&list(by_kind, 10, None).await), [m3.id, m1.id]);
    let by_state = DeliveryFilter {
        state: Some(DeliveryState::Pending),
        ..Default::default()
    };
    assert_eq!(
        idsof(&list(by_state, 10, None).await),
        [m4.id, m2.id, m1.id]
    );
    let by_client = DeliveryFilter {
        client_id: Some(b.clone()),
        ..Default::default()
    };
    assert_eq!(idsof(&list(by_client, 10, None).await), [m3.id, m2.id]);
    let by_payment = DeliveryFilter {
        payment_id: Some(pa.id),
        ..Default::default()
    };
    assert_eq!(idsof(&list(by_payment, 10, None).await), [m1.id, m0.id]);
    let combined = DeliveryFilter {
        kind: Some(OutboxKind::MerchantNotification),
        state: Some(DeliveryState::Dead),
        client_id: Some(b),
        payment_id: Some(pb.id),
    };
    assert_eq!(idsof(&list(combined, 10, None).await), [m3.id]);
    let nobody = DeliveryFilter {
        client_id: Some(client("mch_nobody")),
        ..Default::default()
    };
    assert!(list(nobody, 10, None).await.is_empty());
}
