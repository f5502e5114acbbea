//! The 按县（市、区）breakdown of a report over several counties (a city's or a province's, from a shared ledger):
//! each county's figures side by side, counties in code order, and the whole as their sum — a pure function, no IO.
//!
//! Sums: the whole (`combined`) adds the counties' groups field by field, so the 合计 of the table is exactly the
//! sum of its rows and the text's totals are the table's. 金额 and 人次 add up without loss (a person's payment
//! of one 项目 and 所属期 is made by one county only: the shared ledger refuses a second). 人数 counts each county's
//! distinct 身份证号: a person whose 抚恤关系 moved between two of the counties within the period counts once in each,
//! so the whole's 人数 is the sum of the counties' (the sidecar says so).

use super::figures::{Group, LineSummary, MonthTotal, NamedGroup, month_ranges, sort_named_groups};
use crate::domain::YearMonth;
use crate::domain::money::yuan_grouped;
use serde::Serialize;
use std::collections::BTreeMap;

/// One county's figures: its 行政区划代码, the name to show and the summary of its lines of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountySummary {
    pub code: String,
    pub name: String,
    pub summary: LineSummary,
    /// Months of the period for which the county has no committed batch (in month order): a city's report names
    /// them (`missing_note`) rather than letting a combined month status hide whose they are.
    pub missing: Vec<YearMonth>,
}

impl CountySummary {
    /// "示例乙县（110105）", or the code alone when no name is known.
    pub fn label(&self) -> String {
        if self.name.is_empty() || self.name == self.code {
            self.code.clone()
        } else {
            format!("{}（{}）", self.name, self.code)
        }
    }
}

/// The counties with months of the period not committed, in code order, each with those months written as
/// ranges: "示例乙县（110105）2024年3月；110106 2024年5—6月". `None` when every county committed every month.
pub fn missing_counties(counties: &[CountySummary]) -> Option<String> {
    let mut sorted: Vec<&CountySummary> = counties.iter().filter(|c| !c.missing.is_empty()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    let parts: Vec<String> = sorted
        .iter()
        .map(|c| {
            let label = c.label();
            // A bare code and the year's digits would run together: a space between them.
            let gap = if label == c.code { " " } else { "" };
            format!("{label}{gap}{}", month_ranges(&c.missing))
        })
        .collect();
    Some(parts.join("；"))
}

/// The 注 a report over several counties ends with when some county has months of the period without a committed
/// batch: which counties and months, and that the figures count only what was committed. `None` when all did.
pub fn missing_note(counties: &[CountySummary]) -> Option<String> {
    let which = missing_counties(counties)?;
    Some(format!(
        "注：以下县（市、区）本期有月份在台账中没有已确认的发放：{which}。本文各项数字只统计各县（市、区）已确认发放的批次，不含上述县（市、区）的这些月份。"
    ))
}

/// One row group of the breakdown: a county (or the 合计), its totals and its groups by 类别 in the breakdown's
/// category order (categories it has no line of left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountyRow {
    pub code: String,
    pub name: String,
    pub totals: Group,
    pub by_category: Vec<NamedGroup>,
}

/// The breakdown as the templates see it (`by_county`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    /// "县" for one county, "市" when every code lies in one prefecture (same first four digits), "省" when in one
    /// province (same first two), else "".
    pub level: String,
    /// How the text names the whole: 全县, 全市, 全省, or 各地 for counties of several provinces.
    pub area: String,
    /// Number of counties.
    pub count: usize,
    /// Number of counties with a month of the period not committed (named in the closing 注): the text then
    /// speaks of the months committed, not of every month.
    pub missing: usize,
    /// The 类别 of all counties, in the whole's order (largest 金额 first, then by name).
    pub categories: Vec<String>,
    /// In code order.
    pub counties: Vec<CountyRow>,
    /// The sum of the rows, named 合计.
    pub total: CountyRow,
    /// The table in the markup the report writers read (`| … |` rows; a table in the .docx, tab-separated in
    /// the .txt).
    pub table: String,
}

fn add(a: &Group, b: &Group) -> Group {
    Group {
        person_times: a.person_times + b.person_times,
        persons: a.persons + b.persons,
        lines: a.lines + b.lines,
        amount: a.amount + b.amount,
    }
}

