//! Settlement days: calendar days in the configured time zone (`settlement.timezone`), and the
//! UTC instants that bound them.

use std::fmt;

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::{Timestamp, validation::Invalid};

/// A settlement date: a calendar day, `YYYY-MM-DD`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct SettlementDate(Date);

impl SettlementDate {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        if raw.len() != 10 {
            return Err(Invalid::new("must be a date YYYY-MM-DD"));
        }
        Date::parse(raw, &format)
            .map(Self)
            .map_err(|_| Invalid::new("must be a date YYYY-MM-DD"))
    }

    pub fn from_date(date: Date) -> Self {
        Self(date)
    }

    pub fn as_date(self) -> Date {
        self.0
    }

    /// `days` later (`None` past the end of the calendar).
    pub fn plus_days(self, days: u8) -> Option<Self> {
        self.0
            .checked_add(Duration::days(i64::from(days)))
            .map(Self)
    }

    /// The day before (`None` before the start of the calendar).
    pub fn previous(self) -> Option<Self> {
        self.0.previous_day().map(Self)
    }
}

impl fmt::Display for SettlementDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

/// The instants of one settlement day: from `start` (included) to `end` (excluded).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DayBounds {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl DayBounds {
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }
}

/// Which day an instant falls on, in the settlement time zone. A port: the time-zone database
/// lives outside the domain (app-server); [`FixedOffsetCalendar`] serves zones without daylight
/// saving and the tests.
pub trait Calendar: Send + Sync {
    /// The settlement date `at` falls on.
    fn date_of(&self, at: Timestamp) -> SettlementDate;
    /// The instants of `date`.
    fn day(&self, date: SettlementDate) -> DayBounds;
}

/// A calendar whose days start at midnight at one fixed offset from UTC (`Asia/Seoul` is
/// `+09:00` all year).
#[derive(Clone, Copy, Debug)]
pub struct FixedOffsetCalendar(pub UtcOffset);

impl Calendar for FixedOffsetCalendar {
    fn date_of(&self, at: Timestamp) -> SettlementDate {
        SettlementDate(at.as_datetime().to_offset(self.0).date())
    }

    fn day(&self, date: SettlementDate) -> DayBounds {
        let midnight = |d: Date| -> Timestamp {
            Timestamp::from_datetime(
                PrimitiveDateTime::new(d, Time::MIDNIGHT)
                    .assume_offset(self.0)
                    .to_offset(UtcOffset::UTC),
            )
        };
        let start = midnight(date.0);
        let end = date.0.next_day().map_or_else(
            || Timestamp::from_datetime(OffsetDateTime::new_utc(Date::MAX, Time::MAX)),
            midnight,
        );
        DayBounds { start, end }
    }
}
