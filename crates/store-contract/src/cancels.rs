//! Cancels on storage (api.md §9): a payment's cancels round-trip with its row, concurrent
//! reservations never take more than the amount, and authorization deadlines are found.

use std::sync::Arc;

use crate::{
    StoreFactory,
    support::{
        AnsweringSender, Env, SilentSender, approve, at, confirm_cancel, new_cancel_id,
        new_event_id, payment_service, payment_service_with, refuse_cancel, request_cancel,
    },
};
use domain::{
    ids::ClientId,
    money::CancelAmount,
    operator::invariants::{check_money, check_trail},
    outbox::{DeliveryAttempt, SendReport},
    payment::{
        CancelReason, CancelRefused, CancelStatus, Command, Origin, Payment, PaymentStatus,
        TransitionRejected,
    },
    ports::OutboundSender,
    services::payments::{CancelAnswer, CancelRequest, ChangePaymentError, PaymentService},
};

const RACERS: usize = 16;

/// A COMPLETED payment of 15 000 of merchant `client`.
async fn completed(env: &Env, client: &ClientId) -> Payment {
    let p = env.payment(client, "ORDER-1", at(0)).await;
    let p = env.apply(&p, approve("tx-1"), at(1_000)).await;
    env.apply(&p, Command::Complete, at(2_000)).await
}

/// Checks the stored payment and its trail with the invariants `simplepg check` runs.
async fn assert_books_balance(env: &Env, p: &Payment) -> Payment {
    let stored = env.stored(&p.key).await.unwrap();
    let trail = env.trail(&p.id).await;
    let violations = [check_trail(&stored, &trail), check_money(&stored)].concat();
    assert!(violations.is_empty(), "{violations:#?}");
    stored
}

pub async fn a_payment_s_cancels_round_trip_with_every_field_and_the_canceled_amount<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_cancels").await;
    let (first, second, third) = (new_cancel_id(), new_cancel_id(), new_cancel_id());
    let steps = [
        (request_cancel(&first, Some(4_000), "one item"), 3_000),
        (confirm_cancel(&first, Some("acq-c-1")), 3_500),
        (request_cancel(&second, Some(1_000), "another"), 4_000),
        (refuse_cancel(&second, Some("not today")), 4_500),
        (request_cancel(&third, Some(2_000), "a third"), 5_000),
    ];
    let mut p = completed(&env, &mch).await;
    for (command, ms) in steps {
        p = env.apply(&p, command, at(ms)).await;
    }

    let stored = assert_books_balance(&env, &p).await;
    assert_eq!(stored, p, "every field of every cancel comes back");
    assert_eq!(stored.status, PaymentStatus::PartialCanceled);
    assert_eq!(
        (stored.canceled_amount(), stored.cancelable_amount()),
        (4_000, 9_000)
    );
    let statuses: Vec<CancelStatus> = stored.cancels.list().iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            CancelStatus::Succeeded,
            CancelStatus::Failed,
            CancelStatus::Pending
        ],
        "oldest first"
    );
    assert_eq!(
        env.count("payment_cancel WHERE status = 'PENDING'").await,
        1
    );
}

/// Sixteen concurrent partial cancels of 4 000 on one payment of 15 000 through `service`:
/// returns the answers.
async fn race_partial_cancels(
    service: &PaymentService,
    mch: &ClientId,
    p: &Payment,
) -> Vec<Result<CancelAnswer, ChangePaymentError>> {
    // `cancel` futures are not `Send` (the outbound sender is thread-local by design), so the
    // racers interleave on this task; each holds its own pooled connection.
    let racers = (0..RACERS).map(|i| {
        let (service, mch, key) = (service.clone(), mch.clone(), p.key.clone());
        async move {
            let request = CancelRequest {
                reason: CancelReason::parse(&format!("racer {i}")).unwrap(),
                amount: Some(CancelAmount::parse(4_000).unwrap()),
            };
            service
                .cancel(Some(&mch), &key, request, Origin::merchant(), None)
                .await
        }
    });
    futures_util::future::join_all(racers).await
}

/// Every refused racer was refused because the amount ran out (or kept losing the race).
fn assert_only_exceeded_or_contended(results: &[Result<CancelAnswer, ChangePaymentError>]) {
    for r in results {
        match r {
            Ok(_)
            | Err(ChangePaymentError::Rejected(TransitionRejected::Cancel(
                CancelRefused::AmountExceeded { .. },
            )))
            | Err(ChangePaymentError::Contended) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
}

pub async fn sixteen_concurrent_partial_cancels_over_the_amount_succeed_only_as_far_as_it_goes<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_cancel_race").await;
    let p = completed(&env, &mch).await;

    let results = race_partial_cancels(&payment_service(&env), &mch, &p).await;

    assert_only_exceeded_or_contended(&results);
    let done = results
        .iter()
        .filter(|r| matches!(r, Ok(CancelAnswer::Done(_))))
        .count();
    assert!(
        (1..=3).contains(&done),
        "at most 3 × 4 000 fit in 15 000, and someone wins: {results:?}"
    );
    let stored = assert_books_balance(&env, &p).await;
    assert_eq!(stored.canceled_amount(), 4_000 * done as i64);
    assert_eq!(stored.cancels.pending_amount(), 0);
    assert_eq!(
        env.count("payment_cancel WHERE status = 'SUCCEEDED'").await,
        done as i64
    );
    assert_eq!(stored.status, PaymentStatus::PartialCanceled);
}

pub async fn sixteen_concurrent_reservations_the_acquirer_never_answers_never_reserve_more_than_the_amount<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_cancel_pending").await;
    let p = completed(&env, &mch).await;
    let silent: Arc<dyn OutboundSender> = Arc::new(SilentSender);

    let results = race_partial_cancels(&payment_service_with(&env, silent), &mch, &p).await;

    assert_only_exceeded_or_contended(&results);
    let accepted = results
        .iter()
        .filter(|r| matches!(r, Ok(CancelAnswer::Accepted(_))))
        .count();
    assert!((1..=3).contains(&accepted), "{results:?}");
    assert!(
        !results
            .iter()
            .any(|r| matches!(r, Ok(CancelAnswer::Done(_)))),
        "nothing was confirmed"
    );
    let stored = assert_books_balance(&env, &p).await;
    assert_eq!(stored.cancels.pending_amount(), 4_000 * accepted as i64);
    assert_eq!(stored.canceled_amount(), 0);
    assert_eq!(stored.status, PaymentStatus::Completed, "nothing moved yet");
    assert_eq!(
        env.count("outbox_event WHERE kind = 'ACQUIRER_CANCEL' AND state = 'PENDING'")
            .await,
        accepted as i64,
        "each reservation has its durable carrier, and only they do"
    );
}

