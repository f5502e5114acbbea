//! China's working-day calendar (State Council holiday notices, with 调休 make-up working days) and the
//! 每月20日前 deadline built on it.
//!
//! The built-in arrangements for 2020–2026 live in `data/<year>.toml` and are compiled in; a user file in the
//! same format adds years or replaces whole years (see `data/README.md`). Pure code: no clock, no file IO —
//! the CLI reads the user file and passes its text in. A date in a year the calendar has no arrangement for is
//! refused (`CalendarError::MissingYear`) unless the caller opted into `weekends_only()`.

mod deadline;
pub mod notice;

pub use deadline::{Deadline, DeadlineRule, Timeliness, check_pay_date, deadline};
pub use notice::{Arrangement, NoticeError, arrange, parse_notice};

use crate::domain::{Location, Problem};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The built-in arrangements, one file per year, as `(file name, text)`.
const BUILTIN: [(&str, &str); 7] = [
    ("2020.toml", include_str!("data/2020.toml")),
    ("2021.toml", include_str!("data/2021.toml")),
    ("2022.toml", include_str!("data/2022.toml")),
    ("2023.toml", include_str!("data/2023.toml")),
    ("2024.toml", include_str!("data/2024.toml")),
    ("2025.toml", include_str!("data/2025.toml")),
    ("2026.toml", include_str!("data/2026.toml")),
];

/// Why a calendar question could not be answered or a calendar file was refused. Display is for users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarError {
    /// The calendar has no arrangement for this year and `weekends_only()` was not chosen.
    MissingYear(i32),
    /// A calendar file (built-in or the user's) is malformed; `source` names the file.
    BadFile { source: String, message: String },
    /// A `DeadlineRule` that cannot be applied (e.g. `day = 0`).
    BadRule { message: String },
}

impl CalendarError {
    /// Stable code for scripts and the `Problem` list.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::MissingYear(_) => "CALENDAR_MISSING_YEAR",
            CalendarError::BadFile { .. } => "CALENDAR_BAD_FILE",
            CalendarError::BadRule { .. } => "DEADLINE_BAD_RULE",
        }
    }

    /// The same error as a located `Problem` (the file, when there is one).
    pub fn to_problem(&self) -> Problem {
        match self {
            CalendarError::MissingYear(year) => Problem::new(self.code(), format!("日历中没有{year}年的节假日安排"))
                .hint(format!("{}，或使用 --weekends-only 仅按周末计算。", import_hint(*year))),
            CalendarError::BadFile { source, message } => Problem::new(self.code(), format!("日历文件有误：{message}"))
                .at(Location::file(source.clone()))
                .hint("请按 src/calendar/data/README.md 所述格式修改该文件。"),
            CalendarError::BadRule { message } => Problem::new(self.code(), message.clone()),
        }
    }
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::MissingYear(year) => {
                write!(f, "日历中没有{year}年的节假日安排：{}，或使用 --weekends-only 仅按周末计算", import_hint(*year))
            }
            CalendarError::BadFile { source, message } => {
                write!(f, "日历文件“{source}”有误：{message}")
            }
            CalendarError::BadRule { message } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for CalendarError {}

/// How to add a year: save the State Council's notice as text and import it (the command works when copied,
/// once the notice is saved under that name).
pub fn import_hint(year: i32) -> String {
    format!(
        "请把《国务院办公厅关于{year}年部分节假日安排的通知》全文保存为 {year}年通知.txt，再运行 youfu calendar import {year}年通知.txt --out 日历{year}.toml，并把 日历{year}.toml 加入 youfu.toml 的 calendar_file"
    )
}

/// From 1 December, the year after `today`'s when the calendar has no arrangement for it: the year to warn
/// about. `today` comes from the caller (the clock is read at the CLI edge).
pub fn missing_next_year(today: NaiveDate, known: &[i32]) -> Option<i32> {
    let next = today.year() + 1;
    (today.month() == 12 && !known.contains(&next)).then_some(next)
}

/// What a listed date is: a day off (法定节假日, including the weekend days inside a holiday block) or a
/// 调休 make-up working day on a weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Holiday,
    Workday,
}

impl DayKind {
    /// 放假日 / 调休上班日.
    pub fn name(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假日",
            DayKind::Workday => "调休上班日",
        }
    }
}

/// One year's arrangement as read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct YearData {
    notice: String,
    /// `None` for the built-in data, else the user file it came from.
    source: Option<String>,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    /// The holiday each listed date belongs to, when the file says (`[YYYY.names]`).
    names: BTreeMap<NaiveDate, String>,
}

/// One year as `calendar show` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearView {
    pub year: i32,
    pub notice: String,
    /// `None` for the built-in data, else the file it came from.
    pub source: Option<String>,
    /// Every listed date in order: day off or make-up working day, and its holiday when known.
    pub days: Vec<(NaiveDate, DayKind, Option<String>)>,
}

