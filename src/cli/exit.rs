//! Exit codes. Stable: scripts in cron rely on them. Documented in the README.

/// 成功.
pub const OK: i32 = 0;
/// 程序内部错误（请报告）.
pub const INTERNAL: i32 = 1;
/// 命令行参数错误.
pub const USAGE: i32 = 2;
/// 输入数据有误（花名册、标准表）：已列出每个问题，未写出任何文件.
pub const INVALID_DATA: i32 = 3;
/// 配置文件有误.
pub const CONFIG: i32 = 4;
/// 读写文件失败（输入文件不存在、输出目录不可写等）.
pub const IO: i32 = 5;
/// 该月已确认发放，拒绝重复发放.
pub const ALREADY_COMMITTED: i32 = 6;
/// 台账（youfu.db）错误：不是 youfu 台账、版本过新、已损坏、被占用.
pub const LEDGER: i32 = 7;
/// 逾期：发放日期晚于截止日，或已过截止日仍未确认发放.
pub const LATE: i32 = 8;
/// 提醒：距报送银行截止日不足 --warn-days 个工作日，且该月尚未确认发放.
pub const DEADLINE_WARNING: i32 = 9;
/// 核查发现问题：有逾期、未足额或缺少的月份.
pub const AUDIT_FAILED: i32 = 10;
/// 报告中有缺失的数（写作 X），且给了 --strict：未写出文件.
pub const REPORT_MISSING: i32 = 11;
/// 被中断（Ctrl-C，或 SIGTERM/SIGHUP）：未完成的输出已删除，台账未改动（已在记入台账的，先完成再退出）.
pub const INTERRUPTED: i32 = 130;

/// The exit code of a ledger refusal, decided here with the others so that the ledger knows no exit codes:
/// `ALREADY_COMMITTED` for a month already paid, `LEDGER` for everything else.
pub trait LedgerExit {
    fn exit_code(&self) -> i32;
}

/// Either backend's error (`LedgerError`, and `PgError` inside it) says through `ledger::Refusal` whether it means
/// a month already paid.
impl<E: crate::ledger::Refusal> LedgerExit for E {
    fn exit_code(&self) -> i32 {
        if self.month_already_committed() { ALREADY_COMMITTED } else { LEDGER }
    }
}
