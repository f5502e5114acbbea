//! A roster's dates against the month being paid: the roster records what has happened by the time a month is
//! paid, so a death, a 年度确认 or a birth after that month contradicts it — a typing slip (2042 for 2024), not a
//! fact to pay by. Paying by it would pay a dead person, or count a confirmation that has not happened. Each is
//! refused with the row and column (`check`, `pay` and `explain` all go through `compute_month`). The dates a
//! reader can refuse alone (before 1900, a serial of −5, year 10113) are refused where they are read
//! (`input::fields`); these need the month, which only the pure core is given.

use crate::domain::{Problem, Recipient, YearMonth};
use chrono::NaiveDate;

/// The first contradiction between the recipient's dates and `month`, if any (one per person: the others are
/// usually the same slip).
pub fn contradiction(r: &Recipient, month: YearMonth) -> Option<Problem> {
    let at = |column: &str| r.location.to_location().with_column(column.to_string());
    let birth = birth_month(r);
    if birth > month {
        return Some(
            Problem::new(
                "BORN_AFTER_MONTH",
                format!("身份证号中的出生年月（{birth}）晚于所发放的月份 {month}"),
            )
            .at(at("身份证号"))
            .value(r.id.as_str().to_string())
            .hint("请对照原始证件核对身份证号；如在核对以前的月份，请用当时的花名册。"),
        );
    }
    if let Some(d) = r.death_date {
        if YearMonth::of(d) > month {
            return Some(
                Problem::new("DEATH_AFTER_MONTH", format!("死亡日期晚于所发放的月份 {month}：尚未发生的死亡不能据以发放"))
                    .at(at("死亡日期"))
                    .value(d.to_string())
                    .hint(format!(
                        "请核对死亡日期（如年份是否录错）。人员在 {month} 仍在世的，状态应为“正常”，死亡日期留空。"
                    )),
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
        && YearMonth::of(c) > month
    {
        return Some(
            Problem::new(
                "CONFIRMED_AFTER_MONTH",
                format!("年度确认日期晚于所发放的月份 {month}：尚未进行的确认不能据以发放"),
            )
            .at(at("年度确认日期"))
            .value(c.to_string())
            .hint(format!(
                "请核对年度确认日期（如年份是否录错）；如在 {month} 之后补发以前的月份，请用当时的花名册。"
            )),
        );
    }
    None
}

/// The birth month in the 身份证号 (digits 7–12; `IdCard::parse` has checked the date exists): read from the
/// digits, no date built, as this is asked of every person of a province's roster.
fn birth_month(r: &Recipient) -> YearMonth {
    let b = r.id.as_str().as_bytes();
    let num = |s: &[u8]| s.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    YearMonth::new(num(&b[6..10]) as i32, num(&b[10..12])).unwrap_or_else(|| YearMonth::of(NaiveDate::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::standards::tests::{ID1, date, person};
    use crate::domain::Status;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    /// Each message in full, as `check` and `pay` print it.
    fn shown(r: &Recipient, month: &str) -> Option<String> {
        contradiction(r, ym(month)).map(|p| p.to_string())
    }

    #[test]
    fn a_death_after_the_month_paid_is_refused_and_one_in_it_is_not() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.status = Status::Deceased;
        r.death_date = Some(date("2024-03-31"));
        // The death month is paid (rule 4): no contradiction in March, nor later.
        assert_eq!(shown(&r, "2024-03"), None);
        assert_eq!(shown(&r, "2024-07"), None);
        // Paying February with a death on 31 March: not yet happened.
        assert_eq!(
            shown(&r, "2024-02").unwrap(),
            "roster.xlsx 工作表「花名册」第5行「死亡日期」列：死亡日期晚于所发放的月份 2024-02：尚未发生的死亡不能据以发放\
             （值：“2024-03-31”）。请核对死亡日期（如年份是否录错）。人员在 2024-02 仍在世的，状态应为“正常”，死亡日期留空。 \
             [DEATH_AFTER_MONTH]"
        );
        // 9999-12-31 is refused by the reader; a year the reader lets through (up to 2200) is refused here.
        r.death_date = Some(date("2200-12-31"));
        assert_eq!(contradiction(&r, ym("2024-03")).unwrap().code, "DEATH_AFTER_MONTH");
    }

    #[test]
    fn a_confirmation_after_the_month_paid_is_refused() {
        let mut r = person(5, ID1, "残疾军人", &[]);
        r.confirmed_on = Some(date("2024-04-01"));
        assert_eq!(shown(&r, "2024-04"), None);
        let p = contradiction(&r, ym("2024-03")).unwrap();
        assert_eq!((p.code, p.value.as_deref()), ("CONFIRMED_AFTER_MONTH", Some("2024-04-01")));
        assert_eq!(p.location.unwrap().column.as_deref(), Some("年度确认日期"));
    }

    #[test]
    fn dates_before_the_birth_in_the_id_are_refused() {
        // ID1 = 440304198001010017: born 1980-01-01.
        let mut r = person(5, ID1, "残疾军人", &[]);
        assert_eq!(shown(&r, "1980-01"), None);
        assert_eq!(contradiction(&r, ym("1979-12")).unwrap().code, "BORN_AFTER_MONTH");
        r.start_month = Some(ym("1979-12"));
        assert_eq!(
            shown(&r, "2024-03").unwrap(),
            "roster.xlsx 工作表「花名册」第5行「起发年月」列：起发年月早于身份证号中的出生年月（1980-01）（值：“1979-12”）。\
             请核对起发年月和身份证号。 [START_BEFORE_BIRTH]"
        );
        r.start_month = Some(ym("1980-01"));
        r.status = Status::Deceased;
        r.death_date = Some(date("1979-12-31"));
        assert_eq!(contradiction(&r, ym("2024-03")).unwrap().code, "DEATH_BEFORE_BIRTH");
        r.death_date = Some(date("1980-01-01"));
        assert_eq!(shown(&r, "2024-03"), None);
    }
}
