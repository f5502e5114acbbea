//! Column names: the canonical names with the other names counties use for them (as data), header-name
//! matching, and finding the header row under title and unit rows, including a two-row merged header.

use super::cells::{Cell, normalize_text};
// Defined with the cells (a leaf that sheet.rs uses too, without importing columns.rs back); found here as before.
pub use super::cells::column_letter;
use super::sheet::Table;
use crate::domain::{Location, Problem};
use std::collections::BTreeMap;

/// A canonical column and the other names it goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef {
    pub canonical: &'static str,
    pub aliases: &'static [&'static str],
}

const fn col(canonical: &'static str, aliases: &'static [&'static str]) -> ColumnDef {
    ColumnDef { canonical, aliases }
}

/// The 花名册 columns.
pub const ROSTER_COLUMNS: &[ColumnDef] = &[
    col("序号", &[]),
    col("姓名", &["名字"]),
    col("身份证号", &["公民身份号码", "身份证号码", "身份证"]),
    col("类别", &["优抚类别", "对象类别", "人员类别"]),
    col("等级", &["残疾等级", "伤残等级"]),
    col("性质", &["残疾性质", "伤残性质"]),
    col("城乡", &["户籍", "城乡类别", "户口性质"]),
    col("服役年限", &["服役年数", "军龄"]),
    col("起发年月", &["起发时间", "发放起始年月"]),
    col("状态", &["人员状态", "发放状态"]),
    col("停发年月", &["停发时间"]),
    col("死亡日期", &["死亡时间"]),
    col("年度确认日期", &["年审日期", "认证日期"]),
    col("开户行", &["开户银行"]),
    col("银行账号", &["账号", "银行卡号", "卡号", "社保卡号", "一卡通账号"]),
    col("乡镇", &["乡镇（街道）", "乡镇(街道)", "所属乡镇", "街道"]),
    col("村", &["村（社区）", "村(社区)"]),
    col("项目", &["发放项目", "补助项目"]),
    col("丧葬补助月数", &[]),
    col("暂停原因", &[]),
    col("迁出年月", &["迁出时间", "转出年月"]),
    col("迁入年月", &["迁入时间", "转入年月"]),
    col("原发放地", &["原发放单位", "迁出地"]),
    col("备注", &[]),
];

/// The most characters a text of each column may have (a longer one is refused with its row and column): far above
/// what the column ever holds, so that only a mistake (a paste of a whole page into one cell, a file built to
/// break things) is refused. A column not listed here takes `TEXT_CHARS_OTHER`. The README lists them.
pub const TEXT_CHARS: &[(&str, usize)] = &[
    ("序号", 20),
    ("姓名", 50),
    ("身份证号", 30),
    ("类别", 50),
    ("等级", 20),
    ("性质", 20),
    ("城乡", 20),
    ("服役年限", 20),
    ("起发年月", 30),
    ("状态", 20),
    ("停发年月", 30),
    ("死亡日期", 30),
    ("年度确认日期", 30),
    ("开户行", 100),
    ("银行账号", 40),
    ("乡镇", 50),
    ("村", 50),
    ("项目", 50),
    ("丧葬补助月数", 20),
    ("暂停原因", 200),
    ("迁出年月", 30),
    ("迁入年月", 30),
    ("原发放地", 50),
    ("备注", 500),
    ("金额", 30),
    ("计发单位", 20),
    ("起始日期", 30),
    ("终止日期", 30),
    ("依据", 500),
    ("说明", 500),
];

/// The most characters of a text in a column not in `TEXT_CHARS` (a column the county adds: 地址, 联系电话 …).
pub const TEXT_CHARS_OTHER: usize = 500;

/// `TEXT_CHARS` of a column (by its canonical name, or its `header_key` for a column youfu does not know).
pub fn text_chars(name: &str) -> usize {
    TEXT_CHARS.iter().find(|(n, _)| *n == name).map_or(TEXT_CHARS_OTHER, |(_, max)| *max)
}

/// Required in a 花名册.
pub const ROSTER_REQUIRED: &[&str] = &["姓名", "身份证号", "类别"];

/// The 标准表 columns of its own; the roster's columns are recognised too (they are the key columns).
pub const STANDARD_OWN_COLUMNS: &[ColumnDef] = &[
    col("项目", &["发放项目", "补助项目"]),
    col("金额", &["标准", "标准金额"]),
    col("计发单位", &["单位", "计量单位"]),
    col("起始日期", &["执行日期", "生效日期", "起始时间"]),
    col("终止日期", &["截止日期"]),
    col("依据", &["文件依据", "政策依据"]),
    col("说明", &[]),
];

/// Required in a 标准表.
pub const STANDARD_REQUIRED: &[&str] = &["项目", "金额", "计发单位", "起始日期"];

/// Columns of a 标准表 that are not keys.
pub const STANDARD_NON_KEYS: &[&str] =
    &["项目", "金额", "计发单位", "起始日期", "终止日期", "依据", "序号", "备注", "说明"];

/// The 标准表's own columns followed by the roster's (later duplicates of a canonical name are ignored).
pub fn standard_columns() -> Vec<ColumnDef> {
    let mut out: Vec<ColumnDef> = STANDARD_OWN_COLUMNS.to_vec();
    for d in ROSTER_COLUMNS {
        if !out.iter().any(|o| o.canonical == d.canonical) {
            out.push(*d);
        }
    }
    out
}

/// A header as compared: spaces removed, brackets half-width, a trailing "*" or "（必填）" dropped.
pub fn header_key(written: &str) -> String {
    let mut t: String = normalize_text(written)
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '＊' => '*',
            c => c,
        })
        .collect();
    loop {
        let before = t.len();
        for suffix in ["*", "(必填)"] {
            if let Some(s) = t.strip_suffix(suffix) {
                t = s.to_string();
            }
        }
        if let Some(s) = t.strip_prefix('*') {
            t = s.to_string();
        }
        if t.len() == before {
            break;
        }
    }
    t
}

