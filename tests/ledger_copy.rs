//! `youfu ledger copy` through the CLI on the fixtures: a county's ledger with March committed, two transfers
//! returned by the bank, April re-issuing one of them (重发) late with a reason, and a May draft, copied file → file
//! (and on again): every view of the copy — batches, audit, history, explain, the H1 report draft — is
//! byte-identical to the source's; the draft is not copied and the output says so. A second copy (months held),
//! a target holding one of the months as a draft, a missing or damaged source, a missing target (the printed init
//! command works), and usage mistakes are refused with their exact message, exit code, and nothing written.
//! And issue 22's Done-when: the same county copied onto PostgreSQL (the throwaway server of tests/support/pg.rs)
//! and back to a file reads the same — report draft and audit byte-identical — on the way and at the end.

mod common;
use common::*;
use std::path::Path;

const YE: &str = "519906196103129230";
const SONG: &str = "519946194606119490";

fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = youfu(dir, args);
    assert_eq!(r.code, 0, "youfu {args:?}\n{}\n{}", r.stdout, r.stderr);
    r
}

fn pay(dir: &Path, month: &str, roster: &str) {
    let out = format!("out/{month}");
    ok(dir, &["pay", "--month", month, "--roster", roster, "--standards", "standards.csv", "--out", &out]);
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

fn sha(path: &Path) -> String {
    youfu::output::atomic::sha256_hex(&std::fs::read(path).unwrap())
}

/// The fixtures' county: March paid and committed, 叶贵树 and 宋永新 returned by the bank, 叶贵树's account
/// corrected and re-issued in April (committed on 2024-04-25, late, with a reason), May drafted only.
fn county() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = fixtures();
    std::fs::copy(f.join("roster-gbk.csv"), d.join("roster.csv")).unwrap();
    for name in ["standards.csv", "youfu.toml"] {
        std::fs::copy(f.join(name), d.join(name)).unwrap();
    }
    // The county's own file: the copy tests name both sides themselves.
    init(d, &["--ledger", "youfu.db"]);
    pay(d, "2024-03", "roster.csv");
    ok(d, &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    std::fs::write(
        d.join("回盘.csv"),
        gbk("流水号,收款人,卡号,交易金额,交易状态,失败原因\r\n\
             1,叶贵树,6230233527249309038,14284.17,失败,账户已销户\r\n\
             2,宋永新,6228154512627917403,783.00,退回,户名不符\r\n"),
    )
    .unwrap();
    ok(d, &["bank-return", "--month", "2024-03", "--file", "回盘.csv"]);
    let roster = std::fs::read(d.join("roster.csv")).unwrap();
    let (text, _, _) = encoding_rs::GB18030.decode(&roster);
    std::fs::write(d.join("roster4.csv"), gbk(&text.replace("6230233527249309038", "6230233527249309046"))).unwrap();
    pay(d, "2024-04", "roster4.csv");
    ok(d, &["commit", "--month", "2024-04", "--pay-date", "2024-04-25", "--allow-late", "回盘延迟"]);
    pay(d, "2024-05", "roster4.csv");
    dir
}

/// What the commands show of the ledger (`global` names it), each view's stdout and exit code.
fn views(d: &Path, global: &[&str], report: &str) -> Vec<(String, i32, String)> {
    let explain =
        ["explain", "--id", SONG, "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv"];
    let runs: Vec<Vec<&str>> = vec![
        vec!["audit", "--from", "2024-03", "--to", "2024-04"],
        vec!["audit", "--from", "2024-03", "--to", "2024-04", "--json"],
        vec!["history", "--id", YE],
        vec!["history", "--id", SONG],
        vec!["history", "--id", YE, "--json"],
        explain.to_vec(),
        vec![
            "arrears",
            "--from",
            "2024-03",
            "--to",
            "2024-04",
            "--roster",
            "roster4.csv",
            "--standards",
            "standards.csv",
        ],
        vec!["report", "--period", "2024H1", "--template", "half", "--out", report],
    ];
    let mut out = Vec::new();
    for args in runs {
        let mut all: Vec<&str> = global.to_vec();
        all.extend(&args);
        let r = youfu(d, &all);
        out.push((args.join(" ").replace(report, "REPORT"), r.code, r.stdout.replace(report, "REPORT")));
    }
    // The report draft and its figures, byte for byte.
    out.push(("report md".into(), 0, std::fs::read_to_string(d.join(report)).unwrap()));
    out.push(("report figures".into(), 0, std::fs::read_to_string(d.join(format!("{report}.figures.json"))).unwrap()));
    out
}

/// `batches` without the source's May draft (the one row a copy leaves out).
fn committed_batches(d: &Path, global: &[&str]) -> String {
    let mut args = global.to_vec();
    args.push("batches");
    ok(d, &args).stdout.lines().filter(|l| !l.contains("\t草稿\t")).map(|l| format!("{l}\n")).collect()
}

#[test]
fn a_county_copied_file_to_file_reads_the_same_everywhere_and_drafts_stay_behind() {
    let dir = county();
    let d = dir.path();
    let source_before = sha(&d.join("youfu.db"));
    init(d, &["--ledger", "copy.db"]);
    let r = ok(d, &["ledger", "copy", "--from", "youfu.db", "--to", "copy.db"]);
    // March: 541800.61 sent in 360 lines / 217 transfers, 叶贵树 14284.17 (3 lines) and 宋永新 783.00 (2 lines)
    // returned = 15067.17 in 5 lines; April re-issues 叶贵树's 3 lines.
    assert_eq!(
        r.stdout,
        "已把台账 youfu.db 中 2 个月（2024-03 至 2024-04）的已确认发放历史复制到台账 copy.db，共 724 笔明细，合计 1,151,081.26 元；复制后逐月核对笔数和金额，全部一致：\n\
         月份\t明细笔数\t合计（元）\t代发笔数\t代发金额（元）\t退回笔数\t退回（元）\t重发笔数\n\
         2024-03\t360\t541,800.61\t217\t541,800.61\t5\t15,067.17\t0\n\
         2024-04\t364\t609,280.65\t218\t609,280.65\t0\t0.00\t3\n\
         发放草稿不复制：源台账中 2024-05 的草稿未复制，需要时在目标台账上重新运行 pay 生成。\n"
    );
    assert_eq!(sha(&d.join("youfu.db")), source_before, "the source is only read");

    let source = views(d, &[], "a.md");
    let copy = views(d, &["--ledger", "copy.db"], "b.md");
    for (s, c) in source.iter().zip(&copy) {
        assert_eq!(s, c);
    }
    // The views are real: the audit shows the late April and the returns; the report has its figures.
    assert!(source[0].2.contains("回盘延迟"), "{}", source[0].2);
    assert!(source[3].2.contains("退回（退回：户名不符），待重发"), "{}", source[3].2);
    assert!(source[2].2.contains("退回（失败：账户已销户），已在 2024-04 批次重发"), "{}", source[2].2);
    assert_eq!(committed_batches(d, &[]), committed_batches(d, &["--ledger", "copy.db"]));
    assert_eq!(committed_batches(d, &["--ledger", "copy.db"]).lines().count(), 3);

    // And on again, copy → a third file, with --json: the same history, the same views.
    init(d, &["--ledger", "again.db"]);
    let r = ok(d, &["ledger", "copy", "--from", "copy.db", "--to", "again.db", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((v["ok"].as_bool(), v["verified"].as_bool()), (Some(true), Some(true)));
    assert_eq!((v["lines"].as_i64(), v["total"].as_str()), (Some(724), Some("1151081.26")));
    assert_eq!(v["months"][0]["returned_fen"].as_i64(), Some(1_506_717));
    assert_eq!(v["months"][1]["reissues"].as_i64(), Some(3));
    assert_eq!(v["drafts_not_copied"], serde_json::json!([]));
    assert_eq!(v["county_code"], "110101");
    let again = views(d, &["--ledger", "again.db"], "c.md");
    assert_eq!(source, again);
}

#[test]
fn months_the_target_holds_are_never_merged_and_nothing_is_written() {
    let dir = county();
    let d = dir.path();
    init(d, &["--ledger", "copy.db"]);
    ok(d, &["ledger", "copy", "--from", "youfu.db", "--to", "copy.db"]);
    let held = sha(&d.join("copy.db"));
    let r = youfu(d, &["ledger", "copy", "--from", "youfu.db", "--to", "copy.db"]);
    assert_eq!(r.code, 7);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "错误：目标台账 copy.db 已有本县（市、区）2024-03、2024-04 的发放批次，不能把另一台账的同月历史合并进去；\
         未作任何修改。请复制到新建的台账（youfu init），或先核对两个台账为何都有这些月份\n"
    );
    assert_eq!(sha(&d.join("copy.db")), held);

    // A target with only an April draft of its own: refused for April alone, the draft left as it was.
    init(d, &["--ledger", "other.db"]);
    ok(
        d,
        &[
            "--ledger",
            "other.db",
            "pay",
            "--month",
            "2024-04",
            "--roster",
            "roster4.csv",
            "--standards",
            "standards.csv",
            "--out",
            "o4",
        ],
    );
    let before = sha(&d.join("other.db"));
    let r = youfu(d, &["ledger", "copy", "--from", "youfu.db", "--to", "other.db", "--json"]);
    assert_eq!(r.code, 7);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["code"], "LEDGER_MONTHS_HELD");
    assert!(
        v["message"].as_str().unwrap().starts_with("目标台账 other.db 已有本县（市、区）2024-04 的发放批次，"),
        "{v}"
    );
    assert_eq!(sha(&d.join("other.db")), before);
}

#[test]
fn a_missing_or_damaged_source_and_a_missing_target_are_refused_with_what_to_do() {
    let dir = county();
    let d = dir.path();
    init(d, &["--ledger", "copy.db"]);
    let target = sha(&d.join("copy.db"));

    let r = youfu(d, &["ledger", "copy", "--from", "nowhere.db", "--to", "copy.db"]);
    assert_eq!(r.code, 7);
    assert_eq!(r.stderr, "错误：找不到源台账 nowhere.db；未作任何修改。请用 --from 指定要复制的台账\n");
    assert!(!d.join("nowhere.db").exists());

    std::fs::write(d.join("damaged.db"), b"not a database, only text, but long enough to have a header......").unwrap();
    let r = youfu(d, &["ledger", "copy", "--from", "damaged.db", "--to", "copy.db"]);
    assert_eq!(r.code, 7);
    assert_eq!(
        r.stderr,
        "错误：台账 damaged.db 已损坏或不是数据库文件（不是 SQLite 数据库文件），未对该文件做任何修改。\
         请从备份恢复台账，或用 --ledger 指定正确的台账文件\n"
    );
    assert_eq!(sha(&d.join("copy.db")), target);

    // A target that does not exist yet: not made by copy; the printed command makes it, and the copy then works.
    let r = youfu(d, &["ledger", "copy", "--from", "youfu.db", "--to", "新台账.db"]);
    assert_eq!(r.code, 7);
    assert_eq!(
        r.stderr,
        "错误：目标台账 新台账.db 还没有新建；未作任何修改。台账只由 youfu init 新建，请先运行：youfu --ledger 新台账.db init\n\
         然后再运行本命令。\n"
    );
    assert!(!d.join("新台账.db").exists());
    let init_line = r.stderr.lines().next().unwrap().rsplit_once("请先运行：").unwrap().1;
    let args: Vec<&str> = init_line.split(' ').skip(1).collect();
    ok(d, &args);
    ok(d, &["ledger", "copy", "--from", "youfu.db", "--to", "新台账.db"]);
}

#[test]
fn usage_mistakes_are_refused_before_anything_is_opened() {
    let dir = county();
    let d = dir.path();
    let source = sha(&d.join("youfu.db"));
    for (args, message) in [
        (
            vec!["--ledger", "x.db", "ledger", "copy", "--from", "youfu.db", "--to", "y.db"],
            "错误：ledger copy 用 --from 和 --to 指定两个台账，不用 --ledger\n",
        ),
        (
            vec!["ledger", "copy", "--from", "youfu.db", "--to", "./youfu.db"],
            "错误：--from 和 --to 是同一个台账 youfu.db\n",
        ),
    ] {
        let r = youfu(d, &args);
        assert_eq!((r.code, r.stderr.as_str()), (2, message), "{args:?}");
    }
    assert_eq!(sha(&d.join("youfu.db")), source);

    // A PostgreSQL side needs the county's code (the ledger is shared); checked before connecting anywhere.
    std::fs::write(d.join("no-code.toml"), "county = \"示例县\"\n").unwrap();
    let r = youfu(
        d,
        &[
            "--config",
            "no-code.toml",
            "ledger",
            "copy",
            "--from",
            "youfu.db",
            "--to",
            "postgresql://youfu@127.0.0.1:1/youfu",
        ],
    );
    assert_eq!(r.code, 4);
    assert_eq!(
        r.stderr,
        "错误：配置文件 no-code.toml 没有设置 county_code：PostgreSQL 台账由多个县（市、区）共用，复制前须在配置文件中写明本县的 6 位行政区划代码（county_code = \"110101\" 这样），复制的是这个县的历史\n"
    );
}

/// A `--json` text with the ledger's own line ids blanked (`"line_id": 147` → `"line_id": …`, a 重发's
/// `"reissue_of"` too).
fn without_ids(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once("\"line_id\": ").or_else(|| l.split_once("\"reissue_of\": ")) {
            Some((head, value)) if value.starts_with(|c: char| c.is_ascii_digit()) => format!("{head}…\n"),
            _ => format!("{l}\n"),
        })
        .collect()
}

