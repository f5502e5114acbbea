//! A roster's dates against each other and against the day of the run. The roster records what has happened:
//! a death, a 年度确认 or a birth after today has not happened — a typing slip (2042 for 2024), not a fact to pay
//! by (paying by it would pay a dead person, with 补发, or count a confirmation not yet made). A death after the
//! month paid but before today is a fact: paying February late with March's roster pays the person who died on
//! 5 March for February, as rule 4 says (the fixture holds such a person). Dates a reader can refuse alone
//! (before 1900, a serial of −5, year 10113) are refused where they are read (`input::fields`); these need the
//! person's other dates or today, which the CLI passes in (the core has no clock).

use crate::domain::{Problem, Problems, Recipient, YearMonth};
use chrono::NaiveDate;

/// Every recipient's first contradiction (see the module header), in roster order.
pub fn contradictions(roster: &[Recipient], today: NaiveDate) -> Problems {
    Problems(roster.iter().filter_map(|r| contradiction(r, today)).collect())
}

/// The first contradiction among the recipient's dates, if any (one per person: the others are usually the same
/// slip).
pub fn contradiction(r: &Recipient, today: NaiveDate) -> Option<Problem> {
    let at = |column: &str| r.location.to_location().with_column(column.to_string());
    let this_month = YearMonth::of(today);
    let birth = birth_month(r);
    if birth > this_month {
        return Some(
            Problem::new("BORN_IN_FUTURE", format!("身份证号中的出生年月（{birth}）在本月之后"))
                .at(at("身份证号"))
                .value(r.id.as_str().to_string())
                .hint("请对照原始证件核对身份证号。"),
        );
    }
    if let Some(d) = r.death_date {
        if d > today {
            return Some(
                Problem::new("DEATH_IN_FUTURE", "死亡日期在今天之后：尚未发生的死亡不能据以发放")
                    .at(at("死亡日期"))
                    .value(d.to_string())
                    .hint("请核对死亡日期（如年份是否录错）；人员仍在世的，状态应为“正常”，死亡日期留空。"),
            );
        }
        if YearMonth::of(d) < birth {
            return Some(
                Problem::new("DEATH_BEFORE_BIRTH", format!("死亡日期早于身份证号中的出生年月（{birth}）"))
                    .at(at("死亡日期"))
                    .value(d.to_string())
                    .hint("请核对死亡日期和身份证号。"),
            );
        }
    }
    if let Some(start) = r.start_month
        && start < birth
    {
        return Some(
            Problem::new("START_BEFORE_BIRTH", format!("起发年月早于身份证号中的出生年月（{birth}）"))
                .at(at("起发年月"))
                .value(start.to_string())
                .hint("请核对起发年月和身份证号。"),
        );
    }
    if let Some(c) = r.confirmed_on
        && c > today
    {
        return Some(
            Problem::new("CONFIRMED_IN_FUTURE", "年度确认日期在今天之后：尚未进行的确认不能据以发放")
                .at(at("年度确认日期"))
                .value(c.to_string())
                .hint("请核对年度确认日期（如年份是否录错）。"),
        );
    }
    None
}

/// The birth month in the 身份证号 (digits 7–12; `IdCard::parse` has checked the date exists): read from the
/// digits, no date built, as this is asked of every person of a province's roster.
fn birth_month(r: &Recipient) -> YearMonth {
    let b = r.id.as_str().as_bytes();
    let num = |s: &[u8]| s.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    YearMonth::new(num(&b[6..10]) as i32, num(&b[10..12])).expect("a 身份证号's birth month exists")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::standards::tests::{ID1, date, person};
    use crate::domain::Status;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    /// The message in full, as `check` and `pay` print it.
    fn shown(r: &Recipient, today: &str) -> Option<String> {
        contradiction(r, date(today)).map(|p| p.to_string())
    }

    #[test]
    fn a_death_after_today_is_refused_and_one_after_the_month_paid_is_not() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.status = Status::Deceased;
        r.death_date = Some(date("2024-03-05"));
        // Paying February on 10 March with a roster that records the death on 5 March: a fact, paid (rule 4).
        assert_eq!(shown(&r, "2024-03-10"), None);
        assert_eq!(shown(&r, "2024-03-05"), None);
        assert_eq!(
            shown(&r, "2024-03-04").unwrap(),
            "roster.xlsx 工作表「花名册」第5行「死亡日期」列：死亡日期在今天之后：尚未发生的死亡不能据以发放\
             （值：“2024-03-05”）。请核对死亡日期（如年份是否录错）；人员仍在世的，状态应为“正常”，死亡日期留空。 \
             [DEATH_IN_FUTURE]"
        );
        // 9999-12-31 is refused by the reader; a year the reader lets through (up to 2200) is refused here.
        r.death_date = Some(date("2200-12-31"));
        assert_eq!(contradiction(&r, date("2026-12-07")).unwrap().code, "DEATH_IN_FUTURE");
    }

    #[test]
    fn a_confirmation_after_today_is_refused() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.confirmed_on = Some(date("2024-04-01"));
        assert_eq!(shown(&r, "2024-04-01"), None);
        let p = contradiction(&r, date("2024-03-31")).unwrap();
        assert_eq!((p.code, p.value.as_deref()), ("CONFIRMED_IN_FUTURE", Some("2024-04-01")));
        assert_eq!(p.location.unwrap().column.as_deref(), Some("年度确认日期"));
    }

    #[test]
    fn dates_before_the_birth_in_the_id_are_refused() {
        // ID1 = 440304198001010017: born 1980-01-01.
        let mut r = person(5, ID1, "残疾军人", &[]);
        assert_eq!(shown(&r, "1980-01-01"), None);
        assert_eq!(contradiction(&r, date("1979-12-31")).unwrap().code, "BORN_IN_FUTURE");
        r.start_month = Some(ym("1979-12"));
        assert_eq!(
            shown(&r, "2024-03-01").unwrap(),
            "roster.xlsx 工作表「花名册」第5行「起发年月」列：起发年月早于身份证号中的出生年月（1980-01）（值：“1979-12”）。\
             请核对起发年月和身份证号。 [START_BEFORE_BIRTH]"
        );
        r.start_month = Some(ym("1980-01"));
        r.status = Status::Deceased;
        r.death_date = Some(date("1979-12-31"));
        assert_eq!(contradiction(&r, date("2024-03-01")).unwrap().code, "DEATH_BEFORE_BIRTH");
        r.death_date = Some(date("1980-01-01"));
        assert_eq!(shown(&r, "2024-03-01"), None);
        assert!(contradictions(&[r.clone(), r], date("2024-03-01")).is_empty());
    }
}
