//! SettlementStore (api.md §12.2): a day's movements into one batch per merchant and currency,
//! each settled exactly once; the daily run's claim; what `simplepg check` finds.

use std::time::Duration;

use domain::{
    money::Currency,
    payment::{Command, Payment},
    settlement::{
        BatchCreated, BatchPlan, Calendar, FeeRate, FixedOffsetCalendar, LineType, SettlementDate,
        SettlementId,
    },
};
use time::UtcOffset;
use uuid::Uuid;

use crate::{
    StoreFactory,
    support::{Env, approve, at, confirm_cancel, new_cancel_id, request_cancel},
};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// 2026-11-24, the day of `at(0)` in UTC.
fn day0() -> SettlementDate {
    SettlementDate::parse("2026-11-24").unwrap()
}

fn plan(client: &domain::ids::ClientId, date: SettlementDate) -> BatchPlan {
    let day = FixedOffsetCalendar(UtcOffset::UTC).day(date);
    BatchPlan {
        id: SettlementId::from_uuid(Uuid::now_v7()),
        client_id: client.clone(),
        currency: Currency::KRW,
        date,
        day,
        payout_date: date.plus_days(2).unwrap(),
        fee_rate: FeeRate::from_bps(250).unwrap(),
        created_at: at(DAY_MS + 60_000),
    }
}

/// A 15,000 KRW payment of `client` approved and completed at `at(completed)`.
async fn captured(
    env: &Env,
    client: &domain::ids::ClientId,
    order: &str,
    completed: i64,
) -> Payment {
    let p = env.payment(client, order, at(completed - 10)).await;
    let p = env
        .apply(&p, approve(&format!("tx-{order}")), at(completed - 5))
        .await;
    env.apply(&p, Command::Complete, at(completed)).await
}

/// `p` with a succeeded cancel of `amount` at `at(when)`.
async fn canceled(env: &Env, p: &Payment, amount: i64, when: i64) -> Payment {
    let id = new_cancel_id();
    let p = env
        .apply(
            p,
            request_cancel(&id, Some(amount), "returned"),
            at(when - 1),
        )
        .await;
    env.apply(&p, confirm_cancel(&id, None), at(when)).await
}

pub async fn a_day_settles_into_one_batch_per_merchant_and_currency_whose_totals_are_its_lines<
    F: StoreFactory,
>() {
    let (env, a, b) = Env::with_two_merchants::<F>("mch_settle_a", "mch_settle_b").await;
    captured(&env, &a, "A-1", 1_000).await;
    let a2 = captured(&env, &a, "A-2", 2_000).await;
    canceled(&env, &a2, 5_000, 3_000).await;
    captured(&env, &b, "B-1", 4_000).await;
    let void = env.payment(&a, "A-VOID", at(100)).await;
    let void = env.apply(&void, approve("tx-void"), at(200)).await;
    let void_id = new_cancel_id();
    let void = env
        .apply(
            &void,
            request_cancel(&void_id, None, "never captured"),
            at(250),
        )
        .await;
    env.apply(&void, confirm_cancel(&void_id, None), at(300))
        .await;
    captured(&env, &a, "A-NEXT-DAY", DAY_MS + 1_000).await;

    let day = plan(&a, day0()).day;
    assert_eq!(
        env.settlements.unsettled(&day).await.unwrap(),
        [(a.clone(), Currency::KRW), (b.clone(), Currency::KRW)],
        "a voided authorization moves no money; the next day's capture is the next day's"
    );
    let plan_a = plan(&a, day0());
    let BatchCreated::Created(batch) = env.settlements.create_batch(&plan_a).await.unwrap() else {
        panic!("merchant a's batch was not created");
    };
    assert_eq!(
        (
            batch.totals.gross,
            batch.totals.fees,
            batch.totals.net,
            batch.totals.line_count
        ),
        (25_000, 625, 24_375, 3),
        "two captures of 15,000 at 2.5 % and a cancel of 5,000 refunding its 125"
    );
    assert_eq!(
        env.settlements.find(&plan_a.id).await.unwrap(),
        Some(batch.clone())
    );
    let lines = env.settlements.lines(&plan_a.id, 0, 100).await.unwrap();
    let shape: Vec<_> = lines
        .iter()
        .map(|l| (l.line_type, l.amount, l.fee, l.net, l.at))
        .collect();
    assert_eq!(
        shape,
        [
            (LineType::Capture, 15_000, 375, 14_625, at(1_000)),
            (LineType::Capture, 15_000, 375, 14_625, at(2_000)),
            (LineType::Cancel, -5_000, -125, -4_875, at(3_000)),
        ],
        "in time order"
    );
    assert_eq!(lines[2].payment_key, a2.key);
    assert!(lines[2].cancel_id.is_some());
    assert_eq!(
        env.settlements
            .lines(&plan_a.id, 2, 100)
            .await
            .unwrap()
            .len(),
        1
    );

    assert_eq!(
        env.settlements
            .create_batch(&plan(&a, day0()))
            .await
            .unwrap(),
        BatchCreated::AlreadyExists,
        "a second batch of the merchant, currency and date is never made"
    );
    assert_eq!(env.count("settlement_batch").await, 1);
    assert_eq!(
        env.settlements.unsettled(&day).await.unwrap(),
        [(b.clone(), Currency::KRW)]
    );
    assert!(matches!(
        env.settlements
            .create_batch(&plan(&b, day0()))
            .await
            .unwrap(),
        BatchCreated::Created(_)
    ));
    assert!(env.settlements.unsettled(&day).await.unwrap().is_empty());
    assert_eq!(env.count("settlement_line").await, 4);
}

