//! Periods (spec §2): calendar months or ISO weeks, in UTC, as ordinals so that "every period in
//! between" is a range.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An instant, in nanoseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses an RFC 3339 timestamp; it must carry `Z` or an offset (spec §2).
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        match DateTime::parse_from_rfc3339(text) {
            Ok(t) => {
                t.timestamp_nanos_opt().map(Timestamp).ok_or_else(|| format!("timestamp {text:?} is out of range"))
            }
            Err(_) => {
                let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                    .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"));
                if naive.is_ok() {
                    Err(format!("timestamp {text:?} must carry Z or an offset"))
                } else {
                    Err(format!("{text:?} is not an RFC 3339 timestamp"))
                }
            }
        }
    }

    pub fn to_rfc3339(self) -> String {
        DateTime::from_timestamp_nanos(self.0).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    fn date(self) -> NaiveDate {
        DateTime::from_timestamp_nanos(self.0).date_naive()
    }
}

/// The period length of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Month,
    Week,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Week => "week",
        }
    }
}

/// A period as an ordinal: months since year 0 (`year × 12 + month − 1`), or ISO weeks counted
/// from the week of 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    pub ordinal: i64,
}

const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

fn days_since_epoch(d: NaiveDate) -> i64 {
    d.num_days_from_ce() as i64 - UNIX_EPOCH_DAYS_FROM_CE
}

impl Period {
    pub fn of(kind: PeriodKind, t: Timestamp) -> Period {
        let date = t.date();
        let ordinal = match kind {
            PeriodKind::Month => date.year() as i64 * 12 + date.month0() as i64,
            // 1970-01-01 is a Thursday: shifting by 3 days makes weeks start on Monday.
            PeriodKind::Week => (days_since_epoch(date) + 3).div_euclid(7),
        };
        Period { kind, ordinal }
    }

    pub fn next(self) -> Period {
        Period { ordinal: self.ordinal + 1, ..self }
    }

    /// The first instant of the period (UTC midnight of its first day); the period ends where
    /// the next one starts.
    pub fn start(self) -> Timestamp {
        let days = match self.kind {
            PeriodKind::Month => {
                let (y, m0) = (self.ordinal.div_euclid(12), self.ordinal.rem_euclid(12));
                let first = NaiveDate::from_ymd_opt(y as i32, m0 as u32 + 1, 1).expect("a month's first day");
                days_since_epoch(first)
            }
            PeriodKind::Week => self.ordinal * 7 - 3,
        };
        Timestamp(days * 86_400 * 1_000_000_000)
    }

    /// Parses `2026-11` (month) or `2026-W05` (week) for a plan of the given kind.
    pub fn parse(kind: PeriodKind, text: &str) -> Result<Period, String> {
        let bad = || match kind {
            PeriodKind::Month => format!("{text:?} is not a month period like \"2026-11\""),
            PeriodKind::Week => format!("{text:?} is not an ISO week period like \"2026-W05\""),
        };
        let (y, rest) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        match kind {
            PeriodKind::Month => {
                if rest.len() != 2 {
                    return Err(bad());
                }
                let m: u32 = rest.parse().map_err(|_| bad())?;
                if !(1..=12).contains(&m) {
                    return Err(bad());
                }
                Ok(Period { kind, ordinal: year as i64 * 12 + m as i64 - 1 })
            }
            PeriodKind::Week => {
                let w = rest.strip_prefix('W').ok_or_else(bad)?;
                if w.len() != 2 {
                    return Err(bad());
                }
                let w: u32 = w.parse().map_err(|_| bad())?;
                let monday = NaiveDate::from_isoywd_opt(year, w, Weekday::Mon).ok_or_else(bad)?;
                Ok(Period { kind, ordinal: (days_since_epoch(monday) + 3).div_euclid(7) })
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Month => {
                let (y, m) = (self.ordinal.div_euclid(12), self.ordinal.rem_euclid(12) + 1);
                write!(f, "{y:04}-{m:02}")
            }
            PeriodKind::Week => {
                let monday_days = self.ordinal * 7 - 3 + UNIX_EPOCH_DAYS_FROM_CE;
                let monday = NaiveDate::from_num_days_from_ce_opt(monday_days as i32)
                    .expect("week ordinal within chrono's range");
                let w = monday.iso_week();
                write!(f, "{:04}-W{:02}", w.year(), w.week())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn months_are_utc() {
        let p = Period::of(PeriodKind::Month, at("2026-12-01T01:00:00+02:00"));
        assert_eq!(p.to_string(), "2026-11");
        assert_eq!(p.next().to_string(), "2026-12");
        assert_eq!(p.next().next().to_string(), "2027-01");
        assert_eq!(Period::parse(PeriodKind::Month, "2026-11").unwrap(), p);
        assert_eq!(p.start(), at("2026-11-01T00:00:00Z"));
        assert_eq!(p.next().next().start(), at("2027-01-01T00:00:00Z"));
        assert_eq!(Period::of(PeriodKind::Month, at("2026-10-31T23:59:59.999999999Z")).next().start(), p.start());
    }

    #[test]
    fn iso_weeks_cross_years() {
        let p = Period::of(PeriodKind::Week, at("2027-01-01T12:00:00Z"));
        assert_eq!(p.to_string(), "2026-W53");
        assert_eq!(p.next().to_string(), "2027-W01");
        let p = Period::of(PeriodKind::Week, at("2026-02-01T23:59:59Z"));
        assert_eq!(p.to_string(), "2026-W05");
        assert_eq!(Period::parse(PeriodKind::Week, "2026-W05").unwrap(), p);
        assert_eq!(Period::of(PeriodKind::Week, at("2026-02-02T00:00:00Z")).to_string(), "2026-W06");
        assert!(Period::parse(PeriodKind::Week, "2025-W53").is_err());
        assert_eq!(Period::parse(PeriodKind::Week, "2026-W53").unwrap().start(), at("2026-12-28T00:00:00Z"));
        assert_eq!(p.start(), at("2026-01-26T00:00:00Z"));
    }

    #[test]
    fn timestamps_need_an_offset() {
        assert!(Timestamp::parse("2026-11-03T10:00:00").unwrap_err().contains("Z or an offset"));
        assert!(Timestamp::parse("yesterday").is_err());
        assert_eq!(at("2026-11-03T10:00:00Z").to_rfc3339(), "2026-11-03T10:00:00Z");
        assert_eq!(at("2026-11-03T12:00:00+02:00"), at("2026-11-03T10:00:00Z"));
    }
}
