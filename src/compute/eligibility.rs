//! Is a recipient paid for a 所属期, and if not, why (a reason printed next to the person, never a silent
//! omission). Rule 4 of docs/domain.md: from 起发年月; through the month of death; not from 停发年月; not while
//! suspended; and, when configured, not while the 年度确认 is overdue (rule 9: 伤残抚恤管理办法 第25条). After a
//! 抚恤关系转移 (rule 10: 办法 第二十三条), only the months this county pays under the transfer rule: the old county
//! up to the handover month, the new one from it.

use super::exception::ExceptionKind;
use super::rules::{Rules, TransferRule};
use crate::domain::{Problem, Recipient, Status, YearMonth};
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

/// Who pays a month for a person whose 抚恤关系 moved (rule 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    /// This county (the roster's).
    Here,
    /// The county the person came from (原发放地): a month before the handover of their 迁入.
    OldCounty,
    /// The county the person left for: a month from the handover of their 迁出.
    NewCounty,
}

impl Payer {
    pub fn label(self) -> &'static str {
        match self {
            Payer::Here => "本县",
            Payer::OldCounty => "原发放地",
            Payer::NewCounty => "迁入地",
        }
    }
}

/// Who pays `month` for `r` under the transfer rule; `Here` for a person who never moved.
pub fn payer(r: &Recipient, month: YearMonth, rule: TransferRule) -> Payer {
    let Some(t) = &r.transfer else { return Payer::Here };
    if let Some(moved) = t.moved_in
        && month < rule.handover(moved)
    {
        return Payer::OldCounty;
    }
    if let Some(moved) = t.moved_out
        && month >= rule.handover(moved)
    {
        return Payer::NewCounty;
    }
    Payer::Here
}

/// A 迁出年月 earlier than the first 所属期 this county's ledger paid the person (`first_paid`, their earliest
/// committed 正常 or 补发 line): the person left before this county ever paid them, so the roster is wrong (the
/// issue's bad input "a transfer with a 迁出年月 before the person was ever paid"). The roster reader refuses a
/// 迁出年月 before 起发年月; this covers a roster without 起发年月, from what the ledger knows.
pub fn moved_out_before_paid(r: &Recipient, first_paid: YearMonth) -> Option<Problem> {
    let moved = r.transfer.as_ref()?.moved_out?;
    (moved < first_paid).then(|| {
        Problem::new(
            "TRANSFER_BEFORE_PAID",
            format!(
                "{}（{}）的迁出年月早于台账中本县第一次为其发放的所属期（{first_paid}），本县尚未发放就已迁出",
                r.name, r.id
            ),
        )
        .at(r.location.to_location().with_column("迁出年月"))
        .value(moved.to_string())
        .hint("请核对迁出年月：迁出年月应是本县开始发放以后的月份。")
    })
}