/// The test database's URL with the role's password in it (shown by youfu as `***`).
fn pg_url(db: &pg::TestDb) -> String {
    db.url_without_password().replacen("youfu@", &format!("youfu:{}@", pg::ROLE_PASSWORD), 1)
}

#[test]
fn a_county_copied_to_postgresql_and_back_reads_the_same() {
    let db = pg::shared().fresh_db("copy");
    let url = pg_url(&db);
    // How youfu names the database in messages: user@server:port/database, never the password.
    let shown = format!("youfu@{}:5432/{}", db.socket_dir().display(), url.rsplit('/').next().unwrap());
    let dir = county();
    let d = dir.path();
    // The database the DBA prepared is not a ledger until init: refused, with the init command — the URL without
    // its password, which the command then takes from PGPASSWORD (or ~/.pgpass), as psql would.
    let r = youfu(d, &["ledger", "copy", "--from", "youfu.db", "--to", &url]);
    assert_eq!(r.code, 7);
    let plain = db.url_without_password();
    let redacted = url.replace(pg::ROLE_PASSWORD, "***");
    assert_eq!(
        r.stderr,
        format!(
            "错误：目标台账 {redacted} 还没有新建；未作任何修改。台账只由 youfu init 新建，请先运行：youfu --ledger {plain} init\n\
             然后再运行本命令。\n"
        )
    );
    let init_line = r.stderr.lines().next().unwrap().rsplit_once("请先运行：").unwrap().1;
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_youfu"))
        .args(init_line.split(' ').skip(1))
        .current_dir(d)
        .env("PGPASSWORD", pg::ROLE_PASSWORD)
        .env("YOUFU_TODAY", "2026-06-15")
        .env_remove("YOUFU_CONFIG")
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let r = ok(d, &["ledger", "copy", "--from", "youfu.db", "--to", &url]);
    assert_eq!(
        r.stdout,
        format!(
            "已把台账 youfu.db 中 2 个月（2024-03 至 2024-04）的已确认发放历史复制到台账 {shown}，共 724 笔明细，合计 1,151,081.26 元；复制后逐月核对笔数和金额，全部一致：\n\
             月份\t明细笔数\t合计（元）\t代发笔数\t代发金额（元）\t退回笔数\t退回（元）\t重发笔数\n\
             2024-03\t360\t541,800.61\t217\t541,800.61\t5\t15,067.17\t0\n\
             2024-04\t364\t609,280.65\t218\t609,280.65\t0\t0.00\t3\n\
             发放草稿不复制：源台账中 2024-05 的草稿未复制，需要时在目标台账上重新运行 pay 生成。\n"
        )
    );
    assert!(!r.stdout.contains(pg::ROLE_PASSWORD));
    let source = views(d, &[], "a.md");
    let on_pg = views(d, &["--ledger", &url], "b.md");
    for (s, p) in source.iter().zip(&on_pg) {
        // history --json shows the lines' ids, which are each database's own (PostgreSQL numbers a commit's lines
        // in its own order); everything else is the same text.
        assert_eq!((&s.0, s.1, without_ids(&s.2)), (&p.0, p.1, without_ids(&p.2)));
    }
    assert!(source[4].2.contains("\"line_id\": "), "{}", source[4].2);
    assert_eq!(committed_batches(d, &[]), committed_batches(d, &["--ledger", &url]));

    // A second copy onto the database: refused, naming the months; the database as it was.
    let r = youfu(d, &["ledger", "copy", "--from", "youfu.db", "--to", &url]);
    assert_eq!(r.code, 7);
    assert_eq!(
        r.stderr,
        format!(
            "错误：目标台账 {shown} 已有本县（市、区）2024-03、2024-04 的发放批次，不能把另一台账的同月历史合并进去；\
             未作任何修改。请复制到新建的台账（youfu init），或先核对两个台账为何都有这些月份\n"
        )
    );
    assert_eq!(committed_batches(d, &["--ledger", &url]), committed_batches(d, &[]));

    // Back to a new file: the same again, byte for byte.
    init(d, &["--ledger", "back.db"]);
    let r = ok(d, &["ledger", "copy", "--from", &url, "--to", "back.db", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["lines"].as_i64(), v["total"].as_str(), v["county_code"].as_str()),
        (Some(724), Some("1151081.26"), Some("110101"))
    );
    assert_eq!(v["from"], shown.as_str());
    let back = views(d, &["--ledger", "back.db"], "c.md");
    assert_eq!(source, back);
    assert_eq!(committed_batches(d, &[]), committed_batches(d, &["--ledger", "back.db"]));

    // Another county's office on the same database copies nothing of 110101's: its history there is empty.
    std::fs::write(
        d.join("other.toml"),
        std::fs::read_to_string(d.join("youfu.toml")).unwrap().replace("110101", "110102"),
    )
    .unwrap();
    init(d, &["--config", "other.toml", "--ledger", "other.db"]);
    let r = ok(d, &["--config", "other.toml", "ledger", "copy", "--from", &url, "--to", "other.db"]);
    assert_eq!(
        r.stdout,
        format!(
            "台账 {shown} 中没有已确认发放的月份，没有可复制的历史；台账 other.db 未作任何修改。\n发放草稿不复制（源台账中没有草稿）。\n"
        )
    );
    // And the database's own guarantee holds through a copy: 110102 copying the same people's months onto the
    // shared ledger is refused — 110101 paid them there — naming 110101's batch; nothing is written.
    let r = youfu(d, &["--config", "other.toml", "ledger", "copy", "--from", "youfu.db", "--to", &url]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "错误：任才春（51990119401215945X）的残疾抚恤金 2024-03 正常已由行政区划代码 110101 的 2024-03 发放批次（批次号 1）\
             确认发放，不能重复发放；台账 {shown} 未作修改\n"
        )
    );
    let r = ok(d, &["--config", "other.toml", "--ledger", &url, "batches"]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
}