fn add_named(into: &mut BTreeMap<String, Group>, groups: &[NamedGroup]) {
    for g in groups {
        let sum = into.entry(g.name.clone()).or_default();
        *sum = add(sum, &g.group);
    }
}

/// The whole of several counties: every group the sum of the counties' (see the module header for 人数). Named
/// groups are ordered as `LineSummary` orders them; `by_month` has the months of the first county's summary.
pub fn combined(counties: &[CountySummary]) -> LineSummary {
    let mut whole = LineSummary::default();
    let (mut cats, mut items, mut towns) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let mut months: Vec<MonthTotal> = counties.first().map(|c| c.summary.by_month.clone()).unwrap_or_default();
    for m in &mut months {
        m.lines = 0;
        m.amount = rust_decimal::Decimal::ZERO;
    }
    for c in counties {
        let s = &c.summary;
        whole.totals = add(&whole.totals, &s.totals);
        whole.regular = add(&whole.regular, &s.regular);
        whole.arrears = add(&whole.arrears, &s.arrears);
        whole.funeral = add(&whole.funeral, &s.funeral);
        whole.reissued = add(&whole.reissued, &s.reissued);
        whole.returned = add(&whole.returned, &s.returned);
        add_named(&mut cats, &s.by_category);
        add_named(&mut items, &s.by_item);
        add_named(&mut towns, &s.by_town);
        for m in &s.by_month {
            if let Some(t) = months.iter_mut().find(|t| t.month == m.month) {
                t.lines += m.lines;
                t.amount += m.amount;
            }
        }
    }
    // The named groups come named already ("（未填）" for an empty name): sorting keeps the names.
    whole.by_category = sort_named_groups(cats);
    whole.by_item = sort_named_groups(items);
    whole.by_town = sort_named_groups(towns);
    whole.by_month = months;
    whole
}

/// The level and the word for the whole, from the codes (GB/T 2260: province, prefecture, county digits).
fn level(codes: &[&str]) -> (&'static str, &'static str) {
    let same = |n: usize| codes.windows(2).all(|w| w[0].get(..n) == w[1].get(..n));
    match codes.len() {
        0 | 1 => ("县", "全县"),
        _ if same(4) => ("市", "全市"),
        _ if same(2) => ("省", "全省"),
        _ => ("", "各地"),
    }
}

/// The breakdown of `counties` (any order: rows are put in code order).
pub fn breakdown(counties: &[CountySummary]) -> Breakdown {
    let mut sorted: Vec<&CountySummary> = counties.iter().collect();
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    let whole = combined(counties);
    let categories: Vec<String> = whole.by_category.iter().map(|g| g.name.clone()).collect();
    let in_order = |groups: &[NamedGroup]| -> Vec<NamedGroup> {
        categories.iter().filter_map(|name| groups.iter().find(|g| &g.name == name).cloned()).collect()
    };
    let rows: Vec<CountyRow> = sorted
        .iter()
        .map(|c| CountyRow {
            code: c.code.clone(),
            name: c.name.clone(),
            totals: c.summary.totals.clone(),
            by_category: in_order(&c.summary.by_category),
        })
        .collect();
    let total = CountyRow {
        code: String::new(),
        name: "合计".to_string(),
        totals: whole.totals.clone(),
        by_category: whole.by_category.clone(),
    };
    let codes: Vec<&str> = sorted.iter().map(|c| c.code.as_str()).collect();
    let (level, area) = level(&codes);
    let mut b = Breakdown {
        level: level.to_string(),
        area: area.to_string(),
        count: rows.len(),
        missing: sorted.iter().filter(|c| !c.missing.is_empty()).count(),
        categories,
        counties: rows,
        total,
        table: String::new(),
    };
    b.table = table(&b);
    b
}