pub async fn approved_payments_past_their_authorization_deadline_are_due_oldest_first<
    F: StoreFactory,
>() {
    let (env, mch) = Env::with_merchant::<F>("mch_auth_expiry").await;
    // `approve` holds the authorization for 7 days.
    const WEEK: i64 = 7 * 24 * 3_600_000;
    let approved_at = |order: &'static str, ms: i64| {
        let env = &env;
        let mch = &mch;
        async move {
            let p = env.payment(mch, order, at(0)).await;
            env.apply(&p, approve("tx-1"), at(ms)).await
        }
    };
    let second = approved_at("B", 2_000).await;
    let first = approved_at("A", 1_000).await;
    let not_yet = approved_at("C", 9_000).await;
    let done = approved_at("D", 0).await;
    env.apply(&done, Command::Complete, at(500)).await;
    env.payment(&mch, "E", at(0)).await; // READY: no authorization

    let now = at(WEEK + 2_000);
    assert_eq!(
        env.due_for_authorization_expiry(now, 10).await,
        [first.key.clone(), second.key.clone()],
        "deadline <= now, earliest first; COMPLETED and READY are never due"
    );
    assert_eq!(
        env.due_for_authorization_expiry(now, 1).await,
        std::slice::from_ref(&first.key),
        "at most limit"
    );
    assert!(
        env.due_for_authorization_expiry(at(WEEK + 999), 10)
            .await
            .is_empty()
    );
    assert_eq!(
        env.due_for_authorization_expiry(at(WEEK + 9_000), 10)
            .await
            .last(),
        Some(&not_yet.key)
    );
}

/// A merchant's cancel of 1 000 of a COMPLETED payment, the acquirer's synchronous call answered
/// with `status`: the fresh database and the answer.
async fn cancel_answered_by<F: StoreFactory>(
    status: u16,
) -> (Env, Result<CancelAnswer, ChangePaymentError>) {
    let (env, mch) = Env::with_merchant::<F>("mch_carrier").await;
    let p = completed(&env, &mch).await;
    let service = payment_service_with(&env, Arc::new(AnsweringSender(status)));
    let request = CancelRequest {
        reason: CancelReason::parse("one item").unwrap(),
        amount: Some(CancelAmount::parse(1_000).unwrap()),
    };
    let answer = service
        .cancel(Some(&mch), &p.key, request, Origin::merchant(), None)
        .await;
    (env, answer)
}

pub async fn the_synchronous_cancel_call_is_its_carriers_first_attempt_delivered_or_dead<
    F: StoreFactory,
>() {
    for (status, state, answered) in [(200, "DELIVERED", true), (422, "DEAD", false)] {
        let (env, answer) = cancel_answered_by::<F>(status).await;
        assert_eq!(answer.is_ok(), answered, "{status}: {answer:?}");

        let carrier = format!(
            "outbox_event WHERE kind = 'ACQUIRER_CANCEL' AND state = '{state}' AND attempts = 1"
        );
        assert_eq!(
            env.count(&carrier).await,
            1,
            "{status}: the carrier is {state}"
        );
        let attempt = format!("delivery_attempt WHERE attempt_no = 1 AND status_code = {status}");
        assert_eq!(
            env.count(&attempt).await,
            1,
            "{status}: the call is its attempt"
        );
        assert_eq!(env.count("delivery_attempt").await, 1, "{status}");
        let refused = "outbox_event WHERE last_error = 'HTTP 422'";
        assert_eq!(env.count(refused).await, i64::from(!answered), "{status}");
    }
}

pub async fn an_unanswered_synchronous_cancel_call_is_its_carriers_attempt_0_and_leaves_it_pending<
    F: StoreFactory,
>() {
    let (env, answer) = cancel_answered_by::<F>(503).await;
    assert!(
        matches!(answer, Ok(CancelAnswer::Accepted(_))),
        "{answer:?}"
    );

    let attempt = "delivery_attempt WHERE attempt_no = 0 AND status_code = 503";
    assert_eq!(env.count(attempt).await, 1, "the call is listed");
    assert_eq!(env.count("delivery_attempt").await, 1);
    let carrier = "outbox_event WHERE kind = 'ACQUIRER_CANCEL' AND state = 'PENDING' \
                   AND attempts = 0 AND last_error IS NULL";
    assert_eq!(
        env.count(carrier).await,
        1,
        "the carrier keeps all of its own attempts"
    );
}

pub async fn a_call_recorded_for_an_unknown_message_is_an_error_and_writes_nothing<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let attempt = DeliveryAttempt {
        event_id: new_event_id(),
        attempt_no: 0,
        started_at: at(0),
        report: SendReport::default(),
    };
    assert!(env.payments.record_call(&attempt).await.is_err());
    assert_eq!(env.count("delivery_attempt").await, 0);
}
