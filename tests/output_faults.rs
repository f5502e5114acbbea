//! Faults of the output folder: a file that cannot be moved into place leaves --out and the ledger as they were;
//! a run killed outright leaves a work folder nobody can take for output, removed by the next run; a full disk
//! prints youfu's message alone.

mod common;
use common::{ROSTER, Run, STANDARDS, entries, init, workdir, youfu};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use youfu::output::atomic::{NOTE_NAME, PART_SUFFIX, WORK_PREFIX};

/// `pay` with the ledger l.db (made by `init` first when missing).
fn pay(dir: &Path, month: &str, out: &str, extra: &[&str]) -> Run {
    if !dir.join("l.db").exists() {
        init(dir, &["--ledger", "l.db"]);
    }
    let mut args = vec![
        "--ledger",
        "l.db",
        "pay",
        "--month",
        month,
        "--roster",
        "roster.csv",
        "--standards",
        "standards.csv",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    youfu(dir, &args)
}

/// The ledger as `batches --json` shows it (every batch, its status, totals and digests).
fn ledger(dir: &Path) -> String {
    let b = youfu(dir, &["--ledger", "l.db", "batches", "--json"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    b.stdout
}

fn work_folders(dir: &Path) -> Vec<String> {
    entries(dir).into_iter().filter(|e| e.starts_with(".youfu")).collect()
}

/// --out holds a folder named bank.csv: nothing is moved (not even the files that could be), no draft is
/// recorded, and `commit` finds nothing to commit.
#[test]
fn a_folder_named_like_the_bank_file_leaves_out_and_the_ledger_as_they_were() {
    let dir = workdir(ROSTER, STANDARDS);
    let first = pay(dir.path(), "2024-02", "out-02", &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = ledger(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("bank.csv")).unwrap();
    std::fs::write(out.join("bank.csv/mine.txt"), "a person's file").unwrap();
    std::fs::write(out.join("说明.txt"), "kept").unwrap();

    let r = pay(dir.path(), "2024-03", "out", &[]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "错误：无法把输出文件放入 out：out 中已有名为“bank.csv”的文件夹，youfu 不会替换它；\
         请移走或改名这个文件夹后重新运行。输出目录和台账都未改动。\n"
    );
    assert_eq!(entries(&out), ["bank.csv", "说明.txt"]);
    assert_eq!(entries(&out.join("bank.csv")), ["mine.txt"]);
    assert_eq!(ledger(dir.path()), before);
    assert!(work_folders(dir.path()).is_empty(), "{:?}", entries(dir.path()));

    let c = youfu(dir.path(), &["--ledger", "l.db", "commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    assert_eq!(c.code, 7, "{}", c.stderr);
    assert_eq!(
        c.stderr,
        "错误：台账 l.db 中没有 2024-03 的发放草稿：请先用 youfu pay 计算 2024-03 的发放，银行代发完成后再确认\n"
    );
}

/// `kill -9` while pay waits for the ledger: its work folder stays (nothing can remove it), but it is named
/// `.youfu-未完成-<pid>-…`, holds a note saying it is unfinished and no file under a finished file's name; the
/// next pay beside it removes it and says so.
#[test]
fn a_killed_pay_leaves_an_unmistakable_folder_that_the_next_run_removes() {
    let dir = workdir(ROSTER, STANDARDS);
    let first = pay(dir.path(), "2024-02", "out-02", &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);

    // Another process holds the ledger's write lock: pay writes its files, then waits to record its draft.
    let lock = rusqlite::Connection::open(dir.path().join("l.db")).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_youfu"))
        .args(["--ledger", "l.db", "pay", "--month", "2024-03", "--roster", "roster.csv"])
        .args(["--standards", "standards.csv", "--out", "out", "--no-xlsx"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let work = loop {
        if let Some(w) = work_folders(dir.path()).pop()
            && entries(&dir.path().join(&w)).contains(&format!("bank.csv{PART_SUFFIX}"))
        {
            break w;
        }
        assert!(started.elapsed() < Duration::from_secs(4), "pay never wrote its bank file: {:?}", entries(dir.path()));
        assert!(child.try_wait().unwrap().is_none(), "pay ended before it was killed");
        std::thread::sleep(Duration::from_millis(10));
    };
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);

    assert!(work.starts_with(&format!("{WORK_PREFIX}{}-", child.id())), "{work}");
    let inside = entries(&dir.path().join(&work));
    assert!(inside.contains(&NOTE_NAME.to_string()), "{inside:?}");
    for f in &inside {
        assert!(f == NOTE_NAME || f == ".lock" || f.ends_with(PART_SUFFIX), "a file named like output: {inside:?}");
    }
    let note = std::fs::read_to_string(dir.path().join(&work).join(NOTE_NAME)).unwrap();
    assert!(note.contains(&format!("进程号 {}", child.id())) && note.contains("不能用于发放"), "{note}");
    assert!(!dir.path().join("out").exists());

    let again = pay(dir.path(), "2024-03", "out", &["--no-xlsx"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stderr, format!("提示：已删除此前被中断的运行留下的未完成文件夹 ./{work}\n"));
    assert!(work_folders(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    assert_eq!(
        entries(&dir.path().join("out")),
        ["bank.csv", "exceptions.csv", "manifest.json", "payments.csv", "recoveries.csv"]
    );
}

/// A full disk under --out (a 64 KiB tmpfs filled up, mounted in a mount namespace of the test's own so
/// nothing outside sees it): youfu's message alone — before, rust_xlsxwriter's zip writer printed its debug text
/// (`ZipWriter::drop: failed to finalize archive: Io(Os {…})`) first. Nothing is left on the disk and no draft is
/// recorded. Needs root (or a user namespace) for `unshare -m` and `mount`: skipped, saying so, without.
#[test]
fn a_full_disk_prints_youfus_message_alone() {
    let dir = workdir(ROSTER, STANDARDS);
    let first = pay(dir.path(), "2024-02", "out-02", &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = ledger(dir.path());
    std::fs::create_dir(dir.path().join("full")).unwrap();
    let script = r#"mount -t tmpfs -o size=64k tmpfs full || exit 99
dd if=/dev/zero of=full/filler bs=4k 2>/dev/null
"$0" --ledger l.db pay --month 2024-03 --roster roster.csv --standards standards.csv --out full/out >stdout.txt 2>stderr.txt
echo $? >code.txt
ls -A full >left.txt"#;
    let status = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script, env!("CARGO_BIN_EXE_youfu")])
        .current_dir(dir.path())
        // A day outside December, so the notice about next year's calendar does not join the message.
        .env("YOUFU_TODAY", "2026-06-15")
        .stderr(Stdio::null())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot mount a small tmpfs here (unshare -m and mount need root)");
        return;
    }
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    assert_eq!(read("code.txt"), "5\n");
    assert_eq!(
        read("stderr.txt"),
        "错误：写入 payments.xlsx 失败：磁盘空间不足（No space left on device (os error 28)）。请腾出空间后重新运行\n"
    );
    assert_eq!(read("stdout.txt"), "");
    assert_eq!(read("left.txt"), "filler\n");
    assert_eq!(ledger(dir.path()), before);
}
