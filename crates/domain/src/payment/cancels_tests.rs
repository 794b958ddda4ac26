use proptest::prelude::*;

use super::*;
use crate::{services::testkit::t0, validation::assert_parser};

fn id(n: usize) -> CancelId {
    CancelId::parse(&format!("cnl_{n:026}")).unwrap()
}

fn amount(minor: i64) -> Amount {
    Amount::parse(minor).unwrap()
}

fn reason() -> CancelReason {
    CancelReason::parse("one item returned").unwrap()
}

/// 100 to cancel, and the PENDING cancel 1 of `minor` of it.
fn reserved(minor: i64) -> Cancels {
    let mut cancels = Cancels::new(amount(100));
    cancels
        .reserve(id(1), Some(amount(minor)), reason(), t0())
        .unwrap();
    cancels
}

fn declined() -> FailureCode {
    FailureCode::parse("CANCEL_REFUSED").unwrap()
}

#[test]
fn cancel_ids_start_with_cnl_and_carry_at_least_26_safe_characters() {
    assert_parser(
        CancelId::parse,
        &["cnl_01HZX3K9V7M2Q8R4T6Y0W1E3A5"],
        &[
            "01HZX3K9V7M2Q8R4T6Y0W1E3A5",
            "cnl_short",
            "cnl_01HZX3K9V7M2Q8R4T6Y0W1E3A/",
        ],
    );
}

#[test]
fn two_partial_cancels_of_60_on_100_cannot_both_be_reserved() {
    let mut cancels = reserved(60);
    let second = cancels.reserve(id(2), Some(amount(60)), reason(), t0());
    assert_eq!(
        second,
        Err(CancelRefused::AmountExceeded { cancelable: 40 })
    );
    assert_eq!(cancels.pending_amount(), 60);
    assert_eq!(cancels.cancelable_amount(), 40);
}

#[test]
fn a_cancel_without_an_amount_takes_all_that_is_left_and_then_nothing_is() {
    let mut cancels = reserved(30);
    assert_eq!(cancels.succeed(&id(1), None, t0()), Ok(Settled::Partially));
    let rest = cancels.reserve(id(2), None, reason(), t0()).unwrap();
    assert_eq!(rest.amount, amount(70));
    assert_eq!(cancels.succeed(&id(2), None, t0()), Ok(Settled::Fully));
    assert_eq!(
        cancels.reserve(id(3), None, reason(), t0()),
        Err(CancelRefused::AmountExceeded { cancelable: 0 })
    );
    assert_eq!(cancels.canceled_amount(), 100);
}

#[test]
fn a_failed_cancel_releases_its_amount_and_stays_on_record() {
    let mut cancels = reserved(100);
    cancels.fail(&id(1), declined(), None, t0()).unwrap();
    assert_eq!(cancels.cancelable_amount(), 100);
    assert_eq!(cancels.list()[0].status, CancelStatus::Failed);
    assert!(
        cancels
            .reserve(id(2), Some(amount(100)), reason(), t0())
            .is_ok()
    );
}

#[test]
fn an_answer_for_a_cancel_that_already_ended_is_refused_so_it_applies_once() {
    let mut cancels = reserved(50);
    cancels.succeed(&id(1), None, t0()).unwrap();
    assert_eq!(
        cancels.succeed(&id(1), None, t0()),
        Err(CancelRefused::AlreadyEnded(id(1), CancelStatus::Succeeded))
    );
    assert_eq!(
        cancels.fail(&id(1), declined(), None, t0()),
        Err(CancelRefused::AlreadyEnded(id(1), CancelStatus::Succeeded))
    );
    assert_eq!(
        cancels.succeed(&id(9), None, t0()),
        Err(CancelRefused::Unknown(id(9)))
    );
    assert_eq!(cancels.canceled_amount(), 50);
}

#[test]
fn a_reused_cancel_id_is_refused() {
    let mut cancels = reserved(10);
    assert_eq!(
        cancels.reserve(id(1), Some(amount(10)), reason(), t0()),
        Err(CancelRefused::DuplicateId(id(1)))
    );
}

#[test]
fn restoring_a_set_that_cancels_more_than_the_amount_is_refused_as_corrupt() {
    let over = reserved(60);
    let mut rows = over.list().to_vec();
    let mut second = rows[0].clone();
    second.id = id(2);
    rows.push(second);
    assert!(Cancels::restore(amount(100), rows).is_err());
    assert_eq!(
        Cancels::restore(amount(100), over.list().to_vec()),
        Ok(over)
    );
}

/// One step of a random history: what arrives next for this payment.
#[derive(Clone, Debug)]
enum Step {
    Reserve(Option<i64>),
    Succeed(usize),
    Fail(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        proptest::option::of(1i64..=120).prop_map(Step::Reserve),
        (0usize..12).prop_map(Step::Succeed),
        (0usize..12).prop_map(Step::Fail),
    ]
}

proptest! {
    /// Any order of reservations (possibly over the amount), confirmations and refusals —
    /// answers arriving twice, for unknown cancels or after the fact included — keeps
    /// `canceled + pending ≤ amount`, keeps `canceled` equal to the sum of the SUCCEEDED
    /// cancels, and ends each cancel at most once.
    #[test]
    fn no_sequence_of_cancels_and_answers_ever_cancels_more_than_the_amount(
        total in 1i64..=100,
        steps in proptest::collection::vec(step(), 0..40),
    ) {
        let mut cancels = Cancels::new(amount(total));
        let mut ended = std::collections::HashMap::new();
        let mut next = 0;
        for step in steps {
            match step {
                Step::Reserve(requested) => {
                    let before = cancels.cancelable_amount();
                    let result = cancels.reserve(id(next), requested.map(amount), reason(), t0());
                    let fits = requested.map_or(before > 0, |r| r <= before);
                    prop_assert_eq!(result.is_ok(), fits);
                    next += 1;
                }
                Step::Succeed(n) => {
                    if cancels.succeed(&id(n), None, t0()).is_ok() {
                        prop_assert!(ended.insert(n, CancelStatus::Succeeded).is_none());
                    }
                }
                Step::Fail(n) => {
                    if cancels.fail(&id(n), declined(), None, t0()).is_ok() {
                        prop_assert!(ended.insert(n, CancelStatus::Failed).is_none());
                    }
                }
            }
            let succeeded: i64 = cancels
                .list()
                .iter()
                .filter(|c| c.status == CancelStatus::Succeeded)
                .map(|c| c.amount.minor_units())
                .sum();
            prop_assert_eq!(cancels.canceled_amount(), succeeded);
            prop_assert!(cancels.canceled_amount() + cancels.pending_amount() <= total);
            prop_assert!(cancels.cancelable_amount() >= 0);
            for c in cancels.list() {
                if let Some(status) = ended.get(&c.id.as_str()[4..].parse::<usize>().unwrap()) {
                    prop_assert_eq!(c.status, *status);
                }
            }
        }
    }
}
