//! Shared steps of the commands: the configuration, the two input files, the month argument.

use super::{Cli, Failure};
use crate::compute::StandardTable;
use crate::config::Config;
use crate::domain::{Categories, Problems, Recipient, YearMonth};
use std::path::{Path, PathBuf};

/// The two input files most commands read.
#[derive(clap::Args, Debug)]
pub struct InputArgs {
    /// 花名册（xlsx/xls/ods/csv）
    #[arg(long, value_name = "FILE")]
    pub roster: PathBuf,
    /// 标准表（xlsx/xls/ods/csv）
    #[arg(long, value_name = "FILE")]
    pub standards: PathBuf,
}

/// The configuration in force and where it came from.
pub struct LoadedConfig {
    pub config: Config,
    /// The file read, or None for the built-in defaults.
    pub path: Option<PathBuf>,
}

/// `--config PATH`, else `./youfu.toml` when present, else the built-in defaults.
pub fn config(cli: &Cli) -> Result<LoadedConfig, Failure> {
    let path = match &cli.config {
        Some(p) => {
            if !p.exists() {
                return Err(Failure::Config(format!("找不到配置文件 {}", p.display())));
            }
            Some(p.clone())
        }
        None => Some(PathBuf::from("youfu.toml")).filter(|p| p.exists()),
    };
    let config = match &path {
        Some(p) => Config::load(p).map_err(Failure::Config)?,
        None => Config::default(),
    };
    Ok(LoadedConfig { config, path })
}

pub fn categories(config: &Config) -> Categories {
    Categories::new(&config.categories.extra, &config.categories.aliases)
}

/// Read roster and standards; report the problems of both files together (with the roster's dates that contradict
/// each other or today).
pub fn inputs(roster: &Path, standards: &Path, config: &Config) -> Result<(Vec<Recipient>, StandardTable), Failure> {
    let cats = categories(config);
    let r = crate::input::read_roster(roster, &cats);
    let s = crate::input::read_standards(standards, &cats);
    let mut problems = Problems::default();
    let roster = r.map_err(|p| problems.extend(p)).ok();
    if let Some(roster) = &roster {
        // Dates that have not happened yet (a death in 2042): against today, which only this layer may read.
        problems.extend(crate::compute::dates::contradictions(roster, chrono::Local::now().date_naive()));
    }
    let table = match s {
        Ok(rows) => StandardTable::new(rows).map_err(|p| problems.extend(p)).ok(),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    match (roster, table) {
        (Some(r), Some(t)) if problems.is_empty() => Ok((r, t)),
        _ => Err(Failure::from(problems)),
    }
}

/// A `YYYY-MM` argument.
pub fn month(text: &str) -> Result<YearMonth, Failure> {
    text.parse::<YearMonth>().map_err(|e| Failure::Usage(e.to_string()))
}

/// This month, from the clock (the CLI layer is the only place that reads it).
pub fn current_month() -> YearMonth {
    YearMonth::of(chrono::Local::now().date_naive())
}

/// The working-day calendar: built-in years, the config's `calendar_file`s in order, and `--weekends-only` if
/// asked for.
pub fn calendar(config: &Config, weekends_only: bool) -> Result<crate::calendar::Calendar, Failure> {
    let mut cal = crate::calendar::Calendar::builtin();
    for file in &config.calendar_file {
        let text =
            std::fs::read_to_string(file).map_err(|e| Failure::Config(format!("无法读取日历文件 {file}：{e}")))?;
        cal = cal.with_user_toml(&text, file).map_err(|e| Failure::Config(e.to_string()))?;
    }
    if weekends_only {
        cal = cal.weekends_only();
    }
    Ok(cal)
}

/// A `YYYY-MM-DD` argument.
pub fn date(text: &str, what: &str) -> Result<chrono::NaiveDate, Failure> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Failure::Usage(format!("{what}“{text}”无效，应写作 YYYY-MM-DD（如 2024-03-15）")))
}

/// 星期一 … 星期日
pub fn weekday_cn(d: chrono::NaiveDate) -> &'static str {
    use chrono::Datelike;
    ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"][d.weekday().num_days_from_monday() as usize]
}

/// From 1 December, a notice on stderr (not an error: the exit code is unchanged) when next year's holiday
/// arrangement is missing, with the command that imports it. `today` is read from the clock by the caller.
pub fn warn_next_year(cal: &crate::calendar::Calendar, today: chrono::NaiveDate) {
    if let Some(year) = crate::calendar::missing_next_year(today, &cal.year_numbers()) {
        eprintln!(
            "提示：日历中还没有{year}年的节假日安排，{year}年各月的截止日将无法计算。国务院办公厅通常在11月前后发布次年安排，发布后{}。",
            crate::calendar::import_hint(year)
        );
    }
}

/// Today: the clock (the CLI layer is the only place that reads it), or `YOUFU_TODAY=YYYY-MM-DD` so that scripts
/// and tests get the same answers on any day (as `deadline --today` does for one command).
pub fn today() -> Result<chrono::NaiveDate, Failure> {
    match std::env::var("YOUFU_TODAY") {
        Ok(t) => date(&t, "环境变量 YOUFU_TODAY 的日期"),
        Err(_) => Ok(chrono::Local::now().date_naive()),
    }
}