/// Working days in China: Monday to Friday, minus the State Council holidays, plus the 调休 weekend working
/// days, for the years it has an arrangement for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearData>,
    /// Every listed date of every year, merged (checked for contradictions between years).
    days: BTreeMap<NaiveDate, DayKind>,
    weekends_only: bool,
}

impl Calendar {
    /// The State Council arrangements for 2020 through 2026, compiled in.
    pub fn builtin() -> Calendar {
        let mut years = BTreeMap::new();
        for (name, text) in BUILTIN {
            let parsed = parse_file(text, name).unwrap_or_else(|e| panic!("built-in calendar data: {e}"));
            for (year, data) in parsed {
                years.insert(year, data);
            }
        }
        Calendar::from_years(years, false, "built-in").unwrap_or_else(|e| panic!("built-in calendar data: {e}"))
    }

    /// Adds the years of a user calendar file (same format as `data/<year>.toml`, any number of years); a year
    /// in the file replaces the built-in (or earlier) arrangement for that year entirely.
    pub fn with_user_toml(self, text: &str, source: &str) -> Result<Calendar, CalendarError> {
        let parsed = parse_file(text, source)?;
        let mut years = self.years;
        for (year, mut data) in parsed {
            data.source = Some(source.to_string());
            years.insert(year, data);
        }
        Calendar::from_years(years, self.weekends_only, source)
    }

    /// Explicit opt-in: a year without an arrangement counts Monday–Friday as working days (no holidays).
    /// Outputs that rely on it must say so (`uses_weekends_only_for`).
    pub fn weekends_only(mut self) -> Calendar {
        self.weekends_only = true;
        self
    }

    /// The years with an arrangement, in order, with the notice they follow (and, for a year from a user
    /// file, that file: `通知（来自 my.toml）`).
    pub fn years(&self) -> Vec<(i32, String)> {
        self.years
            .iter()
            .map(|(year, data)| {
                let text = match &data.source {
                    None => data.notice.clone(),
                    Some(source) => format!("{}（来自 {}）", data.notice, source),
                };
                (*year, text)
            })
            .collect()
    }

    /// The years with an arrangement.
    pub fn year_numbers(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// One year's listed dates, or None when the calendar has no arrangement for it.
    pub fn year_view(&self, year: i32) -> Option<YearView> {
        let data = self.years.get(&year)?;
        let mut days: Vec<(NaiveDate, DayKind, Option<String>)> = data
            .holidays
            .iter()
            .map(|d| (*d, DayKind::Holiday))
            .chain(data.workdays.iter().map(|d| (*d, DayKind::Workday)))
            .map(|(d, k)| (d, k, data.names.get(&d).cloned()))
            .collect();
        days.sort_by_key(|x| x.0);
        Some(YearView { year, notice: data.notice.clone(), source: data.source.clone(), days })
    }

    /// True when answers for `year` come from weekends alone (no arrangement, `weekends_only()` chosen).
    pub fn uses_weekends_only_for(&self, year: i32) -> bool {
        self.weekends_only && !self.years.contains_key(&year)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        if !self.years.contains_key(&d.year()) && !self.weekends_only {
            return Err(CalendarError::MissingYear(d.year()));
        }
        Ok(match self.days.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        })
    }

    /// A weekend day that the State Council made a working day (调休上班).
    pub fn is_makeup_workday(&self, d: NaiveDate) -> bool {
        self.days.get(&d) == Some(&DayKind::Workday)
    }

    /// Last working day on or before d.
    pub fn last_working_day_on_or_before(&self, d: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut cur = d;
        while !self.is_working_day(cur)? {
            cur = cur.pred_opt().ok_or(CalendarError::MissingYear(cur.year()))?;
        }
        Ok(cur)
    }

    /// The date `n` working days before `d` (n=0 → d itself if working, else the previous working day).
    pub fn working_days_before(&self, d: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut cur = self.last_working_day_on_or_before(d)?;
        for _ in 0..n {
            let before = cur.pred_opt().ok_or(CalendarError::MissingYear(cur.year()))?;
            cur = self.last_working_day_on_or_before(before)?;
        }
        Ok(cur)
    }

