//! The ledger stories on a PostgreSQL ledger (issue 22), against the throwaway server of tests/support/pg.rs: the
//! same commands in two offices, one with its SQLite file and one on the shared database, give the same files and
//! the same report; and two counties on one database see only their own batches and never pay one person's month
//! twice.

mod common;
use common::*;
use std::path::Path;

/// A work folder with the fixtures and `old.csv` (the standards before the 2023 raise, as in ledger_story.rs),
/// its youfu.toml pointing at `ledger` (a URL, or None for the SQLite file) with `county_code`; `youfu init` run.
fn office(ledger: Option<&str>, county_code: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    for name in ["roster.xlsx", "standards.csv"] {
        std::fs::copy(f.join(name), dir.path().join(name)).unwrap();
    }
    let mut config = std::fs::read_to_string(f.join("youfu.toml")).unwrap();
    let ledger_line = ledger.map(|url| format!("\nledger = \"{url}\"")).unwrap_or_default();
    config = config.replacen("county_code = \"110101\"", &format!("county_code = \"{county_code}\"{ledger_line}"), 1);
    std::fs::write(dir.path().join("youfu.toml"), config).unwrap();
    let text = std::fs::read_to_string(f.join("standards.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = rdr.headers().unwrap().clone();
    let (start, end) =
        (header.iter().position(|h| h == "起始日期").unwrap(), header.iter().position(|h| h == "终止日期").unwrap());
    let mut w = csv::Writer::from_path(dir.path().join("old.csv")).unwrap();
    w.write_record(&header).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if &rec[start] == "2023-08-01" {
            continue;
        }
        let row: Vec<&str> = rec.iter().enumerate().map(|(i, v)| if i == end { "" } else { v }).collect();
        w.write_record(row).unwrap();
    }
    w.flush().unwrap();
    init(dir.path(), &[]);
    dir
}

/// The test database's URL with the role's password in it.
fn url(db: &pg::TestDb) -> String {
    db.url_without_password().replacen("youfu@", &format!("youfu:{}@", pg::ROLE_PASSWORD), 1)
}

fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = youfu(dir, args);
    assert_eq!(r.code, 0, "youfu {args:?}\n{}", r.stderr);
    r
}

fn pay(dir: &Path, month: &str, standards: &str) -> Run {
    let out = format!("out/{month}");
    youfu(dir, &["pay", "--month", month, "--roster", "roster.xlsx", "--standards", standards, "--out", &out])
}

fn commit(dir: &Path, month: &str, day: &str) -> Run {
    youfu(dir, &["commit", "--month", month, "--pay-date", &format!("{month}-{day}")])
}

/// The CSV files of a run's output folder, by name (the manifest names the ledger and the time, the xlsx its
/// creation time).
fn csv_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv" || x == "txt"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn the_arrears_story_comes_out_the_same_on_postgresql_as_on_sqlite() {
    let db = pg::shared().fresh_db("story");
    let sqlite = office(None, "110101");
    let shared = office(Some(&url(&db)), "110101");
    for d in [sqlite.path(), shared.path()] {
        for (m, day) in [("2023-08", "15"), ("2023-09", "15"), ("2023-10", "13")] {
            assert_eq!(pay(d, m, "old.csv").code, 0);
            assert_eq!(commit(d, m, day).code, 0, "{}", commit(d, m, day).stderr);
        }
        // The 2023 raise: November pays the difference for August–October as 补发.
        assert_eq!(pay(d, "2023-11", "standards.csv").code, 0);
        assert_eq!(commit(d, "2023-11", "14").code, 0);
    }
    let (s, p) = (sqlite.path(), shared.path());
    for m in ["2023-08", "2023-09", "2023-10", "2023-11"] {
        let (a, b) = (csv_files(&s.join("out").join(m)), csv_files(&p.join("out").join(m)));
        assert!(!a.is_empty());
        assert_eq!(a, b, "{m}");
    }
    // November again: refused the same way on both (exit 6), nothing written.
    let (a, b) = (pay(s, "2023-11", "standards.csv"), pay(p, "2023-11", "standards.csv"));
    assert_eq!((a.code, b.code), (6, 6), "{}", b.stderr);
    // The same words but the commit time (each office committed at its own moment).
    let untimed = |t: &str| {
        let (head, rest) = t.split_once("已于 ").unwrap();
        format!("{head}{}", rest.split_once("（北京时间）").unwrap().1)
    };
    assert_eq!(untimed(&a.stderr), untimed(&b.stderr));
    // What a person was paid, month by month, and the half year's report: the same text.
    for args in [
        &["history", "--id", "519902195812281614"][..],
        &[
            "explain",
            "--id",
            "519902195812281614",
            "--month",
            "2023-08",
            "--roster",
            "roster.xlsx",
            "--standards",
            "standards.csv",
        ],
        &["report", "--period", "2023H2", "--out", "h2.md"],
    ] {
        let (a, b) = (ok(s, args), ok(p, args));
        assert_eq!(a.stdout.replace("youfu.db", "LEDGER"), b.stdout.replace(&url(&db), "LEDGER"), "{args:?}");
    }
    assert_eq!(std::fs::read(s.join("h2.md")).unwrap(), std::fs::read(p.join("h2.md")).unwrap());
    let batches = ok(p, &["batches", "--json"]).stdout;
    let v: serde_json::Value = serde_json::from_str(&batches).unwrap();
    assert!(!batches.contains(pg::ROLE_PASSWORD), "the password is never shown: {batches}");
    assert_eq!(v.to_string().matches("\"committed\"").count(), 4, "{batches}");
}

