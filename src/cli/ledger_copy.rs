//! `youfu ledger copy --from A --to B`: a county's whole committed history moved from one ledger to another — a
//! county's file onto the city's PostgreSQL ledger, or back, or file to file — through the ledger interface alone
//! (`export` → `begin_import`, see `ledger::history`). The copy is one transaction on the target, checked before it
//! is committed: every month's counts and totals read back from the target must equal the source's, or it is all
//! rolled back. Months the target already holds for the county are never merged. Drafts are not copied.

use super::progress::Progress;
use super::{Cli, Failure, ledger_io, load};
use crate::domain::month::YearMonth;
use crate::ledger::location::LedgerLocation;
use crate::ledger::{BatchStatus, HistoryItem, LedgerError, LedgerStore, MonthTally, history::check_copy};
use clap::{Args as ClapArgs, Subcommand};
use serde_json::json;
use std::path::PathBuf;

#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// 把一个台账中本县（市、区）全部已确认发放的历史复制到另一个台账（文件或 PostgreSQL），复制后逐月核对
    Copy(CopyArgs),
}

#[derive(ClapArgs, Debug)]
pub struct CopyArgs {
    /// 源台账：台账文件路径或 postgresql:// 地址
    #[arg(long, value_name = "台账")]
    pub from: String,
    /// 目标台账（须已由 youfu init 新建）：台账文件路径或 postgresql:// 地址
    #[arg(long, value_name = "台账")]
    pub to: String,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

impl Args {
    pub fn json(&self) -> bool {
        match &self.command {
            LedgerCommand::Copy(a) => a.json,
        }
    }
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    match &args.command {
        LedgerCommand::Copy(a) => copy(cli, a),
    }
}

/// Which side of the copy a ledger is, for messages.
#[derive(Clone, Copy)]
enum Side {
    From,
    To,
}

fn copy(cli: &Cli, args: &CopyArgs) -> Result<(), Failure> {
    if cli.ledger.is_some() {
        return Err(Failure::Usage("ledger copy 用 --from 和 --to 指定两个台账，不用 --ledger".into()));
    }
    let cfg = load::config(cli)?;
    cfg.county_only("ledger copy")?;
    let county = cfg.config.county_code.trim().to_string();
    let from = location(&args.from, "--from", &county)?;
    let to = location(&args.to, "--to", &county)?;
    if let (LedgerLocation::File(a), LedgerLocation::File(b)) = (&from, &to)
        && (a == b || matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y))
    {
        return Err(Failure::Usage(format!("--from 和 --to 是同一个台账 {}", a.display())));
    }
    if county.is_empty() && [&from, &to].iter().any(|l| matches!(l, LedgerLocation::Postgres(_))) {
        return Err(Failure::Config(format!(
            "{}没有设置 county_code：PostgreSQL 台账由多个县（市、区）共用，复制前须在配置文件中写明本县的 6 位行政区划代码（county_code = \"110101\" 这样），复制的是这个县的历史",
            match &cfg.path {
                Some(p) => format!("配置文件 {} ", p.display()),
                None => "未找到配置文件，".to_string(),
            }
        )));
    }
    let source = open(&cfg, &from, Side::From, &args.from)?;
    let target = open(&cfg, &to, Side::To, &args.to)?;
    let (source_shown, target_shown) = (source.shown(), target.shown());

    let source_tallies = source.month_tallies()?;
    let drafts: Vec<YearMonth> =
        source.batches()?.into_iter().filter(|b| b.status == BatchStatus::Draft).map(|b| b.month).collect();
    let months: Vec<YearMonth> = source_tallies.iter().map(|t| t.month).collect();
    let held: Vec<YearMonth> =
        target.batches()?.into_iter().map(|b| b.month).filter(|m| months.contains(m)).collect::<Vec<_>>();
    let mut held = held;
    held.dedup();
    if !held.is_empty() {
        return Err(LedgerError::MonthsHeld { shown: target_shown, months: held }.into());
    }

    if !months.is_empty() {
        // Months, one step each, then the check.
        let mut progress = Progress::new(months.len() + 1);
        let mut writer = target.begin_import()?;
        source.export(&mut |item| {
            if let HistoryItem::Batch(b) = &item {
                progress.step(&format!("复制 {} 的发放批次", b.month));
            }
            writer.push(item)
        })?;
        progress.step("逐月核对笔数和金额");
        let target_tallies = writer.tallies()?;
        // A mismatch drops the writer: the whole copy is rolled back.
        check_copy(&source_tallies, &target_tallies, &target_shown)?;
        writer.finish()?;
    }
    print(args, &source_shown, &target_shown, &county, &source_tallies, &drafts);
    Ok(())
}

/// `--from` / `--to` as a ledger location (a URL youfu cannot use is refused, exit 7); a PostgreSQL ledger is
/// opened for the county `county` (youfu.toml's `county_code`).
fn location(text: &str, flag: &str, county: &str) -> Result<LedgerLocation, Failure> {
    if text.trim().is_empty() {
        return Err(Failure::Usage(format!("{flag} 不能为空")));
    }
    match LedgerLocation::parse(text).map_err(|e| Failure::Ledger(e.into()))? {
        LedgerLocation::Postgres(url) => Ok(LedgerLocation::Postgres(Box::new(url.with_county(county)))),
        file => Ok(file),
    }
}

