//! The reconciliation service's rules: who reconciles and reads, which dates, that the
//! acquirer's file is fetched before anything is stored, that every page of SimplePG's own lines
//! is compared, and that each discrepancy is audited with the result.

use std::sync::{Arc, Mutex};

use time::macros::offset;

use super::*;
use crate::{
    Timestamp,
    ids::{ClientId, PaymentKey, TransactionId},
    people::{AuditOutcome, Guarded, Principal, RequestOrigin, Role},
    ports::{AcquirerFileError, MockAcquirerFiles, MockReconciliationStore, OwnLineCursor},
    reconciliation::{AcquirerLine, Discrepancy, OwnLine, ReconciliationStatus},
    services::testkit::{clock_at, keys, person},
    settlement::{FixedOffsetCalendar, LineType, SettlementDate},
};

fn date(raw: &str) -> SettlementDate {
    SettlementDate::parse(raw).unwrap()
}

/// 2026-12-07T00:30 in Seoul.
fn after_midnight() -> Timestamp {
    Timestamp::parse_rfc3339("2026-12-06T15:30:00Z").unwrap()
}

fn line(n: u8, amount: i64) -> OwnLine {
    OwnLine {
        payment_key: PaymentKey::from_bytes([n; 32]),
        client_id: ClientId::parse("mch_shop").unwrap(),
        transaction_id: Some(TransactionId::parse(&format!("mtx_{n}")).unwrap()),
        line_type: LineType::Capture,
        amount,
        at: after_midnight(),
    }
}

fn theirs(ours: &OwnLine, amount: i64) -> AcquirerLine {
    AcquirerLine::new(
        ours.transaction_id.clone().unwrap(),
        ours.payment_key.clone(),
        ours.line_type,
        amount,
        ours.at,
    )
    .unwrap()
}

fn service(store: MockReconciliationStore, files: MockAcquirerFiles) -> ReconciliationService {
    ReconciliationService::new(
        Arc::new(store),
        Arc::new(files),
        Arc::new(keys()),
        Arc::new(clock_at(after_midnight())),
        Arc::new(FixedOffsetCalendar(offset!(+9))),
    )
}

fn user(role: Role) -> Principal {
    let client = role.is_merchant_role().then_some("mch_shop");
    person("someone@example.com", role, client)
}

/// `by` reconciles the date `raw` on `svc`.
async fn run_on(
    svc: &ReconciliationService,
    by: &Principal,
    raw: &str,
) -> Result<Reconciliation, Guarded<ReconciliationError>> {
    svc.run(by, date(raw), &RequestOrigin::default()).await
}

/// Why the command line's run of `raw` failed (it may run every date: not a refusal).
async fn failure(svc: &ReconciliationService, raw: &str) -> ReconciliationError {
    match run_on(svc, &Principal::token(), raw).await {
        Err(Guarded::Failed(e)) => e,
        other => panic!("the run of {raw} should fail: {other:?}"),
    }
}

/// The first page of every reconciliation, as a user of `role` reads it.
async fn first_page(
    svc: &ReconciliationService,
    role: Role,
) -> Result<Page<Reconciliation>, Guarded<RepositoryError>> {
    svc.list(
        &user(role),
        ReconciliationFilter::default(),
        Limit::default(),
        None,
    )
    .await
}

#[tokio::test]
async fn only_an_admin_reconciles_and_nothing_is_fetched_for_anyone_else() {
    for role in [
        Role::Operator,
        Role::Viewer,
        Role::MerchantAdmin,
        Role::MerchantViewer,
    ] {
        let svc = service(MockReconciliationStore::new(), MockAcquirerFiles::new());
        let err = run_on(&svc, &user(role), "2026-12-06").await.unwrap_err();
        assert!(matches!(err, Guarded::Forbidden), "{role:?}");
    }
}

#[tokio::test]
async fn merchant_users_may_not_read_reconciliations_and_platform_users_may() {
    for role in [Role::MerchantAdmin, Role::MerchantViewer] {
        let svc = service(MockReconciliationStore::new(), MockAcquirerFiles::new());
        let err = first_page(&svc, role).await.unwrap_err();
        assert!(matches!(err, Guarded::Forbidden), "{role:?}");
    }
    for role in [Role::Admin, Role::Operator, Role::Viewer] {
        let mut store = MockReconciliationStore::new();
        store.expect_list().returning(|_, _| Ok(vec![]));
        let svc = service(store, MockAcquirerFiles::new());
        let page = first_page(&svc, role).await.unwrap();
        assert!(page.items.is_empty(), "{role:?}");
    }
}

