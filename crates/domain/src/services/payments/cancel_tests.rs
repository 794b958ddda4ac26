//! Unit tests of the cancel protocol (api.md §9.2) over an in-memory store with a real
//! compare-and-set: what is reserved, what the acquirer is asked, what each answer leaves.

use std::time::Duration;

use super::*;
use crate::{
    money::CancelAmount,
    outbox::{NextStep, OutboxKind, SendReport},
    payment::{
        AuditAction, CancelReason, CancelStatus, PaymentStatus, TransitionKind, TransitionRejected,
        fixtures,
    },
    ports::MockOutboundSender,
    services::testkit::{MemoryStore, answered_once, payment_service_over, t0},
};

fn request(amount: Option<i64>) -> CancelRequest {
    CancelRequest {
        reason: CancelReason::parse("one item returned").unwrap(),
        amount: amount.map(|a| CancelAmount::parse(a).unwrap()),
    }
}

async fn cancel(
    store: &std::sync::Arc<MemoryStore>,
    sender: MockOutboundSender,
    amount: Option<i64>,
) -> Result<CancelAnswer, ChangePaymentError> {
    payment_service_over(store.clone(), sender)
        .cancel(
            Some(&fixtures::client()),
            &fixtures::ready_payment().key,
            request(amount),
            fixtures::merchant_origin(),
            None,
        )
        .await
}

fn unanswered() -> MockOutboundSender {
    let mut sender = MockOutboundSender::new();
    sender.expect_post().times(1).returning(|_| SendReport {
        error: Some("timeout".into()),
        ..Default::default()
    });
    sender
}

#[tokio::test]
async fn a_confirmed_partial_cancel_answers_200_and_leaves_the_rest_cancelable() {
    let store = MemoryStore::holding(fixtures::completed_payment());
    let p = done(
        cancel(&store, answered_once(200), Some(5_000))
            .await
            .unwrap(),
    );
    assert_eq!(p.status, PaymentStatus::PartialCanceled);
    assert_eq!(
        (p.canceled_amount(), p.cancelable_amount()),
        (5_000, 10_000)
    );
    let changes = store.stored();
    assert_eq!(changes.len(), 2, "reserve, then settle");
    assert_eq!(changes[0].audit.action, AuditAction::CancelRequested);
    let carrier = &changes[0].events[0];
    assert_eq!(carrier.kind, OutboxKind::AcquirerCancel);
    assert!(carrier.cancel_id.is_some());
    assert_eq!(carrier.not_before, t0().plus(Duration::from_secs(5)));
    assert_eq!(
        changes[1].audit.action,
        AuditAction::Transition(TransitionKind::PartialCancel)
    );
    let finished = &changes[1].settles;
    assert_eq!(finished.len(), 1, "the retry is called off");
    assert_eq!(finished[0].attempt.event_id, carrier.id);
    assert_eq!(finished[0].attempt.report.status, Some(200));
    assert_eq!(finished[0].step, NextStep::Delivered);
}

#[tokio::test]
async fn a_cancel_the_acquirer_does_not_answer_in_time_is_accepted_and_stays_pending() {
    let store = MemoryStore::holding(fixtures::completed_payment());
    let p = accepted(cancel(&store, unanswered(), None).await.unwrap());
    assert_eq!(p.status, PaymentStatus::Completed);
    assert_eq!(p.cancels.pending_amount(), 15_000);
    assert_eq!(p.cancelable_amount(), 0);
    assert_eq!(store.stored().len(), 1, "only the reservation");
    let calls = store.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "the unanswered call is recorded");
    assert_eq!(calls[0].event_id, store.stored()[0].events[0].id);
    assert_eq!(
        calls[0].attempt_no, 0,
        "as attempt 0, not one of the outbox's own attempts"
    );
    assert_eq!(calls[0].report.error.as_deref(), Some("timeout"));
}

#[tokio::test]
async fn an_answered_cancel_call_is_the_carriers_attempt_1_and_recorded_only_with_the_settle() {
    let store = MemoryStore::holding(fixtures::completed_payment());
    cancel(&store, answered_once(200), None).await.unwrap();
    assert!(store.calls.lock().unwrap().is_empty());
    assert_eq!(store.stored()[1].settles[0].attempt.attempt_no, 1);
}

