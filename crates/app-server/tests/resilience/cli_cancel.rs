//! `simplepg cancel` against a running server: an operator's partial cancel on a merchant's
//! behalf, then one over the balance.

use adapters_mysql::test_util::TestDatabase;
use serde_json::Value;

use crate::{
    cli::simplepg,
    support::{admin_list, instance, payment_key_of_new, register, wait_until_approved},
};

/// `simplepg cancel key args…` with the test profile's admin token: whether it succeeded, the
/// answer's status line, its JSON body and the one-line outcome.
fn cancel(url: &str, key: &str, args: &[&str]) -> (bool, String, Value, String) {
    let mut all = vec!["cancel", key, "--url", url];
    all.extend_from_slice(args);
    let (ok, out) = simplepg(&all, &[("SIMPLEPG_ADMIN_TOKEN", test_support::ADMIN_TOKEN)]);
    let lines: Vec<&str> = out.lines().collect();
    let body = lines
        .get(1)
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    (
        ok,
        lines.first().copied().unwrap_or_default().to_owned(),
        body,
        lines.get(2).copied().unwrap_or_default().to_owned(),
    )
}

#[actix_web::test]
async fn an_operator_cancels_part_of_a_payment_with_the_cli_and_more_than_the_rest_is_refused() {
    let db = TestDatabase::create().await;
    let api = instance(db.url(), &[]).await;
    let merchant = register(&api, None).await;
    let key = payment_key_of_new(&api, &merchant, "cli-cancel-1", 15_000).await;
    wait_until_approved(&api, &key).await;
    let path = format!("/admin/api/payments/{key}");
    let completed = api.complete(&merchant, &key).await.unwrap();
    assert_eq!(completed.status, 200, "{}", completed.text());
    let url = api.base().to_owned();

    let (ok, status, partial, said) = cancel(
        &url,
        &key,
        &["--amount", "5000", "--reason", "one item returned"],
    );
    let (too_much_ok, too_much_status, _, too_much_said) =
        cancel(&url, &key, &["--amount", "10001", "--reason", "too much"]);

    assert!(ok, "{status} {partial} {said}");
    assert_eq!(status, "HTTP 200");
    assert_eq!(partial["status"], "PARTIAL_CANCELED");
    assert_eq!(
        (&partial["canceledAmount"], &partial["cancelableAmount"]),
        (&Value::from(5000), &Value::from(10_000))
    );
    assert_eq!(partial["cancels"][0]["reason"], "one item returned");
    assert_eq!(
        said,
        "done: the payment is PARTIAL_CANCELED; canceled 5000, still cancelable 10000"
    );
    assert!(!too_much_ok, "exit code 1 on a refusal");
    assert_eq!(too_much_status, "HTTP 409");
    assert!(too_much_said.starts_with("exceeded: "), "{too_much_said}");
    let partial_row = admin_list(&api, &format!("{path}/logs"))
        .await
        .into_iter()
        .find(|l| l["action"] == "PARTIAL_CANCEL")
        .expect("a PARTIAL_CANCEL audit row");
    assert_eq!(partial_row["actor"], "ADMIN");
}
