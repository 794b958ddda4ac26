//! ReconciliationStore and AcquirerLedger (api.md §12.3): SimplePG's own movements of a day in
//! pages, stored reconciliations with every kind of discrepancy and their audit rows, and the
//! mock acquirer's durable books.

use domain::{
    ids::{PaymentKey, TransactionId},
    people::OperatorAuditEntry,
    ports::{LedgerEntry, OwnLineCursor, PageRequest},
    reconciliation::{
        AcquirerLine, Discrepancy, OwnLine, Reconciliation, ReconciliationFilter, ReconciliationId,
    },
    settlement::{Calendar, DayBounds, FixedOffsetCalendar, LineType, SettlementDate},
};
use time::UtcOffset;
use uuid::Uuid;

use crate::{
    StoreFactory,
    people::entry,
    support::{Env, approve, at, confirm_cancel, new_cancel_id, request_cancel},
};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// 2026-11-24 (UTC), the day of `at(0)`.
fn day0() -> DayBounds {
    FixedOffsetCalendar(UtcOffset::UTC).day(SettlementDate::parse("2026-11-24").unwrap())
}

/// Every own line of `day`, read `limit` at a time; and how many pages it took.
async fn all_lines(env: &Env, day: &DayBounds, limit: u32) -> (Vec<OwnLine>, usize) {
    let mut cursor = OwnLineCursor::default();
    let mut lines = Vec::new();
    let mut pages = 0;
    loop {
        let (page, next) = env
            .reconciliations
            .own_lines(day, &cursor, limit)
            .await
            .unwrap();
        pages += 1;
        lines.extend(page);
        match next {
            Some(next) => cursor = next,
            None => return (lines, pages),
        }
    }
}

pub async fn a_day_s_own_lines_are_its_captures_and_succeeded_cancels_of_captured_payments_in_pages<
    F: StoreFactory,
>() {
    let (env, a, b) = Env::with_two_merchants::<F>("mch_recon_a", "mch_recon_b").await;
    let mut captured = Vec::new();
    for (i, client) in [&a, &a, &b, &b, &a].into_iter().enumerate() {
        let order = format!("R-{i}");
        let p = env.payment(client, &order, at(10)).await;
        let p = env.apply(&p, approve(&format!("tx-{order}")), at(20)).await;
        let p = env
            .apply(&p, domain::payment::Command::Complete, at(1_000))
            .await;
        captured.push(p);
    }
    let cancel = new_cancel_id();
    let p = env
        .apply(
            &captured[0],
            request_cancel(&cancel, Some(5_000), "returned"),
            at(2_000),
        )
        .await;
    env.apply(&p, confirm_cancel(&cancel, Some("acq-cancel-1")), at(2_100))
        .await;
    // A voided authorization (never captured) and a capture of the next day are not lines.
    let void = env.payment(&a, "R-VOID", at(10)).await;
    let void = env.apply(&void, approve("tx-void"), at(20)).await;
    let void_cancel = new_cancel_id();
    let void = env
        .apply(&void, request_cancel(&void_cancel, None, "void"), at(30))
        .await;
    env.apply(
        &void,
        confirm_cancel(&void_cancel, Some("acq-void")),
        at(40),
    )
    .await;
    let late = env.payment(&b, "R-LATE", at(10)).await;
    let late = env.apply(&late, approve("tx-late"), at(20)).await;
    env.apply(&late, domain::payment::Command::Complete, at(DAY_MS + 5))
        .await;

    let (lines, pages) = all_lines(&env, &day0(), 2).await;
    assert!(
        pages >= 4,
        "five captures and a cancel, two per page: {pages}"
    );
    let mut shape: Vec<(String, &str, i64, Option<String>)> = lines
        .iter()
        .map(|l| {
            (
                l.payment_key.to_string(),
                l.line_type.as_str(),
                l.amount,
                l.transaction_id.as_ref().map(|t| t.as_str().to_owned()),
            )
        })
        .collect();
    shape.sort();
    let mut expected: Vec<(String, &str, i64, Option<String>)> = captured
        .iter()
        .map(|p| {
            (
                p.key.to_string(),
                "CAPTURE",
                15_000,
                p.transaction_id.as_ref().map(|t| t.as_str().to_owned()),
            )
        })
        .collect();
    expected.push((
        captured[0].key.to_string(),
        "CANCEL",
        -5_000,
        Some("acq-cancel-1".to_owned()),
    ));
    expected.sort();
    assert_eq!(shape, expected);
    let cancel_line = lines
        .iter()
        .find(|l| l.line_type == LineType::Cancel)
        .unwrap();
    assert_eq!(cancel_line.at, at(2_100));
    assert_eq!(cancel_line.client_id, a);
    let (one_page, _) = all_lines(&env, &day0(), 1_000).await;
    assert_eq!(one_page.len(), lines.len(), "the page size changes nothing");
}

