//! Input that used to be read wrongly or without bound (issue 18, items 1, 6, 8, 9), through the CLI: the exact
//! message, exit code 3, nothing in --out and the ledger as it was. The broken files are made by `corpus`.

mod common;
mod corpus;
use common::*;

/// `youfu pay` for 2024-03 with `roster` and `standards` (paths in `dir`, whose ledger is made first if it has
/// none) refused: exit 3, the exact stderr (each problem on its line), no --out folder, no temporary files, the
/// ledger's bytes unchanged; `check` refuses the same way.
fn assert_refused_in(dir: &tempfile::TempDir, roster: &str, standards: &str, extra: &[&str], problems: &[&str]) {
    let ledger = dir.path().join("youfu.db");
    if !ledger.exists() {
        init(dir.path(), &[]);
    }
    let before = std::fs::read(&ledger).unwrap();
    let mut args = vec!["pay", "--month", "2024-03", "--roster", roster, "--standards", standards, "--out", "out"];
    args.extend(extra);
    let r = youfu(dir.path(), &args);
    let expected = format!("{}\n共 {} 个问题，未写出任何文件。\n", problems.join("\n"), problems.len());
    assert_eq!((r.code, r.stderr.as_str()), (3, expected.as_str()));
    assert!(!dir.path().join("out").exists(), "no output folder");
    let left: Vec<String> = entries(dir.path()).into_iter().filter(|e| e.starts_with(".youfu")).collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    assert_eq!(std::fs::read(&ledger).unwrap(), before, "the ledger is unchanged");
    let r = youfu(dir.path(), &["check", "--month", "2024-03", "--roster", roster, "--standards", standards]);
    let expected = format!("{}\n共 {} 个问题。\n", problems.join("\n"), problems.len());
    assert_eq!((r.code, r.stderr.as_str()), (3, expected.as_str()), "check");
}

fn assert_refused(roster: &str, standards: &str, problems: &[&str]) {
    let dir = workdir(roster, standards);
    assert_refused_in(&dir, "roster.csv", "standards.csv", &[], problems);
}

const QUOTE_HINT: &str = "含逗号、引号或换行的单元格须整体用英文双引号括起来，其中的引号写成两个（\"\"）。请在该行找出多余或缺少的引号并改正，或用 Excel 或 WPS 打开核对后另存为 .xlsx 再试。 [CSV_QUOTE]";
const COUNT_HINT: &str = "请检查该行是否多了或少了逗号（分隔符）、引号；内容中含逗号的单元格须整体用英文双引号括起来。也可用 Excel 或 WPS 打开核对后另存为 .xlsx 再试。 [CSV_FIELD_COUNT]";
const BOMB_HINT: &str = "文件可能已损坏，或是被特意构造的“压缩炸弹”。请确认文件来源；如确是正常的表格，请用 Excel 或 WPS 打开后另存为 .xlsx 再试。 [TOO_LARGE]";

/// Item 1 as found: the bundled roster (225 people) as UTF-8 CSV with a quote opened in line 11's 备注 and never
/// closed. It read 7 rows and paid 5 people with exit 0.
#[test]
fn a_quote_left_open_in_the_fixture_roster() {
    let gbk = std::fs::read(fixtures().join("roster-gbk.csv")).unwrap();
    let text = encoding_rs::GBK.decode(&gbk).0.into_owned();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines[10].ends_with(",示例：2024年3月5日死亡"), "{}", lines[10]);
    lines[10] = lines[10].replace(",示例：2024年3月5日死亡", ",\"示例：未闭合的引号");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roster.csv"), lines.join("\n") + "\n").unwrap();
    std::fs::copy(fixtures().join("youfu.toml"), dir.path().join("youfu.toml")).unwrap();
    std::fs::copy(fixtures().join("standards.csv"), dir.path().join("standards.csv")).unwrap();
    // The file as it was reads and pays (so the refusal is the quote's).
    std::fs::write(dir.path().join("good.csv"), text.as_bytes()).unwrap();
    let good =
        youfu(dir.path(), &["check", "--month", "2024-03", "--roster", "good.csv", "--standards", "standards.csv"]);
    assert_eq!(good.code, 0, "{}", good.stderr);
    assert_refused_in(
        &dir,
        "roster.csv",
        "standards.csv",
        &[],
        &[&format!(
            "roster.csv：CSV 文件第11行开始的英文双引号（\"）没有闭合：从这里到文件末尾都会被读成同一个单元格，其后的行都会丢失。{QUOTE_HINT}"
        )],
    );
}

