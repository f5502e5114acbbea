//! The bank's 回盘 (return file) of a 代发 batch → one `ReturnRow` per data row: 账号, 户名, 身份证号, 金额, the
//! bank's status word and reason. Read with the roster's machinery (any of .xlsx/.xls/.csv, UTF-8 or GBK, title
//! rows above the header, header names and the aliases banks use); every bad row is refused with its location.
//! Matching the rows to the batch's transfers is pure (`compute::returns`).

use super::cells::{self, Cell};
use super::columns::{ColumnDef, find_header};
use super::fields::{NotData, RowView};
use super::sheet::{Table, read_table};
pub use crate::domain::bank_return::{Outcome, PAID_WORDS, RETURNED_WORDS, ReturnColumns, ReturnRow, outcome_of};
use crate::domain::money::{decimal_from_cell_f64, parse_amount_text, to_fen};
use crate::domain::{Problem, Problems};
use std::path::Path;

const fn col(canonical: &'static str, aliases: &'static [&'static str]) -> ColumnDef {
    ColumnDef { canonical, aliases }
}

/// The columns of a 回盘, with the names banks give them.
pub const RETURN_COLUMNS: &[ColumnDef] = &[
    col("序号", &["流水号", "笔号"]),
    col("账号", &["卡号", "银行账号", "收款账号", "收款人账号", "账户", "银行卡号"]),
    col("户名", &["姓名", "收款人", "收款人姓名", "账户名称", "账户名"]),
    col("身份证号", &["证件号码", "身份证号码", "证件号", "公民身份号码"]),
    col("金额", &["交易金额", "发放金额", "代发金额", "金额（元）", "金额(元)"]),
    col("状态", &["处理结果", "交易结果", "交易状态", "处理状态", "结果"]),
    col("原因", &["失败原因", "备注", "错误信息", "返回信息", "退回原因", "说明"]),
    col("摘要", &["用途", "附言"]),
];

/// Required in a 回盘.
pub const RETURN_REQUIRED: &[&str] = &["账号", "金额"];

/// Read a 回盘 file.
pub fn read_bank_return(path: &Path) -> Result<Vec<ReturnRow>, Problems> {
    let table = read_table(path)?;
    return_rows(&table)
}

/// The rows of a 回盘 table; all problems of the file at once. A file with no data row is refused.
pub fn return_rows(table: &Table) -> Result<Vec<ReturnRow>, Problems> {
    let header = find_header(table, RETURN_COLUMNS, RETURN_REQUIRED)?;
    let written = |name: &str| header.column(name).map(|c| c.written.clone());
    let columns = ReturnColumns {
        account: written("账号").unwrap_or_else(|| "账号".into()),
        amount: written("金额").unwrap_or_else(|| "金额".into()),
        id: written("身份证号"),
        status: written("状态"),
        memo: written("摘要"),
    };
    let not_data = NotData::new(&header, RETURN_REQUIRED, RETURN_COLUMNS);
    let mut out = Vec::new();
    let mut problems = Problems::default();
    for row in &table.rows[header.first_data..] {
        let view = RowView { table, header: &header, row };
        if not_data.is(&view) {
            continue;
        }
        match parse_row(&view, &columns) {
            Ok(r) => out.push(r),
            Err(ps) => ps.into_iter().for_each(|p| problems.push(p)),
        }
    }
    if problems.is_empty() && out.is_empty() {
        problems.push(
            Problem::new("EMPTY_RETURN_FILE", "回盘文件在表头下没有任何数据行")
                .at(table.location().with_row(header.excel_row))
                .hint("请确认选择的是银行返回的回盘文件（含账号、金额、处理结果）；台账未记录任何退回。"),
        );
    }
    problems.into_result(out)
}

/// 账号 or 身份证号 as text: a number cell has already lost digits (Excel keeps 15), so it is refused.
fn key_text(view: &RowView, name: &'static str) -> Result<String, Problem> {
    match view.cell(name) {
        Cell::Number(_) | Cell::Int(_) => Err(view
            .problem("KEY_AS_NUMBER", name, format!("{name}是数字格式，超过15位的数字已被 Excel 改动"))
            .hint(format!("请向银行索取{name}为文本格式的回盘文件，或在 Excel 中将该列设为文本后重新录入。"))),
        _ => Ok(cells::compact(&view.text(name))),
    }
}

fn parse_row(view: &RowView, columns: &ReturnColumns) -> Result<ReturnRow, Vec<Problem>> {
    let mut problems = Vec::new();
    let account = match key_text(view, "账号") {
        Ok(a) if a.is_empty() => {
            problems.push(view.problem("MISSING_VALUE", "账号", "账号为空").hint("回盘的每一行须有账号。"));
            String::new()
        }
        Ok(a) => a,
        Err(p) => {
            problems.push(p);
            String::new()
        }
    };
    let id = match key_text(view, "身份证号") {
        Ok(t) if t.is_empty() => None,
        Ok(t) => Some(t.to_uppercase()),
        Err(p) => {
            problems.push(p);
            None
        }
    };
    let amount_fen = match amount(view) {
        Ok(f) => f,
        Err(p) => {
            problems.push(p);
            0
        }
    };
    let status = view.text("状态");
    let outcome = if columns.status.is_none() {
        // A file without a status column lists only the failures.
        Some(Outcome::Returned)
    } else {
        outcome_of(&status)
    };
    if outcome.is_none() {
        problems.push(
            view.problem("UNKNOWN_STATUS", "状态", if status.is_empty() { "处理结果为空" } else { "处理结果无法识别" })
                .hint(format!(
                    "可识别的处理结果：{}（成功）；{}（退回）。请与银行核对后修改该行。",
                    PAID_WORDS.join("、"),
                    RETURNED_WORDS.join("、")
                )),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ReturnRow {
        location: view.location(),
        columns: columns.clone(),
        account,
        name: view.text("户名"),
        id,
        amount_fen,
        status,
        outcome: outcome.expect("checked above"),
        reason: view.text("原因"),
        memo: view.text("摘要"),
    })
}

/// 金额 in whole 分: a number cell (as displayed) or amount text; a third decimal place is refused.
fn amount(view: &RowView) -> Result<i64, Problem> {
    let cell = view.cell("金额");
    if cells::is_blank(cell) {
        return Err(view.problem("BAD_AMOUNT", "金额", "金额为空").hint("回盘的每一行须有金额。"));
    }
    let value = match cell {
        Cell::Number(v) => decimal_from_cell_f64(*v),
        Cell::Int(i) => Some(rust_decimal::Decimal::from(*i)),
        Cell::Text(t) => parse_amount_text(&cells::normalize_text(t)),
        _ => None,
    };
    match value {
        None => Err(view.problem("BAD_AMOUNT", "金额", "金额不是数字").hint("金额应为阿拉伯数字，如 2331.67。")),
        Some(d) if d <= rust_decimal::Decimal::ZERO => {
            Err(view.problem("BAD_AMOUNT", "金额", "金额须大于0").hint("请与银行核对该行金额。"))
        }
        Some(d) => to_fen(d).ok_or_else(|| {
            view.problem("BAD_AMOUNT", "金额", "金额不是整分（小数超过两位）").hint("请与银行核对该行金额。")
        }),
    }
}
