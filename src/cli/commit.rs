//! `youfu commit`: mark a month's draft as paid after the bank file was sent. Refused when the roster, the
//! standards or the configuration changed since the draft was made, or when the pay date misses the deadline
//! without `--allow-late`.

use super::{Cli, Failure, ledger_io, load};
use crate::ledger::{BatchStatus, LedgerError};
use clap::Args as ClapArgs;
use serde_json::json;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 发放月份（YYYY-MM）
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    /// 资金实际到账日期
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub pay_date: String,
    /// 逾期发放的原因（发放日期晚于截止日时必须给出）
    #[arg(long, value_name = "原因")]
    pub allow_late: Option<String>,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let month = load::month(&args.month)?;
    let pay_date = load::date(&args.pay_date, "发放日期")?;
    let cfg = load::config(cli)?;
    cfg.county_only("commit")?;
    let config = &cfg.config;
    let late_reason = super::pay::check_late(&cfg, month, Some(pay_date), args.allow_late.as_deref())?;
    let ledger = load::ledger(&cfg)?;
    let path = std::path::PathBuf::from(ledger.shown());
    let draft = match ledger.batch(month)? {
        Some(b) if b.status == BatchStatus::Draft => b,
        Some(done) => return Err(LedgerError::already_committed(&path, done).into()),
        None => return Err(LedgerError::NoDraft { path, month }.into()),
    };
    let recorded: ledger_io::InputsRecord = serde_json::from_str(&draft.inputs_digest)
        .map_err(|_| Failure::Usage(format!("{month} 的草稿不是由本版本的 youfu pay 生成的，请重新运行 pay")))?;
    let now = recorded.now(config, cfg.path.as_deref());
    let changes = recorded.changes(&now);
    if !changes.is_empty() {
        return Err(Failure::InputsChanged(format!(
            "{month} 的发放草稿生成后，{}。未确认发放，台账未作修改。请重新运行 pay 后再确认",
            changes.join("；")
        )));
    }
    let committed_at = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let info = ledger.commit(month, pay_date, &committed_at, &draft.inputs_digest, late_reason.as_deref())?;
    if args.json {
        let v = json!({
            "ok": true,
            "month": month.to_string(),
            "pay_date": pay_date.to_string(),
            "lines": info.lines,
            "total": crate::domain::money::format_yuan(crate::domain::money::from_fen(info.total_fen)),
            "late_reason": late_reason,
            "ledger": path.display().to_string(),
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
    } else {
        println!(
            "{month} 已确认发放：{} 笔，合计 {} 元，发放日期 {pay_date}{}。",
            info.lines,
            ledger_io::yuan(info.total_fen),
            late_reason.map(|r| format!("（逾期原因：{r}）")).unwrap_or_default()
        );
        println!("查看台账中的全部批次，请运行：{}", cfg.command("batches"));
    }
    Ok(())
}
