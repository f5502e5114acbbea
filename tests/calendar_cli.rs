//! `youfu calendar import|show`, the December notice about next year, completions and --version, run as a user
//! would: the notice texts of src/calendar/notices/, exact messages, nothing written on refusal.

mod common;

use common::{entries, youfu, youfu_on};
use std::path::{Path, PathBuf};

fn notice(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/calendar/notices").join(name)
}

/// A folder holding the given notice files under their own names.
fn dir_with(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for n in names {
        std::fs::copy(notice(n), dir.path().join(n)).unwrap();
    }
    dir
}

const TABLE_2027_HEAD: &str = "\
2027年放假调休安排
依据：国务院办公厅关于2027年部分节假日安排的通知（来自 日历2027.toml）
日期        星期    放假/上班  假日
2027-01-01  星期五  放假       元旦
2027-01-02  星期六  放假       元旦
2027-01-03  星期日  放假       元旦
2027-01-31  星期日  上班       春节
2027-02-05  星期五  放假       春节
";

#[test]
fn import_then_deadline_in_2027_works_and_without_it_deadline_names_the_import_command() {
    let dir = dir_with(&["2027-sample.txt"]);
    let d = dir.path();
    // Without 2027: refused, with the command that imports it.
    let r = youfu(d, &["deadline", "--month", "2027-01", "--today", "2027-01-04"]);
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr,
        "日历中没有2027年的节假日安排。请把《国务院办公厅关于2027年部分节假日安排的通知》全文保存为 2027年通知.txt，再运行 youfu calendar import 2027年通知.txt --out 日历2027.toml，并把 日历2027.toml 加入 youfu.toml 的 calendar_file，或使用 --weekends-only 仅按周末计算。 [CALENDAR_MISSING_YEAR]\n共 1 个问题。\n"
    );

    let r = youfu(d, &["calendar", "import", "2027-sample.txt", "--out", "日历2027.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with(TABLE_2027_HEAD), "{}", r.stdout);
    assert!(r.stdout.contains("2027-02-20  星期六  上班       春节\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with(
        "共放假 28 天（含假期中的周六、周日），调休上班 6 天。\n\n已写出 日历2027.toml。请逐行对照通知原文核对上表。\n下一步：在 youfu.toml 中写入（或改为）这一行，youfu 才会使用它：\ncalendar_file = [\"日历2027.toml\"]\n"
    ));
    let written = std::fs::read_to_string(d.join("日历2027.toml")).unwrap();
    assert!(written.contains("[2027]\nnotice = \"国务院办公厅关于2027年部分节假日安排的通知\"\n"), "{written}");

    // The printed line, copied into youfu.toml, makes 2027 known.
    std::fs::write(d.join("youfu.toml"), "calendar_file = [\"日历2027.toml\"]\n").unwrap();
    let r = youfu(d, &["deadline", "--month", "2027-01", "--today", "2027-01-04"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // 2027-01-20 is a Wednesday and no holiday; two working days before it is Monday 18.
    assert_eq!(
        r.stdout,
        "所属期 2027-01：资金最迟到账日 2027-01-20（星期三），代发文件最迟报送银行日 2027-01-18（星期一，提前 2 个工作日）。\n今天 2027-01-04，距到账截止日还有 12 个工作日，距报送截止日还有 10 个工作日。\n"
    );
    // 2027-02: the 20th is the sample's Saturday make-up day, so it is the deadline itself.
    let r = youfu(d, &["deadline", "--month", "2027-02", "--today", "2027-02-01", "--json"]);
    assert!(r.stdout.contains("\"deadline\": \"2027-02-20\""), "{}", r.stdout);
    // show prints the same table for the configured year.
    // The configured file is named as youfu read it: relative to the config's folder, made absolute.
    let r = youfu(d, &["calendar", "show", "2027"]);
    let named_from = format!("{}/", std::path::absolute(d).unwrap().display());
    assert!(r.stdout.replace(&named_from, "").starts_with(TABLE_2027_HEAD), "{}", r.stdout);
}

#[test]
fn show_prints_a_builtin_year_with_its_holidays_and_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let r = youfu(dir.path(), &["calendar", "show", "2020"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("2020年放假调休安排\n依据：国务院办公厅关于2020年部分节假日安排的通知（国办发明电〔2019〕16号）；国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号）\n"));
    assert!(r.stdout.contains("2020-01-19  星期日  上班       春节\n"));
    assert!(r.stdout.contains("2020-02-01  星期六  放假       春节\n"));
    assert!(r.stdout.contains("2020-10-10  星期六  上班       国庆节、中秋节\n"));
    let r = youfu(dir.path(), &["calendar", "show", "2031"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("youfu calendar import 2031年通知.txt --out 日历2031.toml"), "{}", r.stderr);
}

#[test]
fn an_amending_notice_is_imported_after_its_year() {
    let dir = dir_with(&["2019.txt", "2019-labour-day-adjustment.txt"]);
    let d = dir.path();
    let r = youfu(d, &["calendar", "import", "2019.txt", "2019-labour-day-adjustment.txt", "--out", "2019.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("2019-04-28  星期日  上班       劳动节\n2019-05-01  星期三  放假       劳动节\n2019-05-02  星期四  放假       劳动节\n2019-05-03  星期五  放假       劳动节\n2019-05-04  星期六  放假       劳动节\n2019-05-05  星期日  上班       劳动节\n"), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "注：劳动节按《国务院办公厅关于调整2019年劳动节假期安排的通知（国办发明电〔2019〕3号）》调整。\n"
        )
    );
    // The amendment alone is refused: it needs its year's notice first.
    let r = youfu(d, &["calendar", "import", "2019-labour-day-adjustment.txt", "--out", "only.toml"]);
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr,
        "2019-labour-day-adjustment.txt 第1行：“国务院办公厅关于调整2019年劳动节假期安排的通知”：这是修改2019年安排的通知，不能单独导入：请在同一条 youfu calendar import 命令中先给《国务院办公厅关于2019年部分节假日安排的通知》的文本文件，再给本通知。 [CALENDAR_NOTICE]\n共 1 个问题，未写出任何文件。\n"
    );
    assert!(!d.join("only.toml").exists());
}

/// Each bad notice is refused naming the file and line, with exit code 3, and writes nothing.
fn refused(name: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    let r = youfu(dir.path(), &["calendar", "import", name, "--out", "out.toml"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(entries(dir.path()), vec![name.to_string()], "nothing written");
    r.stderr
}

fn n2027() -> String {
    std::fs::read_to_string(notice("2027-sample.txt")).unwrap()
}

const END: &str = " [CALENDAR_NOTICE]\n共 1 个问题，未写出任何文件。\n";

#[test]
fn another_document_is_refused() {
    assert_eq!(
        refused("x.txt", "国务院办公厅关于印发“十四五”现代物流发展规划的通知\n各省、自治区、直辖市人民政府：\n"),
        format!(
            "x.txt 第1行：“国务院办公厅关于印发“十四五”现代物流发展规划的通知”：这不是国务院办公厅的节假日安排通知：第一行应是通知标题，如“国务院办公厅关于2027年部分节假日安排的通知”。请从标题开始复制通知全文。{END}"
        )
    );
}

#[test]
fn a_date_that_does_not_exist_is_refused() {
    let text = n2027().replace("二、春节：2月5日（农历除夕、周五）", "二、春节：2月30日（农历除夕、周五）");
    assert_eq!(
        refused("2027.txt", &text),
        format!(
            "2027.txt 第5行：“二、春节：2月30日（农历除夕、周五）至12日（农历正月初七、周五）放假调休，共…”：“2月30日（农历除夕、周五）至12日（农历正月初七、周五）放假调休，共8天”：2027年2月30日不存在。{END}"
        )
    );
}

#[test]
fn a_weekday_that_does_not_match_is_refused() {
    let text = n2027().replace("6月9日（周三）", "6月9日（周四）");
    assert_eq!(
        refused("2027.txt", &text),
        format!(
            "2027.txt 第8行：“五、端午节：6月9日（周四）放假1天，不调休。”：“6月9日（周四）放假1天，不调休”：2027年6月9日是星期三，不是通知所写的周四。{END}"
        )
    );
}

#[test]
fn a_total_that_does_not_add_up_is_refused() {
    let text = n2027().replace("至5日（周三）放假调休，共5天", "至5日（周三）放假调休，共6天");
    assert_eq!(
        refused("2027.txt", &text),
        format!(
            "2027.txt 第7行：“四、劳动节：5月1日（周六）至5日（周三）放假调休，共6天。4月25日（周日）、…”：“5月1日（周六）至5日（周三）放假调休，共6天”：写的是共6天，但2027年5月1日至2027年5月5日是5天。{END}"
        )
    );
}

#[test]
fn a_make_up_day_on_a_weekday_is_refused() {
    let text = n2027().replace("9月26日（周日）", "9月27日（周一）");
    assert_eq!(
        refused("2027.txt", &text),
        format!(
            "2027.txt 第10行：“七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月27日（周一）…”：2027年9月27日是星期一，不是周六或周日，不能是调休上班日。{END}"
        )
    );
}

#[test]
fn a_year_already_built_in_needs_replace_and_then_shows_what_changed() {
    let dir = dir_with(&["2020.txt"]);
    let d = dir.path();
    let r = youfu(d, &["calendar", "import", "2020.txt", "--out", "2020.toml"]);
    assert_eq!(r.code, 3);
    assert_eq!(
        r.stderr,
        format!(
            "2020.txt 第1行：“国务院办公厅关于2020年部分节假日安排的通知”：youfu 已内置2020年的安排。如确需以这份通知替换，请加 --replace 重新运行（会列出变化）：youfu calendar import 2020.txt --out 2020.toml --replace。{END}"
        )
    );
    assert_eq!(entries(d), vec!["2020.txt"]);
    // With --replace: the original notice without the extension, compared with the built-in year.
    let r = youfu(d, &["calendar", "import", "2020.txt", "--out", "2020.toml", "--replace"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("日期        星期    放假/上班  假日            变化\n"), "{}", r.stdout);
    assert!(r.stdout.contains(
        "2020-01-30  星期四  放假       春节\n2020-01-31  星期五  工作日                     删去（原为放假，春节）\n2020-02-01  星期六  上班       春节            原为放假\n2020-02-02  星期日  休息                       删去（原为放假，春节）\n2020-04-04  星期六  放假       清明节\n"
    ), "{}", r.stdout);
    assert!(r.stdout.contains("与原有安排相比，有 3 处变化（见“变化”一列）。\n"));
    // An existing --out is not overwritten without --replace.
    let before = std::fs::read(d.join("2020.toml")).unwrap();
    std::fs::copy(notice("2027-sample.txt"), d.join("2027.txt")).unwrap();
    let r = youfu(d, &["calendar", "import", "2027.txt", "--out", "2020.toml"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "错误：2020.toml 已存在，未改动。请换一个文件名，或加 --replace 覆盖：youfu calendar import 2027.txt --out 2020.toml --replace\n"
    );
    assert_eq!(std::fs::read(d.join("2020.toml")).unwrap(), before);
}

#[test]
fn from_december_deadline_pay_and_audit_say_next_year_is_missing_without_changing_the_exit_code() {
    let dir = common::workdir(common::ROSTER, common::STANDARDS);
    let d = dir.path();
    let warning = "提示：日历中还没有2027年的节假日安排，2027年各月的截止日将无法计算。国务院办公厅通常在11月前后发布次年安排，发布后请把《国务院办公厅关于2027年部分节假日安排的通知》全文保存为 2027年通知.txt，再运行 youfu calendar import 2027年通知.txt --out 日历2027.toml，并把 日历2027.toml 加入 youfu.toml 的 calendar_file。\n";
    let deadline = ["deadline", "--month", "2026-11"];
    let nov = youfu_on(d, &deadline, "2026-11-30");
    let dec = youfu_on(d, &deadline, "2026-12-01");
    assert_eq!(nov.stderr, "");
    assert_eq!(dec.stderr, warning);
    assert_eq!((nov.code, dec.code), (8, 8)); // 2026-11's deadline has passed on both days
    for args in [
        vec![
            "pay",
            "--month",
            "2026-11",
            "--roster",
            "roster.csv",
            "--standards",
            "standards.csv",
            "--out",
            "out",
            "--no-xlsx",
        ],
        vec!["audit", "--from", "2026-01", "--to", "2026-11"],
    ] {
        let nov = youfu_on(d, &args, "2026-11-30");
        let dec = youfu_on(d, &args, "2026-12-07");
        assert_eq!(nov.code, dec.code, "{args:?}");
        assert!(!nov.stderr.contains("提示：日历中还没有"), "{args:?}: {}", nov.stderr);
        assert!(dec.stderr.starts_with(warning), "{args:?}: {}", dec.stderr);
        let _ = std::fs::remove_dir_all(d.join("out"));
    }
    // With --config, the import command carries it (run without it, the import would not find this config and
    // would name the wrong file for calendar_file).
    std::fs::create_dir(d.join("县局")).unwrap();
    std::fs::write(d.join("县局/youfu.toml"), "county = \"示例县\"\n").unwrap();
    let r = youfu_on(d, &["--config", "县局/youfu.toml", "deadline", "--month", "2026-11"], "2026-12-01");
    assert_eq!(
        r.stderr,
        warning.replace("再运行 youfu calendar import", "再运行 youfu --config 县局/youfu.toml calendar import"),
    );
    // Once 2027 is imported and configured, no notice.
    std::fs::copy(notice("2027-sample.txt"), d.join("2027.txt")).unwrap();
    assert_eq!(youfu(d, &["calendar", "import", "2027.txt", "--out", "日历2027.toml"]).code, 0);
    std::fs::write(d.join("youfu.toml"), "calendar_file = \"日历2027.toml\"\n").unwrap();
    assert_eq!(youfu_on(d, &deadline, "2026-12-01").stderr, "");
}

#[test]
fn version_names_the_calendar_years_and_completions_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let r = youfu(dir.path(), &["--version"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        format!(
            "youfu {}\n内置节假日安排：2020—2026年（youfu.toml 的 calendar_file 可加入其他年份；youfu calendar import 从国务院办公厅的通知导入）\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    for (shell, marker) in [
        ("bash", "complete -F _youfu"),
        ("zsh", "#compdef youfu"),
        ("fish", "complete -c youfu"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = youfu(dir.path(), &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}");
        assert!(r.stdout.contains(marker), "{shell}: {}", &r.stdout[..200.min(r.stdout.len())]);
        assert!(r.stdout.contains("calendar"), "{shell}");
    }
    assert_eq!(youfu(dir.path(), &["completions", "tcsh"]).code, 2);
}

/// `youfu completions bash | head -1`: the reader closes the pipe before the script is written. The run ends
/// quietly (clap_complete's own writer panicked: exit 101 and Rust's English text on stderr).
#[test]
fn completions_into_a_closed_pipe_end_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // The read end is closed before youfu starts, so its first write fails (EPIPE) whatever the timing.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_youfu"))
        .args(["completions", "zsh"])
        .current_dir(dir.path())
        .stdout(writer)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    // Ended by SIGPIPE (13), as every command in a closed pipe is (src/main.rs), with nothing on stderr.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!((out.status.signal(), String::from_utf8_lossy(&out.stderr).as_ref()), (Some(13), ""));
}

/// `--out` in a folder that does not exist: exit 5 and why in Chinese, without the system's English words or the
/// temporary file's path ("No such file or directory (os error 2) at path \"…/.tmpXXXX\"").
#[test]
fn import_into_a_missing_folder_says_why_in_chinese() {
    let dir = dir_with(&["2027-sample.txt"]);
    let r = youfu(dir.path(), &["calendar", "import", "2027-sample.txt", "--out", "无此文件夹/日历2027.toml"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(r.stderr, "错误：无法写出 无此文件夹/日历2027.toml：所在文件夹不存在，请先建立该文件夹或换一个路径\n");
    assert_eq!(entries(dir.path()), ["2027-sample.txt"]);
}
