//! PaymentStore: round trips, duplicate orders, compare-and-set transitions, listing.

use std::time::Duration;

use domain::{
    ids::{PaymentKey, RequestId, TransactionId},
    money::{Amount, Currency},
    payment::{
        Actor, AuditAction, Cancel, CancelId, CancelReason, CancelStatus, Cancels, Command,
        CustomerName, FailureCode, FailureMessage, MethodCode, OrderNo, Origin, Payment,
        PaymentRecord, PaymentStatus, ProductName, TransitionKind,
    },
    ports::{InsertPaymentError, PageRequest, PaymentFilter, StateChange, TransitionStoreError},
};

use crate::{
    StoreFactory,
    support::{
        Env, approve, assert_legal_trail, at, cancel, client, new_payment, new_payment_id,
        new_payment_key, unsaved_payment,
    },
};

fn origin() -> Origin {
    Origin {
        actor: Actor::Acquirer,
        request_id: Some(RequestId::parse("req-42").unwrap()),
    }
}

fn change_of(current: &Payment, command: Command, now_ms: i64) -> StateChange {
    let (next, audit) = current.apply(command, origin(), at(now_ms)).unwrap();
    StateChange::new(next, current.version, audit)
}

pub async fn a_payment_with_every_optional_field_set_round_trips_exactly<F: StoreFactory>() {
    let (env, mch) = Env::with_merchant::<F>("mch_roundtrip").await;
    let payment = Payment::restore(PaymentRecord {
        id: new_payment_id(),
        key: new_payment_key(),
        client_id: mch,
        order_no: OrderNo::parse("ORDER-1:a.b_c").unwrap(),
        amount: Amount::parse(Amount::MAX).unwrap(),
        currency: Currency::parse("USD").unwrap(),
        method: MethodCode::Mobile,
        product_name: Some(ProductName::parse(&format!("커피 ☕ {}", "상".repeat(120))).unwrap()),
        customer_name: Some(CustomerName::parse(&"홍".repeat(64)).unwrap()),
        status: PaymentStatus::Canceled,
        version: 7,
        transaction_id: Some(TransactionId::parse("tx-!~123").unwrap()),
        failure_code: Some(FailureCode::parse("CARD_DECLINED").unwrap()),
        failure_message: Some(FailureMessage::parse("카드 거절 — «declined» 🙅").unwrap()),
        cancel_reason: Some(CancelReason::parse("고객 요청 🙏").unwrap()),
        created_at: at(1),
        updated_at: at(999),
        approved_at: Some(at(2)),
        completed_at: Some(at(3)),
        canceled_at: Some(at(4)),
        failed_at: Some(at(5)),
        expires_at: at(1_800_001),
        authorization_expires_at: Some(at(604_800_002)),
        cancels: Cancels::restore(
            Amount::parse(Amount::MAX).unwrap(),
            vec![
                Cancel {
                    id: CancelId::parse("cnl_roundtrip_000000000000000001").unwrap(),
                    amount: Amount::parse(Amount::MAX - 1).unwrap(),
                    reason: CancelReason::parse("부분 취소 — one item").unwrap(),
                    status: CancelStatus::Succeeded,
                    acquirer_transaction_id: Some(TransactionId::parse("mcx_1").unwrap()),
                    failure_code: None,
                    failure_message: None,
                    requested_at: at(6),
                    completed_at: Some(at(7)),
                },
                Cancel {
                    id: CancelId::parse("cnl_roundtrip_000000000000000002").unwrap(),
                    amount: Amount::parse(1).unwrap(),
                    reason: CancelReason::parse("the rest").unwrap(),
                    status: CancelStatus::Failed,
                    acquirer_transaction_id: None,
                    failure_code: Some(FailureCode::parse("CANCEL_REFUSED").unwrap()),
                    failure_message: Some(FailureMessage::parse("거절").unwrap()),
                    requested_at: at(8),
                    completed_at: Some(at(9)),
                },
            ],
        )
        .unwrap(),
    });
    let (_, audit) = Payment::create(
        payment.id,
        payment.key.clone(),
        payment.client_id.clone(),
        new_payment("unused", 1),
        at(1),
        Duration::ZERO,
        Some(RequestId::parse("req-create").unwrap()),
    );

    env.payments
        .insert(&payment, &audit, &[], None)
        .await
        .unwrap();

    let found = env
        .payments
        .find_by_key(&payment.key)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(found, payment);
    let trail = env.trail(&payment.id).await;
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].record, audit);
}

