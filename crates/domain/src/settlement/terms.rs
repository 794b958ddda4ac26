//! A merchant's settlement terms (api.md §12.1): its fee rate and how many days after a
//! settlement date it is paid.

use std::fmt;

use crate::{money::Amount, validation::Invalid};

/// `raw` as a `T` from 0 to `max`; otherwise refused with `message`.
fn up_to<T: TryFrom<i64> + PartialOrd>(raw: i64, max: T, message: &str) -> Result<T, Invalid> {
    T::try_from(raw)
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| Invalid::new(message))
}

/// A fee rate in basis points (1/100 of a percent), `0 ..= 10000`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct FeeRate(u16);

impl FeeRate {
    pub const MAX_BPS: u16 = 10_000;
    /// 2.5 %: the configuration's default when none is set.
    pub const DEFAULT: Self = Self(250);

    pub fn from_bps(raw: i64) -> Result<Self, Invalid> {
        up_to(
            raw,
            Self::MAX_BPS,
            "must be between 0 and 10000 (basis points)",
        )
        .map(Self)
    }

    pub fn bps(self) -> u16 {
        self.0
    }

    /// The fee of `amount`: `amount × bps / 10000` rounded half up to the minor unit, by integer
    /// arithmetic (never floating point). Never more than `amount`, never negative.
    pub fn fee_of(self, amount: Amount) -> i64 {
        // At most 10^9 × 10^4 + 5000: far inside i64.
        (amount.minor_units() * i64::from(self.0) + 5_000) / 10_000
    }
}

impl fmt::Display for FeeRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Days between a settlement date and its payout date, `0 ..= 30`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct SettlementDelay(u8);

impl SettlementDelay {
    pub const MAX_DAYS: u8 = 30;
    pub const DEFAULT: Self = Self(2);

    pub fn from_days(raw: i64) -> Result<Self, Invalid> {
        up_to(raw, Self::MAX_DAYS, "must be between 0 and 30 (days)").map(Self)
    }

    pub fn days(self) -> u8 {
        self.0
    }
}

/// What a merchant is charged and when it is paid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SettlementTerms {
    pub fee_rate: FeeRate,
    pub delay: SettlementDelay,
}

impl Default for SettlementTerms {
    fn default() -> Self {
        Self {
            fee_rate: FeeRate::DEFAULT,
            delay: SettlementDelay::DEFAULT,
        }
    }
}
