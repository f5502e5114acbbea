//! Shared steps of the commands: the configuration, the two input files, the month argument.

use super::{Cli, Failure};
use crate::compute::StandardTable;
use crate::config::{CodeLevel, Config};
use crate::domain::{Categories, Problems, Recipient, YearMonth};
use crate::input::Keep;
use crate::ledger::LedgerStore;
use crate::ledger::location::LedgerLocation;
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

/// The environment variable naming the configuration file when `--config` is not given.
pub const CONFIG_ENV: &str = "YOUFU_CONFIG";

/// Where the configuration in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// `--config PATH`.
    Flag,
    /// The environment variable `YOUFU_CONFIG`.
    Env,
    /// youfu.toml in the working directory or the nearest parent folder.
    Found,
    /// None found: the built-in defaults.
    Defaults,
}

/// The configuration in force, where it came from, and the ledger file it (or `--ledger`) names.
pub struct LoadedConfig {
    pub config: Config,
    /// The file read, or None for the built-in defaults. As given (`--config`, `YOUFU_CONFIG`); absolute when found.
    pub path: Option<PathBuf>,
    pub source: ConfigSource,
    /// The ledger file: `--ledger` as given (relative to the working directory), else the config's `ledger`, a
    /// relative one taken relative to the config file's folder.
    pub ledger: PathBuf,
    /// `--ledger` as given.
    pub ledger_flag: Option<PathBuf>,
}

impl LoadedConfig {
    /// A youfu command line that finds this configuration and ledger again when run from the same working
    /// directory: `youfu [--config C] [--ledger L] ARGS`. `--config` is spelled out when it was given (by flag or
    /// `YOUFU_CONFIG`, which a copied line may not have), `--ledger` when it was given; a found youfu.toml is
    /// found again. Paths are as given, quoted for the shell when they need it.
    /// A calendar refusal as the user sees it: the import command in its hint carries this run's
    /// `--config`/`--ledger`, as every next-step command youfu prints does (the text itself comes from the pure
    /// calendar, which knows nothing of the command line).
    pub fn calendar_failure(&self, e: crate::calendar::CalendarError) -> Failure {
        let mut problem = e.to_problem();
        if let Some(hint) = problem.hint.take() {
            problem.hint = Some(hint.replace("youfu calendar import", &self.command("calendar import")));
        }
        Failure::Data(problem.into())
    }

    pub fn command(&self, args: &str) -> String {
        let mut line = String::from("youfu");
        if let (Some(p), ConfigSource::Flag | ConfigSource::Env) = (&self.path, self.source) {
            line.push_str(" --config ");
            line.push_str(&shell_quote(&p.display().to_string()));
        }
        if let Some(l) = &self.ledger_flag {
            line.push_str(" --ledger ");
            // A database's URL without its password: youfu never prints one (the command finds it in
            // PGPASSWORD or ~/.pgpass).
            let text = l.display().to_string();
            let text = match LedgerLocation::parse(&text) {
                Ok(LedgerLocation::Postgres(_)) => crate::ledger::location::without_password(&text),
                _ => text,
            };
            line.push_str(&shell_quote(&text));
        }
        line.push(' ');
        line.push_str(args);
        line
    }

    /// Where the ledger is: a `postgresql://` URL as given (by `--ledger` or the config's `ledger`), else the
    /// file `ledger`. A URL youfu cannot use is refused here (exit 7).
    pub fn ledger_location(&self) -> Result<LedgerLocation, Failure> {
        let given = match &self.ledger_flag {
            Some(flag) => flag.to_string_lossy(),
            None => self.config.ledger.as_str().into(),
        };
        match LedgerLocation::parse(&given).map_err(|e| Failure::Ledger(e.into()))? {
            LedgerLocation::File(_) => Ok(LedgerLocation::File(self.ledger.clone())),
            // A shared ledger holds many counties': this one's code (required by `load`, exit 4 without it) says
            // whose batches the command sees.
            LedgerLocation::Postgres(url) => {
                Ok(LedgerLocation::Postgres(Box::new(url.with_county(&self.config.county_code))))
            }
        }
    }

