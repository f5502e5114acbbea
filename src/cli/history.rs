//! `youfu history --id 身份证号` and `youfu batches`: what the ledger holds.

use super::counties::{CountyArgs, own_only, select};
use super::{Cli, Failure, ledger_io, load};
use clap::Args as ClapArgs;
use serde_json::json;

#[derive(ClapArgs, Debug)]
pub struct HistoryArgs {
    /// 身份证号
    #[arg(long, value_name = "身份证号")]
    pub id: String,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

#[derive(ClapArgs, Debug)]
pub struct BatchesArgs {
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub counties: CountyArgs,
}

pub fn history(cli: &Cli, args: &HistoryArgs) -> Result<(), Failure> {
    let cfg = load::config(cli)?;
    let ledger = load::ledger(&cfg)?;
    let id = args.id.trim().to_ascii_uppercase();
    // A 市's or 省's bureau has no lines of its own: the person's lines in the counties under its code, each with
    // its county (a first column 县（市、区）, `county_code` and `county` in JSON).
    let bureau = cfg.config.level() != crate::config::CodeLevel::County;
    let (lines, counties): (Vec<crate::ledger::PaidLine>, Vec<String>) = if bureau {
        let prefix = crate::config::code_prefix(&cfg.config.county_code);
        ledger.person_lines_in_counties(prefix, &id, None)?.unwrap_or_default().into_iter().map(|(c, l)| (l, c)).unzip()
    } else {
        (ledger.lines_for(&id, None)?, Vec::new())
    };
    let county_of = |i: usize| counties.get(i).map(|c| super::counties::county_name(&cfg.config, c));
    if args.json {
        let mut v = json!({"id": id, "lines": lines});
        if bureau {
            for (i, l) in v["lines"].as_array_mut().expect("a list").iter_mut().enumerate() {
                l["county_code"] = json!(counties[i]);
                l["county"] = json!(county_of(i));
            }
        }
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        return Ok(());
    }
    if lines.is_empty() {
        println!("台账中没有 {id} 的已确认发放记录。");
        return Ok(());
    }
    let sent: i64 = lines.iter().map(|l| l.amount_fen).sum();
    let reached: i64 = lines.iter().map(|l| l.reached_fen()).sum();
    let returned = sent - reached;
    println!(
        "{}（{id}）已确认发放记录 {} 笔，合计 {} 元{}：",
        lines[0].name,
        lines.len(),
        ledger_io::yuan(sent),
        if returned > 0 {
            format!("，其中银行退回 {} 元，实际到账 {} 元", ledger_io::yuan(returned), ledger_io::yuan(reached))
        } else {
            String::new()
        }
    );
    println!("{}发放月份\t所属期\t项目\t类型\t金额\t发放日期\t状态\t依据", if bureau { "县（市、区）\t" } else { "" });
    for (i, l) in lines.iter().enumerate() {
        println!(
            "{}{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            county_of(i).map(|c| format!("{c}\t")).unwrap_or_default(),
            l.batch_month,
            l.period,
            l.item,
            l.kind,
            ledger_io::yuan(l.amount_fen),
            l.pay_date.map(|d| d.to_string()).unwrap_or_default(),
            line_state(l),
            l.basis
        );
    }
    Ok(())
}

/// 已到账, or 退回 with the bank's words and whether it was re-issued (重发) since.
pub fn line_state(l: &crate::ledger::PaidLine) -> String {
    match &l.returned {
        None => "已到账".to_string(),
        Some(r) => {
            let why = if r.reason.is_empty() { r.status.clone() } else { format!("{}：{}", r.status, r.reason) };
            match l.reissued_in {
                Some(m) => format!("退回（{why}），已在 {m} 批次重发"),
                None => format!("退回（{why}），待重发"),
            }
        }
    }
}

/// `youfu batches`: the batches of the configured county, or of the counties asked for (with several, a first
/// column 县（市、区） and `county_code`/`county` in each JSON batch).
pub fn batches(cli: &Cli, args: &BatchesArgs) -> Result<(), Failure> {
    let cfg = load::config(cli)?;
    let counties = select(&args.counties, &cfg, || load::ledger_counties(&cfg))?;
    let several = counties.len() > 1;
    let mut list: Vec<serde_json::Value> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    // The ledger's times as 北京时间 without the suffix, which the header carries.
    let shown = |t: &str| crate::domain::beijing::beijing_time(t).trim_end_matches("（北京时间）").to_string();
    let ledger = load::ledger(&cfg)?;
    let codes: Vec<String> = counties.iter().map(|c| c.code.clone()).collect();
    let (all_batches, all_returned) = if own_only(&counties, &cfg.config) {
        (vec![ledger.batches()?], vec![ledger.returned_by_month()?])
    } else {
        (ledger.county_batches(&codes)?, ledger.county_returned_by_month(&codes)?)
    };
    for ((county, batches), returned) in counties.iter().zip(&all_batches).zip(&all_returned) {
        for b in batches {
            let (n, fen, open) = returned.get(&b.month).copied().unwrap_or_default();
            if args.json {
                let mut v = serde_json::to_value(b).expect("plain data");
                if several {
                    v["county_code"] = json!(county.code);
                    v["county"] = json!(county.name);
                }
                v["returned_transfers"] = json!(n);
                v["returned_fen"] = json!(fen);
                v["returned_not_reissued_fen"] = json!(open);
                v["reached_fen"] = json!(b.total_fen - fen);
                list.push(v);
                continue;
            }
            let back = if n == 0 {
                "—".to_string()
            } else if open == 0 {
                format!("{}（{n} 笔，已全部重发）", ledger_io::yuan(fen))
            } else {
                format!("{}（{n} 笔，待重发 {}）", ledger_io::yuan(fen), ledger_io::yuan(open))
            };
            lines.push(format!(
                "{}{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                if several { format!("{}\t", county.name) } else { String::new() },
                b.month,
                b.status.label(),
                b.lines,
                ledger_io::yuan(b.total_fen),
                back,
                ledger_io::yuan(b.total_fen - fen),
                b.pay_date.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                shown(&b.created),
                b.committed_at.as_deref().map(shown).unwrap_or_else(|| "—".into()),
                b.late_reason.clone().unwrap_or_default()
            ));
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json!({"batches": list})).expect("plain data"));
        return Ok(());
    }
    println!(
        "{}月份\t状态\t笔数\t合计（元）\t退回（元）\t到账（元）\t发放日期\t生成时间（北京时间）\t确认时间（北京时间）\t逾期原因",
        if several { "县（市、区）\t" } else { "" }
    );
    for l in &lines {
        println!("{l}");
    }
    Ok(())
}
