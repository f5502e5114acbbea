//! The audit of one month (domain rule 5): was the money in the accounts by the deadline, and was the batch 足额
//! — every eligible recipient paid their whole regular amount. Pure: the caller supplies the ledger's facts and
//! the calendar's verdict.

use crate::calendar::Timeliness;
use crate::domain::YearMonth;
use crate::domain::money::from_fen;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// What the ledger holds for a month.
#[derive(Debug, Clone)]
pub struct MonthFacts {
    pub month: YearMonth,
    /// None: no batch at all; Some(false): only a draft; Some(true): committed.
    pub committed: Option<bool>,
    pub pay_date: Option<NaiveDate>,
    pub late_reason: Option<String>,
    /// Σ regular entitlement recorded with the batch (分), if recorded.
    pub entitled_fen: Option<i64>,
    /// Σ 正常 lines of this 所属期 in the month's committed batch (分).
    pub regular_paid_fen: i64,
    /// Eligible recipients left unpaid, as "姓名（身份证号）：原因".
    pub shortfalls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// No committed batch.
    Missing { draft: bool },
    Committed {
        pay_date: NaiveDate,
        timeliness: Timeliness,
        #[serde(skip_serializing_if = "Option::is_none")]
        late_reason: Option<String>,
        full: bool,
        /// Entitlement − paid, when short.
        shortfall: Decimal,
        shortfalls: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthAudit {
    pub month: YearMonth,
    /// The month's deadline (for a missing month too).
    pub deadline: NaiveDate,
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl MonthAudit {
    pub fn late(&self) -> bool {
        matches!(&self.verdict, Verdict::Committed { timeliness: Timeliness::Late { .. }, .. })
    }
    pub fn short(&self) -> bool {
        matches!(&self.verdict, Verdict::Committed { full: false, .. })
    }
    pub fn missing(&self) -> bool {
        matches!(&self.verdict, Verdict::Missing { .. })
    }
    pub fn ok(&self) -> bool {
        !self.late() && !self.short() && !self.missing()
    }
}

/// Judge one month from its facts, its deadline and the pay date's timeliness.
pub fn audit_month(facts: &MonthFacts, deadline: NaiveDate, timeliness: Option<Timeliness>) -> MonthAudit {
    let verdict = match (facts.committed, facts.pay_date, timeliness) {
        (Some(true), Some(pay_date), Some(timeliness)) => {
            let entitled = facts.entitled_fen.map(from_fen);
            let paid = from_fen(facts.regular_paid_fen);
            let shortfall = entitled.map(|e| (e - paid).max(Decimal::ZERO)).unwrap_or_default();
            Verdict::Committed {
                pay_date,
                timeliness,
                late_reason: facts.late_reason.clone(),
                full: shortfall == Decimal::ZERO && facts.shortfalls.is_empty(),
                shortfall,
                shortfalls: facts.shortfalls.clone(),
            }
        }
        (committed, _, _) => Verdict::Missing { draft: committed == Some(false) },
    };
    MonthAudit { month: facts.month, deadline, verdict }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(committed: Option<bool>, entitled: i64, paid: i64, short: &[&str]) -> MonthFacts {
        MonthFacts {
            month: "2024-03".parse().unwrap(),
            committed,
            pay_date: committed.filter(|c| *c).map(|_| NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()),
            late_reason: None,
            entitled_fen: Some(entitled),
            regular_paid_fen: paid,
            shortfalls: short.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn full_on_time_short_and_missing() {
        let on_time = Some(Timeliness::OnTime { spare_working_days: 3 });
        let a = audit_month(&facts(Some(true), 10000, 10000, &[]), d("2024-03-20"), on_time.clone());
        assert!(a.ok());
        // 分: 1000.00 paid of 1000.00 + 2571.67 owed (武建, no account): short by 2571.67
        let b =
            audit_month(&facts(Some(true), 100000 + 257167, 100000, &["武建：缺少银行账号"]), d("2024-03-20"), on_time);
        assert!(b.short() && !b.late());
        assert!(matches!(b.verdict, Verdict::Committed { shortfall, .. } if shortfall == Decimal::new(257167, 2)));
        let c = audit_month(&facts(None, 0, 0, &[]), d("2024-03-20"), None);
        assert_eq!(c.verdict, Verdict::Missing { draft: false });
        let e = audit_month(&facts(Some(false), 0, 0, &[]), d("2024-03-20"), None);
        assert_eq!(e.verdict, Verdict::Missing { draft: true });
        let late = audit_month(
            &facts(Some(true), 1, 1, &[]),
            d("2024-03-14"),
            Some(Timeliness::Late { working_days_late: 1 }),
        );
        assert!(late.late() && !late.ok());
    }
}
