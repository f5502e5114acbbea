//! `youfu explain --id 身份证号 --month YYYY-MM`: for every 项目, the eligibility decision and why, the standards
//! row used (起始日期, 依据), the unit and formula with its numbers, the rounding step, what the ledger shows as paid
//! for that month and in which batch, and the difference — so a person can check it with a desk calculator. For a
//! person whose 抚恤关系 moved, on a shared ledger: what the other county actually paid for the month (its code,
//! batch, amount, pay date), or who is due to pay it when nobody has.

use super::{Cli, Failure, ledger_io, load};
use crate::compute::StandardTable;
use crate::compute::batch::{History, MonthBatch, compute_month};
use crate::compute::funeral;
use crate::compute::rules::{RoundingPolicy, TransferRule};
use crate::compute::transfer::Payer;
use crate::config::{CodeLevel, Config, code_prefix};
use crate::domain::PaymentKind;
use crate::domain::money::{RoundingMode, format_yuan, from_fen, yuan_text};
use crate::domain::{Recipient, Transfer, YearMonth};
use crate::ledger::PaidLine;
use clap::Args as ClapArgs;
use rust_decimal::Decimal;
use serde_json::json;
use std::fmt::Write as _;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 身份证号
    #[arg(long, value_name = "身份证号")]
    pub id: String,
    /// 所属期（YYYY-MM）
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    #[command(flatten)]
    pub inputs: load::InputArgs,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

fn mode_label(m: RoundingMode) -> &'static str {
    match m {
        RoundingMode::HalfUp => "四舍五入到分",
        RoundingMode::HalfEven => "银行家舍入到分",
        RoundingMode::Down => "舍去分以下",
    }
}

