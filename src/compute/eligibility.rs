//! Is a recipient paid for a 所属期, and if not, why (a reason printed next to the person, never a silent
//! omission). Rule 4 of docs/domain.md: from 起发年月; through the month of death; not from 停发年月; not while
//! suspended; and, when configured, not while the 年度确认 is overdue (rule 9: 伤残抚恤管理办法 第25条). The
//! reasons include those of a 抚恤关系转移 (rule 10), which `transfer` decides.

use super::exception::ExceptionKind;
use crate::domain::{Recipient, Status, YearMonth};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// 年度确认: each year's cycle has a window; a recipient not confirmed in the current cycle by the end of the
/// window plus the grace period is suspended from the following month. Re-confirmation resumes payment from the
/// month after it; the suspended months are paid back only when `back_pay` is on (default 不予补发).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmationRule {
    /// First day of each year's window, "MM-DD".
    pub window_start: String,
    /// Last day of each year's window, "MM-DD".
    pub window_end: String,
    /// Days after the window's end before suspension (第25条: 60).
    pub grace_days: u32,
    /// Pay back the suspended months after re-confirmation (as 补发).
    pub back_pay: bool,
}

impl Default for ConfirmationRule {
    fn default() -> Self {
        ConfirmationRule { window_start: "01-01".into(), window_end: "12-31".into(), grace_days: 60, back_pay: false }
    }
}

fn month_day(year: i32, md: &str) -> Option<NaiveDate> {
    let (m, d) = md.split_once('-')?;
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

impl ConfirmationRule {
    /// Check the "MM-DD" fields; the message is for users.
    pub fn validate(&self) -> Result<(), String> {
        for (k, v) in [("window_start", &self.window_start), ("window_end", &self.window_end)] {
            if month_day(2023, v).is_none() {
                return Err(format!("confirmation.{k} 应写作 MM-DD（如 03-31），而不是“{v}”"));
            }
        }
        Ok(())
    }

    /// The window of cycle `year` and the last day of its grace period.
    pub fn cycle(&self, year: i32) -> (NaiveDate, NaiveDate, NaiveDate) {
        let start = month_day(year, &self.window_start).expect("validated");
        let mut end = month_day(year, &self.window_end).expect("validated");
        if end < start {
            end = month_day(year + 1, &self.window_end).expect("validated");
        }
        let grace_end = end + chrono::Days::new(self.grace_days as u64);
        (start, end, grace_end)
    }

    /// The first month suspended for a recipient not confirmed in cycle `year`.
    pub fn suspended_from(&self, year: i32) -> YearMonth {
        YearMonth::of(self.cycle(year).2).next()
    }
}

/// Why a recipient is not paid for a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotPaid {
    NotStarted(YearMonth),
    Died(NaiveDate),
    Stopped(Option<YearMonth>),
    Suspended(String),
    /// Not confirmed in cycle `year`; suspended from `from`.
    Unconfirmed {
        year: i32,
        from: YearMonth,
        late_confirmation: Option<NaiveDate>,
    },
    /// 迁出 in `moved`: the new county pays from `handover`.
    MovedOut {
        moved: YearMonth,
        handover: YearMonth,
    },
    /// 迁入 in `moved` from `from` (原发放地): the old county pays the months before `starts`.
    TransferPending {
        moved: YearMonth,
        from: Box<str>,
        starts: YearMonth,
    },
}

impl NotPaid {
    /// The kind of exception it is (its code and label for exceptions.csv).
    pub fn kind(&self) -> ExceptionKind {
        match self {
            NotPaid::NotStarted(_) => ExceptionKind::NotStarted,
            NotPaid::Died(_) => ExceptionKind::Deceased,
            NotPaid::Stopped(_) => ExceptionKind::Stopped,
            NotPaid::Suspended(_) => ExceptionKind::Suspended,
            NotPaid::Unconfirmed { .. } => ExceptionKind::Unconfirmed,
            NotPaid::MovedOut { .. } => ExceptionKind::MovedOut,
            NotPaid::TransferPending { .. } => ExceptionKind::TransferPending,
        }
    }