/// A quote opened in line 2's 乡镇 runs on to line 3, whose quoted 乡镇 closes it with text after it: lines 2 and
/// 3 were one record (李四 silently gone).
#[test]
fn a_quote_that_runs_over_a_line_break_into_the_next_record() {
    let roster = ROSTER.replace(",城关镇,", ",\"城关镇,").replace(",东坝镇,", ",\"东坝镇\",");
    assert_refused(
        &roster,
        STANDARDS,
        &[&format!(
            "roster.csv：CSV 文件第2行开始的引号有误：引号一直延续到第3行，那里的右引号后面还有其他文字（其间的行都被读成了一个单元格）。{QUOTE_HINT}"
        )],
    );
}

/// A record with a field more or fewer than the header: the standards' extra field was dropped silently, and a
/// roster row missing its 死亡日期 field was read.
#[test]
fn a_record_whose_field_count_differs_from_the_header() {
    let standards = STANDARDS.replace("示例文件二", "示例文件二,多出的一列");
    assert_refused(
        ROSTER,
        &standards,
        &[&format!(
            "standards.csv 第3行：这一行有 9 个字段，而表头（第1行）有 8 个：这一行的内容与表头的列对不上。{COUNT_HINT}"
        )],
    );
    let roster = ROSTER.replace("79927398713,\n", "79927398713\n").replace("城关镇,", "城关镇,,");
    assert_refused(
        &roster,
        STANDARDS,
        &[
            &format!(
                "roster.csv 第2行：这一行有 10 个字段，而表头（第1行）有 9 个：这一行的内容与表头的列对不上。{COUNT_HINT}"
            ),
            &format!(
                "roster.csv 第3行：这一行有 8 个字段，而表头（第1行）有 9 个：这一行的内容与表头的列对不上。{COUNT_HINT}"
            ),
        ],
    );
}

/// Item 6: a 姓名 of 51 characters and a 备注 of 501 are refused with their row and column (they went into
/// bank.csv).
#[test]
fn texts_longer_than_their_column_allows() {
    let name = "张".repeat(51);
    let note = "备".repeat(501);
    let roster = ROSTER.replace("死亡日期\n", "死亡日期,备注\n").replace(",\n", ",,\n").replacen("张三", &name, 1);
    let roster = roster.replace("79927398713,,", &format!("79927398713,,{note}"));
    assert_refused(
        &roster,
        STANDARDS,
        &[
            &format!(
                "roster.csv 第2行「姓名」列：姓名过长：有 51 个字符，最多 50 个（值：“{}…”）。请检查该单元格是否误粘贴了其他内容；“姓名”最多 50 个字符。 [TEXT_TOO_LONG]",
                "张".repeat(20)
            ),
            &format!(
                "roster.csv 第3行「备注」列：备注过长：有 501 个字符，最多 500 个（值：“{}…”）。请检查该单元格是否误粘贴了其他内容；“备注”最多 500 个字符。 [TEXT_TOO_LONG]",
                "备".repeat(20)
            ),
        ],
    );
}

/// A 10 MB 姓名 is refused as it is read, with its row and column (it failed only when the workbook was written,
/// and with --no-xlsx was paid).
#[test]
fn a_ten_megabyte_cell_is_refused_when_read() {
    let roster = ROSTER.replacen("张三", &"A".repeat(10 << 20), 1);
    let dir = workdir(&roster, STANDARDS);
    let expected = "roster.csv 第2行「A」列：单元格有 10485760 个字符，超过了 32767 个字符的上限（Excel 一个单元格最多能存的长度）。请检查该单元格：可能误粘贴了大量内容；删去多余的内容后再试。 [TEXT_TOO_LONG]";
    assert_refused_in(&dir, "roster.csv", "standards.csv", &["--no-xlsx"], &[expected]);
    assert_refused_in(&dir, "roster.csv", "standards.csv", &[], &[expected]);
}

