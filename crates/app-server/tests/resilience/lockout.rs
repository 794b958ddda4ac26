//! The login lock holds on every instance (api.md §10.2): failed logins spread over two
//! instances of one database, at once, are all counted, and the lock they cause refuses the
//! right password on both.

use adapters_mysql::test_util::TestDatabase;
use serde_json::json;
use test_support::Api;

use crate::support::{instance, login_as};

const PASSWORD: &str = "correct horse battery staple";

async fn login(api: &Api, password: &str) -> u16 {
    login_as(api, "ops@example.com", password).await.status
}

#[actix_web::test]
async fn failed_logins_spread_over_two_instances_at_once_are_all_counted_and_lock_on_both() {
    let db = TestDatabase::create().await;
    let (a, b) = (instance(db.url(), &[]).await, instance(db.url(), &[]).await);
    let user = json!({ "email": "ops@example.com", "role": "OPERATOR", "password": PASSWORD });
    let created = a
        .admin("POST", "/admin/api/users", Some(&user))
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.json);

    // Four wrong passwords at once, two on each instance: none may be lost to a race.
    let wrong = [&a, &b, &a, &b].map(|api| login(api, "wrong password!!"));
    let answers = futures_util::future::join_all(wrong).await;
    assert_eq!(answers, [401; 4]);
    assert_eq!(login(&b, PASSWORD).await, 200, "four failures do not lock");

    // A success resets the count; five more, split over the two, lock the account everywhere.
    let wrong = [&a, &b, &a, &b, &a].map(|api| login(api, "wrong password!!"));
    assert_eq!(futures_util::future::join_all(wrong).await, [401; 5]);
    for api in [&a, &b] {
        let res = login_as(api, "ops@example.com", PASSWORD).await;
        assert_eq!(res.status, 429, "{}", res.json);
        assert_eq!(res.json["code"], "LOGIN_LOCKED");
        assert!(res.headers.get("retry-after").is_some());
    }

    let audit = a
        .admin("GET", "/admin/api/audit?action=LOCKED", None)
        .await
        .unwrap();
    assert_eq!(audit.status, 200, "{}", audit.json);
    assert_eq!(
        audit.json["data"].as_array().map(Vec::len),
        Some(1),
        "locked once: {}",
        audit.json
    );
}
