//! Money: integer minor units and ISO 4217 currencies. Never floating point.

use std::fmt;

use crate::validation::Invalid;

/// An amount in the currency's minor unit, `1 ..= 1_000_000_000`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Amount(i64);

impl Amount {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 1_000_000_000;

    pub fn parse(raw: i64) -> Result<Self, Invalid> {
        if raw < Self::MIN {
            Err(Invalid::new("must be at least 1"))
        } else if raw > Self::MAX {
            Err(Invalid::new("must be at most 1000000000"))
        } else {
            Ok(Self(raw))
        }
    }

    pub fn minor_units(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The amount a cancel asks for, in minor units: at least 1, and not bounded by [`Amount::MAX`]
/// (api.md §9.2: an amount above what is cancelable is refused as exceeding it, 409, however
/// large; only one below 1 or not an integer is malformed).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CancelAmount(i64);

impl CancelAmount {
    pub fn parse(raw: i64) -> Result<Self, Invalid> {
        if raw < Amount::MIN {
            Err(Invalid::new("must be at least 1"))
        } else {
            Ok(Self(raw))
        }
    }

    pub fn minor_units(self) -> i64 {
        self.0
    }

    /// The amount, when it is one a payment may hold.
    pub fn amount(self) -> Option<Amount> {
        Amount::parse(self.0).ok()
    }
}

/// Active ISO 4217 alphabetic codes (2024 list, funds and precious metals excluded).
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// An upper-case ISO 4217 currency code. Defaults to `KRW`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const KRW: Self = Self(*b"KRW");

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match ISO_4217.iter().find(|code| **code == raw) {
            Some(code) => {
                let b = code.as_bytes();
                Ok(Self([b[0], b[1], b[2]]))
            }
            None => Err(Invalid::new(
                "must be an upper-case ISO 4217 currency code, e.g. KRW",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from the ASCII table above.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl Default for Currency {
    fn default() -> Self {
        Self::KRW
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn currency_codes_must_be_upper_case_iso() {
        assert_eq!(Currency::parse("USD").unwrap().as_str(), "USD");
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("").is_err());
    }

    proptest! {
        #[test]
        fn amounts_are_accepted_exactly_inside_the_range(raw in any::<i64>()) {
            let ok = (1..=1_000_000_000).contains(&raw);
            prop_assert_eq!(Amount::parse(raw).is_ok(), ok);
        }
    }
}
