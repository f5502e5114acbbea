//! `youfu deadline`: the 每月20日前 deadline of a month, the date the bank file must be submitted by, the
//! working days left, and whether a pay date meets it. Exit codes for cron: on time, late, warning.

use super::{Cli, Failure, exit, load};
use crate::calendar::{Timeliness, check_pay_date, deadline};
use chrono::Datelike;
use clap::Args as ClapArgs;
use serde_json::json;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 所属期（YYYY-MM）
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    /// 检查该发放日期（资金到账日）是否在截止日前
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub pay_date: Option<String>,
    /// 以该日为“今天”（供脚本与测试使用；默认系统日期）
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
    /// 距报送银行截止日不足 N 个工作日且该月尚未确认发放时，以退出码 9 提醒
    #[arg(long, value_name = "N")]
    pub warn_days: Option<i64>,
    /// 日历未覆盖的年份仅按周末计算（输出中会注明）
    #[arg(long)]
    pub weekends_only: bool,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<i32, Failure> {
    let month = load::month(&args.month)?;
    let cfg = load::config(cli)?;
    let cal = load::calendar(&cfg.config, args.weekends_only)?;
    let today = match &args.today {
        Some(t) => load::date(t, "日期")?,
        None => load::today()?,
    };
    load::warn_next_year(&cfg, &cal, today);
    let pay_date = args.pay_date.as_deref().map(|d| load::date(d, "发放日期")).transpose()?;
    let cal_err = |e| cfg.calendar_failure(e);
    let d = deadline(&cal, month, &cfg.config.deadline).map_err(cal_err)?;
    let days_left = cal.working_days_between(today, d.deadline).map_err(cal_err)?;
    let submit_left = cal.working_days_between(today, d.submit_by).map_err(cal_err)?;
    let weekends_only = [month.year(), today.year()].iter().any(|&y| cal.uses_weekends_only_for(y));
    let committed = super::ledger_state::committed_pay_date(&cfg.ledger_location()?, month)?;

    let (status, code, timeliness) = match pay_date.or(committed) {
        Some(p) => match check_pay_date(&cal, &d, p).map_err(cal_err)? {
            t @ Timeliness::OnTime { .. } => ("on_time", exit::OK, Some(t)),
            t @ Timeliness::Late { .. } => ("late", exit::LATE, Some(t)),
        },
        None if today > d.deadline => ("late", exit::LATE, None),
        None if args.warn_days.is_some_and(|n| submit_left <= n) => ("warn", exit::DEADLINE_WARNING, None),
        None => ("on_time", exit::OK, None),
    };

    if args.json {
        let v = json!({
            "month": month.to_string(),
            "deadline": d.deadline.to_string(),
            "submit_by": d.submit_by.to_string(),
            "bank_lead_days": cfg.config.deadline.bank_lead_days,
            "today": today.to_string(),
            "working_days_left": days_left,
            "working_days_to_submit": submit_left,
            "pay_date": pay_date.map(|p| p.to_string()),
            "committed_pay_date": committed.map(|p| p.to_string()),
            "timeliness": timeliness,
            "status": status,
            "exit_code": code,
            "weekends_only": weekends_only,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        return Ok(code);
    }
    if weekends_only {
        println!("注意：日历未覆盖所涉年份，本结果仅按周末计算（--weekends-only）。");
    }
    // A date's weekday, and 调休上班 when it is a weekend day made a working day (a Sunday to submit on).
    let day = |date: chrono::NaiveDate| {
        let makeup = if cal.is_makeup_workday(date) { "，调休上班" } else { "" };
        format!("{}{makeup}", load::weekday_cn(date))
    };
    println!(
        "所属期 {month}：资金最迟到账日 {}（{}），代发文件最迟报送银行日 {}（{}，提前 {} 个工作日）。",
        d.deadline,
        day(d.deadline),
        d.submit_by,
        day(d.submit_by),
        cfg.config.deadline.bank_lead_days
    );
    if days_left >= 0 {
        println!("今天 {today}，距到账截止日还有 {days_left} 个工作日，距报送截止日还有 {submit_left} 个工作日。");
    } else {
        println!("今天 {today}，已超过到账截止日 {} 个工作日。", -days_left);
    }
    if let Some(c) = committed {
        println!("台账记录：该月已确认发放，发放日期 {c}。");
    }
    match (&timeliness, pay_date.or(committed)) {
        (Some(Timeliness::OnTime { spare_working_days: 0 }), Some(p)) => {
            println!("发放日期 {p} 按期（截止日当天）。")
        }
        (Some(Timeliness::OnTime { spare_working_days }), Some(p)) => {
            println!("发放日期 {p} 按期：比截止日早 {spare_working_days} 个工作日。")
        }
        (Some(Timeliness::Late { working_days_late }), Some(p)) => {
            let days = (p - d.deadline).num_days();
            println!("发放日期 {p} 逾期：晚于截止日 {days} 天，其中 {working_days_late} 个工作日。")
        }
        _ if status == "late" => println!("该月尚未确认发放，已逾期。"),
        _ if status == "warn" => println!("提醒：该月尚未确认发放，距报送银行截止日仅剩 {submit_left} 个工作日。"),
        _ => {}
    }
    Ok(code)
}
