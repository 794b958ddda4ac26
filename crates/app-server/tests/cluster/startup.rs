//! Two instances on two nodes, started at the same moment on an empty database.

use crate::support::{ClusterDb, assert_books_balance_on_every_node, instance_on, merchant};

#[actix_web::test]
async fn two_instances_started_at_once_on_an_empty_database_through_two_nodes_both_come_up() {
    let db = ClusterDb::create().await;
    // Both migrate on start; the migration lease serialises them across the nodes.
    let (a, b) = futures_util::join!(instance_on(&db, 1, &[]), instance_on(&db, 2, &[]));

    for (name, instance) in [("A", &a), ("B", &b)] {
        let ready = instance.get("/ready").await.expect("ready sent");
        assert_eq!(ready.status, 200, "instance {name}: {}", ready.text());
    }
    let m = merchant(&b).await;
    let created = a
        .create_payment(&m, "after-concurrent-start", 10_000)
        .await
        .expect("create sent");
    assert_eq!(created.status, 201, "{}", created.text());
    assert_books_balance_on_every_node(&db).await;
}
