//! The throwaway PostgreSQL server of the tests (tests/support/pg.rs): it starts, gives each test a database of
//! its own that the role `youfu` reaches with its password only, and leaves nothing behind when dropped.

#[path = "support/pg.rs"]
mod pg;

#[test]
fn each_test_gets_its_own_database_reached_with_the_roles_password() {
    let server = pg::shared();
    let a = server.fresh_db("harness_a");
    let b = server.fresh_db("harness_b");
    assert_ne!(a.name, b.name);
    let mut client = a.connect();
    let version: String = client.query_one("SHOW server_version_num", &[]).unwrap().get(0);
    assert!(version.parse::<u32>().unwrap() >= 150000, "PostgreSQL 15 or later, got {version}");
    client.batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)").unwrap();
    // The other database does not see it.
    let mut other = b.connect();
    let n: i64 = other
        .query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 't'", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    // A wrong password is refused as a real server refuses it (SQLSTATE 28P01).
    let Err(err) = a.config().password("wrong").connect(postgres::NoTls) else { panic!("a wrong password let in") };
    assert_eq!(err.code(), Some(&postgres::error::SqlState::INVALID_PASSWORD), "{err}");
}

#[test]
fn a_dropped_server_is_stopped_and_its_folder_removed() {
    let server = pg::PgServer::start().unwrap_or_else(|e| panic!("{e}"));
    let root = server.socket_dir().to_path_buf();
    let pid_file = std::fs::read_to_string(root.join("data/postmaster.pid")).unwrap();
    let pid: u32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
    assert!(alive(pid));
    drop(server);
    assert!(!root.exists(), "{} left behind", root.display());
    assert!(!alive(pid), "postmaster {pid} still running");
}

#[test]
fn without_postgresql_the_tests_fail_saying_what_to_install() {
    let Err(why) = pg::PgServer::start_with(None) else { panic!("started a server without binaries") };
    assert_eq!(
        why,
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package `postgresql` \
         (apt-get update && apt-get install -y postgresql; .ci/run does this), or set YOUFU_PG_BINDIR to the \
         folder holding initdb"
    );
    // And the harness finds them on this machine (where .ci/run has installed them).
    assert!(pg::find_bindir().is_some_and(|dir| dir.join("initdb").is_file()));
}

/// Whether a process runs: it has a /proc entry that is not a zombie (an exited postmaster is reparented to
/// PID 1, which may take a moment to reap it).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S …": the state follows the last ')'.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().as_bytes().first() != Some(&b'Z')),
        Err(_) => false,
    }
}
