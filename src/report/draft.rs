//! The report's text from its figures (no IO): the figures of the period, the tera context (the figures plus the
//! county and unit names), the rendered template, and the sidecar that says where every number came from.

use super::ReportError;
use super::figures::{Figures, LedgerLine, LineSummary, MonthStatus, figures, figures_of, partial_note};
use super::metrics::Metric;
use super::period::Period;
use super::render::{Rendered, TemplateSource, render};
use crate::config::Config;
use crate::domain::ConfirmationRow;
use serde_json::{Value, json};

/// The whole report: figures, rendered text, and the sidecar.
#[derive(Debug, Clone)]
pub struct Report {
    pub period: Period,
    pub template: String,
    pub figures: Figures,
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
        json!({
            "period": self.figures.period,
            "template": self.template,
            "selection": format!(
                "台账中发放批次月份在 {} 至 {} 的已确认发放明细（按发放月份，不按所属期）",
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
    lines: &[LedgerLine],
    months: &[MonthStatus],
    roster: Option<&[ConfirmationRow]>,
    metrics: &[Metric],
) -> Result<Report, ReportError> {
    let figs = figures(&period, lines, months, roster, config.confirmation.as_ref(), metrics);
    finish(period, template, config, figs)
}

/// `build` from the summary of the period's lines (made by the ledger) instead of the lines.
pub fn build_from_summary(
    period: Period,
    template: &TemplateSource,
    config: &Config,
    summary: LineSummary,
    months: &[MonthStatus],
    roster: Option<&[ConfirmationRow]>,
    metrics: &[Metric],
) -> Result<Report, ReportError> {
    let figs = figures_of(&period, summary, months, roster, config.confirmation.as_ref(), metrics);
    finish(period, template, config, figs)
}

/// Render the figures; a period with months that have nothing committed ends with a 注 naming them, whatever the
/// template, so that a half-empty year never reads as a whole one.
fn finish(period: Period, template: &TemplateSource, config: &Config, figs: Figures) -> Result<Report, ReportError> {
    let mut rendered = render(template, &context(&figs, config))?;
    if let Some(note) = partial_note(&figs.on_time) {
        if !rendered.text.ends_with('\n') {
            rendered.text.push('\n');
        }
        rendered.text.push('\n');
        rendered.text.push_str(&note);
        rendered.text.push('\n');
    }
    Ok(Report { period, template: template.name.clone(), figures: figs, rendered })
}
