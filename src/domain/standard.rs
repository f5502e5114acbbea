//! A 标准 row: the amount in force for an item and a kind of recipient, from an effective date.

use super::Location;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// 计发单位.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Unit {
    /// 元/年
    PerYear,
    /// 元/月
    PerMonth,
    /// 元/年·服役年
    PerYearPerServiceYear,
    /// 元/月·服役年
    PerMonthPerServiceYear,
}

impl Unit {
    /// Accepts the four units as written in notices, with `·`, `・`, `.`, `/` or nothing between the parts.
    pub fn parse(text: &str) -> Option<Unit> {
        let t: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '・' | '.' | '•' | '*' | '×'))
            .collect::<String>()
            .replace('／', "/");
        match t.as_str() {
            "元/年" | "元/人年" | "元/人/年" => Some(Unit::PerYear),
            "元/月" | "元/人月" | "元/人/月" => Some(Unit::PerMonth),
            "元/年服役年" | "元/年/服役年" | "元/服役年/年" => Some(Unit::PerYearPerServiceYear),
            "元/月服役年" | "元/月/服役年" | "元/服役年/月" => Some(Unit::PerMonthPerServiceYear),
            _ => None,
        }
    }
    pub fn per_service_year(self) -> bool {
        matches!(self, Unit::PerYearPerServiceYear | Unit::PerMonthPerServiceYear)
    }
    pub fn per_year(self) -> bool {
        matches!(self, Unit::PerYear | Unit::PerYearPerServiceYear)
    }
    pub const ACCEPTED: &'static str = "元/年、元/月、元/年·服役年、元/月·服役年";
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::PerYear => "元/年",
            Unit::PerMonth => "元/月",
            Unit::PerYearPerServiceYear => "元/年·服役年",
            Unit::PerMonthPerServiceYear => "元/月·服役年",
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Standard {
    /// The standards-file row.
    pub location: Location,
    /// 项目
    pub item: std::sync::Arc<str>,
    /// Key columns with a value (blank = any, so not stored), under canonical header names.
    pub keys: BTreeMap<String, String>,
    /// The names of `keys` in the order of the file's columns, for showing a row's conditions as the file has
    /// them (the map's own order is by name).
    #[serde(skip)]
    pub key_order: Vec<String>,
    /// 金额
    pub amount: Decimal,
    pub unit: Unit,
    /// 起始日期 (inclusive)
    pub start: NaiveDate,
    /// 终止日期 (inclusive), if any
    pub end: Option<NaiveDate>,
    /// 依据: the notice it comes from.
    pub basis: String,
}

impl Standard {
    /// In force on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.start <= date && self.end.is_none_or(|e| date <= e)
    }
    /// The date ranges of two rows overlap.
    pub fn overlaps(&self, other: &Standard) -> bool {
        let a_end = self.end.unwrap_or(NaiveDate::MAX);
        let b_end = other.end.unwrap_or(NaiveDate::MAX);
        self.start <= b_end && other.start <= a_end
    }
    /// `类别=残疾军人，等级=一级，性质=因战`: the conditions in the file's column order (any key not in
    /// `key_order`, from a row made elsewhere, after them by name).
    pub fn key_text(&self) -> String {
        if self.keys.is_empty() {
            return "（全部）".into();
        }
        let ordered = self.key_order.iter().filter(|k| self.keys.contains_key(*k));
        let rest = self.keys.keys().filter(|k| !self.key_order.contains(k));
        ordered.chain(rest).map(|k| format!("{k}={}", self.keys[k])).collect::<Vec<_>>().join("，")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_as_written() {
        assert_eq!(Unit::parse("元/年"), Some(Unit::PerYear));
        assert_eq!(Unit::parse(" 元／月 "), Some(Unit::PerMonth));
        assert_eq!(Unit::parse("元/年·服役年"), Some(Unit::PerYearPerServiceYear));
        assert_eq!(Unit::parse("元/月·服役年"), Some(Unit::PerMonthPerServiceYear));
        assert_eq!(Unit::parse("元/月・服役年"), Some(Unit::PerMonthPerServiceYear));
        assert_eq!(Unit::parse("元/季"), None);
        assert_eq!(Unit::parse(""), None);
        for u in [Unit::PerYear, Unit::PerMonth, Unit::PerYearPerServiceYear, Unit::PerMonthPerServiceYear] {
            assert_eq!(Unit::parse(&u.to_string()), Some(u));
        }
    }
}
