//! Values a reader could take but must not pay by (issue 18 items 2–5): dates outside a plausible range or after
//! the month paid, fractions of a 分, cells whose type fits no column (TRUE, #N/A, a number for a word), and
//! files with a header but nothing under it. Each broken file is the bundled fixture changed in one cell (or
//! emptied), through the CLI: the exact message (file, sheet, row, column, value), exit 3, nothing written in
//! `--out`, and the ledger — which holds a committed February — unchanged.

mod common;
use common::*;
use rust_xlsxwriter::{Format, Workbook};
use std::path::Path;

/// A cell of a grid written to .xlsx: text as the fixture has it, or one cell of another type.
#[derive(Clone)]
enum C {
    S(String),
    /// A number in a date-formatted cell (an Excel serial date, any value).
    Serial(f64),
    Bool(bool),
    Number(f64),
}

/// The fixture roster as Excel saves it (`roster-gbk.csv`, GBK), decoded: rows of cells.
fn roster_grid() -> Vec<Vec<String>> {
    let bytes = std::fs::read(fixtures().join("roster-gbk.csv")).unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    grid(&text)
}

/// The fixture standards (`standards.csv`): rows of cells.
fn standards_grid() -> Vec<Vec<String>> {
    grid(&std::fs::read_to_string(fixtures().join("standards.csv")).unwrap())
}

fn grid(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// (row index, column index) of the cell in the row whose `key_col` holds `key`, under the header `header_row`.
fn find(g: &[Vec<String>], header_row: usize, key_col: &str, key: &str, col: &str) -> (usize, usize) {
    let h = &g[header_row];
    let at = |name: &str| h.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"));
    let (k, c) = (at(key_col), at(col));
    let row = g.iter().position(|r| r.get(k).is_some_and(|v| v == key)).unwrap_or_else(|| panic!("no {key}"));
    (row, c)
}

fn write_csv(path: &Path, g: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    for r in g {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

/// The grid as a workbook of text cells (sheet `sheet`), with `cell` at `at` of the type given.
fn write_xlsx(path: &Path, sheet: &str, g: &[Vec<String>], at: (usize, usize), cell: C) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).unwrap();
    let date = Format::new().set_num_format("yyyy/m/d");
    for (r, row) in g.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let cell = if (r, c) == at { cell.clone() } else { C::S(v.clone()) };
            let (r, c) = (r as u32, c as u16);
            match cell {
                C::S(s) if s.is_empty() => {}
                C::S(s) => {
                    ws.write_string(r, c, s).unwrap();
                }
                C::Serial(n) => {
                    ws.write_number_with_format(r, c, n, &date).unwrap();
                }
                C::Bool(b) => {
                    ws.write_boolean(r, c, b).unwrap();
                }
                C::Number(n) => {
                    ws.write_number(r, c, n).unwrap();
                }
            }
        }
    }
    wb.save(path).unwrap();
}

