//! The CLI's side of the ledger: which file, what the pure core needs to know from it (`History`), how a computed
//! batch becomes ledger lines, and the record of the inputs a draft was made from (so `commit` can refuse a draft
//! whose roster or standards changed since).

use crate::compute::StandardTable;
use crate::compute::amount::Calculation;
use crate::compute::batch::{History, MonthBatch};
use crate::compute::exception::ExceptionKind;
use crate::compute::paid::PaidIndexBuilder;
use crate::config::Config;
use crate::domain::PaymentKind;
use crate::domain::money::{from_fen, to_fen};
use crate::domain::{Recipient, YearMonth};
use crate::ledger::{BatchStatus, LedgerError, LedgerStore, LineRef, NewBatch};
use crate::output::atomic::sha256_hex;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The first month whose 补发 the lookback window still covers (January of `lookback_years` years ago).
pub fn lookback_start(month: YearMonth, config: &Config) -> YearMonth {
    YearMonth::new(month.year() - config.arrears.lookback_years as i32, 1).expect("valid year")
}

/// What the ledger knows that the batch of `month` needs: earlier committed months in the lookback window, what
/// was paid for them, and whose 丧葬补助 is already paid. Months before the first committed batch never count.
pub fn history(
    ledger: &dyn LedgerStore,
    month: YearMonth,
    from: YearMonth,
    roster: &[Recipient],
) -> Result<History, LedgerError> {
    let first_committed = ledger.first_committed_month()?;
    let arrears_months: Vec<YearMonth> = ledger
        .batches()?
        .into_iter()
        .filter(|b| b.status == BatchStatus::Committed && b.month >= from && b.month < month)
        .map(|b| b.month)
        .collect();
    // Streamed from the ledger into the compact index (sums per person, 项目 and 所属期 in 分; no strings kept).
    let mut paid = PaidIndexBuilder::new(roster, &arrears_months);
    if let (Some(&first), Some(&last)) = (arrears_months.first(), arrears_months.last()) {
        paid.reserve(usize::try_from(ledger.committed_lines_since(first)?).unwrap_or(0));
        // Read on two threads (a province's year is 19 million lines), each adding to the index through a sink.
        let (mut a, mut b) = (paid.sink(), paid.sink());
        ledger.for_each_paid_split(
            first,
            last,
            &mut |id, item, period, fen| a.add(id, item, period, fen),
            &mut |id, item, period, fen| b.add(id, item, period, fen),
        )?;
        a.finish();
        b.finish();
    }
    let paid = paid.finish();
    let paid_ids = ledger.funeral_paid_ids()?;
    let funeral_paid = roster
        .iter()
        .filter(|r| r.death_date.is_some() && paid_ids.contains(r.id.as_str()))
        .map(|r| r.id.as_str().to_string())
        .collect();
    let returned = ledger
        .returns_pending()?
        .into_iter()
        .map(|p| crate::compute::returns::Returned {
            line_id: p.line_id,
            id: p.id,
            item: p.item,
            period: p.period,
            amount_fen: p.amount_fen,
            batch_month: p.batch_month,
            account: p.account,
            status: p.status,
            reason: p.reason,
            // RFC 3339: the date is its first ten characters.
            returned_on: chrono::NaiveDate::parse_from_str(p.recorded_at.get(..10).unwrap_or(""), "%Y-%m-%d")
                .unwrap_or(p.batch_month.first_day()),
            was_reissue: p.kind == PaymentKind::Reissue,
            basis: p.basis,
            standard_row: p.standard_row,
        })
        .collect();
    Ok(History { first_committed, arrears_months, paid, funeral_paid, returned })
}

