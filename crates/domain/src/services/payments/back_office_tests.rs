//! The back office's payment use cases decide by the principal (api.md §10.1): what each role
//! may see and cancel, and the operator audit row stored with a cancel's change.

use super::*;
use crate::{
    payment::{Actor, CancelReason, PaymentStatus, fixtures},
    people::{Guarded, Principal, RequestOrigin, Role},
    ports::MockOutboundSender,
    services::testkit::{MemoryStore, payment_service_over},
};

fn person(role: Role, client: Option<&str>) -> Principal {
    crate::services::testkit::person("ops@example.com", role, client)
}

fn full_cancel() -> CancelRequest {
    CancelRequest {
        reason: CancelReason::parse("customer asked").unwrap(),
        amount: None,
    }
}

fn over_a_ready_payment() -> (std::sync::Arc<MemoryStore>, PaymentService) {
    let store = MemoryStore::holding(fixtures::ready_payment());
    let service = payment_service_over(store.clone(), MockOutboundSender::new());
    (store, service)
}

#[tokio::test]
async fn another_merchants_payment_is_not_found_for_a_merchant_user_and_visible_to_a_viewer() {
    let (_, service) = over_a_ready_payment();
    let key = fixtures::ready_payment().key.clone();
    let stranger = person(Role::MerchantAdmin, Some("mch_other"));
    assert!(matches!(
        service.show(&stranger, &key).await,
        Err(Guarded::Failed(FindPaymentError::NotFound))
    ));
    assert!(matches!(
        service.trail(&stranger, &key).await,
        Err(Guarded::Failed(FindPaymentError::NotFound))
    ));
    let owner = person(Role::MerchantViewer, Some("mch_test"));
    assert_eq!(service.show(&owner, &key).await.unwrap().key, key);
    let viewer = person(Role::Viewer, None);
    assert_eq!(service.show(&viewer, &key).await.unwrap().key, key);
}

#[tokio::test]
async fn a_read_only_role_may_not_cancel_and_nothing_changes() {
    let (store, service) = over_a_ready_payment();
    let key = fixtures::ready_payment().key.clone();
    for by in [
        person(Role::Viewer, None),
        person(Role::MerchantViewer, Some("mch_test")),
    ] {
        let answer = service
            .cancel_for(&by, &key, full_cancel(), &RequestOrigin::default())
            .await;
        assert!(matches!(answer, Err(Guarded::Forbidden)), "{:?}", by.role());
    }
    let stranger = person(Role::MerchantAdmin, Some("mch_other"));
    let answer = service
        .cancel_for(&stranger, &key, full_cancel(), &RequestOrigin::default())
        .await;
    assert!(matches!(
        answer,
        Err(Guarded::Failed(ChangePaymentError::NotFound))
    ));
    assert!(store.stored().is_empty());
    assert_eq!(store.current().status, PaymentStatus::Ready);
}

#[tokio::test]
async fn an_operators_cancel_stores_its_audit_row_with_the_change_and_names_actor_admin() {
    let (store, service) = over_a_ready_payment();
    let key = fixtures::ready_payment().key.clone();
    let operator = person(Role::Operator, None);
    let answer = service
        .cancel_for(&operator, &key, full_cancel(), &RequestOrigin::default())
        .await
        .unwrap();
    assert!(matches!(answer, CancelAnswer::Done(p) if p.status == PaymentStatus::Canceled));
    let changes = store.stored();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].audit.actor, Actor::Admin);
    let row = changes[0]
        .operator_audit
        .as_ref()
        .expect("an operator audit row");
    assert_eq!(row.action, CANCEL_ACTION);
    assert_eq!(row.actor, "ops@example.com");
    assert_eq!(row.role, Some(Role::Operator));
    assert_eq!(row.target.as_deref(), Some(key.to_string().as_str()));
}

#[tokio::test]
async fn a_merchant_admins_cancel_of_its_own_payment_names_actor_merchant() {
    let (store, service) = over_a_ready_payment();
    let key = fixtures::ready_payment().key.clone();
    let own = person(Role::MerchantAdmin, Some("mch_test"));
    service
        .cancel_for(&own, &key, full_cancel(), &RequestOrigin::default())
        .await
        .unwrap();
    let changes = store.stored();
    assert_eq!(changes[0].audit.actor, Actor::Merchant);
    assert_eq!(
        changes[0].operator_audit.as_ref().map(|r| r.role),
        Some(Some(Role::MerchantAdmin))
    );
}
