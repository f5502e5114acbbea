//! The figures of a 工作总结 statistics section, computed from the ledger's committed payment lines, the audit's
//! per-month on-time status, the roster (年度确认) and the report writer's named figures — a pure function, no IO.
//!
//! Selection: a line belongs to the period when its **发放批次月份** (batch month, the month it was paid in) lies
//! in the period, whatever its 所属期: "1-6月发放…" is money paid in January–June, so 补发 paid in March for last
//! August counts in the first half year. The period's total is therefore the ledger's committed total of those
//! batches, to the 分.
//!
//! Counting ("Words" of docs/domain.md):
//! - 金额: Σ of every line of the group (正常, 补发 and 丧葬补助), exact, in 元 (`Decimal` from integer 分);
//! - 人次: payments counted per person per month — distinct (身份证号, 所属期) pairs among the group's **正常**
//!   lines (a person paid two 项目 in one month is one 人次 of the total, and one 人次 of each 项目);
//! - 人数: distinct 身份证号 among all the group's lines (anyone who received money);
//! - 补发 and 丧葬补助 are also given as groups of their own, where 人次 counts their own (身份证号, 所属期) pairs.
//!
//! Every figure also gets a trace entry (`Figures::trace`) saying how it was computed, for the sidecar JSON.

use super::metrics::Metric;
use super::period::{Period, PeriodKind};
use crate::compute::eligibility::ConfirmationRule;
use crate::domain::money::from_fen;
use crate::domain::{ConfirmationRow, PaidLine, PaymentKind, YearMonth};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Per month of the period: whether a committed batch exists and whether it was on time (from the audit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthStatus {
    pub month: YearMonth,
    pub committed: bool,
    /// `Some(true)`: paid by the deadline (每月20日前); `None`: unknown (no pay date recorded).
    pub on_time: Option<bool>,
}

/// 人次, 人数, lines and 金额 of a set of lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Group {
    /// 人次 (see the module header for which lines count).
    pub person_times: u64,
    /// 人数: distinct 身份证号.
    pub persons: u64,
    /// Number of ledger lines.
    pub lines: u64,
    /// 金额 in 元, exact.
    pub amount: Decimal,
}

/// A group with its name (a 类别, a 项目 or a 乡镇).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedGroup {
    pub name: String,
    #[serde(flatten)]
    pub group: Group,
}

/// Money paid in one batch month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthTotal {
    pub month: YearMonth,
    pub lines: u64,
    pub amount: Decimal,
}

/// Months paid by the deadline, from the audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnTime {
    /// Months in the period.
    pub months: u32,
    /// Months with a committed batch.
    pub committed: u32,
    /// Committed months paid on time; `None` when a committed month has no audit answer.
    pub on_time: Option<u32>,
    /// `on_time / committed`; `None` with `on_time` or when nothing is committed.
    pub rate: Option<Decimal>,
    /// `Some(true)` when every committed month (at least one) was paid on time. A month with nothing committed is
    /// neither on time nor late: the draft says so in a 注 (see `partial_note`) instead of counting it.
    pub all: Option<bool>,
    /// Months committed but late.
    pub late: Vec<YearMonth>,
    /// Months of the period without a committed batch.
    pub not_committed: Vec<YearMonth>,
    /// Months whose on-time status is unknown.
    pub unknown: Vec<YearMonth>,
}

/// 年度确认 progress, from the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    /// The year of the confirmation cycle (the year of the period's last month).
    pub year: i32,
    /// Persons to confirm: distinct 身份证号 of the roster, status 正常 or 暂停, started by the period's end.
    pub required: u64,
    /// First day counted: the start of the cycle's window (1 January without a configured window).
    #[serde(skip)]
    pub from: NaiveDate,
    /// Of those, confirmed (年度确认日期) from `from` to the period's last day.
    pub confirmed: u64,
    pub pending: u64,
    /// `confirmed / required`; `None` when nobody is to confirm.
    pub rate: Option<Decimal>,
}

/// The period as the templates see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodInfo {
    /// `2024H1`, `2024`, `2024Q3`, `2024-01..2024-09`.
    pub code: String,
    pub kind: PeriodKind,
    /// "2024年上半年".
    pub label: String,
    /// "1-6月".
    pub months_label: String,
    /// "上半年", "全年", "第三季度", "1-9月".
    pub short: String,
    pub year: i32,
    pub first: YearMonth,
    pub last: YearMonth,
    /// Number of months.
    pub months: u32,
}