/// The 抚恤关系转移 lines of `explain`: the move, the rule, and who pays which months under the rule, with the
/// JSON of the same (what the shared ledger shows was actually paid follows: `paid_elsewhere`).
fn transfer_lines(t: &Transfer, month: YearMonth, payer: Payer, rule: TransferRule) -> (String, serde_json::Value) {
    let mut out = String::new();
    let from = t.moved_from.as_deref().unwrap_or("原发放地");
    let mut spans = Vec::new();
    if let Some(inn) = t.moved_in {
        let h = rule.handover(inn);
        writeln!(out, "抚恤关系转移：{inn} 自{from}迁入").unwrap();
        spans.push(format!("{} 及以前由原发放地（{from}）发放", h.prev()));
        spans.push(format!("{h} 起由本县发放"));
    }
    if let Some(moved) = t.moved_out {
        let h = rule.handover(moved);
        writeln!(out, "抚恤关系转移：{moved} 迁出").unwrap();
        if t.moved_in.is_none() {
            spans.push(format!("{} 及以前由本县发放", h.prev()));
        }
        spans.push(format!("{h} 起由迁入地发放"));
    }
    writeln!(out, "  转移规则：{}", rule.describe()).unwrap();
    writeln!(out, "  发放地：{}", spans.join("，")).unwrap();
    writeln!(out, "  本月（{month}）由{}发放", payer_text(t, payer)).unwrap();
    let j = json!({
        "moved_out": t.moved_out.map(|m| m.to_string()),
        "moved_in": t.moved_in.map(|m| m.to_string()),
        "moved_from": t.moved_from.as_deref(),
        // This county's first and last months under the rule.
        "here_from": t.moved_in.map(|m| rule.handover(m).to_string()),
        "here_until": t.moved_out.map(|m| rule.handover(m).prev().to_string()),
        "rule": rule.describe(),
    });
    (out, j)
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let month = load::month(&args.month)?;
    let id = args.id.trim().to_ascii_uppercase();
    let cfg = load::config(cli)?;
    let config = &cfg.config;
    let (roster, table) = load::inputs(&args.inputs.roster, &args.inputs.standards, config)?;
    let person: Vec<_> = roster.iter().filter(|r| r.id.as_str() == id).cloned().collect();
    if person.is_empty() {
        return Err(Failure::Usage(format!("花名册 {} 中没有身份证号为 {id} 的人员", args.inputs.roster.display())));
    }
    let ledger = load::ledger(&cfg)?;
    let (mut paid, mut funeral_line, first_committed): (Vec<PaidLine>, Option<PaidLine>, _) =
        (ledger.lines_for(&id, Some(month))?, ledger.funeral_paid(&id)?, ledger.first_committed_month()?);
    // The shared ledger's lines of this person and month in the other counties: who actually paid a month that a
    // 抚恤关系转移 gave to another county. A 市's or 省's bureau has no lines of its own: its counties' lines are
    // the ones paid.
    let bureau = config.level() != CodeLevel::County;
    let elsewhere = if bureau || person.iter().any(|r| r.transfer.is_some()) {
        let prefix = if bureau { code_prefix(&config.county_code) } else { "" };
        ledger.person_lines_in_counties(prefix, &id, Some(month))?.map(|lines| {
            lines.into_iter().filter(|(code, _)| bureau || *code != config.county_code).collect::<Vec<_>>()
        })
    } else {
        None
    };
    if bureau {
        paid = elsewhere.iter().flatten().map(|(_, l)| l.clone()).collect();
        funeral_line = None;
    }
    let history = History { first_committed, ..History::default() };
    let batch = compute_month(month, &person, &table, &config.rules(), &history)?;
    let owed = owed_batch(month, &person, &table, config, &history, &batch)?;

    let r = &person[0];
    let mut out = String::new();
    let attrs =
        ["等级", "性质", "城乡"].iter().map(|k| r.attr(k)).filter(|v| !v.is_empty()).collect::<Vec<_>>().join(" ");
    writeln!(out, "{}（{}）{} {} {} — 所属期 {month}", r.name, r.id, r.category, attrs, r.town).unwrap();
    writeln!(out, "花名册：{}", r.location).unwrap();
    let not_paid: Vec<String> = batch.exceptions.iter().map(|e| e.reason.clone()).collect();
    if not_paid.is_empty() {
        writeln!(out, "资格：本月应发").unwrap();
    } else {
        writeln!(out, "资格：{}", not_paid.join("；")).unwrap();
    }
    let rules = config.rules();
    let payer = crate::compute::transfer::payer(r, month, rules.transfer);
    let mut json_transfer = serde_json::Value::Null;
    if let Some(t) = &r.transfer {
        let (lines, mut j) = transfer_lines(t, month, payer, rules.transfer);
        out.push_str(&lines);
        let who = payer_text(t, payer);
        paid_elsewhere(&mut out, &mut j, config, elsewhere.as_deref(), !paid.is_empty(), payer, &who);
        json_transfer = j;
    }
    let items = items_of(&owed, &paid);
    let mut json_items = Vec::new();
    for item in &items {
        writeln!(out, "项目：{item}").unwrap();
        let mut jitem = json!({"item": item});
        let entitled = entitled_for(&mut out, &mut jitem, item, &owed, &table, config);
        let lines = ledger_lines(item, &paid, funeral_line.as_ref());
        check_paid(&mut out, &mut jitem, entitled, &lines);
        json_items.push(jitem);
    }
    if let Some(l) = funeral_line.as_ref().filter(|_| !items.iter().any(|i| i == funeral::ITEM)) {
        writeln!(
            out,
            "丧葬补助：台账已于 {} 批次发放 {} 元（{}）",
            l.batch_month,
            ledger_io::yuan(l.amount_fen),
            super::history::line_state(l)
        )
        .unwrap();
    }
    if args.json {
        let v = json!({
            "id": r.id.as_str(), "name": r.name, "category": r.category, "month": month.to_string(),
            "eligible": not_paid.is_empty(), "reasons": not_paid, "payer": payer.label(),
            "transfer": json_transfer, "items": json_items,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
    } else {
        print!("{out}");
    }
    Ok(())
}

/// Who pays a month, as `explain` says it: 原发放地（示例甲县）, 本县, 迁入地.
fn payer_text(t: &Transfer, payer: Payer) -> String {
    match payer {
        Payer::OldCounty => format!("原发放地（{}）", t.moved_from.as_deref().unwrap_or("原发放地")),
        p => p.label().to_string(),
    }
}

/// "示例甲县（110102）" when `[counties]` names the code, else "行政区划代码 110102".
fn county_label(config: &Config, code: &str) -> String {
    let name = super::counties::county_name(config, code);
    if name == code { format!("行政区划代码 {code}") } else { format!("{name}（{code}）") }
}

/// After the transfer lines: what the shared ledger shows the other counties paid for the month (`elsewhere`: their
/// committed lines; `None` on a county's SQLite ledger, which cannot see them), or, when nobody has paid it yet,
/// who is due to pay under the rule (`who`). `paid_here`: this county's own ledger has lines for the month.
fn paid_elsewhere(
    out: &mut String,
    j: &mut serde_json::Value,
    config: &Config,
    elsewhere: Option<&[(String, PaidLine)]>,
    paid_here: bool,
    payer: Payer,
    who: &str,
) {
    j["other_counties"] = serde_json::Value::Null;
    j["unpaid_due"] = serde_json::Value::Null;
    let Some(lines) = elsewhere else {
        if payer != Payer::Here {
            writeln!(out, "  {who}的发放记录不在本县的 SQLite 台账中，无法在此核对（共用的 PostgreSQL 台账可查到）")
                .unwrap();
        }
        return;
    };
    let mut listed = Vec::new();
    for (code, l) in lines {
        let mut label = county_label(config, code);
        if !label.ends_with('）') {
            label.push(' ');
        }
        let pay_date = l.pay_date.map(|d| d.to_string());
        writeln!(
            out,
            "  {label}已发：{} 批次（批次号 {}）{} {} {} 元（发放日期 {}）{}",
            l.batch_month,
            l.batch_id,
            l.item,
            l.kind,
            ledger_io::yuan(l.amount_fen),
            pay_date.as_deref().unwrap_or("—"),
            if l.returned.is_some() { format!("，{}", super::history::line_state(l)) } else { String::new() }
        )
        .unwrap();
        listed.push(json!({
            "county_code": code, "county": super::counties::county_name(config, code),
            "batch_month": l.batch_month.to_string(), "batch_id": l.batch_id, "item": l.item,
            "kind": l.kind.to_string(), "amount": format_yuan(from_fen(l.amount_fen)), "pay_date": pay_date,
            "state": super::history::line_state(l),
        }));
    }
    if lines.is_empty() && !paid_here {
        writeln!(out, "  共用台账中尚无任何县（市、区）发放本月；按转移规则应由{who}发放").unwrap();
        j["unpaid_due"] = json!(who);
    }
    j["other_counties"] = json!(listed);
}

/// What the person is owed: `batch`, or, for a person with no account (not paid, but owed), the batch worked out
/// as if an account were there, so that the formula is shown beside the reason.
fn owed_batch(
    month: YearMonth,
    person: &[Recipient],
    table: &StandardTable,
    config: &Config,
    history: &History,
    batch: &MonthBatch,
) -> Result<MonthBatch, Failure> {
    if !batch.exceptions.iter().any(|e| e.kind == crate::compute::exception::ExceptionKind::NoAccount) {
        return Ok(batch.clone());
    }
    let mut with_account = person.to_vec();
    with_account.iter_mut().for_each(|r| r.account = "（缺少银行账号）".into());
    Ok(compute_month(month, &with_account, table, &config.rules(), history)?)
}

/// The 项目 to explain: those owed this month, then those only the ledger has, each once.
fn items_of(owed: &MonthBatch, paid: &[PaidLine]) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in owed.payments.iter().map(|p| p.item.to_string()).chain(paid.iter().map(|l| l.item.clone())) {
        if !items.contains(&item) {
            items.push(item);
        }
    }
    items
}

/// The standard, amount, formula and rounding of each payment owed for `item`, written to `out` and `jitem`;
/// their sum.
fn entitled_for(
    out: &mut String,
    jitem: &mut serde_json::Value,
    item: &str,
    owed: &MonthBatch,
    table: &StandardTable,
    config: &Config,
) -> Decimal {
    let mut entitled = Decimal::ZERO;
    let owed: Vec<_> = owed.payments.iter().filter(|p| *p.item == *item).collect();
    for p in &owed {
        let s = table.row(p.standard as usize);
        let end = table.effective_end(p.standard as usize).map(|e| format!("至 {e}")).unwrap_or_else(|| "起".into());
        writeln!(
            out,
            "  标准：标准表第{}行（{}），{} {}，依据：{}",
            s.location.row.unwrap_or(0),
            s.key_text(),
            s.start,
            end,
            s.basis
        )
        .unwrap();
        writeln!(out, "  金额：{} {}", s.amount.normalize(), s.unit).unwrap();
        if p.kind == PaymentKind::Funeral {
            // N × the death month's amount (丧葬补助), not the month's own formula.
            writeln!(out, "  计算：{}（死亡当月发放额 × 月数）", p.formula()).unwrap();
        } else {
            writeln!(out, "  计算：{}（{}）", p.calc.formula(), mode_label(config.rounding.mode)).unwrap();
        }
        if let Some(st) = p.settlement() {
            writeln!(
                out,
                "  12月尾差调整：全年 {} 个月应发 {}（精确合计后一次舍入）− 其他月份按月发放 {} = {}",
                st.months,
                yuan_text(st.year_exact),
                yuan_text(st.other_months),
                yuan_text(p.amount)
            )
            .unwrap();
        } else if config.rounding.policy == RoundingPolicy::YearEnd {
            writeln!(out, "  舍入办法：每月四舍五入，尾差在12月调整").unwrap();
        }
        writeln!(out, "  本月应发：{} 元", yuan_text(p.amount)).unwrap();
        entitled += p.amount;
        jitem["standard"] = json!({"row": s.location.row, "start": s.start.to_string(), "end": table.effective_end(p.standard as usize).map(|e| e.to_string()), "basis": s.basis, "amount": s.amount.normalize().to_string(), "unit": s.unit.to_string()});
        jitem["formula"] = json!(if p.kind == PaymentKind::Funeral { p.formula() } else { p.calc.formula() });
        jitem["entitled"] = json!(format_yuan(p.amount));
    }
    if owed.is_empty() {
        writeln!(out, "  本月应发：0.00 元（按现行花名册和标准不应发放）").unwrap();
        jitem["entitled"] = json!("0.00");
    }
    entitled
}

/// The ledger's lines for `item`: the 丧葬补助 whatever its 所属期 (paid once per person), the others of this
/// 所属期.
fn ledger_lines<'l>(item: &str, paid: &'l [PaidLine], funeral_line: Option<&'l PaidLine>) -> Vec<&'l PaidLine> {
    if item == funeral::ITEM {
        funeral_line.into_iter().collect()
    } else {
        paid.iter().filter(|l| l.item == item && l.kind != PaymentKind::Funeral).collect()
    }
}

/// The ledger's `lines` for an item against what is `entitled`, written to `out` and `jitem`. What counts as paid
/// is what reached the person: a line the bank returned does not, its 重发 does.
fn check_paid(out: &mut String, jitem: &mut serde_json::Value, entitled: Decimal, lines: &[&PaidLine]) {
    let counted: i64 = lines.iter().map(|l| l.reached_fen()).sum();
    if lines.is_empty() {
        writeln!(out, "  台账已发：无").unwrap();
    }
    for l in lines {
        writeln!(
            out,
            "  台账已发：{} 批次 {} {} 元（发放日期 {}；{}）{}",
            l.batch_month,
            l.kind,
            ledger_io::yuan(l.amount_fen),
            l.pay_date.map(|d| d.to_string()).unwrap_or_default(),
            l.formula,
            if l.returned.is_some() { format!("，{}", super::history::line_state(l)) } else { String::new() }
        )
        .unwrap();
    }
    let diff = entitled - from_fen(counted);
    // A returned line not yet re-issued is made good by its 重发 in the next pay (once the account is corrected),
    // never by a 补发: that part of the difference is named apart, as `arrears` lists it.
    let pending_fen: i64 =
        lines.iter().filter(|l| l.returned.is_some() && l.reissued_in.is_none()).map(|l| l.amount_fen).sum();
    let awaiting = from_fen(pending_fen).min(diff.max(Decimal::ZERO));
    writeln!(
        out,
        "  核对：应发 {} − 已发 {} = {}（{}）",
        yuan_text(entitled),
        yuan_text(from_fen(counted)),
        yuan_text(diff),
        verdict(diff, awaiting)
    )
    .unwrap();
    jitem["paid"] = json!(lines);
    jitem["difference"] = json!(format_yuan(diff));
    jitem["awaiting_reissue"] = json!(format_yuan(awaiting));
}

/// What to do about a difference (owed − paid), of which `awaiting` waits for its 重发.
fn verdict(diff: Decimal, awaiting: Decimal) -> String {
    if awaiting > Decimal::ZERO {
        let rest = diff - awaiting;
        let mut v = format!("银行退回 {} 元待重发：账号更正后下次 pay 重发，不计补发", yuan_text(awaiting));
        if rest > Decimal::ZERO {
            write!(v, "；另应补发 {} 元", yuan_text(rest)).unwrap();
        }
        v
    } else if diff > Decimal::ZERO {
        format!("应补发 {} 元", yuan_text(diff))
    } else if diff < Decimal::ZERO {
        format!("多发 {} 元，应追缴", yuan_text(-diff))
    } else {
        "已足额".into()
    }
}
