//! `youfu init`: the one command that creates a ledger. Every other command stops (exit 7) when the ledger the
//! configuration names is not there, so that a command run from the wrong folder, or with the wrong `--config`,
//! can never start a second, empty ledger and pay a month again. `init` asks nothing: the county's name and its
//! 行政区划代码 come as flags and go into a commented youfu.toml (written only when none is found); an existing
//! configuration is used as it is, and an existing ledger is left alone.

use super::load::{self, ConfigSource, LoadedConfig};
use super::{Cli, Failure};
use crate::config::{Config, check_county_code};
use crate::ledger::location::LedgerLocation;
use clap::Args as ClapArgs;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 县（市、区）名，如 示例县（新建配置文件时必须给出）
    #[arg(long, value_name = "县名")]
    pub county: Option<String>,
    /// 6 位行政区划代码（GB/T 2260），如 110101（新建配置文件时必须给出）
    #[arg(long, value_name = "代码")]
    pub county_code: Option<String>,
    /// 以 JSON 输出
    #[arg(long)]
    pub json: bool,
}

/// The documented youfu.toml, every key at its default: what `init` fills in and writes.
const EXAMPLE: &str = include_str!("../../docs/youfu.toml.example");

/// The youfu.toml `init` writes: the documented example with the county's name, code, unit and the ledger filled
/// in, under a first line saying where it came from.
pub fn config_text(county: &str, code: &str, ledger: &str) -> String {
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    let body = EXAMPLE
        .replacen("county = \"\"", &format!("county = {}", quoted(county)), 1)
        .replacen("county_code = \"\"", &format!("county_code = {}", quoted(code)), 1)
        .replacen("unit = \"退役军人事务局\"", &format!("unit = {}", quoted(&format!("{county}退役军人事务局"))), 1)
        .replacen("ledger = \"youfu.db\"", &format!("ledger = {}", quoted(ledger)), 1);
    let (_, rest) = body.split_once('\n').expect("the example has a first line");
    format!("# youfu.toml — 由 youfu init 写出；可按说明修改。Written by youfu init; edit as described.\n{rest}")
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let given = (args.county.as_deref().map(str::trim), args.county_code.as_deref().map(str::trim));
    if let (_, Some(code)) = given {
        check_county_code(code).map_err(|e| Failure::Usage(format!("--county-code {e}")))?;
    }
    if given.0 == Some("") {
        return Err(Failure::Usage("--county 不能为空".into()));
    }
    let (path, source) = load::find_config(cli)?;
    let existing = path.as_ref().filter(|p| p.is_file()).cloned();
    let (cfg, wrote_config) = match existing {
        Some(_) => {
            let cfg = load::config(cli)?;
            check_flags_agree(&cfg, given)?;
            // The schema on a shared ledger is made by a county's init (or the DBA): a 市's or 省's bureau only
            // reads it.
            cfg.county_only("init")?;
            (cfg, None)
        }
        None => {
            let (Some(county), Some(code)) = given else {
                return Err(Failure::Usage(format!(
                    "{}。新建配置文件和台账需要县名和 6 位行政区划代码，例如：{}",
                    match &path {
                        Some(p) => format!("配置文件 {} 不存在", p.display()),
                        None => "当前文件夹及上级文件夹中都没有 youfu.toml".to_string(),
                    },
                    load::init_hint(&path, source, &cli.ledger, Some(("示例县", "110101")))
                )));
            };
            let config_path = path.clone().unwrap_or_else(|| PathBuf::from("youfu.toml"));
            let ledger_key = match &cli.ledger {
                Some(l) => relative_to(l, load::config_dir(&config_path)),
                None => Config::default().ledger,
            };
            let text = config_text(county, code, &ledger_key);
            let config = Config::parse(&text, &config_path.display().to_string()).map_err(Failure::Config)?;
            let source = if source == ConfigSource::Defaults { ConfigSource::Found } else { source };
            (LoadedConfig::new(config, Some(config_path.clone()), source, cli.ledger.clone()), Some(text))
        }
    };

    // The ledger: an existing youfu ledger is kept as it is (a second `init` changes nothing); anything else there
    // is refused before the configuration is written.
    let location = cfg.ledger_location()?;
    let existed = match crate::ledger::open_existing(&location) {
        Ok(l) => Some(l.batches()?.len()),
        Err(e) if e.is_missing() => None,
        Err(e) => return Err(e.into()),
    };
    if existed.is_none() {
        match crate::ledger::create(&location) {
            Ok(_) => {}
            // Another init got there first: its ledger is as good as ours.
            Err(e) if e.already_exists() => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(text) = &wrote_config {
        let config_path = cfg.path.as_deref().expect("a config path to write");
        if let Err(e) = write_new(config_path, text) {
            if let (None, LedgerLocation::File(file)) = (existed, &location) {
                let _ = std::fs::remove_file(file);
            }
            return Err(Failure::Io(format!("无法写出配置文件 {}：{e}；台账未新建", config_path.display())));
        }
    }

    let config_path = cfg.path.as_ref().map(|p| p.display().to_string());
    let check = cfg.command("check --month YYYY-MM --roster 花名册.xlsx --standards 标准表.xlsx");
    let pay = cfg.command("pay --month YYYY-MM --roster 花名册.xlsx --standards 标准表.xlsx --out 发放/YYYY-MM");
    if args.json {
        let v = json!({
            "ok": true,
            "config": config_path,
            "config_created": wrote_config.is_some(),
            "county": cfg.config.county,
            "county_code": cfg.config.county_code,
            "ledger": location.to_string(),
            "ledger_created": existed.is_none(),
            "next": [check, pay],
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        return Ok(());
    }
    match (&config_path, wrote_config.is_some()) {
        (Some(p), true) => println!(
            "已写出配置文件 {p}（县：{}，行政区划代码：{}；其余各项为默认值，可按文件中的说明修改）。",
            cfg.config.county, cfg.config.county_code
        ),
        (Some(p), false) => println!("使用已有的配置文件 {p}（未作修改）。"),
        (None, _) => unreachable!("init always has a config file"),
    }
    match existed {
        Some(n) => println!("台账 {location} 已存在（{n} 个批次），未作任何修改。"),
        None => println!("已新建台账 {location}（{}）。", cfg.ledger_origin()),
    }
    println!("下一步，检查花名册和标准表：{check}");
    println!("计算一个月的发放：{pay}");
    println!("（把 花名册.xlsx、标准表.xlsx 换成实际的文件，YYYY-MM 换成发放月份，如 2024-03）");
    Ok(())
}

/// `--county`/`--county-code` given with a config that already exists must say what it says: `init` never edits
/// a config file (its comments and layout are the county's), so a difference is refused, naming both values.
fn check_flags_agree(cfg: &LoadedConfig, (county, code): (Option<&str>, Option<&str>)) -> Result<(), Failure> {
    let path = cfg.path.as_ref().expect("an existing config").display().to_string();
    let mut differ = Vec::new();
    if let Some(c) = county
        && c != cfg.config.county
    {
        differ.push(format!("county = {}（--county 为 {c}）", toml::Value::String(cfg.config.county.clone())));
    }
    if let Some(c) = code
        && c != cfg.config.county_code
    {
        differ.push(format!(
            "county_code = {}（--county-code 为 {c}）",
            toml::Value::String(cfg.config.county_code.clone())
        ));
    }
    if differ.is_empty() {
        return Ok(());
    }
    Err(Failure::Config(format!(
        "配置文件 {path} 已存在，其中 {}。youfu init 不修改已有的配置文件：请在文件中改好后运行 {}（不带 --county、--county-code），\
         或用 --config 指定另一个配置文件",
        differ.join("，"),
        cfg.command("init")
    )))
}

/// `path` (relative to the working directory) as the config's `ledger` value for a config in `dir`: relative to
/// `dir` when it lies inside it, else absolute.
fn relative_to(path: &Path, dir: &Path) -> String {
    // A `postgresql://` URL is no path: kept as given.
    if let Ok(LedgerLocation::Postgres(_)) = LedgerLocation::parse(&path.to_string_lossy()) {
        return path.to_string_lossy().into_owned();
    }
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (path_abs, dir_abs) = (abs(path), abs(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }));
    match path_abs.strip_prefix(&dir_abs) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => path_abs.display().to_string(),
    }
}

/// Write a new file (never replacing one that appeared meanwhile); a failed write removes it.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.sync_all()) {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_config_is_the_example_with_the_county_filled_in() {
        let text = config_text("示例县", "110101", "data/youfu.db");
        let c = Config::parse(&text, "youfu.toml").unwrap();
        let expected = Config {
            county: "示例县".into(),
            county_code: "110101".into(),
            unit: "示例县退役军人事务局".into(),
            ledger: "data/youfu.db".into(),
            ..Config::default()
        };
        assert_eq!(c, expected);
        assert!(text.starts_with("# youfu.toml — 由 youfu init 写出"), "{text}");
        // Every comment of the example is kept.
        assert!(text.contains("# 行政区划代码（6 位，GB/T 2260，如 110101）"), "{text}");
    }

    #[test]
    fn a_county_name_with_quotes_is_escaped_for_toml() {
        let c = Config::parse(&config_text("示\"例\\县", "110101", "youfu.db"), "y").unwrap();
        assert_eq!(c.county, "示\"例\\县");
    }

    #[test]
    fn a_ledger_inside_the_config_folder_is_written_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(relative_to(&d.join("data/l.db"), d), Path::new("data").join("l.db").display().to_string());
        assert_eq!(relative_to(&d.join("l.db"), &d.join("conf")), d.join("l.db").display().to_string());
    }
}
