//! The ledger (台账): what was actually paid. This module is its interface — the seam between the commands and
//! the backends — and the types both sides share; the backends live in folders of their own.
//!
//! - `api`      — `LedgerStore` (what the commands record and read) and `DraftWriter` (a draft being written),
//!   and `open_existing` / `create`, which choose the backend from the `LedgerLocation`. `cli/` talks to the
//!   ledger only through these (tests/layering.rs refuses `cli` naming `ledger::sqlite` or `ledger::pg`).
//! - `location` — a ledger is a file path (SQLite) or a `postgresql://` URL.
//! - here       — the shared types: lines (`Line`: `LineRef` / `NewLine`; `PaidLine`), batches (`NewBatch`,
//!   `BatchInfo`), bank transfers and 退回 events, the report's counts (`PeriodCounts`), and `LedgerError`, the one
//!   error type of the interface (a PostgreSQL failure is carried in `LedgerError::Pg`).
//! - `sqlite`   — the ledger in one SQLite file, a county's default (`sqlite::Ledger`, behind `LedgerStore`).
//! - `pg`       — the same ledger on a PostgreSQL server, for a city or province (issue 22), opened for one
//!   county (youfu.toml's `county_code`, attached to the location by the command).
//! - `suite`    — tests only: the ledger's behaviour written once against `LedgerStore` and run on both backends
//!   (`ledger::suite::sqlite::…`, `ledger::suite::postgresql::…`); each backend's own test module keeps the rest.
//! - `packed`, `tally` — the report's counts, shared by both backends: a committed batch's report columns packed
//!   into one blob, and the tally that counts persons and 人次 per group from it (or line by line).
//!
//! Money is integer 分 at rest; each backend's database itself keeps rule 6 of docs/domain.md (never pay twice).
//!
//! One model of a payment line (issue 20 part 3). Its kind is `domain::PaymentKind` everywhere (compute, both
//! backends, output, report, cli), stored as its Chinese label and parsed once where a backend reads the column.
//! The line types, and why each one that is left earns its place:
//!
//! - `LineRef` — kept: a line to record with its texts borrowed, the hot path (`pay` streams a million into
//!   `save_draft` from the batch, the roster and the standards, never copying them). Now `Line<&str>`.
//! - `NewLine` — merged into `Line`: it was `LineRef`'s thirteen fields written again with `String`s; now
//!   `Line<String>`, one definition that cannot drift from `LineRef` (tests and small callers).
//! - `PaidLine` — kept, moved to `domain::paid_line` and re-exported here: a committed line read back (ids,
//!   batch, 退回, 重发), what `history`, `explain` and `audit` read. In the lowest layer so that the report, which
//!   may not import the ledger, counts the same type.
//! - `LedgerLine` (report) — removed: the report's copy of a committed line, its kind a `String`; the report now
//!   takes `PaidLine`.
//! - `PackedLine` (sqlite) — kept: not a line to hand out but a row of the packed blob `report` counts
//!   (`sqlite/packed.rs`), dictionary numbers instead of texts.
//! - `StoredLine` (sqlite) — kept: the JSON row a draft chunk stores (`sqlite/store.rs`), with the calculation's
//!   id where `Line` has its texts; read borrowing the chunk's text (`#[serde(borrow)]` needs a struct).
//! - `DraftLine` (pg) — kept: the row COPY sends into `draft_lines` (`pg/copy.rs`), likewise with the line's
//!   number and the calculation's id.

mod api;
pub mod history;
pub mod location;
mod packed;
pub mod pg;
pub mod sqlite;
#[cfg(test)]
mod suite;
mod tally;

/// A line read back is a domain type (the report counts the same lines): see `domain::paid_line`.
pub use crate::domain::paid_line::{PaidLine, ReturnMark};
pub use api::{DraftWriter, LedgerStore, Refusal, create, open_existing};
pub use history::{HistoryBatch, HistoryItem, HistoryLine, HistoryReturn, HistoryWriter, MonthTally};

