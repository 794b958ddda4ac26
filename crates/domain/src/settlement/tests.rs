//! The money of settlement: fees rounded half up by integer arithmetic, lines and totals that
//! add up exactly however movements are split into days, and the service's rules (who runs,
//! which days, which terms).

use proptest::prelude::*;
use time::macros::{date, offset};

use super::*;
use crate::{
    Timestamp,
    ids::{PaymentId, PaymentKey},
    money::Amount,
    payment::{CancelId, OrderNo},
    validation::assert_parser,
};

fn amount(n: i64) -> Amount {
    Amount::parse(n).unwrap()
}

fn rate(bps: i64) -> FeeRate {
    FeeRate::from_bps(bps).unwrap()
}

fn movement(n: u8, kind: MovementKind, minor: i64) -> Movement {
    Movement {
        payment_id: PaymentId::from_uuid(uuid::Uuid::from_u128(u128::from(n))),
        payment_key: PaymentKey::from_bytes([n; 32]),
        order_no: OrderNo::parse(&format!("ORDER-{n}")).unwrap(),
        kind,
        amount: amount(minor),
        at: Timestamp::from_unix_millis(1_795_507_200_000).unwrap(),
    }
}

fn cancel(n: u8, minor: i64) -> Movement {
    let id = CancelId::from_uuid(uuid::Uuid::from_u128(1000 + u128::from(n)));
    movement(n, MovementKind::Cancel(id), minor)
}

#[test]
fn a_fee_is_the_amount_times_the_rate_rounded_half_up_to_the_minor_unit() {
    for (minor, bps, fee, why) in [
        (10_000, 250, 250, "2.5 % of 10,000"),
        (199, 250, 5, "4.975 rounds up"),
        (20, 250, 1, "exactly half (0.5) rounds up"),
        (19, 250, 0, "0.475 rounds down"),
        (3, 5_000, 2, "1.5 rounds up"),
        (1, 0, 0, "a zero rate charges nothing"),
        (
            1_000_000_000,
            10_000,
            1_000_000_000,
            "the whole of the largest amount",
        ),
        (1_000_000_000, 1, 100_000, "one basis point"),
    ] {
        assert_eq!(rate(bps).fee_of(amount(minor)), fee, "{why}");
    }
}

#[test]
fn fee_rates_and_delays_outside_their_ranges_do_not_exist() {
    assert!(FeeRate::from_bps(10_000).is_ok() && FeeRate::from_bps(0).is_ok());
    assert!(FeeRate::from_bps(10_001).is_err() && FeeRate::from_bps(-1).is_err());
    assert!(SettlementDelay::from_days(30).is_ok() && SettlementDelay::from_days(0).is_ok());
    assert!(SettlementDelay::from_days(31).is_err() && SettlementDelay::from_days(-1).is_err());
    assert_eq!(SettlementTerms::default().fee_rate.bps(), 250);
    assert_eq!(SettlementTerms::default().delay.days(), 2);
}

#[test]
fn a_settlement_date_is_exactly_yyyy_mm_dd() {
    assert_eq!(
        SettlementDate::parse("2026-12-06").unwrap().to_string(),
        "2026-12-06"
    );
    assert_parser(
        SettlementDate::parse,
        &[],
        &[
            "2026-12-6",
            "2026-13-01",
            "2026-02-30",
            "20261206",
            "2026-12-06T00:00",
            "",
        ],
    );
}

#[test]
fn a_capture_is_charged_its_fee_and_a_cancel_refunds_the_fee_of_what_it_cancels() {
    let capture = SettlementLine::price(&movement(1, MovementKind::Capture, 10_000), rate(250));
    assert_eq!(
        (capture.line_type, capture.amount, capture.fee, capture.net),
        (LineType::Capture, 10_000, 250, 9_750)
    );
    assert_eq!(capture.cancel_id, None);
    let refund = SettlementLine::price(&cancel(1, 4_000), rate(250));
    assert_eq!(
        (refund.line_type, refund.amount, refund.fee, refund.net),
        (LineType::Cancel, -4_000, -100, -3_900)
    );
    assert!(refund.cancel_id.is_some());
    let whole = SettlementLine::price(&cancel(1, 10_000), rate(250));
    assert_eq!(
        BatchTotals::of([&capture, &whole]),
        BatchTotals {
            gross: 0,
            fees: 0,
            net: 0,
            line_count: 2
        },
        "a payment captured and canceled in full in one go nets to exactly zero"
    );
}

