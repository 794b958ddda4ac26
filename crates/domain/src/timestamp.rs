//! UTC instants with millisecond precision, the only notion of time the domain uses.

use std::{fmt, time::Duration};

use time::{OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

/// An instant in UTC, truncated to whole milliseconds so that it survives every round trip
/// (database `DATETIME(6)`, RFC 3339 with `.mmm`, Unix milliseconds) unchanged.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("must be an RFC 3339 date-time, e.g. 2026-11-24T08:00:00Z")]
    NotRfc3339,
    #[error("is out of the supported range")]
    OutOfRange,
}

impl Timestamp {
    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        let utc = dt.to_offset(UtcOffset::UTC);
        let millis = utc.millisecond();
        Self(
            utc.replace_nanosecond(u32::from(millis) * 1_000_000)
                .unwrap_or(utc),
        )
    }

    pub fn from_unix_millis(millis: i64) -> Result<Self, TimestampError> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .map(Self::from_datetime)
            .map_err(|_| TimestampError::OutOfRange)
    }

    pub fn parse_rfc3339(raw: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(raw, &Rfc3339)
            .map(Self::from_datetime)
            .map_err(|_| TimestampError::NotRfc3339)
    }

    pub fn unix_millis(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn as_datetime(self) -> OffsetDateTime {
        self.0
    }

    /// `2026-11-24T08:00:00.123Z`: always three fractional digits and a `Z`.
    ///
    /// Written digit by digit into a string of the right size: every payment body and
    /// notification carries several, and `format!`'s machinery cost about 3,000 instructions a
    /// call (docs/benchmarks.md, "Instruction counts"). Years outside 0–9999 (which RFC 3339
    /// cannot spell in four digits) still go through `format!`.
    pub fn to_rfc3339(self) -> String {
        let d = self.0;
        let Ok(year @ 0..=9999) = u32::try_from(d.year()) else {
            return spelled_by_format(d);
        };
        let mut out = String::with_capacity(24);
        push_digits(&mut out, year, 4);
        out.push('-');
        push_digits(&mut out, u32::from(u8::from(d.month())), 2);
        out.push('-');
        push_digits(&mut out, u32::from(d.day()), 2);
        out.push('T');
        push_digits(&mut out, u32::from(d.hour()), 2);
        out.push(':');
        push_digits(&mut out, u32::from(d.minute()), 2);
        out.push(':');
        push_digits(&mut out, u32::from(d.second()), 2);
        out.push('.');
        push_digits(&mut out, u32::from(d.millisecond()), 3);
        out.push('Z');
        out
    }

    pub fn plus(self, duration: Duration) -> Self {
        Self::from_datetime(
            self.0
                .saturating_add(time::Duration::try_from(duration).unwrap_or(time::Duration::MAX)),
        )
    }

    pub fn minus(self, duration: Duration) -> Self {
        Self::from_datetime(
            self.0
                .saturating_sub(time::Duration::try_from(duration).unwrap_or(time::Duration::MAX)),
        )
    }

    /// Absolute distance between two instants.
    pub fn distance(self, other: Self) -> Duration {
        let diff = (self.0 - other.0).abs();
        Duration::try_from(diff).unwrap_or(Duration::MAX)
    }
}

/// What [`Timestamp::to_rfc3339`] writes, through `format!`: the spelling for years outside
/// 0–9999, and the reference its digit writer is tested against.
fn spelled_by_format(d: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
        d.millisecond()
    )
}

/// The last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u32, width: u32) {
    let mut unit = 10u32.pow(width.saturating_sub(1));
    while unit > 0 {
        out.push(char::from_digit((value / unit) % 10, 10).unwrap_or('0'));
        unit /= 10;
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// From year -9999 to 9999: the digit writer spells every instant as `format!` does, and
        /// what it writes parses back to the same instant where RFC 3339 can spell it.
        #[test]
        fn every_instant_is_spelled_as_format_would_and_parses_back(
            millis in -377_705_116_800_000i64..=253_402_300_799_999i64
        ) {
            let t = Timestamp::from_unix_millis(millis).unwrap();
            prop_assert_eq!(t.to_rfc3339(), spelled_by_format(t.as_datetime()));
            if t.as_datetime().year() >= 0 {
                prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(), t);
            }
        }
    }

    #[test]
    fn rfc3339_output_has_millis_and_z() {
        let t = Timestamp::from_unix_millis(1_795_507_200_123).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-24T08:00:00.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(), t);
    }

    #[test]
    fn offsets_are_normalised_to_utc() {
        let t = Timestamp::parse_rfc3339("2026-11-24T17:00:00+09:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-24T08:00:00.000Z");
    }

    #[test]
    fn sub_millisecond_precision_is_dropped() {
        let t = Timestamp::parse_rfc3339("2026-11-24T08:00:00.123456789Z").unwrap();
        assert_eq!(t.unix_millis() % 1000, 123);
        assert_eq!(t.as_datetime().nanosecond(), 123_000_000);
    }

    #[test]
    fn garbage_is_not_a_timestamp() {
        assert_eq!(
            Timestamp::parse_rfc3339("yesterday"),
            Err(TimestampError::NotRfc3339)
        );
    }
}
