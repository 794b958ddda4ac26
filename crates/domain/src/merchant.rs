//! Merchants: who may call the API, with which (sealed) secrets, and where we notify them.

use std::fmt;

use crate::named_enum::named_enum;
use crate::{
    Timestamp,
    ids::ClientId,
    secret::SealedSecret,
    validation::{Invalid, bounded_text, checked_string},
};

checked_string!(
    /// Display name of a merchant, 1–100 characters.
    ClientName,
    |raw| bounded_text(raw, 1, 100)
);

/// Where the merchant receives notifications: an absolute `http(s)` URL without credentials,
/// at most 2048 characters.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReturnUrl(url::Url);

impl ReturnUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.len() > 2048 {
            return Err(Invalid::new("must be at most 2048 characters long"));
        }
        let url = url::Url::parse(raw)
            .map_err(|_| Invalid::new("must be an absolute http or https URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Invalid::new("must be an absolute http or https URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new("must not contain credentials"));
        }
        if url.fragment().is_some() {
            return Err(Invalid::new("must not contain a fragment"));
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        self.0.scheme()
    }

    /// The parsed URL.
    pub fn as_url(&self) -> &url::Url {
        &self.0
    }
}

impl fmt::Display for ReturnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

named_enum! {
    pub enum MerchantStatus {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }
    parse -> Option;
}

/// A registered merchant. Its secrets are only ever held sealed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Merchant {
    pub client_id: ClientId,
    pub client_name: ClientName,
    pub client_secret: SealedSecret,
    pub webhook_secret: SealedSecret,
    /// The client secret before the last rotation, still verifying signed requests (next to
    /// the new one) until `until` (api.md §10.6), so merchants can roll their servers over.
    pub previous_client_secret: Option<PreviousSecret>,
    /// The webhook secret before the last rotation, still used to sign deliveries (next to the
    /// new one) until `until`, so merchants can roll over without downtime.
    pub previous_webhook_secret: Option<PreviousSecret>,
    pub return_url: Option<ReturnUrl>,
    pub status: MerchantStatus,
    /// Fee rate and payout delay (api.md §12.1).
    pub terms: crate::settlement::SettlementTerms,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Compare-and-set guard: 0 when registered, one more on every change.
    pub version: u64,
}

impl Merchant {
    /// The client secrets that verify a signed request at `now`: the current one, then the
    /// previous one while its grace lasts (strictly before `until`).
    pub fn client_secrets_at(&self, now: Timestamp) -> impl Iterator<Item = &SealedSecret> {
        std::iter::once(&self.client_secret).chain(
            self.previous_client_secret
                .as_ref()
                .filter(|p| now < p.until)
                .map(|p| &p.secret),
        )
    }

    /// This merchant with `sealed` as its client secret from `now`: the one it replaces keeps
    /// verifying for `grace` (and is forgotten at once with no grace). Only one previous secret
    /// is kept: a second rotation within a grace retires the first previous secret for good.
    #[must_use]
    pub fn with_client_secret(
        mut self,
        sealed: SealedSecret,
        grace: Grace,
        now: Timestamp,
    ) -> Self {
        let old = std::mem::replace(&mut self.client_secret, sealed);
        self.previous_client_secret = PreviousSecret::retiring(old, grace.duration(), now);
        self
    }

    /// This merchant with `sealed` as its webhook secret from `now`; the one it replaces keeps
    /// signing deliveries (next to the new one) for `grace` (configured, not limited to a
    /// [`Grace`]).
    #[must_use]
    pub fn with_webhook_secret(
        mut self,
        sealed: SealedSecret,
        grace: std::time::Duration,
        now: Timestamp,
    ) -> Self {
        let old = std::mem::replace(&mut self.webhook_secret, sealed);
        self.previous_webhook_secret = PreviousSecret::retiring(old, grace, now);
        self
    }