#[test]
fn two_counties_share_the_ledger_and_never_pay_one_persons_month_twice() {
    let db = pg::shared().fresh_db("counties");
    let a = office(Some(&url(&db)), "110101");
    // 西城区 (110102) lists the same people: a roster both counties still carry after a transfer.
    let b = office(Some(&url(&db)), "110102");
    assert_eq!(pay(a.path(), "2023-08", "old.csv").code, 0);
    assert_eq!(commit(a.path(), "2023-08", "15").code, 0);
    let r = pay(b.path(), "2023-08", "old.csv");
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(
        r.stderr.contains("已由行政区划代码 110101 的 2023-08 发放批次（批次号 1）确认发放，不能重复发放"),
        "{}",
        r.stderr
    );
    assert!(!b.path().join("out/2023-08/payments.csv").exists(), "nothing written");
    // Each county sees its own batches only.
    let seen = |d: &Path| {
        let v: serde_json::Value = serde_json::from_str(&ok(d, &["batches", "--json"]).stdout).unwrap();
        v.to_string().matches("\"month\"").count()
    };
    assert_eq!((seen(a.path()), seen(b.path())), (1, 0));
    // The city reads both: 110102's officer asks for every county of the ledger, or for 110101 by its code.
    for flags in [&["--all-counties"][..], &["--county", "110101"]] {
        let r = ok(b.path(), &[&["batches", "--json"][..], flags].concat());
        assert_eq!(r.stdout.matches("\"month\": \"2023-08\"").count(), 1, "{flags:?}: {}", r.stdout);
    }
    let r = ok(b.path(), &["report", "--period", "2023H2", "--all-counties", "--out", "city.md"]);
    assert!(b.path().join("city.md").is_file(), "{}", r.stdout);
    let own = ok(a.path(), &["report", "--period", "2023H2", "--out", "own.md"]);
    assert_eq!(own.code, 0);
}

#[test]
fn init_with_a_postgresql_ledger_writes_its_url_into_the_new_config_and_installs_the_schema() {
    let db = pg::shared().fresh_db("init_url");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let u = url(&db);
    let r = ok(d, &["--ledger", &u, "init", "--county", "示例县", "--county-code", "110101"]);
    // The password is never printed: the next-step commands leave it out (PGPASSWORD or ~/.pgpass give it).
    assert!(!r.stdout.contains(pg::ROLE_PASSWORD), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("youfu --ledger {} pay --month", db.url_without_password())), "{}", r.stdout);
    // The URL as given (not taken for a path beside the config), and the commands find the ledger through it.
    let config = std::fs::read_to_string(d.join("youfu.toml")).unwrap();
    assert!(config.contains(&format!("ledger = \"{u}\"")), "{config}");
    assert_eq!(ok(d, &["batches", "--json"]).stdout.trim(), "{\n  \"batches\": []\n}");
    let mut c = db.connect();
    let version: i32 = c.query_one("SELECT max(version) FROM youfu.schema_version", &[]).unwrap().get(0);
    assert_eq!(i64::from(version), youfu::ledger::pg::SCHEMA_VERSION);
    // A second init keeps the ledger as it is.
    ok(d, &["init"]);
    assert_eq!(entries(d), ["youfu.toml"]);
}
