//! Unit tests of authorization expiry (api.md §9.4) over an in-memory store: an APPROVED payment
//! not completed in time is voided, once, with the acquirer cancel queued in the same change.

use std::time::Duration;

use crate::{
    ids::TransactionId,
    outbox::OutboxKind,
    payment::{
        AuditAction, CancelStatus, Command, Payment, PaymentStatus, TransitionKind, fixtures,
    },
    ports::MockOutboundSender,
    services::testkit::{MemoryStore, payment_service_over, t0},
};

/// The fixture payment approved at `t0` with an authorization window of `ttl`.
fn approved_for(ttl: Duration) -> Payment {
    let approve = Command::Approve {
        transaction_id: TransactionId::parse("tx-1").unwrap(),
        authorization_ttl: ttl,
    };
    fixtures::ready_payment()
        .apply(approve, fixtures::merchant_origin(), t0())
        .unwrap()
        .0
}

async fn sweep(store: &std::sync::Arc<MemoryStore>) -> usize {
    payment_service_over(store.clone(), MockOutboundSender::new())
        .expire_authorizations(100)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_approved_payment_past_its_authorization_deadline_is_voided_with_the_acquirer_cancel_queued()
 {
    let store = MemoryStore::holding(approved_for(Duration::ZERO));
    assert_eq!(sweep(&store).await, 1);

    let changes = store.stored();
    assert_eq!(changes.len(), 1, "one transition");
    let change = &changes[0];
    assert_eq!(
        change.audit.action,
        AuditAction::Transition(TransitionKind::ExpireAuthorization)
    );
    let p = &change.next;
    assert_eq!(p.status, PaymentStatus::Canceled);
    assert_eq!(
        p.cancel_reason.as_ref().map(|r| r.as_str()),
        Some("authorization expired")
    );
    assert_eq!(p.canceled_at, Some(t0()));
    assert_eq!(p.authorization_expires_at, None, "no deadline once voided");
    assert_eq!((p.canceled_amount(), p.cancelable_amount()), (15_000, 0));
    let cancels = p.cancels.list();
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].status, CancelStatus::Succeeded);

    let carrier = change
        .events
        .iter()
        .find(|e| e.kind == OutboxKind::AcquirerCancel)
        .expect("the acquirer cancel is queued in the same change");
    assert_eq!(carrier.cancel_id.as_ref(), Some(&cancels[0].id));
}

#[tokio::test]
async fn an_authorization_inside_its_window_is_left_alone() {
    let store = MemoryStore::holding(approved_for(Duration::from_secs(1)));
    assert_eq!(sweep(&store).await, 0);
    assert!(store.stored().is_empty());
}

#[tokio::test]
async fn a_completed_payment_is_never_voided_by_the_sweeper() {
    let completed = approved_for(Duration::ZERO)
        .apply(Command::Complete, fixtures::merchant_origin(), t0())
        .unwrap()
        .0;
    let store = MemoryStore::holding(completed);
    assert_eq!(sweep(&store).await, 0);
    assert!(store.stored().is_empty());
}

#[tokio::test]
async fn a_second_sweep_finds_nothing_left_to_void() {
    let store = MemoryStore::holding(approved_for(Duration::ZERO));
    assert_eq!(sweep(&store).await, 1);
    assert_eq!(sweep(&store).await, 0);
    assert_eq!(store.stored().len(), 1);
}
