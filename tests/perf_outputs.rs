//! `pay --no-xlsx` (the fast path for a province's batch): the same CSV outputs, bank file and ledger draft as a
//! full run, only without payments.xlsx; and `YOUFU_TIMINGS=1` reports phase times on stderr.

mod common;
use common::{entries, fixtures, init, youfu};

/// `pay` of 2024-03 on the fixtures with the ledger `l.db` in `dir` (made by `init` first when missing).
fn pay(dir: &std::path::Path, out: &str, extra: &[&str]) -> common::Run {
    let f = fixtures();
    let (roster, standards, config) = (f.join("roster.xlsx"), f.join("standards.csv"), f.join("youfu.toml"));
    if !dir.join("l.db").exists() {
        init(dir, &["--config", config.to_str().unwrap(), "--ledger", "l.db"]);
    }
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "--ledger",
        "l.db",
        "pay",
        "--month",
        "2024-03",
        "--roster",
        roster.to_str().unwrap(),
        "--standards",
        standards.to_str().unwrap(),
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    youfu(dir, &args)
}

#[test]
fn no_xlsx_writes_the_same_files_without_the_workbook() {
    let full_dir = tempfile::tempdir().unwrap();
    let full = pay(full_dir.path(), "out", &[]);
    assert_eq!(full.code, 0, "{}", full.stderr);
    let lean_dir = tempfile::tempdir().unwrap();
    let lean = pay(lean_dir.path(), "out", &["--no-xlsx"]);
    assert_eq!(lean.code, 0, "{}", lean.stderr);
    assert_eq!(
        entries(&lean_dir.path().join("out")),
        ["bank.csv", "exceptions.csv", "manifest.json", "payments.csv", "recoveries.csv"]
    );
    assert!(entries(&full_dir.path().join("out")).contains(&"payments.xlsx".to_string()));
    for name in ["bank.csv", "exceptions.csv", "payments.csv", "recoveries.csv"] {
        let a = std::fs::read(full_dir.path().join("out").join(name)).unwrap();
        let b = std::fs::read(lean_dir.path().join("out").join(name)).unwrap();
        assert!(a == b, "{name} differs between a full run and --no-xlsx");
    }
    // The summary line is the same: 217 人 360 笔 541800.61 元 (fixtures/NOTES.md, "Expected 2024-03 totals").
    assert!(lean.stdout.contains("217 人 360 笔，合计 541,800.61 元"), "{}", lean.stdout);
    assert_eq!(full.stdout.lines().next(), lean.stdout.lines().next());
    // The manifest lists only the files written.
    let manifest = std::fs::read_to_string(lean_dir.path().join("out/manifest.json")).unwrap();
    assert!(!manifest.contains("payments.xlsx"), "{manifest}");
}

#[test]
fn timings_only_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = pay(dir.path(), "a", &["--no-xlsx"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("[timings]"), "{}", quiet.stderr);
    init(dir.path(), &["--config", fixtures().join("youfu.toml").to_str().unwrap(), "--ledger", "t.db"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_youfu"))
        .current_dir(dir.path())
        .env("YOUFU_TIMINGS", "1")
        .args([
            "--config",
            fixtures().join("youfu.toml").to_str().unwrap(),
            "--ledger",
            "t.db",
            "pay",
            "--month",
            "2024-03",
            "--roster",
            fixtures().join("roster.xlsx").to_str().unwrap(),
            "--standards",
            fixtures().join("standards.csv").to_str().unwrap(),
            "--out",
            "b",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for phase in ["read inputs", "ledger history", "compute", "outputs and ledger lines", "manifest and ledger commit"]
    {
        assert!(stderr.contains(&format!("[timings] {phase} ")), "{phase} missing in {stderr}");
    }
}

/// A batch larger than one sheet can hold (Excel: 1,048,576 rows) goes on 发放明细, 发放明细（2）, … — checked with
/// at most 100 payments per sheet on the fixtures' 360 payments: four sheets (360 / 100 → 4), the payments shared
/// evenly (90 each), 序号 running on from 1 to 360, and one 合计 on the last sheet summing all four.
#[test]
fn a_batch_too_big_for_one_sheet_is_split_across_detail_sheets() {
    use calamine::{Data, Reader, open_workbook_auto};
    use youfu::compute::{History, StandardTable, compute_month};
    use youfu::domain::Categories;
    use youfu::output::{PayRun, payments_xlsx};

    let f = fixtures();
    let config = youfu::config::Config::load(&f.join("youfu.toml")).unwrap();
    let cats = Categories::new(&config.categories.extra, &config.categories.aliases);
    let roster = youfu::input::read_roster(&f.join("roster.xlsx"), &cats).unwrap();
    let table = StandardTable::new(youfu::input::read_standards(&f.join("standards.csv"), &cats).unwrap()).unwrap();
    let month = "2024-03".parse().unwrap();
    let batch = compute_month(month, &roster, &table, &config.rules(), &History::default()).unwrap();
    assert_eq!(batch.payments.len(), 360); // fixtures/NOTES.md: payable 217 人, 360 笔
    let run = PayRun { month, roster: &roster, standards: &table, batch: &batch, config: &config };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.xlsx");
    payments_xlsx::write_with_sheet_rows(&run, &path, 100).unwrap();

    let mut wb = open_workbook_auto(&path).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["发放明细", "发放明细（2）", "发放明细（3）", "发放明细（4）", "汇总（按类别）", "汇总（按乡镇）", "异常"]
    );
    let mut numbers = Vec::new();
    for (n, name) in ["发放明细", "发放明细（2）", "发放明细（3）", "发放明细（4）"].iter().enumerate()
    {
        let r = wb.worksheet_range(name).unwrap();
        assert_eq!(r.get_value((2, 0)), Some(&Data::String("序号".into())), "{name}: header row");
        let rows: Vec<f64> = r
            .rows()
            .skip(3)
            .filter_map(|row| match &row[0] {
                Data::Float(x) => Some(*x),
                _ => None,
            })
            .collect();
        assert_eq!(rows.len(), 90, "{name} (sheet {n})");
        numbers.extend(rows);
    }
    assert_eq!(numbers, (1..=360).map(|n| n as f64).collect::<Vec<_>>());
    let formulas = wb.worksheet_formula("发放明细（4）").unwrap();
    // The 合计 sits under the last sheet's 90 rows (Excel rows 4–93): row 94 (0-based 93), column K.
    assert_eq!(
        formulas.get_value((93, 10)).map(String::as_str),
        Some("SUM(K4:K93,'发放明细（2）'!K4:K93,'发放明细（3）'!K4:K93,'发放明细（4）'!K4:K93)")
    );
    let last = wb.worksheet_range("发放明细（4）").unwrap();
    assert_eq!(last.get_value((93, 0)), Some(&Data::String("合计（360笔）".into())));
}
