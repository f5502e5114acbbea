//! SQLite's failures as the ledger reports them (`sql_err`, `parse_text`), in a leaf of their own: `store`,
//! `schema` and `counts` all map errors the same way without importing one another.

use crate::ledger::LedgerError;
use rusqlite::ErrorCode;
use rusqlite::types::Type;
use std::path::Path;

/// Parse a stored text value; a failure is a conversion error (reported as a damaged ledger).
pub(crate) fn parse_text<T, E: std::fmt::Display>(
    idx: usize,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<T> {
    parse(text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, format!("“{text}”：{e}").into()))
}

/// Map a SQLite failure to what the user is told: locked → Busy; not a database / malformed → Corrupt; a
/// constraint or trigger → Rejected (in Chinese); anything else → Sqlite.
pub(crate) fn sql_err(path: &Path, e: rusqlite::Error) -> LedgerError {
    let path_buf = path.to_path_buf();
    match &e {
        rusqlite::Error::SqliteFailure(failure, message) => match failure.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => LedgerError::Busy { path: path_buf },
            ErrorCode::NotADatabase => {
                LedgerError::Corrupt { path: path_buf, detail: "不是 SQLite 数据库文件".to_string() }
            }
            ErrorCode::DatabaseCorrupt => {
                LedgerError::Corrupt { path: path_buf, detail: format!("数据库内容损坏：{e}") }
            }
            ErrorCode::ConstraintViolation => {
                LedgerError::Rejected { path: path_buf, detail: constraint_detail(message.as_deref().unwrap_or("")) }
            }
            _ => LedgerError::Sqlite { path: path_buf, source: e },
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..) => {
            LedgerError::Corrupt { path: path_buf, detail: format!("台账中有无法识别的数据：{e}") }
        }
        _ => LedgerError::Sqlite { path: path_buf, source: e },
    }
}

pub(super) const NEGATIVE_AMOUNT: &str = "CHECK constraint failed: amount_not_negative";
pub(super) const REGULAR_ONCE: &str = "同一人同一项目同一所属期的正常发放只能确认一次";
pub(super) const FUNERAL_ONCE: &str = "同一人的丧葬补助只能确认发放一次";

/// SQLite's constraint messages in Chinese. Trigger messages (RAISE) are Chinese already and pass through.
pub(super) fn constraint_detail(message: &str) -> String {
    let known = [
        ("UNIQUE constraint failed: lines.period, lines.person_id, lines.item", REGULAR_ONCE),
        // The version 1 index (a ledger not yet migrated).
        ("UNIQUE constraint failed: lines.person_id, lines.item, lines.period", REGULAR_ONCE),
        (
            "UNIQUE constraint failed: lines.batch_id, lines.person_id, lines.item, lines.period",
            "同一批次中同一人同一项目同一所属期的正常发放只能有一条",
        ),
        ("UNIQUE constraint failed: lines.person_id", FUNERAL_ONCE),
        ("UNIQUE constraint failed: lines.batch_id, lines.person_id", "同一批次中同一人的丧葬补助只能有一条"),
        ("UNIQUE constraint failed: batches.month", "同一月份只能有一个已确认发放的批次和一个草稿"),
        (NEGATIVE_AMOUNT, "明细金额不能为负数（多发的款项应列出追缴，不能以负数冲减）"),
        ("CHECK constraint failed: person_id_present", "明细缺少身份证号"),
        ("FOREIGN KEY constraint failed", "明细只能属于台账中的发放草稿或已确认发放的批次"),
        ("CHECK constraint failed: item_present", "明细缺少项目"),
        ("UNIQUE constraint failed: lines.reissue_of", "银行退回的一笔明细只能重发一次"),
        ("UNIQUE constraint failed: bank_returns.batch_id, bank_returns.transfer_no", "同一笔代发只能记录一次退回"),
    ];
    known
        .iter()
        .find(|(sqlite, _)| *sqlite == message)
        .map(|(_, chinese)| chinese.to_string())
        .unwrap_or_else(|| message.to_string())
}