/// The canonical name for a written header, if it is a known column.
pub fn canonical_of(written: &str, defs: &[ColumnDef]) -> Option<&'static str> {
    let key = header_key(written);
    if key.is_empty() {
        return None;
    }
    defs.iter()
        .find(|d| header_key(d.canonical) == key || d.aliases.iter().any(|a| header_key(a) == key))
        .map(|d| d.canonical)
}

/// One column of the header found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Position in the row (0 = the table's first column).
    pub index: usize,
    /// As written in the file (for messages).
    pub written: String,
    /// The canonical name, or for an unknown column its `header_key` (so 护 理 and 护理 match).
    pub name: String,
    /// A recognised column.
    pub known: bool,
}

/// The header row(s) found in a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Excel row number of the (last) header row.
    pub excel_row: u32,
    /// Index in `Table.rows` of the first row after the header.
    pub first_data: usize,
    /// Columns with a name (blank header cells are left out).
    pub columns: Vec<Column>,
    /// `column`'s open-addressing table over `columns`: slot → 1 + index, 0 = empty (see `Header::new`).
    slots: Box<[u8]>,
}

impl Header {
    pub fn new(excel_row: u32, first_data: usize, columns: Vec<Column>) -> Header {
        // Since the readers find their columns once per file (`Field`, 7549a88), `column` runs a few dozen times a
        // file, no longer for every field of every row; the small hash table stays because it is cheap and the
        // tests hold it equal to walking the columns. Names are placed in column order, so the first column of a
        // name is met first, as walking them would find it.
        let mut slots = vec![0u8; if columns.len() < 128 { (columns.len() * 2).next_power_of_two().max(4) } else { 0 }];
        let mask = slots.len().wrapping_sub(1);
        let filled = if slots.is_empty() { 0 } else { columns.len() };
        for (i, c) in columns.iter().enumerate().take(filled) {
            let mut at = column_hash(&c.name) & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = i as u8 + 1;
        }
        Header { excel_row, first_data, columns, slots: slots.into_boxed_slice() }
    }

    /// A column looked up once, for reading it in every row of the file (see `Field`).
    pub fn field(&self, name: &'static str) -> Field<'_> {
        Field { name, column: self.column(name) }
    }

    /// The column with this canonical name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        if self.slots.len() < self.columns.len() {
            // Very wide header (no table), or columns added after `new`: walk them.
            return self.columns.iter().find(|c| c.name == name);
        }
        let mask = self.slots.len() - 1;
        let mut at = column_hash(name) & mask;
        loop {
            let c = &self.columns[(self.slots[at] as usize).checked_sub(1)?];
            if c.name == name {
                return Some(c);
            }
            at = (at + 1) & mask;
        }
    }
}