    /// Whether the ledger in force is a shared PostgreSQL database (`--ledger`, else the config's `ledger`).
    pub fn shared_ledger(&self) -> bool {
        match &self.ledger_flag {
            Some(l) => crate::config::shared_ledger(&l.to_string_lossy()),
            None => crate::config::shared_ledger(&self.config.ledger),
        }
    }

    /// How the ledger path was decided, for messages: 命令行 --ledger, the config's `ledger` key, or the defaults.
    pub fn ledger_origin(&self) -> String {
        match (&self.ledger_flag, &self.path) {
            (Some(_), _) => "命令行 --ledger 指定".to_string(),
            (None, Some(p)) => {
                // The config file may hold a URL's password; the screen and the logs must not.
                let ledger = match crate::config::shared_ledger(&self.config.ledger) {
                    true => crate::ledger::location::redact(&self.config.ledger),
                    false => self.config.ledger.clone(),
                };
                format!("配置文件 {} 中 ledger = \"{ledger}\"", p.display())
            }
            (None, None) => {
                "未找到配置文件（--config、环境变量 YOUFU_CONFIG、当前及上级文件夹中的 youfu.toml 都没有），\
                 按内置默认值为当前文件夹下的 youfu.db"
                    .to_string()
            }
        }
    }
}

/// `text` as one shell word: unchanged when it holds only characters no shell treats specially (letters, digits,
/// CJK, `-_./:\\+,=@%`), else in double quotes (what sh, PowerShell and cmd.exe all read as one word) when it
/// holds none of `"$`\\!`, else in POSIX single quotes.
pub fn shell_quote(text: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| c.is_alphanumeric() || "-_./:\\+,=@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.into()
    } else if !text.contains(['"', '$', '`', '\\', '!']) {
        format!("\"{text}\"").into()
    } else {
        format!("'{}'", text.replace('\'', "'\\''")).into()
    }
}

/// The configuration: `--config PATH`, else `$YOUFU_CONFIG`, else youfu.toml in the working directory or the
/// nearest parent folder (as git and cargo find theirs), else the built-in defaults. A named file that does not
/// exist is an error (exit 4), never silently replaced by the defaults.
pub fn config(cli: &Cli) -> Result<LoadedConfig, Failure> {
    let (path, source) = find_config(cli)?;
    if let (Some(p), ConfigSource::Flag | ConfigSource::Env) = (&path, source)
        && !p.is_file()
    {
        let how = if source == ConfigSource::Env { format!("（环境变量 {CONFIG_ENV}）") } else { String::new() };
        return Err(Failure::Config(format!(
            "找不到配置文件 {}{how}。新建配置文件和台账请运行：{}",
            p.display(),
            init_hint(&path, source, &cli.ledger, None)
        )));
    }
    let mut config = match &path {
        Some(p) => Config::load(p).map_err(Failure::Config)?,
        None => Config::default(),
    };
    // A relative calendar file, like the ledger, is beside the config file: made absolute here, so that the same
    // file found from any folder gives the same effective configuration (and digest).
    if let Some(p) = &path {
        for file in config.calendar_file.iter_mut().filter(|f| Path::new(f.as_str()).is_relative()) {
            let joined = config_dir(p).join(&*file);
            *file = std::path::absolute(&joined).unwrap_or(joined).display().to_string();
        }
    }
    // A shared ledger named on the command line needs the county's code as much as one named in the file
    // (`Config::parse` refuses that case, naming the line).
    if let Some(flag) = cli.ledger.as_deref().map(|l| l.to_string_lossy())
        && crate::config::shared_ledger(&flag)
        && config.county_code.is_empty()
    {
        let file = match &path {
            Some(p) => format!("配置文件 {} 中没有 county_code", p.display()),
            None => "没有配置文件（youfu.toml），也就没有 county_code".to_string(),
        };
        return Err(Failure::Config(format!(
            "{file}，而命令行 --ledger {} 是共用的 PostgreSQL 台账：共用台账中每个批次都记着它所属县（市、区）的\
             行政区划代码。{}",
            crate::config::redact_url(&flag),
            crate::config::county_code_hint(
                &path.as_ref().map_or("youfu.toml".to_string(), |p| p.display().to_string())
            )
        )));
    }
    let loaded = LoadedConfig::new(config, path, source, cli.ledger.clone());
    // A 市's or 省's code reads the counties of a shared ledger: a county's SQLite file holds none of theirs.
    if loaded.config.level() != CodeLevel::County && !loaded.shared_ledger() {
        return Err(Failure::Config(format!(
            "{}，而台账 {} 是 SQLite 文件，只有一个县（市、区）的发放记录：{}的配置只用于查看共用的 PostgreSQL 台账\
             （ledger = \"postgresql://…\"，见 README「PostgreSQL 台账」）。请在配置文件中写上共用台账的 ledger，\
             或把 county_code 改为本县（市、区）的代码（如 {}）",
            loaded.bureau_code_text(),
            loaded.ledger.display(),
            loaded.config.level().word(),
            county_example(&loaded.config.county_code)
        )));
    }
    Ok(loaded)
}