/// Open one side. A missing source is a plain refusal; a missing target says how to make it (`youfu init` with
/// this run's configuration and `--ledger TARGET`).
fn open(
    cfg: &load::LoadedConfig,
    at: &LedgerLocation,
    side: Side,
    given: &str,
) -> Result<Box<dyn LedgerStore>, Failure> {
    // A shared ledger is opened for the configured county (its batches are the ones copied).
    let county_at = match at {
        LedgerLocation::Postgres(url) => LedgerLocation::Postgres(Box::new(url.with_county(&cfg.config.county_code))),
        other => other.clone(),
    };
    match crate::ledger::open_existing(&county_at) {
        Err(e) if e.is_missing() => Err(Failure::NoLedger(match side {
            Side::From => format!("找不到源台账 {at}；未作任何修改。请用 --from 指定要复制的台账"),
            Side::To => format!(
                "目标台账 {at} 还没有新建；未作任何修改。台账只由 youfu init 新建，请先运行：{}\n然后再运行本命令。",
                load::init_hint(&cfg.path, cfg.source, &Some(PathBuf::from(shown_for_command(at, given))), None)
            ),
        })),
        r => r.map_err(Failure::from),
    }
}

/// The target as the init command names it: a file as given; a URL as given without its password, if it has one
/// (youfu never prints a password): the copied command then takes it from PGPASSWORD or ~/.pgpass, as psql would.
fn shown_for_command(at: &LedgerLocation, given: &str) -> String {
    match at {
        LedgerLocation::File(_) => given.to_string(),
        LedgerLocation::Postgres(_) => without_password(given.trim()),
    }
}

/// `scheme://user:password@host/db` → `scheme://user@host/db`; anything else unchanged.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}@{host}{tail}")
        }
        _ => url.to_string(),
    }
}

fn print(args: &CopyArgs, from: &str, to: &str, county: &str, tallies: &[MonthTally], drafts: &[YearMonth]) {
    let lines: i64 = tallies.iter().map(|t| t.lines).sum();
    let total: i64 = tallies.iter().map(|t| t.total_fen).sum();
    let drafts_text: Vec<String> = drafts.iter().map(|m| m.to_string()).collect();
    if args.json {
        let months: Vec<serde_json::Value> = tallies
            .iter()
            .map(|t| {
                let mut v = serde_json::to_value(t).expect("plain data");
                v["total"] = json!(plain(t.total_fen));
                v
            })
            .collect();
        let v = json!({
            "ok": true,
            "from": from,
            "to": to,
            "county_code": (!county.is_empty()).then_some(county),
            "months": months,
            "lines": lines,
            "total_fen": total,
            "total": plain(total),
            "verified": true,
            "drafts_not_copied": drafts_text,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        return;
    }
    match (tallies.first(), tallies.last()) {
        (Some(first), Some(last)) => {
            let span = if first.month == last.month {
                first.month.to_string()
            } else {
                format!("{} 至 {}", first.month, last.month)
            };
            println!(
                "已把台账 {from} 中 {} 个月（{span}）的已确认发放历史复制到台账 {to}，共 {lines} 笔明细，合计 {} 元；复制后逐月核对笔数和金额，全部一致：",
                tallies.len(),
                ledger_io::yuan(total)
            );
            println!("月份\t明细笔数\t合计（元）\t代发笔数\t代发金额（元）\t退回笔数\t退回（元）\t重发笔数");
            for t in tallies {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    t.month,
                    t.lines,
                    ledger_io::yuan(t.total_fen),
                    t.transfers,
                    ledger_io::yuan(t.transfer_fen),
                    t.returned_lines,
                    ledger_io::yuan(t.returned_fen),
                    t.reissues
                );
            }
        }
        _ => println!("台账 {from} 中没有已确认发放的月份，没有可复制的历史；台账 {to} 未作任何修改。"),
    }
    if drafts.is_empty() {
        println!("发放草稿不复制（源台账中没有草稿）。");
    } else {
        println!(
            "发放草稿不复制：源台账中 {} 的草稿未复制，需要时在目标台账上重新运行 pay 生成。",
            drafts_text.join("、")
        );
    }
}

/// 元 from 分 as JSON carries amounts: plain, two decimals ("541800.61").
fn plain(fen: i64) -> String {
    crate::domain::money::format_yuan(crate::domain::money::from_fen(fen))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_is_printed_without_its_password() {
        use super::without_password as w;
        assert_eq!(w("postgresql://youfu:s3cret@db.example:5432/ledger"), "postgresql://youfu@db.example:5432/ledger");
        assert_eq!(
            w("postgresql://youfu:p@ss@db/ledger?sslmode=disable"),
            "postgresql://youfu@db/ledger?sslmode=disable"
        );
        assert_eq!(w("postgresql://youfu@db/ledger"), "postgresql://youfu@db/ledger");
        assert_eq!(w("postgresql://db/ledger"), "postgresql://db/ledger");
    }
}
