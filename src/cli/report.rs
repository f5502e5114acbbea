//! `youfu report` and `youfu init-templates`: the statistics sections of the 半年/年度工作总结. This file only reads
//! the ledger; everything else (period, roster, metrics sheet, figures, templates, output, sidecar, missing
//! figures, `--strict`) is `report::command`.

use super::{Cli, Failure, exit, ledger_io, load};
use crate::calendar::{Timeliness, check_pay_date, deadline};
use crate::domain::money::from_fen;
use crate::ledger::{BatchStatus, Ledger, LineCounts, PeriodCounts};
use crate::report::figures::{Group, MonthTotal, sort_named_groups};
use crate::report::{LineSummary, MonthStatus, Period};
use rust_decimal::Decimal;

pub use crate::report::command::{Args, InitArgs};

/// `youfu report`.
pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let cfg = load::config(cli)?;
    crate::report::command::run_with_summary(args, &cfg.config, |period| read_ledger(cli, &cfg.config, period))
}

/// The summary of the committed lines whose batch month lies in `period` (counted by the ledger in one pass, not
/// loaded), and one `MonthStatus` per month (committed, and whether its pay date met the deadline), from the
/// ledger (`--ledger`, else the config's).
fn read_ledger(
    cli: &Cli,
    config: &crate::config::Config,
    period: &Period,
) -> Result<(LineSummary, Vec<MonthStatus>), Failure> {
    let ledger = Ledger::open_existing(&ledger_io::path(cli, config))?;
    let cal = load::calendar(config, false)?;
    let mut months = Vec::new();
    for month in period.months() {
        let batch = ledger.batch(month)?.filter(|b| b.status == BatchStatus::Committed);
        let on_time = match batch.as_ref().and_then(|b| b.pay_date) {
            Some(p) => deadline(&cal, month, &config.deadline)
                .and_then(|d| check_pay_date(&cal, &d, p))
                .ok()
                .map(|t| matches!(t, Timeliness::OnTime { .. })),
            None => None,
        };
        months.push(MonthStatus { month, committed: batch.is_some(), on_time });
    }
    let counts = ledger.period_counts(period.first, period.last)?;
    Ok((summary(&counts, period), months))
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
    let written = crate::report::command::init_templates(args)?;
    for p in &written {
        println!("已写出 {}", p.display());
    }
    println!("修改后用 --template-dir {} 使用这些模板。", args.dir.display());
    Ok(exit::OK)
}
