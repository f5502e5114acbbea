//! The 按县（市、区）breakdown of a city's report, from two counties' figures built in memory (no ledger): the city
//! template rendered and reviewed as a snapshot, its figures worked out by hand, and a county template given
//! several counties carrying the table anyway.

use youfu::config::Config;
use youfu::domain::{PaidLine, PaymentKind};
use youfu::report::render::Templates;
use youfu::report::{CountySummary, LineSummary, MonthStatus, Period, Report, build_from_counties};

fn line(id: &str, category: &str, batch: &str, period: &str, kind: PaymentKind, fen: i64) -> PaidLine {
    PaidLine {
        line_id: 0,
        batch_id: 0,
        batch_month: batch.parse().unwrap(),
        id: id.into(),
        name: String::new(),
        category: category.into(),
        town: String::new(),
        item: if kind == PaymentKind::Funeral { "丧葬补助".into() } else { "定期抚恤金".into() },
        period: period.parse().unwrap(),
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

/// `fen` a month to `id` for each month of `months`.
fn monthly(id: &str, category: &str, months: &[&str], fen: i64) -> Vec<PaidLine> {
    months.iter().map(|m| line(id, category, m, m, PaymentKind::Regular, fen)).collect()
}

const H1: [&str; 6] = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"];

/// 东城区 (110101): A 残疾军人 1,234.50 × 6 = 7,407.00 and a 补发 of 100.25 in March for 2023-12; B 烈士遗属
/// 2,000.00 × 6 = 12,000.00. Total 19,507.25, 2 persons, 12 人次.
/// 西城区 (110102): C 残疾军人 980.00 × 6 = 5,880.00; D 残疾军人 1,500.00 × 6 = 9,000.00; E 病故军人遗属 1,800.00 × 3 =
/// 5,400.00 and a 丧葬补助 of 10,800.00 in April. Total 31,080.00, 3 persons, 15 人次.
/// The city: 50,587.25, 5 persons, 27 人次; 残疾军人 7,407.00 + 100.25 + 5,880.00 + 9,000.00 = 22,387.25 (3 persons),
/// 病故军人遗属 5,400.00 + 10,800.00 = 16,200.00 (1), 烈士遗属 12,000.00 (1).
fn two_counties(period: &Period) -> Vec<CountySummary> {
    let mut east = monthly("A", "残疾军人", &H1, 123_450);
    east.push(line("A", "残疾军人", "2024-03", "2023-12", PaymentKind::Arrears, 10_025));
    east.extend(monthly("B", "烈士遗属", &H1, 200_000));
    let mut west = monthly("C", "残疾军人", &H1, 98_000);
    west.extend(monthly("D", "残疾军人", &H1, 150_000));
    west.extend(monthly("E", "病故军人遗属", &H1[..3], 180_000));
    west.push(line("E", "病故军人遗属", "2024-04", "2024-04", PaymentKind::Funeral, 1_080_000));
    // Given west first: the table is in code order whatever the order read.
    vec![
        CountySummary {
            code: "110102".into(),
            name: "西城区".into(),
            summary: LineSummary::of_lines(period, &west),
            missing: vec![],
        },
        CountySummary {
            code: "110101".into(),
            name: "东城区".into(),
            summary: LineSummary::of_lines(period, &east),
            missing: vec![],
        },
    ]
}

fn city_config() -> Config {
    Config { unit: "示例市退役军人事务局".into(), ..Config::default() }
}

fn report(template: &str, counties: &[CountySummary], period: &Period) -> Report {
    let t = Templates::builtin().get(template).unwrap().clone();
    let months: Vec<MonthStatus> =
        period.months().map(|month| MonthStatus { month, committed: true, on_time: Some(true) }).collect();
    build_from_counties(*period, &t, &city_config(), counties, &months, None, &[]).unwrap()
}

#[test]
fn the_city_report_has_each_county_and_a_total_equal_to_their_sum() {
    let h1: Period = "2024H1".parse().unwrap();
    let r = report("city", &two_counties(&h1), &h1);
    let b = &r.by_county;
    assert_eq!(b.total.totals.amount.to_string(), "50587.25");
    assert_eq!((b.total.totals.persons, b.total.totals.person_times), (5, 27));
    assert_eq!(r.figures.lines.totals, b.total.totals); // the text's totals are the table's
    let rows: Vec<(&str, String)> = b.counties.iter().map(|c| (c.name.as_str(), c.totals.amount.to_string())).collect();
    assert_eq!(rows, [("东城区", "19507.25".to_string()), ("西城区", "31080.00".to_string())]);
    assert_eq!(b.categories, ["残疾军人", "病故军人遗属", "烈士遗属"]);
    // The table's lines, exact to the 分.
    let table = &b.table;
    for row in [
        "| 东城区 | 残疾军人 | 1 | 7,507.25 |",
        "|  | 烈士遗属 | 1 | 12,000.00 |",
        "|  | 小计 | 2 | 19,507.25 |",
        "| 西城区 | 残疾军人 | 2 | 14,880.00 |",
        "|  | 病故军人遗属 | 1 | 16,200.00 |",
        "|  | 小计 | 3 | 31,080.00 |",
        "| 合计 | 残疾军人 | 3 | 22,387.25 |",
        "|  | 总计 | 5 | 50,587.25 |",
    ] {
        assert!(table.lines().any(|l| l == row), "{row} not in\n{table}");
    }
    // 喜报 figures come from a metrics sheet, not given here: X.
    assert_eq!(r.rendered.missing, ["metrics[\"喜报份数\"]", "metrics[\"喜报慰问金\"]"]);
    insta::assert_snapshot!("city_2024H1_two_counties", r.rendered.text);
    let side = r.sidecar();
    assert_eq!(
        side["counties"],
        serde_json::json!([{"code": "110101", "name": "东城区"}, {"code": "110102", "name": "西城区"}])
    );
    assert!(side["selection"].as_str().unwrap().contains("2 个县（市、区）各自"), "{}", side["selection"]);
}

#[test]
fn a_county_template_given_several_counties_ends_with_the_table() {
    let h1: Period = "2024H1".parse().unwrap();
    let counties = two_counties(&h1);
    let r = report("half", &counties, &h1);
    let b = &r.by_county;
    assert!(
        r.rendered.text.ends_with(&format!("\n2024年上半年各县（市、区）优抚资金发放情况：\n\n{}", b.table)),
        "{}",
        r.rendered.text
    );
    // One county: no table unless the template asks for it.
    let one = report("half", &counties[1..], &h1);
    assert!(!one.rendered.text.contains("| 县（市、区） |"), "{}", one.rendered.text);
    assert_eq!(one.figures.lines.totals.amount.to_string(), "19507.25");
}

/// The sidecar says where each county's figures come from and how the 合计 is made.
#[test]
fn the_sidecar_traces_each_county_and_the_total() {
    let h1: Period = "2024H1".parse().unwrap();
    let side = report("city", &two_counties(&h1), &h1).sidecar();
    let figure = |name: &str| side["figures"].as_array().unwrap().iter().find(|f| f["name"] == name).cloned().unwrap();
    assert_eq!(figure("by_county[\"110102\"].totals.amount")["value"], "31080.00");
    assert_eq!(figure("by_county[\"110101\"].by_category[\"烈士遗属\"].amount")["value"], "12000.00");
    let total = figure("by_county.total");
    assert_eq!(total["value"], serde_json::json!({"amount": "50587.25", "persons": 5}));
    assert!(total["how"].as_str().unwrap().starts_with("2 个县（市、区）各项之和"), "{total}");
}

/// A month one county has not committed: the closing 注 names that county (name and code) and its months, not a
/// combined "not committed" month that would hide whose it is and read as if nobody paid. Here 西城区 is said to
/// have no committed batch for March and May–June 2024, 东城区 all six months (the figures are `two_counties`' as
/// they are: only the months' words are checked); a third county without a name in `[counties]` misses January
/// and is shown by its code.
#[test]
fn the_note_names_the_counties_that_have_not_committed_a_month() {
    let h1: Period = "2024H1".parse().unwrap();
    let mut counties = two_counties(&h1);
    counties[0].missing = vec!["2024-03".parse().unwrap(), "2024-05".parse().unwrap(), "2024-06".parse().unwrap()];
    let t = Templates::builtin().get("city").unwrap().clone();
    // The combined status: March, May and June are not committed by every county.
    let months: Vec<MonthStatus> = period_months(&h1, &["2024-03", "2024-05", "2024-06"]);
    let r = build_from_counties(h1, &t, &city_config(), &counties, &months, None, &[]).unwrap();
    let note = "注：以下县（市、区）本期有月份在台账中没有已确认的发放：西城区（110102）2024年3月、5—6月。\
                本文各项数字只统计各县（市、区）已确认发放的批次，不含上述县（市、区）的这些月份。\n";
    assert!(r.rendered.text.ends_with(&format!("\n\n{note}")), "{}", r.rendered.text);
    // Not the county report's combined 注 ("2024年3月、5—6月台账中没有已确认的发放").
    assert!(!r.rendered.text.contains("3月、5—6月台账中没有"), "{}", r.rendered.text);
    insta::assert_snapshot!("city_2024H1_one_county_missing_months", r.rendered.text);

    let mut third = counties[1].clone();
    (third.code, third.name, third.missing) = ("110105".into(), "110105".into(), vec!["2024-01".parse().unwrap()]);
    counties.push(third);
    let months = period_months(&h1, &["2024-01", "2024-03", "2024-05", "2024-06"]);
    let r = build_from_counties(h1, &t, &city_config(), &counties, &months, None, &[]).unwrap();
    assert!(
        r.rendered.text.ends_with(
            "注：以下县（市、区）本期有月份在台账中没有已确认的发放：西城区（110102）2024年3月、5—6月；110105 2024年1月。\
             本文各项数字只统计各县（市、区）已确认发放的批次，不含上述县（市、区）的这些月份。\n"
        ),
        "{}",
        r.rendered.text
    );
    // Every county committed every month: no 注.
    let all = report("city", &two_counties(&h1), &h1);
    assert!(!all.rendered.text.contains("注：以下县"), "{}", all.rendered.text);
}

/// The months of `period`, those in `missing` not committed (by every county), the others on time.
fn period_months(period: &Period, missing: &[&str]) -> Vec<MonthStatus> {
    period
        .months()
        .map(|month| {
            let committed = !missing.contains(&month.to_string().as_str());
            MonthStatus { month, committed, on_time: committed.then_some(true) }
        })
        .collect()
}