/// A county's code under a 市's or 省's `code`, for messages: 518000 → 518001, 510000 → 510101.
fn county_example(code: &str) -> String {
    match crate::config::code_level(code) {
        CodeLevel::County => code.to_string(),
        CodeLevel::City => format!("{}01", &code[..4]),
        CodeLevel::Province => format!("{}0101", &code[..2]),
    }
}

impl LoadedConfig {
    /// "配置文件 X 中 county_code = "518000" 是地级（市、州、盟）的行政区划代码", for the messages about a 市's or
    /// 省's configuration.
    fn bureau_code_text(&self) -> String {
        let file = match &self.path {
            Some(p) => format!("配置文件 {}", p.display()),
            None => "配置".to_string(),
        };
        let level = match self.config.level() {
            CodeLevel::Province => "省级",
            CodeLevel::City => "地级（市、州、盟）",
            CodeLevel::County => "县级",
        };
        format!("{file} 中 county_code = \"{}\" 是{level}的行政区划代码", self.config.county_code)
    }

    /// Refuse a command that writes (`command`: pay, commit, bank-return, ledger copy, init) under a 市's or 省's
    /// configuration: such a bureau reads the counties' batches and makes none (exit 4, nothing written).
    pub fn county_only(&self, command: &str) -> Result<(), Failure> {
        let level = self.config.level();
        if level == CodeLevel::County {
            return Ok(());
        }
        Err(Failure::Config(format!(
            "{}：{}的配置只能查看和统计共用台账中各县（市、区）的发放（report、audit、batches、explain、history），\
             不能运行 {command}。发放、确认发放、登记银行回盘、复制和新建台账由各县（市、区）用本县的配置运行：\
             请用 --config 指定该县的 youfu.toml，或把 county_code 改为本县（市、区）的 6 位代码（末两位不是 00，如 {}）。\
             未写入任何内容。",
            self.bureau_code_text(),
            level.word(),
            county_example(&self.config.county_code)
        )))
    }
}

impl LoadedConfig {
    pub fn new(config: Config, path: Option<PathBuf>, source: ConfigSource, ledger_flag: Option<PathBuf>) -> Self {
        let ledger = match (&ledger_flag, &path) {
            (Some(l), _) => l.clone(),
            (None, Some(p)) => config_dir(p).join(&config.ledger),
            (None, None) => PathBuf::from(&config.ledger),
        };
        LoadedConfig { config, path, source, ledger, ledger_flag }
    }
}

/// The folder a config file is in ("" for a bare file name: joining to it keeps a path relative to the working
/// directory, as given).
pub fn config_dir(config: &Path) -> &Path {
    config.parent().unwrap_or(Path::new(""))
}

