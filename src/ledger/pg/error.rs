//! Why a PostgreSQL ledger refused or failed, as a value with a Chinese message (`Display`) and a stable code.
//!
//! Kept apart from `LedgerError` (whose variants name a file path) until the ledger seam of issue 20 gives both
//! backends one error type; the exit codes are the same: 6 for a month already committed, 7 for the rest.
//! No message ever contains a password: the target is shown as `用户@服务器:端口/数据库`, a URL only redacted.

use crate::domain::PaymentKind;
use crate::domain::location::{Location, Problem};

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// `--ledger` / `ledger =` looked like a URL but is not one youfu can use.
    #[error(
        "台账地址 {shown} 无法解析：{detail}。PostgreSQL 台账的地址形如 postgresql://用户名@服务器:5432/数据库名（密码请放在 PGPASSWORD 环境变量或 ~/.pgpass 中）"
    )]
    BadUrl { shown: String, detail: String },
    /// No server answers there (refused, no socket, timeout, name not resolved).
    #[error(
        "无法连接台账数据库 {target}：{detail}。请确认数据库服务器已启动、服务器地址和端口正确、网络可达；台账未作任何修改"
    )]
    Unreachable { target: String, detail: String },
    /// The server refused the login (wrong password, or the role may not log in).
    #[error(
        "数据库服务器拒绝了用户 {user} 登录 {target}：密码错误或该用户不允许登录。请核对地址中、PGPASSWORD 或 ~/.pgpass 里的密码{note}；台账未作任何修改"
    )]
    AuthFailed { target: String, user: String, note: String },
    /// The server asks for a password and none was given anywhere.
    #[error(
        "数据库服务器要求用户 {user} 提供密码才能登录 {target}，但地址、PGPASSWORD 和 ~/.pgpass 中都没有该用户的密码{note}；台账未作任何修改"
    )]
    PasswordMissing { target: String, user: String, note: String },
    /// The database named in the URL does not exist on the server.
    #[error(
        "数据库服务器上没有数据库 {dbname}（{target}）。请数据库管理员先创建该数据库（见 README「PostgreSQL 台账」一节），再运行 youfu init"
    )]
    NoDatabase { target: String, dbname: String },
    /// The database exists but holds no youfu ledger yet.
    #[error("数据库 {target} 中还没有 youfu 台账。请先运行 youfu init 创建台账")]
    Uninitialised { target: String },
    /// The database holds something else.
    #[error("数据库 {target} 不是 youfu 台账（{detail}），未对其做任何修改。请用 --ledger 指定正确的台账地址")]
    NotLedger { target: String, detail: String },
    /// A ledger written by a newer youfu.
    #[error(
        "台账 {target} 的结构版本为 {found}，高于本程序支持的版本 {supported}，未对其做任何修改。请升级 youfu 后再使用该台账"
    )]
    TooNew { target: String, found: i64, supported: i64 },
    /// A second regular payment of a (身份证号, 项目, 所属期), or a second 丧葬补助 of a person, anywhere in the ledger.
    #[error(
        "{name}（{person_id}）的{item} {period} {kind}已由行政区划代码 {county_code} 的 {batch_month} 发放批次（批次号 {batch_id}）确认发放，不能重复发放；台账 {target} 未作修改"
    )]
    AlreadyPaid {
        target: String,
        name: String,
        person_id: String,
        item: String,
        period: String,
        kind: PaymentKind,
        county_code: String,
        batch_month: String,
        batch_id: i64,
    },
    /// A second committed batch of one county and month.
    #[error(
        "行政区划代码 {county_code} 的 {month} 已有确认发放的批次（批次号 {batch_id}），不能重复发放；台账 {target} 未作修改"
    )]
    MonthCommitted { target: String, county_code: String, month: String, batch_id: i64 },
    /// A re-issue (重发) of a returned line that was already re-issued.
    #[error("第 {line_id} 号明细（银行已退回）已在批次号 {batch_id} 中重发，不能再次重发；台账 {target} 未作修改")]
    AlreadyReissued { target: String, line_id: i64, batch_id: i64 },
    /// The county's month already has a committed batch (`save_draft`, `commit`): when, and with what total (as
    /// on SQLite).
    #[error(
        "{month} 已于 {} 确认发放（发放日期 {pay_date}），合计 {} 元；不能重复发放。\
         如果这个月有人少发、漏发，不必重新发放本月：改好花名册或标准表后照常发放下个月，\
         少发的部分会作为补发自动计入下个月的发放。",
        crate::domain::beijing::beijing_time(.committed_at),
        crate::domain::money::yuan_text(crate::domain::money::from_fen(*.total_fen))
    )]
    AlreadyCommitted {
        target: String,
        county_code: String,
        month: crate::domain::month::YearMonth,
        committed_at: String,
        pay_date: chrono::NaiveDate,
        total_fen: i64,
    },
    /// `commit` with no draft of the county's month.
    #[error(
        "台账 {target} 中没有行政区划代码 {county_code} 的 {month} 发放草稿：请先用 youfu pay 计算 {month} 的发放，银行代发完成后再确认"
    )]
    NoDraft { target: String, county_code: String, month: crate::domain::month::YearMonth },
    /// `commit` of a draft whose lines are gone: `draft_lines` is not logged, so a crash of the server (or a
    /// switch to a standby) empties it while the batch stays.
    #[error(
        "台账 {target} 中行政区划代码 {county_code} 的 {month} 发放草稿应有 {expected} 笔明细，数据库中只剩 {found} 笔（草稿明细不写入数据库日志，数据库服务器崩溃重启或切换到备用服务器后会被清空），未确认发放。请重新运行 youfu pay 生成 {month} 的草稿，核对后再确认"
    )]
    DraftLost { target: String, county_code: String, month: crate::domain::month::YearMonth, expected: i64, found: u64 },
    /// The inputs' digest at commit differs from the draft's.
    #[error("{month}：花名册或标准表在生成草稿后已被修改，请重新运行 pay 后再确认")]
    InputsChanged {
        target: String,
        month: crate::domain::month::YearMonth,
        draft_digest: String,
        current_digest: String,
    },
    /// Another officer of the county holds the month (or a row this write needs) longer than the busy timeout.
    #[error(
        "台账 {target} 中行政区划代码 {county_code} 的数据正被另一个 youfu 进程写入，已等待 {waited} 秒仍未结束；本次操作未生效，请稍后再试"
    )]
    Busy { target: String, county_code: String, waited: String },
    /// The county code youfu was given is not 6 digits.
    #[error(
        "行政区划代码“{county_code}”不是 6 位数字：请在 youfu.toml 中写明本县（市、区）的 county_code，例如 county_code = \"110105\""
    )]
    BadCounty { target: String, county_code: String },
    /// A stored value youfu cannot read (not what youfu writes).
    #[error("台账 {target} 中有无法识别的数据（{detail}），未作任何修改。请联系数据库管理员检查台账")]
    Corrupt { target: String, detail: String },
    /// A trigger or a constraint refused the write; nothing was changed.
    #[error("台账 {target} 拒绝了这次写入：{detail}；台账未作任何修改")]
    Rejected { target: String, detail: String },
    /// Any other database failure (connection lost mid-way, server restart, …): the transaction was not committed.
    #[error("台账 {target} 读写失败：{detail}。本次操作未生效，请稍后重新运行同一命令")]
    Db { target: String, detail: String },
}

