//! Helpers shared by the CLI tests: run the binary, make small input files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `youfu` with `args` in `dir` (no youfu.toml there unless the test wrote one; `YOUFU_CONFIG` from the
/// developer's environment is removed). "Today" is fixed to a day
/// outside December (`YOUFU_TODAY`), so the December next-year notice does not depend on when tests run.
pub fn youfu(dir: &Path, args: &[&str]) -> Run {
    youfu_on(dir, args, "2026-06-15")
}

/// `youfu` as if today were `today` (YYYY-MM-DD).
pub fn youfu_on(dir: &Path, args: &[&str], today: &str) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_youfu"))
        .args(args)
        .current_dir(dir)
        .env("YOUFU_TODAY", today)
        .env_remove("YOUFU_CONFIG")
        .output()
        .expect("run youfu");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The county `init` is given in tests.
pub const COUNTY: &str = "示例县";
pub const COUNTY_CODE: &str = "110101";

/// `youfu <global> init` in `dir`, asserting success: creates the ledger that later commands run with the same
/// `global` flags (`--config`, `--ledger`) in `dir` will find — only `init` creates a ledger. When there is no
/// config to use (no file at `--config`, or no youfu.toml in `dir`), init also writes one (county 示例县, code
/// 110101, every other key at its default; with `--ledger`, `ledger` set to it), so `dir` gains a youfu.toml.
///
/// With `YOUFU_TEST_LEDGER=postgresql` in the environment, a ledger that would be the configuration's SQLite file
/// is a fresh database on the throwaway PostgreSQL server instead (tests/support/pg.rs): the config gains
/// `ledger = "postgresql://…"` (or `--ledger URL` makes init write it), so the stories run on the shared ledger.
pub fn init(dir: &Path, global: &[&str]) -> Run {
    let config = match global.iter().position(|a| *a == "--config") {
        Some(i) => dir.join(global[i + 1]),
        None => dir.join("youfu.toml"),
    };
    let mut args: Vec<&str> = global.to_vec();
    let url = postgresql_ledger(&config, global);
    if let (Some(url), false) = (&url, config.is_file()) {
        args.extend(["--ledger", url.as_str()]);
    }
    args.push("init");
    if !config.is_file() {
        args.extend(["--county", COUNTY, "--county-code", COUNTY_CODE]);
    }
    let r = youfu(dir, &args);
    assert_eq!(r.code, 0, "youfu {args:?}\n{}{}", r.stdout, r.stderr);
    r
}

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub const ROSTER: &str = "\
姓名,身份证号,类别,等级,性质,城乡,乡镇,银行账号,死亡日期
张三,440304198001010017,残疾军人,一级,因战,城镇,城关镇,6217000000000000004,
李四,11010519491231002X,烈士遗属,,,农村,东坝镇,79927398713,
";

pub const STANDARDS: &str = "\
项目,类别,等级,性质,金额,计发单位,起始日期,依据
残疾抚恤金,残疾军人,一级,因战,106670,元/年,2022-08-01,示例文件一
定期抚恤金,烈士遗属,,,27980,元/年,2022-08-01,示例文件二
";

/// A temporary folder holding roster.csv and standards.csv with the given texts.
pub fn workdir(roster: &str, standards: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roster.csv"), roster).unwrap();
    std::fs::write(dir.path().join("standards.csv"), standards).unwrap();
    dir
}

/// Names of the entries in a folder, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// The throwaway PostgreSQL server (shared with the PostgreSQL stories).
#[path = "support/pg.rs"]
pub mod pg;

/// Under `YOUFU_TEST_LEDGER=postgresql`, for an `init` without `--ledger` whose config names no ledger: a fresh
/// database's URL (password included), written into the config when there is one (else init is given it).
fn postgresql_ledger(config: &Path, global: &[&str]) -> Option<String> {
    if std::env::var("YOUFU_TEST_LEDGER").ok().as_deref() != Some("postgresql") || global.contains(&"--ledger") {
        return None;
    }
    let text = std::fs::read_to_string(config).ok();
    if text.as_deref().is_some_and(|t| t.lines().any(|l| l.trim_start().starts_with("ledger"))) {
        return None;
    }
    // Kept for the whole test binary: the server and its databases go when the binary ends.
    let db: &'static pg::TestDb = Box::leak(Box::new(pg::shared().fresh_db("story")));
    let url = db.url_without_password().replacen("youfu@", &format!("youfu:{}@", pg::ROLE_PASSWORD), 1);
    if let Some(text) = text {
        // A top-level key: before any [table].
        std::fs::write(config, format!("ledger = \"{url}\"\n{text}")).unwrap();
    }
    Some(url)
}
