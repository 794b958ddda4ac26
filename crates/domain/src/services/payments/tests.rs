//! Unit tests of the payment use cases (mockall stores, a fake outbound).

use std::sync::atomic::Ordering;

use super::*;
use crate::{
    ids::{ClientId, TransactionId},
    outbox::OutboxMessage,
    payment::{
        AcquirerReport, Actor, AuditRecord, CancelReason, PaymentStatus, ReportedOutcome,
        TransitionKind, TransitionRejected, fixtures,
    },
    ports::{InsertPaymentError, MockPaymentStore, NonceRecord, TransitionStoreError},
    services::Page,
    services::testkit::{payment_service as service, store_finding, store_finding_in_turn},
};

/// The owner cancels `amount` (everything left when `None`) of the fixture payment (key
/// `[7; 32]`) with reason "r".
async fn cancel_as_owner(
    service: PaymentService,
    amount: Option<i64>,
) -> Result<CancelAnswer, ChangePaymentError> {
    service
        .cancel(
            Some(&owner()),
            &PaymentKey::from_bytes([7; 32]),
            CancelRequest {
                reason: CancelReason::parse("r").unwrap(),
                amount: amount.map(|a| crate::money::CancelAmount::parse(a).unwrap()),
            },
            fixtures::merchant_origin(),
            None,
        )
        .await
}

fn done(answer: CancelAnswer) -> Payment {
    match answer {
        CancelAnswer::Done(p) => p,
        CancelAnswer::Accepted(p) => panic!("expected 200, got 202 with {p:?}"),
    }
}

fn owner() -> ClientId {
    fixtures::client()
}

fn create_req(declared: Option<&str>) -> CreatePayment {
    CreatePayment {
        declared_client_id: declared.map(str::to_owned),
        payment: fixtures::new_payment(15_000),
    }
}

/// The owner creates the fixture payment (15 000), the body declaring `declared` as client id,
/// with `nonce` to record alongside.
async fn create(
    store: MockPaymentStore,
    declared: Option<&str>,
    nonce: Option<&NonceRecord>,
) -> Result<Payment, CreatePaymentError> {
    service(store)
        .create(&owner(), create_req(declared), None, nonce)
        .await
}

/// A store taking exactly one insert, which must pass `check`.
fn store_inserting_once(
    check: impl Fn(&Payment, &AuditRecord, &[OutboxMessage], &Option<NonceRecord>) -> bool
    + Send
    + 'static,
) -> MockPaymentStore {
    let mut store = MockPaymentStore::new();
    store
        .expect_insert()
        .withf(check)
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    store
}

/// A store refusing the one insert it gets with `error`.
fn store_refusing_insert(error: InsertPaymentError) -> MockPaymentStore {
    let mut store = MockPaymentStore::new();
    store
        .expect_insert()
        .return_once(move |_, _, _, _| Err(error));
    store
}

#[tokio::test]
async fn creating_a_payment_stores_it_ready_with_a_create_audit_row() {
    let store = store_inserting_once(|p, a, events, nonce| {
        nonce.is_none()
            && p.status == PaymentStatus::Ready
            && a.action.as_str() == "CREATE"
            && a.actor == Actor::Merchant
            && events.len() == 1
            && events[0].kind == crate::outbox::OutboxKind::AcquirerRequest
    });
    let p = create(store, None, None).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Ready);
}

#[tokio::test]
async fn a_body_client_id_of_another_merchant_is_refused_without_writing() {
    let mut store = MockPaymentStore::new();
    store.expect_insert().never();
    let err = create(store, Some("mch_other"), None).await.unwrap_err();
    assert!(matches!(err, CreatePaymentError::ClientMismatch));
}

#[tokio::test]
async fn a_duplicate_order_number_is_reported_with_the_order_number() {
    let store = store_refusing_insert(InsertPaymentError::DuplicateOrder);
    let err = create(store, Some("mch_test"), None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "orderNo ORDER-1 was already used by this merchant"
    );
    assert!(!err.nonce_already_used());
}

fn nonce_record() -> NonceRecord {
    NonceRecord {
        client: owner(),
        nonce: crate::ids::Nonce::parse("nonce-0123456789ab").unwrap(),
        expires_at: crate::services::testkit::t0(),
    }
}

#[tokio::test]
async fn a_deferred_nonce_is_handed_to_the_store_with_the_payment() {
    let store = store_inserting_once(|_, _, _, nonce| nonce == &Some(nonce_record()));
    create(store, None, Some(&nonce_record())).await.unwrap();
}

#[tokio::test]
async fn a_create_whose_nonce_the_store_finds_used_is_a_replay() {
    let store = store_refusing_insert(InsertPaymentError::Replayed);
    let err = create(store, None, Some(&nonce_record()))
        .await
        .unwrap_err();
    assert!(matches!(err, CreatePaymentError::Replayed));
    assert!(err.nonce_already_used());
}

#[tokio::test]
async fn another_merchants_payment_is_not_found() {
    let store = store_finding(fixtures::ready_payment());
    let other = ClientId::parse("mch_other").unwrap();
    let err = service(store)
        .get(Some(&other), &PaymentKey::from_bytes([7; 32]))
        .await
        .unwrap_err();
    assert!(matches!(err, FindPaymentError::NotFound));
}

/// The status and kind of the transition `err` refuses as invalid, `None` for any other error.
fn refused_transition(err: &ChangePaymentError) -> Option<(PaymentStatus, TransitionKind)> {
    match err {
        ChangePaymentError::Rejected(TransitionRejected::InvalidTransition { from, kind }) => {
            Some((*from, *kind))
        }
        _ => None,
    }
}