pub async fn a_payment_with_no_optional_fields_round_trips_with_nones<F: StoreFactory>() {
    let (env, mch) = Env::with_merchant::<F>("mch_minimal").await;
    let p = env.payment(&mch, "ORDER-1", at(123)).await;

    let found = env.stored(&p.key).await.unwrap();

    assert_eq!(found, p);
    assert_eq!(found.product_name, None);
    assert_eq!(found.approved_at, None);
    assert_eq!(
        found.created_at.unix_millis() % 1000,
        123,
        "milliseconds survive"
    );
}

pub async fn an_unknown_payment_key_is_not_found<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    assert_eq!(env.stored(&PaymentKey::from_bytes([3; 32])).await, None);
    assert!(env.trail(&new_payment_id()).await.is_empty());
}

pub async fn a_duplicate_order_number_is_reported_as_such_and_nothing_is_written<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_dup").await;
    let first = env.payment(&mch, "ORDER-7", at(0)).await;
    let (second, audit) = unsaved_payment(&mch, "ORDER-7", 99, at(10));

    let err = env.refused_insert(&second, &audit, &[], None).await;

    assert!(matches!(err, InsertPaymentError::DuplicateOrder), "{err:?}");
    assert_eq!(env.stored(&second.key).await, None);
    assert!(env.trail(&second.id).await.is_empty());
    assert_eq!(env.count("payment").await, 1);
    assert_eq!(env.count("payment_log").await, 1);
    assert_eq!(env.stored(&first.key).await, Some(first));
}

pub async fn order_numbers_differing_only_in_case_are_different_orders<F: StoreFactory>() {
    let (env, mch) = Env::with_merchant::<F>("mch_case").await;
    env.payment(&mch, "order-1", at(0)).await;
    env.payment(&mch, "ORDER-1", at(1)).await;
    assert_eq!(env.count("payment").await, 2);
}

pub async fn the_same_order_number_is_fine_for_two_merchants<F: StoreFactory>() {
    let (env, a, b) = Env::with_two_merchants::<F>("mch_a", "mch_b").await;

    let pa = env.payment(&a, "ORDER-1", at(0)).await;
    let pb = env.payment(&b, "ORDER-1", at(1)).await;

    assert_eq!(env.stored(&pa.key).await.unwrap().client_id, a);
    assert_eq!(env.stored(&pb.key).await.unwrap().client_id, b);
}

pub async fn a_reused_payment_key_is_a_storage_error_not_a_duplicate_order<F: StoreFactory>() {
    let (env, mch) = Env::with_merchant::<F>("mch_key").await;
    let first = env.payment(&mch, "ORDER-1", at(0)).await;
    let (second, audit) = Payment::create(
        new_payment_id(),
        first.key.clone(),
        mch,
        new_payment("ORDER-2", 5),
        at(1),
        Duration::ZERO,
        None,
    );

    let err = env.refused_insert(&second, &audit, &[], None).await;

    assert!(
        matches!(err, InsertPaymentError::Repository(ref e) if !e.is_unavailable()),
        "{err:?}"
    );
    assert_eq!(env.count("payment").await, 1);
}

pub async fn a_payment_of_an_unknown_merchant_is_refused<F: StoreFactory>() {
    let env = Env::new::<F>().await;
    let (p, audit) = unsaved_payment(&client("mch_ghost"), "O", 5, at(0));
    assert!(matches!(
        env.refused_insert(&p, &audit, &[], None).await,
        InsertPaymentError::Repository(_)
    ));
    assert_eq!(env.count("payment_log").await, 0);
}