    /// The reason in Chinese.
    pub fn reason(&self) -> String {
        match self {
            NotPaid::NotStarted(m) => format!("起发年月为{m}，本月尚未起发"),
            NotPaid::Died(d) => format!("已于{d}死亡，发放至{}止", YearMonth::of(*d)),
            NotPaid::Stopped(Some(m)) => format!("自{m}起停发"),
            NotPaid::Stopped(None) => "已停发".into(),
            NotPaid::Suspended(r) => format!("暂停发放：{r}"),
            NotPaid::Unconfirmed { year, from, late_confirmation: None } => {
                format!("未完成{year}年度确认，自{from}起暂停发放；确认后次月恢复")
            }
            NotPaid::Unconfirmed { year, from, late_confirmation: Some(d) } => format!(
                "{year}年度确认逾期（{d}确认），{from}至{}暂停发放，次月恢复，暂停期间不予补发",
                YearMonth::of(*d)
            ),
            NotPaid::MovedOut { moved, handover } => {
                format!("已于{moved}迁出，本县发放至{}止，自{handover}起由迁入地发放", handover.prev())
            }
            NotPaid::TransferPending { moved, from, starts } => {
                format!("{moved}自{from}迁入，{}及以前由原发放地发放，本县自{starts}起发放", starts.prev())
            }
        }
    }
}

/// `Ok(())` when the recipient is paid for `month`.
pub fn eligible(r: &Recipient, month: YearMonth, confirmation: Option<&ConfirmationRule>) -> Result<(), NotPaid> {
    if let Some(start) = r.start_month
        && month < start
    {
        return Err(NotPaid::NotStarted(start));
    }
    if let Some(d) = r.death_date
        && month > YearMonth::of(d)
    {
        return Err(NotPaid::Died(d));
    }
    match &r.status {
        Status::Suspended { reason } => return Err(NotPaid::Suspended(reason.clone())),
        Status::Stopped => match r.stop_month {
            Some(s) if month < s => {}
            s => return Err(NotPaid::Stopped(s)),
        },
        Status::Normal | Status::Deceased | Status::MovedOut => {
            if let Some(s) = r.stop_month
                && month >= s
            {
                return Err(NotPaid::Stopped(Some(s)));
            }
        }
    }
    if let Some(rule) = confirmation {
        confirmed(r, month, rule)?;
    }
    Ok(())
}

