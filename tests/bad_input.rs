//! Every bad input a finance officer can make: the exact message (file, sheet, Excel row, column, value, what to
//! do), exit code 3 (or 2 for a bad argument), and no output folder created.

mod common;
use common::*;

/// Run `pay` for 2024-03 in a work folder; assert nothing was written (no output folder, and no ledger file
/// where there was none: the inputs are refused before the ledger is looked at, and only `init` creates one);
/// return the run.
fn pay_refused(dir: &tempfile::TempDir, roster: &str, standards: &str) -> Run {
    let had_ledger = dir.path().join("youfu.db").exists();
    let r =
        youfu(dir.path(), &["pay", "--month", "2024-03", "--roster", roster, "--standards", standards, "--out", "out"]);
    assert!(!dir.path().join("out").exists(), "output folder must not be created: {}", r.stderr);
    assert_eq!(dir.path().join("youfu.db").exists(), had_ledger, "a refused pay creates no ledger: {}", r.stderr);
    let left: Vec<String> = entries(dir.path()).into_iter().filter(|e| e.starts_with(".youfu")).collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    r
}

/// `pay_refused` in a new work folder with a ledger (some refusals come from the computation, after the ledger's
/// history is read).
fn refused(roster: &str, standards: &str) -> Run {
    let dir = workdir(roster, standards);
    init(dir.path(), &[]);
    pay_refused(&dir, "roster.csv", "standards.csv")
}

/// Run `pay` for 2024-03 on the work folder's roster.csv and standards.csv into `out` (after `init` when the
/// folder has no ledger yet); assert it succeeded.
fn pay_ok(dir: &tempfile::TempDir, out: &str) -> Run {
    if !dir.path().join("youfu.db").exists() {
        init(dir.path(), &[]);
    }
    let r = youfu(
        dir.path(),
        &["pay", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv", "--out", out],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

#[test]
fn the_good_case_pays_both() {
    let dir = workdir(ROSTER, STANDARDS);
    pay_ok(&dir, "out");
    // 106670 / 12 = 8889.17; 27980 / 12 = 2331.67; total 11220.84
    let csv = std::fs::read_to_string(dir.path().join("out/payments.csv")).unwrap();
    assert_eq!(
        csv,
        "\u{feff}身份证号,姓名,类别,项目,所属期,类型,金额,依据\r\n\
         440304198001010017,张三,残疾军人,残疾抚恤金,2024-03,正常,8889.17,示例文件一\r\n\
         11010519491231002X,李四,烈士遗属,定期抚恤金,2024-03,正常,2331.67,示例文件二\r\n"
    );
    assert!(dir.path().join("youfu.db").exists(), "the draft is recorded in the ledger");
    assert_eq!(
        entries(&dir.path().join("out")),
        ["bank.csv", "exceptions.csv", "manifest.json", "payments.csv", "payments.xlsx", "recoveries.csv"]
    );
}

/// `(roster text, standards text)` → the exact stderr of a refused `pay`.
fn assert_refused(roster: &str, standards: &str, expected: &str) {
    let r = refused(roster, standards);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stderr, format!("{expected}\n共 1 个问题，未写出任何文件。\n"));
}

fn roster_with(extra: &str) -> String {
    format!("{ROSTER}{extra}\n")
}

#[test]
fn missing_file() {
    let dir = workdir(ROSTER, STANDARDS);
    let r = pay_refused(&dir, "nope.xlsx", "standards.csv");
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr,
        "nope.xlsx：找不到文件。请检查文件路径和文件名是否正确（包括扩展名 .xlsx、.xls、.csv）。 [FILE_NOT_FOUND]\n共 1 个问题，未写出任何文件。\n"
    );
}

#[test]
fn not_a_spreadsheet() {
    let dir = workdir(ROSTER, STANDARDS);
    std::fs::write(dir.path().join("fake.xlsx"), b"%PDF-1.4 junk\x00\x01").unwrap();
    let r = pay_refused(&dir, "fake.xlsx", "standards.csv");
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr,
        "fake.xlsx：无法作为表格读取：这是一个 PDF 文件，不是表格。请选择 Excel/WPS 表格（.xlsx、.xls、.ods）或 CSV 文件。 [NOT_A_SPREADSHEET]\n共 1 个问题，未写出任何文件。\n"
    );
}

