//! Field parsing shared by the roster and standards readers: one data row seen through its header, and the
//! columns both files carry (类别, 等级, 性质, dates, months, numbers), each refused with a located problem.

use super::cells::{self, Cell, DATE_FORMS, MONTH_FORMS};
use super::columns::{self, Column, ColumnDef, Header};
use super::sheet::{Row, Table};
use crate::domain::category::CategoryLookup;
use crate::domain::{Categories, Location, Problem, YearMonth};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// The ten 等级, in order.
pub const GRADES: [&str; 10] = ["一级", "二级", "三级", "四级", "五级", "六级", "七级", "八级", "九级", "十级"];
/// The 性质 values.
pub const NATURES: [&str; 3] = ["因战", "因公", "因病"];

/// One data row with its header.
pub struct RowView<'a> {
    pub table: &'a Table,
    pub header: &'a Header,
    pub row: &'a Row,
}

impl<'a> RowView<'a> {
    /// File, sheet and row.
    pub fn location(&self) -> Location {
        self.table.location().with_row(self.row.excel_row)
    }

    /// The column with this canonical name and its cell.
    pub fn get(&self, name: &str) -> Option<(&'a Column, &'a Cell)> {
        let col = self.header.column(name)?;
        Some((col, self.row.cell(col.index)))
    }

    /// The cell of a column (`Empty` when the column is absent).
    pub fn cell(&self, name: &str) -> &'a Cell {
        self.get(name).map_or(&Cell::Empty, |(_, c)| c)
    }

    /// Normalised text of a column ("" when absent or blank).
    pub fn text(&self, name: &str) -> String {
        cells::text(self.cell(name))
    }

    /// `text` without a copy when the cell is already normal.
    pub fn text_ref(&self, name: &str) -> Cow<'a, str> {
        cells::text_ref(self.cell(name))
    }

    pub fn is_blank(&self, name: &str) -> bool {
        cells::is_blank(self.cell(name))
    }

    /// A problem at this row and column, with the cell's value as the user sees it.
    pub fn problem(&self, code: &'static str, name: &str, message: impl Into<String>) -> Problem {
        let mut loc = self.location();
        let mut p = Problem::new(code, message);
        if let Some((col, cell)) = self.get(name) {
            loc = loc.with_column(col.written.clone());
            let shown = cells::display(cell);
            if !shown.is_empty() {
                p = p.value(shown);
            }
        }
        p.at(loc)
    }

    /// A required text value: `MISSING_VALUE` when blank.
    pub fn required_text(&self, name: &str) -> Result<String, Problem> {
        let t = self.text(name);
        if t.is_empty() {
            return Err(self.problem("MISSING_VALUE", name, format!("{name}为空")).hint(format!("请填写{name}。")));
        }
        Ok(t)
    }

    /// 类别 looked up: known or alias → the normalised name; unknown → `UNKNOWN_CATEGORY` with the nearest name.
    pub fn category(&self, categories: &Categories) -> Result<Option<String>, Problem> {
        let typed = self.text_ref("类别");
        if typed.is_empty() {
            return Ok(None);
        }
        match categories.lookup(&typed) {
            CategoryLookup::Known(name) => Ok(Some(name)),
            CategoryLookup::Unknown { nearest } => {
                let hint = match nearest {
                    Some(n) => format!("是否应为“{n}”？"),
                    None => format!(
                        "可用的类别：{}。本地特有的类别可在 youfu.toml 的 [categories] 中增加。",
                        categories.names().join("、")
                    ),
                };
                Err(self.problem("UNKNOWN_CATEGORY", "类别", "类别不在已知类别中").hint(hint))
            }
        }
    }

    /// 等级 → "一级" … "十级"; blank → `None`; anything else → `BAD_GRADE`.
    pub fn grade(&self) -> Result<Option<&'static str>, Problem> {
        let cell = self.cell("等级");
        if cells::is_blank(cell) {
            return Ok(None);
        }
        normalize_grade(cell).map(Some).ok_or_else(|| {
            self.problem("BAD_GRADE", "等级", "等级无法识别").hint("应为一级至十级，可写作“一级”“1级”或“1”。")
        })
    }

    /// 性质: 因战/因公/因病 (also written 因战致残 …) or blank.
    pub fn nature(&self) -> Result<Option<&'static str>, Problem> {
        let text = self.text_ref("性质");
        let t = cells::compacted(&text);
        let t = t.strip_suffix("致残").unwrap_or(&t);
        if t.is_empty() {
            return Ok(None);
        }
        if let Some(n) = NATURES.iter().find(|n| **n == t) {
            return Ok(Some(n));
        }
        Err(self.problem("BAD_NATURE", "性质", "性质无法识别").hint("应为“因战”“因公”或“因病”，或留空。"))
    }

    /// An optional date column.
    pub fn date(&self, name: &str) -> Result<Option<NaiveDate>, Problem> {
        let cell = self.cell(name);
        if cells::is_blank(cell) {
            return Ok(None);
        }
        cells::parse_date(cell).map(Some).ok_or_else(|| {
            self.problem("BAD_DATE", name, format!("{name}无法识别为日期")).hint(format!("可写作 {DATE_FORMS}。"))
        })
    }

    /// An optional month column.
    pub fn month(&self, name: &str) -> Result<Option<YearMonth>, Problem> {
        let cell = self.cell(name);
        if cells::is_blank(cell) {
            return Ok(None);
        }
        cells::parse_month(cell).map(Some).ok_or_else(|| {
            self.problem("BAD_DATE", name, format!("{name}无法识别为年月")).hint(format!("可写作 {MONTH_FORMS}。"))
        })
    }

    /// An optional non-negative number.
    pub fn decimal(&self, name: &str) -> Result<Option<Decimal>, Problem> {
        let cell = self.cell(name);
        if cells::is_blank(cell) {
            return Ok(None);
        }
        match cells::parse_decimal(cell) {
            Some(d) if d >= Decimal::ZERO => Ok(Some(d.normalize())),
            _ => Err(self
                .problem("BAD_NUMBER", name, format!("{name}应为不小于0的数字"))
                .hint("请填写数字，如 12 或 12.5。")),
        }
    }

    /// An optional whole number ≥ 0.
    pub fn whole(&self, name: &str) -> Result<Option<u32>, Problem> {
        let cell = self.cell(name);
        if cells::is_blank(cell) {
            return Ok(None);
        }
        cells::parse_decimal(cell)
            .filter(|d| d.fract().is_zero() && *d >= Decimal::ZERO)
            .and_then(|d| u32::try_from(d.trunc()).ok())
            .map(Some)
            .ok_or_else(|| self.problem("BAD_NUMBER", name, format!("{name}应为整数")).hint("请填写整数，如 6 或 12。"))
    }
}

