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
