//! The races of the single-server resilience suite, with the two instances on two different
//! Galera nodes: a conflict is now a certification failure at commit, and none may become a 5xx,
//! a lost transition or a doubled one.

use futures_util::future::join_all;
use test_support::{Api, Merchant, Reply};

use crate::support::{
    acquirer_webhook, approval, approved_payment, assert_books_balance_on_every_node,
    assert_no_5xx, audit_actions, completed_payment, instance_on, merchant_action, payment,
    ready_payment, two_nodes,
};

#[actix_web::test]
async fn twenty_identical_acquirer_webhooks_split_over_two_nodes_apply_exactly_once_with_no_5xx() {
    let (db, a, b, m) = two_nodes().await;
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
        let counts = (
            count_results(&replies, "APPLIED"),
            count_results(&replies, "DUPLICATE"),
        );
        assert_eq!(counts, (1, 19), "round {round}");
        assert_in_audit_trail_once(&b, &m, &key, "APPROVE").await;
    }
    assert_books_balance_on_every_node(&db).await;
}

#[actix_web::test]
async fn twenty_concurrent_completes_split_over_two_nodes_complete_once_and_refuse_the_rest_with_409()
 {
    let (db, a, b, m) = two_nodes().await;
    for round in 0..3 {
        let key = approved_payment(&a, &m, &format!("complete-{round}")).await;
        let replies: Vec<_> = join_all((0..20).map(|i| {
            let target = if i % 2 == 0 { &a } else { &b };
            merchant_action(target, &m, &key, "complete")
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
        assert_in_audit_trail_once(&a, &m, &key, "COMPLETE").await;
    }
    assert_books_balance_on_every_node(&db).await;
}

#[actix_web::test]
async fn a_payment_created_through_one_node_is_canceled_at_once_through_another_every_time() {
    let (db, a, b, m) = two_nodes().await;
    for round in 0..25 {
        // The create's acquirer request is dispatched from node 1 while the cancel writes
        // through node 2: the two collide in certification, never in a 5xx or a 404.
        let key = ready_payment(&a, &m, &format!("create-cancel-{round}")).await;
        assert_canceled_by(&b, &m, &key, round).await;
    }
    assert_books_balance_on_every_node(&db).await;
}

#[actix_web::test]
async fn cancels_of_completed_payments_through_the_other_node_agree_with_the_acquirer() {
    let (db, a, b, m) = two_nodes().await;
    for round in 0..10 {
        let key = completed_payment(&a, &m, &format!("completed-{round}")).await;
        // The acquirer cancels synchronously, then the commit may meet the merchant
        // notification's delivery writing on node 1: it must be decided again, not lost.
        assert_canceled_by(&b, &m, &key, round).await;
        assert_eq!(payment(&a, &m, &key).await["status"], "CANCELED");
    }
    assert_books_balance_on_every_node(&db).await;
}

#[actix_web::test]
async fn webhooks_completes_and_cancels_racing_on_three_nodes_leave_only_legal_histories() {
    let (db, a, b, m) = two_nodes().await;
    let c = instance_on(&db, 3, &[]).await;
    for round in 0..6 {
        let key = ready_payment(&a, &m, &format!("race-{round}")).await;
        let approve = approval(&key, &format!("tx-race-{round}"));
        let ids = [
            format!("wh-a-{round}"),
            format!("wh-b-{round}"),
            format!("wh-c-{round}"),
        ];
        let (w1, w2, w3, k1, c1, k2) = futures_util::join!(
            acquirer_webhook(&a, &ids[0], &approve),
            acquirer_webhook(&b, &ids[1], &approve),
            acquirer_webhook(&c, &ids[2], &approve),
            merchant_action(&c, &m, &key, "complete"),
            merchant_action(&b, &m, &key, "cancel"),
            merchant_action(&a, &m, &key, "complete"),
        );
        assert_no_5xx("webhook", [&w1, &w2, &w3]);
        assert_no_5xx("merchant call", [&k1, &c1, &k2]);
        let applied = count_results([&w1, &w2, &w3], "APPLIED");
        assert!(applied <= 1, "round {round}: at most one approval applies");
    }
    assert_books_balance_on_every_node(&db).await;
}

/// A cancel through `api` that must succeed: 200 and the payment CANCELED.
async fn assert_canceled_by(api: &Api, m: &Merchant, key: &str, round: usize) {
    let reply = merchant_action(api, m, key, "cancel").await;
    assert_eq!(reply.status, 200, "round {round}: {}", reply.text());
    assert_eq!(reply.json["status"], "CANCELED", "round {round}");
}

/// How many of the webhook `replies` say `result`.
fn count_results<'a>(replies: impl IntoIterator<Item = &'a Reply>, result: &str) -> usize {
    replies
        .into_iter()
        .filter(|r| r.json["result"] == result)
        .count()
}

/// The payment's audit trail, read through `api`, holds `action` exactly once.
async fn assert_in_audit_trail_once(api: &Api, m: &Merchant, key: &str, action: &str) {
    let actions = audit_actions(api, m, key).await;
    let times = actions.iter().filter(|a| *a == action).count();
    assert_eq!(times, 1, "{action} in {actions:?}");
}

#[actix_web::test]
async fn concurrent_removals_of_every_admin_through_two_nodes_always_leave_one_with_no_5xx() {
    let (db, a, b, _) = two_nodes().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let body = serde_json::json!({
            "email": format!("admin{i}@pg.example"),
            "role": "ADMIN",
            "password": "a long enough password",
        });
        let created = a
            .admin("POST", "/admin/api/users", Some(&body))
            .await
            .unwrap();
        assert_eq!(created.status, 201, "{}", created.text());
        ids.push(created.json["userId"].as_str().unwrap().to_owned());
    }

    let disable = serde_json::json!({ "disabled": true });
    let replies = join_all(ids.iter().enumerate().map(|(i, id)| {
        let (target, disable) = (if i % 2 == 0 { &a } else { &b }, &disable);
        async move {
            let path = format!("/admin/api/users/{id}");
            target.admin("PATCH", &path, Some(disable)).await.unwrap()
        }
    }))
    .await;

    assert_no_5xx("user change", &replies);
    let refused: Vec<&str> = replies
        .iter()
        .filter(|r| r.status != 200)
        .map(|r| r.json["code"].as_str().unwrap_or_default())
        .collect();
    assert!(
        refused
            .iter()
            .all(|c| ["LAST_ADMIN", "CONCURRENT_UPDATE"].contains(c)),
        "{refused:?}"
    );
    let listed = b
        .admin("GET", "/admin/api/users?limit=100", None)
        .await
        .unwrap();
    let enabled_admins = listed.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] == "ADMIN" && u["disabled"] == false)
        .count();
    // Each refused removal (the last admin's, or one given up on after losing every race) left
    // its admin enabled, and every other went through: never none left.
    assert!(!refused.is_empty(), "one admin at least must stay");
    assert_eq!(
        enabled_admins,
        refused.len(),
        "{refused:?}: {}",
        listed.text()
    );
    assert_books_balance_on_every_node(&db).await;
}
