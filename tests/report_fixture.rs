//! The report drafted from a six-month ledger built from the fixture roster and standards (2024-01..2024-06): all
//! three built-in templates rendered, reviewed snapshots, and every number of the drafts checked against sums the
//! test computes itself from the monthly batches.

use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::path::Path;
use youfu::compute::paid::PaidIndex;
use youfu::compute::{History, StandardTable, compute_month};
use youfu::config::Config;
use youfu::domain::money::to_fen;
use youfu::domain::{Categories, ConfirmationRow, PaidLine, PaymentKind, Recipient, Status, YearMonth};
use youfu::input::{read_roster, read_standards};
use youfu::report::filters::{approx, pct, wan, yuan};
use youfu::report::metrics::{for_period, metrics_from_table};
use youfu::report::render::Templates;
use youfu::report::{Metric, MonthStatus, Period};
use youfu::report::{Report, build};

fn ym(s: &str) -> YearMonth {
    s.parse().unwrap()
}

/// The fixture set, and six committed months: each month computed with the history of the months before, as the
/// pay command will. One line is held back from the ledger to make a 补发: 梁学's 护理费 for 2024-01 (5145.00 元)
/// is left out of January's batch, so February's batch pays it as arrears.
struct Fixture {
    config: Config,
    roster: Vec<Recipient>,
    lines: Vec<PaidLine>,
    months: Vec<MonthStatus>,
}

const HELD_BACK_ID: &str = "519902195812281614"; // 梁学, row 46
const HELD_BACK_ITEM: &str = "护理费";

fn fixture() -> Fixture {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let config = Config::load(&dir.join("youfu.toml")).unwrap();
    let cats = Categories::new(&config.categories.extra, &config.categories.aliases);
    let roster = read_roster(&dir.join("roster.xlsx"), &cats).unwrap();
    let table = StandardTable::new(read_standards(&dir.join("standards.csv"), &cats).unwrap()).unwrap();
    let mut history = History::default();
    let mut lines = Vec::new();
    let mut months = Vec::new();
    for m in ym("2024-01").through(ym("2024-06")) {
        let batch = compute_month(m, &roster, &table, &config.rules(), &history).unwrap();
        for p in &batch.payments {
            let r = &roster[p.recipient];
            if m == ym("2024-01") && r.id.as_str() == HELD_BACK_ID && *p.item == *HELD_BACK_ITEM {
                continue;
            }
            lines.push(PaidLine {
                line_id: 0,
                batch_id: 0,
                batch_month: m,
                id: r.id.as_str().to_string(),
                name: r.name.to_string(),
                category: r.category.to_string(),
                town: r.town.to_string(),
                item: p.item.to_string(),
                period: p.period,
                kind: p.kind,
                amount_fen: to_fen(p.amount).unwrap(),
                standard_row: None,
                basis: String::new(),
                formula: String::new(),
                pay_date: m.day(15),
                reissue_of: None,
                returned: None,
                reissued_in: None,
            });
        }
        // What the ledger now knows.
        history.first_committed.get_or_insert(m);
        history.arrears_months.push(m);
        for l in lines.iter().filter(|l| l.batch_month == m && l.kind == PaymentKind::Funeral) {
            history.funeral_paid.insert(l.id.clone());
        }
        let paid = lines.iter().filter(|l| l.kind != PaymentKind::Funeral);
        history.paid = PaidIndex::from_lines(
            &roster,
            &history.arrears_months,
            paid.map(|l| (l.id.as_str(), l.item.as_str(), l.period, l.amount_fen)),
        );
        months.push(MonthStatus { month: m, committed: true, on_time: Some(true) });
    }
    Fixture { config, roster, lines, months }
}

/// The report writer's sheet of named figures (sample values). 走访慰问人次 is blank and 春节慰问金人次 is "X": not
/// counted yet. 体检人次 and 体检率 are not in the sheet at all.
const METRICS: &str = "\
示例县2024年指标表（示例数据）
指标,数值,单位,期间
喜报份数,96,份,2024H1
喜报慰问金,57600,元,2024H1
走访慰问人次,,人次,2024H1
走访慰问金额,386500,元,2024H1
喜报份数,188,份,2024
喜报慰问金,112800.50,元,2024
春节慰问金人次,X,人次,
信访件数,37,件,
来访人次,415,人次,
";