    /// This merchant with `change` applied; `None` when it changes nothing.
    pub fn changed(&self, change: &MerchantChange) -> Option<Self> {
        let mut next = self.clone();
        if let Some(name) = &change.client_name {
            next.client_name = name.clone();
        }
        if let Some(url) = &change.return_url {
            next.return_url = url.clone();
        }
        if let Some(rate) = change.fee_rate {
            next.terms.fee_rate = rate;
        }
        if let Some(delay) = change.settlement_delay {
            next.terms.delay = delay;
        }
        (next != *self).then_some(next)
    }
}

impl MerchantChange {
    /// Whether the change touches the settlement terms (an ADMIN's to change).
    pub fn touches_terms(&self) -> bool {
        self.fee_rate.is_some() || self.settlement_delay.is_some()
    }
}

/// How long a retired secret stays valid after a rotation: 0 to 7 days, whole seconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub struct Grace(std::time::Duration);

impl Grace {
    /// The longest grace: 7 days (604 800 s).
    pub const MAX_SECS: u64 = 604_800;

    /// No grace: the old secret stops at once.
    pub const NONE: Self = Self(std::time::Duration::ZERO);

    /// `secs` seconds, 0 to [`Self::MAX_SECS`].
    pub fn from_secs(secs: i64) -> Result<Self, Invalid> {
        u64::try_from(secs)
            .ok()
            .filter(|s| *s <= Self::MAX_SECS)
            .map(|s| Self(std::time::Duration::from_secs(s)))
            .ok_or_else(|| Invalid::new(format!("must be between 0 and {}", Self::MAX_SECS)))
    }

    pub fn duration(self) -> std::time::Duration {
        self.0
    }
}

/// A validated `PATCH` of a merchant: what is `None` stays as it is. `return_url: Some(None)`
/// clears the URL (no notifications until one is set again).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct MerchantChange {
    pub client_name: Option<ClientName>,
    pub return_url: Option<Option<ReturnUrl>>,
    /// Settlement terms (api.md §12.1): an ADMIN's to change.
    pub fee_rate: Option<crate::settlement::FeeRate>,
    pub settlement_delay: Option<crate::settlement::SettlementDelay>,
}

/// A retired secret that stays valid until `until`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PreviousSecret {
    pub secret: SealedSecret,
    pub until: Timestamp,
}

impl PreviousSecret {
    /// `secret`, retired at `now`, valid for `grace` more; `None` (forgotten) with no grace.
    fn retiring(secret: SealedSecret, grace: std::time::Duration, now: Timestamp) -> Option<Self> {
        (!grace.is_zero()).then(|| Self {
            secret,
            until: now.plus(grace),
        })
    }
}

/// A validated registration request.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewMerchant {
    pub client_name: ClientName,
    pub return_url: Option<ReturnUrl>,
    /// The configured default when absent (api.md §12.1).
    pub fee_rate: Option<crate::settlement::FeeRate>,
    pub settlement_delay: Option<crate::settlement::SettlementDelay>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::assert_parser;

    #[test]
    fn return_urls_must_be_absolute_http_without_credentials() {
        assert_parser(
            ReturnUrl::parse,
            &[
                "https://shop.example/webhooks/pg",
                "http://127.0.0.1:8080/hook",
            ],
            &[
                "ftp://shop.example/",
                "/relative",
                "https://user:pw@shop.example/",
                "https://shop.example/#frag",
            ],
        );
    }

    #[test]
    fn a_grace_is_zero_to_seven_days_in_whole_seconds() {
        assert_eq!(Grace::from_secs(0), Ok(Grace::NONE));
        assert_eq!(
            Grace::from_secs(604_800).map(Grace::duration),
            Ok(std::time::Duration::from_secs(604_800))
        );
        assert!(Grace::from_secs(604_801).is_err());
        assert!(Grace::from_secs(-1).is_err());
        assert!(Grace::from_secs(i64::MAX).is_err());
    }

    #[test]
    fn client_names_must_not_be_blank() {
        assert_parser(
            ClientName::parse,
            &["Coffee shop"],
            &[" ", &"n".repeat(101)],
        );
    }
}
