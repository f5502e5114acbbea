//! Where the ledger is (issue 19, part 1): the configuration found as git and cargo find theirs, a relative
//! `ledger` taken relative to the config file's folder, `youfu init` the only command that creates a ledger, and
//! every next-step command youfu prints runnable as printed.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// `youfu args` in `dir` with `YOUFU_CONFIG` set to `config`.
fn youfu_env(dir: &Path, config: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_youfu"))
        .args(args)
        .current_dir(dir)
        .env("YOUFU_CONFIG", config)
        .output()
        .expect("run youfu");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// An office: `root/conf/youfu.toml` (the fixtures' config, its ledger "youfu.db" → `root/conf/youfu.db`), the
/// fixtures' roster and standards in `root`, and two empty working folders `root/a` and `root/b`.
fn office() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["conf", "a", "b"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    std::fs::copy(fixtures().join("youfu.toml"), root.join("conf/youfu.toml")).unwrap();
    for name in ["roster.xlsx", "standards.csv"] {
        std::fs::copy(fixtures().join(name), root.join(name)).unwrap();
    }
    dir
}

fn pay_march(dir: &Path, global: &[&str]) -> Run {
    let mut args = global.to_vec();
    args.extend([
        "pay",
        "--month",
        "2024-03",
        "--roster",
        "../roster.xlsx",
        "--standards",
        "../standards.csv",
        "--out",
        "out",
    ]);
    youfu(dir, &args)
}

#[test]
fn from_a_second_folder_with_the_same_config_a_committed_month_is_refused() {
    let dir = office();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let cfg = ["--config", "../conf/youfu.toml"];
    let r = init(&a, &cfg);
    assert!(r.stdout.contains("已新建台账 ../conf/youfu.db"), "{}", r.stdout);
    assert_eq!(pay_march(&a, &cfg).code, 0);
    let r = youfu(&a, &["--config", "../conf/youfu.toml", "commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The ledger is beside the config, not in the working folder.
    assert!(dir.path().join("conf/youfu.db").exists());
    assert!(!a.join("youfu.db").exists());

    // b: the same config by --config, by YOUFU_CONFIG, and found in a parent folder — each finds the one ledger.
    let r = pay_march(&b, &cfg);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(r.stderr.contains("错误：2024-03 已于 "), "{}", r.stderr);
    let env_pay = ["pay", "--month", "2024-03", "--roster", "../roster.xlsx", "--standards", "../standards.csv"];
    let r = youfu_env(&b, "../conf/youfu.toml", &[&env_pay[..], &["--out", "out"]].concat());
    assert_eq!(r.code, 6, "{}", r.stderr);
    let deep = dir.path().join("conf/x/y");
    std::fs::create_dir_all(&deep).unwrap();
    let r = youfu(
        &deep,
        &["pay", "--month", "2024-03", "--roster", "../../../roster.xlsx", "--standards", "../../../standards.csv"]
            .iter()
            .chain(&["--out", "out"])
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    for d in [&b, &deep] {
        assert!(entries(d).is_empty(), "nothing written in {}: {:?}", d.display(), entries(d));
    }
}

#[test]
fn with_no_ledger_pay_and_the_other_commands_stop_and_print_the_init_command() {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    let pay = ["pay", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "out"];
    let r = youfu(d, &pay);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "错误：找不到台账 youfu.db（未找到配置文件（--config、环境变量 YOUFU_CONFIG、当前及上级文件夹中的 youfu.toml \
         都没有），按内置默认值为当前文件夹下的 youfu.db）。台账只由 youfu init 新建；如果这是第一次使用，请运行：\
         youfu init --county 县名 --county-code 6位行政区划代码\n\
         台账在别处时，请用 --ledger 指定，或在配置文件中设置 ledger。\n"
    );
    assert_eq!(entries(d), ["roster.csv", "standards.csv"], "no ledger, no output folder");
    // With a config (found in the folder), the init command needs nothing more; with --ledger, it carries it.
    std::fs::write(d.join("youfu.toml"), "county = \"示例县\"\ncounty_code = \"110101\"\n").unwrap();
    let r = youfu(d, &[&["--ledger", "my ledger.db"][..], &pay].concat());
    assert_eq!(r.code, 7);
    assert_eq!(
        r.stderr,
        "错误：找不到台账 my ledger.db（命令行 --ledger 指定）。台账只由 youfu init 新建；如果这是第一次使用，\
         请运行：youfu --ledger \"my ledger.db\" init\n\
         台账在别处时，请用 --ledger 指定，或在配置文件中设置 ledger。\n"
    );
    let json = youfu(d, &["batches", "--json"]);
    assert_eq!(json.code, 7);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!((v["code"].as_str(), v["error"].as_str()), (Some("LEDGER_MISSING"), Some("ledger")));
    for args in [
        &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"][..],
        &["history", "--id", "440304198001010017"],
        &["batches"],
        &["audit", "--from", "2024-01", "--to", "2024-03"],
        &["report", "--period", "2024H1"],
        &["arrears", "--from", "2024-01", "--to", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv"],
        &[
            "explain",
            "--id",
            "440304198001010017",
            "--month",
            "2024-03",
            "--roster",
            "roster.csv",
            "--standards",
            "standards.csv",
        ],
    ] {
        let r = youfu(d, args);
        assert_eq!(r.code, 7, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("请运行：youfu init\n"), "{args:?}: {}", r.stderr);
    }
    assert_eq!(entries(d), ["roster.csv", "standards.csv", "youfu.toml"], "no command created a ledger");
}

#[test]
fn init_writes_a_config_once_keeps_an_existing_ledger_and_refuses_what_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = youfu(d, &["init"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "错误：当前文件夹及上级文件夹中都没有 youfu.toml。新建配置文件和台账需要县名和 6 位行政区划代码，\
         例如：youfu init --county 示例县 --county-code 110101\n"
    );
    let r = youfu(d, &["init", "--county", "示例县", "--county-code", "11010"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "错误：--county-code “11010”不是 6 位数字的行政区划代码（如 110101）\n")
    );
    assert!(entries(d).is_empty());
    let r = youfu(d, &["init", "--county", "示例县", "--county-code", "110101"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first = format!(
        "已写出配置文件 youfu.toml（县：示例县，行政区划代码：110101；其余各项为默认值，可按文件中的说明修改）。\n\
         已新建台账 {}（配置文件 youfu.toml 中 ledger = \"youfu.db\"）。\n",
        "youfu.db"
    );
    assert!(r.stdout.starts_with(&first), "{}", r.stdout);
    let config = youfu::config::Config::load(&d.join("youfu.toml")).unwrap();
    assert_eq!((config.county.as_str(), config.county_code.as_str()), ("示例县", "110101"));
    assert_eq!(config.unit, "示例县退役军人事务局");
    let text = std::fs::read_to_string(d.join("youfu.toml")).unwrap();
    let ledger = std::fs::read(d.join("youfu.db")).unwrap();

    // Again: the found config is used as it is, the ledger left alone.
    let r = youfu(d, &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let found = d.join("youfu.toml");
    assert!(
        r.stdout.starts_with(&format!(
            "使用已有的配置文件 {}（未作修改）。\n台账 {} 已存在（0 个批次），未作任何修改。\n",
            found.display(),
            d.join("youfu.db").display()
        )),
        "{}",
        r.stdout
    );
    // A county that differs from the config's is refused: init never edits a config.
    let r = youfu(d, &["init", "--county", "别的县", "--county-code", "110101"]);
    assert_eq!(r.code, 4);
    assert_eq!(
        r.stderr,
        format!(
            "错误：配置文件 {} 已存在，其中 county = \"示例县\"（--county 为 别的县）。youfu init 不修改已有的配置文件：\
             请在文件中改好后运行 youfu init（不带 --county、--county-code），或用 --config 指定另一个配置文件\n",
            found.display()
        )
    );
    assert_eq!(std::fs::read_to_string(d.join("youfu.toml")).unwrap(), text);
    assert_eq!(std::fs::read(d.join("youfu.db")).unwrap(), ledger);

    // A zero-byte file where the ledger goes is not a ledger: refused, left as it is, and no config written.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("youfu.db"), b"").unwrap();
    let r = youfu(other.path(), &["init", "--county", "示例县", "--county-code", "110101"]);
    assert_eq!(r.code, 7);
    assert_eq!(
        r.stderr,
        "错误：文件 youfu.db 不是 youfu 台账（文件是空的（0 字节）），未对该文件做任何修改。请用 --ledger 指定正确的台账文件\n"
    );
    assert_eq!(entries(other.path()), ["youfu.db"]);
    assert!(std::fs::read(other.path().join("youfu.db")).unwrap().is_empty());
}

/// The commands printed after `：` on a line of `text` (the next steps youfu tells the user to run).
fn printed_commands(text: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.split_once("：youfu ").map(|(_, rest)| format!("youfu {rest}"))).collect()
}

/// Run `line` as a shell would, in `dir`, with `youfu` the binary under test.
fn run_line(dir: &Path, line: &str) -> Run {
    let exe = env!("CARGO_BIN_EXE_youfu");
    let line = line.strip_prefix("youfu ").expect("a youfu command");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("'{exe}' {line}"))
        .current_dir(dir)
        .env_remove("YOUFU_CONFIG")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// init → check and pay (init's lines, placeholders filled in) → commit (pay's line) → batches (commit's line):
/// each run exactly as printed, from the same folder, with a config and a ledger whose paths hold spaces.
#[test]
fn every_next_step_printed_by_init_pay_and_commit_runs_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("县 局")).unwrap();
    std::fs::copy(fixtures().join("roster.xlsx"), d.join("花名册.xlsx")).unwrap();
    std::fs::copy(fixtures().join("standards.xlsx"), d.join("标准表.xlsx")).unwrap();
    let global = ["--config", "县 局/youfu.toml", "--ledger", "县 局/台账 2024.db"];
    let r = youfu(d, &[&global[..], &["init", "--county", "示例县", "--county-code", "110101"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = printed_commands(&r.stdout);
    let prefix = "youfu --config \"县 局/youfu.toml\" --ledger \"县 局/台账 2024.db\"";
    assert_eq!(
        lines,
        [
            format!("{prefix} check --month YYYY-MM --roster 花名册.xlsx --standards 标准表.xlsx"),
            format!("{prefix} pay --month YYYY-MM --roster 花名册.xlsx --standards 标准表.xlsx --out 发放/YYYY-MM"),
        ]
    );
    // init wrote the ledger's place into the new config, relative to the config's folder.
    let config = youfu::config::Config::load(&d.join("县 局/youfu.toml")).unwrap();
    assert_eq!(config.ledger, "台账 2024.db");
    for line in &lines {
        let r = run_line(d, &line.replace("YYYY-MM", "2024-03"));
        assert_eq!(r.code, 0, "{line}\n{}{}", r.stdout, r.stderr);
    }
    // The pay run as init printed it planned no pay date: its commit line has the placeholder, and says so.
    let pay = run_line(d, &lines[1].replace("YYYY-MM", "2024-04").replace("发放/2024-04", "out-04"));
    let commit = printed_commands(&pay.stdout);
    assert_eq!(commit, [format!("{prefix} commit --month 2024-04 --pay-date YYYY-MM-DD")]);
    assert!(pay.stdout.ends_with("（把 YYYY-MM-DD 换成资金实际到账的日期）\n"), "{}", pay.stdout);

    // A late pay with its reason: the commit line carries the date and the reason, quoted, and runs as printed.
    let late = run_line(
        d,
        &format!(
            "{prefix} pay --month 2024-03 --roster 花名册.xlsx --standards 标准表.xlsx --out 发放/2024-03b \
             --pay-date 2024-03-21 --allow-late '财政资金 3月21日到位（\"晚一天\"）'"
        ),
    );
    assert_eq!(late.code, 0, "{}", late.stderr);
    let commit = printed_commands(&late.stdout);
    assert_eq!(
        commit,
        [format!(
            "{prefix} commit --month 2024-03 --pay-date 2024-03-21 --allow-late '财政资金 3月21日到位（\"晚一天\"）'"
        )]
    );
    let r = run_line(d, &commit[0]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let batches = printed_commands(&r.stdout);
    assert_eq!(batches, [format!("{prefix} batches")]);
    let r = run_line(d, &batches[0]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("2024-03") && r.stdout.contains("财政资金 3月21日到位"), "{}", r.stdout);
}

/// The case: `pay --config X`, then `commit` without it, from a folder whose own youfu.toml differs. The
/// refusal names the two config files and the keys that differ (not the roster or the standards).
#[test]
fn commit_with_another_config_names_the_files_and_the_keys_that_differ() {
    let dir = office();
    let a = dir.path().join("a");
    let cfg = ["--config", "../conf/youfu.toml"];
    init(&a, &cfg);
    assert_eq!(pay_march(&a, &cfg).code, 0);
    // a's own youfu.toml: the same ledger (by another path: not a difference), another unit and rounding mode.
    std::fs::write(
        a.join("youfu.toml"),
        "county = \"示例县\"\ncounty_code = \"110101\"\nunit = \"另一个单位\"\nledger = \"../conf/youfu.db\"\n[rounding]\nmode = \"half-even\"\n",
    )
    .unwrap();
    let r = youfu(&a, &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "错误：2024-03 的发放草稿生成后，配置已变化：生成草稿时用的是 {}，现在用的是 {}，不同的键：rounding.mode、unit\
             （请用生成草稿时的 --config 运行 commit）。未确认发放，台账未作修改。请重新运行 pay 后再确认\n",
            dir.path().canonicalize().unwrap().join("conf/youfu.toml").display(),
            a.canonicalize().unwrap().join("youfu.toml").display()
        )
    );
    // As printed by pay, with its --config, the commit goes through.
    let r = youfu(&a, &["--config", "../conf/youfu.toml", "commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A config named by --config or YOUFU_CONFIG that is not there is an error (exit 4), never the defaults; the
/// message gives the init command that writes it.
#[test]
fn a_named_config_that_is_missing_is_an_error_with_the_init_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = youfu(d, &["--config", "县 局/youfu.toml", "batches"]);
    assert_eq!(r.code, 4);
    assert_eq!(
        r.stderr,
        "错误：找不到配置文件 县 局/youfu.toml。新建配置文件和台账请运行：\
         youfu --config \"县 局/youfu.toml\" init --county 县名 --county-code 6位行政区划代码\n"
    );
    let r = youfu_env(d, "conf.toml", &["batches"]);
    assert_eq!(r.code, 4);
    assert_eq!(
        r.stderr,
        "错误：找不到配置文件 conf.toml（环境变量 YOUFU_CONFIG）。新建配置文件和台账请运行：\
         youfu --config conf.toml init --county 县名 --county-code 6位行政区划代码\n"
    );
    assert!(entries(d).is_empty());
}

/// A `postgresql://` ledger (issue 22) goes through the ledger seam to the PostgreSQL backend, for the county of
/// youfu.toml's `county_code` (without it the refusal is the configuration's, exit 4 — tests/counties_cli.rs): a
/// server that is not there is refused by every command, `init` included, with exit 7 naming it (never the
/// password), and nothing is written. A URL of another scheme is refused as a URL, not taken for a file.
#[test]
fn a_postgresql_ledger_on_a_server_that_is_not_there_is_refused() {
    let dir = workdir(ROSTER, STANDARDS);
    let d = dir.path();
    // Port 1 of this machine: nobody listens, the connection is refused at once.
    let url = "postgresql://youfu:s3cret@127.0.0.1:1/ledger";
    let refusal = "错误：无法连接台账数据库 youfu@127.0.0.1:1/ledger：连接被拒绝（服务器未启动，或端口不对）。\
                   请确认数据库服务器已启动、服务器地址和端口正确、网络可达；台账未作任何修改\n";
    let pay = ["pay", "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv", "--out", "out"];
    std::fs::write(d.join("youfu.toml"), "county = \"示例县\"\ncounty_code = \"110101\"\n").unwrap();
    for args in [
        &pay[..],
        &["init", "--county", "示例县", "--county-code", "110101"],
        &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"],
        &["batches"],
        &["deadline", "--month", "2024-03"],
    ] {
        let r = youfu(d, &[&["--ledger", url][..], args].concat());
        assert_eq!(r.code, 7, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr, refusal, "{args:?}");
    }
    // The same from youfu.toml's `ledger`, and as JSON with its code.
    std::fs::write(
        d.join("youfu.toml"),
        format!("county = \"示例县\"\ncounty_code = \"110101\"\nledger = \"{url}\"\n"),
    )
    .unwrap();
    let r = youfu(d, &["batches", "--json"]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["code"].as_str(), Some("LEDGER_UNREACHABLE"));
    assert!(!r.stdout.contains("s3cret") && !r.stderr.contains("s3cret"), "the password is never shown");
    std::fs::remove_file(d.join("youfu.toml")).unwrap();
    let r = youfu(d, &["--ledger", "mysql://root@db/ledger", "batches"]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("错误：台账地址 mysql://root@db/ledger 无法解析：不支持 mysql:// 地址"),
        "{}",
        r.stderr
    );
    assert_eq!(entries(d), ["roster.csv", "standards.csv"], "nothing written");
}
