//! 花名册 → `Vec<Recipient>`: header found by its names, title/unit/合计/blank rows skipped, every field checked
//! (身份证号 must be text and valid, 银行账号 digits, 类别 known, 等级/性质/状态/dates normalised), duplicates refused.
//! All problems of the file are collected.

use super::cells::{self, Cell};
use super::columns::{self, ROSTER_COLUMNS, ROSTER_REQUIRED};
use super::fields::{RowView, is_blank_row, is_footer_row, is_total_row};
use super::sheet::{Table, read_table};
use crate::domain::{Categories, IdCard, Problem, Problems, Recipient, Status};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

/// Read a 花名册. `path` is shown in messages exactly as the user typed it (path.display()).
pub fn read_roster(path: &Path, categories: &Categories) -> Result<Vec<Recipient>, Problems> {
    let table = read_table(path)?;
    roster_from_table(&table, categories)
}

/// Take a value, or keep its problem for the report.
fn take<T>(r: Result<T, Problem>, problems: &mut Vec<Problem>) -> Option<T> {
    r.map_err(|p| problems.push(p)).ok()
}

const AS_NUMBER_WHY: &str =
    "Excel 的数字只保留15位有效数字，存成数字后末几位已经丢失，无法从中还原";

/// 身份证号 must be a text cell holding a valid number.
fn id_card(view: &RowView) -> Result<IdCard, Problem> {
    let cell = view.cell("身份证号");
    let as_number = match cell {
        Cell::Number(_) | Cell::Int(_) => true,
        Cell::Text(t) => cells::looks_like_scientific(t),
        _ => false,
    };
    if as_number {
        return Err(view
            .problem(
                "ID_AS_NUMBER",
                "身份证号",
                format!("身份证号被存成了数字：{AS_NUMBER_WHY}"),
            )
            .hint("请将该列设置为“文本”格式后重新录入身份证号（只改格式不能找回丢失的数字）。"));
    }
    IdCard::parse(&cells::compact(&cells::text(cell))).map_err(|e| {
        view.problem("ID_INVALID", "身份证号", e.to_string())
            .hint("请对照原始证件核对身份证号。")
    })
}

/// 银行账号: digits only. A number cell with 16 or more digits has lost digits already; a shorter whole number
/// is taken as its digits. Blank is allowed here (the pay step lists it as an exception).
fn account(view: &RowView) -> Result<String, Problem> {
    let cell = view.cell("银行账号");
    let as_number = || {
        view.problem(
            "ACCOUNT_AS_NUMBER",
            "银行账号",
            format!("银行账号被存成了数字：{AS_NUMBER_WHY}"),
        )
        .hint("请将该列设置为“文本”格式后重新录入银行账号（只改格式不能找回丢失的数字）。")
    };
    let invalid = || {
        view.problem("ACCOUNT_INVALID", "银行账号", "银行账号只能由数字组成")
            .hint("请核对账号，去掉其中的字母、横线等其他字符。")
    };
    match cell {
        Cell::Empty => Ok(String::new()),
        Cell::Number(_) | Cell::Int(_) => {
            let d = cells::parse_decimal(cell).ok_or_else(invalid)?;
            if !d.fract().is_zero() || d < Decimal::ZERO {
                return Err(invalid());
            }
            let digits = d.trunc().normalize().to_string();
            if digits.len() >= 16 {
                Err(as_number())
            } else {
                Ok(digits)
            }
        }
        Cell::Text(t) if cells::looks_like_scientific(t) => Err(as_number()),
        Cell::Text(t) => {
            let digits = cells::compact(t);
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                Ok(digits)
            } else {
                Err(invalid())
            }
        }
        _ => Err(invalid()),
    }
}

/// 状态 (with 死亡日期 and the suspension reason).
fn status(view: &RowView, death_date_given: bool, death_date_bad: bool) -> Result<Status, Problem> {
    let typed = cells::compact(&view.text("状态"));
    let deceased = || {
        if death_date_given || death_date_bad {
            return Ok(Status::Deceased);
        }
        let at = if view.get("死亡日期").is_some() {
            "死亡日期"
        } else {
            "状态"
        };
        Err(view
            .problem(
                "MISSING_DEATH_DATE",
                at,
                format!("状态为“{typed}”，但没有填写死亡日期"),
            )
            .hint("请填写死亡日期：发放到死亡当月，丧葬补助也据此计算。"))
    };
    match typed.as_str() {
        "" if death_date_given => Ok(Status::Deceased),
        "" => Ok(Status::Normal),
        "正常" if death_date_given => Err(view
            .problem("BAD_STATUS", "状态", "状态为“正常”，但填有死亡日期")
            .hint("如已死亡，请将状态改为“死亡”；如死亡日期填错，请删除。")),
        "正常" => Ok(Status::Normal),
        "暂停" | "中止" | "暂停发放" => {
            let reason = [view.text("暂停原因"), view.text("备注")]
                .into_iter()
                .find(|r| !r.is_empty())
                .unwrap_or_else(|| "暂停发放".to_string());
            Ok(Status::Suspended { reason })
        }
        "停发" | "终止" | "停止发放" => Ok(Status::Stopped),
        "死亡" | "去世" | "已故" => deceased(),
        _ => Err(view.problem("BAD_STATUS", "状态", "状态无法识别").hint(
            "可填：正常、暂停（或中止）、停发（或终止）、死亡（或去世、已故）；留空表示正常。",
        )),
    }
}

