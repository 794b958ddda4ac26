//! Settlement days in a named time zone (`settlement.timezone`, an IANA name such as
//! `Asia/Seoul`), with daylight saving where the zone has it: the time-zone database is jiff's,
//! bundled into the binary, so a machine without `/usr/share/zoneinfo` settles the same days.

use anyhow::Context;
use domain::{
    Timestamp,
    settlement::{Calendar, DayBounds, SettlementDate},
};
use jiff::{civil, tz::TimeZone};
use time::{Date, Month, OffsetDateTime};

/// Days of one IANA time zone.
#[derive(Clone, Debug)]
pub struct ZoneCalendar(TimeZone);

impl ZoneCalendar {
    pub fn named(name: &str) -> anyhow::Result<Self> {
        TimeZone::get(name)
            .map(Self)
            .with_context(|| format!("settlement.timezone {name:?} is not a known time zone"))
    }
}

fn to_jiff(t: Timestamp) -> jiff::Timestamp {
    let nanos = t.as_datetime().unix_timestamp_nanos();
    jiff::Timestamp::from_nanosecond(nanos).unwrap_or(jiff::Timestamp::MAX)
}

fn from_jiff(t: jiff::Timestamp) -> Timestamp {
    OffsetDateTime::from_unix_timestamp_nanos(t.as_nanosecond())
        .map(Timestamp::from_datetime)
        .unwrap_or_else(|_| Timestamp::from_datetime(OffsetDateTime::UNIX_EPOCH))
}

fn to_civil(d: SettlementDate) -> civil::Date {
    let d = d.as_date();
    civil::Date::new(
        i16::try_from(d.year()).unwrap_or(i16::MAX),
        i8::try_from(u8::from(d.month())).unwrap_or(1),
        i8::try_from(d.day()).unwrap_or(1),
    )
    .unwrap_or(civil::Date::MAX)
}

fn from_civil(d: civil::Date) -> SettlementDate {
    let month = Month::try_from(u8::try_from(d.month()).unwrap_or(1)).unwrap_or(Month::January);
    let day = u8::try_from(d.day()).unwrap_or(1);
    SettlementDate::from_date(
        Date::from_calendar_date(i32::from(d.year()), month, day).unwrap_or(Date::MIN),
    )
}

impl Calendar for ZoneCalendar {
    fn date_of(&self, at: Timestamp) -> SettlementDate {
        from_civil(to_jiff(at).to_zoned(self.0.clone()).date())
    }

    /// From the first instant of the day (midnight, or whenever a daylight-saving gap lets the
    /// day begin) to the first instant of the next.
    fn day(&self, date: SettlementDate) -> DayBounds {
        let start_of = |d: civil::Date| {
            d.to_zoned(self.0.clone())
                .map(|z| from_jiff(z.timestamp()))
                .unwrap_or_else(|_| from_jiff(jiff::Timestamp::MAX))
        };
        let d = to_civil(date);
        DayBounds {
            start: start_of(d),
            end: d
                .tomorrow()
                .map_or_else(|_| from_jiff(jiff::Timestamp::MAX), start_of),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(raw: &str) -> SettlementDate {
        SettlementDate::parse(raw).unwrap()
    }

    #[test]
    fn a_seoul_day_starts_at_15_00_utc_the_day_before() {
        let seoul = ZoneCalendar::named("Asia/Seoul").unwrap();
        let day = seoul.day(date("2026-12-06"));
        assert_eq!(day.start.to_rfc3339(), "2026-12-05T15:00:00.000Z");
        assert_eq!(day.end.to_rfc3339(), "2026-12-06T15:00:00.000Z");
        assert_eq!(seoul.date_of(day.start), date("2026-12-06"));
        assert_eq!(seoul.date_of(day.end), date("2026-12-07"));
    }

    #[test]
    fn a_day_that_springs_forward_has_23_hours_in_new_york() {
        let ny = ZoneCalendar::named("America/New_York").unwrap();
        let day = ny.day(date("2026-03-08"));
        assert_eq!(day.start.to_rfc3339(), "2026-03-08T05:00:00.000Z");
        assert_eq!(day.end.to_rfc3339(), "2026-03-09T04:00:00.000Z");
    }

    #[test]
    fn an_unknown_zone_is_refused() {
        assert!(ZoneCalendar::named("Mars/Olympus").is_err());
    }
}