/// How one figure was computed, for the sidecar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    /// The name as a template writes it: `totals.amount`, `by_item["定期抚恤金"].person_times`, `metrics["喜报份数"]`.
    pub name: String,
    /// The value (`null` when missing).
    pub value: Value,
    /// How it was computed, in Chinese.
    pub how: String,
}

/// Every figure of the report: the tera context, and with `trace` the sidecar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub period: PeriodInfo,
    /// The figures of the period's ledger lines; their fields (totals, regular, …, by_month) sit at the top level
    /// of the templates' object.
    #[serde(flatten)]
    pub lines: LineSummary,
    pub on_time: OnTime,
    /// `None` (missing) without a roster.
    pub confirmation: Option<Confirmation>,
    /// The named figures: `None` (missing) when the sheet has the name but no value yet.
    pub metrics: BTreeMap<String, Option<Decimal>>,
    /// 单位 of each named figure.
    pub metric_units: BTreeMap<String, String>,
    #[serde(skip)]
    pub trace: Vec<Trace>,
}

impl Figures {
    /// The figures as the JSON object the templates read.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("plain data")
    }
}

fn group<'a>(lines: impl Iterator<Item = &'a PaidLine>, times_of_all_kinds: bool) -> Group {
    let mut g = Group::default();
    let mut persons = HashSet::new();
    let mut times = HashSet::new();
    for l in lines {
        g.lines += 1;
        g.amount += from_fen(l.amount_fen);
        persons.insert(l.id.as_str());
        if times_of_all_kinds || l.kind.counts_as_regular() {
            times.insert((l.id.as_str(), l.period));
        }
    }
    g.persons = persons.len() as u64;
    g.person_times = times.len() as u64;
    g
}

fn named_groups(lines: &[&PaidLine], key: impl Fn(&PaidLine) -> &str) -> Vec<NamedGroup> {
    let names: BTreeSet<&str> = lines.iter().map(|l| key(l)).collect();
    sort_named_groups(
        names
            .into_iter()
            .map(|name| (name.to_string(), group(lines.iter().copied().filter(|l| key(l) == name), false))),
    )
}

/// Months as a person writes them: runs of consecutive months joined, the year once per year —
/// 2024年7—12月, 2024年3月、5月, 2024年12月、2025年1—2月.
pub fn month_ranges(months: &[YearMonth]) -> String {
    let mut runs: Vec<(YearMonth, YearMonth)> = Vec::new();
    for &m in months {
        match runs.last_mut() {
            Some((_, last)) if last.next() == m && last.year() == m.year() => *last = m,
            _ => runs.push((m, m)),
        }
    }
    let mut out = String::new();
    let mut year = None;
    for (n, (a, b)) in runs.iter().enumerate() {
        if n > 0 {
            out.push('、');
        }
        if year != Some(a.year()) {
            year = Some(a.year());
            out.push_str(&format!("{}年", a.year()));
        }
        if a == b {
            out.push_str(&format!("{}月", a.month()));
        } else {
            out.push_str(&format!("{}—{}月", a.month(), b.month()));
        }
    }
    out
}

/// The 注 a draft ends with when months of its period have nothing committed: which months, and that the figures
/// count only the committed ones. `None` when every month is committed.
pub fn partial_note(on_time: &OnTime) -> Option<String> {
    if on_time.not_committed.is_empty() {
        return None;
    }
    Some(format!(
        "注：{}台账中没有已确认的发放，本文各项数字只统计已确认发放的{}个月（期间共{}个月）。",
        month_ranges(&on_time.not_committed),
        on_time.committed,
        on_time.months
    ))
}

fn months_text(months: &[YearMonth]) -> String {
    if months.is_empty() {
        "无".to_string()
    } else {
        months.iter().map(|m| m.to_string()).collect::<Vec<_>>().join("、")
    }
}

