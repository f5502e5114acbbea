//! A throwaway PostgreSQL server for tests, started from the distribution's server binaries (Debian's
//! `postgresql` package): a data folder made by `initdb` in a temporary folder, `pg_ctl start` listening on a
//! Unix socket in that folder only (no TCP port, so parallel test runs cannot collide), `fsync=off` (the data is
//! thrown away). initdb runs once per machine and PostgreSQL version: its result is kept as a template in the
//! temporary folder and copied for each server (see `PgServer::template`).
//!
//! One server per test binary (`shared()`), started by the first test that asks; each test takes a fresh
//! database of its own (`PgServer::fresh_db`), owned by the role `youfu` that logs in with a password (as a
//! county's officer would), while the harness administers as the superuser `postgres` over the socket (trust).
//!
//! Shared by the library's unit tests (included with `#[path]` from `src/ledger/pg`) and the integration tests
//! (`#[path = "support/pg.rs"] mod pg;`), so it uses nothing but the postgres crate, tempfile and std.
//!
//! Why a watchdog process: a `static` is never dropped, and a test binary may also be killed. Each server comes
//! with a small `sh` whose standard input is a pipe from this process; when the pipe closes — the server value
//! dropped, or this process gone for whatever reason (normal exit, panic, abort, SIGKILL) — it stops the server
//! (`pg_ctl stop -m immediate`) and removes the folder. It ignores SIGINT/SIGHUP so that a Ctrl-C on
//! `cargo test`, which reaches the whole process group, does not kill it before it has cleaned up.
//!
//! As root (CI, this project's machines) PostgreSQL refuses to run, so every server command runs as the
//! `postgres` user through `runuser -u postgres --` (there is no sudo), and the folder is created in /tmp and
//! given to that user. If the server binaries are missing the tests fail, saying to install `postgresql`:
//! a ledger test that silently skips would hide a backend nobody tested.
#![allow(dead_code)]

use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The login role the tests connect as, and its password.
pub const ROLE: &str = "youfu";
pub const ROLE_PASSWORD: &str = "youfu-test-secret";

/// A running throwaway server. Dropping it stops the server and removes its folder.
pub struct PgServer {
    /// The temporary folder: `data/`, `server.log` and the socket `.s.PGSQL.5432`.
    root: PathBuf,
    bindir: PathBuf,
    /// The watchdog; closing its stdin makes it stop the server and remove `root`.
    watchdog: Mutex<Option<(Child, ChildStdin)>>,
    /// How long initdb + start took.
    pub startup: Duration,
    next_db: AtomicUsize,
}

/// A database of its own for one test, dropped (best effort) with the value.
pub struct TestDb {
    pub name: String,
    socket_dir: PathBuf,
}

/// The server shared by every test of this binary, started on first use. Panics (failing the test) with the
/// reason when PostgreSQL is not installed or does not start; later callers get the same message.
pub fn shared() -> &'static PgServer {
    static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
    match SERVER.get_or_init(PgServer::start) {
        Ok(server) => server,
        Err(why) => panic!("{why}"),
    }
}

/// The folder of the PostgreSQL server binaries: `YOUFU_PG_BINDIR`, else the newest
/// /usr/lib/postgresql/<version>/bin holding `initdb` (Debian keeps them off PATH), else `pg_config --bindir`,
/// else the folder of an `initdb` on PATH.
pub fn find_bindir() -> Option<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("YOUFU_PG_BINDIR") {
        return Some(PathBuf::from(dir)).filter(|d| has_initdb(d));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_initdb(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_initdb(&dir) {
            return Some(dir);
        }
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| has_initdb(d))
}

/// Whether this process runs as root (PostgreSQL refuses to): /proc/self belongs to the effective user.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

impl PgServer {
    /// initdb + pg_ctl start in a new temporary folder. Err is the message the tests fail with.
    pub fn start() -> Result<PgServer, String> {
        PgServer::start_with(find_bindir())
    }