/// Rule 10's check against the ledger: every person the roster marks 迁出 was paid by this county before the
/// month they left (`transfer::moved_out_before_paid`), judged by their earliest committed 正常 or 补发 line.
/// Only a first payment after the ledger's first committed month (`first_committed`) shows when the county began
/// paying them: one in that month, or none, may continue payments made before the ledger was kept. One look-up per
/// person marked 迁出, by the index on (所属期, 身份证号): a handful a month.
pub fn check_moved_out(
    ledger: &dyn LedgerStore,
    roster: &[Recipient],
    first_committed: Option<YearMonth>,
) -> Result<(), super::Failure> {
    let Some(ledger_start) = first_committed else { return Ok(()) };
    let mut problems = crate::domain::Problems::default();
    for r in roster.iter().filter(|r| r.transfer.as_ref().is_some_and(|t| t.moved_out.is_some())) {
        let first = ledger
            .lines_for(r.id.as_str(), None)?
            .iter()
            .filter(|l| matches!(l.kind, PaymentKind::Regular | PaymentKind::Arrears))
            .map(|l| l.period)
            .min()
            .filter(|&f| f > ledger_start);
        if let Some(p) = first.and_then(|f| crate::compute::transfer::moved_out_before_paid(r, f)) {
            problems.push(p);
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(super::Failure::Data(problems)) }
}

/// One input file as recorded with a draft.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputRecord {
    pub role: String,
    pub path: String,
    pub sha256: String,
}

/// The record of a draft's inputs: each file's absolute path and SHA-256, the effective configuration's digest,
/// and (since 0.1 of issue 19) the configuration itself and the file it came from, so that `commit` can name the
/// keys that changed. Stored as JSON in the batch's `inputs_digest`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputsRecord {
    pub files: Vec<InputRecord>,
    pub config_sha256: String,
    /// The effective configuration (absent in drafts made before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    /// The config file read (absolute), or None for the built-in defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
}

impl InputsRecord {
    /// The record of the roster and standards files (absolute path, SHA-256 as computed by the caller: `pay`
    /// hashes the inputs once, for manifest.json, rather than reading a million-row roster twice).
    pub fn with_digests(
        roster: (&Path, &str),
        standards: (&Path, &str),
        config: &Config,
        config_file: Option<&Path>,
    ) -> InputsRecord {
        let record = |role: &str, (path, sha256): (&Path, &str)| InputRecord {
            role: role.into(),
            path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string(),
            sha256: sha256.to_string(),
        };
        InputsRecord {
            files: vec![record("roster", roster), record("standards", standards)],
            config_sha256: config_digest(config),
            config: Some(recorded_config(config)),
            config_file: config_file.map(absolute),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data")
    }

    /// The same record made again from the files as they are now (a missing file gets an empty digest) and the
    /// configuration in force now.
    pub fn now(&self, config: &Config, config_file: Option<&Path>) -> InputsRecord {
        InputsRecord {
            files: self
                .files
                .iter()
                .map(|f| InputRecord {
                    sha256: crate::output::manifest::InputFile::read(&f.role, Path::new(&f.path))
                        .map(|now| now.sha256)
                        .unwrap_or_default(),
                    ..f.clone()
                })
                .collect(),
            config_sha256: config_digest(config),
            config: Some(recorded_config(config)),
            config_file: config_file.map(absolute),
        }
    }

    /// What differs between the draft's record (`self`) and `now`, for people: each changed input file, and the
    /// configuration keys whose values differ (dotted: `rounding.mode`), with the config files each came from.
    /// Empty when nothing that matters changed (the config file's place alone does not matter: the same settings
    /// found from another folder are the same configuration).
    pub fn changes(&self, now: &InputsRecord) -> Vec<String> {
        let role = |r: &str| match r {
            "roster" => "花名册",
            "standards" => "标准表",
            _ => "输入文件",
        };
        let mut out: Vec<String> = self
            .files
            .iter()
            .zip(&now.files)
            .filter(|(a, b)| a.sha256 != b.sha256)
            .map(|(a, b)| {
                if b.sha256.is_empty() {
                    format!("{} {} 已不存在或无法读取", role(&a.role), a.path)
                } else {
                    format!("{} {} 的内容已修改", role(&a.role), a.path)
                }
            })
            .collect();
        // Key by key where both records hold the configuration; `ledger` does not count (the draft is in the
        // ledger being committed to, whatever path led there). Drafts from before the configuration was recorded
        // have only its digest.
        let keys = match (&self.config, &now.config) {
            (Some(a), Some(b)) => {
                let mut keys = Vec::new();
                diff_keys("", a, b, &mut keys);
                keys.retain(|k| k != "ledger");
                Some(keys)
            }
            _ => None,
        };
        let config_changed = match &keys {
            Some(k) => !k.is_empty(),
            None => self.config_sha256 != now.config_sha256,
        };
        if config_changed {
            let from = |f: &Option<String>| f.clone().unwrap_or_else(|| "内置默认值（未找到配置文件）".into());
            let keys = keys.map(|k| format!("，不同的键：{}", k.join("、"))).unwrap_or_default();
            out.push(if self.config_file != now.config_file {
                format!(
                    "配置已变化：生成草稿时用的是 {}，现在用的是 {}{keys}（请用生成草稿时的 --config 运行 commit）",
                    from(&self.config_file),
                    from(&now.config_file)
                )
            } else {
                format!("配置 {} 已修改{keys}", from(&now.config_file))
            });
        }
        out
    }
}

/// `path` made absolute (`..` and links resolved where the file exists), for records compared across working
/// directories and for people.
fn absolute(path: &Path) -> String {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// The dotted names of the keys whose values differ between two JSON objects (a key in only one of them counts).
fn diff_keys(prefix: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff_keys(&name, va, vb, out),
                    _ => out.push(name),
                }
            }
        }
        _ if a != b => out.push(prefix.to_string()),
        _ => {}
    }
}

