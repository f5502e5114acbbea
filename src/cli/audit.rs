//! `youfu audit --from M1 --to M2`: over the ledger, per month — the committed pay date, the deadline, on time or
//! late (by how many working days), and 足额 — plus months with no committed batch. Non-zero exit (10) if anything
//! is late, short or missing. `--xlsx FILE` writes the same table as a workbook.

use super::counties::{County, CountyArgs, select};
use super::ledger_io::Shortfall;
use super::{Cli, Failure, exit, load};
use crate::calendar::{check_pay_date, deadline};
use crate::compute::audit::{MonthAudit, MonthFacts, ReturnedItem, ShortItem, Verdict, audit_month_with};
use crate::compute::exception::ExceptionKind;
use crate::domain::PaymentKind;
use crate::domain::money::{format_yuan, yuan_text};
use crate::ledger::BatchStatus;
use clap::Args as ClapArgs;
use serde_json::json;
use std::path::PathBuf;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 起始月份（YYYY-MM）
    #[arg(long, value_name = "YYYY-MM")]
    pub from: String,
    /// 截止月份（YYYY-MM）
    #[arg(long, value_name = "YYYY-MM")]
    pub to: String,
    /// 同时写出 xlsx 核查表
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<PathBuf>,
    /// 日历未覆盖的年份仅按周末计算（输出中会注明）
    #[arg(long)]
    pub weekends_only: bool,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub counties: CountyArgs,
}

