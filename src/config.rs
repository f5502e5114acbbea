//! youfu.toml: everything a locality decides (county name, rounding policy, bank-file layout, output names,
//! extra 类别). Embedded defaults apply when no file is given; an unknown key is an error, never ignored.
//! The sections the pure core applies (`[rounding]`, `[funeral]`, `[confirmation]`, `[deadline]`) are read
//! straight into the core's own rule types (compute::rules, calendar): config maps the file, the core owns the rules.

use crate::calendar::DeadlineRule;
use crate::compute::eligibility::ConfirmationRule;
use crate::compute::rules::{FuneralRule, Rounding, Rules};
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
    /// 6-digit 行政区划代码 of the county (GB/T 2260), e.g. "110101"; written by `youfu init`.
    pub county_code: String,
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
        }
    }
}

/// A youfu.toml the toml reader refused, for the officer: the line, and an unknown key in Chinese with the keys
/// allowed there (serde's words, `unknown field \`x\`, expected one of …`, are English).
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
        None => msg.to_string(),
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
        cfg.validate().map_err(|e| format!("配置文件 {name} 有误：{e}"))?;
        Ok(cfg)
    }

    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("无法读取配置文件 {}：{e}", path.display()))?;
        Config::parse(&text, &path.display().to_string())
    }

    fn validate(&self) -> Result<(), String> {
        if !self.county_code.is_empty() {
            check_county_code(&self.county_code).map_err(|e| format!("county_code {e}"))?;
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

/// A 行政区划代码 as youfu stores it: six ASCII digits whose first two name a province-level division
/// (GB/T 2260: 11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81, 82). Err: why not, in Chinese, with the value.
pub fn check_county_code(code: &str) -> Result<(), String> {
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

impl Config {
    /// The rules the pure core applies.
    pub fn rules(&self) -> Rules {
        Rules {
            rounding: self.rounding,
            confirmation: self.confirmation.clone(),
            funeral: self.funeral.clone(),
            retry_same_account: self.returns.retry_same_account,
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
    fn county_code_is_six_digits_of_a_known_province() {
        assert_eq!(Config::parse("county_code = \"110101\"\n", "y").unwrap().county_code, "110101");
        for (code, why) in [
            ("11010", "“11010”不是 6 位数字的行政区划代码（如 110101）"),
            ("11010x", "“11010x”不是 6 位数字的行政区划代码（如 110101）"),
            ("１１０１０１", "“１１０１０１”不是 6 位数字的行政区划代码（如 110101）"),
            ("990101", "“990101”的前两位 99 不是省级行政区划代码（11–82，见 GB/T 2260）"),
        ] {
            assert_eq!(check_county_code(code).unwrap_err(), why);
            let e = Config::parse(&format!("county_code = \"{code}\"\n"), "youfu.toml").unwrap_err();
            assert_eq!(e, format!("配置文件 youfu.toml 有误：county_code {why}"));
        }
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
    fn unknown_bank_column_is_an_error() {
        let e = Config::parse("[bank]\ncolumns = [\"姓名\", \"金额\", \"备注\"]\n", "youfu.toml").unwrap_err();
        assert_eq!(
            e,
            "配置文件 youfu.toml 有误：bank.columns 中的“备注”不是可用的列，可用：序号、姓名、身份证号、账号、开户行、金额、摘要"
        );
    }
}
