//! youfu.toml: everything a locality decides (county name, rounding policy, bank-file layout, output names,
//! extra 类别). Embedded defaults apply when no file is given; an unknown key is an error, never ignored.
//! The sections the pure core applies (`[rounding]`, `[funeral]`, `[confirmation]`, `[deadline]`, `[transfer]`) are read
//! straight into the core's own rule types (compute::rules, calendar): config maps the file, the core owns the rules.

use crate::calendar::DeadlineRule;
use crate::compute::eligibility::ConfirmationRule;
use crate::compute::rules::{FuneralRule, Rounding, Rules, TransferRule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// 单位名称 for titles, e.g. "示例县退役军人事务局".
    pub unit: String,
    /// 县（市、区）名 for titles, e.g. "示例县".
    pub county: String,
    /// 6-digit 行政区划代码 of the county (GB/T 2260), e.g. "110101"; written by `youfu init`. A county-level code
    /// (`check_county_code`); required when the ledger is a shared PostgreSQL database (`shared_ledger`).
    pub county_code: String,
    /// `[counties]`: 行政区划代码 → 县（市、区）名, for a city's or province's report (`110101 = "东城区"`); a county
    /// not listed is shown by its code. When it lists this county's own code, the name must be `county`'s.
    pub counties: BTreeMap<String, String>,
    pub rounding: Rounding,
    pub bank: BankLayout,
    pub output: OutputNames,
    pub categories: CategoryConfig,
    /// The ledger database file; a relative path is relative to the folder of the youfu.toml it is written in
    /// (the working directory under the built-in defaults). `--ledger` overrides it (relative to the working
    /// directory).
    pub ledger: String,
    /// Holiday-calendar files adding or replacing years (format: src/calendar/data/README.md), read in order; a
    /// single string or a list (`youfu calendar import` writes one file per notice, so a list is the usual case).
    /// A relative path is relative to the config file's folder (made absolute when the config is loaded:
    /// `cli::load::config`).
    #[serde(deserialize_with = "one_or_many")]
    pub calendar_file: Vec<String>,
    pub deadline: DeadlineRule,
    pub arrears: ArrearsConfig,
    /// What `pay` does with transfers the bank returned (退回).
    pub returns: ReturnsConfig,
    pub funeral: FuneralRule,
    /// 年度确认: off unless this section is present.
    pub confirmation: Option<ConfirmationRule>,
    /// 抚恤关系转移: from which month the new county pays (default: the January after the move).
    pub transfer: TransferRule,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ArrearsConfig {
    /// How many calendar years before the current one are re-checked for 补发 (default 1: this year and last).
    pub lookback_years: u32,
}

impl Default for ArrearsConfig {
    fn default() -> Self {
        ArrearsConfig { lookback_years: 1 }
    }
}

/// `[returns]`: re-issuing (重发) what the bank returned.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ReturnsConfig {
    /// Re-issue once into the same account when the roster's account was not corrected (default false: listed in
    /// the exceptions instead). A 重发 that the bank returns again is never retried into the same account.
    pub retry_same_account: bool,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    #[default]
    Utf8,
    /// UTF-8 with a byte-order mark (Excel opens it correctly).
    Utf8Bom,
    Gbk,
}

/// The bank's 代发 file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BankLayout {
    pub encoding: Encoding,
    /// Columns in order; each one of 序号, 姓名, 身份证号, 账号, 开户行, 金额, 摘要.
    pub columns: Vec<String>,
    /// Write a header line with the column names.
    pub header: bool,
    /// Write a first line `总笔数,总金额` before everything else.
    pub totals_line: bool,
    /// 摘要 text; `{所属期}` is replaced by the month (2024-03), `{月}` by 3.
    pub memo: String,
    /// Field delimiter: "," or "|" or "\t".
    pub delimiter: String,
}

impl Default for BankLayout {
    fn default() -> Self {
        BankLayout {
            encoding: Encoding::Utf8,
            columns: ["序号", "姓名", "身份证号", "账号", "金额", "摘要"].map(String::from).to_vec(),
            header: true,
            totals_line: false,
            memo: "{所属期}优抚金".into(),
            delimiter: ",".into(),
        }
    }
}

pub const BANK_COLUMNS: &[&str] = &["序号", "姓名", "身份证号", "账号", "开户行", "金额", "摘要"];

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OutputNames {
    pub payments_xlsx: String,
    pub payments_csv: String,
    pub bank: String,
    pub exceptions: String,
    pub recoveries: String,
    pub manifest: String,
}