pub fn config_digest(config: &Config) -> String {
    sha256_hex(serde_json::to_string(config).expect("plain data").as_bytes())
}

/// A computed month ready for the ledger: the batch header, and the lines as `LineRef`s borrowed from the batch,
/// the roster and the standards (no second copy of a million lines). Formulas are made once per distinct regular
/// calculation (as `Formulas::of` does) and once per other line.
pub struct Draft<'a> {
    pub header: NewBatch,
    batch: &'a MonthBatch,
    roster: &'a [Recipient],
    table: &'a StandardTable,
    /// The distinct formula texts, and for each payment the index of its own.
    formulas: Vec<String>,
    formula_of: Vec<u32>,
}

impl Draft<'_> {
    /// The lines, in the batch's order.
    pub fn lines(&self) -> impl Iterator<Item = LineRef<'_>> + '_ {
        self.batch.payments.iter().zip(&self.formula_of).map(|(p, &f)| {
            let r = &self.roster[p.recipient];
            let s = self.table.row(p.standard as usize);
            LineRef {
                id: r.id.as_str(),
                name: &r.name,
                category: &r.category,
                town: &r.town,
                item: &p.item,
                period: p.period,
                kind: p.kind,
                amount_fen: to_fen(p.amount).expect("amounts are whole 分"),
                standard_row: p.reissue().map_or(s.location.row, |r| r.standard_row),
                standard_start: if p.reissue().is_some() { None } else { Some(s.start) },
                basis: p.reissue().map_or(&s.basis, |r| &r.basis),
                formula: &self.formulas[f as usize],
                reissue_of: p.reissue().map(|r| r.line_id),
            }
        })
    }
}

/// The batch as a draft for the ledger (header plus borrowed lines).
pub fn new_batch<'a>(
    month: YearMonth,
    batch: &'a MonthBatch,
    roster: &'a [Recipient],
    table: &'a StandardTable,
    created: String,
    inputs: &InputsRecord,
    outputs_digest: String,
) -> Draft<'a> {
    let mut formulas: Vec<String> = Vec::new();
    // Keyed by the shared calculation's address, not its value: hashing a `Calculation` (its amounts normalised)
    // for each of a province's 1.6 million lines took a fifth of a second on the main thread. Equal calculations
    // shared from different slices of the roster give the same text twice, which the ledger's `calcs` stores once.
    let mut regular: rustc_hash::FxHashMap<*const Calculation, u32> = Default::default();
    let formula_of = batch
        .payments
        .iter()
        .map(|p| {
            // The same text as `p.formula()`: a regular line without a year-end settlement is its calculation's.
            if p.kind == PaymentKind::Regular && p.settlement().is_none() {
                *regular.entry(std::sync::Arc::as_ptr(&p.calc)).or_insert_with(|| {
                    formulas.push(p.calc.formula());
                    (formulas.len() - 1) as u32
                })
            } else {
                formulas.push(p.formula());
                (formulas.len() - 1) as u32
            }
        })
        .collect();
    let unpaid: rustc_hash::FxHashMap<usize, rust_decimal::Decimal> = batch.unpaid_regular.iter().copied().collect();
    let shortfalls: Vec<Shortfall> = batch
        .shortfalls()
        .map(|e| {
            let r = &roster[e.recipient];
            Shortfall {
                code: Some(e.kind),
                id: r.id.as_str().to_string(),
                name: r.name.to_string(),
                reason: e.reason.clone(),
                // This month's regular amount left unpaid (the audit's shortfall, each amount once), in 分.
                unpaid_fen: unpaid.get(&e.recipient).copied().and_then(to_fen),
            }
        })
        .collect();
    let header = NewBatch {
        month,
        created,
        inputs_digest: inputs.to_json(),
        outputs_digest,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        entitled_fen: to_fen(batch.entitled).expect("amounts are whole 分"),
        shortfalls: serde_json::to_string(&shortfalls).expect("plain data"),
    };
    Draft { header, batch, roster, table, formulas, formula_of }
}

