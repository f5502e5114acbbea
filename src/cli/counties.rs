//! `--county CODE[,CODE…]` and `--all-counties` of `report`, `audit` and `batches`: whose batches a command reads.
//!
//! A SQLite ledger is one county's (the configured `county_code`): `--all-counties` there means that county, and
//! asking for another is refused — the file holds nothing of it, and an empty answer would read as "nothing was
//! paid". A shared PostgreSQL ledger holds many counties: `--county` names some, `--all-counties` takes every county
//! with a batch in it (for a city's or a province's figures); without either, the configured county alone, as on
//! SQLite. A 市's or 省's own configuration (`county_code` xxxx00 or xx0000, `config::code_level`) has no batches
//! of its own: it reads the counties under its code — all of them that hold a batch by default or with
//! `--all-counties`, and refuses a `--county` outside it. Names come from youfu.toml's `[counties]` (the own county also from `county`), else the code is shown.

use super::Failure;
use super::load::LoadedConfig;
use crate::config::{CodeLevel, Config, check_county_code, code_prefix};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct CountyArgs {
    /// 县（市、区）的行政区划代码，多个用逗号分隔，如 110101,110102（共用的 PostgreSQL 台账；默认：本县，即
    /// youfu.toml 的 county_code；county_code 是市、省的代码时，默认为其所辖的全部县（市、区））
    #[arg(long, value_name = "CODE[,CODE…]", value_delimiter = ',')]
    pub county: Vec<String>,
    /// 台账中的全部县（市、区），用于市、省的统计；county_code 是市、省的代码时为其所辖的全部县（市、区）（SQLite
    /// 台账只有本县）
    #[arg(long)]
    pub all_counties: bool,
}

/// One county a command reads: its 行政区划代码 (empty on a SQLite ledger whose youfu.toml has no `county_code`) and
/// the name to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct County {
    pub code: String,
    pub name: String,
}

/// The name of `code`: `[counties]`, else `county` for the own code, else the code.
pub fn county_name(config: &Config, code: &str) -> String {
    if let Some(n) = config.counties.get(code) {
        return n.trim().to_string();
    }
    if code == config.county_code && !config.county.trim().is_empty() {
        return config.county.trim().to_string();
    }
    code.to_string()
}

/// Whether `counties` is the configured county alone: the ledger's ordinary reads answer for it (a SQLite file is
/// that county's; a shared ledger is opened for it), and a backend without the county reads still serves it.
pub fn own_only(counties: &[County], config: &Config) -> bool {
    matches!(counties, [c] if c.code == config.county_code)
}

/// The counties to read, in code order, without repeats. `in_ledger` lists the counties a shared ledger holds
/// (asked only for `--all-counties` there). Refusals are usage errors (exit 2), checked before the ledger is opened.
pub fn select(
    args: &CountyArgs,
    cfg: &LoadedConfig,
    in_ledger: impl FnOnce() -> Result<Vec<String>, Failure>,
) -> Result<Vec<County>, Failure> {
    let config = &cfg.config;
    if args.all_counties && !args.county.is_empty() {
        return Err(Failure::Usage(
            "--county 与 --all-counties 只能选一个：--county 列出要统计的县（市、区），--all-counties 统计台账中的全部县（市、区）"
                .into(),
        ));
    }
    let mut asked: Vec<String> = Vec::new();
    for code in &args.county {
        let code = code.trim();
        check_county_code(code).map_err(|e| Failure::Usage(format!("--county {e}")))?;
        asked.push(code.to_string());
    }
    asked.sort();
    asked.dedup();
    let own = config.county_code.clone();
    if config.level() != CodeLevel::County {
        return select_under(&asked, cfg, in_ledger);
    }
    let codes = if !cfg.shared_ledger() {
        let others: Vec<&str> = asked.iter().map(String::as_str).filter(|c| *c != own).collect();
        if !others.is_empty() {
            let file = cfg.ledger.display();
            return Err(Failure::Usage(if own.is_empty() {
                format!(
                    "台账 {file} 是一个县（市、区）的 SQLite 台账，而配置文件中没有 county_code，无法确认它是不是 {} 的台账。\
                     请在配置文件中写上本县的 county_code，或去掉 --county",
                    others.join("、")
                )
            } else {
                format!(
                    "台账 {file} 是 SQLite 文件，只有本县（{}，{own}）的发放记录，没有 {} 的。\
                     各县（市、区）的发放记录在共用的 PostgreSQL 台账中（ledger = \"postgresql://…\"，见 README「PostgreSQL 台账」）；\
                     统计本县请去掉 --county 或写 --county {own}",
                    county_name(config, &own),
                    others.join("、")
                )
            }));
        }
        vec![own]
    } else if args.all_counties {
        let mut all = in_ledger()?;
        all.sort();
        all.dedup();
        if all.is_empty() { vec![own] } else { all }
    } else if asked.is_empty() {
        vec![own]
    } else {
        asked
    };
    Ok(codes.into_iter().map(|code| County { name: county_name(config, &code), code }).collect())
}

