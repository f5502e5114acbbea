//! `youfu report` and `youfu init-templates`: the statistics sections of the 半年/年度工作总结. This file only reads
//! the ledger; everything else (period, roster, metrics sheet, figures, templates, output, sidecar, missing
//! figures, `--strict`) is `cli::report_command`.

use super::counties::{County, own_only, select};
use super::{Cli, Failure, exit, load};
use crate::calendar::{Timeliness, check_pay_date, deadline};
use crate::domain::money::from_fen;
use crate::ledger::{BatchStatus, LineCounts, PeriodCounts};
use crate::report::figures::{Group, MonthTotal, sort_named_groups};
use crate::report::{CountySummary, LineSummary, MonthStatus, Period};
use rust_decimal::Decimal;

pub use super::report_command::{Args, InitArgs};

/// `youfu report`.
pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let cfg = load::config(cli)?;
    // Which counties, before anything is read: a refusal of --county is the command line's.
    let counties =
        if args.list_templates { Vec::new() } else { select(&args.counties, &cfg, || load::ledger_counties(&cfg))? };
    super::report_command::run_with_counties(args, &cfg.config, |period| read_ledger(&cfg, &counties, period))
}

/// For each county, the summary of its committed lines whose batch month lies in `period` (counted by the ledger in
/// one pass, not loaded); and one `MonthStatus` per month for them all (committed when every county has committed
/// the month; on time when every one was, late when one was late, else unknown), from the ledger (`--ledger`, else
/// the config's).
fn read_ledger(
    cfg: &load::LoadedConfig,
    counties: &[County],
    period: &Period,
) -> Result<(Vec<CountySummary>, Vec<MonthStatus>), Failure> {
    let config = &cfg.config;
    let mut progress = super::progress::Progress::new(1);
    progress.step("汇总台账中本期的发放记录");
    let cal = load::calendar(config, false)?;
    let ledger = load::ledger(cfg)?;
    let codes: Vec<String> = counties.iter().map(|c| c.code.clone()).collect();
    let (batches, counts) = if own_only(counties, config) {
        (vec![ledger.batches()?], vec![ledger.period_counts(period.first, period.last)?])
    } else {
        (ledger.county_batches(&codes)?, ledger.county_period_counts(&codes, period.first, period.last)?)
    };
    let mut months: Vec<MonthStatus> =
        period.months().map(|month| MonthStatus { month, committed: true, on_time: Some(true) }).collect();
    // Each county's months without a committed batch, named in the city's 注 (`report::counties::missing_note`).
    let mut missing: Vec<Vec<crate::domain::YearMonth>> = vec![Vec::new(); batches.len()];
    for (batches, missing) in batches.iter().zip(missing.iter_mut()) {
        for status in months.iter_mut() {
            let month = status.month;
            let batch = batches.iter().find(|b| b.month == month && b.status == BatchStatus::Committed);
            let on_time = match batch.and_then(|b| b.pay_date) {
                Some(p) => deadline(&cal, month, &config.deadline)
                    .and_then(|d| check_pay_date(&cal, &d, p))
                    .ok()
                    .map(|t| matches!(t, Timeliness::OnTime { .. })),
                None => None,
            };
            status.committed &= batch.is_some();
            if batch.is_none() {
                missing.push(month);
            }
            status.on_time = match (status.on_time, on_time) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
        }
    }
    let summaries = counties
        .iter()
        .zip(&counts)
        .zip(missing)
        .map(|((county, counts), missing)| CountySummary {
            code: county.code.clone(),
            name: county.name.clone(),
            summary: summary(counts, period),
            missing,
        })
        .collect();
    Ok((summaries, months))
}

/// The report's groups from the ledger's counts, named and ordered as `LineSummary::of_lines` does.
fn summary(counts: &PeriodCounts, period: &Period) -> LineSummary {
    let named = |map: &std::collections::BTreeMap<String, LineCounts>| {
        sort_named_groups(map.iter().map(|(name, c)| (name.clone(), group(c))))
    };
    LineSummary {
        totals: group(&counts.totals),
        regular: group(&counts.regular),
        arrears: group(&counts.arrears),
        funeral: group(&counts.funeral),
        reissued: group(&counts.reissued),
        returned: group(&counts.returned),
        by_category: named(&counts.by_category),
        by_item: named(&counts.by_item),
        by_town: named(&counts.by_town),
        by_month: period
            .months()
            .map(|m| {
                let g = group(&counts.by_month.get(&m).copied().unwrap_or_default());
                MonthTotal { month: m, lines: g.lines, amount: g.amount }
            })
            .collect(),
    }
}