fn metrics(period: &Period) -> Vec<Metric> {
    let table = youfu::input::sheet::table_from_csv_bytes("metrics.csv", METRICS.as_bytes()).unwrap();
    for_period(&metrics_from_table(&table).unwrap(), period).unwrap()
}

fn report(f: &Fixture, period: &str, template: &str, months: &[MonthStatus]) -> Report {
    let period: Period = period.parse().unwrap();
    let t = Templates::builtin().get(template).unwrap().clone();
    let rows: Vec<ConfirmationRow> = f.roster.iter().map(ConfirmationRow::of).collect();
    build(period, &t, &f.config, &f.lines, months, Some(&rows), &metrics(&period)).unwrap()
}

/// Sums computed here, independently of `report::figures`, from the ledger lines of the period.
#[derive(Debug, Default)]
struct Sums {
    fen: i64,
    persons: BTreeSet<String>,
    times: BTreeSet<(String, YearMonth)>,
}

fn sums<'a>(lines: impl Iterator<Item = &'a PaidLine>, all_kinds_count: bool) -> Sums {
    let mut s = Sums::default();
    for l in lines {
        s.fen += l.amount_fen;
        s.persons.insert(l.id.clone());
        if all_kinds_count || l.kind == PaymentKind::Regular {
            s.times.insert((l.id.clone(), l.period));
        }
    }
    s
}

