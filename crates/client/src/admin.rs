//! [`AdminClient`]: the operator API of api.md §8 that a merchant integration needs in tests and
//! scripts — registering a merchant, rotating its client secret with a grace (api.md §10.6),
//! reading any payment, cancelling on a merchant's behalf (api.md §9.7) — plus raw access to
//! the rest.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;

use crate::{
    client::{default_http, join, parse_base_url, segments_url, to_json},
    error::Error,
    payment::{CancelOutcome, CancelPayment, Payment},
    response::{Idempotent, RawResponse},
};

/// An operator's connection, authenticated by the admin bearer token. `Debug` never shows it.
#[derive(Clone, Debug)]
pub struct AdminClient {
    http: reqwest::Client,
    base_url: Url,
    token: SecretString,
}

/// The body of `POST /admin/api/merchants`: build it with [`NewMerchant::new`] and the `with_`
/// methods.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMerchant {
    pub client_name: String,
    /// Where notifications go; none means the merchant gets none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// The fee on each capture in basis points (0 to 10 000); none takes the server's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_rate_bps: Option<u16>,
    /// Days from a settlement date to its payout (0 to 30); none takes the default (2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_delay_days: Option<u8>,
}

impl NewMerchant {
    /// A merchant named `client_name`, without a `returnUrl`, on the default settlement terms.
    pub fn new(client_name: impl Into<String>) -> Self {
        Self {
            client_name: client_name.into(),
            return_url: None,
            fee_rate_bps: None,
            settlement_delay_days: None,
        }
    }

    /// Where its notifications go.
    pub fn with_return_url(mut self, return_url: impl Into<String>) -> Self {
        self.return_url = Some(return_url.into());
        self
    }

    /// Its fee on each capture, in basis points (250 is 2.5 %).
    pub fn with_fee_rate_bps(mut self, fee_rate_bps: u16) -> Self {
        self.fee_rate_bps = Some(fee_rate_bps);
        self
    }

    /// Its payout delay, in days after the settlement date.
    pub fn with_settlement_delay_days(mut self, days: u8) -> Self {
        self.settlement_delay_days = Some(days);
        self
    }
}

/// A registered merchant with the secrets shown this once. `Debug` never shows them.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredMerchant {
    pub client_id: String,
    pub client_name: String,
    pub return_url: Option<String>,
    pub status: String,
    /// Its fee on each capture, in basis points.
    pub fee_rate_bps: u16,
    /// Days from a settlement date to its payout.
    pub settlement_delay_days: u8,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Signs the merchant's requests (give it to [`Client::new`](crate::Client::new)).
    pub client_secret: SecretString,
    /// Verifies the merchant's notifications (`whsec_...`).
    pub webhook_secret: SecretString,
}

/// A client secret issued by a rotation, shown this once. `Debug` never shows it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotatedClientSecret {
    pub client_id: String,
    /// The new secret: sign with it from now on.
    pub client_secret: SecretString,
    /// Until when (exclusive) the old secret still verifies; `None` without a grace.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub previous_client_secret_valid_until: Option<OffsetDateTime>,
}

/// The body of `POST /admin/api/merchants/{clientId}/rotate-secret`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RotateSecret {
    grace_seconds: u32,
}

impl AdminClient {
    pub fn new(base_url: &str, admin_token: SecretString) -> Result<Self, Error> {
        Ok(Self {
            http: default_http()?,
            base_url: parse_base_url(base_url)?,
            token: admin_token,
        })
    }

    /// `POST /admin/api/merchants`.
    pub async fn register_merchant(
        &self,
        merchant: &NewMerchant,
    ) -> Result<RegisteredMerchant, Error> {
        self.request(
            Method::POST,
            "/admin/api/merchants",
            Some(to_json(merchant)?),
        )
        .await?
        .into_result()
    }

    /// `POST /admin/api/merchants/{clientId}/rotate-secret`: a new client secret; the old one
    /// keeps verifying signed requests for `grace_seconds` (0 to 604 800; 0: it stops at once),
    /// so the merchant's servers can switch one by one.
    pub async fn rotate_client_secret(
        &self,
        client_id: &str,
        grace_seconds: u32,
    ) -> Result<RotatedClientSecret, Error> {
        let url = segments_url(
            &self.base_url,
            &["admin", "api", "merchants", client_id, "rotate-secret"],
        )?;
        let body = to_json(&RotateSecret { grace_seconds })?;
        self.send(Method::POST, url, Some(body))
            .await?
            .into_result()
    }

