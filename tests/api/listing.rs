//! `GET /api/payments` (api.md §3.3): newest first, cursor pagination, filters, and refusal of
//! bad parameters.

use std::time::Duration;

use crate::helpers::{
    Merchant, TestApp, assert_invalid_field, assert_problem, assert_timestamp, rfc3339,
    spawn_app_with_merchant, spawn_app_with_two_merchants,
};

/// Creates `n` READY payments `ORDER-1..=n`, a few milliseconds apart, and returns their keys
/// oldest first.
async fn create_payments(app: &TestApp, merchant: &Merchant, n: usize) -> Vec<String> {
    let mut keys = Vec::new();
    for i in 1..=n {
        let p = app.ready_payment(merchant, &format!("ORDER-{i}")).await;
        keys.push(p.payment_key);
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    keys
}

#[track_caller]
fn page(res: &crate::helpers::ApiResponse) -> (Vec<String>, bool) {
    assert_eq!(res.status, 200, "{}", res.text());
    let has_more = res.json["hasMore"]
        .as_bool()
        .unwrap_or_else(|| panic!("hasMore is a boolean: {}", res.text()));
    (res.keys(), has_more)
}

/// Each listing with `name` set to one of `values` is refused with 400 naming `name`.
async fn assert_parameter_refused(
    app: &TestApp,
    merchant: &Merchant,
    name: &str,
    values: &[impl std::fmt::Display],
) {
    for value in values {
        let res = app
            .list_payments(merchant, &format!("{name}={value}"))
            .await;
        assert_invalid_field(&res, name);
    }
}

#[actix_web::test]
async fn payments_are_listed_newest_first_in_pages_of_limit() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let keys = create_payments(&app, &merchant, 5).await;
    let newest_first: Vec<String> = keys.iter().rev().cloned().collect();

    let (all, more) = page(&app.list_payments(&merchant, "").await);
    assert_eq!(
        all, newest_first,
        "default limit 20 holds all 5, newest first"
    );
    assert!(!more);

    let (first, more) = page(&app.list_payments(&merchant, "limit=2").await);
    assert_eq!(first, newest_first[0..2]);
    assert!(more);
    let (second, more) = page(
        &app.list_payments(&merchant, &format!("limit=2&startingAfter={}", first[1]))
            .await,
    );
    assert_eq!(second, newest_first[2..4]);
    assert!(more);
    let (third, more) = page(
        &app.list_payments(&merchant, &format!("startingAfter={}&limit=2", second[1]))
            .await,
    );
    assert_eq!(third, newest_first[4..5]);
    assert!(!more);
    let (after_last, more) = page(
        &app.list_payments(&merchant, &format!("startingAfter={}", third[0]))
            .await,
    );
    assert!(after_last.is_empty());
    assert!(!more);
}

#[actix_web::test]
async fn has_more_is_false_when_the_page_ends_exactly_at_the_last_payment() {
    let (app, merchant) = spawn_app_with_merchant().await;
    create_payments(&app, &merchant, 5).await;

    let (exactly, more) = page(&app.list_payments(&merchant, "limit=5").await);
    assert_eq!(exactly.len(), 5);
    assert!(!more, "nothing after the 5th");

    let (four, more) = page(&app.list_payments(&merchant, "limit=4").await);
    assert_eq!(four.len(), 4);
    assert!(more);

    let (one, more) = page(&app.list_payments(&merchant, "limit=1").await);
    assert_eq!(one.len(), 1);
    assert!(more);
    let (hundred, more) = page(&app.list_payments(&merchant, "limit=100").await);
    assert_eq!(hundred.len(), 5);
    assert!(!more);
}

#[actix_web::test]
async fn a_merchant_lists_only_its_own_payments() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    let a_keys = create_payments(&app, &a, 2).await;
    let b_payment = app.ready_payment(&b, "ORDER-1").await;

    let (listed, _) = page(&app.list_payments(&a, "").await);
    assert_eq!(listed, a_keys.iter().rev().cloned().collect::<Vec<_>>());
    let (listed, _) = page(&app.list_payments(&b, "orderNo=ORDER-1").await);
    assert_eq!(listed, vec![b_payment.payment_key]);
}