pub async fn a_day_with_nothing_left_to_settle_writes_no_batch<F: StoreFactory>() {
    let (env, a) = Env::with_merchant::<F>("mch_settle_empty").await;
    env.payment(&a, "READY-ONLY", at(1_000)).await;
    assert_eq!(
        env.settlements
            .create_batch(&plan(&a, day0()))
            .await
            .unwrap(),
        BatchCreated::Empty
    );
    assert_eq!(env.count("settlement_batch").await, 0);
}

pub async fn eight_concurrent_runs_of_one_batch_create_it_once_and_settle_each_movement_once<
    F: StoreFactory,
>() {
    let (env, a) = Env::with_merchant::<F>("mch_settle_race").await;
    for n in 0..20 {
        captured(&env, &a, &format!("RACE-{n}"), 1_000 + n).await;
    }
    let env = std::sync::Arc::new(env);
    let outcomes = crate::support::spawn_all(8, |_| {
        let env = env.clone();
        let a = a.clone();
        async move {
            env.settlements
                .create_batch(&plan(&a, day0()))
                .await
                .unwrap()
        }
    })
    .await;
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, BatchCreated::Created(_)))
        .count();
    assert_eq!(created, 1, "{outcomes:?}");
    assert_eq!(env.count("settlement_batch").await, 1);
    assert_eq!(env.count("settlement_line").await, 20);
}

pub async fn a_run_is_claimed_by_one_holder_until_its_lease_lapses_and_never_after_it_finished<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let s = &env.settlements;
    let (d, other) = (day0(), SettlementDate::parse("2026-11-25").unwrap());
    let lease = Duration::from_secs(600);
    assert!(
        s.claim_run(d, "node-a", at(0), at(0).plus(lease))
            .await
            .unwrap()
    );
    assert!(
        !s.claim_run(d, "node-b", at(1_000), at(1_000).plus(lease))
            .await
            .unwrap()
    );
    let later = at(0).plus(lease).plus(Duration::from_secs(1));
    assert!(
        s.claim_run(d, "node-b", later, later.plus(lease))
            .await
            .unwrap(),
        "a claim whose holder died is taken over"
    );
    s.finish_run(d, later, &[]).await.unwrap();
    assert!(
        !s.claim_run(d, "node-c", later.plus(lease * 3), later.plus(lease * 4))
            .await
            .unwrap()
    );
    s.finish_run(other, later, &[]).await.unwrap();
    s.finish_run(other, later.plus(lease), &[]).await.unwrap();
    assert_eq!(s.finished_runs(d, other).await.unwrap(), [d, other]);
    assert_eq!(s.finished_runs(other, other).await.unwrap(), [other]);
}

pub async fn the_check_finds_an_unsettled_movement_of_a_run_day_and_nothing_once_it_is_settled<
    F: StoreFactory,
>() {
    let (env, a) = Env::with_merchant::<F>("mch_settle_check").await;
    captured(&env, &a, "CHECK-1", 1_000).await;
    let day = plan(&a, day0()).day;
    let findings = env.settlements.check(&[(day0(), day)]).await.unwrap();
    assert_eq!(findings.unsettled.len(), 1, "{findings:?}");
    env.settlements
        .create_batch(&plan(&a, day0()))
        .await
        .unwrap();
    let findings = env.settlements.check(&[(day0(), day)]).await.unwrap();
    assert!(findings.is_clean(), "{findings:?}");
    env.exec("UPDATE settlement_batch SET gross = gross + 1, net = net + 1")
        .await;
    env.exec("UPDATE settlement_line SET amount = amount + 1, net = net + 1")
        .await;
    let findings = env.settlements.check(&[(day0(), day)]).await.unwrap();
    assert_eq!(
        (findings.mismatched.len(), findings.wrong_totals.len()),
        (1, 0),
        "{findings:?}"
    );
}
