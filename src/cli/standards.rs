//! `youfu standards`: the standards in force on a date.

use super::{Cli, Failure, load};
use crate::compute::StandardTable;
use crate::domain::money::format_yuan;
use chrono::NaiveDate;
use clap::Args as ClapArgs;
use serde_json::json;
use std::path::PathBuf;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 标准表（xlsx/xls/ods/csv）
    #[arg(long, value_name = "FILE")]
    pub standards: PathBuf,
    /// 日期（YYYY-MM-DD），默认今天
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let date = match &args.date {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| Failure::Usage(format!("日期“{d}”无效，应写作 YYYY-MM-DD（如 2024-03-01）")))?,
        None => chrono::Local::now().date_naive(),
    };
    let cfg = load::config(cli)?;
    let rows = crate::input::read_standards(&args.standards, &load::categories(&cfg.config))?;
    let table = StandardTable::new(rows)?;
    let active = table.in_force_on(date);
    if args.json {
        let list: Vec<_> = active
            .iter()
            .map(|&i| {
                let s = table.row(i);
                json!({
                    "row": s.location.row,
                    "item": s.item,
                    "keys": s.keys,
                    "amount": format_yuan(s.amount),
                    "unit": s.unit.to_string(),
                    "start": s.start.to_string(),
                    "end": table.effective_end(i).map(|e| e.to_string()),
                    "basis": s.basis,
                })
            })
            .collect();
        let v = json!({"date": date.to_string(), "standards": list});
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        return Ok(());
    }
    println!("{date} 有效的标准（共 {} 条）：", active.len());
    println!("行号\t项目\t适用条件\t金额\t计发单位\t起始日期\t终止日期\t依据");
    for &i in &active {
        let s = table.row(i);
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            s.location.row.unwrap_or(0),
            s.item,
            s.key_text(),
            crate::domain::money::yuan_text(s.amount),
            s.unit,
            s.start,
            table.effective_end(i).map(|e| e.to_string()).unwrap_or_else(|| "—".into()),
            s.basis
        );
    }
    Ok(())
}
