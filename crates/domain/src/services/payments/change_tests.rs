//! The one change loop: a database conflict is a reason to decide again, never a failure; lost
//! races end in `Contended` after [`MAX_ATTEMPTS`]; the system changes leave a payment that moved
//! on alone.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use super::*;
use crate::{
    payment::{PaymentStatus, fixtures},
    ports::{MockOutboundSender, MockPaymentStore, TransitionStoreError},
    services::testkit::{
        clock_at, payment_service as service, payment_service_with, store_finding_in_turn,
    },
};

/// The fixture payment's merchant completes it.
async fn complete_as_owner(service: PaymentService) -> Result<Payment, ChangePaymentError> {
    service
        .complete(
            &fixtures::client(),
            &crate::ids::PaymentKey::from_bytes([7; 32]),
            None,
        )
        .await
}

#[tokio::test]
async fn a_conflict_the_database_reports_is_decided_again_and_the_change_lands() {
    let writes = Arc::new(AtomicUsize::new(0));
    let mut store = MockPaymentStore::new();
    store
        .expect_find_by_key()
        .times(2)
        .returning(|_| Ok(Some(fixtures::approved_payment())));
    let counter = writes.clone();
    store.expect_transition().times(2).returning(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(TransitionStoreError::Conflict(
                "Deadlock found when trying to get lock".into(),
            ))
        } else {
            Ok(())
        }
    });
    let p = complete_as_owner(service(store)).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Completed);
    assert_eq!(writes.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_change_that_loses_every_race_is_contended_after_the_last_attempt() {
    let mut store = MockPaymentStore::new();
    store
        .expect_find_by_key()
        .times(MAX_ATTEMPTS)
        .returning(|_| Ok(Some(fixtures::approved_payment())));
    store
        .expect_transition()
        .times(MAX_ATTEMPTS)
        .returning(|_| Err(TransitionStoreError::Stale));
    let err = complete_as_owner(service(store)).await.unwrap_err();
    assert!(matches!(err, ChangePaymentError::Contended), "{err}");
}

/// A store that finds `payment` by its id, as the background workers look payments up.
fn finding_by_id(payment: Payment) -> MockPaymentStore {
    let mut store = MockPaymentStore::new();
    store
        .expect_find_by_id()
        .returning(move |_| Ok(Some(payment.clone())));
    store
}

/// The worker gives up reaching the acquirer for the fixture payment after 3 attempts.
async fn fail_unreachable(store: MockPaymentStore) -> Result<Option<Payment>, RepositoryError> {
    service(store)
        .fail_unreachable(&fixtures::ready_payment().id, 3)
        .await
}

#[tokio::test]
async fn failing_an_unreachable_payment_that_moved_on_leaves_it_alone() {
    let mut store = finding_by_id(fixtures::approved_payment());
    store.expect_transition().never();
    let left = fail_unreachable(store).await.unwrap();
    assert!(left.is_none());
}

#[tokio::test]
async fn failing_an_unreachable_ready_payment_records_acquirer_unavailable() {
    let mut store = finding_by_id(fixtures::ready_payment());
    store.expect_transition().times(1).returning(|_| Ok(()));
    let failed = fail_unreachable(store).await.unwrap().unwrap();
    assert_eq!(failed.status, PaymentStatus::Failed);
    assert_eq!(
        failed
            .failure_code
            .as_ref()
            .map(|c| c.to_string())
            .as_deref(),
        Some("ACQUIRER_UNAVAILABLE")
    );
}

#[tokio::test]
async fn expiry_skips_a_payment_another_instance_expired_first() {
    let expired_elsewhere = fixtures::ready_payment()
        .apply(
            crate::payment::Command::Expire,
            fixtures::merchant_origin(),
            fixtures::at(1_801_000),
        )
        .unwrap()
        .0;
    let (mut store, loads) = store_finding_in_turn(fixtures::ready_payment(), expired_elsewhere);
    store
        .expect_due_for_expiry()
        .returning(|_, _| Ok(vec![fixtures::ready_payment().key.clone()]));
    store
        .expect_transition()
        .times(1)
        .returning(|_| Err(TransitionStoreError::Stale));
    // Half an hour and a bit after the payment was created: it is due.
    let later = payment_service_with(
        store,
        clock_at(fixtures::at(1_801_000)),
        MockOutboundSender::new(),
    );
    let expired = later.expire_due(10).await.unwrap();
    assert_eq!(expired, 0);
    assert_eq!(
        loads.load(Ordering::SeqCst),
        2,
        "decided again on fresh data"
    );
}
