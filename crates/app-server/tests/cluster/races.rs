//! The races of the single-server resilience suite, with the two instances on two different
//! Galera nodes: a conflict is now a certification failure at commit, and none may become a 5xx,
//! a lost transition or a doubled one.

use futures_util::future::join_all;
use serde_json::json;

use crate::support::{
    ClusterDb, acquirer_webhook, approval, approved_payment, assert_books_balance_on_every_node,
    assert_no_5xx, audit_actions, instance_on, merchant, payment, ready_payment,
};

#[actix_web::test]
async fn twenty_identical_acquirer_webhooks_split_over_two_nodes_apply_exactly_once_with_no_5xx() {
    let db = ClusterDb::create().await;
    let a = instance_on(&db, 1, &[]).await;
    let b = instance_on(&db, 2, &[]).await;
    let m = merchant(&a).await;
    for round in 0..3 {
        let key = ready_payment(&a, &m, &format!("storm-{round}")).await;
        let body = approval(&key, &format!("tx-storm-{round}"));
        let replies = join_all((0..20).map(|i| {
            let target = if i % 2 == 0 { &a } else { &b };
            let (id, body) = (format!("wh-storm-{round}-{i}"), body.clone());
            async move { acquirer_webhook(target, &id, &body).await }
        }))
        .await;

        assert_no_5xx("webhook", &replies);
        let results: Vec<_> = replies.iter().map(|r| r.json["result"].clone()).collect();
        let applied = results.iter().filter(|r| *r == "APPLIED").count();
        let duplicate = results.iter().filter(|r| *r == "DUPLICATE").count();
        assert_eq!((applied, duplicate), (1, 19), "round {round}: {results:?}");
        let approvals = audit_actions(&b, &m, &key).await;
        assert_eq!(
            approvals.iter().filter(|a| *a == "APPROVE").count(),
            1,
            "{approvals:?}"
        );
    }
    assert_books_balance_on_every_node(&db).await;
}

#[actix_web::test]
async fn twenty_concurrent_completes_split_over_two_nodes_complete_once_and_refuse_the_rest_with_409()
 {
    let db = ClusterDb::create().await;
    let a = instance_on(&db, 1, &[]).await;
    let b = instance_on(&db, 2, &[]).await;
    let m = merchant(&a).await;
    for round in 0..3 {
        let key = approved_payment(&a, &m, &format!("complete-{round}")).await;
        let path = format!("/api/payments/{key}/complete");
        let replies: Vec<_> = join_all((0..20).map(|i| {
            let target = if i % 2 == 0 { &a } else { &b };
            let (m, path) = (&m, &path);
            async move {
                target
                    .signed(m, "POST", path, None, &[])
                    .await
                    .expect("complete sent")
            }
        }))
        .await;

        assert_no_5xx("complete", &replies);
        let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses.iter().filter(|&&s| s == 200).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            replies.iter().all(|r| r.status == 200 || r.status == 409),
            "round {round}: {statuses:?}"
        );
        assert_eq!(payment(&b, &m, &key).await["status"], "COMPLETED");
        let actions = audit_actions(&a, &m, &key).await;
        assert_eq!(
            actions.iter().filter(|a| *a == "COMPLETE").count(),
            1,
            "{actions:?}"
        );
    }
    assert_books_balance_on_every_node(&db).await;
}

#[actix_web::test]
async fn a_payment_created_through_one_node_is_canceled_at_once_through_another_every_time() {
    let db = ClusterDb::create().await;
    let a = instance_on(&db, 1, &[]).await;
    let b = instance_on(&db, 2, &[]).await;
    let m = merchant(&a).await;
    let cancel = json!({ "cancelReason": "changed my mind" }).to_string();
    for round in 0..25 {
        // The create's acquirer request is dispatched from node 1 while the cancel writes
        // through node 2: the two collide in certification, never in a 5xx or a 404.
        let key = ready_payment(&a, &m, &format!("create-cancel-{round}")).await;
        let reply = b
            .signed(
                &m,
                "POST",
                &format!("/api/payments/{key}/cancel"),
                Some(&cancel),
                &[],
            )
            .await
            .expect("cancel sent");
        assert_eq!(reply.status, 200, "round {round}: {}", reply.text());
        assert_eq!(reply.json["status"], "CANCELED", "round {round}");
    }
    assert_books_balance_on_every_node(&db).await;
}

#[actix_web::test]
async fn cancels_of_completed_payments_through_the_other_node_agree_with_the_acquirer() {
    let db = ClusterDb::create().await;
    let a = instance_on(&db, 1, &[]).await;
    let b = instance_on(&db, 2, &[]).await;
    let m = merchant(&a).await;
    let cancel = json!({ "cancelReason": "returned" }).to_string();
    for round in 0..10 {
        let key = approved_payment(&a, &m, &format!("completed-{round}")).await;
        let completed = a
            .signed(
                &m,
                "POST",
                &format!("/api/payments/{key}/complete"),
                None,
                &[],
            )
            .await
            .expect("complete sent");
        assert_eq!(completed.status, 200, "{}", completed.text());
        // The acquirer cancels synchronously, then the commit may meet the merchant
        // notification's delivery writing on node 1: it must be decided again, not lost.
        let reply = b
            .signed(
                &m,
                "POST",
                &format!("/api/payments/{key}/cancel"),
                Some(&cancel),
                &[],
            )
            .await
            .expect("cancel sent");
        assert_eq!(reply.status, 200, "round {round}: {}", reply.text());
        assert_eq!(payment(&a, &m, &key).await["status"], "CANCELED");
    }
    assert_books_balance_on_every_node(&db).await;
}

#[actix_web::test]
async fn webhooks_completes_and_cancels_racing_on_three_nodes_leave_only_legal_histories() {
    let db = ClusterDb::create().await;
    let a = instance_on(&db, 1, &[]).await;
    let b = instance_on(&db, 2, &[]).await;
    let c = instance_on(&db, 3, &[]).await;
    let m = merchant(&a).await;
    let cancel = json!({ "cancelReason": "race" }).to_string();
    for round in 0..6 {
        let key = ready_payment(&a, &m, &format!("race-{round}")).await;
        let approve = approval(&key, &format!("tx-race-{round}"));
        let cancel_path = format!("/api/payments/{key}/cancel");
        let complete_path = format!("/api/payments/{key}/complete");
        let ids = [
            format!("wh-a-{round}"),
            format!("wh-b-{round}"),
            format!("wh-c-{round}"),
        ];
        let (w1, w2, w3, k1, c1, k2) = futures_util::join!(
            acquirer_webhook(&a, &ids[0], &approve),
            acquirer_webhook(&b, &ids[1], &approve),
            acquirer_webhook(&c, &ids[2], &approve),
            c.signed(&m, "POST", &complete_path, None, &[]),
            b.signed(&m, "POST", &cancel_path, Some(&cancel), &[]),
            a.signed(&m, "POST", &complete_path, None, &[]),
        );
        let merchant_calls: Vec<_> = [k1, c1, k2].into_iter().map(|r| r.expect("sent")).collect();
        assert_no_5xx("webhook", [&w1, &w2, &w3]);
        assert_no_5xx("merchant call", &merchant_calls);
        let applied = [&w1, &w2, &w3]
            .iter()
            .filter(|r| r.json["result"] == "APPLIED")
            .count();
        assert!(applied <= 1, "round {round}: at most one approval applies");
    }
    assert_books_balance_on_every_node(&db).await;
}
