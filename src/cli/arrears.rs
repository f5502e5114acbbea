//! `youfu arrears --from M1 --to M2`: preview, without recording anything, what `pay` would add as 补发 (and list
//! for 追缴) for the committed months M1..M2 under today's roster and standards.

use super::{Cli, Failure, ledger_io, load};
use crate::compute::batch::compute_arrears;
use crate::domain::money::{format_yuan, from_fen, yuan_text};
use clap::Args as ClapArgs;
use rust_decimal::Decimal;
use serde_json::json;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 起始所属期（YYYY-MM）
    #[arg(long, value_name = "YYYY-MM")]
    pub from: String,
    /// 截止所属期（YYYY-MM）
    #[arg(long, value_name = "YYYY-MM")]
    pub to: String,
    #[command(flatten)]
    pub inputs: load::InputArgs,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let (from, to) = (load::month(&args.from)?, load::month(&args.to)?);
    if from > to {
        return Err(Failure::Usage(format!("--from {from} 晚于 --to {to}")));
    }
    let cfg = load::config(cli)?;
    cfg.county_only("arrears")?;
    let config = &cfg.config;
    let mut progress = super::progress::Progress::new(3);
    progress.step("读取花名册和标准表");
    let (roster, table) = load::inputs(&args.inputs.roster, &args.inputs.standards, config)?;
    progress.step("读取台账中已发放的月份");
    let ledger = load::ledger(&cfg)?;
    // The committed months in [from, to] and what was paid for them.
    let history = ledger_io::history(&*ledger, to.next(), from, &roster)?;
    let months = &history.arrears_months;
    progress.step("逐人比对应发与已发");
    let (lines, recoveries) = compute_arrears(&roster, &table, &config.rules(), &history)?;
    drop(progress);
    let owed: Decimal = lines.iter().map(|p| p.amount).sum();
    let over: Decimal = recoveries.iter().map(|r| r.overpaid).sum();
    // What the bank returned for these months and no 重发 has sent again: made good by the next pay's 重发, never
    // by a 补发 (补发 compare with what was sent), so listed here on its own.
    let returned: Vec<_> = history.returned.iter().filter(|r| r.period >= from && r.period <= to).collect();
    let returned_fen: i64 = returned.iter().map(|r| r.amount_fen).sum();
    if args.json {
        let v = json!({
            "from": from.to_string(),
            "to": to.to_string(),
            "committed_months": months.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "arrears": lines.iter().map(|p| {
                let r = &roster[p.recipient];
                json!({"id": r.id.as_str(), "name": r.name, "item": p.item, "period": p.period.to_string(), "amount": format_yuan(p.amount)})
            }).collect::<Vec<_>>(),
            "arrears_total": format_yuan(owed),
            "recoveries": recoveries.iter().map(|rc| {
                let r = &roster[rc.recipient];
                json!({"id": r.id.as_str(), "name": r.name, "item": rc.item, "period": rc.period.to_string(),
                       "entitled": format_yuan(rc.entitled), "paid": format_yuan(rc.paid), "overpaid": format_yuan(rc.overpaid)})
            }).collect::<Vec<_>>(),
            "recoveries_total": format_yuan(over),
            "returned_pending": returned.iter().map(|r| json!({"id": r.id, "item": r.item, "period": r.period.to_string(),
                "batch_month": r.batch_month.to_string(), "amount": format_yuan(from_fen(r.amount_fen)),
                "reason": format!("{}：{}", r.status, r.reason)})).collect::<Vec<_>>(),
            "returned_pending_total": format_yuan(from_fen(returned_fen)),
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        return Ok(());
    }
    if months.is_empty() {
        println!("{from} 至 {to} 在台账中没有已确认发放的月份：台账之外的月份不计算补发。");
        return Ok(());
    }
    let list: Vec<String> = months.iter().map(|m| m.to_string()).collect();
    println!("按现行花名册和标准核对已确认发放的月份：{}（预览，不写入台账）", list.join("、"));
    if lines.is_empty() {
        println!("应补发：无。");
    } else {
        println!("应补发 {} 笔，合计 {} 元：", lines.len(), yuan_text(owed));
        println!("身份证号\t姓名\t项目\t所属期\t应补发");
        for p in &lines {
            let r = &roster[p.recipient];
            println!("{}\t{}\t{}\t{}\t{}", r.id, r.name, p.item, p.period, yuan_text(p.amount));
        }
    }
    if !returned.is_empty() {
        println!(
            "银行退回待重发 {} 笔，合计 {} 元（下次 pay 在账号更正后重发，不计入补发）：",
            returned.len(),
            yuan_text(from_fen(returned_fen))
        );
        println!("身份证号\t项目\t所属期\t退回批次\t金额\t退回原因");
        for r in &returned {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}：{}",
                r.id,
                r.item,
                r.period,
                r.batch_month,
                yuan_text(from_fen(r.amount_fen)),
                r.status,
                r.reason
            );
        }
    }
    if recoveries.is_empty() {
        println!("多发待追缴：无。");
    } else {
        println!("多发待追缴 {} 笔，合计 {} 元：", recoveries.len(), yuan_text(over));
        println!("身份证号\t姓名\t项目\t所属期\t应发\t已发\t多发");
        for rc in &recoveries {
            let r = &roster[rc.recipient];
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.id,
                r.name,
                rc.item,
                rc.period,
                yuan_text(rc.entitled),
                yuan_text(rc.paid),
                yuan_text(rc.overpaid)
            );
        }
    }
    Ok(())
}
