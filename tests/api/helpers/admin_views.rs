//! Any payment, its audit trail and its deliveries, as the operator sees them (admin API), and
//! acquirer webhooks.

use std::time::Duration;

use awc::http::Method;
use serde_json::Value;

use super::{ADMIN_TOKEN, ApiResponse, TestApp, WAIT, eventually};

impl TestApp {
    /// `{method} /admin/api/merchants/{client_id}{suffix}` with the admin token; `suffix` is ""
    /// or an action such as "/rotate-secret", "/deactivate" or "/activate".
    pub async fn merchant_admin(
        &self,
        method: Method,
        client_id: &str,
        suffix: &str,
    ) -> ApiResponse {
        let path = format!("/admin/api/merchants/{client_id}{suffix}");
        self.admin(method, &path, None).await
    }

    /// Any merchant's payment, through the admin API.
    pub async fn admin_payment(&self, key: &str) -> Value {
        let res = self.admin_get(&format!("/admin/api/payments/{key}")).await;
        assert_eq!(res.status, 200, "payment {key}: {}", res.text());
        res.json
    }

    /// `data` of an admin listing (200 expected).
    pub async fn admin_data(&self, path: &str) -> Vec<Value> {
        let res = self.admin_get(path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        res.json["data"].as_array().cloned().unwrap_or_default()
    }

    /// The audit trail of any payment, through the admin API, oldest first.
    pub async fn admin_logs(&self, key: &str) -> Vec<Value> {
        self.admin_data(&format!("/admin/api/payments/{key}/logs"))
            .await
    }

    /// Waits until the payment has `status` and returns it.
    pub async fn wait_for_status(&self, key: &str, status: &str, timeout: Duration) -> Value {
        eventually(
            &format!("payment {key} to be {status}"),
            timeout,
            || async move {
                let p = self.admin_payment(key).await;
                if p["status"] == status {
                    Ok(p)
                } else {
                    Err(format!("status {}", p["status"]))
                }
            },
        )
        .await
    }

    /// `GET /admin/api/deliveries?{query}`: the deliveries, newest first.
    pub async fn deliveries(&self, query: &str) -> Vec<Value> {
        self.admin_data(&format!("/admin/api/deliveries?{query}"))
            .await
    }

    /// The deliveries of one kind for one payment, oldest first.
    pub async fn deliveries_of(&self, key: &str, kind: &str) -> Vec<Value> {
        let mut list = self
            .deliveries(&format!("paymentKey={key}&kind={kind}&limit=100"))
            .await;
        list.reverse();
        list
    }

    /// Waits until exactly one delivery of `kind` for the payment exists and `accept` holds for
    /// it; returns it.
    pub async fn wait_for_delivery(
        &self,
        key: &str,
        kind: &str,
        what: &str,
        accept: impl Fn(&Value) -> bool,
    ) -> Value {
        let accept = &accept;
        eventually(
            &format!("the {kind} delivery of {key}: {what}"),
            WAIT,
            || async move {
                let list = self.deliveries_of(key, kind).await;
                match list.as_slice() {
                    [one] if accept(one) => Ok(one.clone()),
                    _ => Err(Value::Array(list).to_string()),
                }
            },
        )
        .await
    }

    /// Waits until exactly one delivery of `kind` for the payment exists and it is DELIVERED;
    /// returns it.
    pub async fn wait_until_delivered(&self, key: &str, kind: &str) -> Value {
        self.wait_for_delivery(key, kind, "DELIVERED", |d| d["status"] == "DELIVERED")
            .await
    }

    /// POSTs a Standard-Webhooks-signed acquirer webhook (fresh id, current time) with this body.
    pub async fn acquirer_webhook(&self, body: &Value) -> ApiResponse {
        self.post_signed_by_acquirer("/api/webhook/payment", body.to_string().into_bytes())
            .await
    }

    /// The acquirer's webhook approving `key` of `amount` as transaction `stub-tx-1` (what the
    /// tests' stub acquirers answer a payment request with).
    pub async fn approve_as_stub(&self, key: &str, amount: i64) -> ApiResponse {
        self.acquirer_webhook(&serde_json::json!({
            "paymentKey": key, "transactionId": "stub-tx-1", "status": "APPROVED",
            "amount": amount, "approvedAt": "2026-11-24T08:00:05.120Z",
            "failureCode": null, "failureMessage": null,
        }))
        .await
    }

    /// POSTs exactly `body` as JSON to `path`, signed the Standard Webhooks way with the
    /// acquirer's secret (fresh id, current time): an acquirer webhook or a mock acquirer request.
    pub async fn post_signed_by_acquirer(&self, path: &str, body: Vec<u8>) -> ApiResponse {
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let now = crate::standard_webhooks::now_secs();
        let sig = crate::standard_webhooks::sign(
            crate::standard_webhooks::ACQUIRER_SECRET,
            &id,
            now,
            &body,
        );
        let ts = now.to_string();
        let headers = [
            ("content-type", "application/json"),
            ("webhook-id", id.as_str()),
            ("webhook-timestamp", ts.as_str()),
            ("webhook-signature", sig.as_str()),
        ];
        self.raw(Method::POST, path, &headers, Some(body)).await
    }

    /// `POST /admin/api/merchants` with the admin token and exactly this content type and body.
    pub async fn register_with_content_type(&self, content_type: &str, body: &[u8]) -> ApiResponse {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let headers = [
            ("authorization", auth.as_str()),
            ("content-type", content_type),
        ];
        self.raw(
            Method::POST,
            "/admin/api/merchants",
            &headers,
            Some(body.to_vec()),
        )
        .await
    }

    /// POSTs to `/api/webhook/payment` with exactly these headers (plus the JSON content type).
    pub async fn webhook_with(&self, headers: &[(&str, &str)], body: Vec<u8>) -> ApiResponse {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.raw(Method::POST, "/api/webhook/payment", &all, Some(body))
            .await
    }
}