impl Default for OutputNames {
    fn default() -> Self {
        OutputNames {
            payments_xlsx: "payments.xlsx".into(),
            payments_csv: "payments.csv".into(),
            bank: "bank.csv".into(),
            exceptions: "exceptions.csv".into(),
            recoveries: "recoveries.csv".into(),
            manifest: "manifest.json".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CategoryConfig {
    /// 类别 names this county uses beyond the national list.
    pub extra: Vec<String>,
    /// other name → known name
    pub aliases: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            unit: "退役军人事务局".into(),
            county: String::new(),
            county_code: String::new(),
            counties: BTreeMap::new(),
            rounding: Rounding::default(),
            bank: BankLayout::default(),
            output: OutputNames::default(),
            categories: CategoryConfig::default(),
            ledger: "youfu.db".into(),
            calendar_file: Vec::new(),
            deadline: DeadlineRule::default(),
            arrears: ArrearsConfig::default(),
            returns: ReturnsConfig::default(),
            funeral: FuneralRule::default(),
            confirmation: None,
            transfer: TransferRule::default(),
        }
    }
}

/// A youfu.toml the toml reader refused, for the officer: the line, and an unknown key or value in Chinese with the
/// keys or values allowed there (serde's words, `unknown field \`x\`, expected one of …`, are English).
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let msg = e.message().trim();
    let msg = match msg.strip_prefix("unknown field `").and_then(|r| r.split_once('`')) {
        Some((key, rest)) => {
            let allowed = rest
                .trim_start_matches(", ")
                .trim_start_matches("expected ")
                .trim_start_matches("one of ")
                .replace('`', "")
                .replace(", ", "、")
                .replace(" or ", "、");
            if allowed.is_empty() || allowed.starts_with("there are no fields") {
                format!("没有 {key} 这一项")
            } else {
                format!("没有 {key} 这一项（这里可用：{allowed}）")
            }
        }
        None => match msg.strip_prefix("unknown variant `").and_then(|r| r.split_once('`')) {
            // `unknown variant \`x\`, expected one of \`a\`, \`b\`` (or `expected \`a\` or \`b\``)
            Some((value, rest)) => {
                let allowed = rest
                    .trim_start_matches(", ")
                    .trim_start_matches("expected ")
                    .trim_start_matches("one of ")
                    .replace('`', "")
                    .replace(", ", "、")
                    .replace(" or ", "、");
                format!("不能取值“{value}”（可用：{allowed}）")
            }
            None => msg.to_string(),
        },
    };
    match line {
        Some(n) => format!("第{n}行：{msg}"),
        None => msg,
    }
}

impl Config {
    /// Parse and check a youfu.toml text. `name` is the file name for messages.
    pub fn parse(text: &str, name: &str) -> Result<Config, String> {
        let cfg: Config =
            toml::from_str(text).map_err(|e| format!("配置文件 {name} 有误：{}", toml_error(text, &e)))?;
        cfg.validate(text).map_err(|e| format!("配置文件 {name} 有误：{e}"))?;
        if cfg.county_code.is_empty() && shared_ledger(&cfg.ledger) {
            let at = key_line(text, None, "ledger").map(|n| format!("第{n}行 ")).unwrap_or_default();
            return Err(format!(
                "配置文件 {name} 中没有 county_code，而台账是共用的 PostgreSQL 数据库（{at}ledger = \"{}\"）：\
                 共用台账中每个批次都记着它所属县（市、区）的行政区划代码。{}",
                redact_url(&cfg.ledger),
                county_code_hint(name)
            ));
        }
        Ok(cfg)
    }

    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("无法读取配置文件 {}：{e}", path.display()))?;
        Config::parse(&text, &path.display().to_string())
    }

    fn validate(&self, text: &str) -> Result<(), String> {
        let at = |section: Option<&str>, key: &str| {
            key_line(text, section, key).map(|n| format!("第{n}行：")).unwrap_or_default()
        };
        if !self.county_code.is_empty() {
            check_bureau_code(&self.county_code).map_err(|e| format!("{}county_code {e}", at(None, "county_code")))?;
        }
        for (code, name) in &self.counties {
            let at = at(Some("counties"), code);
            check_county_code(code).map_err(|e| format!("{at}[counties] 中的 {e}"))?;
            if name.trim().is_empty() {
                return Err(format!(
                    "{at}[counties] 中 {code} 的县（市、区）名为空：请写上名称，如 {code} = \"东城区\""
                ));
            }
            if *code == self.county_code && !self.county.is_empty() && name.trim() != self.county.trim() {
                return Err(format!(
                    "{at}[counties] 中本县代码 {code} 的名称“{name}”与 county = \"{}\" 不一致：请改成同一个名称",
                    self.county
                ));
            }
        }
        for c in &self.bank.columns {
            if !BANK_COLUMNS.contains(&c.as_str()) {
                return Err(format!("bank.columns 中的“{c}”不是可用的列，可用：{}", BANK_COLUMNS.join("、")));
            }
        }
        if !["金额"].iter().all(|m| self.bank.columns.iter().any(|c| c == m)) {
            return Err("bank.columns 必须包含“金额”".into());
        }
        if let Some(c) = &self.confirmation {
            c.validate()?;
        }
        if ![",", "|", "\t"].contains(&self.bank.delimiter.as_str()) {
            return Err(format!("bank.delimiter 只能是 \",\"、\"|\" 或 \"\\t\"，而不是 \"{}\"", self.bank.delimiter));
        }
        Ok(())
    }
}

