//! The reporting period of a 工作总结: `2024H1`, `2024H2`, `2024` (a year), `2024Q3`, or a month range
//! `2024-01..2024-09`, as its first and last month and the words a report uses for it ("2024年上半年", "1-6月").

use super::filters::month_range;
use crate::domain::YearMonth;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Which of the five forms a period was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// `2024H1`, `2024H2`.
    HalfYear,
    /// `2024`.
    Year,
    /// `2024Q1` … `2024Q4`.
    Quarter,
    /// `2024-01..2024-09`.
    Months,
}

/// A reporting period: every month from `first` to `last`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub first: YearMonth,
    pub last: YearMonth,
}

/// Why a period did not parse; the message is for users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodError(pub String);

impl fmt::Display for PeriodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for PeriodError {}

const FORMS: &str =
    "2024H1（上半年）、2024H2（下半年）、2024（全年）、2024Q3（第三季度）或 2024-01..2024-09（月份范围）";

fn ym(year: i32, month: u32) -> Option<YearMonth> {
    YearMonth::new(year, month)
}

impl Period {
    /// Every month of the period, in order.
    pub fn months(&self) -> impl Iterator<Item = YearMonth> {
        self.first.through(self.last)
    }

    /// Number of months in the period.
    pub fn len(&self) -> u32 {
        (self.first.months_until(self.last) + 1) as u32
    }