fn own(n: u8, line_type: LineType, amount: i64, client: &domain::ids::ClientId) -> OwnLine {
    OwnLine {
        payment_key: PaymentKey::from_bytes([n; 32]),
        client_id: client.clone(),
        transaction_id: Some(TransactionId::parse(&format!("tx-{n}")).unwrap()),
        line_type,
        amount,
        at: at(i64::from(n) * 1_000),
    }
}

fn reconciliation(date: &str, discrepancies: Vec<Discrepancy>, created: i64) -> Reconciliation {
    Reconciliation {
        id: ReconciliationId::from_uuid(Uuid::now_v7()),
        date: SettlementDate::parse(date).unwrap(),
        matched: 7,
        discrepancies,
        created_at: at(created),
        created_by: "admin@pg.example".into(),
    }
}

pub async fn a_reconciliation_round_trips_with_every_kind_of_discrepancy_and_its_audit_rows<
    F: StoreFactory,
>() {
    let (env, a) = Env::with_merchant::<F>("mch_recon").await;
    let mut unconfirmed = own(3, LineType::Cancel, -500, &a);
    unconfirmed.transaction_id = None;
    let rec = reconciliation(
        "2026-11-24",
        vec![
            Discrepancy::AmountMismatch {
                ours: own(1, LineType::Capture, 15_011, &a),
                acquirer_amount: 15_010,
            },
            Discrepancy::MissingAtAcquirer(own(2, LineType::Capture, 15_012, &a)),
            Discrepancy::MissingAtAcquirer(unconfirmed),
            Discrepancy::MissingAtSimplePg(
                AcquirerLine::new(
                    TransactionId::parse("mcx_stranger").unwrap(),
                    PaymentKey::from_bytes([9; 32]),
                    LineType::Cancel,
                    -700,
                    at(9_000),
                )
                .unwrap(),
            ),
        ],
        DAY_MS + 10,
    );
    let audit = [OperatorAuditEntry {
        target: Some(rec.id.to_string()),
        ..entry("admin@pg.example", "RECONCILE", at(DAY_MS + 10))
    }];
    env.reconciliations.save(&rec, &audit).await.unwrap();
    assert_eq!(
        env.reconciliations.find(&rec.id).await.unwrap(),
        Some(rec.clone())
    );
    let summary = env.reconciliations.latest().await.unwrap().unwrap();
    assert_eq!(
        (
            summary.id.clone(),
            summary.matched,
            summary.amount_mismatches,
            summary.missing_at_acquirer,
            summary.missing_at_simplepg
        ),
        (rec.id.clone(), 7, 1, 2, 1)
    );
    assert_eq!(
        env.count("operator_audit WHERE action = 'RECONCILE'").await,
        1
    );
    let unknown = ReconciliationId::from_uuid(Uuid::now_v7());
    assert_eq!(env.reconciliations.find(&unknown).await.unwrap(), None);

    let clean = reconciliation("2026-11-24", vec![], DAY_MS + 20);
    env.reconciliations.save(&clean, &[]).await.unwrap();
    assert_eq!(
        env.reconciliations.find(&clean.id).await.unwrap(),
        Some(clean)
    );
}

pub async fn reconciliations_list_newest_date_first_with_date_filters_and_a_cursor<
    F: StoreFactory,
