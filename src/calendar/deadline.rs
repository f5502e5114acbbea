//! The 每月20日前 deadline (rule 5 of docs/domain.md): for 所属期 M the money must reach the accounts on or before the 20th
//! of M, or the last working day before it when the 20th is not a working day; the bank needs its own lead
//! time in working days before that. Also whether a given pay date met it.

use super::{Calendar, CalendarError};
use crate::domain::YearMonth;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The locality's deadline rule (a section of youfu.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeadlineRule {
    /// Day of the month, 1–31; a day past the month's end means the month's last day (31 in April → 30).
    pub day: u32,
    /// true: the `day` itself counts (“20日前” read as on or before the 20th); false: strictly before it.
    pub inclusive: bool,
    /// Working days the bank needs between receiving the file and the money reaching the accounts.
    pub bank_lead_days: u32,
}

impl Default for DeadlineRule {
    fn default() -> Self {
        DeadlineRule { day: 20, inclusive: true, bank_lead_days: 2 }
    }
}

/// The deadline of one 所属期.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub month: YearMonth,
    /// The last day the money may reach the accounts (a working day).
    pub deadline: NaiveDate,
    /// The last day to hand the file to the bank: `bank_lead_days` working days before `deadline`.
    pub submit_by: NaiveDate,
}

/// Whether a pay date met its deadline. JSON: `{"status":"on_time","spare_working_days":2}` or
/// `{"status":"late","working_days_late":1}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Timeliness {
    /// Working days in (pay_date, deadline]: 0 when paid on the deadline itself.
    OnTime { spare_working_days: i64 },
    /// Working days in (deadline, pay_date]. Can be 0: paid on a rest day right after the deadline (e.g. the
    /// Saturday after a Friday deadline) is late by less than one working day, and still late.
    Late { working_days_late: i64 },
}

impl Timeliness {
    /// As a person reads it: 按期（截止日当天）, 按期（提前2个工作日）, 逾期1个工作日. A pay date with no working day
    /// between it and the deadline is the deadline itself (the deadline is a working day).
    pub fn label(&self) -> String {
        match self {
            Timeliness::OnTime { spare_working_days: 0 } => "按期（截止日当天）".into(),
            Timeliness::OnTime { spare_working_days } => format!("按期（提前{spare_working_days}个工作日）"),
            Timeliness::Late { working_days_late } => format!("逾期{working_days_late}个工作日"),
        }
    }
}

/// For 所属期 M: deadline = the `day` of M if it is a working day, else the last working day before it
/// (inclusive=false means strictly before the `day`: the last working day before it). submit_by = the date
/// `bank_lead_days` working days before the deadline.
pub fn deadline(cal: &Calendar, month: YearMonth, rule: &DeadlineRule) -> Result<Deadline, CalendarError> {
    if !(1..=31).contains(&rule.day) {
        return Err(CalendarError::BadRule {
            message: format!("截止日规则中的 day 为 {}，应为 1 至 31（每月几日前发放到账，通常为 20）", rule.day),
        });
    }
    let day = rule.day.min(month.last_day().day());
    let nominal = month.day(day).expect("day clamped to the month");
    let latest =
        if rule.inclusive { nominal } else { nominal.pred_opt().ok_or(CalendarError::MissingYear(nominal.year()))? };
    let deadline = cal.last_working_day_on_or_before(latest)?;
    let submit_by = cal.working_days_before(deadline, rule.bank_lead_days)?;
    Ok(Deadline { month, deadline, submit_by })
}

/// A pay date on or before the deadline is on time; after it, late by the number of working days in (deadline, pay_date].
pub fn check_pay_date(cal: &Calendar, d: &Deadline, pay_date: NaiveDate) -> Result<Timeliness, CalendarError> {
    if pay_date <= d.deadline {
        Ok(Timeliness::OnTime { spare_working_days: cal.working_days_between(pay_date, d.deadline)? })
    } else {
        Ok(Timeliness::Late { working_days_late: cal.working_days_between(d.deadline, pay_date)? })
    }
}
