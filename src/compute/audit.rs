//! The audit of one month (rule 5 of docs/domain.md): was the money in the accounts by the deadline, and was the
//! batch 足额 — every eligible recipient paid their whole regular amount. Money the bank returned (退回) did not reach the
//! account: the month is short by it until a 重发 makes it whole (and then says when, and how late). The shortfall
//! is itemised — each person left unpaid and each transfer returned, each amount counted once. Pure: the caller
//! supplies the ledger's facts and the calendar's verdict.

use crate::calendar::Timeliness;
use crate::domain::YearMonth;
use crate::domain::money::{from_fen, yuan_text};
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
    /// Σ 正常 lines of this 所属期 in the month's committed batch (分), as sent (returned ones included).
    pub regular_paid_fen: i64,
    /// Eligible recipients left unpaid.
    pub shortfalls: Vec<ShortItem>,
    /// The month's regular money the bank returned, per returned transfer.
    pub returned: Vec<ReturnedItem>,
}

/// A recipient the batch left unpaid (no account): who, this month's regular amount (None for batches recorded
/// before it was kept), why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortItem {
    /// 姓名（身份证号）.
    pub who: String,
    pub amount_fen: Option<i64>,
    pub why: String,
}

/// A transfer of the month that the bank returned: its regular money for the month, the bank's words, and the
/// 重发 that made it whole, if any (batch month, pay date, working days after the month's deadline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedItem {
    pub who: String,
    pub amount_fen: i64,
    pub why: String,
    pub reissued: Option<(YearMonth, NaiveDate, Timeliness)>,
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
        /// Entitlement − what reached the accounts, when short: the sum of the itemised amounts below.
        shortfall: Decimal,
        /// Each recipient left unpaid, with the amount.
        shortfalls: Vec<String>,
        /// Each transfer the bank returned, with the amount, and whether (when, how late) it was re-issued.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        returned: Vec<String>,
        /// Σ returned and made whole by a 重发.
        #[serde(skip_serializing_if = "Decimal::is_zero")]
        reissued: Decimal,
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

/// Judge one month from its facts, its deadline and the pay date's timeliness; the itemised amounts are written
/// for people (`2,571.67`).
pub fn audit_month(facts: &MonthFacts, deadline: NaiveDate, timeliness: Option<Timeliness>) -> MonthAudit {
    audit_month_with(facts, deadline, timeliness, yuan_text)
}

/// `audit_month` with the itemised amounts written by `money`: `format_yuan` (`2571.67`) for `--json`, where
/// every amount is plain.
pub fn audit_month_with(
    facts: &MonthFacts,
    deadline: NaiveDate,
    timeliness: Option<Timeliness>,
    money: fn(Decimal) -> String,
) -> MonthAudit {
    let verdict = match (facts.committed, facts.pay_date, timeliness) {
        (Some(true), Some(pay_date), Some(timeliness)) => {
            let entitled = facts.entitled_fen.map(from_fen);
            let open: i64 = facts.returned.iter().filter(|r| r.reissued.is_none()).map(|r| r.amount_fen).sum();
            let reissued: i64 = facts.returned.iter().filter(|r| r.reissued.is_some()).map(|r| r.amount_fen).sum();
            let reached = from_fen(facts.regular_paid_fen - open);
            let shortfall = entitled.map(|e| (e - reached).max(Decimal::ZERO)).unwrap_or_default();
            let yuan = |fen: i64| money(from_fen(fen));
            let shortfalls = facts
                .shortfalls
                .iter()
                .map(|s| match s.amount_fen {
                    Some(fen) => format!("{} {}元（{}）", s.who, yuan(fen), s.why),
                    None => format!("{}{}", s.who, s.why),
                })
                .collect();
            let returned = facts
                .returned
                .iter()
                .map(|r| {
                    let head = format!("{} {}元（{}）", r.who, yuan(r.amount_fen), r.why);
                    match &r.reissued {
                        None => format!("{head}，待重发"),
                        Some((month, day, t)) => format!(
                            "{head}，已于{day}在{month}批次重发补足（{}）",
                            match t {
                                Timeliness::OnTime { .. } => "未逾期".to_string(),
                                Timeliness::Late { working_days_late } => format!("逾期{working_days_late}个工作日"),
                            }
                        ),
                    }
                })
                .collect();
            Verdict::Committed {
                pay_date,
                timeliness,
                late_reason: facts.late_reason.clone(),
                full: shortfall == Decimal::ZERO && facts.shortfalls.is_empty() && open == 0,
                shortfall,
                shortfalls,
                returned,
                reissued: from_fen(reissued),
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
        let short = short
            .iter()
            .map(|s| ShortItem {
                who: s.to_string(), amount_fen: Some(entitled - paid), why: "缺少银行账号".into()
            })
            .collect();
        MonthFacts {
            month: "2024-03".parse().unwrap(),
            committed,
            pay_date: committed.filter(|c| *c).map(|_| NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()),
            late_reason: None,
            entitled_fen: Some(entitled),
            regular_paid_fen: paid,
            shortfalls: short,
            returned: Vec::new(),
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
        let b_facts = facts(Some(true), 100000 + 257167, 100000, &["武建（519909196111088853）"]);
        let b = audit_month(&b_facts, d("2024-03-20"), on_time.clone());
        assert!(b.short() && !b.late());
        let Verdict::Committed { shortfall, shortfalls, .. } = &b.verdict else { panic!() };
        assert_eq!(*shortfall, Decimal::new(257167, 2));
        assert_eq!(shortfalls, &["武建（519909196111088853） 2,571.67元（缺少银行账号）"]);
        // --json: the same item with its amount plain.
        let plain = audit_month_with(&b_facts, d("2024-03-20"), on_time.clone(), crate::domain::money::format_yuan);
        let Verdict::Committed { shortfalls, .. } = &plain.verdict else { panic!() };
        assert_eq!(shortfalls, &["武建（519909196111088853） 2571.67元（缺少银行账号）"]);
        // 1000.00 sent, 300.00 of it returned: short by 300.00 until a 重发 makes it whole, late by 2 working days.
        let mut f = facts(Some(true), 100000, 100000, &[]);
        f.returned = vec![ReturnedItem {
            who: "叶贵树（519906196103129230）".into(),
            amount_fen: 30000,
            why: "失败：账户已销户".into(),
            reissued: None,
        }];
        let open = audit_month(&f, d("2024-03-20"), on_time.clone());
        let Verdict::Committed { full, shortfall, returned, .. } = &open.verdict else { panic!() };
        assert_eq!((*full, *shortfall), (false, Decimal::new(30000, 2)));
        assert_eq!(returned, &["叶贵树（519906196103129230） 300.00元（失败：账户已销户），待重发"]);
        f.returned[0].reissued =
            Some(("2024-04".parse().unwrap(), d("2024-04-15"), Timeliness::Late { working_days_late: 17 }));
        let whole = audit_month(&f, d("2024-03-20"), on_time.clone());
        let Verdict::Committed { full, shortfall, returned, reissued, .. } = &whole.verdict else { panic!() };
        assert_eq!((*full, *shortfall, *reissued), (true, Decimal::ZERO, Decimal::new(30000, 2)));
        assert_eq!(
            returned,
            &[
                "叶贵树（519906196103129230） 300.00元（失败：账户已销户），已于2024-04-15在2024-04批次重发补足（逾期17个工作日）"
            ]
        );
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
