//! `youfu bank-return --month YYYY-MM --file F`: record the transfers the bank returned (退回) for a committed
//! month, from the bank's 回盘. The file is read (input), matched to the batch's transfers (pure, `compute::returns`)
//! and the new 退回 recorded in one transaction — or, when any row is refused, nothing at all.

use super::{Cli, Failure, ledger_io, load};
use crate::compute::returns::{Recorded, match_returns};
use crate::domain::{Location, Problem};
use crate::input::bank_return::read_bank_return;
use crate::ledger::NewReturn;
use clap::Args as ClapArgs;
use serde_json::json;
use std::path::PathBuf;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 代发批次的发放月份（YYYY-MM），须已确认发放
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    /// 银行回盘文件（.xlsx/.xls/.csv，UTF-8 或 GBK）
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

trait IntoFailure {
    fn into_failure(self) -> Failure;
}

impl IntoFailure for Problem {
    fn into_failure(self) -> Failure {
        Failure::Data(self.into())
    }
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let month = load::month(&args.month)?;
    let cfg = load::config(cli)?;
    cfg.county_only("bank-return")?;
    let ledger = load::ledger(&cfg)?;
    let path = std::path::PathBuf::from(ledger.shown());
    let file_name = args.file.display().to_string();
    let Some((batch_id, transfers)) = ledger.transfers(month)? else {
        return Err(Problem::new("RETURN_MONTH_NOT_COMMITTED", format!("{month} 没有已确认发放的批次，不能登记退回"))
            .at(Location::file(file_name))
            .hint(format!(
                "回盘只能登记到已确认发放的月份：请先运行 {}；台账未记录任何退回。",
                cfg.command(&format!("commit --month {month} --pay-date YYYY-MM-DD"))
            ))
            .into_failure());
    };
    let bytes = std::fs::read(&args.file).map_err(|e| Failure::Io(format!("无法读取回盘文件 {file_name}：{e}")))?;
    let sha256 = crate::output::atomic::sha256_hex(&bytes);
    let rows = read_bank_return(&args.file)?;
    let before = ledger.returns(month, month)?;
    let recorded: Vec<Recorded> = before
        .iter()
        .map(|r| Recorded {
            transfer_no: r.event.transfer_no,
            status: r.event.status.clone(),
            reason: r.event.reason.clone(),
            file_name: r.event.file_name.clone(),
            file_row: r.event.file_row,
            recorded_at: r.recorded_at.clone(),
        })
        .collect();
    if transfers.is_empty() && !rows.is_empty() {
        return Err(Problem::new(
            "RETURN_NO_TRANSFERS_RECORDED",
            format!("台账中没有 {month} 批次的代发记录（该批次由旧版本 youfu 生成），无法核对回盘"),
        )
        .at(Location::file(file_name))
        .hint("请人工核对回盘；台账未记录任何退回。")
        .into_failure());
    }
    let matching = match_returns(month, &transfers, &rows, &recorded)?;
    let spans: Vec<(i64, i64)> = matching.new.iter().map(|m| (m.transfer.first_line, m.transfer.lines)).collect();
    let lines = ledger.transfer_lines(batch_id, &spans)?;
    let events: Vec<(NewReturn, Vec<i64>)> = matching
        .new
        .iter()
        .zip(&lines)
        .map(|(m, lines)| {
            let name = lines.first().map(|l| l.name.clone()).unwrap_or_else(|| m.row.name.clone());
            (
                NewReturn {
                    transfer_no: m.transfer.no,
                    id: m.transfer.id.clone(),
                    name,
                    account: m.transfer.account.clone(),
                    amount_fen: m.transfer.amount_fen,
                    status: m.row.status.clone(),
                    reason: m.row.reason.clone(),
                    file_name: file_name.clone(),
                    file_sha256: sha256.clone(),
                    file_row: m.row.location.row.unwrap_or(0),
                },
                lines.iter().map(|l| l.line_id).collect(),
            )
        })
        .collect();
    let recorded_at = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    if !events.is_empty() {
        ledger.record_returns(batch_id, month, &recorded_at, &events)?;
    }
    let new_fen: i64 = events.iter().map(|(e, _)| e.amount_fen).sum();
    // JSON carries plain amounts (no thousands separators), as everywhere.
    let plain = |fen: i64| crate::domain::money::format_yuan(crate::domain::money::from_fen(fen));
    if args.json {
        let list: Vec<_> = events
            .iter()
            .map(|(e, _)| {
                json!({"transfer_no": e.transfer_no, "id": e.id, "name": e.name, "account": e.account,
                       "amount": plain(e.amount_fen), "status": e.status, "reason": e.reason, "row": e.file_row})
            })
            .collect();
        let v = json!({
            "ok": true,
            "month": month.to_string(),
            "file": file_name,
            "rows": rows.len(),
            "paid_rows": matching.paid,
            "recorded": list,
            "recorded_total": plain(new_fen),
            "already_recorded": matching.already.len(),
            "ledger": path.display().to_string(),
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        return Ok(());
    }
    println!(
        "{month} 回盘 {file_name}：共 {} 行，成功 {} 笔；新登记退回 {} 笔，合计 {} 元；此前已登记 {} 笔（未重复记录）。",
        rows.len(),
        matching.paid,
        events.len(),
        ledger_io::yuan(new_fen),
        matching.already.len()
    );
    for (e, _) in &events {
        println!(
            "  退回：{}（{}）账号 {} {} 元，{}{}",
            e.name,
            e.id,
            e.account,
            ledger_io::yuan(e.amount_fen),
            e.status,
            if e.reason.is_empty() { String::new() } else { format!("：{}", e.reason) }
        );
    }
    if !events.is_empty() {
        println!(
            "退回的款项不计为已发放。请在花名册中更正这些人的银行账号，下月运行 youfu pay 时将自动重发（账号未更正的列入异常清单）。"
        );
    }
    Ok(())
}