#[test]
fn a_seoul_settlement_day_runs_from_15_00_utc_the_day_before() {
    let seoul = FixedOffsetCalendar(offset!(+9));
    let day = seoul.day(SettlementDate::from_date(date!(2026 - 12 - 06)));
    assert_eq!(day.start.to_rfc3339(), "2026-12-05T15:00:00.000Z");
    assert_eq!(day.end.to_rfc3339(), "2026-12-06T15:00:00.000Z");
    assert_eq!(seoul.date_of(day.start).to_string(), "2026-12-06");
    assert_eq!(
        seoul
            .date_of(day.end.minus(std::time::Duration::from_micros(1)))
            .to_string(),
        "2026-12-06"
    );
    assert_eq!(seoul.date_of(day.end).to_string(), "2026-12-07");
    assert!(day.contains(day.start) && !day.contains(day.end));
}

/// One payment of a random history: its amount, whether it was captured, and the partial
/// cancels that followed (never more than the amount in all).
fn payment_history() -> impl Strategy<Value = (i64, Vec<i64>)> {
    (1i64..=2_000_000).prop_flat_map(|total| {
        proptest::collection::vec(1i64..=total, 0..5).prop_map(move |wanted| {
            let mut left = total;
            let cancels = wanted
                .into_iter()
                .filter_map(|c| {
                    let c = c.min(left);
                    left -= c;
                    (c > 0).then_some(c)
                })
                .collect();
            (total, cancels)
        })
    })
}

proptest! {
    /// Whatever the split of the movements into days (batches), the batches' totals add up to
    /// the payments' net movements computed payment by payment: captured less canceled, less the
    /// fee of the capture, plus the fee refunded by each cancel.
    #[test]
    fn the_sum_over_all_batches_is_the_sum_of_every_payments_net_movement_whatever_the_days(
        histories in proptest::collection::vec(payment_history(), 1..30),
        bps in 0i64..=10_000,
        days in proptest::collection::vec(0usize..4, 150),
    ) {
        let rate = rate(bps);
        let mut movements = Vec::new();
        let mut expected = BatchTotals::default();
        for (n, (total, cancels)) in histories.iter().enumerate() {
            let n = u8::try_from(n).unwrap();
            movements.push(movement(n, MovementKind::Capture, *total));
            let canceled: i64 = cancels.iter().sum();
            let refunded: i64 = cancels.iter().map(|c| rate.fee_of(amount(*c))).sum();
            let fee = rate.fee_of(amount(*total)) - refunded;
            expected.gross += total - canceled;
            expected.fees += fee;
            expected.net += total - canceled - fee;
            expected.line_count += 1 + cancels.len() as u64;
            for (i, c) in cancels.iter().enumerate() {
                movements.push(cancel(n.wrapping_mul(5).wrapping_add(u8::try_from(i).unwrap()), *c));
            }
        }
        let mut batches = [BatchTotals::default(); 4];
        for (m, day) in movements.iter().zip(days.iter().cycle()) {
            let line = SettlementLine::price(m, rate);
            prop_assert_eq!(line.net, line.amount - line.fee);
            prop_assert!(line.fee.abs() <= line.amount.abs());
            match line.line_type {
                LineType::Capture => prop_assert!(line.amount > 0 && line.fee >= 0),
                LineType::Cancel => prop_assert!(line.amount < 0 && line.fee <= 0),
            }
            batches[*day].add(&line);
        }
        let mut all = BatchTotals::default();
        for b in batches {
            prop_assert_eq!(b.net, b.gross - b.fees);
            all.gross += b.gross;
            all.fees += b.fees;
            all.net += b.net;
            all.line_count += b.line_count;
        }
        prop_assert_eq!(all, expected);
    }
}
