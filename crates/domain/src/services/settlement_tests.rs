//! The settlement service's rules: who runs, which days, which terms, what a merchant user sees.

use std::sync::Arc;

use time::macros::offset;

use super::*;
use crate::{
    Timestamp,
    ids::ClientId,
    money::Currency,
    people::{Guarded, Principal, RequestOrigin, Role},
    ports::{MockMerchantStore, MockSettlementStore},
    services::testkit::{clock_at, keys, person},
    settlement::{
        BatchCreated, BatchTotals, Calendar, FeeRate, FixedOffsetCalendar, SettlementBatch,
        SettlementDate, SettlementDelay, SettlementFilter, SettlementId, SettlementTerms,
    },
};

fn rate(bps: i64) -> FeeRate {
    FeeRate::from_bps(bps).unwrap()
}

fn date(raw: &str) -> SettlementDate {
    SettlementDate::parse(raw).unwrap()
}

fn seoul() -> Arc<dyn Calendar> {
    Arc::new(FixedOffsetCalendar(offset!(+9)))
}

fn admin() -> Principal {
    Principal::token()
}

fn shop() -> ClientId {
    ClientId::parse("mch_shop").unwrap()
}

/// 2026-12-07T00:30 in Seoul.
fn after_midnight() -> Timestamp {
    Timestamp::parse_rfc3339("2026-12-06T15:30:00Z").unwrap()
}

fn service(
    store: MockSettlementStore,
    merchants: MockMerchantStore,
    now: Timestamp,
) -> SettlementService {
    SettlementService::new(
        Arc::new(store),
        Arc::new(merchants),
        Arc::new(keys()),
        Arc::new(clock_at(now)),
        seoul(),
    )
}

fn merchant_with(terms: SettlementTerms) -> MockMerchantStore {
    let mut merchants = MockMerchantStore::new();
    merchants.expect_find().returning(move |id| {
        let mut m = crate::services::testkit::merchant(id.as_str());
        m.terms = terms;
        Ok(Some(m))
    });
    merchants
}

#[tokio::test]
async fn a_day_that_is_not_over_in_the_settlement_time_zone_is_refused_and_nothing_is_read() {
    let svc = service(
        MockSettlementStore::new(),
        MockMerchantStore::new(),
        after_midnight(),
    );
    let err = svc
        .run(&admin(), date("2026-12-07"), &RequestOrigin::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Guarded::Failed(SettlementError::DateNotOver(d)) if d == date("2026-12-07")),
        "{err:?}"
    );
}

#[tokio::test]
async fn only_an_admin_runs_a_settlement() {
    for role in [Role::Operator, Role::Viewer] {
        let by = person("ops@example.com", role, None);
        let svc = service(
            MockSettlementStore::new(),
            MockMerchantStore::new(),
            after_midnight(),
        );
        let err = svc
            .run(&by, date("2026-12-06"), &RequestOrigin::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Guarded::Forbidden), "{role}: {err:?}");
    }
}

#[tokio::test]
async fn a_run_plans_each_unsettled_merchant_and_currency_with_the_merchants_terms_and_audits_it() {
    let terms = SettlementTerms {
        fee_rate: rate(330),
        delay: SettlementDelay::from_days(3).unwrap(),
    };
    let mut store = MockSettlementStore::new();
    store
        .expect_unsettled()
        .withf(|day| day.start.to_rfc3339() == "2026-12-05T15:00:00.000Z")
        .returning(|_| {
            Ok(vec![
                (shop(), Currency::KRW),
                (shop(), Currency::parse("USD").unwrap()),
            ])
        });
    store
        .expect_create_batch()
        .times(2)
        .withf(|plan| {
            plan.fee_rate.bps() == 330
                && plan.payout_date == date("2026-12-09")
                && plan.date == date("2026-12-06")
        })
        .returning(|plan| Ok(BatchCreated::Created(plan.batch(BatchTotals::default()))));
    store
        .expect_finish_run()
        .times(1)
        .withf(|d, _, audit| {
            *d == date("2026-12-06") && audit.len() == 1 && audit[0].action == RUN_ACTION
        })
        .returning(|_, _, _| Ok(()));
    store.expect_list().returning(|_, _| Ok(Vec::new()));
    let svc = service(store, merchant_with(terms), after_midnight());
    let run = svc
        .run(&admin(), date("2026-12-06"), &RequestOrigin::default())
        .await
        .unwrap();
    assert_eq!(run.created, 2);
}

#[tokio::test]
async fn the_daily_run_settles_only_unfinished_days_past_the_grace_that_it_could_claim() {
    let mut store = MockSettlementStore::new();
    // Looking back 3 days from 2026-12-07 00:30 Seoul: 12-06 ended 30 min ago (grace 1 h: not
    // yet), 12-05 is finished, 12-04 is claimed by someone else... no: claimed by us.
    store
        .expect_finished_runs()
        .withf(|from, to| *from == date("2026-12-04") && *to == date("2026-12-05"))
        .returning(|_, _| Ok(vec![date("2026-12-05")]));
    store
        .expect_claim_run()
        .times(1)
        .withf(|d, holder, _, _| *d == date("2026-12-04") && holder == "node-a")
        .returning(|_, _, _, _| Ok(true));
    store.expect_unsettled().returning(|_| Ok(Vec::new()));
    store
        .expect_finish_run()
        .times(1)
        .withf(|d, _, audit| *d == date("2026-12-04") && audit.is_empty())
        .returning(|_, _, _| Ok(()));
    store.expect_list().returning(|_, _| Ok(Vec::new()));
    let svc = service(store, MockMerchantStore::new(), after_midnight());
    let runs = svc
        .run_due(
            "node-a",
            3,
            std::time::Duration::from_secs(3600),
            std::time::Duration::from_secs(600),
        )
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].date, date("2026-12-04"));
}

/// A store whose every batch is `mch_other`'s.
fn store_of_another_merchant() -> MockSettlementStore {
    let other = ClientId::parse("mch_other").unwrap();
    let mut store = MockSettlementStore::new();
    store.expect_find().returning(move |id| {
        Ok(Some(SettlementBatch {
            id: id.clone(),
            client_id: other.clone(),
            currency: Currency::KRW,
            date: date("2026-12-06"),
            payout_date: date("2026-12-08"),
            fee_rate: rate(250),
            totals: BatchTotals::default(),
            created_at: after_midnight(),
        }))
    });
    store
}

#[tokio::test]
async fn a_merchant_users_listing_after_another_merchants_batch_is_empty_as_after_an_unknown_one() {
    let mut store = store_of_another_merchant();
    store.expect_list().never();
    let svc = service(store, MockMerchantStore::new(), after_midnight());
    let by = person("ops@shop.example", Role::MerchantViewer, Some("mch_shop"));
    let after = SettlementId::from_uuid(uuid::Uuid::now_v7());
    let page = svc
        .list(
            &by,
            SettlementFilter::default(),
            Limit::DEFAULT,
            Some(after),
        )
        .await
        .unwrap();
    assert!(page.items.is_empty() && !page.has_more, "{page:?}");
}

#[tokio::test]
async fn a_merchant_user_sees_another_merchants_batch_as_unknown() {
    let store = store_of_another_merchant();
    let svc = service(store, MockMerchantStore::new(), after_midnight());
    let by = person("ops@shop.example", Role::MerchantViewer, Some("mch_shop"));
    let id = SettlementId::from_uuid(uuid::Uuid::now_v7());
    let err = svc.get(&by, &id).await.unwrap_err();
    assert!(
        matches!(err, Guarded::Failed(SettlementError::NotFound(_))),
        "{err:?}"
    );
}
