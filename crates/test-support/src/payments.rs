//! A merchant's own calls on one payment (read it and its audit trail, complete it, cancel all
//! or part of it), the cancels a payment shows, and what the money invariant of api.md §9.2
//! makes of a burst of racing partial cancels.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{Api, Error, Merchant, Reply, wait::eventually};

impl Api {
    /// A `GET path` signed by `merchant` that must answer 200; its JSON body.
    pub async fn merchant_json(&self, merchant: &Merchant, path: &str) -> Result<Value, Error> {
        let reply = self.signed(merchant, "GET", path, None, &[]).await?;
        if reply.status != 200 {
            return Err(Error::Status {
                what: format!("GET {path}"),
                status: reply.status,
                body: reply.text(),
            });
        }
        Ok(reply.json)
    }

    /// The payment as its merchant reads it (`GET /api/payments/{key}`).
    pub async fn payment(&self, merchant: &Merchant, key: &str) -> Result<Value, Error> {
        self.merchant_json(merchant, &format!("/api/payments/{key}"))
            .await
    }

    /// The actions of the payment's audit trail as its merchant reads it, oldest first.
    pub async fn audit_actions(
        &self,
        merchant: &Merchant,
        key: &str,
    ) -> Result<Vec<String>, Error> {
        let path = format!("/api/payments/{key}/logs");
        let trail = self.merchant_json(merchant, &path).await?;
        let rows = trail["data"].as_array().ok_or_else(|| Error::Body {
            path: path.clone(),
            reason: format!("no `data` list in {trail}"),
        })?;
        Ok(rows
            .iter()
            .map(|row| row["action"].as_str().unwrap_or_default().to_owned())
            .collect())
    }

    /// `POST /api/payments/{key}/complete`, signed by `merchant`.
    pub async fn complete(&self, merchant: &Merchant, key: &str) -> Result<Reply, Error> {
        self.signed(
            merchant,
            "POST",
            &format!("/api/payments/{key}/complete"),
            None,
            &[],
        )
        .await
    }

    /// `POST /api/payments/{key}/cancel` with `cancelReason` and, when given, `cancelAmount`
    /// (all that is left when `None`), signed by `merchant`.
    pub async fn cancel(
        &self,
        merchant: &Merchant,
        key: &str,
        reason: &str,
        amount: Option<i64>,
    ) -> Result<Reply, Error> {
        let mut body = json!({ "cancelReason": reason });
        if let Some(amount) = amount {
            body["cancelAmount"] = json!(amount);
        }
        self.signed(
            merchant,
            "POST",
            &format!("/api/payments/{key}/cancel"),
            Some(&body.to_string()),
            &[],
        )
        .await
    }
}

/// The cancels of a payment (none when it shows no `cancels`).
pub fn cancels(payment: &Value) -> Vec<Value> {
    payment["cancels"].as_array().cloned().unwrap_or_default()
}

/// Waits until no cancel of the payment is PENDING, reading it through `api`; the payment.
///
/// # Panics
/// When `within` passes with a cancel still PENDING, or the payment cannot be read.
pub async fn settled_payment(api: &Api, merchant: &Merchant, key: &str, within: Duration) -> Value {
    eventually(
        &format!("the cancels of {key} to end"),
        within,
        || async move {
            let p = api
                .payment(merchant, key)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if cancels(&p).iter().any(|c| c["status"] == "PENDING") {
                Err(p.to_string())
            } else {
                Ok(p)
            }
        },
    )
    .await
}

/// The answers to partial cancels of `amounts` sent at once, sorted as the money invariant
/// allows (api.md §9.2): the amounts taken (200 or 202) and those refused with 409
/// `CANCEL_AMOUNT_EXCEEDED`.
///
/// # Panics
/// On any other answer.
pub fn taken_and_refused(replies: &[Reply], amounts: &[i64]) -> (Vec<i64>, Vec<i64>) {
    let mut taken = Vec::new();
    let mut refused = Vec::new();
    for (reply, &amount) in replies.iter().zip(amounts) {
        match reply.status {
            200 | 202 => taken.push(amount),
            409 if reply.json["code"] == "CANCEL_AMOUNT_EXCEEDED" => refused.push(amount),
            _ => panic!("cancel of {amount}: {} {}", reply.status, reply.text()),
        }
    }
    (taken, refused)
}