/// A work folder with the fixture config, roster.csv and standards.csv (UTF-8 copies of the fixtures), whose
/// ledger holds February 2024 paid and committed.
fn workdir_with_ledger() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("youfu.toml"), dir.path().join("youfu.toml")).unwrap();
    write_csv(&dir.path().join("roster.csv"), &roster_grid());
    write_csv(&dir.path().join("standards.csv"), &standards_grid());
    init(dir.path(), &[]);
    let feb = ["pay", "--month", "2024-02", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "feb"];
    let r = youfu(dir.path(), &feb);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = youfu(dir.path(), &["commit", "--month", "2024-02", "--pay-date", "2024-02-08"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

/// The ledger's bytes and its batches as `youfu batches` lists them.
fn ledger_state(dir: &Path) -> (Vec<u8>, String) {
    let bytes = std::fs::read(dir.join("youfu.db")).unwrap();
    let b = youfu(dir, &["batches"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    (bytes, b.stdout)
}

/// `check` and `pay` for March 2024 on `roster` and `standards` in `dir` are refused with exit 3 and exactly
/// `expected` (one problem); nothing is written in --out and the ledger is as it was.
fn refused(dir: &Path, roster: &str, standards: &str, expected: &str) {
    let (before, files) = (ledger_state(dir), entries(dir));
    let check = youfu(dir, &["check", "--month", "2024-03", "--roster", roster, "--standards", standards]);
    let pay = youfu(dir, &["pay", "--month", "2024-03", "--roster", roster, "--standards", standards, "--out", "out"]);
    for (cmd, r) in [("check", &check), ("pay", &pay)] {
        assert_eq!(r.code, 3, "{cmd}: {}", r.stderr);
        // check writes no file, so only pay's refusal says that nothing was written.
        let tail = if cmd == "pay" { "共 1 个问题，未写出任何文件。" } else { "共 1 个问题。" };
        assert_eq!(r.stderr, format!("{expected}\n{tail}\n"), "{cmd}");
    }
    assert!(!dir.join("out").exists(), "nothing written in --out");
    assert_eq!(entries(dir), files, "no file or folder (a hidden unfinished one) left in the work folder");
    assert!(before == ledger_state(dir), "the ledger is unchanged");
}

/// The roster with one cell changed, as roster.xlsx (sheet 花名册) in `dir`.
fn roster_xlsx(dir: &Path, who: &str, col: &str, cell: C) {
    let g = roster_grid();
    write_xlsx(&dir.join("roster.xlsx"), "花名册", &g, find(&g, 2, "姓名", who, col), cell);
}

/// The roster with one cell's text changed, as roster.csv in `dir`.
fn roster_csv(dir: &Path, who: &str, col: &str, text: &str) {
    let mut g = roster_grid();
    let (r, c) = find(&g, 2, "姓名", who, col);
    g[r][c] = text.into();
    write_csv(&dir.join("roster.csv"), &g);
}

// ---- item 2: dates ----

const RANGE_HINT: &str = "请核对并重新填写该日期，可写作 2024-01-05、2024/1/5、2024.01.05、2024年1月5日、20240105，或设置为日期格式的单元格。";

/// 程军荣 (row 7) died 2023-12-02. A death date cell of 9999-12-31 (serial 2958465) or of serial 3000000 got him
/// paid, with 补发 for February; now refused at the cell. (Excel shows 3000000 as #####; calamine would read it
/// as 9999-12-31, so it is read as its number.)
#[test]
fn a_death_date_cell_far_in_the_future() {
    let dir = workdir_with_ledger();
    for (serial, what) in [
        (
            2958465.0,
            "读作 9999-12-31（单元格中的日期序号为 2958465），不在合理范围内（1900年至2200年）（值：“9999-12-31”）",
        ),
        (3000000.0, "读作 +10113-09-19（日期序号 3000000），不在合理范围内（1900年至2200年）（值：“3000000”）"),
    ] {
        roster_xlsx(dir.path(), "程军荣", "死亡日期", C::Serial(serial));
        refused(
            dir.path(),
            "roster.xlsx",
            "standards.csv",
            &format!(
                "roster.xlsx 工作表「花名册」第7行「死亡日期」列：死亡日期{what}。{RANGE_HINT} [DATE_OUT_OF_RANGE]"
            ),
        );
    }
}

/// 9999-12-31 typed as text: refused by name (it was "无法识别为日期" before, which is true of no date).
#[test]
fn a_death_date_typed_far_in_the_future() {
    let dir = workdir_with_ledger();
    roster_csv(dir.path(), "程军荣", "死亡日期", "9999-12-31");
    refused(
        dir.path(),
        "roster.csv",
        "standards.csv",
        &format!(
            "roster.csv 第7行「死亡日期」列：死亡日期读作 9999-12-31，不在合理范围内（1900年至2200年）\
             （值：“9999-12-31”）。{RANGE_HINT} [DATE_OUT_OF_RANGE]"
        ),
    );
}

/// 入伍时间 is kept as written (shown, never computed with), but a year before 1900 at its start is a slip.
#[test]
fn an_enlistment_year_before_1900() {
    let dir = workdir_with_ledger();
    roster_csv(dir.path(), "叶贵树", "入伍时间", "1881/10/13");
    refused(
        dir.path(),
        "roster.csv",
        "standards.csv",
        &format!(
            "roster.csv 第5行「入伍时间」列：入伍时间读作 1881/10/13，不在合理范围内（1900年至2200年）\
             （值：“1881/10/13”）。{RANGE_HINT} [DATE_OUT_OF_RANGE]"
        ),
    );
}

/// A death that has not happened yet (2042, a slip for 2024) with 状态 死亡: a contradiction found against the
/// day of the run (the reader could not: it would take any year to 2200). Before, he was paid for March with 补发
/// for February. A death after the month paid but before today is a fact, not a contradiction: the fixture's
/// 高才民 died on 2024-03-05 and the February paid in `workdir_with_ledger` pays him.
#[test]
fn a_death_that_has_not_happened() {
    let dir = workdir_with_ledger();
    roster_csv(dir.path(), "程军荣", "死亡日期", "2042/12/2");
    refused(
        dir.path(),
        "roster.csv",
        "standards.csv",
        "roster.csv 第7行「死亡日期」列：死亡日期在今天之后：尚未发生的死亡不能据以发放（值：“2042-12-02”）。\
         请核对死亡日期（如年份是否录错）；人员仍在世的，状态应为“正常”，死亡日期留空。 [DEATH_IN_FUTURE]",
    );
}

/// 起发年月 as a date cell of serial −5 was read as 1899-12 and paid from then.
#[test]
fn a_start_month_cell_of_serial_minus_five() {
    let dir = workdir_with_ledger();
    roster_xlsx(dir.path(), "叶贵树", "起发年月", C::Serial(-5.0));
    refused(
        dir.path(),
        "roster.xlsx",
        "standards.csv",
        &format!(
            "roster.xlsx 工作表「花名册」第5行「起发年月」列：起发年月是日期序号 -5，早于 1900-01-01（序号 1），\
             不在合理范围内（1900年至2200年）（值：“-5”）。{RANGE_HINT} [DATE_OUT_OF_RANGE]"
        ),
    );
}

/// A standard's 起始日期 cell of serial −1 made the 2023 定期抚恤金 for 烈士遗属 start in 1899: 12 people unpaid
/// and 12 追缴 lines of 2471.67, exit 0.
#[test]
fn a_standards_start_date_cell_of_serial_minus_one() {
    let dir = workdir_with_ledger();
    let g = standards_grid();
    write_xlsx(
        &dir.path().join("standards.xlsx"),
        "标准",
        &g,
        find(&g, 0, "金额", "29660", "起始日期"),
        C::Serial(-1.0),
    );
    refused(
        dir.path(),
        "roster.csv",
        "standards.xlsx",
        &format!(
            "standards.xlsx 工作表「标准」第71行「起始日期」列：起始日期是日期序号 -1，早于 1900-01-01（序号 1），\
             不在合理范围内（1900年至2200年）（值：“-1”）。{RANGE_HINT} [DATE_OUT_OF_RANGE]"
        ),
    );
}

// ---- item 3: whole 分 ----

/// 29660.125 and 100.005 paid, with 0.01 补发 lines; an amount must be whole 分.
#[test]
fn an_amount_with_a_fraction_of_a_fen() {
    let dir = workdir_with_ledger();
    for (amount, row, as_number) in [("29660", 71, "29660.125"), ("100", 83, "100.005")] {
        let mut g = standards_grid();
        let (r, c) = g.iter().enumerate().rev().find_map(|(i, row)| (row[6] == amount).then_some((i, 6))).unwrap();
        assert_eq!(r + 1, row);
        g[r][c] = as_number.into();
        write_csv(&dir.path().join("standards.csv"), &g);
        let expected = format!(
            "standards.csv 第{row}行「金额」列：金额须精确到分（最多两位小数）（值：“{as_number}”）。\
             请按标准文件核对金额，最多填到分（两位小数）；单元格显示的位数可能少于实际数值，请在编辑栏中查看。 [BAD_AMOUNT]"
        );
        refused(dir.path(), "roster.csv", "standards.csv", &expected);
        // The same in a number cell of a workbook (the double 100.005 is 100.00499999999999545…, shown 100.005).
        write_xlsx(&dir.path().join("standards.xlsx"), "标准", &g, (r, c), C::Number(as_number.parse().unwrap()));
        let expected = expected.replace("standards.csv 第", "standards.xlsx 工作表「标准」第");
        refused(dir.path(), "roster.csv", "standards.xlsx", &expected);
    }
}

// ---- item 4: cell types ----

/// 叶贵树 (row 5, 残疾军人 一级, 护理 是) is owed 护理费. TRUE for 是 dropped it and raised a 5145.00 追缴.
#[test]
fn a_boolean_in_a_key_column() {
    let dir = workdir_with_ledger();
    let expected = |file: &str, value: &str| {
        format!(
            "{file}第5行「护理」列：“护理”单元格是逻辑值（TRUE/FALSE），不是文字（值：“{value}”）。\
             请改填文字，写法与标准表一致（如“是”或“否”）；复选框或 TRUE/FALSE 不能与标准表匹配。 [CELL_BOOLEAN]"
        )
    };
    roster_xlsx(dir.path(), "叶贵树", "护理", C::Bool(true));
    refused(dir.path(), "roster.xlsx", "standards.csv", &expected("roster.xlsx 工作表「花名册」", "TRUE"));
    // The same sheet saved as CSV by Excel writes the word TRUE.
    roster_csv(dir.path(), "叶贵树", "护理", "TRUE");
    refused(dir.path(), "roster.csv", "standards.csv", &expected("roster.csv ", "TRUE"));
}

/// A number where the standards write a word: 护理 = 1 matched no 护理费 row.
#[test]
fn a_number_in_a_key_column_of_words() {
    let dir = workdir_with_ledger();
    let expected = |file: &str| {
        format!(
            "{file}第5行「护理」列：护理是数字，而标准表中护理列写的是文字（如“是”），二者无法匹配（值：“1”）。\
             请按标准表的写法填写护理（如“是”），不要用 1/0 等数字代替。 [KEY_NOT_TEXT]"
        )
    };
    roster_xlsx(dir.path(), "叶贵树", "护理", C::Number(1.0));
    refused(dir.path(), "roster.xlsx", "standards.csv", &expected("roster.xlsx 工作表「花名册」"));
    roster_csv(dir.path(), "叶贵树", "护理", "1");
    refused(dir.path(), "roster.csv", "standards.csv", &expected("roster.csv "));
}

// ---- item 5: empty files ----

/// The roster's title, header and 合计 row with every person deleted paid 0 人 0.00 元, and commit locked March.
#[test]
fn a_roster_with_a_header_and_no_people() {
    let dir = workdir_with_ledger();
    let g: Vec<Vec<String>> =
        roster_grid().into_iter().filter(|r| !r[3].chars().next().is_some_and(|c| c.is_ascii_digit())).collect();
    assert_eq!(g.len(), 6, "title, unit, two header rows, the blank row and 合计 are left");
    write_csv(&dir.path().join("empty.csv"), &g);
    refused(
        dir.path(),
        "empty.csv",
        "standards.csv",
        "empty.csv 第4行：花名册在表头（第4行）之下没有任何人员行。请检查是否选错了文件或工作表（只读取第一个工作表），\
         或人员行是否被删除；空行、合计行和表尾的签名行不算人员。 [EMPTY_ROSTER]",
    );
}

#[test]
fn a_standards_table_with_a_header_and_no_rows() {
    let dir = workdir_with_ledger();
    write_csv(&dir.path().join("empty.csv"), &standards_grid()[..1]);
    refused(
        dir.path(),
        "roster.csv",
        "empty.csv",
        "empty.csv 第1行：标准表在表头（第1行）之下没有任何标准行。请检查是否选错了文件或工作表（只读取第一个工作表），\
         或标准行是否被删除；空行、合计行和表尾的签名行不算标准。 [EMPTY_STANDARDS]",
    );
}