/// A canonical column name with where one header has it, looked up once for a file: a reader asks for some 25
/// fields of each of a million rows, and a name looked up each time was an eighth of reading a roster.
#[derive(Debug, Clone, Copy)]
pub struct Field<'h> {
    pub name: &'static str,
    /// `None` when the header has no such column.
    pub column: Option<&'h Column>,
}

/// A cheap hash of a column name: its length, and its bytes 2, 5 and last (for the names of two or more Chinese
/// characters: the last bytes of the first two characters and of the last one). A collision only costs a
/// comparison. The multiplier is 2^64 / φ (Fibonacci hashing): multiplying spreads every input bit into the
/// high bits, which the shift by 40 keeps, so the few bytes packed into the low bits still fill the table evenly.
fn column_hash(name: &str) -> usize {
    let b = name.as_bytes();
    let at = |i: usize| u64::from(b.get(i).copied().unwrap_or(0));
    let key = b.len() as u64 | at(2) << 8 | at(5) << 16 | u64::from(b.last().copied().unwrap_or(0)) << 24;
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize
}

/// How many rows from the top are searched for the header.
pub const HEADER_SCAN_ROWS: usize = 30;

fn cell_header_text(cell: Option<&Cell>) -> String {
    match cell {
        Some(Cell::Text(t)) => normalize_text(t),
        _ => String::new(),
    }
}

/// A candidate header built from one row, or from two rows (upper, lower) of a merged header.
struct Candidate {
    upper: usize,
    rows: usize,
    columns: Vec<Column>,
}

impl Candidate {
    fn recognised(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.columns.iter().filter(|c| c.known).map(|c| c.name.as_str()).collect();
        names.sort();
        names.dedup();
        names
    }
}

fn build(table: &Table, upper: usize, lower: Option<usize>, defs: &[ColumnDef]) -> Candidate {
    let up = &table.rows[upper].cells;
    let low = lower.map(|l| &table.rows[l].cells);
    let width = up.len().max(low.map_or(0, |l| l.len()));
    let mut columns = Vec::new();
    for index in 0..width {
        let upper_text = cell_header_text(up.get(index));
        let lower_text = cell_header_text(low.and_then(|l| l.get(index)));
        // Per column: the lower row's name if it is a recognised name, else the upper row's.
        let (written, canonical) = match canonical_of(&lower_text, defs) {
            Some(c) => (lower_text, Some(c)),
            None if !upper_text.is_empty() => {
                let c = canonical_of(&upper_text, defs);
                (upper_text, c)
            }
            None => (lower_text, None),
        };
        if written.is_empty() {
            continue;
        }
        let (name, known) = match canonical {
            Some(c) => (c.to_string(), true),
            None => (header_key(&written), false),
        };
        columns.push(Column { index, written, name, known });
    }
    Candidate { upper, rows: if lower.is_some() { 2 } else { 1 }, columns }
}