/// A parsed roster row and the key used for duplicate checks.
struct Parsed {
    recipient: Option<Recipient>,
    id: Option<(IdCard, String)>,
}

fn parse_row(view: &RowView, categories: &Categories) -> (Parsed, Vec<Problem>) {
    let mut problems = Vec::new();
    let name = take(view.required_text("姓名"), &mut problems);
    let id = take(id_card(view), &mut problems);
    let category = match take(view.category(categories), &mut problems) {
        Some(None) => {
            problems.push(
                view.problem("MISSING_VALUE", "类别", "类别为空")
                    .hint(format!(
                        "请填写类别，如 {}。",
                        categories
                            .names()
                            .iter()
                            .take(3)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("、")
                    )),
            );
            None
        }
        other => other.flatten(),
    };
    let grade = take(view.grade(), &mut problems);
    let nature = take(view.nature(), &mut problems);
    let service_years = take(view.decimal("服役年限"), &mut problems);
    let start_month = take(view.month("起发年月"), &mut problems);
    let stop_month = take(view.month("停发年月"), &mut problems);
    let death = view.date("死亡日期");
    let death_bad = death.is_err();
    let death_date = take(death, &mut problems);
    let given = matches!(death_date, Some(Some(_)));
    let status = take(status(view, given, death_bad), &mut problems);
    let confirmed_on = take(view.date("年度确认日期"), &mut problems);
    let account = take(account(view), &mut problems);
    let funeral_months = take(view.whole("丧葬补助月数"), &mut problems);
    let item = view.text("项目");
    let key = id.clone().map(|id| (id, item.clone()));

    let recipient = (|| {
        if !problems.is_empty() {
            return None;
        }
        let (id, category, account) = (id?, category?, account?);
        let mut attrs = BTreeMap::new();
        for col in &view.header.columns {
            let value = match col.name.as_str() {
                "身份证号" => id.to_string(),
                "类别" => category.clone(),
                "等级" => grade?.unwrap_or_default().to_string(),
                "性质" => nature.clone()?.unwrap_or_default(),
                "银行账号" => account.clone(),
                _ => cells::text(view.row.cell(col.index)),
            };
            attrs.insert(col.name.clone(), value);
        }
        Some(Recipient {
            location: view.location(),
            name: name?,
            id,
            category,
            attrs,
            service_years: service_years?,
            start_month: start_month?,
            status: status?,
            stop_month: stop_month?,
            death_date: death_date?,
            confirmed_on: confirmed_on?,
            town: view.text("乡镇"),
            bank: view.text("开户行"),
            account,
            item: (!item.is_empty()).then_some(item),
            funeral_months: funeral_months?,
        })
    })();
    (Parsed { recipient, id: key }, problems)
}

/// A roster table → recipients, or every problem found.
pub fn roster_from_table(
    table: &Table,
    categories: &Categories,
) -> Result<Vec<Recipient>, Problems> {
    let header = columns::find_header(table, ROSTER_COLUMNS, ROSTER_REQUIRED)?;
    let has_item = header.column("项目").is_some();
    let mut problems: Vec<Problem> = Vec::new();
    let mut recipients = Vec::new();
    let mut seen: BTreeMap<(IdCard, String), u32> = BTreeMap::new();
    for row in &table.rows[header.first_data..] {
        let view = RowView {
            table,
            header: &header,
            row,
        };
        if is_blank_row(row) || is_total_row(row, &header) || is_footer_row(&view) {
            continue;
        }
        let (parsed, row_problems) = parse_row(&view, categories);
        problems.extend(row_problems);
        if let Some((id, item)) = parsed.id {
            let key = (
                id.clone(),
                if has_item {
                    item.clone()
                } else {
                    String::new()
                },
            );
            if let Some(first) = seen.get(&key) {
                let also = if has_item && !item.is_empty() {
                    format!("，且项目同为“{item}”")
                } else {
                    String::new()
                };
                let hint = if has_item {
                    "同一人的不同项目可以分行填写，但项目不能相同；请删除或合并重复的行。"
                } else {
                    "同一人只能有一行；如果是同一人的不同发放项目，请增加“项目”列分行填写。"
                };
                problems.push(
                    view.problem(
                        "DUPLICATE_ID",
                        "身份证号",
                        format!("身份证号在第{first}行和第{}行重复出现{also}", row.excel_row),
                    )
                    .hint(hint),
                );
                continue;
            }
            seen.insert(key, row.excel_row);
        }
        recipients.extend(parsed.recipient);
    }
    Problems(problems).into_result(recipients)
}
