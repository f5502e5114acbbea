//! `youfu check`: validate the roster and the standards, list every problem with its location.

use super::{Cli, Failure, load};
use crate::compute::batch::{History, compute_month};
use crate::domain::account::luhn_ok;
use clap::Args as ClapArgs;
use serde_json::json;

#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    pub inputs: load::InputArgs,
    /// 按该月（YYYY-MM）检查标准是否齐全、唯一；默认本月
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// 以 JSON 输出结果
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let month = match &args.month {
        Some(m) => load::month(m)?,
        None => load::current_month(),
    };
    let cfg = load::config(cli)?;
    let (roster, table) = load::inputs(&args.inputs.roster, &args.inputs.standards, &cfg.config)?;
    let batch = compute_month(month, &roster, &table, &cfg.config.rules(), &History::default())?;
    let warnings = account_warnings(&roster);
    for w in &warnings {
        eprintln!("提示：{w}");
    }
    let paid: std::collections::BTreeSet<usize> = batch.payments.iter().map(|p| p.recipient).collect();
    if args.json {
        let v = json!({
            "ok": true,
            "month": month.to_string(),
            "roster_rows": roster.len(),
            "standards": table.rows().len(),
            "paid_persons": paid.len(),
            "payments": batch.payments.len(),
            "exceptions": batch.exceptions.len(),
            "total": crate::domain::money::format_yuan(batch.total()),
            "warnings": warnings,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
    } else {
        println!(
            "检查通过：花名册 {} 行，标准 {} 条；{} 应发 {} 人 {} 笔，合计 {} 元；未发放 {} 人次（原因见 pay 输出的异常清单）。",
            roster.len(),
            table.rows().len(),
            month,
            paid.len(),
            batch.payments.len(),
            crate::domain::money::format_yuan(batch.total()),
            batch.exceptions.len()
        );
    }
    Ok(())
}

/// Accounts that fail the Luhn check: a warning, not an error (not every bank's numbers use it).
pub fn account_warnings(roster: &[crate::domain::Recipient]) -> Vec<String> {
    roster
        .iter()
        .filter(|r| !r.account.is_empty() && !luhn_ok(&r.account))
        .map(|r| {
            format!(
                "{}：{}（{}）的银行账号 {} 未通过 Luhn 校验，请与开户行核对（部分银行账号本身不使用该校验）",
                r.location, r.name, r.id, r.account
            )
        })
        .collect()
}
