//! `--county` / `--all-counties` of report, audit and batches on a county's SQLite ledger (the one county it holds),
//! and the `county_code` that a shared PostgreSQL ledger requires in youfu.toml: each refusal's exact message and
//! exit code, and that nothing was written.

mod common;
use common::*;

/// stderr with the test folder's path taken out (a found youfu.toml, and the ledger beside it, are named by their
/// absolute paths).
fn stderr_in(d: &std::path::Path, r: &Run) -> String {
    r.stderr.replace(&format!("{}/", d.display()), "")
}

/// A county ledger with March 2024 paid and committed (张三 and 李四 of `ROSTER`).
fn ledger() -> tempfile::TempDir {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    init(d, &[]);
    let r = youfu(
        d,
        &["pay", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "out"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = youfu(d, &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

#[test]
fn on_a_sqlite_ledger_all_counties_is_the_own_county_and_another_is_refused() {
    let dir = ledger();
    let d = dir.path();
    // The own county, by code or as "all": the same answers as without the flags.
    for (plain, flagged) in [
        (vec!["batches"], vec!["batches", "--all-counties"]),
        (vec!["batches", "--json"], vec!["batches", "--county", "110101", "--json"]),
        (vec!["report", "--period", "2024Q1"], vec!["report", "--period", "2024Q1", "--all-counties"]),
        (
            vec!["audit", "--from", "2024-03", "--to", "2024-03"],
            vec!["audit", "--from", "2024-03", "--to", "2024-03", "--county", "110101"],
        ),
    ] {
        let (a, b) = (youfu(d, &plain), youfu(d, &flagged));
        assert_eq!((a.code, &a.stdout), (b.code, &b.stdout), "{flagged:?}: {}", b.stderr);
        assert_eq!(a.code, 0, "{plain:?}: {}", a.stderr);
    }
    // The city template asked for by name over the one county: its table has the county and the 合计.
    let r = youfu(d, &["report", "--period", "2024Q1", "--template", "city"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("1-3月全县共审核发放") && r.stdout.contains("示例县\t残疾军人\t1\t"), "{}", r.stdout);

    let other = "错误：台账 youfu.db 是 SQLite 文件，只有本县（示例县，110101）的发放记录，没有 110102 的。\
                 各县（市、区）的发放记录在共用的 PostgreSQL 台账中（ledger = \"postgresql://…\"，见 README「PostgreSQL 台账」）；\
                 统计本县请去掉 --county 或写 --county 110101\n";
    let both = "错误：--county 与 --all-counties 只能选一个：--county 列出要统计的县（市、区），--all-counties 统计台账中的全部县（市、区）\n";
    let format = "错误：--county “1101”不是 6 位数字的行政区划代码（如 110101）\n";
    let city = "错误：--county “110100”是地级（市、州、盟）的行政区划代码，不是县（市、区）的：请写本县（市、区）的代码，末两位不是 00（如 110101）\n";
    for (args, message) in [
        (vec!["report", "--period", "2024Q1", "--county", "110101,110102"], other),
        (vec!["audit", "--from", "2024-03", "--to", "2024-03", "--county", "110102"], other),
        (vec!["batches", "--county", "110102", "--county", "110101"], other),
        (vec!["batches", "--county", "110101", "--all-counties"], both),
        (vec!["report", "--period", "2024Q1", "--county", "1101"], format),
        (vec!["audit", "--from", "2024-03", "--to", "2024-03", "--county", "110100"], city),
    ] {
        let r = youfu(d, &args);
        assert_eq!((r.code, stderr_in(d, &r).as_str(), r.stdout.as_str()), (2, message, ""), "{args:?}");
    }
    // A refused report writes no draft.
    let r = youfu(d, &["report", "--period", "2024Q1", "--county", "110102", "--out", "draft.md"]);
    assert_eq!((r.code, stderr_in(d, &r).as_str()), (2, other));
    assert!(!d.join("draft.md").exists());
}

#[test]
fn a_shared_ledger_without_a_county_code_is_refused_before_anything_is_written() {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    let pay = ["pay", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "out"];
    // In youfu.toml: the line of `ledger` is named, the password hidden.
    std::fs::write(
        d.join("youfu.toml"),
        "county = \"示例县\"\n\nledger = \"postgresql://youfu:secret@db.example/youfu\"\n",
    )
    .unwrap();
    let expected = "错误：配置文件 youfu.toml 中没有 county_code，而台账是共用的 PostgreSQL 数据库（第3行 ledger = \
                    \"postgresql://youfu:***@db.example/youfu\"）：共用台账中每个批次都记着它所属县（市、区）的行政区划代码。\
                    请在 youfu.toml 中写上本县（市、区）的 6 位行政区划代码（GB/T 2260），如 county_code = \"110101\"；未写入任何内容。\n";
    for args in [&pay[..], &["batches"], &["report", "--period", "2024Q1", "--all-counties"]] {
        let r = youfu(d, args);
        assert_eq!((r.code, stderr_in(d, &r).as_str()), (4, expected), "{args:?}");
    }
    assert_eq!(entries(d), ["roster.csv", "standards.csv", "youfu.toml"]);

    // On the command line (--config names the file).
    std::fs::write(d.join("conf.toml"), "county = \"示例县\"\n").unwrap();
    let r =
        youfu(d, &[&["--config", "conf.toml", "--ledger", "postgresql://youfu@db.example/youfu"][..], &pay].concat());
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            4,
            "错误：配置文件 conf.toml 中没有 county_code，而命令行 --ledger postgresql://youfu@db.example/youfu 是共用的 \
             PostgreSQL 台账：共用台账中每个批次都记着它所属县（市、区）的行政区划代码。\
             请在 conf.toml 中写上本县（市、区）的 6 位行政区划代码（GB/T 2260），如 county_code = \"110101\"；未写入任何内容。\n"
        )
    );
    // A malformed code: its line, whatever the ledger. (A 市's or 省's code is a bureau's: see
    // `a_city_code_with_a_sqlite_ledger_is_refused`.)
    std::fs::write(d.join("conf.toml"), "county = \"示例县\"\ncounty_code = \"990101\"\n").unwrap();
    let r = youfu(d, &[&["--config", "conf.toml"][..], &pay].concat());
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            4,
            "错误：配置文件 conf.toml 有误：第2行：county_code “990101”的前两位 99 不是省级行政区划代码（11–82，见 GB/T 2260）\n"
        )
    );
    assert_eq!(entries(d), ["conf.toml", "roster.csv", "standards.csv", "youfu.toml"]);
}

/// A 市's (or 省's) code in youfu.toml reads a shared ledger's counties: with a SQLite ledger, which is one
/// county's, every command is refused (exit 4) naming the code and the file, and nothing is written.
#[test]
fn a_city_code_with_a_sqlite_ledger_is_refused() {
    let dir = ledger();
    let d = dir.path();
    std::fs::write(d.join("city.toml"), "county = \"示例市\"\ncounty_code = \"110100\"\n").unwrap();
    std::fs::write(d.join("province.toml"), "county_code = \"110000\"\nledger = \"youfu.db\"\n").unwrap();
    let before = entries(d);
    let batches = youfu(d, &["batches"]).stdout;
    for (config, level, example) in
        [("city.toml", "地级（市、州、盟）", ("市", "110101")), ("province.toml", "省级", ("省", "110101"))]
    {
        for args in [
            &["batches"][..],
            &["report", "--period", "2024Q1", "--out", "r.md"],
            &["pay", "--month", "2024-04", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "o"],
        ] {
            let r = youfu(d, &[&["--config", config][..], args].concat());
            let code = if config == "city.toml" { "110100" } else { "110000" };
            assert_eq!(
                (r.code, r.stderr.as_str()),
                (
                    4,
                    format!(
                        "错误：配置文件 {config} 中 county_code = \"{code}\" 是{level}的行政区划代码，而台账 youfu.db 是 SQLite \
                         文件，只有一个县（市、区）的发放记录：{}的配置只用于查看共用的 PostgreSQL 台账（ledger = \
                         \"postgresql://…\"，见 README「PostgreSQL 台账」）。请在配置文件中写上共用台账的 ledger，\
                         或把 county_code 改为本县（市、区）的代码（如 {}）\n",
                        example.0, example.1
                    )
                    .as_str()
                ),
                "{config} {args:?}"
            );
        }
    }
    assert_eq!(entries(d), before);
    assert_eq!(youfu(d, &["batches"]).stdout, batches);
}