fn yuan_of(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

#[test]
fn totals_reconcile_with_the_ledger_to_the_fen() {
    let f = fixture();
    let r = report(&f, "2024H1", "half", &f.months);
    let fig = &r.figures;
    // 2161 正常 lines 3,234,046.15 + 1 补发 (梁学 护理费 2024-01: 61740/12 = 5145.00)
    // + 2 丧葬补助 (史春 烈士遗属 6 × 2471.67 = 14830.02; 高才民 残疾军人五级因战 died of illness: 12 × 4789.17 = 57470.04)
    // = 3,311,491.21 元
    assert_eq!(fig.lines.totals.amount, Decimal::new(331149121, 2));
    assert_eq!(fig.lines.totals.lines, 2164);
    assert_eq!(fig.lines.arrears.amount, Decimal::new(514500, 2));
    assert_eq!((fig.lines.arrears.lines, fig.lines.arrears.persons, fig.lines.arrears.person_times), (1, 1, 1));
    assert_eq!(fig.lines.funeral.amount, Decimal::new(1483002 + 5747004, 2));
    assert_eq!((fig.lines.funeral.lines, fig.lines.funeral.persons), (2, 2));
    assert_eq!(fig.lines.regular.amount, Decimal::new(323404615, 2));

    // The same from the lines, summed here.
    let all = sums(f.lines.iter(), false);
    assert_eq!(fig.lines.totals.amount, yuan_of(all.fen));
    assert_eq!(fig.lines.totals.persons, all.persons.len() as u64);
    assert_eq!(fig.lines.totals.person_times, all.times.len() as u64);
    // 人次 ≤ 6 months × 人数, and each 正常 line is one (person, month, item): more lines than 人次
    assert!(fig.lines.totals.person_times <= 6 * fig.lines.totals.persons);
    assert!(fig.lines.regular.lines > fig.lines.regular.person_times);

    // Per batch month: each equals the month's committed lines.
    let mut month_sum = 0;
    for m in &fig.lines.by_month {
        let fen: i64 = f.lines.iter().filter(|l| l.batch_month == m.month).map(|l| l.amount_fen).sum();
        assert_eq!(m.amount, yuan_of(fen), "{}", m.month);
        month_sum += fen;
    }
    assert_eq!(yuan_of(month_sum), fig.lines.totals.amount);

    // Per 类别, 项目 and 乡镇: each group as summed here, and the groups add up to the total.
    for (groups, key) in [
        (&fig.lines.by_category, (|l: &PaidLine| l.category.clone()) as fn(&PaidLine) -> String),
        (&fig.lines.by_item, |l: &PaidLine| l.item.clone()),
        (&fig.lines.by_town, |l: &PaidLine| l.town.clone()),
    ] {
        let names: BTreeSet<String> = f.lines.iter().map(key).collect();
        assert_eq!(groups.len(), names.len());
        let mut total = Decimal::ZERO;
        for g in groups.iter() {
            let s = sums(f.lines.iter().filter(|l| key(l) == g.name), false);
            assert_eq!(g.group.amount, yuan_of(s.fen), "{}", g.name);
            assert_eq!(g.group.persons, s.persons.len() as u64, "{}", g.name);
            assert_eq!(g.group.person_times, s.times.len() as u64, "{}", g.name);
            total += g.group.amount;
        }
        assert_eq!(total, fig.lines.totals.amount);
    }
}

#[test]
fn a_period_takes_lines_by_batch_month() {
    let f = fixture();
    // 2024Q1: January to March batches; the 补发 for January paid in February is in, 高才民's 丧葬补助 (paid in
    // April for 2024-03) is out.
    let r = report(&f, "2024Q1", "half", &f.months);
    let q1 = sums(f.lines.iter().filter(|l| l.batch_month <= ym("2024-03")), false);
    assert_eq!(r.figures.lines.totals.amount, yuan_of(q1.fen));
    assert_eq!(r.figures.lines.arrears.amount, Decimal::new(514500, 2));
    assert_eq!(r.figures.lines.funeral.amount, Decimal::new(1483002, 2));
    assert_eq!(r.figures.on_time.months, 3);
}

fn expected_confirmation(roster: &[Recipient], last: YearMonth) -> (u64, u64) {
    let mut required = BTreeSet::new();
    let mut confirmed = BTreeSet::new();
    let from = chrono::NaiveDate::from_ymd_opt(last.year(), 1, 1).unwrap();
    for r in roster {
        let active = matches!(r.status, Status::Normal | Status::Suspended { .. });
        if active && r.start_month.is_none_or(|m| m <= last) {
            required.insert(r.id.as_str());
            if r.confirmed_on.is_some_and(|d| d >= from && d <= last.last_day()) {
                confirmed.insert(r.id.as_str());
            }
        }
    }
    (required.len() as u64, confirmed.len() as u64)
}

#[test]
fn half_year_draft() {
    let f = fixture();
    let r = report(&f, "2024H1", "half", &f.months);
    let fig = &r.figures;
    let text = &r.rendered.text;
    let all = sums(f.lines.iter(), false);
    let (required, confirmed) = expected_confirmation(&f.roster, ym("2024-06"));
    let c = fig.confirmation.as_ref().unwrap();
    assert_eq!((c.required, c.confirmed), (required, confirmed));
    let expected = [
        format!("1-6月共为全县{}名优抚对象", approx(Decimal::from(all.persons.len()), 2, "余")),
        format!("发放各类优抚资金{}元", wan(yuan_of(all.fen), 1)),
        "331.1万元".to_string(), // 3,311,491.21 / 10000 = 331.149… → 331.1
        format!("累计{}人次", all.times.len()),
        "其中补发以前月份待遇0.51万元".to_string(), // 5145.00 → 0.5145万 → 0.51
        "为2名去世优抚对象的遗属发放丧葬补助7.23万元".to_string(), // 72300.06 → 7.23万
        "6个月中按时发放6个月，做到了按月按时到账".to_string(),
        format!(
            "应确认优抚对象{required}人，已完成确认{confirmed}人，确认率{}",
            pct(Decimal::from(confirmed) / Decimal::from(required), 1)
        ),
        "送喜报96份、送上慰问金5.76万元".to_string(), // 57600 → 5.76万
        "走访慰问优抚对象X人次，送去慰问金（品）38.65万元".to_string(), // 386500 → 38.65万; 人次 not counted yet
    ];
    for e in &expected {
        assert!(text.contains(e.as_str()), "missing {e:?} in\n{text}");
    }
    for g in &fig.lines.by_category {
        let s = sums(f.lines.iter().filter(|l| l.category == g.name), false);
        let phrase = format!("{}{}人、{}元", g.name, s.persons.len(), wan(yuan_of(s.fen), 2));
        assert!(text.contains(&phrase), "missing {phrase:?}");
    }
    assert_eq!(r.rendered.missing, vec!["metrics[\"走访慰问人次\"]"]);
    insta::assert_snapshot!("half_2024H1", text);
}

#[test]
fn itemised_draft() {
    let f = fixture();
    let r = report(&f, "2024H1", "items", &f.months);
    let text = &r.rendered.text;
    for g in &r.figures.lines.by_item {
        let s = sums(f.lines.iter().filter(|l| l.item == g.name), false);
        // 丧葬补助 has no 正常 line: its count is written in 人
        let count = match s.times.len() {
            0 => format!("{}人", s.persons.len()),
            n => format!("{n}人次"),
        };
        let phrase = format!("发放{}{count}，发放金额{}元；", g.name, yuan(yuan_of(s.fen), true));
        assert!(text.contains(&phrase), "missing {phrase:?} in\n{text}");
    }
    for g in &r.figures.lines.by_town {
        let s = sums(f.lines.iter().filter(|l| l.town == g.name), false);
        let phrase =
            format!("{}{}人、{}人次、{}元", g.name, s.persons.len(), s.times.len(), yuan(yuan_of(s.fen), true));
        assert!(text.contains(&phrase), "missing {phrase:?} in\n{text}");
    }
    for e in [
        "以上金额中含补发以前月份待遇1人次、5,145.00元。",
        "发放丧葬补助2人，发放金额72,300.06元；", // 14830.02 + 57470.04
        "台账内各项合计3,311,491.21元（大写：叁佰叁拾壹万壹仟肆佰玖拾壹元贰角壹分）",
        "发放春节慰问金X人次，发放金额X元",
        "共完成体检X人次，体检率X%",
    ] {
        assert!(text.contains(e), "missing {e:?} in\n{text}");
    }
    assert_eq!(
        r.rendered.missing,
        vec![
            "metrics[\"体检人次\"]",
            "metrics[\"体检率\"]",
            "metrics[\"春节慰问金人次\"]",
            "metrics[\"春节慰问金金额\"]"
        ]
    );
    insta::assert_snapshot!("items_2024H1", text);
}

#[test]
fn annual_draft_from_a_half_year_ledger() {
    let f = fixture();
    // The year's report run on a ledger that has January–June: the audit says July–December are not committed.
    let mut months = f.months.clone();
    for m in ym("2024-07").through(ym("2024-12")) {
        months.push(MonthStatus { month: m, committed: false, on_time: None });
    }
    let r = report(&f, "2024", "annual", &months);
    let text = &r.rendered.text;
    let all = sums(f.lines.iter(), false);
    let (_, confirmed) = expected_confirmation(&f.roster, ym("2024-12"));
    for e in [
        format!("审核发放各类优抚资金{}元", approx(yuan_of(all.fen), 2, "多")),
        "330多万元".to_string(), // 3,311,491.21 → 3,300,000 (2 significant digits, truncated) → 330万, 多 before 万
        format!("惠及优抚对象{}人、{}人次", all.persons.len(), all.times.len()),
        "及时补发提标等待遇5100余元".to_string(), // 5145.00 → 5100余
        "为2户去世优抚对象家庭发放丧葬补助7.2万余元".to_string(), // 72300.06 → 72000 → 7.2万余
        // Only the six committed months are counted for 按时; the other six are named in the 注.
        "6个月抚恤金均在每月20日前发放到位".to_string(),
        "注：2024年7—12月台账中没有已确认的发放，本文各项数字只统计已确认发放的6个月（期间共12个月）。".to_string(),
        format!("完成年度确认{confirmed}人"),
        "送立功喜报188份、送上慰问金11余万元".to_string(), // 112800.50 → 110000 → 11余万
        "接待来访415人次，办理各级信访件共计37件".to_string(),
    ] {
        assert!(text.contains(e.as_str()), "missing {e:?} in\n{text}");
    }
    assert!(!text.contains("12个月中"), "{text}");
    assert_eq!(
        (r.figures.on_time.committed, r.figures.on_time.on_time, r.figures.on_time.all),
        (6, Some(6), Some(true))
    );
    assert_eq!(r.rendered.missing, Vec::<String>::new());
    insta::assert_snapshot!("annual_2024", text);
}