/// The table: 县（市、区）, 类别, 人数, 金额（元）; each county's categories then its 小计, and the 合计 the same way
/// (per category, then 总计). One county's table is its rows and a 合计 (the 合计 block would repeat them).
/// Amounts exact to the 分 with thousands separators.
pub fn table(b: &Breakdown) -> String {
    let mut out = String::from("| 县（市、区） | 类别 | 人数 | 金额（元） |\n| --- | --- | --- | --- |\n");
    let mut row = |county: &str, category: &str, g: &Group| {
        out.push_str(&format!("| {county} | {category} | {} | {} |\n", g.persons, yuan_grouped(g.amount, true)));
    };
    let rows: Vec<(&CountyRow, &str)> = match b.counties.as_slice() {
        [one] => vec![(one, "合计")],
        many => many.iter().map(|r| (r, "小计")).chain(std::iter::once((&b.total, "总计"))).collect(),
    };
    for (r, last) in rows {
        for (i, g) in r.by_category.iter().enumerate() {
            row(if i == 0 { &r.name } else { "" }, &g.name, &g.group);
        }
        row(if r.by_category.is_empty() { &r.name } else { "" }, last, &r.totals);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PaidLine, PaymentKind};
    use crate::report::Period;

    pub(crate) fn line(id: &str, category: &str, month: &str, kind: PaymentKind, fen: i64) -> PaidLine {
        PaidLine {
            line_id: 0,
            batch_id: 0,
            batch_month: month.parse().unwrap(),
            id: id.into(),
            name: String::new(),
            category: category.into(),
            town: String::new(),
            item: "定期抚恤金".into(),
            period: month.parse().unwrap(),
            kind,
            amount_fen: fen,
            standard_row: None,
            basis: String::new(),
            formula: String::new(),
            pay_date: None,
            reissue_of: None,
            returned: None,
            reissued_in: None,
        }
    }

    #[test]
    fn the_whole_is_the_sum_of_the_counties_and_rows_are_in_code_order() {
        let h1: Period = "2024H1".parse().unwrap();
        let county = |code: &str, name: &str, lines: &[PaidLine]| CountySummary {
            code: code.into(),
            name: name.into(),
            summary: LineSummary::of_lines(&h1, lines),
            missing: Vec::new(),
        };
        // Given in reverse order: the rows come out by code.
        let west = county(
            "110102",
            "西城区",
            &[
                line("B", "烈士遗属", "2024-01", PaymentKind::Regular, 200_000),
                line("C", "残疾军人", "2024-02", PaymentKind::Regular, 50),
            ],
        );
        let east = county(
            "110101",
            "东城区",
            &[
                line("A", "残疾军人", "2024-01", PaymentKind::Regular, 100_000),
                line("A", "残疾军人", "2024-02", PaymentKind::Arrears, 1),
            ],
        );
        let b = breakdown(&[west, east]);
        assert_eq!((b.level.as_str(), b.area.as_str(), b.count), ("市", "全市", 2));
        assert_eq!(b.counties.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["110101", "110102"]);
        // 烈士遗属 2,000.00 before 残疾军人 1,000.01 + 0.50 = 1,000.51.
        assert_eq!(b.categories, ["烈士遗属", "残疾军人"]);
        assert_eq!(b.total.totals.amount.to_string(), "3000.51"); // 100000 + 1 + 200000 + 50 分
        assert_eq!((b.total.totals.persons, b.total.totals.person_times, b.total.totals.lines), (3, 3, 4));
        let sum = b.counties.iter().fold(Group::default(), |s, r| add(&s, &r.totals));
        assert_eq!(sum, b.total.totals);
        // The provinces' level words.
        assert_eq!(level(&["110101", "120101"]), ("", "各地"));
        assert_eq!(level(&["440101", "441900"]), ("省", "全省"));
        assert_eq!(level(&["110101"]), ("县", "全县"));
    }

    #[test]
    fn one_county_s_table_is_its_rows_and_a_total() {
        let h1: Period = "2024H1".parse().unwrap();
        let lines = [
            line("A", "残疾军人", "2024-01", PaymentKind::Regular, 100_000),
            line("B", "烈士遗属", "2024-01", PaymentKind::Regular, 50),
        ];
        let b = breakdown(&[CountySummary {
            code: "110101".into(),
            name: "东城区".into(),
            summary: LineSummary::of_lines(&h1, &lines),
            missing: Vec::new(),
        }]);
        assert_eq!(
            b.table,
            "| 县（市、区） | 类别 | 人数 | 金额（元） |\n| --- | --- | --- | --- |\n\
             | 东城区 | 残疾军人 | 1 | 1,000.00 |\n|  | 烈士遗属 | 1 | 0.50 |\n|  | 合计 | 2 | 1,000.50 |\n"
        );
    }
}