/// Whether this county pays `r` for `month`: the transfer rule (a month another county pays is not this one's,
/// whatever else holds), then `eligible`.
pub fn eligible_under(r: &Recipient, month: YearMonth, rules: &Rules) -> Result<(), NotPaid> {
    if let Some(t) = &r.transfer {
        match payer(r, month, rules.transfer) {
            Payer::Here => {}
            Payer::OldCounty => {
                let moved = t.moved_in.expect("OldCounty comes from 迁入年月");
                let starts = rules.transfer.handover(moved).max(r.start_month.unwrap_or(moved));
                let from = t.moved_from.clone().unwrap_or_else(|| Box::from("原发放地"));
                return Err(NotPaid::TransferPending { moved, from, starts });
            }
            Payer::NewCounty => {
                let moved = t.moved_out.expect("NewCounty comes from 迁出年月");
                return Err(NotPaid::MovedOut { moved, handover: rules.transfer.handover(moved) });
            }
        }
    }
    eligible(r, month, rules.confirmation.as_ref())
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

    fn moved(out: Option<&str>, inn: Option<&str>, from: Option<&str>) -> Option<Box<crate::domain::Transfer>> {
        Some(Box::new(crate::domain::Transfer {
            moved_out: out.map(ym),
            moved_in: inn.map(ym),
            moved_from: from.map(Box::from),
        }))
    }

    fn with_start(start: crate::compute::rules::TransferStart) -> Rules {
        Rules { transfer: TransferRule { new_county_pays_from: start }, ..Rules::default() }
    }

    #[test]
    fn the_handover_month_under_each_rule() {
        use crate::compute::rules::TransferStart::*;
        let h = |start, m: &str| TransferRule { new_county_pays_from: start }.handover(ym(m)).to_string();
        // 第二十三条: the rest of the year by the old county, the new one from the next January
        assert_eq!(h(NextJanuary, "2024-07"), "2025-01");
        assert_eq!(h(NextJanuary, "2024-01"), "2025-01");
        assert_eq!(h(NextJanuary, "2024-12"), "2025-01");
        assert_eq!(h(NextMonth, "2024-07"), "2024-08");
        assert_eq!(h(NextMonth, "2024-12"), "2025-01");
        assert_eq!(h(SameMonth, "2024-07"), "2024-07");
        assert_eq!(TransferRule::default().new_county_pays_from, NextJanuary);
    }

    #[test]
    fn the_old_county_pays_through_december_of_the_move() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.status = Status::MovedOut;
        r.transfer = moved(Some("2024-07"), None, None);
        let rules = Rules::default();
        for m in ["2024-06", "2024-07", "2024-08", "2024-12"] {
            assert_eq!(eligible_under(&r, ym(m), &rules), Ok(()), "{m}");
            assert_eq!(payer(&r, ym(m), rules.transfer), Payer::Here);
        }
        let e = eligible_under(&r, ym("2025-01"), &rules).unwrap_err();
        assert_eq!(e.kind(), ExceptionKind::MovedOut);
        assert_eq!(e.reason(), "已于2024-07迁出，本县发放至2024-12止，自2025-01起由迁入地发放");
        assert_eq!(payer(&r, ym("2025-06"), rules.transfer), Payer::NewCounty);
        // another rule: the new county from the month after the move
        let next = with_start(crate::compute::rules::TransferStart::NextMonth);
        assert_eq!(eligible_under(&r, ym("2024-07"), &next), Ok(()));
        assert_eq!(
            eligible_under(&r, ym("2024-08"), &next).unwrap_err().reason(),
            "已于2024-07迁出，本县发放至2024-07止，自2024-08起由迁入地发放"
        );
    }

    #[test]
    fn the_new_county_lists_the_person_until_january() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.transfer = moved(None, Some("2024-07"), Some("示例甲县"));
        let rules = Rules::default();
        for m in ["2024-06", "2024-07", "2024-08", "2024-12"] {
            let e = eligible_under(&r, ym(m), &rules).unwrap_err();
            assert_eq!(e.kind(), ExceptionKind::TransferPending, "{m}");
            assert_eq!(e.reason(), "2024-07自示例甲县迁入，2024-12及以前由原发放地发放，本县自2025-01起发放");
            assert_eq!(payer(&r, ym(m), rules.transfer), Payer::OldCounty);
        }
        assert_eq!(eligible_under(&r, ym("2025-01"), &rules), Ok(()));
        // A 起发年月 later than the handover is the month payments start.
        r.start_month = Some(ym("2025-03"));
        assert_eq!(
            eligible_under(&r, ym("2024-09"), &rules).unwrap_err().reason(),
            "2024-07自示例甲县迁入，2025-02及以前由原发放地发放，本县自2025-03起发放"
        );
        assert_eq!(eligible_under(&r, ym("2025-01"), &rules).unwrap_err().kind(), ExceptionKind::NotStarted);
        // `eligible` alone knows nothing of transfers: the rule is applied by `eligible_under` only.
        assert_eq!(eligible(&person(5, ID1, "残疾军人", &[]), ym("2024-08"), None), Ok(()));
    }

    #[test]
    fn moved_in_then_out_again_pays_only_the_months_between() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.status = Status::MovedOut;
        r.transfer = moved(Some("2024-03"), Some("2022-05"), Some("示例甲县"));
        let rules = Rules::default();
        let payers: Vec<Payer> =
            ["2022-12", "2023-01", "2024-12", "2025-01"].iter().map(|m| payer(&r, ym(m), rules.transfer)).collect();
        assert_eq!(payers, [Payer::OldCounty, Payer::Here, Payer::Here, Payer::NewCounty]);
    }
}
