//! Back-office changes keep their operator audit row in their own transaction (api.md §10.4):
//! a payment's state change and a manual redelivery store the row when they commit and never
//! when they do not.

use domain::{
    outbox::{NextStep, OutboxKind},
    payment::Origin,
    people::{OperatorAuditEntry, OperatorAuditFilter},
    ports::{PageRequest, StateChange, TransitionStoreError},
};

use crate::{
    StoreFactory,
    outbox::{claim, enqueue, finish},
    people::entry,
    support::{Env, approve, at, message, new_event_id},
};

async fn audit_rows(env: &Env) -> Vec<OperatorAuditEntry> {
    let page = PageRequest::first(50);
    env.people()
        .operator_audit
        .list(&OperatorAuditFilter::default(), &page)
        .await
        .unwrap()
}

pub async fn a_state_change_stores_its_operator_audit_row_and_a_stale_one_stores_none<
    F: StoreFactory,
>() {
    let (env, _, p) = Env::with_payment::<F>("mch_backoffice").await;
    let (next, audit) = p
        .apply(approve("tx-backoffice"), Origin::system(), at(10))
        .unwrap();
    let row = entry("ops@example.com", "PAYMENT_CANCEL", at(10));
    let change = StateChange {
        operator_audit: Some(row.clone()),
        ..StateChange::new(next, p.version, audit)
    };
    env.payments.transition(&change).await.unwrap();
    let stored = audit_rows(&env).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0],
        OperatorAuditEntry {
            audit_id: stored[0].audit_id,
            ..row
        }
    );

    let again = env.payments.transition(&change).await;
    assert!(matches!(again, Err(TransitionStoreError::Stale)));
    assert_eq!(
        audit_rows(&env).await.len(),
        1,
        "a stale change stores no row"
    );
}

pub async fn a_redelivery_stores_its_operator_audit_row_and_an_unknown_message_stores_none<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let m = message(OutboxKind::MerchantNotification, None, at(0));
    enqueue(&env, &[&m]).await;
    claim(&env, at(1)).await;
    finish(&env, &m, 1, at(2), NextStep::Dead).await;
    let row = entry("token", "DELIVERY_RETRY", at(3));

    assert!(
        env.outbox
            .redeliver(&m.id, at(3), std::slice::from_ref(&row))
            .await
            .unwrap()
    );
    assert!(
        !env.outbox
            .redeliver(&new_event_id(), at(4), std::slice::from_ref(&row))
            .await
            .unwrap()
    );
    let stored = audit_rows(&env).await;
    assert_eq!(stored.len(), 1, "only the redelivery that happened");
    assert_eq!(stored[0].action, "DELIVERY_RETRY");
    assert_eq!(stored[0].at, at(3));
}
