//! The money invariant of api.md §9.2 on the cluster: twenty concurrent partial cancels of one
//! payment through two instances on two different Galera nodes — a conflict is a certification
//! failure at commit — never cancel more than the amount, lose no cancel and answer no 5xx.

use futures_util::future::join_all;
use test_support::{
    Api, Merchant, Reply, STAYS_READY, WAIT, cancels, settled_payment, taken_and_refused,
};

use crate::support::{
    assert_books_balance_on_every_node, assert_no_5xx, audit_actions, completed_payment, payment,
    two_nodes,
};

/// `POST /api/payments/{key}/cancel` of `amount` through `api`.
async fn partial_cancel(api: &Api, m: &Merchant, key: &str, amount: i64) -> Reply {
    api.cancel(m, key, "cluster test", Some(amount))
        .await
        .unwrap_or_else(|e| panic!("cancel of {key} not sent: {e}"))
}

/// Races one partial cancel of each of `amounts`, alternately through `a` (node 1) and `b`
/// (node 2), and proves the invariant: no 5xx; each one taken (200/202) or refused with 409
/// `CANCEL_AMOUNT_EXCEEDED`; the taken ones fit and, once ended, are exactly the SUCCEEDED
/// cancels whose sum is `canceledAmount`, read through either node; nothing refused would fit in
/// what is left; one transition row per succeeded cancel.
async fn race(a: &Api, b: &Api, m: &Merchant, key: &str, amounts: &[i64]) {
    let replies = join_all(amounts.iter().enumerate().map(|(i, &amount)| {
        let target = if i % 2 == 0 { a } else { b };
        partial_cancel(target, m, key, amount)
    }))
    .await;
    assert_no_5xx("partial cancel", &replies);
    let (taken, refused) = taken_and_refused(&replies, amounts);
    let taken_sum: i64 = taken.iter().sum();
    assert!(taken_sum <= STAYS_READY, "took {taken:?}");

    let settled = settled_payment(a, m, key, WAIT).await;
    for through in [a, b] {
        let p = payment(through, m, key).await;
        let succeeded: Vec<i64> = cancels(&p)
            .iter()
            .filter(|c| c["status"] == "SUCCEEDED")
            .map(|c| c["amount"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(succeeded.len(), taken.len(), "no cancel lost or added: {p}");
        assert_eq!(succeeded.iter().sum::<i64>(), taken_sum, "{p}");
        assert_eq!(p["canceledAmount"], taken_sum, "{p}");
        assert_eq!(p["cancelableAmount"], STAYS_READY - taken_sum, "{p}");
        assert_eq!(p, settled, "both nodes show the same payment");
    }
    let left = STAYS_READY - taken_sum;
    assert!(
        refused.iter().all(|&r| r > left),
        "refused {refused:?} though {left} is left"
    );
    let actions = audit_actions(b, m, key).await;
    let transitions = actions
        .iter()
        .filter(|a| *a == "PARTIAL_CANCEL" || *a == "CANCEL")
        .count();
    assert_eq!(transitions, taken.len(), "{actions:?}");
}

#[actix_web::test]
async fn twenty_concurrent_partial_cancels_split_over_two_nodes_never_cancel_more_than_the_amount_with_no_5xx()
 {
    let (db, a, b, m) = two_nodes().await;
    for round in 0..2 {
        // Twenty cancels of 1 000 of 15 002: exactly fifteen fit.
        let key = completed_payment(&a, &m, &format!("even-{round}")).await;
        race(&a, &b, &m, &key, &[1_000; 20]).await;
        let p = payment(&b, &m, &key).await;
        assert_eq!(p["canceledAmount"], 15_000, "round {round}: {p}");
        assert_eq!(p["status"], "PARTIAL_CANCELED", "round {round}: {p}");
    }
    // Twenty different amounts (24 430 in all): whatever fits, in whatever order they commit.
    let amounts: Vec<i64> = (0..20).map(|i| 300 + 97 * i).collect();
    let key = completed_payment(&b, &m, "uneven").await;
    race(&a, &b, &m, &key, &amounts).await;
    // Twenty cancels of 7 501: two spend it; the rest exceed what is left, before or after.
    let key = completed_payment(&a, &m, "spent").await;
    race(&a, &b, &m, &key, &[7_501; 20]).await;
    assert_eq!(payment(&b, &m, &key).await["status"], "CANCELED");

    assert_books_balance_on_every_node(&db).await;
}