/// The same cell in an .xlsx (inline string) is refused with the sheet, row and column.
#[test]
fn a_ten_megabyte_cell_in_a_workbook() {
    let deflated = corpus::deflate_run(
        format!(
            r#"<?xml version="1.0"?><worksheet><sheetData>{}<row r="3"><c r="B3" t="inlineStr"><is><t>A"#,
            corpus::roster_rows()
        )
        .as_bytes(),
        10 << 20,
        b"</t></is></c></row></sheetData></worksheet>",
    );
    let bytes = corpus::xlsx(corpus::Part::deflated("xl/worksheets/sheet1.xml", deflated), None);
    let dir = workdir(ROSTER, STANDARDS);
    std::fs::write(dir.path().join("long.xlsx"), bytes).unwrap();
    assert_refused_in(
        &dir,
        "long.xlsx",
        "standards.csv",
        &[],
        &[
            "long.xlsx 工作表「花名册」第3行「B」列：单元格有 10485761 个字符，超过了 32767 个字符的上限（Excel 一个单元格最多能存的长度）。请检查该单元格：可能误粘贴了大量内容；删去多余的内容后再试。 [TEXT_TOO_LONG]",
        ],
    );
}

/// Item 8: 300 named columns are read (255 or more panicked, exit 101): the payments are those of the two people.
#[test]
fn three_hundred_named_columns_are_read() {
    let extra: String = (1..=291).map(|i| format!(",附加{i}")).collect();
    let blanks = ",".repeat(291);
    let mut lines = ROSTER.lines();
    let mut roster = format!("{}{extra}\n", lines.next().unwrap());
    for line in lines {
        roster += &format!("{line}{blanks}\n");
    }
    let dir = workdir(&roster, STANDARDS);
    init(dir.path(), &[]);
    let r = youfu(
        dir.path(),
        &["pay", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "out"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 106670 / 12 = 8889.17; 27980 / 12 = 2331.67
    let csv = std::fs::read_to_string(dir.path().join("out/payments.csv")).unwrap();
    assert_eq!(
        csv,
        "\u{feff}身份证号,姓名,类别,项目,所属期,类型,金额,依据\r\n\
         440304198001010017,张三,残疾军人,残疾抚恤金,2024-03,正常,8889.17,示例文件一\r\n\
         11010519491231002X,李四,烈士遗属,定期抚恤金,2024-03,正常,2331.67,示例文件二\r\n"
    );
}

/// A header of 20,000 columns is refused at the line (it panicked).
#[test]
fn twenty_thousand_columns_are_refused() {
    let extra: String = (1..=19_991).map(|i| format!(",附加{i}")).collect();
    let roster = ROSTER.replacen("死亡日期", &format!("死亡日期{extra}"), 1);
    assert_refused(
        &roster,
        STANDARDS,
        &[
            "roster.csv：CSV 文件第1行有 20000 个字段，超过了 16384 列的上限（Excel 的最大列数）。请确认选择的文件正确，并检查该行的分隔符（逗号）。 [TOO_WIDE]",
        ],
    );
}

/// A workbook cell past Excel's last column (XFE) is refused naming it.
#[test]
fn a_workbook_cell_past_the_last_column() {
    let sheet = corpus::sheet_xml(
        &(corpus::roster_rows() + r#"<row r="3"><c r="XFE3" t="inlineStr"><is><t>x</t></is></c></row>"#),
    );
    let bytes = corpus::xlsx(corpus::Part::stored("xl/worksheets/sheet1.xml", &sheet), None);
    let dir = workdir(ROSTER, STANDARDS);
    std::fs::write(dir.path().join("wide.xlsx"), bytes).unwrap();
    assert_refused_in(
        &dir,
        "wide.xlsx",
        "standards.csv",
        &[],
        &[
            "wide.xlsx 工作表「花名册」：工作表中有单元格位于第16385列，超过了 Excel 的最大列数 16384（Excel 和 WPS 都不会写出这样的文件）。请确认选择的文件正确；请用 Excel 或 WPS 打开后另存为 .xlsx 再试。 [TOO_WIDE]",
        ],
    );
}

/// Item 9: a 7 MB .xlsx whose one cell inflates to 1 GB. It took 8 GB of memory and was paid; now it is refused
/// after a few tens of MB, whether the zip's directory tells its size or lies about it (2,000 bytes).
#[test]
fn a_cell_that_inflates_to_a_gigabyte() {
    let dir = workdir(ROSTER, STANDARDS);
    std::fs::write(dir.path().join("told.xlsx"), corpus::cell_bomb(1 << 30, None)).unwrap();
    std::fs::write(dir.path().join("lies.xlsx"), corpus::cell_bomb(1 << 30, Some(2000))).unwrap();
    assert_refused_in(
        &dir,
        "told.xlsx",
        "standards.csv",
        &[],
        &[&format!(
            "told.xlsx：工作簿部件“xl/worksheets/sheet1.xml”中有一段文字或标记解压后超过 1 MB 的上限（一个单元格最多 32767 个字符）。{BOMB_HINT}"
        )],
    );
    assert_refused_in(
        &dir,
        "lies.xlsx",
        "standards.csv",
        &[],
        &[&format!(
            "lies.xlsx：工作簿中的部件“xl/worksheets/sheet1.xml”解压后超过了压缩包目录中写明的大小（2000 字节）。{BOMB_HINT}"
        )],
    );
}

/// A shared string of 1 GB: refused by its declared size when that is told, by what inflates when it lies.
#[test]
fn a_shared_string_that_inflates_to_a_gigabyte() {
    let dir = workdir(ROSTER, STANDARDS);
    std::fs::write(dir.path().join("told.xlsx"), corpus::shared_string_bomb(1 << 30, None)).unwrap();
    std::fs::write(dir.path().join("lies.xlsx"), corpus::shared_string_bomb(1 << 30, Some(100))).unwrap();
    assert_refused_in(
        &dir,
        "told.xlsx",
        "standards.csv",
        &[],
        &[&format!("told.xlsx：工作簿中的部件“xl/sharedStrings.xml”解压后超过 256 MB 的上限。{BOMB_HINT}")],
    );
    assert_refused_in(
        &dir,
        "lies.xlsx",
        "standards.csv",
        &[],
        &[&format!(
            "lies.xlsx：工作簿中的部件“xl/sharedStrings.xml”解压后超过了压缩包目录中写明的大小（100 字节）。{BOMB_HINT}"
        )],
    );
}

/// The broken files above written to a folder (`YOUFU_CORPUS`, default target/corpus), to try by hand, e.g. for
/// peak memory: `cargo test --test hostile_input write_the_corpus -- --ignored`, then
/// `/usr/bin/time -v youfu pay --month 2024-03 --roster target/corpus/cell-bomb-lies.xlsx --standards … --out x`.
#[test]
#[ignore]
fn write_the_corpus() {
    let dir =
        std::env::var("YOUFU_CORPUS").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/corpus").into());
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    write("roster.csv", ROSTER.as_bytes());
    write("standards.csv", STANDARDS.as_bytes());
    write("cell-bomb-told.xlsx", &corpus::cell_bomb(1 << 30, None));
    write("cell-bomb-lies.xlsx", &corpus::cell_bomb(1 << 30, Some(2000)));
    write("shared-string-bomb-told.xlsx", &corpus::shared_string_bomb(1 << 30, None));
    write("shared-string-bomb-lies.xlsx", &corpus::shared_string_bomb(1 << 30, Some(100)));
    write("ten-megabyte-name.csv", ROSTER.replacen("张三", &"A".repeat(10 << 20), 1).as_bytes());
    let extra: String = (1..=19_991).map(|i| format!(",附加{i}")).collect();
    write("twenty-thousand-columns.csv", ROSTER.replacen("死亡日期", &format!("死亡日期{extra}"), 1).as_bytes());
}

/// An .ods of 1 KB whose one cell is repeated 16,000 times in each of 6,000 rows: calamine spread it out into 96
/// million cells (over 2 GB, then an abort); now it is refused before calamine reads it.
#[test]
fn an_ods_whose_repeated_cells_spread_to_a_hundred_million() {
    let content = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="花名册"><table:table-row><table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>身份证号</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>类别</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="6000"><table:table-cell office:value-type="string" table:number-columns-repeated="16000"><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let bytes = corpus::zip(&[
        corpus::Part::stored("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        corpus::Part::stored("content.xml", content),
        corpus::Part::stored(
            "META-INF/manifest.xml",
            r#"<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>"#,
        ),
    ]);
    assert!(bytes.len() < 2000);
    let dir = workdir(ROSTER, STANDARDS);
    std::fs::write(dir.path().join("bomb.ods"), bytes).unwrap();
    assert_refused_in(
        &dir,
        "bomb.ods",
        "standards.csv",
        &[],
        &[&format!("bomb.ods：工作表“content.xml”中重复的行和单元格展开后超过 1000 万个单元格的上限。{BOMB_HINT}")],
    );
}
