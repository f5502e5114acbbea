//! Field parsing shared by the roster and standards readers: one data row seen through its header, and the
//! columns both files carry (类别, 等级, 性质, dates, months, numbers), each refused with a located problem.

use super::cells::{self, Cell, DATE_FORMS, MONTH_FORMS, PLAUSIBLE_YEARS};
use super::columns::{self, Column, ColumnDef, Field, Header};
use super::sheet::{Row, Table};
use crate::domain::category::CategoryLookup;
use crate::domain::{Categories, Location, Problem, YearMonth};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// The ten 等级, in order.
pub const GRADES: [&str; 10] = ["一级", "二级", "三级", "四级", "五级", "六级", "七级", "八级", "九级", "十级"];
/// The 性质 values.
pub const NATURES: [&str; 3] = ["因战", "因公", "因病"];

/// A column as a reader names it: a canonical name, looked up in the row's header at each use, or a `Field`
/// looked up once for the file.
pub trait ColumnName<'h>: Copy {
    fn name(&self) -> &str;
    fn find(self, header: &'h Header) -> Option<&'h Column>;
}

impl<'h> ColumnName<'h> for &str {
    fn name(&self) -> &str {
        self
    }

    fn find(self, header: &'h Header) -> Option<&'h Column> {
        header.column(self)
    }
}

impl<'h: 'a, 'a> ColumnName<'a> for Field<'h> {
    fn name(&self) -> &str {
        self.name
    }

    fn find(self, _: &'a Header) -> Option<&'a Column> {
        self.column
    }
}

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
    pub fn get(&self, name: impl ColumnName<'a>) -> Option<(&'a Column, &'a Cell)> {
        let col = name.find(self.header)?;
        Some((col, self.row.cell(col.index)))
    }