/// The figures that come from the ledger's committed lines of the period: the groups of every line, of each kind,
/// per 类别 / 项目 / 乡镇 and per batch month. Made from the lines (`of_lines`), or by the ledger itself
/// (`cli::report`, in one ordered pass over the lines, without holding them) — both count the same way.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LineSummary {
    /// All lines of the period.
    pub totals: Group,
    /// 正常 lines.
    pub regular: Group,
    /// 补发 lines.
    pub arrears: Group,
    /// 丧葬补助 lines.
    pub funeral: Group,
    /// 重发 lines (in `totals` too): returned money sent again.
    pub reissued: Group,
    /// Lines the bank returned (退回): in no other group, since the money did not reach the recipients.
    pub returned: Group,
    /// Per 类别 / 项目 / 乡镇, largest 金额 first (then by name); an empty name is "（未填）".
    pub by_category: Vec<NamedGroup>,
    pub by_item: Vec<NamedGroup>,
    pub by_town: Vec<NamedGroup>,
    /// Per batch month of the period, in order (months without lines included, with 0).
    pub by_month: Vec<MonthTotal>,
}

impl LineSummary {
    /// The summary of the lines whose batch month lies in `period` (the others are ignored).
    pub fn of_lines(period: &Period, lines: &[PaidLine]) -> LineSummary {
        // As the ledger's own counts (ledger/tally.rs) do: a line the bank returned did not reach its recipient,
        // so it is counted among the returned only — in no total, kind, name or month.
        let (returned, selected): (Vec<&PaidLine>, Vec<&PaidLine>) =
            lines.iter().filter(|l| period.contains(l.batch_month)).partition(|l| l.returned.is_some());
        let of_kind = |k: PaymentKind| selected.iter().copied().filter(move |l| l.kind == k);
        LineSummary {
            totals: group(selected.iter().copied(), false),
            regular: group(of_kind(PaymentKind::Regular), false),
            arrears: group(of_kind(PaymentKind::Arrears), true),
            funeral: group(of_kind(PaymentKind::Funeral), true),
            reissued: group(of_kind(PaymentKind::Reissue), true),
            returned: group(returned.into_iter(), true),
            by_category: named_groups(&selected, |l| &l.category),
            by_item: named_groups(&selected, |l| &l.item),
            by_town: named_groups(&selected, |l| &l.town),
            by_month: period
                .months()
                .map(|m| {
                    let g = group(selected.iter().copied().filter(|l| l.batch_month == m), false);
                    MonthTotal { month: m, lines: g.lines, amount: g.amount }
                })
                .collect(),
        }
    }
}

/// Name and order named groups as `LineSummary` does: an empty name is "（未填）"; largest 金额 first, then by name.
pub fn sort_named_groups(groups: impl IntoIterator<Item = (String, Group)>) -> Vec<NamedGroup> {
    let mut out: Vec<NamedGroup> = groups
        .into_iter()
        .map(|(name, group)| NamedGroup {
            name: if name.is_empty() { "（未填）".to_string() } else { name }, group
        })
        .collect();
    out.sort_by(|a, b| b.group.amount.cmp(&a.group.amount).then_with(|| a.name.cmp(&b.name)));
    out
}

/// Compute every figure of `period`.
///
/// `lines`: the ledger's committed lines (any months: those outside the period are ignored); `months`: the
/// audit's answer per month (months outside the period ignored); `roster`: for 年度确认, when given;
/// `metrics`: the named figures that apply to the period (see `metrics::for_period`).
pub fn figures(
    period: &Period,
    lines: &[PaidLine],
    months: &[MonthStatus],
    roster: Option<&[ConfirmationRow]>,
    rule: Option<&ConfirmationRule>,
    metrics: &[Metric],
) -> Figures {
    figures_of(period, LineSummary::of_lines(period, lines), months, roster, rule, metrics)
}

/// Compute every figure of `period` from the summary of its ledger lines (see `figures`).
pub fn figures_of(
    period: &Period,
    summary: LineSummary,
    months: &[MonthStatus],
    roster: Option<&[ConfirmationRow]>,
    rule: Option<&ConfirmationRule>,
    metrics: &[Metric],
) -> Figures {
    let range = format!("{} 至 {}", period.first, period.last);
    // Each figure with how it was worked out, in the order the trace lists them.
    let mut trace = lines_trace(&range, &summary);
    let on_time = on_time(period, months);
    trace.extend(on_time_trace(&range, &on_time));
    let confirmation = roster.map(|roster| confirmation(period, roster, rule));
    trace.extend(confirmation_trace(period, confirmation.as_ref()));
    let (metric_values, metric_units) = named_figures(metrics, &mut trace);
    Figures {
        period: PeriodInfo {
            code: period.code(),
            kind: period.kind,
            label: period.label(),
            months_label: period.months_label(),
            short: period.short_label(),
            year: period.last.year(),
            first: period.first,
            last: period.last,
            months: period.len(),
        },
        lines: summary,
        on_time,
        confirmation,
        metrics: metric_values,
        metric_units,
        trace,
    }
}

