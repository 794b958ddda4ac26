//! PaymentStore and the outbox: messages written atomically with inserts, transitions and notes;
//! notes take their status from the payment row; lookups by id; the expiry sweep's query.

use domain::{
    ids::RequestId,
    outbox::{DeliveryState, OutboxKind, OutboxMessage},
    payment::{Actor, AuditAction, AuditNote, Command, Origin, Payment, PaymentStatus},
    ports::{InsertPaymentError, StateChange, TransitionStoreError},
};

use crate::{
    StoreFactory,
    support::{
        Env, approve, assert_note_row, at, cancel, message, new_payment_id, note_of,
        unsaved_payment,
    },
};

fn change(
    current: &Payment,
    command: Command,
    now_ms: i64,
    events: Vec<OutboxMessage>,
) -> StateChange {
    let origin = Origin {
        actor: Actor::Acquirer,
        request_id: None,
    };
    let (next, audit) = current.apply(command, origin, at(now_ms)).unwrap();
    StateChange {
        events,
        ..StateChange::new(next, current.version, audit)
    }
}

/// Asserts `m` is stored exactly as given, PENDING, never attempted, due at `not_before`.
async fn assert_stored_new(env: &Env, m: &OutboxMessage) {
    let d = env.reads.delivery(&m.id).await.unwrap().expect("stored");
    assert_eq!(&d.message, m);
    assert_eq!(d.state, DeliveryState::Pending);
    assert!(d.attempts.is_empty());
    assert_eq!(d.next_attempt_at, Some(m.not_before));
    assert_eq!(d.last_error, None);
    assert_eq!(d.updated_at, m.created_at);
}

pub async fn creating_a_payment_stores_its_messages_in_the_same_transaction<F: StoreFactory>() {
    let (env, mch) = Env::with_merchant::<F>("mch_ev_create").await;
    let (p, audit) = unsaved_payment(&mch, "ORDER-1", 100, at(0));
    let request = message(OutboxKind::AcquirerRequest, Some(&p), at(0));
    let mut later = message(OutboxKind::AcquirerWebhook, Some(&p), at(0));
    later.not_before = at(3_000);

    env.payments
        .insert(&p, &audit, &[request.clone(), later.clone()], None)
        .await
        .unwrap();

    assert_stored_new(&env, &request).await;
    assert_stored_new(&env, &later).await;
    assert_eq!(env.payments.find_by_id(&p.id).await.unwrap(), Some(p));
}

pub async fn a_duplicate_order_writes_none_of_its_messages<F: StoreFactory>() {
    let (env, mch) = Env::with_merchant::<F>("mch_ev_dup").await;
    env.payment(&mch, "ORDER-1", at(0)).await;
    let (second, audit) = unsaved_payment(&mch, "ORDER-1", 100, at(1));
    let request = message(OutboxKind::AcquirerRequest, None, at(1));

    let err = env
        .refused_insert(&second, &audit, std::slice::from_ref(&request), None)
        .await;

    assert!(matches!(err, InsertPaymentError::DuplicateOrder), "{err:?}");
    assert_eq!(env.reads.delivery(&request.id).await.unwrap(), None);
    assert_eq!(env.count("outbox_event").await, 0);
}

pub async fn a_transition_stores_its_messages_with_the_state_change<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_ev_tr").await;
    let notification = message(OutboxKind::MerchantNotification, Some(&p), at(10));
    let cancel = message(OutboxKind::AcquirerCancel, Some(&p), at(10));

    let approved = change(
        &p,
        approve("tx-1"),
        10,
        vec![notification.clone(), cancel.clone()],
    );
    env.payments.transition(&approved).await.unwrap();

    assert_stored_new(&env, &notification).await;
    assert_stored_new(&env, &cancel).await;
    assert_eq!(
        env.payments.find_by_id(&p.id).await.unwrap(),
        Some(approved.next)
    );
}

pub async fn a_stale_transition_writes_none_of_its_messages<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_ev_stale").await;
    let first = change(&p, approve("tx-1"), 10, Vec::new());
    env.payments.transition(&first).await.unwrap();
    let notification = message(OutboxKind::MerchantNotification, Some(&p), at(20));
    let late = change(&p, cancel("late"), 20, vec![notification.clone()]);

    let err = env.payments.transition(&late).await.unwrap_err();

    assert!(matches!(err, TransitionStoreError::Stale), "{err:?}");
    assert_eq!(env.reads.delivery(&notification.id).await.unwrap(), None);
    assert_eq!(env.count("outbox_event").await, 0);
}