/// A group as `LineSummary::of_lines` makes it: the amount is the exact sum in 元 (0 without lines).
fn group(c: &LineCounts) -> Group {
    Group {
        person_times: c.person_times,
        persons: c.persons,
        lines: c.lines,
        amount: if c.lines == 0 { Decimal::ZERO } else { from_fen(c.amount_fen) },
    }
}

/// `youfu init-templates DIR`.
pub fn init_templates(args: &InitArgs) -> Result<i32, Failure> {
    let written = super::report_command::init_templates(args)?;
    for p in &written {
        println!("已写出 {}", p.display());
    }
    println!("修改后用 --template-dir {} 使用这些模板。", args.dir.display());
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PaymentKind;
    use crate::ledger::PaidLine;
    use crate::ledger::location::LedgerLocation;
    use crate::ledger::{LedgerStore, NewBatch, NewLine};

    fn ym(s: &str) -> crate::domain::YearMonth {
        s.parse().unwrap()
    }

    fn line(id: &str, town: &str, item: &str, period: &str, kind: PaymentKind, amount_fen: i64) -> NewLine {
        NewLine {
            id: id.into(),
            name: "某".into(),
            category: "残疾军人".into(),
            town: town.into(),
            item: item.into(),
            period: ym(period),
            kind,
            amount_fen,
            standard_row: None,
            standard_start: None,
            basis: String::new(),
            formula: String::new(),
            reissue_of: None,
        }
    }

    /// The ledger's one-pass counts give the same summary as the report's own counting of the loaded lines
    /// (`LineSummary::of_lines`), with an empty town, two items, arrears, a funeral grant, a month without a batch
    /// and a month after the period.
    /// Record `lines` as the draft of `month` and commit it (paid on the 10th).
    fn draft_and_commit(ledger: &dyn LedgerStore, month: &str, lines: &[NewLine]) {
        let batch = NewBatch {
            month: ym(month),
            created: "2024-01-01T00:00:00+08:00".into(),
            inputs_digest: "in".into(),
            outputs_digest: "out".into(),
            tool_version: "0".into(),
            entitled_fen: 0,
            shortfalls: "[]".into(),
        };
        ledger.save_draft(&batch, &mut lines.iter().map(NewLine::line_ref)).unwrap();
        let pay_date = chrono::NaiveDate::from_ymd_opt(ym(month).year(), ym(month).month(), 10).unwrap();
        ledger.commit(ym(month), pay_date, "2024-01-10T00:00:00+08:00", "in", None).unwrap();
    }

    /// The committed lines of the period's batches, as the report loads them when it counts them itself.
    fn loaded_lines(ledger: &dyn LedgerStore, period: &Period) -> Vec<PaidLine> {
        period.months().flat_map(|m| ledger.batch_lines(m).unwrap()).collect()
    }

    #[test]
    fn the_ledger_counts_match_the_counting_of_the_lines() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = crate::ledger::create(&LedgerLocation::File(dir.path().join("youfu.db"))).unwrap();
        let months: [(&str, Vec<NewLine>); 3] = [
            (
                "2024-01",
                vec![
                    line("A", "城关镇", "抚恤金", "2024-01", PaymentKind::Regular, 100),
                    line("A", "城关镇", "护理费", "2024-01", PaymentKind::Regular, 30),
                    line("B", "", "抚恤金", "2024-01", PaymentKind::Regular, 100),
                ],
            ),
            (
                "2024-03",
                vec![
                    line("B", "", "抚恤金", "2024-03", PaymentKind::Regular, 100),
                    line("B", "", "抚恤金", "2024-01", PaymentKind::Arrears, 5),
                    line("A", "城关镇", "丧葬补助", "2024-03", PaymentKind::Funeral, 999),
                ],
            ),
            ("2024-07", vec![line("C", "东乡", "抚恤金", "2024-07", PaymentKind::Regular, 100)]),
        ];
        for (m, lines) in months {
            draft_and_commit(&*ledger, m, &lines);
        }
        let period: Period = "2024H1".parse().unwrap();
        let lines = loaded_lines(&*ledger, &period);
        let counted = summary(&ledger.period_counts(period.first, period.last).unwrap(), &period);
        assert_eq!(counted, LineSummary::of_lines(&period, &lines));
        // By hand: 100+30+100+100+5+999 = 1334 分 in 6 lines, persons A and B, 正常 pairs (A,01) (B,01) (B,03) = 3.
        assert_eq!(counted.totals.amount.to_string(), "13.34");
        assert_eq!((counted.totals.lines, counted.totals.persons, counted.totals.person_times), (6, 2, 3));
        // 城关镇 (A: 100+30+999 = 1129 分) before the empty town, named "（未填）" (B: 100+100+5 = 205 分).
        let towns: Vec<(&str, String)> =
            counted.by_town.iter().map(|g| (g.name.as_str(), g.group.amount.to_string())).collect();
        assert_eq!(towns, vec![("城关镇", "11.29".to_string()), ("（未填）", "2.05".to_string())]);
        // January 100+30+100 = 230 分, March 100+5+999 = 1104 分; months without a batch have amount 0 (no
        // decimals), as the line counting gives.
        let by_month: Vec<String> = counted.by_month.iter().map(|m| format!("{} {}", m.month, m.amount)).collect();
        assert_eq!(by_month, vec!["2024-01 2.30", "2024-02 0", "2024-03 11.04", "2024-04 0", "2024-05 0", "2024-06 0"]);
    }

    /// The same equivalence over many persons and months, in the shapes that exercise the ledger's person
    /// numbering: persons leaving and joining, 补发 lines for earlier 所属期 (some before the period), towns that
    /// change, 身份证号 that do not pack into a number, and drafts saved in scrambled order.
    #[test]
    fn the_ledger_counts_match_the_counting_of_the_lines_over_many_persons() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = crate::ledger::create(&LedgerLocation::File(dir.path().join("youfu.db"))).unwrap();
        // 60 persons: 58 eighteen-character numbers (the last ending in X), one short id and one with a lower-case x.
        let mut ids: Vec<String> =
            (0..58).map(|i| format!("4405241950{:07}{}", i * 7919 % 10_000_000, i % 10)).collect();
        ids[57].replace_range(17.., "X");
        ids.push("A1".into());
        ids.push(ids[57].to_lowercase());
        let towns = ["城关镇", "东乡", ""];
        let items = ["抚恤金", "护理费"];
        let mut generated = 0u64;
        for (m, month) in ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"].iter().enumerate() {
            let mut lines = Vec::new();
            for (p, id) in ids.iter().enumerate() {
                // Person p is paid from month p % 3 on and stops after month 3 + p % 2.
                if m < p % 3 || m > 3 + p % 2 {
                    continue;
                }
                let town = towns[(p + m / 2) % 3];
                for item in &items[..1 + p % 2] {
                    lines.push(line(id, town, item, month, PaymentKind::Regular, 100 + p as i64));
                }
                if m > 0 && p % 4 == 0 {
                    // 补发 for the month before, and for 2023-11 (before every period here) every other time.
                    let before = ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03"][m - 1];
                    lines.push(line(id, town, "抚恤金", before, PaymentKind::Arrears, 7));
                    if p % 8 == 0 {
                        lines.push(line(id, town, "抚恤金", "2023-11", PaymentKind::Arrears, 3));
                    }
                }
                if m == 4 && p == 5 {
                    lines.push(line(id, town, "丧葬补助", month, PaymentKind::Funeral, 5000));
                }
            }
            // Scrambled: the commit sorts them by (所属期, 身份证号, 项目) anyway.
            lines.reverse();
            let third = lines.len() / 3;
            lines.rotate_left(third);
            if m > 0 {
                generated += lines.len() as u64;
            }
            draft_and_commit(&*ledger, month, &lines);
        }
        let period: Period = "2024H1".parse().unwrap();
        let lines = loaded_lines(&*ledger, &period);
        let counted = summary(&ledger.period_counts(period.first, period.last).unwrap(), &period);
        assert_eq!(counted, LineSummary::of_lines(&period, &lines));
        // Every line generated for 2024-01..04 is counted, and 2023-12's are not.
        assert_eq!(counted.totals.lines, generated);
        // Persons paid in 2024: all 60 (person p starts in month p % 3 ≤ 2 and stops after month 3 or 4).
        assert_eq!(counted.totals.persons, 60);
    }
}