#[tokio::test]
async fn a_refused_cancel_is_a_502_with_the_failed_cancel_kept_and_its_amount_released() {
    let store = MemoryStore::holding(fixtures::completed_payment());
    let err = cancel(&store, answered_once(422), Some(1_000))
        .await
        .unwrap_err();
    assert!(matches!(err, ChangePaymentError::Acquirer(_)), "{err:?}");
    let p = store.current();
    assert_eq!(p.status, PaymentStatus::Completed);
    assert_eq!(p.cancels.list()[0].status, CancelStatus::Failed);
    assert_eq!(p.cancelable_amount(), 15_000);
    assert_eq!(store.stored()[1].audit.action, AuditAction::CancelFailed);
    let finished = &store.stored()[1].settles;
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].attempt.report.status, Some(422));
    assert_eq!(
        finished[0].step,
        NextStep::Dead,
        "its carrier ends DEAD, not delivered"
    );
}

#[tokio::test]
async fn more_than_the_cancelable_amount_is_refused_before_the_acquirer_is_asked() {
    let store = MemoryStore::holding(fixtures::completed_payment());
    cancel(&store, unanswered(), Some(10_000)).await.unwrap();
    let err = cancel(&store, MockOutboundSender::new(), Some(6_000))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ChangePaymentError::Rejected(TransitionRejected::Cancel(
                crate::payment::CancelRefused::AmountExceeded { cancelable: 5_000 }
            ))
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_approved_payment_can_only_be_canceled_as_a_whole() {
    let store = MemoryStore::holding(fixtures::approved_payment());
    let err = cancel(&store, MockOutboundSender::new(), Some(5_000))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ChangePaymentError::Rejected(TransitionRejected::PartialCancelNotAllowed { .. })
    ));
    let p = done(cancel(&store, answered_once(200), None).await.unwrap());
    assert_eq!(p.status, PaymentStatus::Canceled);
}

fn refused_by_state(err: &ChangePaymentError) -> bool {
    matches!(
        err,
        ChangePaymentError::Rejected(TransitionRejected::InvalidTransition { .. })
    )
}

fn exceeded(err: &ChangePaymentError) -> Option<i64> {
    match err {
        ChangePaymentError::Rejected(TransitionRejected::Cancel(
            crate::payment::CancelRefused::AmountExceeded { cancelable },
        )) => Some(*cancelable),
        _ => None,
    }
}

#[tokio::test]
async fn more_than_is_cancelable_is_refused_as_exceeding_it_from_every_cancelable_status() {
    let amount = fixtures::ready_payment().amount.minor_units();
    for payment in [
        fixtures::ready_payment(),
        fixtures::approved_payment(),
        fixtures::completed_payment(),
    ] {
        let status = payment.status;
        let store = MemoryStore::holding(payment);
        for asked in [amount + 1, 1_000_000_001, i64::MAX] {
            let err = cancel(&store, MockOutboundSender::new(), Some(asked))
                .await
                .unwrap_err();
            assert_eq!(exceeded(&err), Some(amount), "{status} {asked}: {err:?}");
        }
        assert!(store.stored().is_empty(), "{status}: nothing written");
    }
}

#[tokio::test]
async fn a_payment_that_may_not_be_canceled_refuses_by_its_state_whatever_the_amount() {
    let store = MemoryStore::holding(fixtures::ready_payment_after(fixtures::cancel()));
    for asked in [None, Some(1), Some(1_000_000_001)] {
        let err = cancel(&store, MockOutboundSender::new(), asked)
            .await
            .unwrap_err();
        assert!(refused_by_state(&err), "{asked:?}: {err:?}");
    }
}

#[tokio::test]
async fn a_captured_payment_its_cancels_spent_refuses_an_amount_as_exceeding_and_a_whole_cancel_by_its_state()
 {
    let store = MemoryStore::holding(fixtures::completed_payment());
    let whole = fixtures::completed_payment().amount.minor_units();
    for part in [whole - 1_000, 1_000] {
        done(
            cancel(&store, answered_once(200), Some(part))
                .await
                .unwrap(),
        );
    }
    let spent = store.current();
    assert_eq!(spent.status, PaymentStatus::Canceled, "{spent:?}");

    for asked in [1, 1_000, whole] {
        let err = cancel(&store, MockOutboundSender::new(), Some(asked))
            .await
            .unwrap_err();
        assert_eq!(exceeded(&err), Some(0), "{asked}: {err:?}");
    }
    let err = cancel(&store, MockOutboundSender::new(), None)
        .await
        .unwrap_err();
    assert!(refused_by_state(&err), "{err:?}");
    assert_eq!(store.current(), spent, "nothing changed");
}