    /// `start` with the server binaries found (or not) already.
    pub fn start_with(bindir: Option<PathBuf>) -> Result<PgServer, String> {
        let started = Instant::now();
        let bindir = bindir.ok_or_else(|| {
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package `postgresql` \
             (apt-get update && apt-get install -y postgresql; .ci/run does this), or set YOUFU_PG_BINDIR \
             to the folder holding initdb"
                .to_string()
        })?;
        let as_root = running_as_root();
        // As root, a folder in /tmp (world-traversable) that the postgres user can own; TMPDIR may be private.
        let parent = if as_root { PathBuf::from("/tmp") } else { std::env::temp_dir() };
        let root = tempfile::Builder::new()
            .prefix("youfu-pg-")
            .tempdir_in(&parent)
            .map_err(|e| format!("cannot create a folder for the test server in {}: {e}", parent.display()))?
            .keep();
        // The watchdog first, so that the folder is removed even when initdb fails half-way.
        let mut server = PgServer {
            watchdog: Mutex::new(None),
            startup: Duration::ZERO,
            next_db: AtomicUsize::new(0),
            root,
            bindir,
        };
        server.spawn_watchdog(as_root)?;
        if as_root {
            let pg_user = user_ids("postgres").ok_or_else(|| {
                "running as root, but there is no `postgres` user to run the test server as \
                 (the Debian package `postgresql` creates it: apt-get install -y postgresql)"
                    .to_string()
            })?;
            std::os::unix::fs::chown(&server.root, Some(pg_user.0), Some(pg_user.1))
                .map_err(|e| format!("cannot give {} to the postgres user: {e}", server.root.display()))?;
        }
        std::fs::set_permissions(&server.root, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot set the mode of {}: {e}", server.root.display()))?;
        let data = server.root.join("data");
        let template = server.template(as_root)?;
        // cp -a keeps the owner (postgres) and the 0700 mode PostgreSQL insists on.
        let copied = Command::new("cp")
            .arg("-a")
            .arg(&template)
            .arg(&data)
            .output()
            .map_err(|e| format!("cannot run cp: {e}"))?;
        if !copied.status.success() {
            return Err(format!(
                "cannot copy {} to {}: {}",
                template.display(),
                data.display(),
                String::from_utf8_lossy(&copied.stderr)
            ));
        }
        // max_connections at PostgreSQL's default (100): tests/pg_concurrency.rs runs 40 youfu processes at once,
        // and at 40 they were refused a connection slot instead of racing on the ledger.
        let options = format!(
            "-k '{}' -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=100 -c shared_buffers=64MB",
            server.root.display()
        );
        let log = server.root.join("server.log");
        let started_server = server.run(
            as_root,
            "pg_ctl",
            &[
                "start".as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "60".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
            ],
        );
        if let Err(why) = started_server {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("{why}\nserver log:\n{log}"));
        }
        let mut admin = server.admin("postgres")?;
        admin
            .batch_execute(&format!("CREATE ROLE {ROLE} LOGIN PASSWORD '{ROLE_PASSWORD}'"))
            .map_err(|e| format!("cannot create the test role: {e}"))?;
        server.startup = started.elapsed();
        eprintln!("PostgreSQL test server in {} started in {} ms", server.root.display(), server.startup.as_millis());
        Ok(server)
    }

    /// The folder holding the server's Unix socket (the `host` to connect to).
    pub fn socket_dir(&self) -> &Path {
        &self.root
    }

    /// A superuser connection to `dbname`, over the socket.
    pub fn admin(&self, dbname: &str) -> Result<postgres::Client, String> {
        postgres::Config::new()
            .host_path(&self.root)
            .user("postgres")
            .dbname(dbname)
            .connect(postgres::NoTls)
            .map_err(|e| format!("cannot connect to the test server as postgres: {e}"))
    }

    /// A new empty database owned by `youfu`, named after the test (`prefix`) and a counter.
    pub fn fresh_db(&self, prefix: &str) -> TestDb {
        let n = self.next_db.fetch_add(1, Ordering::Relaxed);
        let clean: String =
            prefix.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        let name = format!("t{n}_{}", &clean[..clean.len().min(40)]);
        let mut admin = self.admin("postgres").unwrap_or_else(|e| panic!("{e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name} OWNER {ROLE}"))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        TestDb { name, socket_dir: self.root.clone() }
    }

