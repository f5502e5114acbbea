//! 标准表 → `Vec<Standard>`: 项目, 金额 (number cell or amount text), 计发单位, 起始/终止日期, 依据, and every other
//! column as a key (blank = any). Overlaps between rows are checked in `compute`, not here.

use super::cells::{self, Cell};
use super::columns::{self, STANDARD_NON_KEYS, STANDARD_REQUIRED};
use super::fields::{RowView, is_blank_row, is_footer_row, is_total_row};
use super::sheet::{Table, read_table};
use crate::domain::money::{decimal_from_cell_f64, parse_amount_text};
use crate::domain::{Categories, Problem, Problems, Standard, Unit};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

/// Read a 标准表.
pub fn read_standards(path: &Path, categories: &Categories) -> Result<Vec<Standard>, Problems> {
    let table = read_table(path)?;
    standards_from_table(&table, categories)
}

fn take<T>(r: Result<T, Problem>, problems: &mut Vec<Problem>) -> Option<T> {
    r.map_err(|p| problems.push(p)).ok()
}

/// 金额 from a number cell (converted once, exactly as displayed) or amount text; never negative.
fn amount(view: &RowView) -> Result<Decimal, Problem> {
    let cell = view.cell("金额");
    if cells::is_blank(cell) {
        return Err(view
            .problem("BAD_AMOUNT", "金额", "金额为空")
            .hint("请填写标准金额，如 1234.50。"));
    }
    let value = match cell {
        Cell::Number(v) => decimal_from_cell_f64(*v),
        Cell::Int(i) => Some(Decimal::from(*i)),
        Cell::Text(t) => parse_amount_text(&cells::normalize_text(t)),
        _ => None,
    };
    match value {
        None => Err(view
            .problem("BAD_AMOUNT", "金额", "金额不是数字")
            .hint("请填写阿拉伯数字金额，如 1234.50（可带“元”“￥”或千分位逗号）。")),
        Some(d) if d < Decimal::ZERO => Err(view
            .problem("BAD_AMOUNT", "金额", "金额不能为负数")
            .hint("标准金额应为正数或0。")),
        Some(d) => Ok(d),
    }
}

fn unit(view: &RowView) -> Result<Unit, Problem> {
    let text = view.text("计发单位");
    let hint = format!("可用的计发单位：{}。", Unit::ACCEPTED);
    if text.is_empty() {
        return Err(view
            .problem("MISSING_VALUE", "计发单位", "计发单位为空")
            .hint(hint));
    }
    Unit::parse(&text).ok_or_else(|| {
        view.problem("UNKNOWN_UNIT", "计发单位", "计发单位无法识别")
            .hint(hint)
    })
}

fn parse_row(view: &RowView, categories: &Categories) -> (Option<Standard>, Vec<Problem>) {
    let mut problems = Vec::new();
    let item = take(view.required_text("项目"), &mut problems);
    let amount = take(amount(view), &mut problems);
    let unit = take(unit(view), &mut problems);
    let start = match take(view.date("起始日期"), &mut problems) {
        Some(None) => {
            problems.push(
                view.problem("MISSING_VALUE", "起始日期", "起始日期为空")
                    .hint(format!(
                        "请填写标准开始执行的日期，可写作 {}。",
                        cells::DATE_FORMS
                    )),
            );
            None
        }
        other => other.flatten(),
    };
    let end = take(view.date("终止日期"), &mut problems).flatten();
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        problems.push(
            view.problem(
                "BAD_DATE_RANGE",
                "终止日期",
                format!("终止日期早于起始日期（{s}）"),
            )
            .hint("请核对起始日期和终止日期。"),
        );
    }
    let mut keys = BTreeMap::new();
    for col in &view.header.columns {
        if STANDARD_NON_KEYS.contains(&col.name.as_str()) {
            continue;
        }
        let value = match col.name.as_str() {
            "类别" => take(view.category(categories), &mut problems).flatten(),
            "等级" => take(view.grade(), &mut problems)
                .flatten()
                .map(str::to_string),
            "性质" => take(view.nature(), &mut problems).flatten(),
            _ => Some(cells::text(view.row.cell(col.index))).filter(|t| !t.is_empty()),
        };
        if let Some(v) = value {
            keys.insert(col.name.clone(), v);
        }
    }
    if !problems.is_empty() {
        return (None, problems);
    }
    let standard = (|| {
        Some(Standard {
            location: view.location(),
            item: item?,
            keys,
            amount: amount?,
            unit: unit?,
            start: start?,
            end,
            basis: view.text("依据"),
        })
    })();
    (standard, problems)
}

/// A standards table → standards, or every problem found.
pub fn standards_from_table(
    table: &Table,
    categories: &Categories,
) -> Result<Vec<Standard>, Problems> {
    let defs = columns::standard_columns();
    let header = columns::find_header(table, &defs, STANDARD_REQUIRED)?;
    let mut problems = Vec::new();
    let mut standards = Vec::new();
    for row in &table.rows[header.first_data..] {
        let view = RowView {
            table,
            header: &header,
            row,
        };
        if is_blank_row(row) || is_total_row(row, &header) || is_footer_row(&view) {
            continue;
        }
        let (standard, row_problems) = parse_row(&view, categories);
        problems.extend(row_problems);
        standards.extend(standard);
    }
    Problems(problems).into_result(standards)
}