impl PgError {
    /// Stable UPPER_SNAKE code for scripts (the SQLite ledger's codes where the meaning is the same).
    pub fn code(&self) -> &'static str {
        match self {
            PgError::BadUrl { .. } => "LEDGER_BAD_URL",
            PgError::Unreachable { .. } => "LEDGER_UNREACHABLE",
            PgError::AuthFailed { .. } => "LEDGER_AUTH_FAILED",
            PgError::PasswordMissing { .. } => "LEDGER_PASSWORD_MISSING",
            PgError::NoDatabase { .. } => "LEDGER_NO_DATABASE",
            PgError::Uninitialised { .. } => "LEDGER_MISSING",
            PgError::NotLedger { .. } => "LEDGER_NOT_YOUFU",
            PgError::TooNew { .. } => "LEDGER_TOO_NEW",
            PgError::AlreadyPaid { .. } => "ALREADY_PAID",
            PgError::MonthCommitted { .. } => "MONTH_ALREADY_COMMITTED",
            PgError::AlreadyReissued { .. } => "ALREADY_REISSUED",
            PgError::AlreadyCommitted { .. } => "MONTH_ALREADY_COMMITTED",
            PgError::NoDraft { .. } => "LEDGER_NO_DRAFT",
            PgError::DraftLost { .. } => "LEDGER_DRAFT_LOST",
            PgError::InputsChanged { .. } => "INPUTS_CHANGED_SINCE_DRAFT",
            PgError::Busy { .. } => "LEDGER_BUSY",
            PgError::BadCounty { .. } => "BAD_COUNTY_CODE",
            PgError::Corrupt { .. } => "LEDGER_CORRUPT",
            PgError::Rejected { .. } => "LEDGER_REJECTED",
            PgError::Db { .. } => "LEDGER_DATABASE",
        }
    }

    /// Where: the ledger's target (`用户@服务器:端口/数据库`) or, for a bad URL, the redacted URL.
    pub fn target(&self) -> &str {
        match self {
            PgError::BadUrl { shown, .. } => shown,
            PgError::Unreachable { target, .. }
            | PgError::AuthFailed { target, .. }
            | PgError::PasswordMissing { target, .. }
            | PgError::NoDatabase { target, .. }
            | PgError::Uninitialised { target }
            | PgError::NotLedger { target, .. }
            | PgError::TooNew { target, .. }
            | PgError::AlreadyPaid { target, .. }
            | PgError::MonthCommitted { target, .. }
            | PgError::AlreadyReissued { target, .. }
            | PgError::AlreadyCommitted { target, .. }
            | PgError::NoDraft { target, .. }
            | PgError::DraftLost { target, .. }
            | PgError::InputsChanged { target, .. }
            | PgError::Busy { target, .. }
            | PgError::BadCounty { target, .. }
            | PgError::Corrupt { target, .. }
            | PgError::Rejected { target, .. }
            | PgError::Db { target, .. } => target,
        }
    }

    /// As a located `Problem` (location = the ledger's target), for the CLI's text and JSON failure output.
    pub fn to_problem(&self) -> Problem {
        let message = self.to_string();
        let message = message.trim_end_matches('。');
        Problem::new(self.code(), message).at(Location::file(self.target().to_string()))
    }
}

/// The text of a driver error: the server's own message (and detail) for a database error, else the error with
/// its sources (the driver's `Display` says only "db error" or "invalid configuration").
pub fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return match db.detail() {
            Some(detail) => format!("{}（{detail}）", db.message()),
            None => db.message().to_string(),
        };
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