#[tokio::test]
async fn completing_a_ready_payment_is_rejected_without_any_write() {
    let mut store = store_finding(fixtures::ready_payment());
    store.expect_transition().never();
    let err = service(store)
        .complete(&owner(), &PaymentKey::from_bytes([7; 32]), None)
        .await
        .unwrap_err();
    assert_eq!(
        refused_transition(&err),
        Some((PaymentStatus::Ready, TransitionKind::Complete))
    );
}

#[tokio::test]
async fn a_lost_race_is_re_decided_on_fresh_data() {
    // First load: READY. The CAS loses (someone canceled meanwhile). Second load: CANCELED,
    // so the cancel is now an invalid transition instead of a second CANCEL row.
    let (mut store, loads) = store_finding_in_turn(
        fixtures::ready_payment(),
        fixtures::ready_payment_after(fixtures::cancel()),
    );
    store
        .expect_transition()
        .times(1)
        .returning(|_| Err(TransitionStoreError::Stale));
    let err = cancel_as_owner(service(store), None).await.unwrap_err();
    assert_eq!(
        refused_transition(&err),
        Some((PaymentStatus::Canceled, TransitionKind::Cancel))
    );
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn canceling_a_ready_payment_writes_one_cancel_transition_from_version_zero() {
    let mut store = store_finding(fixtures::ready_payment());
    store
        .expect_transition()
        .withf(|c| {
            c.expected_version == 0
                && c.next.status == PaymentStatus::Canceled
                && c.audit.from_version == Some(0)
                && c.events
                    .iter()
                    .any(|e| e.kind == crate::outbox::OutboxKind::AcquirerCancel)
        })
        .times(1)
        .returning(|_| Ok(()));
    let p = done(cancel_as_owner(service(store), None).await.unwrap());
    assert_eq!(p.status, PaymentStatus::Canceled);
    assert_eq!(p.canceled_amount(), 15_000);
    assert_eq!(p.cancelable_amount(), 0);
}

#[tokio::test]
async fn an_unknown_cursor_is_reported_instead_of_an_empty_page() {
    let mut store = MockPaymentStore::new();
    store.expect_find_by_key().returning(|_| Ok(None));
    store.expect_list().never();
    let q = ListPayments {
        starting_after: Some(PaymentKey::from_bytes([1; 32])),
        ..Default::default()
    };
    assert!(matches!(
        service(store).list(q).await,
        Err(ListPaymentsError::UnknownCursor)
    ));
}

fn report(amount: i64) -> AcquirerReport {
    AcquirerReport {
        payment_key: PaymentKey::from_bytes([7; 32]),
        transaction_id: TransactionId::parse("tx-1").unwrap(),
        amount,
        outcome: ReportedOutcome::Approved,
    }
}

/// A store that finds `payment`, must not change it, and expects one note that `check` accepts.
fn noting_once(
    payment: Payment,
    check: impl Fn(&AuditNote, &[crate::outbox::OutboxMessage]) -> bool + Send + 'static,
) -> MockPaymentStore {
    let mut store = store_finding(payment);
    store.expect_transition().never();
    store
        .expect_append_note()
        .withf(move |_, note, events| check(note, events))
        .times(1)
        .returning(|_, _, _| Ok(()));
    store
}

/// The acquirer reports an approval of `amount` for the fixture payment.
async fn report_approval(
    store: MockPaymentStore,
    amount: i64,
) -> Result<WebhookOutcome, WebhookError> {
    service(store)
        .apply_acquirer_report(report(amount), None)
        .await
}

#[tokio::test]
async fn an_approval_webhook_for_a_ready_payment_is_applied() {
    let mut store = store_finding(fixtures::ready_payment());
    store
        .expect_transition()
        .withf(|c| c.next.status == PaymentStatus::Approved && c.audit.actor == Actor::Acquirer)
        .times(1)
        .returning(|_| Ok(()));
    let outcome = report_approval(store, 15_000).await.unwrap();
    assert!(matches!(outcome, WebhookOutcome::Applied(p) if p.status == PaymentStatus::Approved));
}

#[tokio::test]
async fn a_repeated_approval_is_a_duplicate_with_a_note_and_no_transition() {
    let store = noting_once(fixtures::approved_payment(), |n, events| {
        n.action == AuditAction::WebhookDuplicate && events.is_empty()
    });
    let outcome = report_approval(store, 15_000).await.unwrap();
    assert!(matches!(outcome, WebhookOutcome::Duplicate(_)));
}

#[tokio::test]
async fn a_wrong_amount_is_refused_and_audited_without_a_transition() {
    let store = noting_once(fixtures::ready_payment(), |n, _| {
        n.action == AuditAction::WebhookRejected
    });
    let err = report_approval(store, 15_001).await.unwrap_err();
    assert!(matches!(
        err,
        WebhookError::AmountMismatch {
            expected: 15_000,
            reported: 15_001
        }
    ));
}

#[tokio::test]
async fn an_approval_after_cancel_is_refused_and_queues_a_compensating_cancel() {
    let canceled = fixtures::ready_payment_after(fixtures::cancel());
    let store = noting_once(canceled, |n, events| {
        n.action == AuditAction::WebhookRejected
            && events.len() == 1
            && events[0].kind == crate::outbox::OutboxKind::AcquirerCancel
    });
    let err = report_approval(store, 15_000).await.unwrap_err();
    assert!(matches!(err, WebhookError::Conflict(_)));
}

#[test]
fn pages_report_whether_more_rows_exist() {
    let page = Page::from_overfetch(vec![1, 2, 3], 2);
    assert_eq!(page.items, vec![1, 2]);
    assert!(page.has_more);
    assert!(!Page::from_overfetch(vec![1, 2], 2).has_more);
}
