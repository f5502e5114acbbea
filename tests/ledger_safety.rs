//! The ledger under failure: a `pay` killed mid-write, two processes at once, and files that are not a youfu
//! ledger. In each case the ledger is as before (or exactly one process won) and no output is half-written.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

// Each story on both backends: `sqlite::…` and `postgresql::…`.
both_ledgers!(two_commits_of_one_month_at_once_commit_it_once, two_pays_of_one_month_at_once_leave_one_draft);

fn args_pay<'a>(month: &'a str, out: &'a str) -> Vec<&'a str> {
    vec!["pay", "--month", month, "--roster", "roster.csv", "--standards", "standards.csv", "--out", out]
}

fn batches_json(dir: &Path) -> serde_json::Value {
    let r = youfu(dir, &["batches", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v.get_mut("batches")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .for_each(|b| b.as_object_mut().unwrap().retain(|k, _| k != "created" && k != "committed_at"));
    v
}

#[test]
fn a_pay_killed_while_writing_the_ledger_changes_nothing() {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    init(d, &[]);
    assert_eq!(youfu(d, &args_pay("2024-02", "out/2024-02")).code, 0);
    assert_eq!(youfu(d, &["commit", "--month", "2024-02", "--pay-date", "2024-02-08"]).code, 0);
    assert_eq!(youfu(d, &args_pay("2024-03", "out/2024-03")).code, 0); // a draft for March exists
    std::fs::remove_dir_all(d.join("out/2024-03")).unwrap();
    let before = batches_json(d);
    let db_before = std::fs::read(d.join("youfu.db")).unwrap();
    for after_lines in ["0", "1"] {
        let out = Command::new(env!("CARGO_BIN_EXE_youfu"))
            .args(args_pay("2024-03", "out/2024-03"))
            .current_dir(d)
            .env("YOUFU_TEST_ABORT_AFTER_LINES", after_lines)
            .output()
            .unwrap();
        assert!(!out.status.success(), "the process must die");
        assert_eq!(out.status.code(), None, "killed by a signal, not an orderly exit");
        assert!(!d.join("out/2024-03").exists(), "no output folder");
        assert_eq!(batches_json(d), before, "the ledger is as before");
    }
    // A journal may remain next to the file until the next open rolls it back; the content is unchanged.
    let r = youfu(d, &["history", "--id", "440304198001010017", "--json"]);
    assert_eq!(r.code, 0);
    assert_eq!(batches_json(d), before);
    assert_eq!(std::fs::read(d.join("youfu.db")).unwrap().len(), db_before.len());
}

fn two_commits_of_one_month_at_once_commit_it_once() {
    for _ in 0..3 {
        let dir = workdir(ROSTER, STANDARDS);
        let d = dir.path();
        init(d, &[]);
        assert_eq!(youfu(d, &args_pay("2024-03", "out")).code, 0);
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_youfu"))
                .args(["commit", "--month", "2024-03", "--pay-date", "2024-03-15"])
                .current_dir(d)
                .output()
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(spawn);
            let b = s.spawn(spawn);
            (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
        });
        let mut codes = [a.status.code().unwrap(), b.status.code().unwrap()];
        codes.sort();
        assert_eq!(codes[0], 0, "one commit succeeds");
        assert!(codes[1] == 6 || codes[1] == 7, "the other is refused cleanly: {codes:?}");
        let loser = if a.status.success() { &b } else { &a };
        let msg = String::from_utf8_lossy(&loser.stderr);
        assert!(msg.contains("已于") || msg.contains("正被另一个 youfu 进程使用"), "{msg}");
        let v = batches_json(d);
        let committed = v["batches"].as_array().unwrap().iter().filter(|b| b["status"] == "committed").count();
        assert_eq!(committed, 1);
    }
}

fn two_pays_of_one_month_at_once_leave_one_draft() {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    init(d, &[]);
    let spawn = |out: &'static str| {
        Command::new(env!("CARGO_BIN_EXE_youfu")).args(args_pay("2024-03", out)).current_dir(d).output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| spawn("out-a"));
        let b = s.spawn(|| spawn("out-b"));
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    for o in [&a, &b] {
        let code = o.status.code().unwrap();
        assert!(code == 0 || code == 7, "{code}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let v = batches_json(d);
    assert_eq!(v["batches"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["batches"][0]["status"], "draft");
}

fn refused_ledger(bytes: &[u8], code: &str, message_start: &str) {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    std::fs::write(d.join("youfu.db"), bytes).unwrap();
    let r = youfu(d, &args_pay("2024-03", "out"));
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(r.stderr.starts_with(message_start), "{}", r.stderr);
    assert!(!d.join("out").exists());
    assert_eq!(std::fs::read(d.join("youfu.db")).unwrap(), bytes, "the file is untouched");
    let j = youfu(d, &["--ledger", "youfu.db", "batches", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["code"], code);
}

#[test]
fn a_file_that_is_not_a_ledger_is_refused_untouched() {
    refused_ledger(
        b"these are the minutes of the meeting, not a database......................................................",
        "LEDGER_CORRUPT",
        "错误：台账 youfu.db 已损坏或不是数据库文件（",
    );
}

/// A zero-byte file where the ledger should be (an empty file made by mistake, a copy cut short) is not a ledger:
/// refused, not silently made a new ledger.
#[test]
fn a_zero_byte_ledger_file_is_refused_untouched() {
    refused_ledger(
        b"",
        "LEDGER_NOT_YOUFU",
        "错误：文件 youfu.db 不是 youfu 台账（文件是空的（0 字节）），未对该文件做任何修改。请用 --ledger 指定正确的台账文件\n",
    );
}

#[test]
fn another_applications_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("other.db");
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch(
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL); INSERT INTO invoices VALUES (1, 9.5);",
    )
    .unwrap();
    drop(c);
    refused_ledger(&std::fs::read(&p).unwrap(), "LEDGER_NOT_YOUFU", "错误：文件 youfu.db 不是 youfu 台账（");
}
