//! Cancels and the money they move (api.md §9): full and partial cancels by the merchant and by
//! an operator, payments brought to APPROVED or COMPLETED through the mock acquirer, and readers
//! and assertions of a payment's cancels and amounts.

use std::time::Duration;

use awc::http::Method;
use serde_json::{Value, json};

use super::{ApiResponse, Draft, Merchant, TestApp, WAIT, eventually, key_of};

/// A cancel body: `cancelReason`, and `cancelAmount` when given.
pub fn cancel_body(reason: &str, amount: Option<i64>) -> Value {
    let mut body = json!({ "cancelReason": reason });
    if let Some(amount) = amount {
        body["cancelAmount"] = json!(amount);
    }
    body
}

/// The cancels of a payment, oldest first.
#[track_caller]
pub fn cancels_of(payment: &Value) -> Vec<Value> {
    payment["cancels"]
        .as_array()
        .unwrap_or_else(|| panic!("no cancels array in {payment}"))
        .clone()
}

/// The cancel `cancel_id` of a payment.
#[track_caller]
pub fn cancel_by_id(payment: &Value, cancel_id: &str) -> Value {
    cancels_of(payment)
        .into_iter()
        .find(|c| c["cancelId"] == cancel_id)
        .unwrap_or_else(|| panic!("no cancel {cancel_id} in {payment}"))
}

/// `cancelId` of a cancel object.
#[track_caller]
pub fn cancel_id(cancel: &Value) -> String {
    cancel["cancelId"]
        .as_str()
        .unwrap_or_else(|| panic!("no cancelId in {cancel}"))
        .to_owned()
}

/// Asserts a payment's `canceledAmount` and `cancelableAmount`.
#[track_caller]
pub fn assert_amounts(payment: &Value, canceled: i64, cancelable: i64) {
    assert_eq!(
        (
            payment["canceledAmount"].as_i64(),
            payment["cancelableAmount"].as_i64()
        ),
        (Some(canceled), Some(cancelable)),
        "canceledAmount and cancelableAmount of {payment}"
    );
}

/// Asserts a payment's `status`, `canceledAmount` and `cancelableAmount`.
#[track_caller]
pub fn assert_money(payment: &Value, status: &str, canceled: i64, cancelable: i64) {
    assert_eq!(payment["status"], status, "{payment}");
    assert_amounts(payment, canceled, cancelable);
}

/// Asserts that the payment shows `count` cancels, the last one as [`assert_cancel`] checks it;
/// that cancel.
#[track_caller]
pub fn assert_last_cancel(
    payment: &Value,
    count: usize,
    amount: i64,
    reason: &str,
    status: &str,
) -> Value {
    let cancels = cancels_of(payment);
    assert_eq!(cancels.len(), count, "{payment}");
    let last = cancels[count - 1].clone();
    assert_cancel(&last, amount, reason, status);
    last
}

/// Asserts one cancel object (api.md §9.1): a `cnl_` id of 26+ characters after the prefix, the
/// amount, reason and status, `requestedAt` always, `completedAt` exactly when it ended, and an
/// acquirer reference exactly when it SUCCEEDED through the acquirer.
#[track_caller]
pub fn assert_cancel(cancel: &Value, amount: i64, reason: &str, status: &str) {
    let id = cancel["cancelId"].as_str().unwrap_or("");
    assert!(
        id.starts_with("cnl_") && id.len() >= 4 + 26,
        "cancelId {id:?}: {cancel}"
    );
    assert_eq!(cancel["amount"], amount, "{cancel}");
    assert_eq!(cancel["reason"], reason, "{cancel}");
    assert_eq!(cancel["status"], status, "{cancel}");
    let requested = super::assert_timestamp(&cancel["requestedAt"]);
    if status == "PENDING" {
        assert_eq!(cancel["completedAt"], Value::Null, "{cancel}");
        assert_eq!(cancel["acquirerTransactionId"], Value::Null, "{cancel}");
    } else {
        let completed = super::assert_timestamp(&cancel["completedAt"]);
        assert!(completed >= requested, "{cancel}");
    }
    if status == "FAILED" {
        assert!(cancel["failureCode"].is_string(), "{cancel}");
    } else {
        assert_eq!(cancel["failureCode"], Value::Null, "{cancel}");
        assert_eq!(cancel["failureMessage"], Value::Null, "{cancel}");
    }
    for key in [
        "cancelId",
        "amount",
        "reason",
        "status",
        "acquirerTransactionId",
        "failureCode",
        "failureMessage",
        "requestedAt",
        "completedAt",
    ] {
        assert!(cancel.get(key).is_some(), "{key} is present: {cancel}");
    }
}