use crate::domain::PaymentKind;
use crate::domain::location::{Location, Problem};
use crate::domain::money::from_fen;
use crate::domain::month::YearMonth;
use chrono::NaiveDate;
use serde::Serialize;
use std::path::PathBuf;

/// Draft (草稿, replaced by the next `pay` of the month) or committed (已确认发放, never changed again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    Draft,
    Committed,
}

impl BatchStatus {
    /// The value stored in `batches.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Draft => "draft",
            BatchStatus::Committed => "committed",
        }
    }
    /// For people: 草稿 / 已确认发放.
    pub fn label(self) -> &'static str {
        match self {
            BatchStatus::Draft => "草稿",
            BatchStatus::Committed => "已确认发放",
        }
    }
}

/// One payment line of a draft, as the commands hand it to the ledger (`LedgerStore::save_draft`). One definition
/// for the two ways a line is held, so that they cannot drift apart: generic over its texts `S`, it is `LineRef`
/// with borrowed texts and `NewLine` with owned ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<S> {
    /// 身份证号.
    pub id: S,
    pub name: S,
    pub category: S,
    pub town: S,
    /// 项目.
    pub item: S,
    /// 所属期.
    pub period: YearMonth,
    pub kind: PaymentKind,
    /// Amount in 分; never negative (an overpayment is listed for recovery, not paid as a negative line).
    pub amount_fen: i64,
    /// The 标准表 row used (Excel row number), if any.
    pub standard_row: Option<u32>,
    /// 起始日期 of the standard used, if any.
    pub standard_start: Option<NaiveDate>,
    /// 依据 (the notice the standard comes from).
    pub basis: S,
    /// How the amount was worked out, for `explain`.
    pub formula: S,
    /// For a 重发 line: the ledger id of the returned line it re-issues.
    pub reissue_of: Option<i64>,
}

/// A line borrowed from wherever the caller keeps it: the hot path. `pay` streams a million of these into
/// `save_draft` from the batch, the roster and the standards (`cli::ledger_io::Draft::lines`), never copying a
/// month into owned strings.
pub type LineRef<'a> = Line<&'a str>;

/// A line that owns its texts, for tests and small callers; `line_ref` lends it to `save_draft`.
pub type NewLine = Line<String>;

impl NewLine {
    pub fn line_ref(&self) -> LineRef<'_> {
        Line {
            id: &self.id,
            name: &self.name,
            category: &self.category,
            town: &self.town,
            item: &self.item,
            period: self.period,
            kind: self.kind,
            amount_fen: self.amount_fen,
            standard_row: self.standard_row,
            standard_start: self.standard_start,
            basis: &self.basis,
            formula: &self.formula,
            reissue_of: self.reissue_of,
        }
    }
}

/// One bank transfer of a draft, as its 代发 file has it (`DraftWriter::add_transfers`): a run of the draft's
/// lines (by their place in the draft) sent to one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferRef<'a> {
    /// 序号 in the bank file, from 1.
    pub no: u32,
    /// The place in the draft (from 0) of its first line, and how many lines it sums.
    pub first_line: usize,
    pub lines: usize,
    pub amount_fen: i64,
    /// 身份证号 and 账号 as written in the bank file.
    pub id: &'a str,
    pub account: &'a str,
}

pub use crate::domain::bank_return::SentTransfer as TransferRecord;

/// A 退回 event to record: one returned transfer of a committed batch, and where the bank's file said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewReturn {
    /// 序号 of the transfer in the batch's bank file.
    pub transfer_no: u32,
    pub id: String,
    pub name: String,
    pub account: String,
    pub amount_fen: i64,
    /// The bank's status word, as written.
    pub status: String,
    pub reason: String,
    pub file_name: String,
    pub file_sha256: String,
    /// The row in the file as the user sees it (from 1).
    pub file_row: u32,
}

