//! `simplepg reconcile --date` from an operator's cron job: against the database and the
//! running server's mock acquirer, exit code 1 with the discrepancies listed, 0 for a day that
//! matched, 2 when no reconciliation could be made.

use adapters_mysql::test_util::TestDatabase;
use test_support::settlement_day::seoul_date;
use test_support::{WAIT, eventually};

use crate::{
    cli::{simplepg, simplepg_exit},
    support::{admin_list, instance, payment_key_of_new, register, wait_until_approved},
};

#[actix_web::test]
async fn the_cli_reconciles_a_day_and_its_exit_code_says_whether_it_matched() {
    let db = TestDatabase::create().await;
    let api = instance(db.url(), &[]).await;
    let merchant = register(&api, None).await;
    let mut keys = Vec::new();
    for (order, amount) in [("cli-recon-1", 15_000), ("cli-recon-2", 15_011)] {
        let key = payment_key_of_new(&api, &merchant, order, amount).await;
        wait_until_approved(&api, &key).await;
        let done = api.complete(&merchant, &key).await.unwrap();
        assert_eq!(done.status, 200, "{}", done.text());
        keys.push(key);
    }
    let client = &api;
    eventually("both captures delivered to the mock", WAIT, || async move {
        let captures = admin_list(
            client,
            "/admin/api/deliveries?kind=ACQUIRER_CAPTURE&status=DELIVERED",
        )
        .await;
        (captures.len() == 2)
            .then_some(())
            .ok_or_else(|| format!("{captures:?}"))
    })
    .await;

    let env = [
        ("SIMPLEPG_PROFILE", "test"),
        ("SIMPLEPG__DATABASE__URL", db.url()),
        ("SIMPLEPG__SERVER__PUBLIC_URL", api.base()),
    ];
    let run = |date: String| {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        actix_web::rt::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (&**k, &**v)).collect();
            simplepg_exit(&["reconcile", "--date", &date], &env)
        })
    };
    let (code, out) = run(seoul_date(0)).await.unwrap();
    assert_eq!(code, Some(1), "discrepancies: {out}");
    assert!(
        out.contains(&format!(
            "AMOUNT_MISMATCH {} CAPTURE simplepg 15011 acquirer 15010",
            keys[1]
        )),
        "{out}"
    );
    assert!(
        out.contains("DISCREPANCIES 1 matched, 1 discrepancies"),
        "{out}"
    );

    let (code, out) = run(seoul_date(3)).await.unwrap();
    assert_eq!(code, Some(0), "a quiet day matches: {out}");
    assert!(out.contains("MATCHED 0 matched, 0 discrepancies"), "{out}");

    let (code, out) = run(seoul_date(-2)).await.unwrap();
    assert_eq!(code, Some(2), "a day that has not begun: {out}");
    assert!(out.contains("has not begun"), "{out}");

    let stored = admin_list(&api, "/admin/api/reconciliations").await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored.iter().all(|r| r["createdBy"] == "cli"), "{stored:?}");
    // The same binary's `simplepg` helper agrees on a bad date.
    let (ok, out) = simplepg(&["reconcile", "--date", "someday"], &env);
    assert!(!ok, "{out}");
}