    /// `GET /admin/api/payments/{paymentKey}`: any merchant's payment, with its cancels.
    pub async fn get_payment(&self, payment_key: &str) -> Result<Payment, Error> {
        let url = segments_url(&self.base_url, &["admin", "api", "payments", payment_key])?;
        self.send(Method::GET, url, None).await?.into_result()
    }

    /// `POST /admin/api/payments/{paymentKey}/cancel`: a full or partial cancel on the
    /// merchant's behalf (audit actor `ADMIN`), with the same body, rules and answers as the
    /// merchant's own [`Client::cancel`](crate::Client::cancel).
    pub async fn cancel_payment(
        &self,
        payment_key: &str,
        cancel: &CancelPayment,
    ) -> Result<CancelOutcome, Error> {
        let url = segments_url(
            &self.base_url,
            &["admin", "api", "payments", payment_key, "cancel"],
        )?;
        self.send(Method::POST, url, Some(to_json(cancel)?))
            .await?
            .into_cancel_outcome()
    }

    /// [`AdminClient::cancel_payment`] with an `Idempotency-Key` (kept with the payment's
    /// merchant's keys): a retry after a timeout gets the first answer again (`replayed`)
    /// instead of a second cancel.
    pub async fn cancel_payment_idempotent(
        &self,
        payment_key: &str,
        cancel: &CancelPayment,
        idempotency_key: &str,
    ) -> Result<Idempotent<CancelOutcome>, Error> {
        let url = segments_url(
            &self.base_url,
            &["admin", "api", "payments", payment_key, "cancel"],
        )?;
        self.send_keyed(
            Method::POST,
            url,
            Some(to_json(cancel)?),
            Some(idempotency_key),
        )
        .await?
        .into_idempotent(RawResponse::into_cancel_outcome)
    }

    /// Any admin request with the bearer token; `body` is sent as `application/json`. The answer
    /// is returned whatever its status.
    pub async fn request(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, Error> {
        self.send(method, join(&self.base_url, path_and_query)?, body)
            .await
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<RawResponse, Error> {
        self.send_keyed(method, url, body, None).await
    }

    /// [`Self::send`] with `Idempotency-Key: idempotency_key` when given.
    async fn send_keyed(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
    ) -> Result<RawResponse, Error> {
        let request = self
            .http
            .request(method, url)
            .bearer_auth(self.token.expose_secret());
        RawResponse::send_keyed(request, idempotency_key, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_merchant_sends_only_the_terms_it_sets() {
        let plain = serde_json::to_value(NewMerchant::new("Shop")).unwrap();
        assert_eq!(plain, serde_json::json!({ "clientName": "Shop" }));
        let termed = NewMerchant::new("Shop")
            .with_return_url("https://shop.example/n")
            .with_fee_rate_bps(180)
            .with_settlement_delay_days(0);
        assert_eq!(
            serde_json::to_value(termed).unwrap(),
            serde_json::json!({
                "clientName": "Shop",
                "returnUrl": "https://shop.example/n",
                "feeRateBps": 180,
                "settlementDelayDays": 0,
            })
        );
    }

    #[test]
    fn neither_the_admin_token_nor_issued_secrets_show_in_debug() {
        let admin = AdminClient::new("http://gw.example", SecretString::from("tok-123")).unwrap();
        assert!(!format!("{admin:?}").contains("tok-123"));
        let registered: RegisteredMerchant = serde_json::from_str(
            r#"{"clientId":"mch_a","clientName":"Shop","returnUrl":null,"status":"ACTIVE",
                "feeRateBps":250,"settlementDelayDays":2,"createdAt":"2026-11-24T08:00:00.000Z","updatedAt":"2026-11-24T08:00:00.000Z",
                "clientSecret":"sk_hidden","webhookSecret":"whsec_hidden"}"#,
        )
        .unwrap();
        let shown = format!("{registered:?}");
        assert!(shown.contains("mch_a"));
        assert!(
            !shown.contains("sk_hidden") && !shown.contains("whsec_hidden"),
            "{shown}"
        );
    }
}