/// A recorded 退回 event, with the months of the batch that re-issued its lines (if any) and that batch's pay date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnRecord {
    pub month: YearMonth,
    #[serde(flatten)]
    pub event: NewReturn,
    pub recorded_at: String,
    /// The lines it returned: (line id, 项目, 所属期, kind, 分).
    pub lines: Vec<ReturnedLine>,
}

/// One line of a returned transfer, and its 重发 if made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnedLine {
    pub line_id: i64,
    pub item: String,
    pub period: YearMonth,
    pub kind: PaymentKind,
    pub amount_fen: i64,
    /// The batch month that re-issued it and its pay date (committed 重发 only).
    pub reissued_in: Option<(YearMonth, Option<NaiveDate>)>,
}

/// A committed line the bank returned that no committed 重发 has sent again (`LedgerStore::returns_pending`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReturn {
    pub line_id: i64,
    pub id: String,
    pub item: String,
    pub period: YearMonth,
    pub kind: PaymentKind,
    pub amount_fen: i64,
    pub batch_month: YearMonth,
    pub account: String,
    pub status: String,
    pub reason: String,
    pub recorded_at: String,
    pub basis: String,
    pub standard_row: Option<u32>,
}

/// The header of a batch (one month's run) being recorded as a draft; its lines are passed to `save_draft`
/// separately, as a stream of `LineRef`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatch {
    /// The month paid in (发放月份).
    pub month: YearMonth,
    /// RFC 3339, given by the caller.
    pub created: String,
    pub inputs_digest: String,
    pub outputs_digest: String,
    pub tool_version: String,
    /// Σ regular entitlement of every eligible recipient for the month (what 足额 means), in 分.
    pub entitled_fen: i64,
    /// JSON list of eligible recipients not paid in full, with the reason (for the audit).
    pub shortfalls: String,
}

/// A batch as stored, with its line count and total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchInfo {
    pub id: i64,
    pub month: YearMonth,
    pub status: BatchStatus,
    pub created: String,
    pub committed_at: Option<String>,
    pub pay_date: Option<NaiveDate>,
    pub late_reason: Option<String>,
    pub inputs_digest: String,
    pub outputs_digest: String,
    pub tool_version: String,
    /// Σ regular entitlement recorded with the draft (None for batches from schema version 2).
    pub entitled_fen: Option<i64>,
    /// JSON list of shortfalls recorded with the draft.
    pub shortfalls: String,
    pub lines: i64,
    pub total_fen: i64,
}

/// What was paid in total (正常 + 补发 + 丧葬补助, committed only) for one person, 项目 and 所属期.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaidTotal {
    pub id: String,
    pub item: String,
    pub period: YearMonth,
    pub total_fen: i64,
}

/// Counts of a set of committed lines: how many, their sum in 分, distinct 身份证号 and distinct (身份证号, 所属期)
/// pairs among the lines that count for 人次 (which ones depends on the group: see `PeriodCounts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCounts {
    pub lines: u64,
    pub amount_fen: i64,
    pub persons: u64,
    pub person_times: u64,
}

/// The committed lines whose batch month lies in a range, counted per group in one pass (`LedgerStore::period_counts`).
/// 人次 counts 正常 lines only in `totals`, `regular` and the named groups; all lines in `arrears` and `funeral`;
/// `by_month` has every month of the range (0 when none) and only `lines` and `amount_fen` are filled there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodCounts {
    pub totals: LineCounts,
    pub regular: LineCounts,
    pub arrears: LineCounts,
    pub funeral: LineCounts,
    /// 重发 lines (in `totals` too; 人次 as 正常).
    pub reissued: LineCounts,
    /// Lines the bank returned (退回): in no other group — they did not reach their recipients.
    pub returned: LineCounts,
    /// By 类别 / 项目 / 乡镇 as stored (an empty name stays empty).
    pub by_category: std::collections::BTreeMap<String, LineCounts>,
    pub by_item: std::collections::BTreeMap<String, LineCounts>,
    pub by_town: std::collections::BTreeMap<String, LineCounts>,
    pub by_month: std::collections::BTreeMap<YearMonth, LineCounts>,
}