/// The 年度确认 check for one month.
fn confirmed(r: &Recipient, month: YearMonth, rule: &ConfirmationRule) -> Result<(), NotPaid> {
    // The latest cycle whose grace period has ended before this month.
    let Some(year) = (month.year() - 2..=month.year()).rev().find(|&y| rule.suspended_from(y) <= month) else {
        return Ok(());
    };
    let (window_start, _, grace_end) = rule.cycle(year);
    let from = rule.suspended_from(year);
    match r.confirmed_on {
        Some(c) if c >= window_start => {
            if c > grace_end && month <= YearMonth::of(c) && !rule.back_pay {
                // Confirmed late: suspended through the month of confirmation, not paid back.
                Err(NotPaid::Unconfirmed { year, from, late_confirmation: Some(c) })
            } else {
                Ok(())
            }
        }
        _ => {
            if r.death_date.is_some_and(|d| d < window_start) {
                return Ok(());
            }
            Err(NotPaid::Unconfirmed { year, from, late_confirmation: None })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::standards::tests::{ID1, date, person};

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    #[test]
    fn death_month_is_paid_and_the_next_is_not() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.status = Status::Deceased;
        r.death_date = Some(date("2024-03-05"));
        assert_eq!(eligible(&r, ym("2024-03"), None), Ok(()));
        let e = eligible(&r, ym("2024-04"), None).unwrap_err();
        assert_eq!(e.reason(), "已于2024-03-05死亡，发放至2024-03止");
        assert_eq!(e.kind(), ExceptionKind::Deceased);
    }

    #[test]
    fn start_month_is_paid_and_the_one_before_is_not() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.start_month = Some(ym("2024-02"));
        assert_eq!(eligible(&r, ym("2024-01"), None).unwrap_err().reason(), "起发年月为2024-02，本月尚未起发");
        assert_eq!(eligible(&r, ym("2024-02"), None), Ok(()));
    }

    #[test]
    fn stopped_from_the_stop_month() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.status = Status::Stopped;
        r.stop_month = Some(ym("2024-03"));
        assert_eq!(eligible(&r, ym("2024-02"), None), Ok(()));
        assert_eq!(eligible(&r, ym("2024-03"), None).unwrap_err().reason(), "自2024-03起停发");
        r.stop_month = None;
        assert_eq!(eligible(&r, ym("2024-02"), None).unwrap_err().reason(), "已停发");
    }

    #[test]
    fn suspension_prints_its_reason() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.status = Status::Suspended { reason: "服刑期间中止发放".into() };
        let e = eligible(&r, ym("2024-03"), None).unwrap_err();
        assert_eq!(e.reason(), "暂停发放：服刑期间中止发放");
        assert_eq!(e.kind(), ExceptionKind::Suspended);
    }

    /// Window 03-01..05-31, grace 60 days → grace ends 07-30, suspension from August.
    fn rule(back_pay: bool) -> ConfirmationRule {
        ConfirmationRule { window_start: "03-01".into(), window_end: "05-31".into(), grace_days: 60, back_pay }
    }

    #[test]
    fn confirmation_cycle_dates() {
        let r = rule(false);
        assert_eq!(r.cycle(2024), (date("2024-03-01"), date("2024-05-31"), date("2024-07-30")));
        assert_eq!(r.suspended_from(2024), ym("2024-08"));
        assert!(r.validate().is_ok());
        let bad = ConfirmationRule { window_start: "3月1日".into(), ..rule(false) };
        assert_eq!(bad.validate().unwrap_err(), "confirmation.window_start 应写作 MM-DD（如 03-31），而不是“3月1日”");
    }

    #[test]
    fn unconfirmed_is_suspended_from_the_month_after_grace() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.confirmed_on = Some(date("2023-04-10")); // confirmed in the 2023 cycle only
        let rule = rule(false);
        assert_eq!(eligible(&r, ym("2024-07"), Some(&rule)), Ok(()));
        let e = eligible(&r, ym("2024-08"), Some(&rule)).unwrap_err();
        assert_eq!(e.kind(), ExceptionKind::Unconfirmed);
        assert_eq!(e.reason(), "未完成2024年度确认，自2024-08起暂停发放；确认后次月恢复");
        // never confirmed at all: the 2023 cycle already applies in January 2024
        r.confirmed_on = None;
        assert_eq!(
            eligible(&r, ym("2024-01"), Some(&rule)).unwrap_err().reason(),
            "未完成2023年度确认，自2023-08起暂停发放；确认后次月恢复"
        );
    }

    #[test]
    fn late_confirmation_resumes_next_month_without_back_pay() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.confirmed_on = Some(date("2024-10-15")); // late for the 2024 cycle
        let no = rule(false);
        for m in ["2024-08", "2024-09", "2024-10"] {
            let e = eligible(&r, ym(m), Some(&no)).unwrap_err();
            assert_eq!(
                e.reason(),
                "2024年度确认逾期（2024-10-15确认），2024-08至2024-10暂停发放，次月恢复，暂停期间不予补发"
            );
        }
        assert_eq!(eligible(&r, ym("2024-11"), Some(&no)), Ok(()));
        // with back-pay on, the suspended months are owed again (the arrears step pays them as 补发)
        let yes = rule(true);
        assert_eq!(eligible(&r, ym("2024-08"), Some(&yes)), Ok(()));
    }
}