#[test]
fn no_recognisable_header() {
    assert_refused(
        "a,b,c\n1,2,3\n",
        STANDARDS,
        "roster.csv：找不到表头行：前30行中没有一行包含所需的列名。表头须包含“姓名”（或“名字”）、“身份证号”（或“公民身份号码”、“身份证号码”、“身份证”）、“类别”（或“优抚类别”、“对象类别”、“人员类别”）。请检查是否选错了文件或工作表（只读取第一个工作表）。 [NO_HEADER]",
    );
}

#[test]
fn required_column_missing() {
    assert_refused(
        &ROSTER.replace("类别", "类型"),
        STANDARDS,
        "roster.csv 第1行：缺少必需的列“类别”（在第1行找到的表头为：“姓名”、“身份证号”、“类型”、“等级”、“性质”、“城乡”、“乡镇”、“银行账号”、“死亡日期”）。请在表头中加上“类别”（或“优抚类别”、“对象类别”、“人员类别”）。 [MISSING_COLUMN]",
    );
}

#[test]
fn wrong_check_digit() {
    // 4403041980010100 1 7: the weighted sum of the first 17 digits is 170, 170 mod 11 = 5 → '7', not '8'
    assert_refused(
        &ROSTER.replace("440304198001010017", "440304198001010018"),
        STANDARDS,
        "roster.csv 第2行「身份证号」列：身份证号校验码错误：按前17位应为“7”，实为“8”（值：“440304198001010018”）。请对照原始证件核对身份证号。 [ID_INVALID]",
    );
}

#[test]
fn same_id_twice_for_the_same_item() {
    assert_refused(
        &roster_with("张三二,440304198001010017,残疾军人,一级,因战,城镇,城关镇,6217000000000000004,"),
        STANDARDS,
        "roster.csv 第4行「身份证号」列：身份证号在第2行和第4行重复出现（值：“440304198001010017”）。同一人只能有一行；如果是同一人的不同发放项目，请增加“项目”列分行填写。 [DUPLICATE_ID]",
    );
}

#[test]
fn text_in_an_amount() {
    assert_refused(
        ROSTER,
        &STANDARDS.replace("27980", "两万七"),
        "standards.csv 第3行「金额」列：金额不是数字（值：“两万七”）。请填写阿拉伯数字金额，如 1234.50（可带“元”“￥”或千分位逗号）。 [BAD_AMOUNT]",
    );
}

#[test]
fn a_date_that_does_not_parse() {
    assert_refused(
        &ROSTER.replace("79927398713,\n", "79927398713,2024-02-30\n"),
        STANDARDS,
        "roster.csv 第3行「死亡日期」列：死亡日期无法识别为日期（值：“2024-02-30”）。可写作 2024-01-05、2024/1/5、2024.01.05、2024年1月5日、20240105，或设置为日期格式的单元格。 [BAD_DATE]",
    );
}