>() {
    let (env, a) = Env::with_merchant::<F>("mch_recon_list").await;
    let mut saved = Vec::new();
    for (date, created) in [
        ("2026-11-22", 1),
        ("2026-11-24", 2),
        ("2026-11-23", 3),
        ("2026-11-24", 4),
    ] {
        let rec = reconciliation(
            date,
            vec![Discrepancy::MissingAtAcquirer(own(
                1,
                LineType::Capture,
                100,
                &a,
            ))],
            created,
        );
        env.reconciliations.save(&rec, &[]).await.unwrap();
        saved.push(rec);
    }
    let list = |filter: ReconciliationFilter, before: Option<ReconciliationId>, limit: u32| {
        let env = &env;
        async move {
            env.reconciliations
                .list(&filter, &PageRequest { limit, before })
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    let ids = |idx: &[usize]| idx.iter().map(|&i| saved[i].id.clone()).collect::<Vec<_>>();
    assert_eq!(
        list(ReconciliationFilter::default(), None, 10).await,
        ids(&[3, 1, 2, 0]),
        "newest date first, then newest run of a date"
    );
    assert_eq!(
        list(ReconciliationFilter::default(), None, 1).await,
        ids(&[3, 1]),
        "limit + 1 rows"
    );
    assert_eq!(
        list(
            ReconciliationFilter::default(),
            Some(saved[1].id.clone()),
            10
        )
        .await,
        ids(&[2, 0])
    );
    let range = ReconciliationFilter {
        from: Some(SettlementDate::parse("2026-11-23").unwrap()),
        to: Some(SettlementDate::parse("2026-11-23").unwrap()),
    };
    assert_eq!(list(range, None, 10).await, ids(&[2]));
    let first = env
        .reconciliations
        .list(&ReconciliationFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(first[0], saved[3], "items come with each listed row");
    assert_eq!(
        env.reconciliations.latest().await.unwrap().map(|r| r.id),
        Some(saved[3].id.clone()),
        "the newest by creation"
    );
}

fn entry_of(tx: &str, n: u8, line_type: LineType, amount: i64, millis: i64) -> LedgerEntry {
    LedgerEntry {
        transaction_id: TransactionId::parse(tx).unwrap(),
        payment_key: PaymentKey::from_bytes([n; 32]),
        line_type,
        amount,
        payment_amount: 15_011,
        at: at(millis),
    }
}

pub async fn the_mock_acquirer_s_books_record_each_transaction_once_and_list_a_day_s_money<
    F: StoreFactory,
>() {
    let env = Env::new::<F>().await;
    let ledger = &env.acquirer_ledger;
    let capture = entry_of("mtx_1", 1, LineType::Capture, 15_011, 1_000);
    assert!(ledger.record(&capture).await.unwrap());
    assert!(
        !ledger.record(&capture).await.unwrap(),
        "a retried capture records nothing"
    );
    let cancel = entry_of("mcx_1", 1, LineType::Cancel, -5_000, 2_000);
    assert!(ledger.record(&cancel).await.unwrap());
    assert!(
        ledger
            .record(&entry_of("mcx_2", 1, LineType::Cancel, -1_000, 3_000))
            .await
            .unwrap()
    );
    // A void of an authorization it never captured, and the next day's capture.
    let void = entry_of("mcx_void", 2, LineType::Cancel, -15_011, 4_000);
    assert!(ledger.record(&void).await.unwrap());
    let tomorrow = entry_of("mtx_3", 3, LineType::Capture, 900, DAY_MS + 1);
    assert!(ledger.record(&tomorrow).await.unwrap());

    for (payment, canceled) in [(1, 6_000), (2, 15_011), (7, 0)] {
        let key = PaymentKey::from_bytes([payment; 32]);
        assert_eq!(
            ledger.canceled(&key).await.unwrap(),
            canceled,
            "payment {payment}"
        );
    }
    assert_eq!(
        ledger.find(&cancel.transaction_id).await.unwrap(),
        Some(cancel.clone())
    );
    let day: Vec<String> = ledger
        .entries(&day0())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.transaction_id.as_str().to_owned())
        .collect();
    assert_eq!(
        day,
        ["mtx_1", "mcx_1", "mcx_2"],
        "captures and the cancels of captured payments, in time order"
    );
}