/// The trace of the ledger's figures: each group's amount, person-times, persons and lines, then each month's
/// amount.
fn lines_trace(range: &str, summary: &LineSummary) -> Vec<Trace> {
    let LineSummary { totals, regular, arrears, funeral, reissued, returned, by_category, by_item, by_town, by_month } =
        summary;
    let mut trace = Vec::new();
    let base = format!("台账中发放批次月份在 {range} 的已确认发放明细");
    let push_group = |trace: &mut Vec<Trace>, name: &str, g: &Group, which: &str, times_rule: &str| {
        trace.push(Trace {
            name: format!("{name}.amount"),
            value: json!(g.amount),
            how: format!("{which}共 {} 条的金额合计（元，精确到分）", g.lines),
        });
        trace.push(Trace {
            name: format!("{name}.person_times"),
            value: json!(g.person_times),
            how: format!("{which}中{times_rule}的不同（身份证号，所属期）组合数"),
        });
        trace.push(Trace {
            name: format!("{name}.persons"),
            value: json!(g.persons),
            how: format!("{which}中不同身份证号的个数"),
        });
        trace.push(Trace { name: format!("{name}.lines"), value: json!(g.lines), how: format!("{which}的条数") });
    };
    let kinds = format!(
        "（正常 {} 条、补发 {} 条、丧葬补助 {} 条、重发 {} 条；银行退回的 {} 条不计）",
        regular.lines, arrears.lines, funeral.lines, reissued.lines, returned.lines
    );
    push_group(&mut trace, "totals", totals, &format!("{base}{kinds}"), "类型为“正常”或“重发”的明细");
    push_group(&mut trace, "regular", regular, &format!("{base}中类型为“正常”者"), "");
    push_group(&mut trace, "arrears", arrears, &format!("{base}中类型为“补发”者"), "");
    push_group(&mut trace, "funeral", funeral, &format!("{base}中类型为“丧葬补助”者"), "");
    push_group(&mut trace, "reissued", reissued, &format!("{base}中类型为“重发”者（银行退回后重发）"), "");
    push_group(&mut trace, "returned", returned, &format!("{base}中被银行退回、未到账者"), "");
    for (list, field, col) in
        [(by_category, "by_category", "类别"), (by_item, "by_item", "项目"), (by_town, "by_town", "乡镇")]
    {
        for g in list.iter() {
            push_group(
                &mut trace,
                &format!("{field}[\"{}\"]", g.name),
                &g.group,
                &format!("{base}中{col}为“{}”者", g.name),
                "类型为“正常”或“重发”的明细",
            );
        }
    }
    for m in by_month {
        trace.push(Trace {
            name: format!("by_month[\"{}\"].amount", m.month),
            value: json!(m.amount),
            how: format!("台账中发放批次月份为 {} 的已确认发放明细共 {} 条的金额合计", m.month, m.lines),
        });
    }
    trace
}

