//! Is a recipient paid for a 所属期, and if not, why (a reason printed next to the person, never a silent
//! omission). Rule 4 of the domain page: from 起发年月; through the month of death; not from 停发年月; not while
//! suspended.

use crate::domain::{Recipient, Status, YearMonth};

/// Why a recipient is not paid for a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotPaid {
    NotStarted(YearMonth),
    Died(chrono::NaiveDate),
    Stopped(Option<YearMonth>),
    Suspended(String),
}

impl NotPaid {
    /// Stable code for exceptions.csv.
    pub fn code(&self) -> &'static str {
        match self {
            NotPaid::NotStarted(_) => "NOT_STARTED",
            NotPaid::Died(_) => "DECEASED",
            NotPaid::Stopped(_) => "STOPPED",
            NotPaid::Suspended(_) => "SUSPENDED",
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
        }
    }
}

/// `Ok(())` when the recipient is paid for `month`.
pub fn eligible(r: &Recipient, month: YearMonth) -> Result<(), NotPaid> {
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
        Status::Normal | Status::Deceased => {
            if let Some(s) = r.stop_month
                && month >= s
            {
                return Err(NotPaid::Stopped(Some(s)));
            }
        }
    }
    Ok(())
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
        assert_eq!(eligible(&r, ym("2024-03")), Ok(()));
        let e = eligible(&r, ym("2024-04")).unwrap_err();
        assert_eq!(e.reason(), "已于2024-03-05死亡，发放至2024-03止");
        assert_eq!(e.code(), "DECEASED");
    }

    #[test]
    fn start_month_is_paid_and_the_one_before_is_not() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.start_month = Some(ym("2024-02"));
        assert_eq!(
            eligible(&r, ym("2024-01")).unwrap_err().reason(),
            "起发年月为2024-02，本月尚未起发"
        );
        assert_eq!(eligible(&r, ym("2024-02")), Ok(()));
    }

    #[test]
    fn stopped_from_the_stop_month() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.status = Status::Stopped;
        r.stop_month = Some(ym("2024-03"));
        assert_eq!(eligible(&r, ym("2024-02")), Ok(()));
        assert_eq!(eligible(&r, ym("2024-03")).unwrap_err().reason(), "自2024-03起停发");
        r.stop_month = None;
        assert_eq!(eligible(&r, ym("2024-02")).unwrap_err().reason(), "已停发");
    }

    #[test]
    fn suspension_prints_its_reason() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.status = Status::Suspended {
            reason: "服刑期间中止发放".into(),
        };
        let e = eligible(&r, ym("2024-03")).unwrap_err();
        assert_eq!(e.reason(), "暂停发放：服刑期间中止发放");
        assert_eq!(e.code(), "SUSPENDED");
    }
}