/// `select` for a 市's or 省's configuration (`county_code` xxxx00 or xx0000, on a shared ledger: `load::config`
/// refuses one on a SQLite file): the counties asked for, each under the code, or else every county under it that
/// holds a batch in the ledger — with or without `--all-counties`, since the bureau has no batches of its own.
fn select_under(
    asked: &[String],
    cfg: &LoadedConfig,
    in_ledger: impl FnOnce() -> Result<Vec<String>, Failure>,
) -> Result<Vec<County>, Failure> {
    let config = &cfg.config;
    let own = &config.county_code;
    let prefix = code_prefix(own);
    let level = config.level();
    let own_name = county_name(config, own);
    let named = if own_name == *own { own.clone() } else { format!("{own_name}，{own}") };
    let outside: Vec<&str> = asked.iter().map(String::as_str).filter(|c| !c.starts_with(prefix)).collect();
    if !outside.is_empty() {
        return Err(Failure::Usage(format!(
            "--county {} 不在本{}（{named}）之下：youfu.toml 的 county_code = \"{own}\" 只能统计行政区划代码以 {prefix} \
             开头的县（市、区）。请去掉 {}，或用该地的配置（--config）",
            outside.join(","),
            level.word(),
            outside.join("、")
        )));
    }
    let codes = if asked.is_empty() {
        let mut all: Vec<String> = in_ledger()?.into_iter().filter(|c| c.starts_with(prefix)).collect();
        all.sort();
        all.dedup();
        if all.is_empty() {
            return Err(Failure::Usage(format!(
                "共用台账中还没有本{}（{named}）所辖县（市、区）的发放批次（行政区划代码以 {prefix} 开头）：\
                 各县（市、区）用本县的配置运行 pay 和 commit 后，这里才有可统计的发放",
                level.word()
            )));
        }
        all
    } else {
        asked.to_vec()
    };
    Ok(codes.into_iter().map(|code| County { name: county_name(config, &code), code }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::load::ConfigSource;
    use std::path::PathBuf;

    fn loaded(text: &str, ledger_flag: Option<&str>) -> LoadedConfig {
        let config = Config::parse(text, "youfu.toml").unwrap();
        LoadedConfig::new(
            config,
            Some(PathBuf::from("youfu.toml")),
            ConfigSource::Found,
            ledger_flag.map(PathBuf::from),
        )
    }

    fn args(county: &[&str], all: bool) -> CountyArgs {
        CountyArgs { county: county.iter().map(|s| s.to_string()).collect(), all_counties: all }
    }

    fn codes(r: Result<Vec<County>, Failure>) -> Vec<(String, String)> {
        r.unwrap().into_iter().map(|c| (c.code, c.name)).collect()
    }

    fn refusal(r: Result<Vec<County>, Failure>) -> String {
        match r {
            Err(Failure::Usage(m)) => m,
            other => panic!("expected a usage refusal, got {other:?}"),
        }
    }

    const OWN: &str = "county = \"东城区\"\ncounty_code = \"110101\"\n[counties]\n110102 = \"西城区\"\n";

    #[test]
    fn a_sqlite_ledger_is_the_own_county_only() {
        let cfg = loaded(OWN, None);
        let none = || -> Result<Vec<String>, Failure> { panic!("a SQLite ledger is not asked for its counties") };
        let own = vec![("110101".to_string(), "东城区".to_string())];
        assert_eq!(codes(select(&args(&[], false), &cfg, none)), own);
        assert_eq!(codes(select(&args(&[], true), &cfg, none)), own);
        assert_eq!(codes(select(&args(&["110101", "110101"], false), &cfg, none)), own);
        assert_eq!(
            refusal(select(&args(&["110102", "110101"], false), &cfg, none)),
            "台账 youfu.db 是 SQLite 文件，只有本县（东城区，110101）的发放记录，没有 110102 的。\
             各县（市、区）的发放记录在共用的 PostgreSQL 台账中（ledger = \"postgresql://…\"，见 README「PostgreSQL 台账」）；\
             统计本县请去掉 --county 或写 --county 110101"
        );
        assert_eq!(
            refusal(select(&args(&["11010"], false), &cfg, none)),
            "--county “11010”不是 6 位数字的行政区划代码（如 110101）"
        );
        assert_eq!(
            refusal(select(&args(&["110101"], true), &cfg, none)),
            "--county 与 --all-counties 只能选一个：--county 列出要统计的县（市、区），--all-counties 统计台账中的全部县（市、区）"
        );
    }

    #[test]
    fn a_shared_ledger_reads_the_counties_asked_or_all_it_holds() {
        let cfg = loaded(OWN, Some("postgresql://youfu@db/youfu"));
        let held = || Ok(vec!["110105".to_string(), "110102".to_string(), "110101".to_string()]);
        assert_eq!(codes(select(&args(&[], false), &cfg, held)), vec![("110101".into(), "东城区".into())]);
        assert_eq!(
            codes(select(&args(&["110105", "110102"], false), &cfg, held)),
            vec![("110102".into(), "西城区".into()), ("110105".into(), "110105".into())]
        );
        assert_eq!(
            codes(select(&args(&[], true), &cfg, held)),
            vec![
                ("110101".into(), "东城区".into()),
                ("110102".into(), "西城区".into()),
                ("110105".into(), "110105".into())
            ]
        );
    }
}