/// `calendar_file = "a.toml"` or `calendar_file = ["a.toml", "b.toml"]`.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    match OneOrMany::deserialize(d) {
        Ok(OneOrMany::One(s)) => Ok(vec![s]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(serde::de::Error::custom(
            "calendar_file 应是一个文件名（\"日历2027.toml\"）或文件名的列表（[\"日历2026.toml\", \"日历2027.toml\"]）",
        )),
    }
}

/// Prefecture-level cities without counties or districts (不设区的地级市): their 退役军人事务局 pays as a county's does,
/// so their code, ending in 00, is accepted as a county's.
pub const CITIES_WITHOUT_COUNTIES: &[(&str, &str)] =
    &[("441900", "东莞市"), ("442000", "中山市"), ("460400", "儋州市"), ("620200", "嘉峪关市")];

/// What a message about a missing `county_code` says to write, in the config file `file`.
pub fn county_code_hint(file: &str) -> String {
    format!(
        "请在 {file} 中写上本县（市、区）的 6 位行政区划代码（GB/T 2260），如 county_code = \"110101\"；未写入任何内容。"
    )
}

/// A 行政区划代码 as youfu stores a county's: six ASCII digits (GB/T 2260) whose first two name a province-level
/// division (11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81, 82) and which names a county-level division — not a
/// province (…0000) nor a prefecture-level city (…00), except the four cities that have no counties
/// (`CITIES_WITHOUT_COUNTIES`). Whether the code exists in the current edition of GB/T 2260 is not checked (the
/// table changes every year and youfu carries none); a city's report shows each code's name from `[counties]`.
/// Err: why not, in Chinese, with the value and what to write.
pub fn check_county_code(code: &str) -> Result<(), String> {
    check_code_digits(code)?;
    if &code[2..] == "0000" {
        return Err(format!(
            "“{code}”是省级行政区划代码，不是县（市、区）的：请写本县（市、区）的代码，末两位不是 00（如 110101）"
        ));
    }
    if &code[4..] == "00" && !CITIES_WITHOUT_COUNTIES.iter().any(|(c, _)| *c == code) {
        return Err(format!(
            "“{code}”是地级（市、州、盟）的行政区划代码，不是县（市、区）的：请写本县（市、区）的代码，末两位不是 00（如 110101）"
        ));
    }
    Ok(())
}

/// Six ASCII digits whose first two name a province-level division (see `check_county_code`).
fn check_code_digits(code: &str) -> Result<(), String> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("“{code}”不是 6 位数字的行政区划代码（如 110101）"));
    }
    let province: u32 = code[..2].parse().expect("two digits");
    let known = matches!(province, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82);
    if !known {
        return Err(format!("“{code}”的前两位 {province:02} 不是省级行政区划代码（11–82，见 GB/T 2260）"));
    }
    Ok(())
}

/// Whose bureau a youfu.toml's `county_code` names: a county's (it pays), or a 市's or 省's (it reads the shared
/// ledger's counties under its code, and pays nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeLevel {
    County,
    City,
    Province,
}

