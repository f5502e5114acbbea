//! `youfu report` and `youfu init-templates`: the statistics sections of the 半年/年度工作总结. This file only reads
//! the ledger; everything else (period, roster, metrics sheet, figures, templates, output, sidecar, missing
//! figures, `--strict`) is `report::command`.

use super::{Cli, Failure, exit, load};
use crate::report::{LedgerLine, MonthStatus, Period};

pub use crate::report::command::{Args, InitArgs};

/// `youfu report`.
pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let cfg = load::config(cli)?;
    crate::report::command::run_with(args, &cfg.config, |period| read_ledger(&cfg.config, args, period))
}

/// The committed lines and the per-month audit of `period`, from the ledger (`--ledger`, else the config's).
///
/// INTEGRATION: replace the body with the ledger read — every committed line whose batch month lies in the
/// period (`LedgerLine`, money in 分), and one `MonthStatus` per month of the period from the audit.
fn read_ledger(
    config: &crate::config::Config,
    args: &Args,
    period: &Period,
) -> Result<(Vec<LedgerLine>, Vec<MonthStatus>), Failure> {
    let path = args.ledger.clone().unwrap_or_else(|| config.ledger.clone().into());
    Err(Failure::Io(format!(
        "尚不能读取台账 {}（{} 的报告需要台账）",
        path.display(),
        period.label()
    )))
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