/// Which file the configuration comes from (not read yet).
pub fn find_config(cli: &Cli) -> Result<(Option<PathBuf>, ConfigSource), Failure> {
    if let Some(p) = &cli.config {
        return Ok((Some(p.clone()), ConfigSource::Flag));
    }
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return Ok((Some(PathBuf::from(p)), ConfigSource::Env));
    }
    let cwd = std::env::current_dir().map_err(|e| Failure::Io(format!("无法确定当前文件夹：{e}")))?;
    Ok(match cwd.ancestors().map(|d| d.join("youfu.toml")).find(|p| p.is_file()) {
        Some(p) => (Some(p), ConfigSource::Found),
        None => (None, ConfigSource::Defaults),
    })
}

/// The `youfu init` command line for this configuration and `--ledger`: with a config file that exists, nothing
/// else is needed; otherwise the county's name and code are (placeholders, or the values when known).
pub fn init_hint(
    path: &Option<PathBuf>,
    source: ConfigSource,
    ledger_flag: &Option<PathBuf>,
    county: Option<(&str, &str)>,
) -> String {
    let exists = path.as_ref().is_some_and(|p| p.is_file());
    let probe = LoadedConfig {
        config: Config::default(),
        path: path.clone(),
        source,
        ledger: PathBuf::new(),
        ledger_flag: ledger_flag.clone(),
    };
    if exists {
        probe.command("init")
    } else {
        let (name, code) = county.unwrap_or(("县名", "6位行政区划代码"));
        probe.command(&format!("init --county {} --county-code {}", shell_quote(name), shell_quote(code)))
    }
}

/// The ledger the configuration names, opened through the ledger seam (never created: only `youfu init` creates
/// one). No ledger there → exit 7 saying where youfu looked and the `youfu init` command that creates it.
pub fn ledger(cfg: &LoadedConfig) -> Result<Box<dyn LedgerStore>, Failure> {
    match crate::ledger::open_existing(&cfg.ledger_location()?) {
        Err(e) if e.is_missing() => Err(Failure::NoLedger(format!(
            "找不到台账 {}（{}）。台账只由 youfu init 新建；如果这是第一次使用，请运行：{}\n\
             台账在别处时，请用 --ledger 指定，或在配置文件中设置 ledger。",
            e.path().display(),
            cfg.ledger_origin(),
            init_hint(&cfg.path, cfg.source, &cfg.ledger_flag, None)
        ))),
        r => r.map_err(Failure::from),
    }
}

/// The ledger as county `code` sees it, for a command that reads one county at a time (`audit`): the configured
/// county's ledger (a SQLite file is only that county's: `counties::select` asks for no other there), or the
/// shared ledger opened for county `code` (its reads then return that county's batches).
pub fn county_ledger(cfg: &LoadedConfig, code: &str) -> Result<Box<dyn LedgerStore>, Failure> {
    if code == cfg.config.county_code || !cfg.shared_ledger() {
        return ledger(cfg);
    }
    match cfg.ledger_location()? {
        LedgerLocation::Postgres(url) => {
            crate::ledger::open_existing(&LedgerLocation::Postgres(Box::new(url.with_county(code))))
                .map_err(Failure::from)
        }
        LedgerLocation::File(_) => ledger(cfg),
    }
}

/// The counties a shared ledger holds batches of, for `--all-counties`; the configured county when it names none
/// (a SQLite file records no county code).
pub fn ledger_counties(cfg: &LoadedConfig) -> Result<Vec<String>, Failure> {
    let held = ledger(cfg)?.counties()?;
    Ok(if held.is_empty() { vec![cfg.config.county_code.clone()] } else { held })
}

pub fn categories(config: &Config) -> Categories {
    Categories::new(&config.categories.extra, &config.categories.aliases)
}

