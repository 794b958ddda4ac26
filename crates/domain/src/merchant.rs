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
    /// The webhook secret before the last rotation, still used to sign deliveries (next to the
    /// new one) until `until`, so merchants can roll over without downtime.
    pub previous_webhook_secret: Option<PreviousSecret>,
    pub return_url: Option<ReturnUrl>,
    pub status: MerchantStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A retired secret that stays valid until `until`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PreviousSecret {
    pub secret: SealedSecret,
    pub until: Timestamp,
}

/// A validated registration request.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NewMerchant {
    pub client_name: ClientName,
    pub return_url: Option<ReturnUrl>,
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
    fn client_names_must_not_be_blank() {
        assert_parser(
            ClientName::parse,
            &["Coffee shop"],
            &[" ", &"n".repeat(101)],
        );
    }
}