/// A formula error (`#N/A`, `#REF!` …) in any named column: `CELL_ERROR`, one per cell. Its row is not read
/// further (what the formula should have produced is unknown).
pub fn formula_errors(view: &RowView) -> Vec<Problem> {
    view.header
        .columns
        .iter()
        .filter_map(|col| match view.row.cell(col.index) {
            Cell::Error(e) => Some(
                Problem::new("CELL_ERROR", format!("“{}”单元格是公式错误值", col.written))
                    .at(view.location().with_column(col.written.clone()))
                    .value(e.clone())
                    .hint("请修正该单元格的公式（如 VLOOKUP 找不到对应值），或直接填写内容。"),
            ),
            _ => None,
        })
        .collect()
}

/// "1级", "1", "一级", "１级", "伤残1级", a numeric 1 → "一级" … "十级".
pub fn normalize_grade(cell: &Cell) -> Option<&'static str> {
    let n: usize = match cell {
        Cell::Number(_) | Cell::Int(_) => {
            let d = cells::parse_decimal(cell)?;
            if !d.fract().is_zero() {
                return None;
            }
            usize::try_from(d.trunc()).ok()?
        }
        Cell::Text(t) => {
            let t = cells::compacted(t);
            let t = t.strip_prefix("伤残").or_else(|| t.strip_prefix("残疾")).unwrap_or(&t);
            let t = t.strip_suffix('级').unwrap_or(t);
            if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse().ok()?
            } else {
                GRADES.iter().position(|g| g.strip_suffix('级') == Some(t))? + 1
            }
        }
        _ => return None,
    };
    (1..=10).contains(&n).then(|| GRADES[n - 1])
}

/// A row with nothing in it.
pub fn is_blank_row(row: &Row) -> bool {
    row.cells.iter().all(cells::is_blank)
}

/// Whether `text` holds 计 (U+8BA1): a plain byte loop, as this is asked of a cell of every row and `contains`
/// went through the general searcher.
fn contains_ji(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| w == "计".as_bytes())
}

fn is_total_word(text: &str) -> bool {
    // Every total word ends in 计, which normalising leaves alone: without one the text is not a total word.
    if !contains_ji(text) {
        return false;
    }
    let t = cells::compact(text);
    let t = t.trim_end_matches([':', '：']);
    matches!(t, "合计" | "总计" | "小计")
}

