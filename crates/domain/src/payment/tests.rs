//! The payment aggregate's unit and property tests.

use proptest::prelude::*;

use super::{fixtures::*, *};
use crate::payment::CancelStatus;

#[test]
fn a_new_payment_is_ready_and_expires_after_the_ttl() {
    let p = ready_payment();
    assert_eq!(p.status, PaymentStatus::Ready);
    assert_eq!(p.version, 0);
    assert_eq!(p.expires_at, at(1_800_000));
}

#[test]
fn approving_records_the_transaction_and_the_audit_row() {
    let (next, audit) = ready_payment()
        .apply(approve(), merchant_origin(), at(5))
        .unwrap();
    assert_eq!(next.status, PaymentStatus::Approved);
    assert_eq!(next.version, 1);
    assert_eq!(next.approved_at, Some(at(5)));
    assert_eq!(audit.from_status, Some(PaymentStatus::Ready));
    assert_eq!(audit.status, PaymentStatus::Approved);
    assert_eq!(audit.from_version, Some(0));
    assert_eq!(audit.action.as_str(), "APPROVE");
}

#[test]
fn completing_a_ready_payment_is_an_invalid_transition() {
    let err = ready_payment()
        .apply(Command::Complete, merchant_origin(), at(5))
        .unwrap_err();
    assert_eq!(
        err,
        TransitionRejected::InvalidTransition {
            from: PaymentStatus::Ready,
            kind: TransitionKind::Complete
        }
    );
    assert_eq!(err.to_string(), "cannot complete a payment that is READY");
}

#[test]
fn canceling_a_ready_payment_keeps_the_reason() {
    let (next, audit) = ready_payment()
        .apply(cancel(), merchant_origin(), at(5))
        .unwrap();
    assert_eq!(next.status, PaymentStatus::Canceled);
    assert_eq!(
        next.cancel_reason.as_ref().unwrap().as_str(),
        "changed my mind"
    );
    assert_eq!(audit.details.as_deref(), Some("reason=changed my mind"));
}

#[test]
fn a_payment_cannot_expire_before_its_deadline() {
    let p = ready_payment();
    assert!(matches!(
        p.apply(Command::Expire, merchant_origin(), at(1_799_999)),
        Err(TransitionRejected::NotYetExpired(_))
    ));
    assert_eq!(
        p.apply(Command::Expire, merchant_origin(), at(1_800_000))
            .unwrap()
            .0
            .status,
        PaymentStatus::Expired
    );
}

fn any_command() -> impl Strategy<Value = Command> {
    let n = 0usize..4;
    prop_oneof![
        Just(approve()),
        Just(Command::Fail {
            transaction_id: None,
            code: FailureCode::parse("CARD_DECLINED").unwrap(),
            message: None
        }),
        Just(Command::Complete),
        Just(cancel()),
        Just(Command::Expire),
        n.clone().prop_map(|n| Command::ExpireAuthorization {
            id: cancel_id(10 + n),
            reason: reason(),
        }),
        (n.clone(), proptest::option::of(1i64..16_000))
            .prop_map(|(n, amount)| request_cancel(n, amount)),
        n.clone().prop_map(confirm_cancel),
        n.prop_map(refuse_cancel),
    ]
}

