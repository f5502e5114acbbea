//! Helpers shared by the CLI tests: run the binary, make small input files.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
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
    youfu_env(dir, args, today, &[])
}

/// `youfu` with the test role's password in `PGPASSWORD`, as an officer whose youfu.toml names a PostgreSQL
/// ledger without the password would run it.
pub fn youfu_pg(dir: &Path, args: &[&str]) -> Run {
    youfu_env(dir, args, "2026-06-15", &[("PGPASSWORD", pg::ROLE_PASSWORD)])
}

/// `youfu_pg`, asserting success.
pub fn ok_pg(dir: &Path, args: &[&str]) -> Run {
    let r = youfu_pg(dir, args);
    assert_eq!(r.code, 0, "youfu {args:?}\n{}{}", r.stdout, r.stderr);
    r
}

fn youfu_env(dir: &Path, args: &[&str], today: &str, env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_youfu"))
        .args(args)
        .current_dir(dir)
        .env("YOUFU_TODAY", today)
        .env_remove("YOUFU_CONFIG")
        .envs(env.iter().copied())
        .output()
        .expect("run youfu");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    // In a postgresql:: story the ledger's URL in youfu.toml carries the role's password: no output may show it.
    if backend() == Backend::Postgresql {
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(pg::ROLE_PASSWORD), "youfu {args:?} showed the ledger's password:\n{text}");
        }
    }
    run
}

/// The county `init` is given in tests.
pub const COUNTY: &str = "示例县";
pub const COUNTY_CODE: &str = "110101";

/// `youfu <global> init` in `dir`, asserting success: creates the ledger that later commands run with the same
/// `global` flags (`--config`, `--ledger`) in `dir` will find — only `init` creates a ledger. When there is no
/// config to use (no file at `--config`, or no youfu.toml in `dir`), init also writes one (county 示例县, code
/// 110101, every other key at its default; with `--ledger`, `ledger` set to it), so `dir` gains a youfu.toml.
///
/// In a `postgresql::` story (see `both_ledgers!`), a ledger that would be the configuration's SQLite file is a
/// fresh database on the throwaway PostgreSQL server instead (tests/support/pg.rs): the config gains
/// `ledger = "postgresql://…"` (or `--ledger URL` makes init write it), so the story runs on the shared ledger.
/// An explicit `--ledger`, or a config that names a ledger, is kept as given on either backend.
pub fn init(dir: &Path, global: &[&str]) -> Run {
    let config = match global.iter().position(|a| *a == "--config") {
        Some(i) => dir.join(global[i + 1]),
        None => dir.join("youfu.toml"),
    };
    let mut args: Vec<&str> = global.to_vec();
    let url = postgresql_ledger(dir, &config, global);
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

/// Which ledger a story runs on: the county's SQLite file (the default), or a database of the throwaway
/// PostgreSQL server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgresql,
}

thread_local! {
    /// The backend of the story running on this thread. A thread, not the environment: the tests of one binary run
    /// in parallel threads of one process, `sqlite::x` beside `postgresql::y`.
    static BACKEND: Cell<Backend> = const { Cell::new(Backend::Sqlite) };
    /// The PostgreSQL database `init` gave each work folder on this thread (a folder's youfu.toml names it).
    static DATABASES: RefCell<Vec<(PathBuf, &'static pg::TestDb)>> = const { RefCell::new(Vec::new()) };
}

/// The backend of the story running on this thread (SQLite outside `both_ledgers!`).
pub fn backend() -> Backend {
    BACKEND.get()
}

/// Run `story` with `init` putting its ledgers on `backend`; what `both_ledgers!` generates calls this.
pub fn on_ledger(backend: Backend, story: fn()) {
    /// Puts the thread back to SQLite even when the story panics (the test harness may reuse the thread).
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            BACKEND.set(Backend::Sqlite);
            DATABASES.with_borrow_mut(Vec::clear);
        }
    }
    let _reset = Reset;
    BACKEND.set(backend);
    story();
    // A story whose every init kept a SQLite file (an explicit --ledger, a config naming one) would pass as a
    // postgresql:: test without ever touching the server.
    if backend == Backend::Postgresql {
        assert!(
            DATABASES.with_borrow(|dbs| !dbs.is_empty()),
            "this story made no PostgreSQL ledger: no init of it without --ledger in a folder whose config names none"
        );
    }
}

