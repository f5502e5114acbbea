//! 所属期: a calendar month, written `YYYY-MM`.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    year: i32,
    /// 1..=12. Non-zero so that an `Option<YearMonth>` takes no more room than a `YearMonth` (8 bytes, not 12:
    /// a recipient has two, a province's roster a million recipients).
    month: std::num::NonZeroU8,
}

impl YearMonth {
    /// `month` in 1..=12 (every caller has checked it or made it so).
    fn at(year: i32, month: u32) -> YearMonth {
        let month = u8::try_from(month).ok().and_then(std::num::NonZeroU8::new).filter(|m| m.get() <= 12);
        YearMonth { year, month: month.expect("a month in 1..=12") }
    }

    /// `None` unless 1 ≤ month ≤ 12 and the year is 1900..=9999.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=12).contains(&month) && (1900..=9999).contains(&year)).then(|| YearMonth::at(year, month))
    }
    pub fn of(date: NaiveDate) -> Self {
        YearMonth::at(date.year(), date.month())
    }
    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u32 {
        self.month.get() as u32
    }
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month(), 1).expect("valid month")
    }
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("valid date")
    }
    /// The day `day` of this month, if it exists.
    pub fn day(self, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month(), day)
    }
    pub fn next(self) -> Self {
        if self.month() == 12 { YearMonth::at(self.year + 1, 1) } else { YearMonth::at(self.year, self.month() + 1) }
    }
    pub fn prev(self) -> Self {
        if self.month() == 1 { YearMonth::at(self.year - 1, 12) } else { YearMonth::at(self.year, self.month() - 1) }
    }
    /// Months from `self` to `other` (positive when `other` is later).
    pub fn months_until(self, other: YearMonth) -> i32 {
        (other.year - self.year) * 12 + other.month() as i32 - self.month() as i32
    }
    /// Every month from `self` to `last`, both included.
    pub fn through(self, last: YearMonth) -> impl Iterator<Item = YearMonth> {
        let mut cur = Some(self);
        std::iter::from_fn(move || {
            let m = cur?;
            if m > last {
                return None;
            }
            cur = Some(m.next());
            Some(m)
        })
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month())
    }
}

/// Why a `YYYY-MM` did not parse; the message is for users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthParseError(pub String);

impl fmt::Display for MonthParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "月份“{}”无效，应写作 YYYY-MM（如 2024-03），月份为 01 至 12", self.0)
    }
}
impl std::error::Error for MonthParseError {}

impl FromStr for YearMonth {
    type Err = MonthParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MonthParseError(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        YearMonth::new(year, month).ok_or_else(err)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let m: YearMonth = "2024-03".parse().unwrap();
        assert_eq!((m.year(), m.month()), (2024, 3));
        assert_eq!(m.to_string(), "2024-03");
        assert_eq!("2024-3".parse::<YearMonth>().unwrap().to_string(), "2024-03");
        assert!("2024-13".parse::<YearMonth>().is_err());
        assert!("2024-00".parse::<YearMonth>().is_err());
        assert!("24-01".parse::<YearMonth>().is_err());
        assert!("2024/01".parse::<YearMonth>().is_err());
        assert_eq!(
            "2024-13".parse::<YearMonth>().unwrap_err().to_string(),
            "月份“2024-13”无效，应写作 YYYY-MM（如 2024-03），月份为 01 至 12"
        );
    }

    #[test]
    fn an_optional_month_takes_no_more_room() {
        // A recipient has two (起发年月, 停发年月), a province's roster a million recipients.
        assert_eq!(std::mem::size_of::<Option<YearMonth>>(), std::mem::size_of::<YearMonth>());
        assert_eq!(std::mem::size_of::<YearMonth>(), 8);
    }

    #[test]
    fn arithmetic() {
        let dec: YearMonth = "2023-12".parse().unwrap();
        assert_eq!(dec.next().to_string(), "2024-01");
        assert_eq!(dec.next().prev(), dec);
        assert_eq!(dec.last_day(), NaiveDate::from_ymd_opt(2023, 12, 31).unwrap());
        let feb: YearMonth = "2024-02".parse().unwrap();
        assert_eq!(feb.last_day(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(dec.months_until(feb), 2);
        let all: Vec<String> = dec.through(feb).map(|m| m.to_string()).collect();
        assert_eq!(all, ["2023-12", "2024-01", "2024-02"]);
    }
}