pub async fn a_transition_stores_the_new_state_and_its_audit_row_together<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_tr").await;
    let approve = change_of(&p, approve("tx-1"), 10);
    env.payments.transition(&approve).await.unwrap();
    let approved = env.stored(&p.key).await.unwrap();
    let complete = change_of(&approved, Command::Complete, 20);

    env.payments.transition(&complete).await.unwrap();

    let stored = env.stored(&p.key).await.unwrap();
    assert_eq!(stored, complete.next);
    assert_eq!(stored.status, PaymentStatus::Completed);
    assert_eq!(stored.version, 2);
    assert_eq!(stored.approved_at, Some(at(10)));
    assert_eq!(stored.completed_at, Some(at(20)));
    let trail = env.trail(&p.id).await;
    let actions: Vec<_> = trail.iter().map(|e| e.record.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::Create,
            AuditAction::Transition(TransitionKind::Approve),
            AuditAction::Transition(TransitionKind::Complete)
        ]
    );
    assert_eq!(trail[1].record, approve.audit);
    assert_eq!(trail[2].record, complete.audit);
    assert_legal_trail(&trail, &stored);
}

pub async fn a_failure_keeps_its_code_message_and_transaction<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_fail").await;
    let fail = change_of(
        &p,
        Command::Fail {
            transaction_id: Some(TransactionId::parse("tx-9").unwrap()),
            code: FailureCode::parse("CARD_DECLINED").unwrap(),
            message: Some(FailureMessage::parse("한도 초과").unwrap()),
        },
        5,
    );
    env.payments.transition(&fail).await.unwrap();
    assert_eq!(env.stored(&p.key).await.unwrap(), fail.next);
}

pub async fn a_transition_decided_on_a_stale_version_is_rejected_and_writes_nothing<
    F: StoreFactory,
>() {
    let (env, _, p) = Env::with_payment::<F>("mch_stale").await;
    let mut stale = change_of(&p, Command::Expire, 1_800_000);
    // Pretend it was decided on version 3 of the payment.
    stale.expected_version = 3;
    stale.next = Payment::restore(PaymentRecord {
        version: 4,
        ..stale.next.into_record()
    });
    stale.audit.from_version = Some(3);

    let err = env.payments.transition(&stale).await.unwrap_err();

    assert!(matches!(err, TransitionStoreError::Stale), "{err:?}");
    assert_eq!(env.stored(&p.key).await.unwrap(), p);
    assert_eq!(env.trail(&p.id).await.len(), 1);
}

pub async fn a_second_change_decided_on_the_same_version_loses<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_lose").await;
    let cancel = change_of(&p, cancel("first"), 1);
    let approve = change_of(&p, approve("tx-late"), 2);

    env.payments.transition(&cancel).await.unwrap();
    let err = env.payments.transition(&approve).await.unwrap_err();

    assert!(matches!(err, TransitionStoreError::Stale));
    let stored = env.stored(&p.key).await.unwrap();
    assert_eq!(stored, cancel.next);
    assert_legal_trail(&env.trail(&p.id).await, &stored);
}

pub async fn an_audit_row_for_an_already_left_version_makes_the_transition_stale<
    F: StoreFactory,
>() {
    let (env, _, p) = Env::with_payment::<F>("mch_log").await;
    // A transition row from version 0 already exists although the payment still says version 0
    // (e.g. written by a buggy tool): the unique (payment_id, from_version) key must refuse a
    // second one, and the payment update must roll back with it.
    env.exec(&format!(
            "INSERT INTO payment_log (payment_id, action, from_status, status, actor, from_version, created_at) \
             VALUES ('{}', 'CANCEL', 'READY', 'CANCELED', 'ADMIN', 0, '2026-11-24 08:00:00')",
            p.id
        ),
    )
    .await;
    let change = change_of(&p, cancel("r"), 1);

    let err = env.payments.transition(&change).await.unwrap_err();

    assert!(matches!(err, TransitionStoreError::Stale), "{err:?}");
    assert_eq!(
        env.stored(&p.key).await.unwrap(),
        p,
        "the update was rolled back"
    );
}

pub async fn a_row_that_breaks_the_schema_promises_is_reported_not_returned<F: StoreFactory>() {
    let (env, _, p) = Env::with_payment::<F>("mch_corrupt").await;
    env.exec(&format!(
        "UPDATE payment SET currency = 'XYZ' WHERE payment_id = '{}'",
        p.id
    ))
    .await;

    let err = env.payments.find_by_key(&p.key).await.unwrap_err();

    assert!(err.to_string().contains("currency"), "{err}");
    assert!(!err.is_unavailable());
}

