//! The report's text from its figures (no IO): the figures of the period, the tera context (the figures plus the
//! county and unit names), the rendered template, and the sidecar that says where every number came from.

use super::ReportError;
use super::counties::{Breakdown, CountySummary, breakdown, combined, missing_note};
use super::figures::{Figures, MonthStatus, Trace, figures, figures_of, partial_note};
use super::metrics::Metric;
use super::period::Period;
use super::render::{Rendered, TemplateSource, render};
use crate::config::{CodeLevel, Config};
use crate::domain::{ConfirmationRow, PaidLine};
use serde_json::{Value, json};

/// The whole report: figures, rendered text, and the sidecar.
#[derive(Debug, Clone)]
pub struct Report {
    pub period: Period,
    pub template: String,
    pub figures: Figures,
    /// The 按县（市、区）breakdown (one county or several): `by_county` in the templates.
    pub by_county: Breakdown,
    pub rendered: Rendered,
}

impl Report {
    /// The sidecar JSON: every figure with its value and how it was computed, which of them the template used,
    /// and the missing names.
    pub fn sidecar(&self) -> Value {
        let used = |name: &str| {
            self.rendered
                .used
                .iter()
                .any(|u| name == u || name.starts_with(&format!("{u}.")) || name.starts_with(&format!("{u}[")))
        };
        let figures: Vec<Value> = self
            .figures
            .trace
            .iter()
            .map(|t| json!({"name": t.name, "value": t.value, "how": t.how, "used": used(&t.name)}))
            .collect();
        let counties: Vec<Value> =
            self.by_county.counties.iter().map(|c| json!({"code": c.code, "name": c.name})).collect();
        let whose = match counties.len() {
            0 | 1 => String::new(),
            n => format!("{n} 个县（市、区）各自"),
        };
        json!({
            "period": self.figures.period,
            "template": self.template,
            "counties": counties,
            "selection": format!(
                "台账中{whose}发放批次月份在 {} 至 {} 的已确认发放明细（按发放月份，不按所属期）",
                self.period.first, self.period.last
            ),
            "total": self.figures.lines.totals.amount,
            "by_month": self.figures.lines.by_month,
            "used": self.rendered.used,
            "missing": self.rendered.missing,
            "figures": figures,
        })
    }
}

/// What a title shows for the unit when youfu.toml names neither the county nor the unit: what to set, where the
/// bare default "退役军人事务局" would start the title as if it were a name.
pub const UNIT_NOT_SET: &str = "（请在youfu.toml中设置county和unit）";

/// youfu.toml names no county and leaves `unit` at its default: the draft cannot say whose report it is.
pub fn unit_not_set(config: &Config) -> bool {
    config.county.trim().is_empty() && config.unit == Config::default().unit
}

/// The tera context: the figures plus `county` and `unit` from the configuration (`UNIT_NOT_SET` for both when
/// neither is configured).
pub fn context(figures: &Figures, config: &Config) -> Value {
    let mut v = figures.to_value();
    if let Value::Object(map) = &mut v {
        let (county, unit) = if unit_not_set(config) {
            (UNIT_NOT_SET.to_string(), UNIT_NOT_SET.to_string())
        } else {
            (config.county.clone(), config.unit.clone())
        };
        map.insert("county".into(), json!(county));
        map.insert("unit".into(), json!(unit));
    }
    v
}

/// Compute and render (no IO): the pure part of `youfu report`.
pub fn build(
    period: Period,
    template: &TemplateSource,
    config: &Config,
    lines: &[PaidLine],
    months: &[MonthStatus],
    roster: Option<&[ConfirmationRow]>,
    metrics: &[Metric],
) -> Result<Report, ReportError> {
    let figs = figures(&period, lines, months, roster, config.confirmation.as_ref(), metrics);
    let own = CountySummary {
        code: config.county_code.clone(),
        name: if config.county.trim().is_empty() { config.county_code.clone() } else { config.county.clone() },
        summary: figs.lines.clone(),
        missing: Vec::new(),
    };
    finish(period, template, config, figs, &[own])
}