/// Why the ledger refused or failed. `Display` is the Chinese message for users; `code` is stable for scripts.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// `open_existing` on a path with no file.
    #[error("台账文件 {} 不存在。只有 youfu init 会新建台账；台账在别处时请用 --ledger 指定", .path.display())]
    Missing { path: PathBuf },
    /// `create` on a path where a file already is.
    #[error("台账文件 {} 已存在，未作任何修改", .path.display())]
    Exists { path: PathBuf },
    /// A SQLite file that belongs to something else (other tables, another application_id).
    #[error(
        "文件 {} 不是 youfu 台账（{detail}），未对该文件做任何修改。请用 --ledger 指定正确的台账文件",
        .path.display()
    )]
    NotLedger { path: PathBuf, detail: String },
    /// A ledger written by a newer youfu.
    #[error(
        "台账 {} 的结构版本为 {found}，高于本程序支持的版本 {supported}，未对该文件做任何修改。请升级 youfu 后再使用该台账",
        .path.display()
    )]
    TooNew { path: PathBuf, found: i64, supported: i64 },
    /// Not a database at all, or a damaged one.
    #[error(
        "台账 {} 已损坏或不是数据库文件（{detail}），未对该文件做任何修改。请从备份恢复台账，或用 --ledger 指定正确的台账文件",
        .path.display()
    )]
    Corrupt { path: PathBuf, detail: String },
    /// Another process holds the write lock longer than the busy timeout.
    #[error("台账 {} 正被另一个 youfu 进程使用，请稍后再试", .path.display())]
    Busy { path: PathBuf },
    /// The month already has a committed batch.
    #[error(
        "{month} 已于 {} 确认发放（发放日期 {pay_date}），合计 {} 元；不能重复发放。\
         如果这个月有人少发、漏发，不必重新发放本月：改好花名册或标准表后照常发放下个月，\
         少发的部分会作为补发自动计入下个月的发放。",
        crate::domain::beijing::beijing_time(.committed_at),
        crate::domain::money::yuan_text(from_fen(*.total_fen))
    )]
    AlreadyCommitted { path: PathBuf, month: YearMonth, committed_at: String, pay_date: NaiveDate, total_fen: i64 },
    /// `commit` with no draft for the month.
    #[error("台账 {} 中没有 {month} 的发放草稿：请先用 youfu pay 计算 {month} 的发放，银行代发完成后再确认", .path.display())]
    NoDraft { path: PathBuf, month: YearMonth },
    /// The inputs' digest at commit differs from the draft's.
    #[error("{month}：花名册或标准表在生成草稿后已被修改，请重新运行 pay 后再确认")]
    InputsChanged { path: PathBuf, month: YearMonth, draft_digest: String, current_digest: String },
    /// A line would pay again what a committed batch already paid (正常 of a 所属期, or 丧葬补助).
    #[error(
        "{name}（{id}）的{item} {period} {kind}已在 {paid_in} 发放批次中确认发放，不能重复发放；台账 {} 未作修改",
        .path.display()
    )]
    AlreadyPaid {
        path: PathBuf,
        id: String,
        name: String,
        item: String,
        period: YearMonth,
        kind: PaymentKind,
        paid_in: YearMonth,
    },
    /// The database refused the write (a constraint or a trigger); nothing was changed.
    #[error("台账 {} 拒绝了这次写入：{detail}；台账未作任何修改", .path.display())]
    Rejected { path: PathBuf, detail: String },
    /// The file could not be read or created.
    #[error("无法读写台账文件 {}：{source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// Any other SQLite failure.
    #[error("台账 {} 读写失败：{source}", .path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    /// A PostgreSQL ledger's refusal or failure, as `pg` words it (its code, message and exit code are its own).
    /// Boxed: its largest refusal is larger than any other variant, and every `Result` of the ledger carries it.
    #[error(transparent)]
    Pg(Box<pg::PgError>),
    /// Reads of several counties (`--county`, `--all-counties`) from a ledger whose backend does not answer them
    /// yet (`LedgerStore::counties` and the `county_*` reads).
    #[error(
        "台账 {shown} 还不能按县（市、区）读取（--county、--all-counties）：这一版 youfu 的 PostgreSQL 台账尚未实现这部分。\
         统计本县请去掉 --county、--all-counties；未作任何修改"
    )]
    CountiesNotYet { shown: String },
    /// A county's SQLite file asked for the records of several counties: it holds one county's.
    #[error(
        "台账 {} 是一个县（市、区）的 SQLite 文件，只能按一个县（市、区）读取，不能按 {} 读取；未作任何修改",
        .path.display(),
        .asked.join("、")
    )]
    OneCounty { path: PathBuf, asked: Vec<String> },
    /// `ledger copy` into a ledger that already holds some of the months copied (for the county): never merged.
    #[error(
        "目标台账 {shown} 已有本县（市、区）{} 的发放批次，不能把另一台账的同月历史合并进去；未作任何修改。\
         请复制到新建的台账（youfu init），或先核对两个台账为何都有这些月份",
        months_text(.months)
    )]
    MonthsHeld { shown: String, months: Vec<YearMonth> },
    /// `ledger copy` read back a month from the target that differs from the source: the copy was rolled back.
    #[error("复制到台账 {shown} 后逐月核对不符：{month} {detail}。复制已全部撤销，目标台账未作任何修改")]
    CopyMismatch { shown: String, month: YearMonth, detail: String },
    /// A backend that cannot export or import a history (yet).
    #[error("台账 {shown} 暂不支持复制历史（ledger copy）；未作任何修改")]
    CopyUnsupported { shown: String },
}

