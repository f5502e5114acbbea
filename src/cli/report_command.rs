//! `youfu report` and `youfu init-templates`, everything after the ledger read: arguments, the roster and the
//! metrics sheet, the figures, the template, the output (.md, .txt, .docx or stdout), the sidecar
//! `FILE.figures.json`, and the list of missing figures (stderr, `--json`, `--strict`).
//!
//! The ledger is read by the caller (`cli::report`), through the closure given to [`run_with`], once the period is
//! known; everything else is here so that it can be tested without a ledger.

use super::{Failure, exit};
use crate::config::Config;
use crate::domain::PaidLine;
use crate::domain::Problems;
use crate::report::CountySummary;
use crate::report::docx;
use crate::report::draft::{UNIT_NOT_SET, build_from_counties, unit_not_set};
use crate::report::figures::{LineSummary, MonthStatus};
use crate::report::metrics::{for_period, read_metrics};
use crate::report::period::{Period, PeriodKind};
use crate::report::render::{Origin, TemplateSource, Templates};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// 报告期间：2024H1、2024H2、2024、2024Q3 或 2024-01..2024-09
    #[arg(long, value_name = "P")]
    pub period: Option<String>,
    /// 花名册（给出时统计年度确认进度；只读身份证号、状态、死亡日期、起发年月、年度确认日期五列）
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// 指标表（指标、数值、单位[、期间]；xlsx/xls/ods/csv）：台账以外的数，如喜报份数、信访件数
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// 模板：内置模板名（half、items、annual、city）或模板文件路径（默认：多个县（市、区）用 city，全年用 annual，其余用 half）
    #[arg(long, value_name = "NAME|FILE")]
    pub template: Option<String>,
    /// 模板文件夹：其中的 *.tera 替换同名内置模板或增加新模板
    #[arg(long, value_name = "DIR")]
    pub template_dir: Option<PathBuf>,
    /// 输出文件（.md、.txt 或 .docx），另写 FILE.figures.json 说明每个数的来源；不给出时输出到标准输出
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// 有缺失的数（写作 X）时失败（退出码 11），不写出文件
    #[arg(long)]
    pub strict: bool,
    /// 在标准输出打印 JSON
    #[arg(long)]
    pub json: bool,
    /// 列出可用的模板
    #[arg(long)]
    pub list_templates: bool,
    #[command(flatten)]
    pub counties: super::counties::CountyArgs,
}

#[derive(clap::Args, Debug, Clone)]
pub struct InitArgs {
    /// 写入模板的文件夹（不存在则创建）
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// 覆盖已有的同名文件
    #[arg(long)]
    pub force: bool,
}

/// Output format, from the `--out` extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Text,
    Docx,
}

impl Format {
    pub fn of(path: &Path) -> Result<Format, Failure> {
        let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("md") => Ok(Format::Markdown),
            Some("txt") => Ok(Format::Text),
            Some("docx") => Ok(Format::Docx),
            _ => Err(Failure::Usage(format!("输出文件 {} 的扩展名无法识别：应为 .md、.txt 或 .docx", path.display()))),
        }
    }
}

/// The sidecar path of an output file: `draft.docx` → `draft.docx.figures.json`.
pub fn sidecar_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".figures.json");
    out.with_file_name(name)
}

/// The templates of a run: the built-ins, overridden by `--template-dir`.
pub fn templates(args: &Args) -> Result<Templates, Failure> {
    let t = Templates::builtin();
    match &args.template_dir {
        Some(dir) => Ok(t.with_dir(dir)?),
        None => Ok(t),
    }
}

/// The template chosen by `--template` (a name, else a file), or the default: `city` for several counties, else
/// the period's (`annual` for a year, `half` otherwise).
pub fn choose_template(
    args: &Args,
    templates: &Templates,
    period: &Period,
    counties: usize,
) -> Result<TemplateSource, Failure> {
    let name = match &args.template {
        Some(t) => t.clone(),
        None if counties > 1 => "city".into(),
        None if period.kind == PeriodKind::Year => "annual".into(),
        None => "half".into(),
    };
    if let Some(t) = templates.get(&name) {
        return Ok(t.clone());
    }
    let path = Path::new(&name);
    if path.is_file() {
        let stem = path
            .file_name()
            .and_then(|f| f.to_str())
            .map(|f| f.split('.').next().unwrap_or(f).to_string())
            .unwrap_or_else(|| name.clone());
        return Ok(TemplateSource::read(path, &stem)?);
    }
    Err(Failure::Usage(format!(
        "找不到模板“{name}”：可用的模板有 {}，也可以给出模板文件的路径",
        templates.names().join("、")
    )))
}