/// `build` from the summaries of the period's lines of one county or several (counted by the ledger), in any
/// order. With several, the figures are their sum (`counties::combined`) and the draft carries the 按县（市、区）
/// breakdown: where the template puts `by_county`, else appended at the end.
pub fn build_from_counties(
    period: Period,
    template: &TemplateSource,
    config: &Config,
    counties: &[CountySummary],
    months: &[MonthStatus],
    roster: Option<&[ConfirmationRow]>,
    metrics: &[Metric],
) -> Result<Report, ReportError> {
    let summary = match counties {
        [one] => one.summary.clone(),
        many => combined(many),
    };
    let figs = figures_of(&period, summary, months, roster, config.confirmation.as_ref(), metrics);
    finish(period, template, config, figs, counties)
}

/// The sidecar's entries for a breakdown of several counties: each county's totals and 类别 groups, and how the 合计
/// is made.
fn trace_counties(figs: &mut Figures, b: &Breakdown) {
    // One county: its figures are the report's own, traced already.
    if b.count < 2 {
        return;
    }
    let mut push = |name: String, value: Value, how: String| figs.trace.push(Trace { name, value, how });
    for r in &b.counties {
        let whose = format!("行政区划代码 {}（{}）的已确认发放明细", r.code, r.name);
        push(format!("by_county[\"{}\"].totals.amount", r.code), json!(r.totals.amount), format!("{whose}的金额合计"));
        push(
            format!("by_county[\"{}\"].totals.persons", r.code),
            json!(r.totals.persons),
            format!("{whose}中不同身份证号的个数"),
        );
        for g in &r.by_category {
            push(
                format!("by_county[\"{}\"].by_category[\"{}\"].amount", r.code, g.name),
                json!(g.group.amount),
                format!("{whose}中类别为“{}”者的金额合计", g.name),
            );
        }
    }
    push(
        "by_county.total".into(),
        json!({"amount": b.total.totals.amount, "persons": b.total.totals.persons}),
        format!(
            "{} 个县（市、区）各项之和：金额、人次逐县相加；人数为各县人数之和（期间在这些县之间转移抚恤关系的人，在转出、转入的县各计一次）",
            b.count
        ),
    );
}

/// Render the figures; a period with months that have nothing committed ends with a 注 naming them, whatever the
/// template, so that a half-empty year never reads as a whole one.
fn finish(
    period: Period,
    template: &TemplateSource,
    config: &Config,
    mut figs: Figures,
    counties: &[CountySummary],
) -> Result<Report, ReportError> {
    let mut by_county = breakdown(counties);
    // A 市's or 省's own configuration reports its counties as the 市 or 省, even when one county has batches yet.
    let bureau = config.level() != CodeLevel::County;
    match config.level() {
        CodeLevel::City => (by_county.level, by_county.area) = ("市".into(), "全市".into()),
        CodeLevel::Province => (by_county.level, by_county.area) = ("省".into(), "全省".into()),
        CodeLevel::County => {}
    }
    trace_counties(&mut figs, &by_county);
    let mut ctx = context(&figs, config);
    ctx["by_county"] = serde_json::to_value(&by_county).expect("plain data");
    let mut rendered = render(template, &ctx)?;
    // Several counties: the breakdown is in the draft whatever the template (a county template says 全县 and
    // gives only the sums).
    if counties.len() > 1 && !rendered.used.iter().any(|u| u.starts_with("by_county")) {
        let b = &by_county;
        if !rendered.text.ends_with('\n') {
            rendered.text.push('\n');
        }
        rendered.text.push_str(&format!("\n{}各县（市、区）优抚资金发放情况：\n\n{}", period.label(), b.table));
    }
    // Several counties: the 注 names the counties that have not committed a month (a combined "not committed"
    // would hide whose month is missing, and the others' months are counted).
    let note = if counties.len() > 1 || bureau { missing_note(counties) } else { partial_note(&figs.on_time) };
    if let Some(note) = note {
        if !rendered.text.ends_with('\n') {
            rendered.text.push('\n');
        }
        rendered.text.push('\n');
        rendered.text.push_str(&note);
        rendered.text.push('\n');
    }
    Ok(Report { period, template: template.name.clone(), figures: figs, by_county, rendered })
}
