//! 抚恤关系转移 (rule 10 of docs/domain.md, 伤残抚恤管理办法 第二十三条): which county pays a month for a person who
//! moved — the old county every month before the handover month of `TransferRule`, the new county from it — and
//! the check that a 迁出年月 is not before the county ever paid the person. Apart from `eligibility` because it
//! needs the run's `Rules`, which themselves hold `eligibility`'s `ConfirmationRule`.

use super::eligibility::{NotPaid, eligible};
use super::rules::{Rules, TransferRule};
use crate::domain::{Problem, Recipient, YearMonth};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::exception::ExceptionKind;
    use crate::compute::standards::tests::{ID1, person};
    use crate::domain::Status;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
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