fn verdict_text(a: &MonthAudit) -> (String, String, String, String, String) {
    match &a.verdict {
        Verdict::Missing { draft } => (
            "—".into(),
            a.deadline.to_string(),
            "缺少".into(),
            "—".into(),
            if *draft { "只有草稿，尚未确认发放".into() } else { "没有发放批次".into() },
        ),
        Verdict::Committed { pay_date, timeliness, late_reason, full, shortfall, shortfalls, returned, reissued } => {
            let t = timeliness.label();
            let f = if !*full {
                format!("未足额（差{}元）", yuan_text(*shortfall))
            } else if !reissued.is_zero() {
                format!("足额（银行退回{}元已重发补足）", yuan_text(*reissued))
            } else {
                "足额".to_string()
            };
            let mut notes = Vec::new();
            if let Some(r) = late_reason {
                notes.push(format!("逾期原因：{r}"));
            }
            if !shortfalls.is_empty() {
                notes.push(format!("未发放：{}", shortfalls.join("；")));
            }
            if !returned.is_empty() {
                notes.push(format!("银行退回：{}", returned.join("；")));
            }
            (pay_date.to_string(), a.deadline.to_string(), t, f, notes.join("；"))
        }
    }
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let (from, to) = (load::month(&args.from)?, load::month(&args.to)?);
    if from > to {
        return Err(Failure::Usage(format!("--from {from} 晚于 --to {to}")));
    }
    let cfg = load::config(cli)?;
    let counties = select(&args.counties, &cfg, || load::ledger_counties(&cfg))?;
    let config = &cfg.config;
    let cal = load::calendar(config, args.weekends_only)?;
    load::warn_next_year(&cfg, &cal, load::today()?);
    let cal_err = |e| cfg.calendar_failure(e);
    let mut audited: Vec<(County, Vec<MonthAudit>)> = Vec::new();
    for county in counties {
        let ledger = load::county_ledger(&cfg, &county.code)?;
        let mut rows = Vec::new();
        for month in from.through(to) {
            let d = deadline(&cal, month, &config.deadline).map_err(cal_err)?;
            let b = ledger.batch(month)?;
            let committed = b.as_ref().map(|b| b.status == BatchStatus::Committed);
            let (mut regular, mut shortfalls, mut returned) = (0i64, Vec::new(), Vec::new());
            if let Some(b) = b.as_ref().filter(|b| b.status == BatchStatus::Committed) {
                regular = ledger
                    .batch_lines(month)?
                    .iter()
                    .filter(|l| l.kind == PaymentKind::Regular && l.period == month)
                    .map(|l| l.amount_fen)
                    .sum();
                shortfalls = Shortfall::list(&b.shortfalls)
                    .into_iter()
                    .map(|s| {
                        let who = format!("{}（{}）", s.name, s.id);
                        let why = match (s.unpaid_fen, s.code) {
                            // The month's own amount is itemised: the kind's words (缺少银行账号), not the
                            // exception's text (which also counts the 补发 held back).
                            (Some(_), Some(kind @ ExceptionKind::NoAccount)) => kind.label().to_string(),
                            _ => s.reason,
                        };
                        ShortItem { who, amount_fen: s.unpaid_fen, why }
                    })
                    .collect();
                // The month's regular money the bank returned, per transfer, and the 重发 that made it whole.
                for r in ledger.returns(month, month)? {
                    let regular_lines: Vec<_> =
                        r.lines.iter().filter(|l| l.kind == PaymentKind::Regular && l.period == month).collect();
                    let amount_fen: i64 = regular_lines.iter().map(|l| l.amount_fen).sum();
                    if amount_fen == 0 {
                        continue;
                    }
                    let reissued = if regular_lines.iter().all(|l| l.reissued_in.is_some()) {
                        match regular_lines.iter().filter_map(|l| l.reissued_in).max_by_key(|(m, day)| (*day, *m)) {
                            Some((m, Some(day))) => Some((m, day, check_pay_date(&cal, &d, day).map_err(cal_err)?)),
                            _ => None,
                        }
                    } else {
                        None
                    };
                    let e = &r.event;
                    returned.push(ReturnedItem {
                        who: format!("{}（{}）", e.name, e.id),
                        amount_fen,
                        why: if e.reason.is_empty() {
                            e.status.clone()
                        } else {
                            format!("{}：{}", e.status, e.reason)
                        },
                        reissued,
                    });
                }
            }
            let facts = MonthFacts {
                month,
                committed,
                pay_date: b.as_ref().and_then(|b| b.pay_date),
                late_reason: b.as_ref().and_then(|b| b.late_reason.clone()),
                entitled_fen: b.as_ref().and_then(|b| b.entitled_fen),
                regular_paid_fen: regular,
                shortfalls,
                returned,
            };
            let timeliness = match facts.pay_date.filter(|_| committed == Some(true)) {
                Some(p) => Some(check_pay_date(&cal, &d, p).map_err(cal_err)?),
                None => None,
            };
            // Amounts inside the itemised texts: plain in --json, as every amount there; for people otherwise.
            let money = if args.json { format_yuan } else { yuan_text };
            rows.push(audit_month_with(&facts, d.deadline, timeliness, money));
        }
        audited.push((county, rows));
    }
    let all = || audited.iter().flat_map(|(_, rows)| rows);
    let several = audited.len() > 1;
    let (late, short, missing) = (
        all().filter(|r| r.late()).count(),
        all().filter(|r| r.short()).count(),
        all().filter(|r| r.missing()).count(),
    );
    let code = if late + short + missing > 0 { exit::AUDIT_FAILED } else { exit::OK };
    // Several counties: whose months are missing, named (a city's officer calls those counties).
    let missing_by_county: Vec<(&County, Vec<String>)> = audited
        .iter()
        .filter(|_| several)
        .map(|(c, rows)| (c, rows.iter().filter(|r| r.missing()).map(|r| r.month.to_string()).collect::<Vec<_>>()))
        .filter(|(_, months)| !months.is_empty())
        .collect();
    let weekends_only = (from.year()..=to.year()).any(|y| cal.uses_weekends_only_for(y));
    if let Some(path) = &args.xlsx {
        write_xlsx(path, &audited, weekends_only).map_err(|e| {
            let why = match e {
                rust_xlsxwriter::XlsxError::IoError(e) => super::io_reason(&e),
                e => e.to_string(),
            };
            Failure::Io(format!("写入 {} 失败：{why}", path.display()))
        })?;
    }
    if args.json {
        let mut v = json!({
            "from": from.to_string(), "to": to.to_string(), "months": all().collect::<Vec<_>>(),
            "late": late, "short": short, "missing": missing, "ok": code == exit::OK,
            "weekends_only": weekends_only, "exit_code": code,
        });
        // Several counties: each one's months apart as well (`months` has them all, county after county).
        if several {
            v["missing_by_county"] = missing_by_county
                .iter()
                .map(|(c, months)| json!({"county_code": c.code, "county": c.name, "months": months}))
                .collect();
            v["counties"] = audited
                .iter()
                .map(|(c, rows)| json!({"county_code": c.code, "county": c.name, "months": rows}))
                .collect();
        }
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        return Ok(code);
    }
    if weekends_only {
        println!("注意：日历未覆盖所涉年份，本结果仅按周末计算（--weekends-only）。");
    }
    println!("每月20日前足额发放核查（{from} 至 {to}）");
    let county_column = if several { "县（市、区）\t" } else { "" };
    println!("{county_column}月份\t发放日期\t截止日\t是否按期\t是否足额\t说明");
    for (c, rows) in &audited {
        let county = if several { format!("{}\t", c.name) } else { String::new() };
        for r in rows {
            let (p, d, t, f, n) = verdict_text(r);
            println!("{county}{}\t{p}\t{d}\t{t}\t{f}\t{n}", r.month);
        }
    }
    let whose = if several { format!("{} 个县（市、区）", audited.len()) } else { String::new() };
    let named = if missing_by_county.is_empty() {
        String::new()
    } else {
        let label = |c: &County| if c.name == c.code { c.code.clone() } else { format!("{}（{}）", c.name, c.code) };
        let list: Vec<String> =
            missing_by_county.iter().map(|(c, months)| format!("{} {}", label(c), months.join("、"))).collect();
        format!("（未确认发放：{}）", list.join("；"))
    };
    println!("合计{whose} {} 个月：逾期 {late} 个月，未足额 {short} 个月，缺少 {missing} 个月{named}。", all().count());
    Ok(code)
}