// ---------------------------------------------------------------------------------------------
// listing

async fn keys_of(
    env: &Env,
    filter: &PaymentFilter,
    limit: u32,
    before: Option<&Payment>,
) -> Vec<String> {
    let page = PageRequest {
        limit,
        before: before.map(|p| p.id),
    };
    env.payments
        .list(filter, &page)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.order_no.to_string())
        .collect()
}

pub async fn listing_is_newest_first_and_fetches_one_extra_row_to_tell_if_more_exist<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_list").await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(env.payment(&mch, &format!("O{i}"), at(i)).await);
    }
    let filter = PaymentFilter {
        client_id: Some(mch.clone()),
        ..Default::default()
    };

    assert_eq!(
        keys_of(&env, &filter, 2, None).await,
        ["O4", "O3", "O2"],
        "limit + 1 rows"
    );
    assert_eq!(
        keys_of(&env, &filter, 2, Some(&created[3])).await,
        ["O2", "O1", "O0"]
    );
    assert_eq!(
        keys_of(&env, &filter, 2, Some(&created[1])).await,
        ["O0"],
        "last page: no extra row"
    );
    assert_eq!(keys_of(&env, &filter, 10, None).await.len(), 5);
    assert!(
        keys_of(&env, &filter, 10, Some(&created[0]))
            .await
            .is_empty()
    );

    let full = env
        .payments
        .list(&filter, &PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(full[0], created[4], "rows come back whole");
}

pub async fn listing_filters_by_merchant_status_order_and_creation_range<F: StoreFactory>() {
    let (env, a, b) = Env::with_two_merchants::<F>("mch_fa", "mch_fb").await;
    let a0 = env.payment(&a, "A0", at(0)).await;
    env.payment(&a, "A1", at(1_000)).await;
    env.payment(&a, "A2", at(2_000)).await;
    env.payment(&b, "B0", at(1_000)).await;
    let cancel = change_of(&a0, cancel("r"), 5);
    env.payments.transition(&cancel).await.unwrap();

    let all = PaymentFilter::default();
    assert_eq!(
        keys_of(&env, &all, 10, None).await,
        ["B0", "A2", "A1", "A0"],
        "no merchant filter: everyone's"
    );

    let only_b = PaymentFilter {
        client_id: Some(b.clone()),
        ..Default::default()
    };
    assert_eq!(keys_of(&env, &only_b, 10, None).await, ["B0"]);

    let canceled = PaymentFilter {
        client_id: Some(a.clone()),
        status: Some(PaymentStatus::Canceled),
        ..Default::default()
    };
    assert_eq!(keys_of(&env, &canceled, 10, None).await, ["A0"]);
    let ready_a = PaymentFilter {
        client_id: Some(a.clone()),
        status: Some(PaymentStatus::Ready),
        ..Default::default()
    };
    assert_eq!(keys_of(&env, &ready_a, 10, None).await, ["A2", "A1"]);

    let by_order = PaymentFilter {
        order_no: Some(OrderNo::parse("A1").unwrap()),
        ..Default::default()
    };
    assert_eq!(keys_of(&env, &by_order, 10, None).await, ["A1"]);

    // created_from is inclusive, created_to exclusive.
    let range = PaymentFilter {
        client_id: Some(a.clone()),
        created_from: Some(at(1_000)),
        created_to: Some(at(2_000)),
        ..Default::default()
    };
    assert_eq!(keys_of(&env, &range, 10, None).await, ["A1"]);
    let from = PaymentFilter {
        created_from: Some(at(1_000)),
        ..Default::default()
    };
    assert_eq!(keys_of(&env, &from, 10, None).await, ["B0", "A2", "A1"]);
    let to = PaymentFilter {
        created_to: Some(at(1_000)),
        ..Default::default()
    };
    assert_eq!(keys_of(&env, &to, 10, None).await, ["A0"]);
    let one_ms = PaymentFilter {
        created_from: Some(at(999)),
        created_to: Some(at(1_001)),
        ..Default::default()
    };
    assert_eq!(keys_of(&env, &one_ms, 10, None).await, ["B0", "A1"]);
}
