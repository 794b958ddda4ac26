//! Matching a day's lines: every line of either side is matched once or reported, whatever the
//! file's order, and each kind of discrepancy is found where it is.

use proptest::prelude::*;

use super::*;
use crate::{
    Timestamp,
    ids::{ClientId, PaymentKey, TransactionId},
    settlement::LineType,
};

fn at(n: u64) -> Timestamp {
    Timestamp::from_unix_millis(1_795_507_200_000 + i64::try_from(n).unwrap()).unwrap()
}

fn key(n: u8) -> PaymentKey {
    PaymentKey::from_bytes([n; 32])
}

fn tx(raw: &str) -> TransactionId {
    TransactionId::parse(raw).unwrap()
}

fn capture(n: u8, amount: i64) -> OwnLine {
    OwnLine {
        payment_key: key(n),
        client_id: ClientId::parse("mch_a").unwrap(),
        transaction_id: Some(tx(&format!("mtx_{n}"))),
        line_type: LineType::Capture,
        amount,
        at: at(u64::from(n)),
    }
}

fn cancel(n: u8, c: u8, amount: i64) -> OwnLine {
    OwnLine {
        transaction_id: Some(tx(&format!("mcx_{n}_{c}"))),
        line_type: LineType::Cancel,
        amount: -amount,
        ..capture(n, 1)
    }
}

/// The acquirer's line of `ours`, as an honest acquirer would write it.
fn theirs(ours: &OwnLine) -> AcquirerLine {
    AcquirerLine::new(
        ours.transaction_id.clone().unwrap(),
        ours.payment_key.clone(),
        ours.line_type,
        ours.amount,
        ours.at,
    )
    .unwrap()
}

fn reconcile(ours: &[OwnLine], file: Vec<AcquirerLine>) -> MatchOutcome {
    let mut matcher = Matcher::new(file);
    for line in ours {
        matcher.offer(line.clone());
    }
    matcher.finish()
}

#[test]
fn two_sides_that_agree_match_every_line() {
    let ours = [capture(1, 15_000), capture(2, 9_900), cancel(1, 1, 5_000)];
    let file = ours.iter().rev().map(theirs).collect();
    assert_eq!(
        reconcile(&ours, file),
        MatchOutcome {
            matched: 3,
            discrepancies: vec![]
        }
    );
}

#[test]
fn each_kind_of_discrepancy_is_reported_with_both_amounts_where_both_sides_have_one() {
    let normal = capture(1, 15_000);
    let off_by_one = capture(2, 15_011);
    let left_out = capture(3, 15_012);
    let stranger = theirs(&capture(4, 700));
    let mut file = vec![theirs(&normal), stranger.clone()];
    let mut short = theirs(&off_by_one);
    short.amount -= 1;
    file.push(short);
    let outcome = reconcile(&[normal, off_by_one.clone(), left_out.clone()], file);
    assert_eq!(outcome.matched, 1);
    assert_eq!(
        outcome.discrepancies,
        vec![
            Discrepancy::AmountMismatch {
                ours: off_by_one,
                acquirer_amount: 15_010
            },
            Discrepancy::MissingAtAcquirer(left_out),
            Discrepancy::MissingAtSimplePg(stranger),
        ]
    );
}

#[test]
fn a_cancel_the_acquirer_never_confirmed_with_a_transaction_id_is_missing_at_the_acquirer() {
    let mut unconfirmed = cancel(1, 1, 500);
    unconfirmed.transaction_id = None;
    let outcome = reconcile(std::slice::from_ref(&unconfirmed), vec![]);
    assert_eq!(
        outcome.discrepancies,
        vec![Discrepancy::MissingAtAcquirer(unconfirmed)]
    );
}

#[test]
fn a_movement_the_file_lists_twice_matches_once_and_the_second_line_is_missing_at_simplepg() {
    let ours = capture(1, 15_000);
    let outcome = reconcile(
        std::slice::from_ref(&ours),
        vec![theirs(&ours), theirs(&ours)],
    );
    assert_eq!(outcome.matched, 1);
    assert_eq!(
        outcome.discrepancies,
        vec![Discrepancy::MissingAtSimplePg(theirs(&ours))]
    );
}

#[test]
fn a_capture_and_a_cancel_of_one_payment_are_told_apart() {
    let ours = [capture(1, 15_000), cancel(1, 1, 15_000)];
    // The file has only the cancel: the capture is missing, the cancel matches.
    let outcome = reconcile(&ours, vec![theirs(&ours[1])]);
    assert_eq!(outcome.matched, 1);
    assert_eq!(
        outcome.discrepancies,
        vec![Discrepancy::MissingAtAcquirer(ours[0].clone())]
    );
}