/// Each story named runs twice, as the tests `sqlite::<story>` (the county's SQLite file) and
/// `postgresql::<story>` (a fresh database of the throwaway PostgreSQL server): one set of CLI stories, both
/// backends, in plain `cargo test` (`cargo test postgresql::` runs only the PostgreSQL ones). The stories are
/// plain `fn name()` without `#[test]`; `init` and the helpers below (`ledger_in`, `Ledger::state`) follow the
/// backend. Once per test file, after `use common::*`:
///
/// ```ignore
/// both_ledgers!(a_story, another_story);
/// fn a_story() { let dir = …; init(dir.path(), &[]); … }
/// ```
#[allow(unused_macros)] // Test files without ledger stories include this module too.
macro_rules! both_ledgers {
    ($($story:ident),+ $(,)?) => {
        /// The stories on the county's SQLite file.
        mod sqlite {
            $(
                #[test]
                fn $story() {
                    $crate::common::on_ledger($crate::common::Backend::Sqlite, super::$story)
                }
            )+
        }
        /// The same stories on a database of the throwaway PostgreSQL server.
        mod postgresql {
            $(
                #[test]
                fn $story() {
                    $crate::common::on_ledger($crate::common::Backend::Postgresql, super::$story)
                }
            )+
        }
    };
}
#[allow(unused_imports)]
pub(crate) use both_ledgers;

/// The ledger a work folder's `init` made.
#[derive(Clone)]
pub enum Ledger {
    /// A SQLite file.
    File(PathBuf),
    Postgresql(&'static pg::TestDb),
}

/// The ledger of `dir` after `init(dir, &[])` there: on SQLite the file youfu.db in `dir` (the default beside the
/// youfu.toml), on PostgreSQL the database init created for the folder.
pub fn ledger_in(dir: &Path) -> Ledger {
    match backend() {
        Backend::Sqlite => Ledger::File(dir.join("youfu.db")),
        Backend::Postgresql => DATABASES.with_borrow(|dbs| {
            let db = dbs.iter().find(|(d, _)| d == dir).map(|(_, db)| *db);
            Ledger::Postgresql(db.unwrap_or_else(|| panic!("no PostgreSQL ledger was made for {}", dir.display())))
        }),
    }
}

/// Everything a ledger holds, to compare before and after a command that must write nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum LedgerState {
    /// The file's SHA-256: not one byte changed.
    File(String),
    /// Every row of every table of the `youfu` schema, as text, sorted, by table (batches, draft and committed
    /// lines, transfers, bank returns and returned lines, calculations, the schema version).
    Rows(Vec<(String, Vec<String>)>),
}

impl Ledger {
    /// The ledger's content now.
    pub fn state(&self) -> LedgerState {
        match self {
            Ledger::File(file) => LedgerState::File(youfu::output::atomic::sha256_hex(&std::fs::read(file).unwrap())),
            Ledger::Postgresql(db) => {
                let mut c = db.connect();
                let tables: Vec<String> = c
                    .query(
                        "SELECT table_name::text FROM information_schema.tables \
                         WHERE table_schema = 'youfu' AND table_type = 'BASE TABLE' ORDER BY 1",
                        &[],
                    )
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                assert!(tables.iter().any(|t| t == "lines"), "not a youfu ledger: {tables:?}");
                LedgerState::Rows(
                    tables
                        .into_iter()
                        .map(|t| {
                            let rows = c
                                .query(&format!("SELECT r::text FROM youfu.{t} AS r ORDER BY 1"), &[])
                                .unwrap()
                                .iter()
                                .map(|r| r.get(0))
                                .collect();
                            (t, rows)
                        })
                        .collect(),
                )
            }
        }
    }

    /// How youfu names this ledger in its messages when it found it through the folder's youfu.toml: the file's
    /// absolute path, or the server's database without the password (`youfu@<socket folder>:5432/<database>`).
    pub fn shown(&self) -> String {
        match self {
            Ledger::File(file) => file.display().to_string(),
            Ledger::Postgresql(db) => format!("{}@{}:5432/{}", pg::ROLE, db.socket_dir().display(), db.name),
        }
    }
}

/// In a `postgresql::` story, for an `init` without `--ledger` whose config names no ledger: a fresh database's
/// URL (password included), written into the config when there is one (else init is given it), and remembered as
/// `dir`'s ledger.
fn postgresql_ledger(dir: &Path, config: &Path, global: &[&str]) -> Option<String> {
    if backend() != Backend::Postgresql || global.contains(&"--ledger") {
        return None;
    }
    let text = std::fs::read_to_string(config).ok();
    if text.as_deref().is_some_and(|t| t.lines().any(|l| l.trim_start().starts_with("ledger"))) {
        return None;
    }
    // Kept for the whole test binary: the server and its databases go when the binary ends.
    let db: &'static pg::TestDb = Box::leak(Box::new(pg::shared().fresh_db("story")));
    DATABASES.with_borrow_mut(|dbs| dbs.push((dir.to_path_buf(), db)));
    let url = db.url_without_password().replacen("youfu@", &format!("youfu:{}@", pg::ROLE_PASSWORD), 1);
    if let Some(text) = text {
        // A top-level key: before any [table].
        std::fs::write(config, format!("ledger = \"{url}\"\n{text}")).unwrap();
    }
    Some(url)
}