fn looked_for(required: &[&str], defs: &[ColumnDef]) -> String {
    required
        .iter()
        .map(|r| {
            let aliases = defs.iter().find(|d| d.canonical == *r).map(|d| d.aliases).unwrap_or(&[]);
            if aliases.is_empty() {
                format!("“{r}”")
            } else {
                format!("“{r}”（或{}）", aliases.iter().map(|a| format!("“{a}”")).collect::<Vec<_>>().join("、"))
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Find the header: among the first rows, the row (or pair of rows of a merged header) with the most recognised
/// column names that includes all `required` ones.
pub fn find_header(table: &Table, defs: &[ColumnDef], required: &[&str]) -> Result<Header, Problem> {
    let loc = table.location();
    let scan = table.rows.len().min(HEADER_SCAN_ROWS);
    let mut candidates = Vec::new();
    for i in 0..scan {
        let single = build(table, i, None, defs);
        if i + 1 < table.rows.len() {
            let pair = build(table, i, Some(i + 1), defs);
            if pair.recognised().len() > single.recognised().len() {
                candidates.push(pair);
            }
        }
        candidates.push(single);
    }
    let has_required = |c: &Candidate| required.iter().all(|r| c.recognised().contains(r));
    // Best: all required, most recognised, then fewer rows, then nearest the top.
    let best = candidates.iter().max_by(|a, b| {
        (has_required(a), a.recognised().len(), std::cmp::Reverse(a.rows), std::cmp::Reverse(a.upper)).cmp(&(
            has_required(b),
            b.recognised().len(),
            std::cmp::Reverse(b.rows),
            std::cmp::Reverse(b.upper),
        ))
    });
    let Some(best) = best.filter(|b| {
        let rec = b.recognised();
        rec.len() >= 2 || required.iter().any(|r| rec.contains(r))
    }) else {
        let msg =
            if table.rows.is_empty() { "表中没有任何内容，找不到表头" } else { "找不到表头行" };
        return Err(Problem::new("NO_HEADER", format!("{msg}：前{HEADER_SCAN_ROWS}行中没有一行包含所需的列名"))
            .at(loc)
            .hint(format!(
                "表头须包含{}。请检查是否选错了文件或工作表（只读取第一个工作表）。",
                looked_for(required, defs)
            )));
    };
    let excel_row = table.rows[best.upper + best.rows - 1].excel_row;
    let header = Header::new(excel_row, best.upper + best.rows, best.columns.clone());
    let rec = best.recognised();
    let missing: Vec<&str> = required.iter().copied().filter(|r| !rec.contains(r)).collect();
    if !missing.is_empty() {
        let found: Vec<String> = header.columns.iter().map(|c| format!("“{}”", c.written)).collect();
        return Err(Problem::new(
            "MISSING_COLUMN",
            format!("缺少必需的列{}（在第{excel_row}行找到的表头为：{}）", quoted(&missing), found.join("、")),
        )
        .at(loc.with_row(excel_row))
        .hint(format!("请在表头中加上{}。", looked_for(&missing, defs))));
    }
    check_duplicates(&header, loc.with_row(excel_row))?;
    Ok(header)
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join("、")
}

/// The same canonical column twice is refused: which one holds the data would be a guess.
fn check_duplicates(header: &Header, loc: Location) -> Result<(), Problem> {
    let mut seen: BTreeMap<&str, &Column> = BTreeMap::new();
    for c in &header.columns {
        if let Some(first) = seen.get(c.name.as_str()) {
            let msg = if first.written == c.written {
                format!(
                    "“{}”列出现了两次（第{}列和第{}列）",
                    c.written,
                    column_letter(first.index),
                    column_letter(c.index)
                )
            } else {
                format!(
                    "“{}”（第{}列）和“{}”（第{}列）都是“{}”列",
                    first.written,
                    column_letter(first.index),
                    c.written,
                    column_letter(c.index),
                    c.name
                )
            };
            return Err(Problem::new("DUPLICATE_COLUMN", msg)
                .at(loc.with_column(c.written.clone()))
                .hint("请删除或改名其中一列，只保留一列。"));
        }
        seen.insert(c.name.as_str(), c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::sheet::Row;

    fn table(rows: &[&[&str]]) -> Table {
        Table {
            file: "t.xlsx".into(),
            sheet: Some("Sheet1".into()),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| Row {
                    excel_row: i as u32 + 1,
                    cells: r
                        .iter()
                        .map(|s| if s.is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) })
                        .collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn header_keys_ignore_spaces_brackets_and_required_marks() {
        assert_eq!(header_key(" 身份证号 * "), "身份证号");
        assert_eq!(header_key("姓　名（必填）"), "姓名");
        assert_eq!(canonical_of("乡镇（街道）", ROSTER_COLUMNS), Some("乡镇"));
        assert_eq!(canonical_of("乡镇(街道)", ROSTER_COLUMNS), Some("乡镇"));
        assert_eq!(canonical_of("公民身份号码", ROSTER_COLUMNS), Some("身份证号"));
        assert_eq!(canonical_of("户籍", ROSTER_COLUMNS), Some("城乡"));
        assert_eq!(canonical_of("护理", ROSTER_COLUMNS), None);
        assert_eq!(canonical_of("单位", ROSTER_COLUMNS), None);
        assert_eq!(canonical_of("单位", &standard_columns()), Some("计发单位"));
        assert_eq!(canonical_of("伤残等级", &standard_columns()), Some("等级"));
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn header_under_title_and_unit_rows() {
        let t = table(&[
            &["XX县2024年优抚对象花名册"],
            &["单位：元"],
            &["序号", "姓名", "公民身份号码", "优抚类别", "护 理"],
            &["1", "张三", "x", "残疾军人", "是"],
        ]);
        let h = find_header(&t, ROSTER_COLUMNS, ROSTER_REQUIRED).unwrap();
        assert_eq!(h.excel_row, 3);
        assert_eq!(h.first_data, 3);
        let names: Vec<&str> = h.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["序号", "姓名", "身份证号", "类别", "护理"]);
        assert_eq!(h.column("身份证号").unwrap().written, "公民身份号码");
        assert!(!h.column("护理").unwrap().known);
    }

    #[test]
    fn two_row_merged_header() {
        // 姓名 etc. merged vertically (value on the upper row), 银行信息 merged over 开户行 | 银行账号.
        let t = table(&[
            &["花名册"],
            &["序号", "姓名", "身份证号", "类别", "银行信息", ""],
            &["", "", "", "", "开户行", "银行账号"],
            &["1", "张三", "x", "残疾军人", "农行", "1"],
        ]);
        let h = find_header(&t, ROSTER_COLUMNS, ROSTER_REQUIRED).unwrap();
        assert_eq!(h.excel_row, 3);
        assert_eq!(h.first_data, 3);
        let names: Vec<&str> = h.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["序号", "姓名", "身份证号", "类别", "开户行", "银行账号"]);
    }

    #[test]
    fn column_lookup_finds_every_column_by_name_as_a_walk_would() {
        let col = |index: usize, name: String| Column { index, written: name.clone(), name, known: false };
        for width in [0, 1, 3, 23, 127, 128, 300] {
            // Names sharing their first bytes and lengths (collisions in the table), one name twice.
            let mut columns: Vec<Column> = (0..width).map(|i| col(i, format!("列{i:03}"))).collect();
            if width > 2 {
                columns.push(col(width, "列001".into()));
            }
            let header = Header::new(1, 1, columns.clone());
            for c in &columns {
                let walked = columns.iter().find(|d| d.name == c.name).map(|d| d.index);
                assert_eq!(header.column(&c.name).map(|d| d.index), walked, "{width} {}", c.name);
            }
            // the first 列001 (index 1), not the one appended at the end
            if width > 2 {
                assert_eq!(header.column("列001").unwrap().index, 1);
            }
            assert_eq!(header.column("身份证号"), None);
            assert_eq!(header.column(""), None);
        }
    }

    #[test]
    fn no_header_says_what_was_looked_for() {
        let t = table(&[&["XX县2024年优抚对象花名册"], &["甲", "乙"]]);
        let p = find_header(&t, ROSTER_COLUMNS, ROSTER_REQUIRED).unwrap_err();
        assert_eq!(p.code, "NO_HEADER");
        assert_eq!(
            p.to_string(),
            "t.xlsx 工作表「Sheet1」：找不到表头行：前30行中没有一行包含所需的列名。表头须包含“姓名”（或“名字”）、\
             “身份证号”（或“公民身份号码”、“身份证号码”、“身份证”）、“类别”（或“优抚类别”、“对象类别”、“人员类别”）。\
             请检查是否选错了文件或工作表（只读取第一个工作表）。 [NO_HEADER]"
        );
    }

    #[test]
    fn missing_required_column_names_it_and_the_header_row() {
        let t = table(&[&["标题"], &["序号", "姓名", "身份证号", "等级"]]);
        let p = find_header(&t, ROSTER_COLUMNS, ROSTER_REQUIRED).unwrap_err();
        assert_eq!(
            p.to_string(),
            "t.xlsx 工作表「Sheet1」第2行：缺少必需的列“类别”（在第2行找到的表头为：“序号”、“姓名”、“身份证号”、“等级”）。\
             请在表头中加上“类别”（或“优抚类别”、“对象类别”、“人员类别”）。 [MISSING_COLUMN]"
        );
    }

    #[test]
    fn duplicate_canonical_column() {
        let t = table(&[&["姓名", "身份证号", "类别", "公民身份号码"]]);
        let p = find_header(&t, ROSTER_COLUMNS, ROSTER_REQUIRED).unwrap_err();
        assert_eq!(
            p.to_string(),
            "t.xlsx 工作表「Sheet1」第1行「公民身份号码」列：“身份证号”（第B列）和“公民身份号码”（第D列）都是“身份证号”列。\
             请删除或改名其中一列，只保留一列。 [DUPLICATE_COLUMN]"
        );
    }
}