#[actix_web::test]
async fn payments_are_filtered_by_status_order_no_and_creation_time() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let keys = create_payments(&app, &merchant, 5).await;
    for key in [&keys[1], &keys[3]] {
        let res = app.cancel(&merchant, key, "filter test").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }

    let (canceled, _) = page(&app.list_payments(&merchant, "status=CANCELED").await);
    assert_eq!(canceled, vec![keys[3].clone(), keys[1].clone()]);
    let (ready, _) = page(&app.list_payments(&merchant, "status=READY").await);
    assert_eq!(
        ready,
        vec![keys[4].clone(), keys[2].clone(), keys[0].clone()]
    );
    let (approved, more) = page(&app.list_payments(&merchant, "status=APPROVED").await);
    assert!(approved.is_empty());
    assert!(!more);

    let (by_order, _) = page(&app.list_payments(&merchant, "orderNo=ORDER-3").await);
    assert_eq!(by_order, vec![keys[2].clone()]);
    let (none, _) = page(&app.list_payments(&merchant, "orderNo=ORDER-99").await);
    assert!(none.is_empty());
    let (combined, _) = page(
        &app.list_payments(&merchant, "status=CANCELED&orderNo=ORDER-3")
            .await,
    );
    assert!(combined.is_empty());

    // Bounds halfway between creation times, so inclusive or exclusive makes no difference.
    let created: Vec<_> = {
        let all = app.all_payments(&merchant).await;
        keys.iter()
            .map(|k| all.iter().find(|p| &p.payment_key == k).unwrap().created_at)
            .collect()
    };
    let between = |i: usize| {
        let gap = created[i + 1] - created[i];
        assert!(
            gap >= time::Duration::milliseconds(2),
            "payments {i} and {} are {gap} apart",
            i + 1
        );
        rfc3339(created[i] + gap / 2)
    };
    let (from, _) = page(
        &app.list_payments(&merchant, &format!("createdFrom={}", between(1)))
            .await,
    );
    assert_eq!(
        from,
        vec![keys[4].clone(), keys[3].clone(), keys[2].clone()]
    );
    let (to, _) = page(
        &app.list_payments(&merchant, &format!("createdTo={}", between(1)))
            .await,
    );
    assert_eq!(to, vec![keys[1].clone(), keys[0].clone()]);
    let (window, _) = page(
        &app.list_payments(
            &merchant,
            &format!("createdFrom={}&createdTo={}", between(0), between(3)),
        )
        .await,
    );
    assert_eq!(
        window,
        vec![keys[3].clone(), keys[2].clone(), keys[1].clone()]
    );
    let (window_ready, _) = page(
        &app.list_payments(
            &merchant,
            &format!(
                "createdFrom={}&createdTo={}&status=READY&limit=1",
                between(0),
                between(3)
            ),
        )
        .await,
    );
    assert_eq!(window_ready, vec![keys[2].clone()]);
}

#[actix_web::test]
async fn an_invalid_limit_gives_400_naming_limit() {
    let (app, merchant) = spawn_app_with_merchant().await;

    let limits = ["0", "101", "x", "-1", "", "1.5", "99999999999999999999"];
    assert_parameter_refused(&app, &merchant, "limit", &limits).await;
}

#[actix_web::test]
async fn an_unknown_starting_after_gives_400_naming_starting_after() {
    let (app, a, b) = spawn_app_with_two_merchants().await;
    app.ready_payment(&a, "ORDER-1").await;
    let foreign = app.ready_payment(&b, "ORDER-1").await;

    let cursors = ["f".repeat(64), foreign.payment_key, "not-a-key".to_owned()];
    assert_parameter_refused(&app, &a, "startingAfter", &cursors).await;
}

#[actix_web::test]
async fn invalid_filters_give_400_naming_the_filter() {
    let (app, merchant) = spawn_app_with_merchant().await;

    for (query, field) in [
        ("status=PAID", "status"),
        ("status=ready", "status"),
        ("createdFrom=yesterday", "createdFrom"),
        ("createdTo=2026-13-01T00:00:00Z", "createdTo"),
        ("orderNo=has%20space", "orderNo"),
        ("limt=5", "limt"),
        ("status=READY&status=CANCELED", "status"),
        (
            "createdFrom=2026-02-01T00:00:00Z&createdTo=2026-01-01T00:00:00Z",
            "createdFrom",
        ),
    ] {
        let res = app.list_payments(&merchant, query).await;
        assert_invalid_field(&res, field);
    }
}

#[actix_web::test]
async fn a_listing_request_with_a_bad_signature_is_refused_before_its_query_is_read() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let mut stranger = merchant.clone();
    stranger.client_secret = "sk_wrong".into();

    let res = app.list_payments(&stranger, "limit=0").await;

    assert_problem(&res, 401, "INVALID_SIGNATURE");
}

/// docs/api.md: `createdFrom` is inclusive, `createdTo` exclusive (millisecond timestamps).
#[actix_web::test]
async fn created_from_is_inclusive_and_created_to_exclusive() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let keys = create_payments(&app, &merchant, 3).await;
    let middle = app.get_payment(&merchant, &keys[1]).await;
    let at = middle.json["createdAt"].as_str().unwrap().to_owned();

    let (from, _) = page(
        &app.list_payments(&merchant, &format!("createdFrom={at}"))
            .await,
    );
    let (to, _) = page(
        &app.list_payments(&merchant, &format!("createdTo={at}"))
            .await,
    );
    let (both, _) = page(
        &app.list_payments(&merchant, &format!("createdFrom={at}&createdTo={at}"))
            .await,
    );

    assert_eq!(from, vec![keys[2].clone(), keys[1].clone()]);
    assert_eq!(to, vec![keys[0].clone()]);
    assert!(both.is_empty());
}

/// A bound with another offset means the same instant.
#[actix_web::test]
async fn creation_bounds_with_an_offset_are_converted_to_utc() {
    let (app, merchant) = spawn_app_with_merchant().await;
    let keys = create_payments(&app, &merchant, 2).await;
    let second = app.get_payment(&merchant, &keys[1]).await;
    let at = assert_timestamp(&second.json["createdAt"]);
    let in_seoul = at.to_offset(time::macros::offset!(+9));
    let query = format!("createdFrom={}", rfc3339(in_seoul).replace('+', "%2B"));
    // The `+` sent as it is: form decoding makes it a space, read back as the `+` it was.
    let raw_plus = format!("createdFrom={}", rfc3339(in_seoul));
    assert!(raw_plus.contains('+'), "{raw_plus}");

    let (from, _) = page(&app.list_payments(&merchant, &query).await);
    let (from_raw, _) = page(&app.list_payments(&merchant, &raw_plus).await);

    assert_eq!(from, vec![keys[1].clone()]);
    assert_eq!(from_raw, from);
}