/// The workbook; with several counties a first column 县（市、区）.
fn write_xlsx(
    path: &std::path::Path,
    audited: &[(County, Vec<MonthAudit>)],
    weekends_only: bool,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("发放核查")?;
    let title = Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color("#F2F2F2");
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let several = audited.len() > 1;
    let mut columns = vec![
        ("月份", 10.0),
        ("发放日期", 12.0),
        ("截止日", 12.0),
        ("是否按期", 20.0),
        ("是否足额", 20.0),
        ("说明", 60.0),
    ];
    if several {
        columns.insert(0, ("县（市、区）", 14.0));
    }
    ws.merge_range(0, 0, 0, columns.len() as u16 - 1, "每月20日前足额发放核查表", &title)?;
    if weekends_only {
        ws.write_string(1, 0, "注意：日历未覆盖所涉年份，本表仅按周末计算")?;
    }
    for (c, (h, w)) in columns.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &head)?;
        ws.set_column_width(c as u16, *w)?;
    }
    let mut row = 3u32;
    for (county, rows) in audited {
        for r in rows {
            let (p, d, t, f, n) = verdict_text(r);
            let mut values = vec![r.month.to_string(), p, d, t, f, n];
            if several {
                values.insert(0, county.name.clone());
            }
            for (c, v) in values.iter().enumerate() {
                ws.write_string_with_format(row, c as u16, v, &cell)?;
            }
            row += 1;
        }
    }
    ws.set_landscape();
    ws.set_paper_size(9);
    // write to a temporary file beside the target, then rename: nothing half-written
    let tmp = path.with_extension("xlsx.tmp");
    wb.save(&tmp)?;
    std::fs::rename(&tmp, path).map_err(rust_xlsxwriter::XlsxError::IoError)
}