#[test]
fn a_file_line_whose_sign_disagrees_with_its_type_is_refused() {
    for (line_type, amount) in [
        (LineType::Capture, -5),
        (LineType::Capture, 0),
        (LineType::Cancel, 5),
    ] {
        assert!(AcquirerLine::new(tx("t"), key(1), line_type, amount, at(0)).is_err());
    }
}

#[test]
fn the_status_is_matched_only_without_discrepancies() {
    let mut rec = Reconciliation {
        id: ReconciliationId::parse("rcn_0123456789abcdef0123456789abcdef").unwrap(),
        date: crate::settlement::SettlementDate::parse("2026-12-01").unwrap(),
        matched: 3,
        discrepancies: vec![],
        created_at: at(0),
        created_by: "token".into(),
    };
    assert_eq!(rec.status(), ReconciliationStatus::Matched);
    rec.discrepancies
        .push(Discrepancy::MissingAtAcquirer(capture(1, 1)));
    assert_eq!(rec.status(), ReconciliationStatus::Discrepancies);
    assert_eq!(
        rec.discrepancies[0].kind(),
        DiscrepancyKind::MissingAtAcquirer
    );
}

/// What the acquirer does to one of SimplePG's lines in a random day.
#[derive(Clone, Copy, Debug)]
enum Fate {
    Agrees,
    OffBy(i64),
    LeftOut,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        6 => Just(Fate::Agrees),
        2 => (1i64..1_000).prop_map(Fate::OffBy),
        2 => Just(Fate::LeftOut),
    ]
}

proptest! {
    /// For a random day of captures and cancels, a file that agrees, shortchanges or leaves out
    /// each line in any order, plus lines of its own: every line of SimplePG's is matched or
    /// reported once, every file line is used once or reported, and the reported lines are
    /// exactly the ones the acquirer changed.
    #[test]
    fn every_line_of_either_side_is_matched_or_reported_exactly_once(
        lines in prop::collection::vec((1u8..=200, any::<bool>(), 1i64..1_000_000, fate()), 0..60),
        strangers in prop::collection::vec((201u8..=255, 1i64..1_000_000), 0..5),
        shuffle in any::<u64>(),
    ) {
        let mut ours = Vec::new();
        let mut file = Vec::new();
        let (mut agree, mut off, mut out) = (0u64, 0usize, 0usize);
        for (i, (n, is_cancel, amount, fate)) in lines.into_iter().enumerate() {
            let c = u8::try_from(i % 256).unwrap();
            let line = if is_cancel { cancel(n, c, amount) } else { capture(n, amount) };
            if ours.iter().any(|o: &OwnLine| o.key() == line.key()) {
                continue; // one capture per payment, cancel ids unique
            }
            match fate {
                Fate::Agrees => { agree += 1; file.push(theirs(&line)); }
                Fate::OffBy(d) => {
                    off += 1;
                    let mut t = theirs(&line);
                    t.amount = if is_cancel { t.amount - d } else { t.amount + d };
                    file.push(t);
                }
                Fate::LeftOut => out += 1,
            }
            ours.push(line);
        }
        let stranger_count = strangers.len();
        for (n, amount) in strangers {
            file.push(theirs(&cancel(n, n, amount)));
        }
        // Any order of the file.
        let len = file.len();
        if len > 1 {
            for i in 0..len {
                let j = usize::try_from((shuffle.rotate_left(u32::try_from(i % 64).unwrap())) % (len as u64)).unwrap();
                file.swap(i, j);
            }
        }
        let file_len = file.len() as u64;
        let outcome = reconcile(&ours, file);
        let count = |k: DiscrepancyKind| outcome.discrepancies.iter().filter(|d| d.kind() == k).count();
        prop_assert_eq!(outcome.matched, agree);
        prop_assert_eq!(count(DiscrepancyKind::AmountMismatch), off);
        prop_assert_eq!(count(DiscrepancyKind::MissingAtAcquirer), out);
        prop_assert_eq!(count(DiscrepancyKind::MissingAtSimplePg), stranger_count);
        prop_assert_eq!(outcome.matched + (off + out) as u64, ours.len() as u64);
        prop_assert_eq!(outcome.matched + (off + stranger_count) as u64, file_len);
    }
}