/// Whether each month of `period` was paid on time, from the audit of `months`.
fn on_time(period: &Period, months: &[MonthStatus]) -> OnTime {
    let mut committed = 0;
    let mut count = 0;
    let (mut late, mut not_committed, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for m in period.months() {
        match months.iter().find(|s| s.month == m) {
            None => unknown.push(m),
            Some(s) if !s.committed => not_committed.push(m),
            Some(s) => {
                committed += 1;
                match s.on_time {
                    Some(true) => count += 1,
                    Some(false) => late.push(m),
                    None => unknown.push(m),
                }
            }
        }
    }
    let known = unknown.is_empty();
    OnTime {
        months: period.len(),
        committed,
        on_time: known.then_some(count),
        rate: (known && committed > 0).then(|| Decimal::from(count) / Decimal::from(committed)),
        all: known.then_some(committed > 0 && count == committed),
        late,
        not_committed,
        unknown,
    }
}

fn on_time_trace(range: &str, on_time: &OnTime) -> Vec<Trace> {
    let audit = format!(
        "核查结果：{range} 共 {} 个月，已确认发放 {} 个月；逾期：{}；未发放：{}；无法判断：{}",
        on_time.months,
        on_time.committed,
        months_text(&on_time.late),
        months_text(&on_time.not_committed),
        months_text(&on_time.unknown)
    );
    vec![
        Trace {
            name: "on_time.on_time".into(),
            value: json!(on_time.on_time),
            how: if on_time.unknown.is_empty() {
                format!("{audit}；按时（每月20日前）发放的月数")
            } else {
                format!("{audit}；有月份无法判断，按时发放月数缺失")
            },
        },
        Trace {
            name: "on_time.rate".into(),
            value: json!(on_time.rate),
            how: "按时发放月数 ÷ 已确认发放的月数".into(),
        },
        Trace {
            name: "on_time.committed".into(),
            value: json!(on_time.committed),
            how: format!(
                "期间 {range} 中台账有已确认发放批次的月数（未发放：{}）",
                months_text(&on_time.not_committed)
            ),
        },
        Trace { name: "on_time.months".into(), value: json!(on_time.months), how: format!("期间 {range} 的月数") },
    ]
}

/// The trace of 年度确认, or why it is missing (no roster given).
fn confirmation_trace(period: &Period, confirmation: Option<&Confirmation>) -> Vec<Trace> {
    let Some(c) = confirmation else {
        return vec![Trace {
            name: "confirmation".into(),
            value: Value::Null,
            how: "未提供花名册（--roster），年度确认进度缺失".into(),
        }];
    };
    let window = format!("{} 至 {}", c.from, period.last.last_day());
    [
        (
            "confirmation.required",
            json!(c.required),
            "花名册中状态为正常或暂停、起发年月不晚于期末的不同身份证号个数".to_string(),
        ),
        ("confirmation.confirmed", json!(c.confirmed), format!("其中年度确认日期在 {window} 之间的人数")),
        ("confirmation.pending", json!(c.pending), "应确认人数 − 已确认人数".to_string()),
        ("confirmation.rate", json!(c.rate), "已确认人数 ÷ 应确认人数".to_string()),
    ]
    .into_iter()
    .map(|(name, value, how)| Trace { name: name.into(), value, how })
    .collect()
}

/// The metrics sheet's named figures: their values and units by name, each traced to its cell.
fn named_figures(
    metrics: &[Metric],
    trace: &mut Vec<Trace>,
) -> (BTreeMap<String, Option<Decimal>>, BTreeMap<String, String>) {
    let mut values = BTreeMap::new();
    let mut units = BTreeMap::new();
    for m in metrics {
        values.insert(m.name.clone(), m.value);
        units.insert(m.name.clone(), m.unit.clone());
        trace.push(Trace {
            name: format!("metrics[\"{}\"]", m.name),
            value: json!(m.value),
            how: match m.value {
                Some(v) => format!("指标表 {}：{} {}", m.location, v.normalize(), m.unit),
                None => format!("指标表 {}：数值尚未填写", m.location),
            },
        });
    }
    (values, units)
}

/// Confirmations count from the start of the current cycle's window (youfu.toml `[confirmation]`; 1 January when
/// none is configured) to the period's last day.
fn confirmation(period: &Period, roster: &[ConfirmationRow], rule: Option<&ConfirmationRule>) -> Confirmation {
    let year = period.last.year();
    let from = match rule {
        Some(r) => r.cycle(year).0,
        None => NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year"),
    };
    let to = period.last.last_day();
    // Distinct persons (a person may have a row per 项目); hashed, not ordered: a province has a million.
    let mut required = FxHashSet::with_capacity_and_hasher(roster.len(), Default::default());
    let mut confirmed = FxHashSet::with_capacity_and_hasher(roster.len(), Default::default());
    for r in roster {
        let started = r.start_month.is_none_or(|m| m <= period.last);
        if !(r.active && started) {
            continue;
        }
        required.insert(r.person);
        if r.confirmed_on.is_some_and(|d| from <= d && d <= to) {
            confirmed.insert(r.person);
        }
    }
    let required = required.len() as u64;
    let confirmed = confirmed.len() as u64;
    Confirmation {
        year,
        from,
        required,
        confirmed,
        pending: required - confirmed,
        rate: (required > 0).then(|| Decimal::from(confirmed) / Decimal::from(required)),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn months_are_written_as_runs() {
        let ms = |v: &[&str]| v.iter().map(|m| m.parse().unwrap()).collect::<Vec<YearMonth>>();
        assert_eq!(
            month_ranges(&ms(&["2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12"])),
            "2024年7—12月"
        );
        assert_eq!(month_ranges(&ms(&["2024-03", "2024-05"])), "2024年3月、5月");
        assert_eq!(month_ranges(&ms(&["2024-12", "2025-01", "2025-02"])), "2024年12月、2025年1—2月");
        assert_eq!(month_ranges(&[]), "");
    }

    use super::*;
    use rust_decimal_macros::dec;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn status(m: &str, committed: bool, on_time: Option<bool>) -> MonthStatus {
        MonthStatus { month: ym(m), committed, on_time }
    }

    fn line(batch: &str, id: &str, item: &str, period: &str, kind: PaymentKind, fen: i64) -> PaidLine {
        PaidLine {
            line_id: 0,
            batch_id: 0,
            batch_month: ym(batch),
            id: id.into(),
            name: String::new(),
            category: "残疾军人".into(),
            town: String::new(),
            item: item.into(),
            period: ym(period),
            kind,
            amount_fen: fen,
            standard_row: None,
            basis: String::new(),
            formula: String::new(),
            pay_date: None,
            reissue_of: None,
            returned: None,
            reissued_in: None,
        }
    }

    #[test]
    fn on_time_counts_late_uncommitted_and_unknown_months() {
        let q1: Period = "2024Q1".parse().unwrap();
        let all_known =
            [status("2024-01", true, Some(true)), status("2024-02", true, Some(false)), status("2024-03", false, None)];
        let f = figures(&q1, &[], &all_known, None, None, &[]);
        assert_eq!(f.on_time.on_time, Some(1));
        assert_eq!(f.on_time.committed, 2);
        assert_eq!(
            f.on_time.rate.map(|r| r.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero)),
            Some(dec!(0.5000))
        ); // 1 on time of the 2 committed: March, not committed, is neither
        assert_eq!(f.on_time.all, Some(false));
        assert_eq!(f.on_time.late, vec![ym("2024-02")]);
        assert_eq!(f.on_time.not_committed, vec![ym("2024-03")]);

        // A committed month without an answer, or a month the audit does not mention: the count is missing.
        let unknown = [status("2024-01", true, Some(true)), status("2024-02", true, None)];
        let f = figures(&q1, &[], &unknown, None, None, &[]);
        assert_eq!((f.on_time.on_time, f.on_time.rate, f.on_time.all), (None, None, None));
        assert_eq!(f.on_time.unknown, vec![ym("2024-02"), ym("2024-03")]);
        let v = f.to_value();
        assert!(v["on_time"]["on_time"].is_null());
        assert!(v["confirmation"].is_null()); // no roster: missing, never 0
    }

    #[test]
    fn person_times_count_person_months_of_regular_lines() {
        let h1: Period = "2024H1".parse().unwrap();
        let lines = [
            line("2024-01", "A", "残疾抚恤金", "2024-01", PaymentKind::Regular, 100),
            line("2024-01", "A", "护理费", "2024-01", PaymentKind::Regular, 200), // same person-month: still 1 人次 of the total
            line("2024-02", "A", "残疾抚恤金", "2024-02", PaymentKind::Regular, 100),
            line("2024-02", "B", "残疾抚恤金", "2023-12", PaymentKind::Arrears, 50), // 补发: not a 人次 of the total
            line("2024-03", "C", "丧葬补助", "2024-02", PaymentKind::Funeral, 1000),
            line("2024-07", "A", "残疾抚恤金", "2024-07", PaymentKind::Regular, 100), // outside
        ];
        let f = figures(&h1, &lines, &[], None, None, &[]);
        // 100 + 200 + 100 + 50 + 1000 = 1450 分
        assert_eq!(f.lines.totals.amount, dec!(14.50));
        assert_eq!((f.lines.totals.person_times, f.lines.totals.persons, f.lines.totals.lines), (2, 3, 5));
        assert_eq!((f.lines.arrears.person_times, f.lines.arrears.persons, f.lines.arrears.amount), (1, 1, dec!(0.50)));
        assert_eq!(
            (f.lines.funeral.person_times, f.lines.funeral.persons, f.lines.funeral.amount),
            (1, 1, dec!(10.00))
        );
        let items: Vec<(&str, u64, u64, Decimal)> = f
            .lines
            .by_item
            .iter()
            .map(|g| (g.name.as_str(), g.group.person_times, g.group.persons, g.group.amount))
            .collect();
        // largest amount first: 丧葬补助 10.00, 残疾抚恤金 2.50 (100 + 100 + 50), 护理费 2.00
        assert_eq!(
            items,
            vec![("丧葬补助", 0, 1, dec!(10.00)), ("残疾抚恤金", 2, 2, dec!(2.50)), ("护理费", 1, 1, dec!(2.00))]
        );
        let months: Vec<Decimal> = f.lines.by_month.iter().map(|m| m.amount).collect();
        assert_eq!(months, vec![dec!(3.00), dec!(1.50), dec!(10.00), dec!(0), dec!(0), dec!(0)]);
    }

    #[test]
    fn a_returned_line_counts_only_among_the_returned() {
        let h1: Period = "2024H1".parse().unwrap();
        let mut back = line("2024-02", "B", "残疾抚恤金", "2024-02", PaymentKind::Regular, 300);
        back.returned = Some(crate::domain::paid_line::ReturnMark {
            status: "退回".into(),
            reason: "账户已销户".into(),
            recorded_at: "2024-02-20T09:00:00+08:00".into(),
        });
        let lines = [
            line("2024-01", "A", "残疾抚恤金", "2024-01", PaymentKind::Regular, 100),
            back,
            line("2024-03", "B", "残疾抚恤金", "2024-02", PaymentKind::Reissue, 300), // the 重发 of B's February
        ];
        let f = figures(&h1, &lines, &[], None, None, &[]);
        // Reached recipients: 100 (A, January) + 300 (B's 重发 in March) = 400 分; B's returned 300 分 in none.
        assert_eq!((f.lines.totals.lines, f.lines.totals.amount, f.lines.totals.person_times), (2, dec!(4.00), 2));
        assert_eq!((f.lines.regular.lines, f.lines.regular.amount), (1, dec!(1.00)));
        assert_eq!((f.lines.reissued.lines, f.lines.reissued.amount), (1, dec!(3.00)));
        assert_eq!(
            (f.lines.returned.lines, f.lines.returned.persons, f.lines.returned.person_times, f.lines.returned.amount),
            (1, 1, 1, dec!(3.00))
        );
        let by_item: Vec<(&str, u64, Decimal)> =
            f.lines.by_item.iter().map(|g| (g.name.as_str(), g.group.lines, g.group.amount)).collect();
        assert_eq!(by_item, vec![("残疾抚恤金", 2, dec!(4.00))]);
        let months: Vec<Decimal> = f.lines.by_month.iter().map(|m| m.amount).collect();
        // January 1.00; February's only line was returned: 0; March the 重发 3.00.
        assert_eq!(months, vec![dec!(1.00), dec!(0), dec!(3.00), dec!(0), dec!(0), dec!(0)]);
    }

    #[test]
    fn confirmation_counts_from_the_configured_window() {
        use crate::compute::standards::tests::{ID1, ID2, date, person};
        let h1: Period = "2024H1".parse().unwrap();
        let mut early = person(5, ID1, "残疾军人", &[]);
        early.confirmed_on = Some(date("2024-02-15"));
        let mut in_window = person(6, ID2, "烈士遗属", &[]);
        in_window.confirmed_on = Some(date("2024-03-10"));
        let roster = [ConfirmationRow::of(&early), ConfirmationRow::of(&in_window)];
        // No window configured: from 1 January, both count.
        let c = figures(&h1, &[], &[], Some(&roster), None, &[]).confirmation.unwrap();
        assert_eq!((c.required, c.confirmed, c.from), (2, 2, date("2024-01-01")));
        // Window from 03-01: the February confirmation belongs to no current cycle.
        let rule = ConfirmationRule { window_start: "03-01".into(), window_end: "05-31".into(), ..Default::default() };
        let c = figures(&h1, &[], &[], Some(&roster), Some(&rule), &[]).confirmation.unwrap();
        assert_eq!((c.required, c.confirmed, c.pending, c.from), (2, 1, 1, date("2024-03-01")));
    }
}
