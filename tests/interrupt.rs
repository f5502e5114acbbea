//! An interrupted run (Ctrl-C on a terminal, SIGTERM from a supervisor) leaves nothing behind: the hidden folder
//! its files were being written into is removed, the ledger is as it was, and the exit code says so (130).

mod common;
use common::{ROSTER, STANDARDS, entries, init, workdir, youfu};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Entries of `dir` that are youfu's temporary output folders.
fn temporaries(dir: &std::path::Path) -> Vec<String> {
    entries(dir).into_iter().filter(|e| e.starts_with(youfu::output::atomic::WORK_PREFIX)).collect()
}

fn pay_args(month: &str) -> Vec<String> {
    ["--ledger", "l.db", "pay", "--month", month, "--roster", "roster.csv", "--standards", "standards.csv"]
        .iter()
        .map(|s| s.to_string())
        .chain(["--out".to_string(), format!("out-{month}")])
        .collect()
}

/// Ctrl-C on a terminal sends SIGINT; a supervisor (systemd, a cron wrapper's timeout) sends SIGTERM.
#[test]
fn an_interrupted_pay_leaves_no_files_and_no_draft() {
    for signal in ["-INT", "-TERM"] {
        interrupted_pay(signal);
    }
}

fn interrupted_pay(signal: &str) {
    let dir = workdir(ROSTER, STANDARDS);
    // The ledger, and a first month in it.
    init(dir.path(), &["--ledger", "l.db"]);
    let first = youfu(dir.path(), &pay_args("2024-02").iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(first.code, 0, "{}", first.stderr);

    // Another process holds the ledger's write lock: the second `pay` writes its files into the hidden folder,
    // then waits (up to five seconds) to record its draft. It is interrupted while it waits.
    let lock = rusqlite::Connection::open(dir.path().join("l.db")).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_youfu"))
        .args(pay_args("2024-03"))
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while temporaries(dir.path()).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(4), "pay never began writing its files");
        assert!(child.try_wait().unwrap().is_none(), "pay ended before it was interrupted");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let it reach the ledger, then interrupt it.
    std::thread::sleep(Duration::from_millis(300));
    let sent = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{signal}: {stderr}");
    assert!(stderr.contains("已中断：未完成的输出已删除。"), "{stderr}");
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);

    // Nothing of the second month: no folder, no hidden folder, no draft.
    assert_eq!(entries(dir.path()), ["l.db", "out-2024-02", "roster.csv", "standards.csv", "youfu.toml"]);
    let batches = youfu(dir.path(), &["--ledger", "l.db", "batches", "--json"]);
    assert_eq!(batches.code, 0, "{}", batches.stderr);
    assert!(batches.stdout.contains("2024-02") && !batches.stdout.contains("2024-03"), "{}", batches.stdout);
}