impl CodeLevel {
    /// 市 or 省, for messages (县 for a county).
    pub fn word(self) -> &'static str {
        match self {
            CodeLevel::County => "县",
            CodeLevel::City => "市",
            CodeLevel::Province => "省",
        }
    }
}

/// The level of a code that passed `check_bureau_code`: …0000 a province, …00 a city (except the four cities
/// without counties, which pay as counties do), else a county.
pub fn code_level(code: &str) -> CodeLevel {
    if code.get(2..) == Some("0000") {
        CodeLevel::Province
    } else if code.get(4..) == Some("00") && !CITIES_WITHOUT_COUNTIES.iter().any(|(c, _)| *c == code) {
        CodeLevel::City
    } else {
        CodeLevel::County
    }
}

/// The leading digits that the codes of the counties under `code` share: the whole code for a county, the first
/// four for a city, the first two for a province.
pub fn code_prefix(code: &str) -> &str {
    match code_level(code) {
        CodeLevel::County => code,
        CodeLevel::City => &code[..4],
        CodeLevel::Province => &code[..2],
    }
}

/// youfu.toml's `county_code`: a county's code (`check_county_code`), or a 市's (xxxx00) or 省's (xx0000) for a
/// city's or province's bureau that only reads the shared ledger (`code_level`).
pub fn check_bureau_code(code: &str) -> Result<(), String> {
    check_code_digits(code)
}

/// Whether a `ledger` value is a shared PostgreSQL database (`postgresql://` or `postgres://`, as
/// `ledger::location` reads it) rather than a county's SQLite file.
pub fn shared_ledger(ledger: &str) -> bool {
    let t = ledger.trim().to_ascii_lowercase();
    t.starts_with("postgresql://") || t.starts_with("postgres://")
}

/// A URL with its password (`user:password@`) replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else { return url.to_string() };
    let end = url[start..].find(['/', '?']).map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@').and_then(|at| url[start..start + at].find(':').map(|c| (c, at))) {
        Some((colon, at)) => format!("{}***{}", &url[..start + colon + 1], &url[start + at..]),
        None => url.to_string(),
    }
}

/// The line (from 1) of `key = …` in `section` (`None`: the top level, before any `[table]`) of a youfu.toml text,
/// for messages about a value that parsed but is wrong. A quoted key (`"110101" = …`) is found too.
pub fn key_line(text: &str, section: Option<&str>, key: &str) -> Option<usize> {
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix('[').and_then(|h| h.split(']').next()) {
            current = Some(h.trim().to_string());
            continue;
        }
        if current.as_deref() != section {
            continue;
        }
        let Some((k, _)) = t.split_once('=') else { continue };
        if k.trim().trim_matches(['"', '\'']) == key {
            return Some(i + 1);
        }
    }
    None
}

impl Config {
    /// Whose bureau this configuration is (`county_code`'s level; a county's when it has none).
    pub fn level(&self) -> CodeLevel {
        if self.county_code.is_empty() { CodeLevel::County } else { code_level(&self.county_code) }
    }