#[tokio::test]
async fn a_race_lost_while_reserving_is_decided_again_on_the_new_balance() {
    // Another instance reserves 12 000 first; this request's 5 000 no longer fits.
    let completed = fixtures::completed_payment();
    let (other, _) = completed
        .apply(
            fixtures::request_cancel(9, Some(12_000)),
            fixtures::merchant_origin(),
            t0(),
        )
        .unwrap();
    let store = MemoryStore::holding(completed);
    *store.interfere.lock().unwrap() = Some(other);
    let err = cancel(&store, MockOutboundSender::new(), Some(5_000))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ChangePaymentError::Rejected(TransitionRejected::Cancel(
            crate::payment::CancelRefused::AmountExceeded { cancelable: 3_000 }
        ))
    ));
}

#[tokio::test]
async fn the_outbox_settles_a_pending_cancel_once_however_often_the_answer_arrives() {
    let store = MemoryStore::holding(fixtures::completed_payment());
    cancel(&store, unanswered(), Some(4_000)).await.unwrap();
    let carrier = store.stored()[0].events[0].clone();
    let service = payment_service_over(store.clone(), MockOutboundSender::new());
    let (payment, cancel_id) = (carrier.payment_id.unwrap(), carrier.cancel_id.unwrap());
    for _ in 0..2 {
        service
            .acquirer_answered_cancel(&payment, &cancel_id, AcquirerCancelAnswer::Confirmed(None))
            .await
            .unwrap();
    }
    let p = store.current();
    assert_eq!(p.status, PaymentStatus::PartialCanceled);
    assert_eq!(p.canceled_amount(), 4_000);
    assert_eq!(store.stored().len(), 2, "settled exactly once");
}

#[tokio::test]
async fn a_cancel_the_outbox_gives_up_on_fails_with_acquirer_unavailable() {
    let store = MemoryStore::holding(fixtures::completed_payment());
    cancel(&store, unanswered(), None).await.unwrap();
    let carrier = store.stored()[0].events[0].clone();
    payment_service_over(store.clone(), MockOutboundSender::new())
        .acquirer_answered_cancel(
            &carrier.payment_id.unwrap(),
            &carrier.cancel_id.unwrap(),
            AcquirerCancelAnswer::GaveUp("no answer after 5 attempts".into()),
        )
        .await
        .unwrap();
    let p = store.current();
    let failed = &p.cancels.list()[0];
    assert_eq!(failed.status, CancelStatus::Failed);
    assert_eq!(
        failed.failure_code.as_ref().unwrap().as_str(),
        "ACQUIRER_UNAVAILABLE"
    );
    assert_eq!(p.cancelable_amount(), 15_000);
}

#[tokio::test]
async fn an_outbox_answer_that_loses_every_race_is_an_error_so_its_message_is_asked_again() {
    // The dispatcher records its message as done unless settling fails: a settle that could not
    // commit must not read as "nothing to settle", or the cancel would stay PENDING for ever.
    let (pending, _) = fixtures::completed_payment()
        .apply(
            fixtures::request_cancel(1, Some(4_000)),
            fixtures::merchant_origin(),
            t0(),
        )
        .unwrap();
    let (id, cancel_id) = (pending.id, pending.cancels.list()[0].id.clone());
    let mut store = crate::ports::MockPaymentStore::new();
    store
        .expect_find_by_id()
        .returning(move |_| Ok(Some(pending.clone())));
    store
        .expect_transition()
        .times(8 * MAX_ATTEMPTS)
        .returning(|_| Err(crate::ports::TransitionStoreError::Stale));
    let settled = crate::services::testkit::payment_service(store)
        .acquirer_answered_cancel(&id, &cancel_id, AcquirerCancelAnswer::Confirmed(None))
        .await;
    assert!(settled.is_err(), "{settled:?}");
}

fn done(answer: CancelAnswer) -> Payment {
    match answer {
        CancelAnswer::Done(p) => p,
        CancelAnswer::Accepted(p) => panic!("expected 200, got 202 with {p:?}"),
    }
}

fn accepted(answer: CancelAnswer) -> Payment {
    match answer {
        CancelAnswer::Accepted(p) => p,
        CancelAnswer::Done(p) => panic!("expected 202, got 200 with {p:?}"),
    }
}