/// `--list-templates`: name, origin and description of each template.
pub fn list_templates(templates: &Templates, json_out: bool) {
    if json_out {
        let v: Vec<Value> = templates
            .list()
            .iter()
            .map(|t| {
                json!({
                    "name": t.name,
                    "file": t.file_name,
                    "origin": match &t.origin { Origin::BuiltIn => "builtin".to_string(), Origin::File(p) => p.display().to_string() },
                    "description": t.description(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&json!({"ok": true, "templates": v})).expect("plain data"));
        return;
    }
    for t in templates.list() {
        let origin = match &t.origin {
            Origin::BuiltIn => "内置".to_string(),
            Origin::File(p) => p.display().to_string(),
        };
        println!("{}\t{}\t{}", t.name, origin, t.description());
    }
}

/// `youfu init-templates DIR`: copy the built-in templates out for editing. Existing files are kept unless
/// `--force`; returns the files written.
pub fn init_templates(args: &InitArgs) -> Result<Vec<PathBuf>, Failure> {
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| Failure::Io(format!("无法创建文件夹 {}：{}", args.dir.display(), crate::cli::io_reason(&e))))?;
    let builtin = Templates::builtin();
    let existing: Vec<String> =
        builtin.list().iter().filter(|t| args.dir.join(&t.file_name).exists()).map(|t| t.file_name.clone()).collect();
    if !existing.is_empty() && !args.force {
        return Err(Failure::Usage(format!(
            "文件夹 {} 中已有 {}：未写出任何文件；要覆盖请加 --force",
            args.dir.display(),
            existing.join("、")
        )));
    }
    let mut written = Vec::new();
    for t in builtin.list() {
        let path = args.dir.join(&t.file_name);
        write_atomic(&path, t.source.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// `atomic::write_file`, its error as the CLI shows it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    crate::output::atomic::write_file(path, bytes)
        .map_err(|e| Failure::Io(format!("写入 {} 失败：{}", path.display(), crate::cli::io_reason(&e))))
}

/// For each missing figure (as the template names it), where its value comes from and what to do:
/// `metrics["喜报份数"]` from the metrics sheet, `confirmation.*` from `--roster`, `on_time.*` from the months'
/// committed batches, anything else is not a figure youfu knows (a misspelt name in the template).
pub fn missing_sources(missing: &[String], args: &Args) -> Vec<String> {
    missing
        .iter()
        .map(|name| {
            let source = if let Some(key) = name.strip_prefix("metrics[").and_then(|k| k.strip_suffix(']')) {
                let key = key.trim_matches('"');
                match &args.metrics {
                    Some(path) => format!(
                        "来自指标表：{} 中没有“{key}”一行，或其数值为空或写作 X；请在该表的“指标”列写“{key}”并填上数值",
                        path.display()
                    ),
                    None => format!("来自指标表（--metrics FILE，列：指标、数值、单位）：未给出指标表；请在表中填写“{key}”的数值"),
                }
            } else if name.starts_with("confirmation") {
                "来自花名册的年度确认日期：请加 --roster 花名册文件".to_string()
            } else if name.starts_with("on_time") {
                "来自台账中各月的发放确认：期间有月份无法判断是否按时发放，请先确认发放（commit）这些月份".to_string()
            } else {
                "不是 youfu 提供的数：请核对模板中的名字（可用的数见内置模板开头的说明，youfu init-templates 模板 可把它们复制到“模板”文件夹查看）"
                    .to_string()
            };
            format!("{name}：{source}")
        })
        .collect()
}

/// `youfu report` of the configured county, given the way to read its ledger lines for a period. Returns the exit
/// code.
pub fn run_with<F>(args: &Args, config: &Config, read_ledger: F) -> Result<i32, Failure>
where
    F: FnOnce(&Period) -> Result<(Vec<PaidLine>, Vec<MonthStatus>), Failure>,
{
    run_with_counties(args, config, |period| {
        read_ledger(period).map(|(lines, months)| {
            let own = CountySummary {
                code: config.county_code.clone(),
                name: super::counties::county_name(config, &config.county_code),
                summary: LineSummary::of_lines(period, &lines),
                missing: Vec::new(),
            };
            (vec![own], months)
        })
    })
}

/// `run_with`, given the way to read the summaries of the period's ledger lines of each county reported (the
/// ledger counts them itself), and the months' status of them all.
pub fn run_with_counties<F>(args: &Args, config: &Config, read_ledger: F) -> Result<i32, Failure>
where
    F: FnOnce(&Period) -> Result<(Vec<CountySummary>, Vec<MonthStatus>), Failure>,
{
    let templates = templates(args)?;
    if args.list_templates {
        list_templates(&templates, args.json);
        return Ok(exit::OK);
    }
    let period_text = args
        .period
        .as_deref()
        .ok_or_else(|| Failure::Usage("请用 --period 指定报告期间，如 --period 2024H1".into()))?;
    let period: Period = period_text.parse().map_err(|e: crate::report::period::PeriodError| Failure::Usage(e.0))?;
    // A template asked for by name is checked before the ledger is read; the default waits for the number of
    // counties (`--all-counties` on a shared ledger knows it only then).
    let asked = args.template.as_ref().map(|_| choose_template(args, &templates, &period, 1)).transpose()?;
    let format = args.out.as_deref().map(Format::of).transpose()?;

    // The roster is read on a third thread while the ledger is counted here and on a second (a province: ~1 s
    // and ~4 s); only the columns 年度确认 needs are read. Problems of the roster and the metrics sheet come
    // first, all together; then the ledger's.
    let (ledger, roster) = crate::parallel::alongside(
        || read_ledger(&period),
        || args.roster.as_deref().map(crate::input::read_confirmation_rows),
    );
    let mut problems = Problems::default();
    let roster = roster.and_then(|r| r.map_err(|p| problems.extend(p)).ok());
    let metrics = match &args.metrics {
        Some(path) => {
            read_metrics(path).and_then(|m| for_period(&m, &period)).map_err(|p| problems.extend(p)).unwrap_or_default()
        }
        None => Vec::new(),
    };
    if !problems.is_empty() {
        return Err(Failure::Data(problems));
    }

    let (counties, months) = ledger?;
    let bureau = config.level() != crate::config::CodeLevel::County;
    let template = match asked {
        Some(t) => t,
        // A 市's or 省's bureau gets the city template even while one county has batches.
        None => {
            choose_template(args, &templates, &period, if bureau { counties.len().max(2) } else { counties.len() })?
        }
    };
    let report = build_from_counties(period, &template, config, &counties, &months, roster.as_deref(), &metrics)?;
    if unit_not_set(config) {
        eprintln!(
            "提示：youfu.toml 中没有设置县名和单位名称，标题中写作“{UNIT_NOT_SET}”。\
             请在 youfu.toml 中加上两行，如 county = \"某某县\" 和 unit = \"某某县退役军人事务局\"。"
        );
    }
    let missing = &report.rendered.missing;
    let strict_failed = args.strict && !missing.is_empty();
    // With --strict failing there is no draft: the hints say nothing of a 注 or an X written into it.
    let on_time = &report.figures.on_time;
    // Several counties, or a 市's or 省's own configuration: the counties missing a month are named.
    let several = counties.len() > 1 || bureau;
    let missing_counties = if several { crate::report::counties::missing_counties(&counties) } else { None };
    if let Some(which) = missing_counties {
        eprintln!(
            "提示：以下县（市、区）本期有月份在台账中没有已确认的发放（未 commit）：{which}；报告只统计已确认发放的批次{}。",
            if strict_failed { "" } else { "，初稿末尾已加注说明" }
        );
    } else if !several && !on_time.not_committed.is_empty() {
        eprintln!(
            "提示：{}台账中没有已确认的发放（未 commit），报告只统计已确认发放的 {} 个月{}。",
            crate::report::figures::month_ranges(&on_time.not_committed),
            on_time.committed,
            if strict_failed { "" } else { "，初稿末尾已加注说明" }
        );
    }
    if !missing.is_empty() && !strict_failed {
        eprintln!(
            "提示：模板“{}”用到的以下 {} 个数没有数值，已写作 X：{}",
            report.template,
            missing.len(),
            missing.join("、")
        );
    }
    if strict_failed {
        eprintln!("错误：--strict：以下 {} 个数缺失，未写出任何文件：", missing.len());
        for line in missing_sources(missing, args) {
            eprintln!("  {line}");
        }
        eprintln!("补齐后再运行，或去掉 --strict 生成带 X 的初稿。");
    }

    let mut written = Vec::new();
    if let (Some(out), Some(format), false) = (&args.out, format, strict_failed) {
        let bytes = match format {
            Format::Markdown => report.rendered.text.clone().into_bytes(),
            Format::Text => docx::plain_text(&report.rendered.text).into_bytes(),
            Format::Docx => docx::docx(&report.rendered.text),
        };
        let sidecar = sidecar_path(out);
        let sidecar_bytes = serde_json::to_string_pretty(&report.sidecar()).expect("plain data") + "\n";
        write_atomic(out, &bytes)?;
        write_atomic(&sidecar, sidecar_bytes.as_bytes())?;
        written = vec![out.clone(), sidecar];
    }

    let code = if strict_failed { exit::REPORT_MISSING } else { exit::OK };
    if args.json {
        let mut v = json!({
            "ok": !strict_failed,
            "exit_code": code,
            "period": report.period.code(),
            "template": report.template,
            "total": report.figures.lines.totals.amount,
            "missing": missing,
            "files": written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "figures": report.sidecar(),
        });
        if args.out.is_none() && !strict_failed {
            v["text"] = json!(docx::plain_text(&report.rendered.text));
        }
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
    } else if !strict_failed {
        match &args.out {
            None => print!("{}", docx::plain_text(&report.rendered.text)),
            Some(_) => println!(
                "已写出 {}（{}，合计 {} 元）。",
                written.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("、"),
                report.period.label(),
                crate::domain::money::yuan_text(report.figures.lines.totals.amount)
            ),
        }
    }
    Ok(code)
}
