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
    /// 列出全部账号提示（默认只列前 20 条）
    #[arg(long)]
    pub all_warnings: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let month = match &args.month {
        Some(m) => load::month(m)?,
        None => load::current_month(),
    };
    let cfg = load::config(cli)?;
    let (roster, table) = load::inputs(&args.inputs.roster, &args.inputs.standards, &cfg.config)?;
    let batch = compute_month(month, &roster, &table, &cfg.config.rules(), &History::default())?;
    let warnings = all_account_warnings(&roster);
    // On the terminal the first few and a count; --all-warnings and --json (for scripts) carry every notice.
    let shown = if args.all_warnings { warnings.clone() } else { shown_warnings(warnings.clone()) };
    for w in &shown {
        eprintln!("提示：{w}");
    }
    let paid_persons = batch.paid_rows(roster.len());
    if args.json {
        let v = json!({
            "ok": true,
            "month": month.to_string(),
            "roster_rows": roster.len(),
            "standards": table.rows().len(),
            "paid_persons": paid_persons,
            "payments": batch.payments.len(),
            "exceptions": batch.exceptions.len(),
            "total": crate::domain::money::format_yuan(batch.total()),
            "warnings": warnings,
            // check reads no ledger: 补发, 重发 and a 丧葬补助 already paid are only known to pay.
            "ledger_read": false,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
    } else {
        println!(
            "检查通过：花名册 {} 行，标准 {} 条；{} 应发 {} 人 {} 笔，合计 {} 元；未发放 {} 人次（原因见 pay 输出的异常清单）。check 不读台账：补发、重发和已发过的丧葬补助只在 pay 中计入，两者的人数、笔数可能不同。",
            roster.len(),
            table.rows().len(),
            month,
            paid_persons,
            batch.payments.len(),
            crate::domain::money::yuan_text(batch.total()),
            batch.exceptions.len()
        );
    }
    Ok(())
}

/// How many account notices are shown before the rest are summed up in one line.
pub const SHOWN_WARNINGS: usize = 20;

/// The first `SHOWN_WARNINGS` notices (at 1,000,000 people there are thousands), then, when there are more, one
/// line saying how many are left out and how to list them all.
pub fn shown_warnings(mut warnings: Vec<String>) -> Vec<String> {
    let hidden = warnings.len().saturating_sub(SHOWN_WARNINGS);
    if hidden > 0 {
        warnings.truncate(SHOWN_WARNINGS);
        warnings.push(format!("另有 {hidden} 条同类提示未显示（check 加 --all-warnings，或加 --json，可全部列出）"));
    }
    warnings
}

/// Accounts that fail the Luhn check: a warning, not an error (not every bank's numbers use it). One notice per
/// person, in roster order.
pub fn all_account_warnings(roster: &[crate::domain::Recipient]) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::standards::tests::{ID1, person};

    /// `n` people whose accounts fail the Luhn check (…0001 does; …0004 passes).
    fn roster(n: u32) -> Vec<crate::domain::Recipient> {
        (0..n).map(|i| person(i + 2, ID1, "烈士遗属", &[])).collect()
    }

    #[test]
    fn one_notice_per_failing_account() {
        let mut r = roster(2);
        r[1].account = "6217000000000000004".into();
        assert_eq!(
            all_account_warnings(&r),
            [
                "roster.xlsx 工作表「花名册」第2行：测试2（440304198001010017）的银行账号 6217000000000000001 未通过 Luhn 校验，请与开户行核对（部分银行账号本身不使用该校验）"
            ]
        );
    }

    #[test]
    fn twenty_notices_then_one_line_for_the_rest() {
        let all = all_account_warnings(&roster(23));
        assert_eq!(all.len(), 23);
        let shown = shown_warnings(all.clone());
        // 20 shown, 23 − 20 = 3 left out
        assert_eq!(shown.len(), 21);
        assert_eq!(shown[..20], all[..20]);
        assert_eq!(shown[20], "另有 3 条同类提示未显示（check 加 --all-warnings，或加 --json，可全部列出）");
        // exactly 20: nothing left out, no extra line
        assert_eq!(shown_warnings(all[..20].to_vec()), all[..20]);
    }
}