    /// The rules the pure core applies.
    pub fn rules(&self) -> Rules {
        Rules {
            rounding: self.rounding,
            confirmation: self.confirmation.clone(),
            funeral: self.funeral.clone(),
            retry_same_account: self.returns.retry_same_account,
            transfer: self.transfer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::rules::RoundingPolicy;

    #[test]
    fn empty_file_is_defaults() {
        assert_eq!(Config::parse("", "youfu.toml").unwrap(), Config::default());
    }

    #[test]
    fn reads_policy_and_bank_layout() {
        let c = Config::parse(
            "county = \"示例县\"\n[rounding]\npolicy = \"year-end\"\n[bank]\nencoding = \"gbk\"\ntotals_line = true\n",
            "youfu.toml",
        )
        .unwrap();
        assert_eq!(c.county, "示例县");
        assert_eq!(c.rounding.policy, RoundingPolicy::YearEnd);
        assert_eq!(c.bank.encoding, Encoding::Gbk);
        assert!(c.bank.totals_line);
    }

    #[test]
    fn the_documented_example_is_the_defaults() {
        let text = include_str!("../docs/youfu.toml.example");
        assert_eq!(Config::parse(text, "youfu.toml.example").unwrap(), Config::default());
        let with_confirmation = text
            .replace("# [confirmation]", "[confirmation]")
            .replace("# window", "window")
            .replace("# grace", "grace")
            .replace("# back_pay", "back_pay");
        let c = Config::parse(&with_confirmation, "x").unwrap();
        assert_eq!(c.confirmation, Some(crate::compute::eligibility::ConfirmationRule::default()));
    }

    #[test]
    fn calendar_file_is_one_name_or_a_list() {
        assert_eq!(Config::parse("calendar_file = \"a.toml\"\n", "y").unwrap().calendar_file, vec!["a.toml"]);
        let c = Config::parse("calendar_file = [\"a.toml\", \"b.toml\"]\n", "y").unwrap();
        assert_eq!(c.calendar_file, vec!["a.toml", "b.toml"]);
        let e = Config::parse("calendar_file = 2027\n", "youfu.toml").unwrap_err();
        assert_eq!(
            e,
            "配置文件 youfu.toml 有误：第1行：calendar_file 应是一个文件名（\"日历2027.toml\"）或文件名的列表（[\"日历2026.toml\", \"日历2027.toml\"]）"
        );
    }

    #[test]
    fn county_code_is_six_digits_of_a_county_of_a_known_province() {
        assert_eq!(Config::parse("county_code = \"110101\"\n", "y").unwrap().county_code, "110101");
        // 东莞市 has no counties: its code ends in 00 and is its bureau's own.
        assert_eq!(Config::parse("county_code = \"441900\"\n", "y").unwrap().county_code, "441900");
        for (code, why) in [
            ("11010", "“11010”不是 6 位数字的行政区划代码（如 110101）"),
            ("11010x", "“11010x”不是 6 位数字的行政区划代码（如 110101）"),
            ("１１０１０１", "“１１０１０１”不是 6 位数字的行政区划代码（如 110101）"),
            ("990101", "“990101”的前两位 99 不是省级行政区划代码（11–82，见 GB/T 2260）"),
            (
                "110000",
                "“110000”是省级行政区划代码，不是县（市、区）的：请写本县（市、区）的代码，末两位不是 00（如 110101）",
            ),
            (
                "441300",
                "“441300”是地级（市、州、盟）的行政区划代码，不是县（市、区）的：请写本县（市、区）的代码，末两位不是 00（如 110101）",
            ),
        ] {
            assert_eq!(check_county_code(code).unwrap_err(), why);
            // youfu.toml's county_code may be a 市's or 省's (a bureau that reads): only a malformed one is refused,
            // naming the line of the key (the third here).
            let text = format!("county = \"示例县\"\n# 行政区划代码\ncounty_code = \"{code}\"\n");
            if code.ends_with("00") {
                assert!(Config::parse(&text, "youfu.toml").is_ok(), "{code}");
                continue;
            }
            let e = Config::parse(&text, "youfu.toml").unwrap_err();
            assert_eq!(e, format!("配置文件 youfu.toml 有误：第3行：county_code {why}"));
        }
    }

    #[test]
    fn a_city_s_or_province_s_code_is_its_bureau_s_level() {
        let level = |text: &str| Config::parse(text, "y").unwrap().level();
        assert_eq!(level("county_code = \"518000\"\n"), CodeLevel::City);
        assert_eq!(level("county_code = \"510000\"\n"), CodeLevel::Province);
        assert_eq!(level("county_code = \"518001\"\n"), CodeLevel::County);
        // 东莞市 has no counties: its bureau pays, as a county's does.
        assert_eq!(level("county_code = \"441900\"\n"), CodeLevel::County);
        assert_eq!(level(""), CodeLevel::County);
        assert_eq!((code_prefix("518000"), code_prefix("510000"), code_prefix("518001")), ("5180", "51", "518001"));
    }

    #[test]
    fn a_shared_ledger_needs_the_county_code() {
        let text = "county = \"示例县\"\nledger = \"postgresql://youfu:secret@db.example/youfu\"\n";
        let e = Config::parse(text, "youfu.toml").unwrap_err();
        assert_eq!(
            e,
            "配置文件 youfu.toml 中没有 county_code，而台账是共用的 PostgreSQL 数据库（第2行 ledger = \
             \"postgresql://youfu:***@db.example/youfu\"）：共用台账中每个批次都记着它所属县（市、区）的行政区划代码。\
             请在 youfu.toml 中写上本县（市、区）的 6 位行政区划代码（GB/T 2260），如 county_code = \"110101\"；未写入任何内容。"
        );
        // With the code, or on a SQLite file without it, the file is accepted.
        let with_code = format!("county_code = \"110101\"\n{text}");
        assert_eq!(Config::parse(&with_code, "y").unwrap().county_code, "110101");
        assert!(Config::parse("ledger = \"data/youfu.db\"\n", "y").is_ok());
    }

    #[test]
    fn counties_names_codes_checked_and_the_own_name_agrees() {
        let c = Config::parse(
            "county = \"东城区\"\ncounty_code = \"110101\"\n[counties]\n110101 = \"东城区\"\n\"110102\" = \"西城区\"\n",
            "y",
        )
        .unwrap();
        let names: Vec<(&str, &str)> = c.counties.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(names, vec![("110101", "东城区"), ("110102", "西城区")]);
        for (text, e) in [
            (
                "[counties]\n110101 = \"东城区\"\n1101 = \"西城区\"\n",
                "配置文件 youfu.toml 有误：第3行：[counties] 中的 “1101”不是 6 位数字的行政区划代码（如 110101）",
            ),
            (
                "[counties]\n110101 = \" \"\n",
                "配置文件 youfu.toml 有误：第2行：[counties] 中 110101 的县（市、区）名为空：请写上名称，如 110101 = \"东城区\"",
            ),
            (
                "county = \"东城区\"\ncounty_code = \"110101\"\n[counties]\n110101 = \"西城区\"\n",
                "配置文件 youfu.toml 有误：第4行：[counties] 中本县代码 110101 的名称“西城区”与 county = \"东城区\" 不一致：请改成同一个名称",
            ),
        ] {
            assert_eq!(Config::parse(text, "youfu.toml").unwrap_err(), e);
        }
    }

    #[test]
    fn a_key_is_found_in_its_section_only() {
        let text = "county_code = \"1\"\n[bank]\ncounty_code = 2\n[counties]\n'110101' = \"x\"\n";
        assert_eq!(key_line(text, None, "county_code"), Some(1));
        assert_eq!(key_line(text, Some("bank"), "county_code"), Some(3));
        assert_eq!(key_line(text, Some("counties"), "110101"), Some(5));
        assert_eq!(key_line(text, Some("counties"), "110102"), None);
        assert_eq!(redact_url("postgresql://u:p@h/db"), "postgresql://u:***@h/db");
        assert_eq!(redact_url("postgresql://u@h/db"), "postgresql://u@h/db");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let e = Config::parse("[rounding]\npolicey = \"monthly\"\n", "youfu.toml").unwrap_err();
        assert_eq!(e, "配置文件 youfu.toml 有误：第2行：没有 policey 这一项（这里可用：policy、mode）");
        let e = Config::parse("county = \"示例县\"\nfoo = 1\n", "youfu.toml").unwrap_err();
        assert!(
            e.starts_with("配置文件 youfu.toml 有误：第2行：没有 foo 这一项（这里可用：unit、county、county_code、"),
            "{e}"
        );
    }

    #[test]
    fn the_transfer_rule_is_mapped_into_the_core_and_an_unknown_one_refused() {
        use crate::compute::rules::{TransferRule, TransferStart};
        assert_eq!(Config::default().rules().transfer.new_county_pays_from, TransferStart::NextJanuary);
        let c = Config::parse("[transfer]\nnew_county_pays_from = \"next-month\"\n", "y").unwrap();
        assert_eq!(c.rules().transfer, TransferRule { new_county_pays_from: TransferStart::NextMonth });
        let e = Config::parse("[transfer]\nnew_county_pays_from = \"next-year\"\n", "youfu.toml").unwrap_err();
        assert_eq!(
            e,
            "配置文件 youfu.toml 有误：第2行：不能取值“next-year”（可用：next-january、next-month、same-month）"
        );
        let e = Config::parse("[rounding]\npolicy = \"yearly\"\n", "youfu.toml").unwrap_err();
        assert_eq!(e, "配置文件 youfu.toml 有误：第2行：不能取值“yearly”（可用：monthly、year-end）");
    }

    #[test]
    fn unknown_bank_column_is_an_error() {
        let e = Config::parse("[bank]\ncolumns = [\"姓名\", \"金额\", \"备注\"]\n", "youfu.toml").unwrap_err();
        assert_eq!(
            e,
            "配置文件 youfu.toml 有误：bank.columns 中的“备注”不是可用的列，可用：序号、姓名、身份证号、账号、开户行、金额、摘要"
        );
    }
}
