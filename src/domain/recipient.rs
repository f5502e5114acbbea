//! A 优抚对象 as one row of the 花名册 (or several rows, one per 项目, when the roster carries a 项目 column).

use super::{IdCard, Location, YearMonth};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// 状态 column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Status {
    /// 正常 (or blank).
    Normal,
    /// 暂停: not paid while suspended; the reason is printed next to the person.
    Suspended { reason: String },
    /// 停发: not paid from 停发年月 (or at all, when no month is given).
    Stopped,
    /// 死亡: paid through the month of 死亡日期.
    Deceased,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    /// The roster row (file, sheet, Excel row).
    pub location: Location,
    pub name: String,
    pub id: IdCard,
    /// Normalised 类别.
    pub category: String,
    /// Every column of the row under its canonical header, value normalised (full-width → half-width, trimmed).
    /// Standards' key columns are matched against these.
    pub attrs: BTreeMap<String, String>,
    /// 服役年限, for per-service-year rates.
    pub service_years: Option<Decimal>,
    /// 起发年月.
    pub start_month: Option<YearMonth>,
    pub status: Status,
    /// 停发年月: first month not paid.
    pub stop_month: Option<YearMonth>,
    pub death_date: Option<NaiveDate>,
    /// 年度确认日期.
    pub confirmed_on: Option<NaiveDate>,
    /// 乡镇（街道）.
    pub town: String,
    /// 开户行.
    pub bank: String,
    /// 银行账号 (digits only, as text).
    pub account: String,
    /// 项目, when the roster carries one item per row.
    pub item: Option<String>,
    /// 丧葬补助月数 override for this person.
    pub funeral_months: Option<u32>,
}

impl Recipient {
    /// The value of a column for standard matching (empty when absent).
    pub fn attr(&self, column: &str) -> &str {
        self.attrs.get(column).map(String::as_str).unwrap_or("")
    }
}