    /// Never true: a period has at least one month. (For clippy's `len_without_is_empty`.)
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, month: YearMonth) -> bool {
        self.first <= month && month <= self.last
    }

    /// The canonical text: `2024H1`, `2024`, `2024Q3`, `2024-01..2024-09`.
    pub fn code(&self) -> String {
        let y = self.first.year();
        match self.kind {
            PeriodKind::HalfYear => format!("{y}H{}", if self.first.month() == 1 { 1 } else { 2 }),
            PeriodKind::Year => format!("{y}"),
            PeriodKind::Quarter => format!("{y}Q{}", (self.first.month() - 1) / 3 + 1),
            PeriodKind::Months => format!("{}..{}", self.first, self.last),
        }
    }

    /// The period as a report's title and first sentence name it: "2024年上半年", "2024年下半年", "2024年",
    /// "2024年第三季度", "2024年1-9月", "2023年11月-2024年2月".
    pub fn label(&self) -> String {
        let y = self.first.year();
        match self.kind {
            PeriodKind::HalfYear if self.first.month() == 1 => format!("{y}年上半年"),
            PeriodKind::HalfYear => format!("{y}年下半年"),
            PeriodKind::Year => format!("{y}年"),
            PeriodKind::Quarter => {
                let q = (self.first.month() - 1) / 3 + 1;
                format!("{y}年第{}季度", super::filters::cn_number(q))
            }
            PeriodKind::Months if self.first.year() == self.last.year() => {
                format!("{y}年{}", month_range(self.first, self.last))
            }
            PeriodKind::Months => month_range(self.first, self.last),
        }
    }

    /// The period as a heading inside the year's report names it: "上半年", "下半年", "全年", "第三季度",
    /// "1-9月" (a range across years: "2023年11月-2024年2月").
    pub fn short_label(&self) -> String {
        match self.kind {
            PeriodKind::HalfYear if self.first.month() == 1 => "上半年".into(),
            PeriodKind::HalfYear => "下半年".into(),
            PeriodKind::Year => "全年".into(),
            PeriodKind::Quarter => format!("第{}季度", super::filters::cn_number((self.first.month() - 1) / 3 + 1)),
            PeriodKind::Months => month_range(self.first, self.last),
        }
    }

    /// The months as a statistics sentence writes them: "1-6月", "7-12月", "3月", "2023年11月-2024年2月".
    pub fn months_label(&self) -> String {
        month_range(self.first, self.last)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let bad = |why: &str| PeriodError(format!("报告期间“{s}”无效{why}：应写作 {FORMS}"));
        if let Some((a, b)) = text.split_once("..") {
            let first: YearMonth =
                a.trim().parse().map_err(|_| bad(&format!("（起始月份“{}”不是 YYYY-MM）", a.trim())))?;
            let last: YearMonth =
                b.trim().parse().map_err(|_| bad(&format!("（结束月份“{}”不是 YYYY-MM）", b.trim())))?;
            if last < first {
                return Err(bad(&format!("（结束月份 {last} 早于起始月份 {first}）")));
            }
            return Ok(Period { kind: PeriodKind::Months, first, last });
        }
        let upper = text.to_ascii_uppercase();
        let (Some(year_text), Some(rest)) = (upper.get(..4), upper.get(4..)) else {
            return Err(bad(""));
        };
        if !year_text.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad(""));
        }
        let year: i32 = year_text.parse().map_err(|_| bad(""))?;
        let range = |kind, a: u32, b: u32| match (ym(year, a), ym(year, b)) {
            (Some(first), Some(last)) => Ok(Period { kind, first, last }),
            _ => Err(bad("（年份应在 1900 至 9999 之间）")),
        };
        match rest {
            "" => range(PeriodKind::Year, 1, 12),
            "H1" => range(PeriodKind::HalfYear, 1, 6),
            "H2" => range(PeriodKind::HalfYear, 7, 12),
            "Q1" | "Q2" | "Q3" | "Q4" => {
                let q: u32 = rest[1..].parse().expect("one digit");
                range(PeriodKind::Quarter, 3 * q - 2, 3 * q)
            }
            _ => Err(bad("")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        s.parse().unwrap()
    }

    #[test]
    fn the_five_forms() {
        let cases: &[(&str, &str, &str, &str, &str, u32)] = &[
            // text, first, last, code, label, months
            ("2024H1", "2024-01", "2024-06", "2024H1", "2024年上半年", 6),
            ("2024h2", "2024-07", "2024-12", "2024H2", "2024年下半年", 6),
            ("2024", "2024-01", "2024-12", "2024", "2024年", 12),
            ("2024Q3", "2024-07", "2024-09", "2024Q3", "2024年第三季度", 3),
            ("2024q1", "2024-01", "2024-03", "2024Q1", "2024年第一季度", 3),
            ("2024-01..2024-09", "2024-01", "2024-09", "2024-01..2024-09", "2024年1-9月", 9),
            (" 2023-11..2024-2 ", "2023-11", "2024-02", "2023-11..2024-02", "2023年11月-2024年2月", 4),
            ("2024-03..2024-03", "2024-03", "2024-03", "2024-03..2024-03", "2024年3月", 1),
        ];
        for (text, first, last, code, label, n) in cases {
            let period = p(text);
            assert_eq!(period.first.to_string(), *first, "{text}");
            assert_eq!(period.last.to_string(), *last, "{text}");
            assert_eq!(period.code(), *code, "{text}");
            assert_eq!(period.label(), *label, "{text}");
            assert_eq!(period.len(), *n, "{text}");
            assert_eq!(period.months().count() as u32, *n, "{text}");
        }
        assert_eq!(p("2024H1").months_label(), "1-6月");
        let shorts: Vec<String> =
            ["2024H1", "2024H2", "2024", "2024Q3", "2024-01..2024-09"].iter().map(|t| p(t).short_label()).collect();
        assert_eq!(shorts, ["上半年", "下半年", "全年", "第三季度", "1-9月"]);
        assert_eq!(p("2024").months_label(), "1-12月");
        assert_eq!(p("2024Q3").months_label(), "7-9月");
        assert!(p("2024H1").contains("2024-06".parse().unwrap()));
        assert!(!p("2024H1").contains("2024-07".parse().unwrap()));
    }

    #[test]
    fn bad_periods_say_what_is_accepted() {
        let forms = "应写作 2024H1（上半年）、2024H2（下半年）、2024（全年）、2024Q3（第三季度）或 2024-01..2024-09（月份范围）";
        let cases: &[(&str, &str)] = &[
            ("2024H3", "报告期间“2024H3”无效："),
            ("2024Q5", "报告期间“2024Q5”无效："),
            ("24H1", "报告期间“24H1”无效："),
            ("上半年", "报告期间“上半年”无效："),
            ("", "报告期间“”无效："),
            ("0999", "报告期间“0999”无效（年份应在 1900 至 9999 之间）："),
            ("2024-01..2024-13", "报告期间“2024-01..2024-13”无效（结束月份“2024-13”不是 YYYY-MM）："),
            ("2024/01..2024-03", "报告期间“2024/01..2024-03”无效（起始月份“2024/01”不是 YYYY-MM）："),
            ("2024-06..2024-01", "报告期间“2024-06..2024-01”无效（结束月份 2024-01 早于起始月份 2024-06）："),
        ];
        for (text, start) in cases {
            let err = text.parse::<Period>().unwrap_err().to_string();
            assert_eq!(err, format!("{start}{forms}"), "{text}");
        }
    }
}
