//! `youfu report` and `youfu init-templates`: the statistics sections of the 半年/年度工作总结. This file only reads
//! the ledger; everything else (period, roster, metrics sheet, figures, templates, output, sidecar, missing
//! figures, `--strict`) is `report::command`.

use super::{Cli, Failure, exit, ledger_io, load};
use crate::calendar::{Timeliness, check_pay_date, deadline};
use crate::ledger::{BatchStatus, Ledger};
use crate::report::{LedgerLine, MonthStatus, Period};

pub use crate::report::command::{Args, InitArgs};

/// `youfu report`.
pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let cfg = load::config(cli)?;
    crate::report::command::run_with(args, &cfg.config, |period| read_ledger(cli, &cfg.config, period))
}

/// The committed lines whose batch month lies in `period`, and one `MonthStatus` per month (committed, and
/// whether its pay date met the deadline), from the ledger (`--ledger`, else the config's).
fn read_ledger(
    cli: &Cli,
    config: &crate::config::Config,
    period: &Period,
) -> Result<(Vec<LedgerLine>, Vec<MonthStatus>), Failure> {
    let ledger = Ledger::open_existing(&ledger_io::path(cli, config))?;
    let cal = load::calendar(config, false)?;
    let mut lines = Vec::new();
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
        if batch.is_some() {
            lines.extend(ledger.batch_lines(month)?.into_iter().map(|l| LedgerLine {
                batch_month: l.batch_month,
                pay_date: l.pay_date,
                id: l.id,
                name: l.name,
                category: l.category,
                town: l.town,
                item: l.item,
                period: l.period,
                kind: l.kind.label().to_string(),
                amount_fen: l.amount_fen,
            }));
        }
    }
    Ok((lines, months))
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
