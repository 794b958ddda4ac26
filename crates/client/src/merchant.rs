//! The merchant bodies of the admin API (api.md §8, §10.6 and the settlement terms): what
//! [`AdminClient`](crate::AdminClient) sends and gets back. Secrets are [`SecretString`]s, so
//! `Debug` never shows them.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The body of `POST /admin/api/merchants`: build it with [`NewMerchant::new`] and the `with_`
/// methods.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewMerchant {
    pub client_name: String,
    /// Where notifications go; none means the merchant gets none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Its settlement terms; what is not set takes the server's default.
    #[serde(flatten)]
    pub terms: SettlementTerms,
}

/// A merchant's settlement terms, as a registration or an update sets them: only what is set is
/// sent (an ADMIN's only; a MERCHANT_ADMIN naming either gets `FORBIDDEN`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementTerms {
    /// The fee on each capture in basis points (0 to 10 000; 250 is 2.5 %). At registration,
    /// none takes the server's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_rate_bps: Option<u16>,
    /// Days from a settlement date to its payout (0 to 30). At registration, none is 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement_delay_days: Option<u8>,
}

impl SettlementTerms {
    /// This fee rate, in basis points.
    pub fn with_fee_rate_bps(mut self, fee_rate_bps: u16) -> Self {
        self.fee_rate_bps = Some(fee_rate_bps);
        self
    }

    /// This payout delay, in days after the settlement date.
    pub fn with_settlement_delay_days(mut self, days: u8) -> Self {
        self.settlement_delay_days = Some(days);
        self
    }
}

impl NewMerchant {
    /// A merchant named `client_name`, without a `returnUrl`, on the default settlement terms.
    pub fn new(client_name: impl Into<String>) -> Self {
        Self {
            client_name: client_name.into(),
            return_url: None,
            terms: SettlementTerms::default(),
        }
    }

    /// Where its notifications go.
    pub fn with_return_url(mut self, return_url: impl Into<String>) -> Self {
        self.return_url = Some(return_url.into());
        self
    }

    /// Its settlement terms.
    pub fn with_terms(mut self, terms: SettlementTerms) -> Self {
        self.terms = terms;
        self
    }
}

/// A registered merchant with the secrets shown this once. `Debug` never shows them.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredMerchant {
    /// The merchant as registered.
    #[serde(flatten)]
    pub merchant: Merchant,
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

/// A merchant as the admin API shows it: never a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    pub client_id: String,
    pub client_name: String,
    pub return_url: Option<String>,
    /// `ACTIVE` or `INACTIVE` (an inactive merchant's signed requests get `CLIENT_INACTIVE`).
    pub status: String,
    /// Its fee on each capture, in basis points.
    pub fee_rate_bps: u16,
    /// Days from a settlement date to its payout.
    pub settlement_delay_days: u8,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The body of `PATCH /admin/api/merchants/{clientId}`: only what is set is sent, so the rest
/// stays as it is. Build it with [`MerchantUpdate::default`] and the `with_`/`clear_` methods.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// `Some(None)` clears the URL (`returnUrl: null`: no more notifications).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<Option<String>>,
    /// New settlement terms, for the days settled from now on.
    #[serde(flatten)]
    pub terms: SettlementTerms,
}

impl MerchantUpdate {
    /// A new name (1 to 100 characters).
    pub fn with_client_name(mut self, client_name: impl Into<String>) -> Self {
        self.client_name = Some(client_name.into());
        self
    }

    /// A new notification URL.
    pub fn with_return_url(mut self, return_url: impl Into<String>) -> Self {
        self.return_url = Some(Some(return_url.into()));
        self
    }

    /// No notification URL any more: the merchant gets no notifications.
    pub fn clear_return_url(mut self) -> Self {
        self.return_url = Some(None);
        self
    }

    /// New settlement terms (what `terms` leaves unset stays).
    pub fn with_terms(mut self, terms: SettlementTerms) -> Self {
        self.terms = terms;
        self
    }
}

/// A webhook secret issued by a rotation, shown this once. `Debug` never shows it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotatedWebhookSecret {
    pub client_id: String,
    /// The new `whsec_...` secret: verify notifications with it (and the old one until
    /// `previous_webhook_secret_valid_until`).
    pub webhook_secret: SecretString,
    /// Until when (exclusive) deliveries carry the old secret's signature too.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub previous_webhook_secret_valid_until: Option<OffsetDateTime>,
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
            .with_terms(
                SettlementTerms::default()
                    .with_fee_rate_bps(180)
                    .with_settlement_delay_days(0),
            );
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
    fn an_update_sends_only_what_it_changes_and_a_cleared_url_as_null() {
        let terms =
            MerchantUpdate::default().with_terms(SettlementTerms::default().with_fee_rate_bps(300));
        assert_eq!(
            serde_json::to_value(terms).unwrap(),
            serde_json::json!({ "feeRateBps": 300 })
        );
        let cleared = MerchantUpdate::default()
            .with_client_name("Renamed")
            .clear_return_url();
        assert_eq!(
            serde_json::to_value(cleared).unwrap(),
            serde_json::json!({ "clientName": "Renamed", "returnUrl": null })
        );
        let moved = MerchantUpdate::default().with_return_url("https://new.example/n");
        assert_eq!(
            serde_json::to_value(moved).unwrap(),
            serde_json::json!({ "returnUrl": "https://new.example/n" })
        );
    }
}