impl TestApp {
    /// `POST /api/payments/{key}/cancel` with `cancelReason` and, when given, `cancelAmount`.
    pub async fn cancel_with_amount(
        &self,
        merchant: &Merchant,
        key: &str,
        reason: &str,
        amount: Option<i64>,
    ) -> ApiResponse {
        self.cancel_json(merchant, key, &cancel_body(reason, amount))
            .await
    }

    /// [`TestApp::cancel_with_amount`] that must answer `status` (200 done, 202 accepted); the
    /// payment it answered with.
    pub async fn cancel_answered(
        &self,
        merchant: &Merchant,
        key: &str,
        reason: &str,
        amount: Option<i64>,
        status: u16,
    ) -> Value {
        let res = self.cancel_with_amount(merchant, key, reason, amount).await;
        assert_eq!(res.status, status, "cancel for {reason:?}: {}", res.text());
        res.json
    }

    /// `POST /api/payments/{key}/cancel` with exactly this JSON body, correctly signed.
    pub async fn cancel_json(&self, merchant: &Merchant, key: &str, body: &Value) -> ApiResponse {
        self.signed(
            Method::POST,
            &format!("/api/payments/{key}/cancel"),
            Some(&body.to_string()),
            merchant,
        )
        .await
    }

    /// `POST /api/payments/{key}/cancel` of `body` with `Idempotency-Key: idempotency_key`.
    pub async fn cancel_keyed(
        &self,
        merchant: &Merchant,
        key: &str,
        body: &Value,
        idempotency_key: &str,
    ) -> ApiResponse {
        let draft = Draft::new(
            Method::POST,
            &format!("/api/payments/{key}/cancel"),
            Some(&body.to_string()),
        )
        .header("idempotency-key", idempotency_key)
        .signed_by(merchant);
        self.send(&draft).await
    }

    /// `POST /admin/api/payments/{key}/cancel` of `body` with the admin token and this
    /// `Idempotency-Key`.
    pub async fn admin_cancel_keyed(
        &self,
        key: &str,
        body: &Value,
        idempotency_key: &str,
    ) -> ApiResponse {
        let auth = format!("Bearer {}", self.admin_token);
        let draft = Draft::new(
            Method::POST,
            &format!("/admin/api/payments/{key}/cancel"),
            Some(&body.to_string()),
        )
        .header("authorization", &auth)
        .header("idempotency-key", idempotency_key);
        self.send(&draft).await
    }

    /// `POST /admin/api/payments/{key}/cancel` of `body` with the given `Authorization` header
    /// (or none).
    pub async fn admin_cancel_with(
        &self,
        key: &str,
        body: &Value,
        authorization: Option<&str>,
    ) -> ApiResponse {
        self.admin_with(
            Method::POST,
            &format!("/admin/api/payments/{key}/cancel"),
            Some(body),
            authorization,
        )
        .await
    }

    /// `POST /admin/api/payments/{key}/cancel` of `body` with the right admin token.
    pub async fn admin_cancel(&self, key: &str, body: &Value) -> ApiResponse {
        let auth = format!("Bearer {}", self.admin_token);
        self.admin_cancel_with(key, body, Some(&auth)).await
    }

    /// Creates a payment of `amount` (not ending in 001, 002 or 006) and waits until the mock
    /// acquirer has approved it; its key.
    pub async fn approved_payment(
        &self,
        merchant: &Merchant,
        order_no: &str,
        amount: i64,
    ) -> String {
        let key = key_of(&self.pay(merchant, order_no, amount).await);
        self.wait_for_status(&key, "APPROVED", WAIT).await;
        key
    }

    /// [`TestApp::approved_payment`], then completed by the merchant (200 expected); its key.
    pub async fn completed_payment(
        &self,
        merchant: &Merchant,
        order_no: &str,
        amount: i64,
    ) -> String {
        let key = self.approved_payment(merchant, order_no, amount).await;
        let res = self.complete(merchant, &key).await;
        assert_eq!(res.status, 200, "complete {order_no}: {}", res.text());
        assert_eq!(res.json["status"], "COMPLETED", "{}", res.text());
        key
    }

    /// Waits until no cancel of the payment is PENDING any more; the payment (admin view).
    pub async fn wait_until_no_cancel_pending(&self, key: &str, timeout: Duration) -> Value {
        eventually(
            &format!("every cancel of {key} to end"),
            timeout,
            || async move {
                let payment = self.admin_payment(key).await;
                if cancels_of(&payment)
                    .iter()
                    .any(|c| c["status"] == "PENDING")
                {
                    Err(payment.to_string())
                } else {
                    Ok(payment)
                }
            },
        )
        .await
    }
}