#[tokio::test]
async fn a_date_that_has_not_begun_is_refused_before_the_acquirer_is_asked() {
    let svc = service(MockReconciliationStore::new(), MockAcquirerFiles::new());
    let err = failure(&svc, "2026-12-08").await;
    assert!(matches!(err, ReconciliationError::DateInFuture(_)));
}

#[tokio::test]
async fn an_acquirer_file_that_cannot_be_had_stores_nothing() {
    let mut files = MockAcquirerFiles::new();
    files
        .expect_settlement_file()
        .returning(|_| Err(AcquirerFileError::Unavailable("HTTP 503".into())));
    // No expectation on the store: reading or saving would panic.
    let svc = service(MockReconciliationStore::new(), files);
    let err = failure(&svc, "2026-12-06").await;
    assert!(matches!(err, ReconciliationError::Acquirer(_)));
}

#[tokio::test]
async fn every_page_of_our_lines_is_compared_and_each_discrepancy_is_audited_with_the_result() {
    let (a, b, c) = (line(1, 15_000), line(2, 15_011), line(3, 15_012));
    let file = vec![theirs(&a, 15_000), theirs(&b, 15_010)];
    let mut files = MockAcquirerFiles::new();
    files
        .expect_settlement_file()
        .withf(|d| *d == date("2026-12-06"))
        .return_once(move |_| Ok(file));
    let mut store = MockReconciliationStore::new();
    let pages = Mutex::new(vec![vec![c.clone()], vec![a.clone(), b.clone()]]);
    store
        .expect_own_lines()
        .times(2)
        .returning(move |day, cursor, _| {
            assert_eq!(
                day.start,
                Timestamp::parse_rfc3339("2026-12-05T15:00:00Z").unwrap()
            );
            let mut pages = pages.lock().unwrap();
            let page = pages.pop().unwrap();
            let next = (!pages.is_empty()).then(|| OwnLineCursor {
                captures_done: true,
                ..cursor.clone()
            });
            Ok((page, next))
        });
    let saved = Arc::new(Mutex::new(None));
    let into = Arc::clone(&saved);
    store.expect_save().times(1).returning(move |r, audit| {
        *into.lock().unwrap() = Some((r.clone(), audit.to_vec()));
        Ok(())
    });
    let svc = service(store, files);
    let rec = run_on(&svc, &Principal::token(), "2026-12-06")
        .await
        .unwrap();
    assert_eq!(rec.matched, 1);
    assert_eq!(rec.status(), ReconciliationStatus::Discrepancies);
    assert_eq!(
        rec.discrepancies,
        vec![
            Discrepancy::AmountMismatch {
                ours: b.clone(),
                acquirer_amount: 15_010
            },
            Discrepancy::MissingAtAcquirer(c.clone()),
        ]
    );
    assert_eq!(rec.created_by, "token");
    let (stored, audit) = saved.lock().unwrap().clone().unwrap();
    assert_eq!(stored, rec);
    let actions: Vec<(&str, AuditOutcome)> = audit
        .iter()
        .map(|r| (r.action.as_str(), r.outcome))
        .collect();
    assert_eq!(
        actions,
        [
            (RECONCILE_ACTION, AuditOutcome::Success),
            (DISCREPANCY_ACTION, AuditOutcome::Failure),
            (DISCREPANCY_ACTION, AuditOutcome::Failure),
        ]
    );
    assert_eq!(
        audit[1].target.as_deref(),
        Some(format!("{} AMOUNT_MISMATCH {}", b.payment_key, rec.id).as_str())
    );
    assert_eq!(
        audit[2].target.as_deref(),
        Some(format!("{} MISSING_AT_ACQUIRER {}", c.payment_key, rec.id).as_str())
    );
}

#[tokio::test]
async fn a_day_whose_sides_agree_is_matched_and_audited_once() {
    let a = line(1, 15_000);
    let file = vec![theirs(&a, 15_000)];
    let mut files = MockAcquirerFiles::new();
    files
        .expect_settlement_file()
        .return_once(move |_| Ok(file));
    let mut store = MockReconciliationStore::new();
    store
        .expect_own_lines()
        .return_once(move |_, _, _| Ok((vec![a], None)));
    store
        .expect_save()
        .withf(|_, audit| audit.len() == 1)
        .returning(|_, _| Ok(()));
    let rec = run_on(&service(store, files), &Principal::token(), "2026-12-07")
        .await
        .unwrap();
    assert_eq!(rec.status(), ReconciliationStatus::Matched);
    assert_eq!(rec.matched, 1);
}
