//! The client crate's [`AdminClient`] managing a merchant against the real server: read it,
//! change it (name, return URL, settlement terms), deactivate and activate it, rotate its
//! webhook secret — typed answers and typed errors.

use simplepg_client::{
    AdminClient, CreatePayment, ErrorCode, Merchant, MerchantUpdate, MethodCode, NewMerchant,
    SettlementTerms, secrecy::ExposeSecret,
};
use time::{Duration, OffsetDateTime};

use crate::helpers::spawn_app;

async fn registered(admin: &AdminClient, name: &str) -> (String, String) {
    let merchant = admin
        .register_merchant(&NewMerchant::new(name).with_return_url("https://shop.example/n"))
        .await
        .unwrap();
    (
        merchant.merchant.client_id,
        merchant.client_secret.expose_secret().to_owned(),
    )
}

#[actix_web::test]
async fn the_typed_merchant_carries_every_field_the_server_sends() {
    let app = spawn_app().await;
    let admin = app.admin_client();
    let (client_id, _) = registered(&admin, "Fields Shop").await;

    let typed = admin.merchant(&client_id).await.unwrap();
    let raw = app
        .admin(
            awc::http::Method::GET,
            &format!("/admin/api/merchants/{client_id}"),
            None,
        )
        .await;

    let mut sent: Vec<String> = raw.json.as_object().unwrap().keys().cloned().collect();
    let mut kept: Vec<String> = serde_json::to_value(&typed)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    sent.sort();
    kept.sort();
    assert_eq!(kept, sent, "no field dropped or invented");
    assert_eq!(
        serde_json::from_value::<Merchant>(raw.json.clone()).unwrap(),
        typed
    );
}

#[actix_web::test]
async fn an_operator_changes_a_merchants_name_url_and_terms_and_only_those() {
    let app = spawn_app().await;
    let admin = app.admin_client();
    let (client_id, _) = registered(&admin, "Before Shop").await;
    let before = admin.merchant(&client_id).await.unwrap();

    let terms = admin
        .update_merchant(
            &client_id,
            &MerchantUpdate::default().with_terms(
                SettlementTerms::default()
                    .with_fee_rate_bps(310)
                    .with_settlement_delay_days(5),
            ),
        )
        .await
        .unwrap();
    let renamed = admin
        .update_merchant(
            &client_id,
            &MerchantUpdate::default()
                .with_client_name("After Shop")
                .clear_return_url(),
        )
        .await
        .unwrap();
    let refused = admin
        .update_merchant(
            &client_id,
            &MerchantUpdate::default()
                .with_terms(SettlementTerms::default().with_settlement_delay_days(31)),
        )
        .await
        .unwrap_err();
    let unknown = admin
        .merchant("mch_00000000000000000000000000000000")
        .await
        .unwrap_err();

    assert_eq!((terms.fee_rate_bps, terms.settlement_delay_days), (310, 5));
    assert_eq!(
        terms.client_name, "Before Shop",
        "a PATCH changes only what it names"
    );
    assert_eq!(terms.return_url, before.return_url);
    assert_eq!(renamed.client_name, "After Shop");
    assert_eq!(renamed.return_url, None, "returnUrl: null clears it");
    assert_eq!(
        (renamed.fee_rate_bps, renamed.settlement_delay_days),
        (310, 5)
    );
    assert!(renamed.updated_at >= before.updated_at);
    assert_eq!(refused.code(), Some(&ErrorCode::ValidationFailed));
    assert_eq!(
        refused.problem().unwrap().errors[0].field,
        "settlementDelayDays"
    );
    assert_eq!(
        admin.merchant(&client_id).await.unwrap(),
        renamed,
        "a refusal changes nothing"
    );
    assert_eq!(unknown.code(), Some(&ErrorCode::MerchantNotFound));
}

#[actix_web::test]
async fn a_deactivated_merchant_is_refused_until_it_is_activated_again() {
    let app = spawn_app().await;
    let admin = app.admin_client();
    let (client_id, secret) = registered(&admin, "Paused Shop").await;
    let client = simplepg_client::Client::new(
        &app.base_url,
        client_id.as_str(),
        simplepg_client::SecretString::from(secret),
    )
    .unwrap();
    let order = |n: &str| CreatePayment::new(n, 15_000, MethodCode::Card);

    let paused = admin.set_merchant_active(&client_id, false).await.unwrap();
    let while_paused = client.create_payment(&order("PAUSED-1")).await.unwrap_err();
    let resumed = admin.set_merchant_active(&client_id, true).await.unwrap();
    let after = client.create_payment(&order("PAUSED-2")).await;

    assert_eq!(paused.status, "INACTIVE");
    assert_eq!(while_paused.code(), Some(&ErrorCode::ClientInactive));
    assert_eq!(resumed.status, "ACTIVE");
    assert!(after.is_ok(), "{after:?}");
}

#[actix_web::test]
async fn a_rotated_webhook_secret_is_shown_once_with_the_old_ones_grace() {
    let app = spawn_app().await;
    let admin = app.admin_client();
    let (client_id, _) = registered(&admin, "Rotating Shop").await;
    let asked = OffsetDateTime::now_utc();

    let rotated = admin.rotate_webhook_secret(&client_id).await.unwrap();

    assert_eq!(rotated.client_id, client_id);
    assert!(rotated.webhook_secret.expose_secret().starts_with("whsec_"));
    assert!(!format!("{rotated:?}").contains(rotated.webhook_secret.expose_secret()));
    let until = rotated
        .previous_webhook_secret_valid_until
        .expect("the old secret's grace");
    let grace = until - asked;
    assert!(
        grace > Duration::hours(23) && grace <= Duration::hours(24) + Duration::minutes(1),
        "{grace}"
    );
}