/// An eligible recipient left unpaid, as recorded with a draft (`NewBatch::shortfalls`, a JSON list) and read back
/// by `audit`. The fields are in the order of their names, so the stored text is what it was when the list was
/// written as a JSON map; every field may be missing from what a ledger holds, and an unknown code reads as `None`
/// (the entry then shows its reason).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Shortfall {
    /// The exception's kind, stored as its code (`NO_ACCOUNT`).
    #[serde(deserialize_with = "known_kind")]
    pub code: Option<ExceptionKind>,
    /// 身份证号.
    pub id: String,
    pub name: String,
    /// The exception's text.
    pub reason: String,
    /// This month's regular amount left unpaid, in 分.
    pub unpaid_fen: Option<i64>,
}

impl Shortfall {
    /// The list recorded with a batch; an unreadable one is empty (the audit then itemises nothing).
    pub fn list(stored: &str) -> Vec<Shortfall> {
        serde_json::from_str(stored).unwrap_or_default()
    }
}

fn known_kind<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<ExceptionKind>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.as_deref().and_then(ExceptionKind::from_code))
}

/// 元 from 分 for printing.
pub fn yuan(fen: i64) -> String {
    crate::domain::money::yuan_text(from_fen(fen))
}

/// The configuration as a draft records it, with a `postgresql://` ledger's password replaced by `***` (the record
/// is stored in the ledger and shown by `batches --json`; a password never is).
fn recorded_config(config: &Config) -> serde_json::Value {
    let mut v = serde_json::to_value(config).expect("plain data");
    if let Ok(crate::ledger::location::LedgerLocation::Postgres(url)) =
        crate::ledger::location::LedgerLocation::parse(&config.ledger)
    {
        v["ledger"] = serde_json::Value::String(url.shown().to_string());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortfall_is_stored_as_the_map_it_was_and_read_back_by_its_code() {
        let s = Shortfall {
            code: Some(ExceptionKind::NoAccount),
            id: "519909196111088853".into(),
            name: "武建".into(),
            reason: "缺少\"银行账号\"".into(),
            unpaid_fen: Some(257_167),
        };
        let as_map = serde_json::json!({"id": "519909196111088853", "name": "武建", "code": "NO_ACCOUNT",
                                        "reason": "缺少\"银行账号\"", "unpaid_fen": 257_167});
        let stored = serde_json::to_string(&[&s]).unwrap();
        assert_eq!(stored, serde_json::to_string(&[as_map]).unwrap());
        assert_eq!(
            stored,
            r#"[{"code":"NO_ACCOUNT","id":"519909196111088853","name":"武建","reason":"缺少\"银行账号\"","unpaid_fen":257167}]"#
        );
        assert_eq!(Shortfall::list(&stored), [s]);
        // What an older or other youfu may have written: a code this one does not know, fields missing, no amount.
        let odd = Shortfall::list(r#"[{"code":"SOMETHING_NEW","reason":"另有原因"},{"unpaid_fen":null}]"#);
        assert_eq!(odd, [Shortfall { reason: "另有原因".into(), ..Shortfall::default() }, Shortfall::default()]);
        assert_eq!(Shortfall::list("不是 JSON"), []);
    }
}