    /// A freshly initdb'd data folder to copy, made once per PostgreSQL version and user and kept in the temporary
    /// folder (`youfu-pg-template-<version>-<uid>`, about 40 MB): initdb takes 1–3 s, a copy a fraction of that,
    /// and every test binary starts a server. Built under a unique name and renamed into place, so two test
    /// binaries building it at once both end with a whole one.
    fn template(&self, as_root: bool) -> Result<PathBuf, String> {
        let version = self
            .bindir
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "pg".to_string());
        let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0);
        let parent = self.root.parent().expect("the server folder is in a temporary folder");
        let template = parent.join(format!("youfu-pg-template-{version}-{uid}"));
        if template.join("PG_VERSION").is_file() && template.join("pg_hba.conf").is_file() {
            return Ok(template);
        }
        let building = self.root.join("template");
        self.run(
            as_root,
            "initdb",
            &[
                "-D".as_ref(),
                building.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--auth-local=trust".as_ref(),
                "--no-sync".as_ref(),
                "--no-instructions".as_ref(),
            ],
        )?;
        // The superuser over the socket without a password (the harness); everyone else with one (the tests, as
        // a county's role would log in), so that a wrong password is refused as on a real server.
        std::fs::write(building.join("pg_hba.conf"), "local all postgres trust\nlocal all all scram-sha-256\n")
            .map_err(|e| format!("cannot write pg_hba.conf: {e}"))?;
        if std::fs::rename(&building, &template).is_err() && !template.join("pg_hba.conf").is_file() {
            return Err(format!("cannot move the template data folder to {}", template.display()));
        }
        Ok(template)
    }

    fn spawn_watchdog(&mut self, as_root: bool) -> Result<(), String> {
        let script = r#"trap '' INT HUP
cat >/dev/null
if [ -f "$1/data/postmaster.pid" ]; then
  if [ "$3" = root ]; then
    runuser -u postgres -- "$2/pg_ctl" stop -D "$1/data" -m immediate -w >/dev/null 2>&1
  else
    "$2/pg_ctl" stop -D "$1/data" -m immediate -w >/dev/null 2>&1
  fi
fi
rm -rf "$1"
"#;
        let mut child = Command::new("sh")
            .args(["-c", script, "youfu-pg-watchdog"])
            .arg(&self.root)
            .arg(&self.bindir)
            .arg(if as_root { "root" } else { "user" })
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the test server's watchdog (sh): {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        *self.watchdog.lock().unwrap() = Some((child, stdin));
        Ok(())
    }

    /// Run one of the server's programs (as postgres when root), in the server's folder; Err with its output.
    fn run(&self, as_root: bool, program: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let exe = self.bindir.join(program);
        let mut cmd = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(&self.root)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}):\n{}{}",
                exe.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Some((mut child, mut stdin)) = self.watchdog.lock().unwrap().take() {
            let _ = stdin.flush();
            drop(stdin);
            let _ = child.wait();
        }
    }
}

impl TestDb {
    /// The folder of the server's socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Connection settings for the role `youfu` with its password, over the socket.
    pub fn config(&self) -> postgres::Config {
        let mut config = postgres::Config::new();
        config.host_path(&self.socket_dir).user(ROLE).password(ROLE_PASSWORD).dbname(&self.name);
        config
    }

    /// A connection as `youfu` (the owner of the database).
    pub fn connect(&self) -> postgres::Client {
        self.config().connect(postgres::NoTls).unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.name))
    }

    /// `postgresql://youfu@%2Ftmp%2F…/name` (no password: give it through PGPASSWORD or ~/.pgpass in a test).
    pub fn url_without_password(&self) -> String {
        format!("postgresql://{ROLE}@{}/{}", encode_path(&self.socket_dir), self.name)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Best effort: the whole server goes away at the end of the test binary anyway.
        if let Ok(mut admin) = postgres::Config::new()
            .host_path(&self.socket_dir)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// A socket folder as the host part of a URL: every byte but unreserved ones percent-encoded.
pub fn encode_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(b) {
            out.push(*b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// uid and gid of a user, from /etc/passwd (no libc in the dependencies).
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != user {
            return None;
        }
        let _password = fields.next()?;
        Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
    })
}