/// A 合计/总计/小计 row: its first non-empty text cell, or its 序号 or 姓名 cell, says so. A group subtotal
/// ("城关镇小计") counts too when the row has no 身份证号.
pub fn is_total_row(row: &Row, header: &Header) -> bool {
    let first_text = row.cells.iter().find_map(|c| match c {
        Cell::Text(t) if !cells::is_blank(c) => Some(t.as_str()),
        _ => None,
    });
    if first_text.is_some_and(is_total_word) {
        return true;
    }
    let no_id = header.column("身份证号").is_none_or(|c| cells::is_blank(row.cell(c.index)));
    if no_id
        && first_text.is_some_and(|t| {
            if !contains_ji(t) {
                return false;
            }
            let t = cells::compact(t);
            let t = t.trim_end_matches([':', '：']);
            ["合计", "小计", "总计"].iter().any(|w| t.ends_with(w))
        })
    {
        return true;
    }
    ["序号", "姓名"]
        .iter()
        .any(|name| header.column(name).is_some_and(|c| matches!(row.cell(c.index), Cell::Text(t) if is_total_word(t))))
}

/// The header repeated inside the data (sheets pasted together from several 乡镇): every required column holds
/// its own name.
pub fn is_repeated_header(view: &RowView, required: &[&str], defs: &[ColumnDef]) -> bool {
    RepeatedHeader::new(required, defs).is(view)
}

/// `is_repeated_header` with the header keys of the required columns' names worked out once, for a whole file.
pub struct RepeatedHeader<'d> {
    defs: &'d [ColumnDef],
    /// Each required column with the header keys of its canonical name and aliases (`None`: not a known column,
    /// any text could be it).
    required: Vec<(&'d str, Option<Vec<String>>)>,
}

impl<'d> RepeatedHeader<'d> {
    pub fn new(required: &[&'d str], defs: &'d [ColumnDef]) -> RepeatedHeader<'d> {
        let required = required
            .iter()
            .map(|name| {
                let keys = defs.iter().find(|d| d.canonical == *name).map(|d| {
                    std::iter::once(d.canonical).chain(d.aliases.iter().copied()).map(columns::header_key).collect()
                });
                (*name, keys)
            })
            .collect();
        RepeatedHeader { defs, required }
    }

    pub fn is(&self, view: &RowView) -> bool {
        self.required.iter().all(|(name, keys)| {
            let text = view.text_ref(name);
            // Cheap tests first (a data cell is rarely a header name): the text must hold the first character of
            // `name` or of one of its aliases (all begin with a Chinese character, which `header_key` keeps), then
            // be one of them; only then is the full lookup (which may find an earlier column with the same alias)
            // done.
            if let Some(keys) = keys
                && !keys
                    .iter()
                    .any(|k| k.chars().next().is_none_or(|c| matches!(c, '(' | ')' | '*') || text.contains(c)))
            {
                return false;
            }
            let key = columns::header_key(&text);
            let could_be = keys.as_ref().is_none_or(|keys| keys.contains(&key));
            could_be && columns::canonical_of(&text, self.defs) == Some(*name)
        })
    }
}

/// A signature line under the table ("制表人：", "审核：", "填表说明") with no 姓名 and no 身份证号.
pub fn is_footer_row(view: &RowView) -> bool {
    const WORDS: &[&str] = &["制表", "填表", "审核", "负责人", "经办人", "复核", "备注:", "注:", "说明:"];
    if !view.is_blank("姓名") || !view.is_blank("身份证号") || !view.is_blank("项目") {
        return false;
    }
    view.row.cells.iter().find(|c| !cells::is_blank(c)).is_some_and(|c| {
        let t = cells::compact(&cells::text(c)).replace('：', ":");
        WORDS.iter().any(|w| t.starts_with(w))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_in_every_spelling() {
        let t = |s: &str| normalize_grade(&Cell::Text(s.into()));
        assert_eq!(t("1级"), Some("一级"));
        assert_eq!(t("1"), Some("一级"));
        assert_eq!(t("一级"), Some("一级"));
        assert_eq!(t("１级"), Some("一级"));
        assert_eq!(t("10级"), Some("十级"));
        assert_eq!(t("十"), Some("十级"));
        assert_eq!(t("伤残6级"), Some("六级"));
        assert_eq!(normalize_grade(&Cell::Number(4.0)), Some("四级"));
        assert_eq!(normalize_grade(&Cell::Int(7)), Some("七级"));
        assert_eq!(t("11级"), None);
        assert_eq!(t("0"), None);
        assert_eq!(t("特级"), None);
        assert_eq!(normalize_grade(&Cell::Number(1.5)), None);
    }

    #[test]
    fn total_words() {
        assert!(is_total_word("合计"));
        assert!(is_total_word(" 合　计："));
        assert!(is_total_word("小计"));
        assert!(!is_total_word("合计人数"));
        assert!(!is_total_word("张三"));
    }
}