#[test]
fn a_month_that_does_not_exist() {
    let dir = workdir(ROSTER, STANDARDS);
    for cmd in ["pay", "check"] {
        let mut args = vec![cmd, "--month", "2024-13", "--roster", "roster.csv", "--standards", "standards.csv"];
        if cmd == "pay" {
            args.extend(["--out", "out"]);
        }
        let r = youfu(dir.path(), &args);
        assert_eq!(r.code, 2, "{cmd}");
        assert_eq!(r.stderr, "错误：月份“2024-13”无效，应写作 YYYY-MM（如 2024-03），月份为 01 至 12\n");
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_recipient_no_standard_matches() {
    assert_refused(
        &roster_with("王五,510100198505051236,病故军人遗属,,,城镇,城关镇,6217000000000000004,"),
        STANDARDS,
        "roster.csv 第4行：王五（510100198505051236，类别“病故军人遗属”）在标准表中没有任何匹配的标准。请在标准表中为该类别（及等级、性质等条件）增加标准行，或核对花名册中的类别、等级、性质是否填写正确。 [NO_STANDARD]",
    );
}

#[test]
fn a_recipient_with_no_standard_in_force_that_month() {
    let standards = "\
项目,类别,等级,性质,金额,计发单位,起始日期,终止日期,依据
残疾抚恤金,残疾军人,一级,因战,106670,元/年,2022-08-01,,示例文件一
定期抚恤金,烈士遗属,,,27980,元/年,2022-08-01,2023-12-31,示例文件二
定期抚恤金,烈士遗属,,,29660,元/年,2024-04-01,,示例文件三
";
    assert_refused(
        ROSTER,
        standards,
        "roster.csv 第3行：李四（11010519491231002X）的项目“定期抚恤金”在 2024-03-01 没有有效的标准；相关标准行：标准表第3行（2022-08-01 至 2023-12-31）、标准表第4行（2024-04-01 起）。标准的有效期之间有空档：请补上该期间的标准行，或修正终止日期。 [NO_STANDARD_IN_FORCE]",
    );
}

#[test]
fn two_standards_in_force_for_one_key() {
    assert_refused(
        ROSTER,
        &format!("{STANDARDS}残疾抚恤金,残疾军人,一级,因战,113070,元/年,2022-08-01,重复行\n"),
        "standards.csv 第4行：项目“残疾抚恤金”（类别=残疾军人，等级=一级，性质=因战）有两条标准同时有效：第2行（起始 2022-08-01，终止 （无））与第4行（起始 2022-08-01）。同一项目、同一适用条件的标准，有效期不能重叠：请删除重复行，或把前一条的终止日期改为后一条起始日期的前一天。 [OVERLAPPING_STANDARDS]",
    );
}

#[test]
fn an_unknown_unit() {
    assert_refused(
        ROSTER,
        &STANDARDS.replace("27980,元/年", "27980,元/季"),
        "standards.csv 第3行「计发单位」列：计发单位无法识别（值：“元/季”）。可用的计发单位：元/年、元/月、元/年·服役年、元/月·服役年。 [UNKNOWN_UNIT]",
    );
}

#[test]
fn an_id_stored_as_a_number() {
    use rust_xlsxwriter::Workbook;
    let dir = workdir(ROSTER, STANDARDS);
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("花名册").unwrap();
    for (c, h) in ["姓名", "身份证号", "类别", "等级", "性质", "银行账号"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "张三").unwrap();
    // Excel turns 440304198001010017 into 4.40304198001010E+17: the last digits are gone.
    ws.write_number(1, 1, 440304198001010017f64).unwrap();
    ws.write_string(1, 2, "残疾军人").unwrap();
    ws.write_string(1, 3, "一级").unwrap();
    ws.write_string(1, 4, "因战").unwrap();
    ws.write_string(1, 5, "6217000000000000004").unwrap();
    wb.save(dir.path().join("roster.xlsx")).unwrap();
    let r = pay_refused(&dir, "roster.xlsx", "standards.csv");
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr,
        "roster.xlsx 工作表「花名册」第2行「身份证号」列：身份证号被存成了数字：Excel 的数字只保留15位有效数字，存成数字后末几位已经丢失，无法从中还原（值：“4.40304E+17”）。请将该列设置为“文本”格式后重新录入身份证号（只改格式不能找回丢失的数字）。 [ID_AS_NUMBER]\n共 1 个问题，未写出任何文件。\n"
    );
}

#[test]
fn every_problem_of_both_files_is_listed_at_once() {
    let dir =
        workdir(&ROSTER.replace("440304198001010017", "440304198001010018"), &STANDARDS.replace("27980", "两万七"));
    let r = youfu(
        dir.path(),
        &["check", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv", "--json"],
    );
    assert_eq!(r.code, 3);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let codes: Vec<&str> = v["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["ID_INVALID", "BAD_AMOUNT"]);
    // check writes nothing, so its refusal does not end with 未写出任何文件 (pay's does).
    let r =
        youfu(dir.path(), &["check", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.ends_with("[BAD_AMOUNT]\n共 2 个问题。\n"), "{}", r.stderr);
    assert_eq!(v["problems"][0]["location"]["row"], 2);
    assert_eq!(v["problems"][0]["location"]["column"], "身份证号");
    assert_eq!(v["problems"][1]["location"]["file"], "standards.csv");
}

/// A bank that asks for GBK: a name GBK cannot hold (𠮷, only in GB18030's four-byte range) stops the run before
/// anything is written or recorded, naming the character.
#[test]
fn a_name_the_gbk_bank_file_cannot_hold() {
    let dir = workdir(&ROSTER.replace("李四", "李𠮷"), STANDARDS);
    std::fs::write(dir.path().join("youfu.toml"), "[bank]\nencoding = \"gbk\"\n").unwrap();
    init(dir.path(), &[]);
    let r = pay_refused(&dir, "roster.csv", "standards.csv");
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "roster.csv 第3行「姓名」列：代发文件须按 GBK 编码，无法表示字符“𠮷”（值：“李𠮷”）。\
         请与银行确认该字的替代写法后修改花名册，或在 youfu.toml 的 [bank] 中改用 encoding = \"utf8\"（须银行支持）。 [BANK_ENCODING]\n\
         共 1 个问题，未写出任何文件。\n"
    );
    // The ledger is opened before the files are written; it holds no batch.
    let b = youfu(dir.path(), &["batches"]);
    assert!(b.code == 7 || !b.stdout.contains("2024-03"), "no draft recorded: {}", b.stdout);
}

/// The same bank file in GBK is the UTF-8 one, character for character.
#[test]
fn a_gbk_bank_file_holds_the_same_text() {
    let dir = workdir(ROSTER, STANDARDS);
    let pay = |out: &str| {
        pay_ok(&dir, out);
        std::fs::read(dir.path().join(out).join("bank.csv")).unwrap()
    };
    let utf8 = pay("utf8");
    std::fs::write(dir.path().join("youfu.toml"), "[bank]\nencoding = \"gbk\"\n").unwrap();
    let gbk = pay("gbk");
    let (decoded, _, bad) = encoding_rs::GBK.decode(&gbk);
    assert!(!bad);
    assert_eq!(decoded, String::from_utf8(utf8).unwrap());
    // 张三 in GBK: D5C5 C8FD
    assert!(gbk.windows(4).any(|w| w == [0xD5, 0xC5, 0xC8, 0xFD]));
}

/// A bank's own layout (youfu.toml `[bank]`): `|` between fields, a totals line, no header, the columns in the
/// bank's order. A 开户行 holding the delimiter is quoted; everything else is written as it is.
#[test]
fn a_bank_file_in_the_banks_own_layout() {
    let roster = "\
姓名,身份证号,类别,等级,性质,城乡,乡镇,开户行,银行账号,死亡日期
张三,440304198001010017,残疾军人,一级,因战,城镇,城关镇,农行|城关支行,6217000000000000004,
李四,11010519491231002X,烈士遗属,,,农村,东坝镇,信用社,79927398713,
";
    let dir = workdir(roster, STANDARDS);
    std::fs::write(
        dir.path().join("youfu.toml"),
        "[bank]\ndelimiter = \"|\"\nheader = false\ntotals_line = true\n\
         columns = [\"账号\", \"姓名\", \"金额\", \"开户行\", \"序号\"]\n",
    )
    .unwrap();
    pay_ok(&dir, "out");
    let bank = std::fs::read_to_string(dir.path().join("out/bank.csv")).unwrap();
    // 张三 106670 / 12 = 8889.1666… → 8889.17; 李四 27980 / 12 = 2331.666… → 2331.67; total 11220.84 in 2 transfers.
    assert_eq!(
        bank,
        "2|11220.84\r\n\
         6217000000000000004|张三|8889.17|\"农行|城关支行\"|1\r\n\
         79927398713|李四|2331.67|信用社|2\r\n"
    );
}
