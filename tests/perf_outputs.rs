//! `pay --no-xlsx` (the fast path for a province's batch): the same CSV outputs, bank file and ledger draft as a
//! full run, only without payments.xlsx; and `YOUFU_TIMINGS=1` reports phase times on stderr.

mod common;
use common::{entries, fixtures, youfu};

fn pay(dir: &std::path::Path, out: &str, extra: &[&str]) -> common::Run {
    let f = fixtures();
    let (roster, standards, config) = (f.join("roster.xlsx"), f.join("standards.csv"), f.join("youfu.toml"));
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
    assert!(lean.stdout.contains("217 人 360 笔，合计 541800.61 元"), "{}", lean.stdout);
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
    for phase in ["read inputs", "compute", "payments.xlsx", "csv outputs", "ledger save"] {
        assert!(stderr.contains(&format!("[timings] {phase} ")), "{phase} missing in {stderr}");
    }
}