/// Read roster and standards; report the problems of both files together (with the roster's dates that contradict
/// each other or today).
pub fn inputs(roster: &Path, standards: &Path, config: &Config) -> Result<(Vec<Recipient>, StandardTable), Failure> {
    let cats = categories(config);
    // The standards first (a small file): the recipients keep only the columns its rows are keyed on, the only
    // ones that `pay`, `arrears`, `check` and `explain` read from `attrs` (a 1M roster's other columns were
    // 100–170 MB). Problems are listed in the same order as before: the roster's, then the standards'.
    let mut standards_problems = Problems::default();
    let table = match crate::input::read_standards(standards, &cats) {
        Ok(rows) => StandardTable::new(rows).map_err(|p| standards_problems.extend(p)).ok(),
        Err(p) => {
            standards_problems.extend(p);
            None
        }
    };
    let keep = table.as_ref().map_or(Keep::All, |t| Keep::Only(t.key_columns()));
    let r = crate::input::read_roster_keeping(roster, &cats, keep);
    let mut problems = Problems::default();
    let roster = r.map_err(|p| problems.extend(p)).ok();
    if let Some(roster) = &roster {
        // Dates that have not happened yet (a death in 2042): against today, which only this layer may read.
        problems.extend(crate::compute::dates::contradictions(roster, chrono::Local::now().date_naive()));
    }
    problems.extend(standards_problems);
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
pub fn warn_next_year(cfg: &LoadedConfig, cal: &crate::calendar::Calendar, today: chrono::NaiveDate) {
    if let Some(year) = crate::calendar::missing_next_year(today, &cal.year_numbers()) {
        // The import command carries the run's --config/--ledger, so that the import names the config file this
        // run used (and the calendar_file line for it), as every next-step command does.
        let hint = crate::calendar::import_hint(year).replace("youfu calendar import", &cfg.command("calendar import"));
        eprintln!(
            "提示：日历中还没有{year}年的节假日安排，{year}年各月的截止日将无法计算。国务院办公厅通常在11月前后发布次年安排，发布后{hint}。"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_quoted_only_when_a_shell_would_split_or_expand_it() {
        assert_eq!(shell_quote("fixtures/youfu.toml"), "fixtures/youfu.toml");
        assert_eq!(shell_quote("县局/台账2024.db"), "县局/台账2024.db");
        assert_eq!(shell_quote(r"C:\youfu\youfu.toml"), r"C:\youfu\youfu.toml");
        assert_eq!(shell_quote("县 局/youfu.toml"), "\"县 局/youfu.toml\"");
        assert_eq!(shell_quote("a&b;c"), "\"a&b;c\"");
        assert_eq!(shell_quote(""), "\"\"");
        // A `$` or a quote would be read by sh inside double quotes: POSIX single quotes, a ' written as '\''.
        assert_eq!(shell_quote("$HOME's"), r"'$HOME'\''s'");
        assert_eq!(shell_quote("说\"明\""), "'说\"明\"'");
    }

    #[test]
    fn the_command_line_carries_the_config_and_ledger_given_not_one_found() {
        let c = |path: Option<&str>, source, ledger: Option<&str>| {
            LoadedConfig::new(Config::default(), path.map(PathBuf::from), source, ledger.map(PathBuf::from))
        };
        let flag = c(Some("conf/youfu.toml"), ConfigSource::Flag, None);
        assert_eq!(flag.command("batches"), "youfu --config conf/youfu.toml batches");
        assert_eq!(flag.ledger, Path::new("conf/youfu.db"));
        let env = c(Some("/srv/youfu/youfu.toml"), ConfigSource::Env, Some("my ledger.db"));
        assert_eq!(env.command("batches"), "youfu --config /srv/youfu/youfu.toml --ledger \"my ledger.db\" batches");
        assert_eq!(env.ledger, Path::new("my ledger.db"));
        let found = c(Some("/srv/youfu/youfu.toml"), ConfigSource::Found, None);
        assert_eq!(found.command("batches"), "youfu batches");
        assert_eq!(found.ledger, Path::new("/srv/youfu/youfu.db"));
        let defaults = c(None, ConfigSource::Defaults, None);
        assert_eq!(defaults.command("batches"), "youfu batches");
        assert_eq!(defaults.ledger, Path::new("youfu.db"));
    }
}