proptest! {
    /// Random sequences of commands — approvals, completes, partial and full cancels with their
    /// acquirer answers (repeated, late or for unknown cancels), expiries — only ever take steps
    /// of the table, and never break the money invariant: `canceled + pending ≤ amount`, the
    /// canceled amount is the sum of the SUCCEEDED cancels, PARTIAL_CANCELED means some but not
    /// all of it, and every change takes exactly the next version.
    #[test]
    fn random_command_sequences_only_take_legal_steps_and_keep_the_money_invariant(
        commands in proptest::collection::vec((any_command(), 0i64..(8 * 24 * 3_600_000)), 0..40)
    ) {
        let mut payment = ready_payment();
        let mut trail: Vec<AuditRecord> = Vec::new();
        for (command, when) in commands {
            let kind = command.kind();
            match payment.apply(command, merchant_origin(), at(when)) {
                Ok((next, audit)) => {
                    prop_assert!(!payment.status.is_final());
                    prop_assert_eq!(next.version, payment.version + 1);
                    prop_assert_eq!(audit.from_version, Some(payment.version));
                    prop_assert_eq!(audit.status, next.status);
                    match audit.action {
                        AuditAction::Transition(done) => {
                            prop_assert_eq!(done.target(payment.status), Some(next.status));
                            prop_assert_eq!(audit.from_status, Some(payment.status));
                            if let Some(prev) = trail.iter().rev().find(|a| a.from_status.is_some()) {
                                prop_assert_eq!(Some(prev.status), audit.from_status);
                            }
                        }
                        AuditAction::CancelRequested | AuditAction::CancelFailed => {
                            prop_assert_eq!(next.status, payment.status);
                            prop_assert_eq!(audit.from_status, None);
                        }
                        other => prop_assert!(false, "unexpected action {other}"),
                    }
                    trail.push(audit);
                    payment = next;
                }
                Err(TransitionRejected::InvalidTransition { from, .. }) => {
                    prop_assert_eq!(from, payment.status);
                }
                Err(TransitionRejected::NotYetExpired(_)) => {
                    prop_assert!(matches!(kind, TransitionKind::Expire | TransitionKind::ExpireAuthorization));
                }
                Err(TransitionRejected::PartialCancelNotAllowed { from, .. }) => {
                    prop_assert!(matches!(from, PaymentStatus::Ready | PaymentStatus::Approved));
                }
                Err(TransitionRejected::CancelPending) => {
                    prop_assert!(payment.cancels.pending_amount() > 0);
                }
                Err(TransitionRejected::Cancel(_)) => {}
            }
            let (amount, canceled, pending) = (
                payment.amount.minor_units(),
                payment.canceled_amount(),
                payment.cancels.pending_amount(),
            );
            prop_assert!(canceled + pending <= amount);
            let succeeded: i64 = payment
                .cancels
                .list()
                .iter()
                .filter(|c| c.status == CancelStatus::Succeeded)
                .map(|c| c.amount.minor_units())
                .sum();
            prop_assert_eq!(canceled, succeeded);
            match payment.status {
                PaymentStatus::PartialCanceled => prop_assert!(canceled > 0 && canceled < amount),
                PaymentStatus::Canceled => prop_assert_eq!(canceled, amount),
                _ => prop_assert_eq!(canceled, 0),
            }
        }
        let approvals = trail.iter().filter(|a| a.action == AuditAction::Transition(TransitionKind::Approve)).count();
        prop_assert!(approvals <= 1);
    }
}

#[test]
fn two_partial_cancels_then_the_rest_walk_completed_to_partial_canceled_to_canceled() {
    let mut p = completed_payment();
    let mut actions = Vec::new();
    for command in [
        request_cancel(1, Some(5_000)),
        confirm_cancel(1),
        request_cancel(2, Some(4_000)),
        confirm_cancel(2),
        request_cancel(3, None),
        confirm_cancel(3),
    ] {
        let (next, audit) = p.apply(command, merchant_origin(), at(10)).unwrap();
        actions.push(audit.action.as_str());
        p = next;
    }
    assert_eq!(
        actions,
        [
            "CANCEL_REQUESTED",
            "PARTIAL_CANCEL",
            "CANCEL_REQUESTED",
            "PARTIAL_CANCEL",
            "CANCEL_REQUESTED",
            "CANCEL"
        ]
    );
    assert_eq!(p.status, PaymentStatus::Canceled);
    assert_eq!(p.list_cancel_amounts(), vec![5_000, 4_000, 6_000]);
    assert_eq!(
        p.cancel_reason.as_ref().map(|r| r.as_str()),
        Some("changed my mind")
    );
}

#[test]
fn a_payment_cannot_be_completed_while_its_void_is_pending() {
    let (p, _) = approved_payment()
        .apply(request_cancel(1, None), merchant_origin(), at(3))
        .unwrap();
    assert_eq!(
        p.apply(Command::Complete, merchant_origin(), at(4))
            .unwrap_err(),
        TransitionRejected::CancelPending
    );
}

#[test]
fn an_authorization_expires_only_after_its_deadline_and_cancels_the_whole_amount() {
    let p = approved_payment();
    assert_eq!(
        p.authorization_expires_at,
        Some(at(1).plus(AUTHORIZATION_TTL))
    );
    let expire = || Command::ExpireAuthorization {
        id: cancel_id(7),
        reason: CancelReason::parse("authorization expired").unwrap(),
    };
    assert!(matches!(
        p.apply(expire(), merchant_origin(), at(0).plus(AUTHORIZATION_TTL)),
        Err(TransitionRejected::NotYetExpired(_))
    ));
    let (expired, audit) = p
        .apply(expire(), merchant_origin(), at(1).plus(AUTHORIZATION_TTL))
        .unwrap();
    assert_eq!(expired.status, PaymentStatus::Canceled);
    assert_eq!(audit.action.as_str(), "EXPIRE_AUTHORIZATION");
    assert_eq!(expired.canceled_amount(), 15_000);
    assert_eq!(expired.authorization_expires_at, None);
}
