//! What a payment costs the database in round trips (issue 19): the statements of a create and
//! of a transition stay prepared on their connection, and a connection idle past the pool's
//! alive window is checked (and replaced when dead) before it is handed out again.

use std::time::Duration;

use adapters_mysql::{
    Health, MysqlStore, Pool,
    test_util::{TestDatabase, admin_url},
};
use diesel::{QueryableByName, sql_types::BigInt};
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::{
    ids::{ClientId, Nonce},
    outbox::OutboxKind,
    payment::Origin,
    ports::{NonceRecord, StateChange, StoreHealth},
};
use store_contract::support::{Env, approve, at, message, unsaved_payment};

use crate::support::stores;

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// One number of this connection's session, read on the pool's only connection.
async fn session_number(pool: &Pool, sql: &str) -> i64 {
    let mut conn = pool.get().await.unwrap();
    let row: Number = diesel::sql_query(sql).get_result(&mut *conn).await.unwrap();
    row.n
}

/// How many statements this session has prepared so far.
async fn prepared(pool: &Pool) -> i64 {
    session_number(
        pool,
        "SELECT CAST(VARIABLE_VALUE AS SIGNED) AS n FROM information_schema.SESSION_STATUS \
         WHERE VARIABLE_NAME = 'COM_STMT_PREPARE'",
    )
    .await
}

/// A create as the merchant API makes it (payment, CREATE row, acquirer request, nonce), then
/// its approval as the acquirer's webhook makes it (CAS, APPROVE row, notification).
async fn create_and_approve(env: &Env, client: &ClientId, order_no: &str, nonce: &str) {
    let (p, audit) = unsaved_payment(client, order_no, 15_000, at(0));
    let nonce = NonceRecord {
        client: client.clone(),
        nonce: Nonce::parse(nonce).unwrap(),
        expires_at: at(600_000),
    };
    let request = message(OutboxKind::AcquirerRequest, Some(&p), at(0));
    env.payments
        .insert(&p, &audit, &[request], Some(nonce))
        .await
        .unwrap();
    let (next, audit) = p.apply(approve("tx-1"), Origin::system(), at(1)).unwrap();
    let notification = message(OutboxKind::MerchantNotification, Some(&next), at(1));
    env.payments
        .transition(&StateChange {
            next,
            expected_version: p.version,
            audit,
            events: vec![notification],
            settles: Vec::new(),
            operator_audit: None,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_second_create_and_approval_on_a_warm_connection_prepare_no_statement() {
    let db = TestDatabase::create().await;
    let pool = db.pool(1);
    let env = Env::from_stores(stores(pool.clone(), db));
    let client = env.merchant("mch_round_trips").await;
    create_and_approve(&env, &client, "order-warm-up", "nonce-warm-up-0001").await;

    let before = prepared(&pool).await;
    create_and_approve(&env, &client, "order-measured", "nonce-measured-0001").await;
    let after = prepared(&pool).await;
    let reading_alone = prepared(&pool).await - after;

    assert_eq!(
        after - before - reading_alone,
        0,
        "the create's four inserts, the CAS update and the approval's inserts are prepared once \
         per connection, not once per request"
    );
}

/// Kills the server side of the pool's only connection; its id.
async fn kill_the_connection(pool: &Pool) -> i64 {
    let id = session_number(pool, "SELECT CAST(CONNECTION_ID() AS SIGNED) AS n").await;
    let mut admin = diesel_async::AsyncMysqlConnection::establish(&admin_url())
        .await
        .unwrap();
    diesel::sql_query(format!("KILL {id}"))
        .execute(&mut admin)
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_connection_lost_while_in_use_is_replaced_at_its_next_checkout_however_soon() {
    let db = TestDatabase::create().await;
    let pool = db.pool(1);
    let health = MysqlStore::<Health>::new(pool.clone());
    kill_the_connection(&pool).await;

    let lost = health.check().await.unwrap_err();
    assert!(lost.is_unavailable(), "{lost}");

    health
        .check()
        .await
        .expect("checked out again at once, the connection was pinged, found dead and replaced");
}

#[tokio::test]
async fn a_connection_killed_while_idle_is_replaced_before_it_is_handed_out_again() {
    let db = TestDatabase::create().await;
    let pool = db.pool(1);
    let first = kill_the_connection(&pool).await;
    tokio::time::sleep(adapters_sql::pool::ALIVE_WINDOW + Duration::from_millis(200)).await;

    let second = session_number(&pool, "SELECT CAST(CONNECTION_ID() AS SIGNED) AS n").await;

    assert_ne!(
        first, second,
        "the dead connection was checked, found dead and replaced"
    );
}