/// Months as the messages list them: 2024-03、2024-04.
fn months_text(months: &[YearMonth]) -> String {
    months.iter().map(|m| m.to_string()).collect::<Vec<_>>().join("、")
}

impl LedgerError {
    /// The refusal for a month whose batch `done` is already committed: says when and with what total.
    pub fn already_committed(path: &std::path::Path, done: BatchInfo) -> LedgerError {
        LedgerError::AlreadyCommitted {
            path: path.to_path_buf(),
            month: done.month,
            committed_at: done.committed_at.unwrap_or_default(),
            pay_date: done.pay_date.unwrap_or_else(|| done.month.first_day()),
            total_fen: done.total_fen,
        }
    }

    /// Stable UPPER_SNAKE code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Missing { .. } => "LEDGER_MISSING",
            LedgerError::Exists { .. } => "LEDGER_EXISTS",
            LedgerError::NotLedger { .. } => "LEDGER_NOT_YOUFU",
            LedgerError::TooNew { .. } => "LEDGER_TOO_NEW",
            LedgerError::Corrupt { .. } => "LEDGER_CORRUPT",
            LedgerError::Busy { .. } => "LEDGER_BUSY",
            LedgerError::AlreadyCommitted { .. } => "MONTH_ALREADY_COMMITTED",
            LedgerError::NoDraft { .. } => "LEDGER_NO_DRAFT",
            LedgerError::InputsChanged { .. } => "INPUTS_CHANGED_SINCE_DRAFT",
            LedgerError::AlreadyPaid { .. } => "ALREADY_PAID",
            LedgerError::Rejected { .. } => "LEDGER_REJECTED",
            LedgerError::Io { .. } => "LEDGER_IO",
            LedgerError::Sqlite { .. } => "LEDGER_SQLITE",
            LedgerError::Pg(e) => e.code(),
            LedgerError::CountiesNotYet { .. } => "LEDGER_COUNTIES_NOT_YET",
            LedgerError::OneCounty { .. } => "LEDGER_ONE_COUNTY",
            LedgerError::MonthsHeld { .. } => "LEDGER_MONTHS_HELD",
            LedgerError::CopyMismatch { .. } => "LEDGER_COPY_MISMATCH",
            LedgerError::CopyUnsupported { .. } => "LEDGER_COPY_UNSUPPORTED",
        }
    }

    /// No ledger there (no file; a database without a youfu ledger): only `youfu init` makes one.
    pub fn is_missing(&self) -> bool {
        match self {
            LedgerError::Missing { .. } => true,
            LedgerError::Pg(e) => matches!(**e, pg::PgError::Uninitialised { .. }),
            _ => false,
        }
    }

    /// `create` found a ledger already there.
    pub fn already_exists(&self) -> bool {
        matches!(self, LedgerError::Exists { .. })
    }

    /// The ledger concerned: its file, or (PostgreSQL) its target as a path-like text, for messages only.
    pub fn path(&self) -> &std::path::Path {
        match self {
            LedgerError::Pg(e) => std::path::Path::new(e.target()),
            LedgerError::CountiesNotYet { shown }
            | LedgerError::MonthsHeld { shown, .. }
            | LedgerError::CopyMismatch { shown, .. }
            | LedgerError::CopyUnsupported { shown } => std::path::Path::new(shown),
            LedgerError::Missing { path }
            | LedgerError::Exists { path }
            | LedgerError::NotLedger { path, .. }
            | LedgerError::TooNew { path, .. }
            | LedgerError::Corrupt { path, .. }
            | LedgerError::Busy { path }
            | LedgerError::AlreadyCommitted { path, .. }
            | LedgerError::NoDraft { path, .. }
            | LedgerError::InputsChanged { path, .. }
            | LedgerError::AlreadyPaid { path, .. }
            | LedgerError::Rejected { path, .. }
            | LedgerError::Io { path, .. }
            | LedgerError::Sqlite { path, .. }
            | LedgerError::OneCounty { path, .. } => path,
        }
    }

    /// The same error about `path` instead (`Ledger::create` works on a temporary file; users see the ledger's name).
    pub fn at(mut self, path: &std::path::Path) -> LedgerError {
        match &mut self {
            LedgerError::Missing { path: p } | LedgerError::Exists { path: p } | LedgerError::Busy { path: p } => {
                *p = path.to_path_buf()
            }
            LedgerError::NotLedger { path: p, .. }
            | LedgerError::TooNew { path: p, .. }
            | LedgerError::Corrupt { path: p, .. }
            | LedgerError::AlreadyCommitted { path: p, .. }
            | LedgerError::NoDraft { path: p, .. }
            | LedgerError::InputsChanged { path: p, .. }
            | LedgerError::AlreadyPaid { path: p, .. }
            | LedgerError::Rejected { path: p, .. }
            | LedgerError::Io { path: p, .. }
            | LedgerError::Sqlite { path: p, .. }
            | LedgerError::OneCounty { path: p, .. } => *p = path.to_path_buf(),
            LedgerError::Pg(_)
            | LedgerError::CountiesNotYet { .. }
            | LedgerError::MonthsHeld { .. }
            | LedgerError::CopyMismatch { .. }
            | LedgerError::CopyUnsupported { .. } => {}
        }
        self
    }

    /// As a located `Problem` (location = the ledger file), for the CLI's text and JSON failure output.
    pub fn to_problem(&self) -> Problem {
        if let LedgerError::Pg(e) = self {
            return e.to_problem();
        }
        let message = self.to_string();
        let message = message.trim_end_matches('。');
        Problem::new(self.code(), message).at(Location::file(self.path().display().to_string()))
    }
}

impl From<pg::PgError> for LedgerError {
    fn from(e: pg::PgError) -> Self {
        LedgerError::Pg(Box::new(e))
    }
}

impl Refusal for LedgerError {
    fn month_already_committed(&self) -> bool {
        match self {
            LedgerError::AlreadyCommitted { .. } => true,
            LedgerError::Pg(e) => e.month_already_committed(),
            _ => false,
        }
    }
}

impl Refusal for pg::PgError {
    fn month_already_committed(&self) -> bool {
        matches!(self, pg::PgError::MonthCommitted { .. } | pg::PgError::AlreadyCommitted { .. })
    }
}
