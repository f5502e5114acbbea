//! Text a spreadsheet would run as a formula (a 姓名, 乡镇, 开户行 or 依据 beginning with `=`, `+`, `-`, `@`, a tab
//! or a CR) is written into every CSV file `'`-prefixed and quoted, as OWASP's CSV-injection guidance advises;
//! amounts stay numbers. payments.xlsx stores such text as a string cell, never a formula.

mod common;
use calamine::{Data, Reader, open_workbook_auto};
use common::*;

const HOSTILE_ROSTER: &str = "\
姓名,身份证号,类别,等级,性质,城乡,乡镇,开户行,银行账号,死亡日期
\"=HYPERLINK(\"\"http://x.example/\"\",\"\"点我\"\")\",440304198001010017,残疾军人,一级,因战,城镇,+城关镇,@农行,6217000000000000004,
\" -李四\",11010519491231002X,烈士遗属,,,农村,东坝镇,信用社,79927398713,
-1+1,110105195001010012,烈士遗属,,,农村,东坝镇,信用社,79927398713,2023-01-31
";

fn pay(dir: &tempfile::TempDir, month: &str) -> Run {
    if !dir.path().join("youfu.db").exists() {
        init(dir.path(), &[]);
    }
    let r = youfu(
        dir.path(),
        &["pay", "--month", month, "--roster", "roster.csv", "--standards", "standards.csv", "--out", month],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

fn read(dir: &tempfile::TempDir, file: &str) -> String {
    std::fs::read_to_string(dir.path().join(file)).unwrap()
}

#[test]
fn formula_like_text_is_neutralised_in_every_csv_and_a_string_in_the_workbook() {
    // (The roster's " -李四" is read trimmed, as every text cell is: "-李四" is what is written.)
    let standards = STANDARDS.replace("示例文件二", "-示例文件二");
    let dir = workdir(HOSTILE_ROSTER, &standards);
    pay(&dir, "2024-03");
    // 106670 / 12 = 8889.1666… → 8889.17; 27980 / 12 = 2331.6666… → 2331.67
    assert_eq!(
        read(&dir, "2024-03/payments.csv"),
        "\u{feff}身份证号,姓名,类别,项目,所属期,类型,金额,依据\r\n\
         440304198001010017,\"'=HYPERLINK(\"\"http://x.example/\"\",\"\"点我\"\")\",残疾军人,残疾抚恤金,2024-03,正常,8889.17,示例文件一\r\n\
         11010519491231002X,\"'-李四\",烈士遗属,定期抚恤金,2024-03,正常,2331.67,\"'-示例文件二\"\r\n"
    );
    assert_eq!(
        read(&dir, "2024-03/bank.csv"),
        "序号,姓名,身份证号,账号,金额,摘要\r\n\
         1,\"'=HYPERLINK(\"\"http://x.example/\"\",\"\"点我\"\")\",440304198001010017,6217000000000000004,8889.17,2024-03优抚金\r\n\
         2,\"'-李四\",11010519491231002X,79927398713,2331.67,2024-03优抚金\r\n"
    );
    let exceptions = read(&dir, "2024-03/exceptions.csv");
    let person = exceptions.lines().nth(1).unwrap();
    assert!(person.starts_with("110105195001010012,\"'-1+1\",烈士遗属,东坝镇,"), "{exceptions}");
    assert!(person.ends_with(",4"), "the roster row stays a number: {exceptions}");

    // The workbook: the name is a string cell (a shared or inline string), and no cell holds a formula but the 合计.
    let mut wb = open_workbook_auto(dir.path().join("2024-03/payments.xlsx")).unwrap();
    let sheet = wb.worksheet_range("发放明细").unwrap();
    let name = sheet.rows().find(|r| r.get(2) == Some(&Data::String("440304198001010017".into()))).unwrap()[1].clone();
    assert_eq!(name, Data::String("=HYPERLINK(\"http://x.example/\",\"点我\")".into()));
    let formulas = wb.worksheet_formula("发放明细").unwrap();
    let written: Vec<&String> = formulas.used_cells().map(|(_, _, f)| f).filter(|f| !f.is_empty()).collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(written[0].starts_with("SUM("), "{written:?}");
    let town = wb.worksheet_range("汇总（按乡镇）").unwrap();
    assert!(town.used_cells().any(|(_, _, c)| c == &Data::String("+城关镇".into())));
}

/// recoveries.csv: the texts neutralised, the month and the amounts written as numbers.
#[test]
fn recoveries_keep_their_amounts_as_numbers() {
    let dir = workdir(HOSTILE_ROSTER, STANDARDS);
    pay(&dir, "2024-03");
    let c = youfu(dir.path(), &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    // The first person died in February: March was paid and is to be recovered in April.
    let roster = HOSTILE_ROSTER.replace("6217000000000000004,\n", "6217000000000000004,2024-02-10\n");
    std::fs::write(dir.path().join("roster.csv"), roster).unwrap();
    pay(&dir, "2024-04");
    assert_eq!(
        read(&dir, "2024-04/recoveries.csv"),
        "\u{feff}身份证号,姓名,类别,乡镇,项目,所属期,应发金额,已发金额,多发金额（应追缴）\r\n\
         440304198001010017,\"'=HYPERLINK(\"\"http://x.example/\"\",\"\"点我\"\")\",残疾军人,\"'+城关镇\",残疾抚恤金,2024-03,0.00,8889.17,8889.17\r\n"
    );
}
