//! Snapshot tests of the wire bodies: every problem+json code and the payment object in every
//! status, as sent (fixed keys and timestamps, so the snapshots are stable).
//! The `.snap` files under `snapshots/` are committed; a change to a body fails here (and on CI,
//! `CI=true`, a missing snapshot fails too). To accept a deliberate change, rerun with
//! `INSTA_UPDATE=always` and review the diff of the `.snap` files.

use crate::{
    dto::PaymentResponse,
    problem::{ApiError, ErrorCode, Extensions},
};
use domain::{
    Timestamp,
    ids::{ClientId, PaymentId, PaymentKey, TransactionId},
    money::{Amount, Currency},
    payment::{
        Cancel, CancelId, CancelReason, CancelStatus, Cancels, CustomerName, FailureCode,
        FailureMessage, MethodCode, OrderNo, Payment, PaymentRecord, PaymentStatus, ProductName,
    },
    validation::Violations,
};

/// A problem body byte for byte as the request-context middleware renders it (member order
/// included).
fn rendered(error: &ApiError) -> String {
    error
        .problem
        .to_json(Some("/api/payments"), Some("01JD3X7T0000000000000000RQ"))
}

#[test]
fn every_error_code_renders_as_a_stable_problem_body() {
    for &code in ErrorCode::ALL {
        let error = ApiError::new(code, format!("what went wrong ({})", code.as_str()));
        insta::assert_snapshot!(
            format!("problem_{}", code.as_str().to_ascii_lowercase()),
            rendered(&error)
        );
    }
}

#[test]
fn a_validation_problem_lists_each_offending_field() {
    let mut violations = Violations::new();
    violations.push("amount", "must be at least 1");
    violations.push("orderNo", "is required");
    insta::assert_snapshot!(rendered(&ApiError::validation(violations)));
}

#[test]
fn an_invalid_signature_problem_carries_the_canonical_string_hash_when_given_one() {
    let mut error = ApiError::new(
        ErrorCode::InvalidSignature,
        "the request signature is not valid",
    );
    error.problem.extensions = Some(Box::new(Extensions {
        canonical_string_sha256: Some(
            "3f0c5d1e9b2a47c8e6f1d0a9b8c7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9".to_owned(),
        ),
    }));
    insta::assert_snapshot!(rendered(&error));
}

fn at(minute: i64) -> Timestamp {
    // 2026-11-24T08:00:00Z plus `minute` minutes.
    Timestamp::from_unix_millis(1_795_507_200_000 + minute * 60_000).unwrap()
}

/// A payment that reached `status` the way the state machine gets there (an EXPIRED one
/// carries nothing beyond a READY one's fields but its status).
fn payment(status: PaymentStatus) -> Payment {
    use PaymentStatus::{Approved, Canceled, Completed, Failed, PartialCanceled, Ready};
    let approved = matches!(status, Approved | Completed | PartialCanceled | Canceled);
    let amount = Amount::parse(15_000).unwrap();
    let cancel = |n: u8, minor: i64, status: CancelStatus| Cancel {
        id: CancelId::parse(&format!("cnl_0193a1b2c3d47e5f8a9b0c1d2e3f4a5{n}")).unwrap(),
        amount: Amount::parse(minor).unwrap(),
        reason: CancelReason::parse("Customer changed their mind").unwrap(),
        status,
        acquirer_transaction_id: (status == CancelStatus::Succeeded)
            .then(|| TransactionId::parse(&format!("mcx_0123456789abcdef0123456{n}")).unwrap()),
        failure_code: None,
        failure_message: None,
        requested_at: at(4),
        completed_at: (status == CancelStatus::Succeeded).then(|| at(5)),
    };
    let cancels = match status {
        Canceled => vec![cancel(1, 15_000, CancelStatus::Succeeded)],
        PartialCanceled => vec![
            cancel(1, 5_000, CancelStatus::Succeeded),
            cancel(2, 2_000, CancelStatus::Pending),
        ],
        _ => Vec::new(),
    };
    Payment::restore(PaymentRecord {
        id: PaymentId::from_uuid(uuid::Uuid::from_u128(
            0x0193_5f1e_0000_7000_8000_0000_0000_0001,
        )),
        key: PaymentKey::from_bytes([0x8f; 32]),
        client_id: ClientId::parse("mch_01a20d74f7a573d8a04b6d71eaac68e5").unwrap(),
        order_no: OrderNo::parse("ORDER-1001").unwrap(),
        amount,
        currency: Currency::parse("KRW").unwrap(),
        method: MethodCode::Card,
        product_name: Some(ProductName::parse("Coffee beans").unwrap()),
        customer_name: (status != Ready).then(|| CustomerName::parse("Kim").unwrap()),
        status,
        version: 1,
        transaction_id: approved
            .then(|| TransactionId::parse("mtx_0123456789abcdef01234567").unwrap()),
        failure_code: (status == Failed).then(|| FailureCode::parse("CARD_DECLINED").unwrap()),
        failure_message: (status == Failed)
            .then(|| FailureMessage::parse("The card was declined").unwrap()),
        cancel_reason: (status == Canceled)
            .then(|| CancelReason::parse("Customer changed their mind").unwrap()),
        created_at: at(0),
        updated_at: at(3),
        approved_at: approved.then(|| at(1)),
        completed_at: (status == Completed).then(|| at(2)),
        canceled_at: (status == Canceled).then(|| at(3)),
        failed_at: (status == Failed).then(|| at(1)),
        expires_at: at(30),
        authorization_expires_at: (status == Approved).then(|| at(1 + 7 * 24 * 60)),
        cancels: Cancels::restore(amount, cancels).unwrap(),
    })
}

#[test]
fn a_payment_in_each_status_renders_as_a_stable_body() {
    for status in PaymentStatus::ALL {
        // The struct itself, so the snapshot keeps the members in wire order.
        insta::assert_json_snapshot!(
            format!("payment_{}", status.as_str().to_ascii_lowercase()),
            PaymentResponse::from(&payment(status))
        );
    }
}