pub async fn a_message_that_cannot_be_stored_rolls_back_the_whole_transition<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_ev_rollback").await;
    let taken = message(OutboxKind::AcquirerWebhook, None, at(0));
    env.outbox
        .enqueue(std::slice::from_ref(&taken), &[])
        .await
        .unwrap();
    let mut clash = message(OutboxKind::MerchantNotification, Some(&p), at(10));
    clash.id = taken.id;

    let err = env
        .payments
        .transition(&change(&p, approve("tx-1"), 10, vec![clash]))
        .await
        .unwrap_err();

    assert!(
        matches!(err, TransitionStoreError::Repository(ref e) if !e.is_unavailable()),
        "{err:?}"
    );
    assert_eq!(
        env.payments.find_by_id(&p.id).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(env.trail(&p.id).await.len(), 1);
    assert_eq!(env.count("outbox_event").await, 1);
}

pub async fn a_note_takes_its_status_from_the_payment_row_and_stores_its_messages<
    F: StoreFactory,
>() {
    let (env, _, p) = Env::with_payment::<F>("mch_note").await;
    env.payments
        .transition(&change(&p, approve("tx-1"), 10, Vec::new()))
        .await
        .unwrap();
    let note = AuditNote {
        details: Some("APPROVED (transactionId=tx-2) refused: 결제 ✓".to_owned()),
        request_id: Some(RequestId::parse("req-note").unwrap()),
        ..note_of(AuditAction::WebhookRejected, Actor::Acquirer, 20)
    };
    let cancel = message(OutboxKind::AcquirerCancel, Some(&p), at(20));

    env.payments
        .append_note(&p.id, &note, std::slice::from_ref(&cancel))
        .await
        .unwrap();

    let trail = env.trail(&p.id).await;
    assert_eq!(trail.len(), 3);
    assert_note_row(&trail[2].record, &note, PaymentStatus::Approved);
    assert_stored_new(&env, &cancel).await;
    let stored = env.payments.find_by_id(&p.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1, "a note changes nothing");
}

pub async fn a_note_with_details_longer_than_the_column_is_cut_not_refused<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_note_long").await;
    let note = AuditNote {
        details: Some("é".repeat(3000)),
        ..note_of(AuditAction::AcquirerRequestFailed, Actor::System, 5)
    };

    env.payments.append_note(&p.id, &note, &[]).await.unwrap();

    let trail = env.trail(&p.id).await;
    assert_eq!(trail[1].record.details, Some("é".repeat(1024)));
    assert_eq!(trail[1].record.status, PaymentStatus::Ready);
}

pub async fn a_note_on_an_unknown_payment_is_an_error_and_writes_nothing<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let note = note_of(AuditAction::WebhookDuplicate, Actor::Acquirer, 0);
    let webhook = message(OutboxKind::AcquirerWebhook, None, at(0));

    let err = env
        .payments
        .append_note(&new_payment_id(), &note, std::slice::from_ref(&webhook))
        .await
        .unwrap_err();

    assert!(!err.is_unavailable());
    assert_eq!(env.count("payment_log").await, 0);
    assert_eq!(env.count("outbox_event").await, 0);
}

pub async fn a_payment_is_found_by_its_id_and_an_unknown_id_is_not<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_by_id").await;
    assert_eq!(env.payments.find_by_id(&p.id).await.unwrap(), Some(p));
    assert_eq!(
        env.payments.find_by_id(&new_payment_id()).await.unwrap(),
        None
    );
}

pub async fn payments_due_for_expiry_are_ready_ones_past_their_expiry_oldest_first<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_expiry").await;
    // Every payment expires 1800 s after its creation.
    const TTL: i64 = 1_800_000;
    let second = env.payment(&mch, "B", at(2_000)).await;
    let first = env.payment(&mch, "A", at(1_000)).await;
    let third = env.payment(&mch, "C", at(3_000)).await;
    let not_yet = env.payment(&mch, "D", at(9_000)).await;
    let canceled = env.payment(&mch, "E", at(0)).await;
    env.payments
        .transition(&change(&canceled, cancel("r"), 1, Vec::new()))
        .await
        .unwrap();
    let now = at(TTL + 3_000);

    let due = env.due_for_expiry(now, 10).await;

    assert_eq!(
        due,
        [first.key.clone(), second.key.clone(), third.key.clone()]
    );
    assert_eq!(
        env.due_for_expiry(now, 2).await,
        [first.key.clone(), second.key.clone()],
        "at most limit"
    );
    assert!(env.due_for_expiry(at(TTL + 999), 10).await.is_empty());
    assert!(
        !env.due_for_expiry(at(TTL + 9_000), 10)
            .await
            .contains(&canceled.key)
    );
    assert_eq!(
        env.due_for_expiry(at(TTL + 9_000), 10).await.last(),
        Some(&not_yet.key),
        "expires_at <= now is due"
    );
}