    /// Working days in (from, to]: positive when to > from, negative when to < from; 0 when equal.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> Result<i64, CalendarError> {
        let (lo, hi, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
        let mut count = 0i64;
        for d in lo.iter_days().skip(1).take_while(|d| *d <= hi) {
            if self.is_working_day(d)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }

    /// Builds the merged day table, refusing a date that one year lists as a day off and another as a
    /// working day (`source` is the file blamed for it).
    fn from_years(
        years: BTreeMap<i32, YearData>,
        weekends_only: bool,
        source: &str,
    ) -> Result<Calendar, CalendarError> {
        let mut days: BTreeMap<NaiveDate, (DayKind, i32)> = BTreeMap::new();
        for (year, data) in &years {
            let listed = data.holidays.iter().map(|d| (*d, DayKind::Holiday));
            for (d, kind) in listed.chain(data.workdays.iter().map(|d| (*d, DayKind::Workday))) {
                match days.get(&d) {
                    Some((other, other_year)) if *other != kind => {
                        return Err(CalendarError::BadFile {
                            source: source.to_string(),
                            message: format!(
                                "{d} 在{other_year}年的安排中是{}，在{year}年的安排中却是{}，请只保留正确的一处",
                                other.name(),
                                kind.name()
                            ),
                        });
                    }
                    Some(_) => {}
                    None => {
                        days.insert(d, (kind, *year));
                    }
                }
            }
        }
        let days = days.into_iter().map(|(d, (kind, _))| (d, kind)).collect();
        Ok(Calendar { years, days, weekends_only })
    }
}

/// One `[YYYY]` table of a calendar file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    notice: String,
    holidays: Vec<toml::Value>,
    #[serde(default)]
    workdays: Vec<toml::Value>,
    /// `[YYYY.names]`: holiday name → its dates (days off and make-up days), for the printed table.
    #[serde(default)]
    names: BTreeMap<String, Vec<toml::Value>>,
}

/// Parses and checks a calendar file: `[YYYY]` tables with `notice`, `holidays` and `workdays`.
fn parse_file(text: &str, source: &str) -> Result<BTreeMap<i32, YearData>, CalendarError> {
    let bad = |message: String| CalendarError::BadFile { source: source.to_string(), message };
    let raw: BTreeMap<String, RawYear> = toml::from_str(text).map_err(|e| bad(e.to_string().trim_end().to_string()))?;
    if raw.is_empty() {
        return Err(bad("文件中没有任何年份：每年写作一个表，如 [2031]，其下写 notice、holidays、workdays".into()));
    }
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for (key, ry) in raw {
        let Some(year) = key.parse::<i32>().ok().filter(|y| (1900..=9999).contains(y) && key.len() == 4) else {
            errors.push(format!("表名“[{key}]”不是年份，应写作四位年份，如 [2031]"));
            continue;
        };
        if ry.notice.trim().is_empty() {
            errors.push(format!("{year}年的 notice 为空，请写明依据的通知名称（及文号）"));
        }
        let holidays = dates_of(year, "holidays", &ry.holidays, &mut errors);
        let workdays = dates_of(year, "workdays", &ry.workdays, &mut errors);
        for d in holidays.intersection(&workdays) {
            errors.push(format!("{year}年的 {d} 同时列在 holidays 和 workdays 中"));
        }
        for d in &workdays {
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                errors.push(format!(
                    "{year}年 workdays 中的 {d} 是{}：workdays 只列周六、周日的调休上班日",
                    weekday_zh(d.weekday())
                ));
            }
        }
        let mut names = BTreeMap::new();
        for (name, values) in &ry.names {
            let list = format!("names.{name}");
            for d in dates_of(year, &list, values, &mut errors) {
                if !holidays.contains(&d) && !workdays.contains(&d) {
                    errors.push(format!("{year}年 {list} 中的 {d} 不在 holidays 或 workdays 中"));
                } else if let Some(other) = names.insert(d, name.clone()) {
                    errors.push(format!("{year}年的 {d} 同时列在 names.{other} 和 names.{name} 中"));
                }
            }
        }
        out.insert(year, YearData { notice: ry.notice.trim().to_string(), source: None, holidays, workdays, names });
    }
    if errors.is_empty() { Ok(out) } else { Err(bad(errors.join("；"))) }
}

/// The dates of one list, checked: real dates, no repeats, within December of the year before through
/// January of the year after (a 元旦 block can start on 31 December).
fn dates_of(year: i32, list: &str, values: &[toml::Value], errors: &mut Vec<String>) -> BTreeSet<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year - 1, 12, 1).expect("valid date");
    let last = NaiveDate::from_ymd_opt(year + 1, 1, 31).expect("valid date");
    let mut out = BTreeSet::new();
    for v in values {
        let Some(d) = date_value(v) else {
            errors.push(format!("{year}年 {list} 中的 {v} 不是日期，应写作 {year}-01-01 这样的日期"));
            continue;
        };
        if d < first || d > last {
            errors.push(format!(
                "{year}年 {list} 中的 {d} 不属于{year}年的安排（只能是{}年12月至{}年1月之间的日期）",
                year - 1,
                year + 1
            ));
        } else if !out.insert(d) {
            errors.push(format!("{year}年 {list} 中的 {d} 重复出现"));
        }
    }
    out
}

/// A TOML local date (`2031-01-01`) or a string holding one.
fn date_value(v: &toml::Value) -> Option<NaiveDate> {
    match v {
        toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => {
            let d = dt.date?;
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        }
        toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
        _ => None,
    }
}

fn weekday_zh(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

#[cfg(test)]
mod tests;