    /// The cell of a column (`Empty` when the column is absent).
    pub fn cell(&self, name: impl ColumnName<'a>) -> &'a Cell {
        self.get(name).map_or(&Cell::Empty, |(_, c)| c)
    }

    /// Normalised text of a column ("" when absent or blank).
    pub fn text(&self, name: impl ColumnName<'a>) -> String {
        cells::text(self.cell(name))
    }

    /// `text` without a copy when the cell is already normal.
    pub fn text_ref(&self, name: impl ColumnName<'a>) -> Cow<'a, str> {
        cells::text_ref(self.cell(name))
    }

    pub fn is_blank(&self, name: impl ColumnName<'a>) -> bool {
        cells::is_blank(self.cell(name))
    }

    /// A problem at this row and column, with the cell's value as the user sees it.
    pub fn problem(&self, code: &'static str, name: impl ColumnName<'a>, message: impl Into<String>) -> Problem {
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
    pub fn required_text(&self, name: impl ColumnName<'a>) -> Result<String, Problem> {
        let t = self.text(name);
        if t.is_empty() {
            return Err(self
                .problem("MISSING_VALUE", name, format!("{}为空", name.name()))
                .hint(format!("请填写{}。", name.name())));
        }
        Ok(t)
    }

    /// 类别 looked up: known or alias → the normalised name; unknown → `UNKNOWN_CATEGORY` with the nearest name.
    pub fn category(&self, column: impl ColumnName<'a>, categories: &Categories) -> Result<Option<String>, Problem> {
        let typed = self.text_ref(column);
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
                Err(self.problem("UNKNOWN_CATEGORY", column, "类别不在已知类别中").hint(hint))
            }
        }
    }

    /// 等级 → "一级" … "十级"; blank → `None`; anything else → `BAD_GRADE`.
    pub fn grade(&self, column: impl ColumnName<'a>) -> Result<Option<&'static str>, Problem> {
        let cell = self.cell(column);
        if cells::is_blank(cell) {
            return Ok(None);
        }
        normalize_grade(cell).map(Some).ok_or_else(|| {
            self.problem("BAD_GRADE", column, "等级无法识别").hint("应为一级至十级，可写作“一级”“1级”或“1”。")
        })
    }

    /// 性质: 因战/因公/因病 (also written 因战致残 …) or blank.
    pub fn nature(&self, column: impl ColumnName<'a>) -> Result<Option<&'static str>, Problem> {
        let text = self.text_ref(column);
        let t = cells::compacted(&text);
        let t = t.strip_suffix("致残").unwrap_or(&t);
        if t.is_empty() {
            return Ok(None);
        }
        if let Some(n) = NATURES.iter().find(|n| **n == t) {
            return Ok(Some(n));
        }
        Err(self.problem("BAD_NATURE", column, "性质无法识别").hint("应为“因战”“因公”或“因病”，或留空。"))
    }

    /// An optional date column.
    pub fn date(&self, name: impl ColumnName<'a>) -> Result<Option<NaiveDate>, Problem> {
        let cell = self.cell(name);
        if cells::is_blank(cell) {
            return Ok(None);
        }
        let Some(date) = cells::parse_date(cell) else {
            if let Some(p) = self.serial_before_1900(name) {
                return Err(p);
            }
            return Err(self
                .problem("BAD_DATE", name, format!("{}无法识别为日期", name.name()))
                .hint(format!("可写作 {DATE_FORMS}。")));
        };
        if !PLAUSIBLE_YEARS.contains(&date.year()) {
            return Err(self.implausible_date(name, &date.to_string()));
        }
        Ok(Some(date))
    }

    /// `DATE_OUT_OF_RANGE` for a number below 1 in a date column: an Excel serial before 1900-01-01 (a date cell
    /// of −5 shows ##### in Excel and is read as its number, see `sheet::convert`).
    fn serial_before_1900(&self, name: impl ColumnName<'a>) -> Option<Problem> {
        let cell = self.cell(name);
        match cell {
            Cell::Number(v) if *v < 1.0 => {}
            Cell::Int(i) if *i < 1 => {}
            _ => return None,
        }
        Some(out_of_range(self.problem("DATE_OUT_OF_RANGE", name, ""), name.name(), None, cell))
    }

    /// `DATE_OUT_OF_RANGE`: a date read as `read_as`, outside `PLAUSIBLE_YEARS`.
    fn implausible_date(&self, name: impl ColumnName<'a>, read_as: &str) -> Problem {
        out_of_range(self.problem("DATE_OUT_OF_RANGE", name, ""), name.name(), Some(read_as), self.cell(name))
    }

    /// An optional month column.
    pub fn month(&self, name: impl ColumnName<'a>) -> Result<Option<YearMonth>, Problem> {
        let cell = self.cell(name);
        if cells::is_blank(cell) {
            return Ok(None);
        }
        let Some(month) = cells::parse_month(cell) else {
            if let Some(p) = self.serial_before_1900(name) {
                return Err(p);
            }
            return Err(self
                .problem("BAD_DATE", name, format!("{}无法识别为年月", name.name()))
                .hint(format!("可写作 {MONTH_FORMS}。")));
        };
        if !PLAUSIBLE_YEARS.contains(&month.year()) {
            return Err(self.implausible_date(name, &month.to_string()));
        }
        Ok(Some(month))
    }

    /// A column kept as written but holding a date (入伍时间, 退伍时间: shown, never computed with): text that
    /// begins with a four-digit year outside `PLAUSIBLE_YEARS` (1881/10/13) is refused; other text (不详, 1981年10月)
    /// is kept as it is. Only the first bytes are looked at (every row has these columns). A date cell is checked
    /// by `unfit_cells`.
    pub fn year_in_range(&self, name: impl ColumnName<'a>) -> Result<(), Problem> {
        let Cell::Text(t) = self.cell(name) else { return Ok(()) };
        let b = t.trim_start().as_bytes();
        let year = match b {
            [a, b2, c, d, rest @ ..] if [a, b2, c, d].iter().all(|x| x.is_ascii_digit()) => {
                if rest.first().is_some_and(u8::is_ascii_digit) && rest.len() != 2 && rest.len() != 4 {
                    return Ok(()); // a longer number (not 202401 or 20240105): not a year
                }
                [a, b2, c, d].iter().fold(0i32, |n, x| n * 10 + i32::from(**x - b'0'))
            }
            _ => return Ok(()),
        };
        if PLAUSIBLE_YEARS.contains(&year) {
            return Ok(());
        }
        let shown = cells::display(self.cell(name));
        Err(self.implausible_date(name, shown.trim()))
    }

    /// An optional non-negative number.
    pub fn decimal(&self, name: impl ColumnName<'a>) -> Result<Option<Decimal>, Problem> {
        let cell = self.cell(name);
        if cells::is_blank(cell) {
            return Ok(None);
        }
        match cells::parse_decimal(cell) {
            Some(d) if d >= Decimal::ZERO => Ok(Some(d.normalize())),
            _ => Err(self
                .problem("BAD_NUMBER", name, format!("{}应为不小于0的数字", name.name()))
                .hint("请填写数字，如 12 或 12.5。")),
        }
    }

    /// An optional whole number ≥ 0.
    pub fn whole(&self, name: impl ColumnName<'a>) -> Result<Option<u32>, Problem> {
        let cell = self.cell(name);
        if cells::is_blank(cell) {
            return Ok(None);
        }
        cells::parse_decimal(cell)
            .filter(|d| d.fract().is_zero() && *d >= Decimal::ZERO)
            .and_then(|d| u32::try_from(d.trunc()).ok())
            .map(Some)
            .ok_or_else(|| {
                self.problem("BAD_NUMBER", name, format!("{}应为整数", name.name())).hint("请填写整数，如 6 或 12。")
            })
    }
}

/// Cells whose type fits no column of these files, one problem per cell, in any named column (any column can be
/// a key the standards match on, so none is exempt). Its row is not read further: what the cell should have
/// held is unknown, and reading it as text would leave the recipient silently unmatched.
/// - a formula error (`#N/A`, `#REF!` …): `CELL_ERROR`;
/// - a logical value (TRUE/FALSE, a check box; in a CSV the words TRUE/FALSE as Excel writes them): `CELL_BOOLEAN`,
///   to be written as the words the standards use (是/否). Not mapped to 是/否: a county may key on 有/无 or
///   其他 words, and a mapped TRUE would then be unmatched as silently as before;
/// - a date cell whose year is outside `PLAUSIBLE_YEARS` (9999-12-31; 1899 in an .ods): `DATE_OUT_OF_RANGE`, in
///   any column (入伍时间 too). A date typed as text, a number, or a date cell outside Excel's own dates (serial −5
///   or 3000000, read as its number by `sheet::convert`) is checked where a date is read (`RowView::date`).
pub fn unfit_cells(view: &RowView) -> Vec<Problem> {
    let mut out = Vec::new();
    for col in &view.header.columns {
        let cell = view.row.cell(col.index);
        let at = || view.location().with_column(col.written.clone());
        match cell {
            Cell::Error(e) => out.push(
                Problem::new("CELL_ERROR", format!("“{}”单元格是公式错误值", col.written))
                    .at(at())
                    .value(e.clone())
                    .hint("请修正该单元格的公式（如 VLOOKUP 找不到对应值），或直接填写内容。"),
            ),
            Cell::Bool(_) => out.push(boolean_problem(col, at(), cell)),
            Cell::Text(t) if is_boolean_word(t) => out.push(boolean_problem(col, at(), cell)),
            Cell::Date(dt) if !PLAUSIBLE_YEARS.contains(&dt.year()) => {
                let p = Problem::new("DATE_OUT_OF_RANGE", "").at(at()).value(cells::display(cell));
                out.push(out_of_range(p, &col.name, Some(&cells::display(cell)), cell));
            }
            _ => {}
        }
    }
    out
}

/// TRUE/FALSE typed or exported as text (any case, spaces around): the words Excel writes for a logical value.
/// Length and first byte first: this is asked of every text cell of a roster, and most are Chinese (whose first
/// byte is never t, f or a space).
fn is_boolean_word(text: &str) -> bool {
    (4..=9).contains(&text.len()) && matches!(text.as_bytes()[0], b't' | b'T' | b'f' | b'F' | b' ') && {
        let t = text.trim();
        t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false")
    }
}

fn boolean_problem(col: &Column, at: Location, cell: &Cell) -> Problem {
    Problem::new("CELL_BOOLEAN", format!("“{}”单元格是逻辑值（TRUE/FALSE），不是文字", col.written))
        .at(at)
        .value(cells::display(cell).trim().to_string())
        .hint("请改填文字，写法与标准表一致（如“是”或“否”）；复选框或 TRUE/FALSE 不能与标准表匹配。")
}

/// `p` (located, with its value) given the message and hint of a date outside `PLAUSIBLE_YEARS`: read as
/// `read_as`, or (`None`) a number in the cell that is no date at all (a serial below 1).
fn out_of_range(p: Problem, column: &str, read_as: Option<&str>, cell: &Cell) -> Problem {
    let what = match (read_as, cell) {
        // A date cell shown as a date: its serial is what the user finds in the cell set to 常规 (General).
        (Some(d), Cell::Date(dt)) => format!("读作 {d}（单元格中的日期序号为 {}）", cells::excel_serial(dt.date())),
        (Some(d), Cell::Number(v)) => format!("读作 {d}（日期序号 {}）", cells::general_number(*v)),
        (Some(d), _) => format!("读作 {d}"),
        (None, _) => format!("是日期序号 {}，早于 1900-01-01（序号 1）", cells::display(cell)),
    };
    let (first, last) = (PLAUSIBLE_YEARS.start(), PLAUSIBLE_YEARS.end());
    Problem { message: format!("{column}{what}，不在合理范围内（{first}年至{last}年）"), ..p }
        .hint(format!("请核对并重新填写该日期，可写作 {DATE_FORMS}。"))
}

/// A file whose header is found but with nothing under it (only blank, 合计 or footer rows): refused, as paying
/// 0 人 0.00 元 and locking the month is never what was meant. `code`: `EMPTY_ROSTER` or `EMPTY_STANDARDS`;
/// `what`: the file's name in the message (花名册/标准表); `rows`: what its rows are (人员/标准).
pub fn empty_table(table: &Table, header: &Header, code: &'static str, what: &str, rows: &str) -> Problem {
    Problem::new(code, format!("{what}在表头（第{}行）之下没有任何{rows}行", header.excel_row))
        .at(table.location().with_row(header.excel_row))
        .hint(format!(
            "请检查是否选错了文件或工作表（只读取第一个工作表），或{rows}行是否被删除；空行、合计行和表尾的签名行不算{rows}。"
        ))
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

/// What is checked of a data row before its fields are read: for a CSV, that it has as many fields as the
/// header (a stray or missing comma, or a quote that runs over a line break, shifts every cell after it); for
/// every file, that no text is longer than its column allows (`columns::TEXT_CHARS`). Made once for a file.
pub struct RowShape<'h> {
    /// The header's field count, for a CSV.
    width: Option<usize>,
    header_row: u32,
    /// The header's columns with the most characters each may hold.
    limits: Vec<(&'h Column, usize)>,
}

impl<'h> RowShape<'h> {
    /// `table`: the rows the header was found in.
    pub fn new(table: &Table, header: &'h Header) -> RowShape<'h> {
        let width = table
            .fields_exact()
            .then(|| header.first_data.checked_sub(1).and_then(|i| table.rows.get(i)).map(|r| r.cells.len()))
            .flatten();
        let limits = header.columns.iter().map(|c| (c, columns::text_chars(&c.name))).collect();
        RowShape { width, header_row: header.excel_row, limits }
    }

    /// The row's problems of shape, added to `out`; `false` when there are any (its fields are not read then).
    pub fn check(&self, view: &RowView, out: &mut Vec<Problem>) -> bool {
        let row = view.row;
        if let Some(width) = self.width
            && row.cells.len() != width
            && !is_blank_row(row)
        {
            out.push(field_count_problem(view.location(), row.cells.len(), self.header_row, width));
            return false;
        }
        let before = out.len();
        for &(col, max) in &self.limits {
            // Bytes first: a text of no more bytes than `max` has no more characters (nearly every cell).
            if let Cell::Text(t) = row.cell(col.index)
                && t.len() > max
            {
                let chars = t.chars().count();
                if chars > max {
                    let start: String = t.chars().take(20).collect();
                    out.push(
                        Problem::new("TEXT_TOO_LONG", format!("{}过长：有 {chars} 个字符，最多 {max} 个", col.written))
                            .at(view.location().with_column(col.written.clone()))
                            .value(format!("{start}…"))
                            .hint(format!("请检查该单元格是否误粘贴了其他内容；“{}”最多 {max} 个字符。", col.written)),
                    );
                }
            }
        }
        out.len() == before
    }
}

/// A CSV record (at `location`) of `fields` fields under a header (at row `header_row`) of `width`.
pub fn field_count_problem(location: Location, fields: usize, header_row: u32, width: usize) -> Problem {
    Problem::new(
        "CSV_FIELD_COUNT",
        format!("这一行有 {fields} 个字段，而表头（第{header_row}行）有 {width} 个：这一行的内容与表头的列对不上"),
    )
    .at(location)
    .hint("请检查该行是否多了或少了逗号（分隔符）、引号；内容中含逗号的单元格须整体用英文双引号括起来。也可用 Excel 或 WPS 打开核对后另存为 .xlsx 再试。")
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

/// Which rows under a header are not data: blank rows, 合计/小计 rows, signature lines under the table, and the
/// header repeated. Made once for a file, with the columns it looks at found once.
pub struct NotData<'h> {
    id: Field<'h>,
    name: Field<'h>,
    serial: Field<'h>,
    item: Field<'h>,
    repeated: RepeatedHeader<'h>,
}

impl<'h> NotData<'h> {
    /// `required` and `defs`: the file's required columns and known columns (for the repeated header).
    pub fn new(header: &'h Header, required: &[&'static str], defs: &'h [ColumnDef]) -> NotData<'h> {
        NotData {
            id: header.field("身份证号"),
            name: header.field("姓名"),
            serial: header.field("序号"),
            item: header.field("项目"),
            repeated: RepeatedHeader::new(header, required, defs),
        }
    }

    /// Whether the row is to be skipped.
    pub fn is(&self, view: &RowView) -> bool {
        is_blank_row(view.row) || self.is_total(view) || self.is_footer(view) || self.repeated.is(view)
    }

    /// A 合计/总计/小计 row: its first non-empty text cell, or its 序号 or 姓名 cell, says so. A group subtotal
    /// ("城关镇小计") counts too when the row has no 身份证号.
    fn is_total(&self, view: &RowView) -> bool {
        let first_text = view.row.cells.iter().find_map(|c| match c {
            Cell::Text(t) if !cells::is_blank(c) => Some(t.as_str()),
            _ => None,
        });
        if first_text.is_some_and(is_total_word) {
            return true;
        }
        if view.is_blank(self.id)
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
        [self.serial, self.name].iter().any(|f| matches!(view.cell(*f), Cell::Text(t) if is_total_word(t)))
    }

    /// A signature line under the table ("制表人：", "审核：", "填表说明") with no 姓名 and no 身份证号.
    fn is_footer(&self, view: &RowView) -> bool {
        const WORDS: &[&str] = &["制表", "填表", "审核", "负责人", "经办人", "复核", "备注:", "注:", "说明:"];
        if !view.is_blank(self.name) || !view.is_blank(self.id) || !view.is_blank(self.item) {
            return false;
        }
        view.row.cells.iter().find(|c| !cells::is_blank(c)).is_some_and(|c| {
            let t = cells::compact(&cells::text(c)).replace('：', ":");
            WORDS.iter().any(|w| t.starts_with(w))
        })
    }
}

/// The header repeated inside the data (sheets pasted together from several 乡镇): every required column holds
/// its own name. The header keys of the required columns' names are worked out once, for a whole file.
struct RepeatedHeader<'h> {
    defs: &'h [ColumnDef],
    /// Each required column with the header keys of its canonical name and aliases (`None`: not a known column,
    /// any text could be it).
    required: Vec<(Field<'h>, Option<Vec<String>>)>,
}

impl<'h> RepeatedHeader<'h> {
    fn new(header: &'h Header, required: &[&'static str], defs: &'h [ColumnDef]) -> RepeatedHeader<'h> {
        let required = required
            .iter()
            .map(|name| {
                let keys = defs.iter().find(|d| d.canonical == *name).map(|d| {
                    std::iter::once(d.canonical).chain(d.aliases.iter().copied()).map(columns::header_key).collect()
                });
                (header.field(name), keys)
            })
            .collect();
        RepeatedHeader { defs, required }
    }

    fn is(&self, view: &RowView) -> bool {
        self.required.iter().all(|(field, keys)| {
            let text = view.text_ref(*field);
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
            could_be && columns::canonical_of(&text, self.defs) == Some(field.name)
        })
    }
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

    /// A `Field` found once reads the same cell as its name, and a problem through it names the same place (the
    /// column as the file writes it); a column the header lacks reads as blank either way.
    #[test]
    fn a_field_found_once_reads_and_locates_as_its_name() {
        let text = |s: &str| Cell::Text(s.into());
        let table = Table {
            file: "花名册.xlsx".into(),
            sheet: Some("Sheet1".into()),
            rows: vec![
                Row { excel_row: 3, cells: vec![text("姓 名"), text("残疾等级"), text("死亡时间")] },
                Row { excel_row: 4, cells: vec![text("张三"), text("3级"), text("去年")] },
            ],
        };
        let header = columns::find_header(&table, columns::ROSTER_COLUMNS, &["姓名"]).unwrap();
        let view = RowView { table: &table, header: &header, row: &table.rows[1] };
        let (name, grade, death, item) =
            (header.field("姓名"), header.field("等级"), header.field("死亡日期"), header.field("项目"));
        assert_eq!(view.text(name), "张三");
        assert_eq!(view.text(name), view.text("姓名"));
        assert_eq!(view.grade(grade).unwrap(), Some("三级"));
        assert!(item.column.is_none());
        assert!(view.is_blank(item) && view.is_blank("项目"));
        let by_field = view.date(death).unwrap_err();
        assert_eq!(by_field, view.date("死亡日期").unwrap_err());
        let at = by_field.location.unwrap();
        assert_eq!((at.row, at.column.as_deref()), (Some(4), Some("死亡时间")));
        assert_eq!(by_field.value.as_deref(), Some("去年"));
        assert_eq!(by_field.message, "死亡日期无法识别为日期");
    }

    /// The cells no column fits, each named with its row and column; every other cell passes (a date cell in
    /// range, a word that merely contains TRUE).
    #[test]
    fn unfit_cells_are_named() {
        let text = |s: &str| Cell::Text(s.into());
        let date = |y, m, d| Cell::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(0, 0, 0).unwrap());
        let table = Table {
            file: "花名册.xlsx".into(),
            sheet: Some("Sheet1".into()),
            rows: vec![
                Row { excel_row: 1, cells: vec![text("姓名"), text("护理"), text("入伍时间"), text("备注")] },
                Row { excel_row: 2, cells: vec![text("张三"), Cell::Bool(true), date(2201, 1, 1), text(" false ")] },
                Row {
                    excel_row: 3,
                    cells: vec![text("李四"), text("TRUE"), date(1900, 1, 1), Cell::Error("#REF!".into())],
                },
                Row {
                    excel_row: 4, cells: vec![text("王五"), text("是"), date(2200, 12, 31), text("TRUE的说明")]
                },
            ],
        };
        let header = columns::find_header(&table, columns::ROSTER_COLUMNS, &["姓名"]).unwrap();
        let shown = |i: usize| -> Vec<String> {
            unfit_cells(&RowView { table: &table, header: &header, row: &table.rows[i] })
                .iter()
                .map(|p| p.to_string())
                .collect()
        };
        let boolean =
            "请改填文字，写法与标准表一致（如“是”或“否”）；复选框或 TRUE/FALSE 不能与标准表匹配。 [CELL_BOOLEAN]";
        assert_eq!(
            shown(1),
            [
                format!(
                    "花名册.xlsx 工作表「Sheet1」第2行「护理」列：“护理”单元格是逻辑值（TRUE/FALSE），不是文字（值：“TRUE”）。{boolean}"
                ),
                // 2201-01-01 is serial 109940: the days from 1899-12-30 (as 45296 is 2024-01-05).
                format!(
                    "花名册.xlsx 工作表「Sheet1」第2行「入伍时间」列：入伍时间读作 2201-01-01（单元格中的日期序号为 109940），\
                     不在合理范围内（1900年至2200年）（值：“2201-01-01”）。请核对并重新填写该日期，可写作 {DATE_FORMS}。 [DATE_OUT_OF_RANGE]"
                ),
                format!(
                    "花名册.xlsx 工作表「Sheet1」第2行「备注」列：“备注”单元格是逻辑值（TRUE/FALSE），不是文字（值：“false”）。{boolean}"
                ),
            ]
        );
        let codes: Vec<&str> = unfit_cells(&RowView { table: &table, header: &header, row: &table.rows[2] })
            .iter()
            .map(|p| p.code)
            .collect();
        assert_eq!(codes, ["CELL_BOOLEAN", "CELL_ERROR"]);
        assert!(shown(3).is_empty());
    }

    /// A date outside 1900–2200 typed as text, as a serial number, or a serial below 1, in a date or month column.
    #[test]
    fn dates_outside_the_plausible_years_are_refused_by_name() {
        let text = |s: &str| Cell::Text(s.into());
        let table = Table {
            file: "r.csv".into(),
            sheet: None,
            rows: vec![
                Row { excel_row: 1, cells: vec![text("姓名"), text("死亡日期"), text("起发年月")] },
                Row { excel_row: 2, cells: vec![text("甲"), text("1899-12-31"), Cell::Number(-5.0)] },
                Row { excel_row: 3, cells: vec![text("乙"), Cell::Number(3_000_000.0), text("2201年1月")] },
                Row { excel_row: 4, cells: vec![text("丙"), text("1900-01-01"), text("2200-12")] },
            ],
        };
        let header = columns::find_header(&table, columns::ROSTER_COLUMNS, &["姓名"]).unwrap();
        let view = |i: usize| RowView { table: &table, header: &header, row: &table.rows[i] };
        let msg = |p: Problem| {
            assert_eq!(p.code, "DATE_OUT_OF_RANGE");
            format!("{}（{}）", p.message, p.value.unwrap())
        };
        assert_eq!(
            msg(view(1).date("死亡日期").unwrap_err()),
            "死亡日期读作 1899-12-31，不在合理范围内（1900年至2200年）（1899-12-31）"
        );
        assert_eq!(
            msg(view(1).month("起发年月").unwrap_err()),
            "起发年月是日期序号 -5，早于 1900-01-01（序号 1），不在合理范围内（1900年至2200年）（-5）"
        );
        assert_eq!(
            msg(view(2).date("死亡日期").unwrap_err()),
            "死亡日期读作 +10113-09-19（日期序号 3000000），不在合理范围内（1900年至2200年）（3000000）"
        );
        assert_eq!(
            msg(view(2).month("起发年月").unwrap_err()),
            "起发年月读作 2201-01，不在合理范围内（1900年至2200年）（2201年1月）"
        );
        assert_eq!(view(3).date("死亡日期").unwrap(), NaiveDate::from_ymd_opt(1900, 1, 1));
        assert_eq!(view(3).month("起发年月").unwrap(), YearMonth::new(2200, 12));
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
