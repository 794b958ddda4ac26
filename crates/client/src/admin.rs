//! [`AdminClient`]: the operator API of api.md §8 that a merchant integration needs in tests and
//! scripts — registering a merchant (on its settlement terms), reading and changing it,
//! activating and deactivating it, rotating its secrets (the client secret with a grace, api.md
//! §10.6), reading any payment, cancelling on a merchant's behalf (api.md §9.7) — plus raw
//! access to the rest.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use url::Url;

use crate::{
    client::{default_http, join, parse_base_url, segments_url, to_json},
    error::Error,
    merchant::{
        Merchant, MerchantUpdate, NewMerchant, RegisteredMerchant, RotatedClientSecret,
        RotatedWebhookSecret,
    },
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

    /// `GET /admin/api/merchants/{clientId}`: the merchant (`MERCHANT_NOT_FOUND` if unknown).
    pub async fn merchant(&self, client_id: &str) -> Result<Merchant, Error> {
        let url = segments_url(&self.base_url, &["admin", "api", "merchants", client_id])?;
        self.send(Method::GET, url, None).await?.into_result()
    }

    /// `PATCH /admin/api/merchants/{clientId}`: changes what `update` sets (name, return URL,
    /// settlement terms) and returns the merchant as changed.
    pub async fn update_merchant(
        &self,
        client_id: &str,
        update: &MerchantUpdate,
    ) -> Result<Merchant, Error> {
        let url = segments_url(&self.base_url, &["admin", "api", "merchants", client_id])?;
        self.send(Method::PATCH, url, Some(to_json(update)?))
            .await?
            .into_result()
    }

    /// `POST /admin/api/merchants/{clientId}/activate` or `.../deactivate`: an inactive
    /// merchant's signed requests get `CLIENT_INACTIVE`.
    pub async fn set_merchant_active(
        &self,
        client_id: &str,
        active: bool,
    ) -> Result<Merchant, Error> {
        let action = if active { "activate" } else { "deactivate" };
        let url = segments_url(
            &self.base_url,
            &["admin", "api", "merchants", client_id, action],
        )?;
        self.send(Method::POST, url, None).await?.into_result()
    }

    /// `POST /admin/api/merchants/{clientId}/rotate-webhook-secret`: a new webhook secret; for
    /// the server's grace period deliveries carry the old secret's signature too.
    pub async fn rotate_webhook_secret(
        &self,
        client_id: &str,
    ) -> Result<RotatedWebhookSecret, Error> {
        let url = segments_url(
            &self.base_url,
            &[
                "admin",
                "api",
                "merchants",
                client_id,
                "rotate-webhook-secret",
            ],
        )?;
        self.send(Method::POST, url, None).await?.into_result()
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
    use crate::merchant::RegisteredMerchant;

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
