//! A bug ends with exit code 1 and one Chinese line with the version, as the README says, not Rust's panic text
//! and exit code 101. `YOUFU_TEST_PANIC` (read only in test builds, feature fault-injection) makes the run panic.

mod common;
use common::workdir;
use std::process::Command;

#[test]
fn a_panic_exits_1_with_a_chinese_line_and_the_version() {
    let dir = workdir(common::ROSTER, common::STANDARDS);
    let out = Command::new(env!("CARGO_BIN_EXE_youfu"))
        .args(["check", "--roster", "roster.csv", "--standards", "standards.csv"])
        .current_dir(dir.path())
        .env("YOUFU_TEST_PANIC", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // One line: the version, where (the test hook's line in src/cli/internal.rs), and the panic's message.
    let (before, after) = stderr.split_once(" 出错：").expect("one line with 出错：");
    assert_eq!(after, "YOUFU_TEST_PANIC\n");
    let place = before
        .strip_prefix(&format!("内部错误，请报告：youfu {} 在 src/cli/internal.rs:", env!("CARGO_PKG_VERSION")))
        .expect(&stderr);
    assert!(place.parse::<u32>().is_ok(), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// `youfu standards … | head` where the reader has gone before youfu writes: the run ends by SIGPIPE with nothing
/// on stderr, as cat or grep would — not with 内部错误 (Rust ignores SIGPIPE, so the print panicked).
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let dir = tempfile::tempdir().unwrap();
    // The read end is closed before youfu starts, so its first write fails whatever the timing.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let standards = fixtures.join("standards.xlsx");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_youfu"))
        .args(["standards", "--standards", standards.to_str().unwrap(), "--date", "2024-03-01"])
        .current_dir(dir.path())
        .stdout(writer)
        .output()
        .unwrap();
    // 13: SIGPIPE on Linux and the BSDs.
    assert_eq!(out.status.signal(), Some(13), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
