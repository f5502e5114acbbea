//! The monthly batch on the bundled fixtures (示例 data): every output file, totals that agree to the 分
//! everywhere, the same result from every roster format, and hand-worked amounts of named people.

mod common;
use calamine::{Data, Reader, open_workbook_auto};
use common::*;
use rust_decimal::Decimal;
use std::path::Path;
use std::str::FromStr;

// Each story on both backends: `sqlite::…` and `postgresql::…`.
both_ledgers!(
    all_files_and_totals_agree_to_the_fen,
    named_people_are_paid_what_the_hand_worked_figures_say,
    died_on_march_5_is_not_paid_in_april,
    the_old_standard_applies_before_august_2023,
    output_files_match_the_reviewed_snapshots
);

/// `pay` for `month` from the given roster/standards files in fixtures/, into a fresh folder holding a copy of the
/// fixtures' youfu.toml (beside it, the ledger would be in fixtures/) and its own ledger.
fn pay(month: &str, roster: &str, standards: &str) -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    std::fs::copy(f.join("youfu.toml"), dir.path().join("youfu.toml")).unwrap();
    init(dir.path(), &[]);
    let r = youfu(
        dir.path(),
        &[
            "pay",
            "--month",
            month,
            "--roster",
            f.join(roster).to_str().unwrap(),
            "--standards",
            f.join(standards).to_str().unwrap(),
            "--out",
            "out",
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    (dir, r)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn cell_decimal(d: &Data) -> Decimal {
    match d {
        Data::Float(f) => youfu::domain::money::decimal_from_cell_f64(*f).unwrap(),
        Data::Int(i) => Decimal::from(*i),
        other => panic!("not a number: {other:?}"),
    }
}

/// payments.csv rows as (身份证号, 项目, 所属期, 类型, 金额).
fn payment_rows(out: &Path) -> Vec<(String, String, String, String, Decimal)> {
    let mut rdr = csv::Reader::from_path(out.join("payments.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].trim_start_matches('\u{feff}').to_string(),
                r[3].to_string(),
                r[4].to_string(),
                r[5].to_string(),
                dec(&r[6]),
            )
        })
        .collect()
}

fn all_files_and_totals_agree_to_the_fen() {
    let (dir, run) = pay("2024-03", "roster.xlsx", "standards.xlsx");
    let out = dir.path().join("out");
    assert_eq!(
        entries(&out),
        ["bank.csv", "exceptions.csv", "manifest.json", "payments.csv", "payments.xlsx", "recoveries.csv"]
    );

    // payments.csv
    let lines = payment_rows(&out);
    let csv_total: Decimal = lines.iter().map(|l| l.4).sum();

    // 发放明细: lines and the 合计 row
    let mut wb = open_workbook_auto(out.join("payments.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), ["发放明细", "汇总（按类别）", "汇总（按乡镇）", "异常"]);
    let detail = wb.worksheet_range("发放明细").unwrap();
    let rows: Vec<&[Data]> = detail.rows().collect();
    assert_eq!(rows[2][10], Data::String("金额（元）".into()));
    // After the lines: 合计, a blank row, and the two rows to sign.
    let total_at = 3 + lines.len();
    let body = &rows[3..total_at];
    assert!(body.iter().all(|r| matches!(r[10], Data::Float(_))));
    let detail_sum: Decimal = body.iter().map(|r| cell_decimal(&r[10])).sum();
    let total_row = rows[total_at];
    assert_eq!(total_row[0], Data::String(format!("合计（{}笔）", lines.len())));
    let detail_total = cell_decimal(&total_row[10]);
    assert_eq!(rows.len(), total_at + 4, "合计, blank, 制表人…, 制表日期");

    // 异常: a Chinese 原因类别 for every row, the full reason, and the code in a column of its own at the end.
    let exceptions = wb.worksheet_range("异常").unwrap();
    let rows: Vec<Vec<String>> = exceptions.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(
        rows[2],
        ["序号", "姓名", "身份证号", "类别", "乡镇（街道）", "项目", "原因类别", "未发放原因", "原因代码"]
    );
    assert_eq!(
        rows[3],
        [
            "1",
            "武建",
            "519909196111088853",
            "烈士遗属",
            "西河乡",
            "全部",
            "缺少银行账号",
            "缺少银行账号，本月应发2571.67元未发放，请补录账号后补发",
            "NO_ACCOUNT"
        ]
    );
    for row in &rows[3..] {
        assert!(!row[6].is_empty() && !row[6].is_ascii(), "a Chinese label in every row: {row:?}");
        assert!(!row[8].is_empty() && row[8].is_ascii(), "the code in every row: {row:?}");
    }

    // 汇总 sheets: the 合计 row's 金额
    let mut summary_total = |name: &str| {
        let r = wb.worksheet_range(name).unwrap();
        let last: Vec<Data> = r.rows().next_back().unwrap().to_vec();
        assert_eq!(last[0], Data::String("合计".into()));
        let groups: Decimal = r.rows().skip(4).take(r.height() - 5).map(|row| cell_decimal(&row[4])).sum();
        assert_eq!(groups, cell_decimal(&last[4]), "{name}: groups add up to 合计");
        cell_decimal(&last[4])
    };
    let by_category = summary_total("汇总（按类别）");
    let by_town = summary_total("汇总（按乡镇）");

    // bank.csv
    let mut bank = csv::Reader::from_path(out.join("bank.csv")).unwrap();
    let bank_rows: Vec<csv::StringRecord> = bank.records().map(Result::unwrap).collect();
    let bank_total: Decimal = bank_rows.iter().map(|r| dec(&r[4])).sum();

    // manifest.json and --json
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let manifest_total = dec(manifest["total"].as_str().unwrap());
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();

    for (what, t) in [
        ("发放明细 lines", detail_sum),
        ("发放明细 合计", detail_total),
        ("汇总（按类别）", by_category),
        ("汇总（按乡镇）", by_town),
        ("bank.csv", bank_total),
        ("manifest", manifest_total),
        ("--json", dec(summary["total"].as_str().unwrap())),
    ] {
        assert_eq!(t, csv_total, "{what}");
    }
    // the manifest names every other output with its digest
    let outputs: Vec<&str> =
        manifest["outputs"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(outputs, ["payments.xlsx", "payments.csv", "bank.csv", "exceptions.csv", "recoveries.csv"]);
    let csv_bytes = std::fs::read(out.join("payments.csv")).unwrap();
    assert_eq!(manifest["outputs"][1]["sha256"], youfu::output::atomic::sha256_hex(&csv_bytes));
    assert_eq!(manifest["counts"]["payments"], lines.len());
    // One transfer per paid person: the manifest's count is the bank file's rows.
    assert_eq!(manifest["counts"]["transfers"], bank_rows.len());
    assert_eq!(manifest["counts"]["transfers"], manifest["counts"]["paid_persons"]);
}

#[test]
fn every_roster_format_gives_the_same_payments_csv() {
    let (a, _) = pay("2024-03", "roster.xlsx", "standards.xlsx");
    let reference = std::fs::read(a.path().join("out/payments.csv")).unwrap();
    for (roster, standards) in
        [("roster-gbk.csv", "standards.xlsx"), ("roster.xls", "standards.csv"), ("roster.ods", "standards.csv")]
    {
        let (b, _) = pay("2024-03", roster, standards);
        let other = std::fs::read(b.path().join("out/payments.csv")).unwrap();
        assert!(other == reference, "{roster} + {standards} differs from roster.xlsx + standards.xlsx");
    }
}

fn lines_of(out: &Path, id: &str) -> Vec<(String, String, String, Decimal)> {
    payment_rows(out).into_iter().filter(|l| l.0 == id).map(|l| (l.1, l.2, l.3, l.4)).collect()
}

fn named_people_are_paid_what_the_hand_worked_figures_say() {
    let (dir, _) = pay("2024-03", "roster.xlsx", "standards.xlsx");
    let out = dir.path().join("out");
    // 梁学, row 46: 残疾军人 一级 因战, 护理 = 是, 城镇. 2023-08-01 standards:
    // 113070 / 12 = 9422.50; 护理费 61740 / 12 = 5145.00
    assert_eq!(
        lines_of(&out, "519902195812281614"),
        [
            ("残疾抚恤金".into(), "2024-03".into(), "正常".into(), dec("9422.50")),
            ("护理费".into(), "2024-03".into(), "正常".into(), dec("5145.00")),
        ]
    );
    // 高才民, row 11: 五级 因战, died 2024-03-05: the death month is paid, 57470 / 12 = 4789.1666… → 4789.17
    assert_eq!(
        lines_of(&out, "519906194609179375"),
        [("残疾抚恤金".into(), "2024-03".into(), "正常".into(), dec("4789.17"))]
    );
    // 孙海, row 36: 等级 typed "3级" → 三级 因病, 78280 / 12 = 6523.333… → 6523.33, plus the county's 100.00
    assert_eq!(
        lines_of(&out, "519903195512031054"),
        [
            ("残疾抚恤金".into(), "2024-03".into(), "正常".into(), dec("6523.33")),
            ("县级优抚补贴".into(), "2024-03".into(), "正常".into(), dec("100.00")),
        ]
    );
    // 卢长 (suspended), 余敏英 (starts 2024-04) and 武建 (no account) are not paid, and say why
    let exceptions = std::fs::read_to_string(out.join("exceptions.csv")).unwrap();
    for (id, reason) in [
        ("519938196112220715", "暂停发放：服刑期间中止发放"),
        ("51995919410404518X", "起发年月为2024-04，本月尚未起发"),
        ("519909196111088853", "缺少银行账号，本月应发2571.67元未发放，请补录账号后补发"),
    ] {
        assert!(lines_of(&out, id).is_empty(), "{id} must not be paid");
        assert!(exceptions.lines().any(|l| l.starts_with(id) && l.contains(reason)), "{id}: {reason}");
    }
}

fn died_on_march_5_is_not_paid_in_april() {
    let (dir, _) = pay("2024-04", "roster.xlsx", "standards.xlsx");
    let out = dir.path().join("out");
    assert!(lines_of(&out, "519906194609179375").iter().all(|l| l.2 != "正常"));
    let exceptions = std::fs::read_to_string(out.join("exceptions.csv")).unwrap();
    assert!(exceptions.contains(
        "519906194609179375,高才民,残疾军人,青石乡,全部,已死亡,已于2024-03-05死亡，发放至2024-03止,DECEASED"
    ));
}

fn the_old_standard_applies_before_august_2023() {
    // 2023-03 falls under the 2022-08-01 version: 梁学 一级 因战 106670 / 12 = 8889.1666… → 8889.17,
    // 护理费 58800 / 12 = 4900.00
    let (dir, _) = pay("2023-03", "roster.xlsx", "standards.xlsx");
    let got = lines_of(&dir.path().join("out"), "519902195812281614");
    assert_eq!(
        got,
        [
            ("残疾抚恤金".into(), "2023-03".into(), "正常".into(), dec("8889.17")),
            ("护理费".into(), "2023-03".into(), "正常".into(), dec("4900.00")),
        ]
    );
}

fn output_files_match_the_reviewed_snapshots() {
    let (dir, _) = pay("2024-03", "roster.xlsx", "standards.xlsx");
    let out = dir.path().join("out");
    for name in ["payments.csv", "bank.csv", "exceptions.csv"] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        insta::assert_snapshot!(name, text);
    }
}

/// The 发放明细 as it prints: the twelve columns 序号 … 银行账号 are the print area (开户行 and 依据 beside it for the
/// screen), the header rows repeat on every page, A4 landscape at 100 % with 10 pt type (fit to one page wide only
/// as a guard), long texts wrap, amounts keep a digit's space from the next column, and the sheet ends with the
/// lines to sign.
#[test]
fn the_detail_sheet_prints_on_a4_landscape_at_ten_points() {
    use std::io::Read;
    let (dir, _) = pay("2024-03", "roster.xlsx", "standards.xlsx");
    let path = dir.path().join("out/payments.xlsx");
    let mut wb = open_workbook_auto(&path).unwrap();
    let detail = wb.worksheet_range("发放明细").unwrap();
    let rows: Vec<&[Data]> = detail.rows().collect();
    let header: Vec<String> = rows[2].iter().map(|d| d.to_string()).collect();
    assert_eq!(
        header,
        [
            "序号",
            "姓名",
            "身份证号",
            "类别",
            "等级",
            "性质",
            "乡镇（街道）",
            "项目",
            "所属期",
            "类型",
            "金额（元）",
            "银行账号",
            "开户行",
            "依据"
        ]
    );
    let n = rows.len();
    assert_eq!(rows[n - 2][0], Data::String("制表人：".into()));
    assert_eq!(rows[n - 2][4], Data::String("审核人：".into()));
    assert_eq!(rows[n - 2][8], Data::String("单位负责人：".into()));
    assert_eq!(rows[n - 1][0], Data::String("制表日期：　　　　年　　月　　日".into()));

    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut part = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let workbook = part("xl/workbook.xml");
    // 360 lines on rows 4–363, 合计 on 364, signatures on 366–367: printed A1:L367.
    assert!(
        workbook
            .contains("<definedName name=\"_xlnm.Print_Area\" localSheetId=\"0\">发放明细!$A$1:$L$367</definedName>"),
        "{workbook}"
    );
    assert!(
        workbook.contains("<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"0\">发放明细!$1:$3</definedName>"),
        "{workbook}"
    );
    let sheet = part("xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"<pageSetup paperSize="9" fitToHeight="0" orientation="landscape""#), "A4 landscape");
    // The printed columns' widths (Excel stores width + 5 px ⁄ 7 px): 6, 8, 21, 14, 5, 5, 11, 13, 8, 8, 13, 24 = 136.
    let widths: Vec<f64> = sheet
        .split("<col ")
        .skip(1)
        .flat_map(|c| {
            let attr = |name: &str| -> f64 {
                let at = c.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                c[at..at + c[at..].find('"').unwrap()].parse().unwrap()
            };
            let (min, max) = (attr("min") as usize, attr("max") as usize);
            std::iter::repeat_n(attr("width"), max - min + 1)
        })
        .collect();
    let printed: f64 = widths[..12].iter().map(|w| w - 0.7109375).sum();
    assert_eq!(printed, 136.0);
    let styles = part("xl/styles.xml");
    assert!(styles.contains(r##"formatCode="#,##0.00_0""##), "amounts padded by a digit's width");
    assert!(styles.contains(r#"<sz val="10"/><color theme="1"/><name val="宋体"/>"#), "10 pt body");
    assert!(styles.contains(r#"wrapText="1""#));
}
