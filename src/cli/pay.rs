//! `youfu pay`: compute a month and write payments.xlsx, payments.csv, the bank file, exceptions.csv and
//! manifest.json into the output folder — all of them or none.

use super::{Cli, Failure, load};
use crate::compute::batch::{History, compute_month};
use crate::compute::summary::transfers;
use crate::domain::Problem;
use crate::domain::money::format_yuan;
use crate::output::atomic::OutputDir;
use crate::output::manifest::{Counts, InputFile, Manifest};
use crate::output::{PayRun, bank, payments_xlsx, tables};
use clap::Args as ClapArgs;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 所属期（YYYY-MM）
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    /// 花名册（xlsx/xls/ods/csv）
    #[arg(long, value_name = "FILE")]
    pub roster: PathBuf,
    /// 标准表（xlsx/xls/ods/csv）
    #[arg(long, value_name = "FILE")]
    pub standards: PathBuf,
    /// 输出目录（不存在则创建；全部文件写好后才放入）
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// 在标准输出打印 JSON 摘要
    #[arg(long)]
    pub json: bool,
}

fn io(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::Io(format!("{what}：{e}"))
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let month = load::month(&args.month)?;
    let cfg = load::config(cli)?;
    let config = &cfg.config;
    let (roster, table) = load::inputs(&args.roster, &args.standards, config)?;
    let batch = compute_month(month, &roster, &table, &config.rules(), &History::default())?;
    let warnings = super::check::account_warnings(&roster);

    let run = PayRun {
        month,
        roster: &roster,
        standards: &table,
        batch: &batch,
        config,
    };
    let names = &config.output;
    let bank_bytes = bank::bank_file(&run).map_err(|m| Failure::Data(Problem::new("BANK_ENCODING", m).into()))?;
    let mut out = OutputDir::new(&args.out).map_err(|e| io(&format!("无法准备输出目录 {}", args.out.display()), e))?;
    let write_err = |e: std::io::Error| io(&format!("写入输出目录 {} 失败", args.out.display()), e);
    payments_xlsx::write(&run, &out.path(&names.payments_xlsx))
        .map_err(|e| io(&format!("写入 {} 失败", names.payments_xlsx), e))?;
    out.record(&names.payments_xlsx).map_err(write_err)?;
    out.write(&names.payments_csv, &tables::payments_csv(&run))
        .map_err(write_err)?;
    out.write(&names.bank, &bank_bytes).map_err(write_err)?;
    out.write(&names.exceptions, &tables::exceptions_csv(&run))
        .map_err(write_err)?;

    let mut inputs = vec![
        InputFile::read("roster", &args.roster).map_err(|e| io("读取花名册失败", e))?,
        InputFile::read("standards", &args.standards).map_err(|e| io("读取标准表失败", e))?,
    ];
    if let Some(p) = &cfg.path {
        inputs.push(InputFile::read("config", p).map_err(|e| io("读取配置文件失败", e))?);
    }
    let paid: BTreeSet<usize> = batch.payments.iter().map(|p| p.recipient).collect();
    let counts = Counts {
        roster_rows: roster.len(),
        payments: batch.payments.len(),
        paid_persons: paid.len(),
        transfers: transfers(&batch).len(),
        exceptions: batch.exceptions.len(),
    };
    let config_json = serde_json::to_string(config).expect("plain data");
    let policy = serde_json::to_value(config.rounding.policy).expect("plain data");
    let manifest = Manifest::new(
        "pay",
        &month.to_string(),
        chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        inputs,
        &config_json,
        policy.as_str().unwrap_or_default(),
        out.written().to_vec(),
        counts.clone(),
        batch.total(),
    );
    out.write(&names.manifest, &manifest.to_json()).map_err(write_err)?;
    let files: Vec<String> = out.written().iter().map(|w| w.name.clone()).collect();
    let dir = out.commit().map_err(write_err)?;

    for w in &warnings {
        eprintln!("提示：{w}");
    }
    if args.json {
        let v = json!({
            "ok": true,
            "month": month.to_string(),
            "out": dir.display().to_string(),
            "files": files,
            "counts": counts,
            "total": format_yuan(batch.total()),
            "warnings": warnings,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
    } else {
        println!(
            "{month} 发放：{} 人 {} 笔，合计 {} 元；代发 {} 笔；未发放 {} 人次（见 {}）。",
            counts.paid_persons,
            counts.payments,
            format_yuan(batch.total()),
            counts.transfers,
            counts.exceptions,
            names.exceptions
        );
        println!("已写出到 {}：{}", dir.display(), files.join("、"));
    }
    Ok(())
}
