//! `youfu calendar import|show`: next year's working days from the State Council's notice as published, and
//! the year table to check beside it. The reading and checking is `calendar::notice` (pure); here are the
//! files, the refusal of a year youfu already knows (unless `--replace`), and the printed table.

use super::{Cli, Failure, load};
use crate::calendar::notice::Notice;
use crate::calendar::{Calendar, CalendarError, DayKind, YearView, arrange, parse_notice};
use crate::domain::{Location, Problem};
use chrono::{Datelike, NaiveDate, Weekday};
use clap::{Args as ClapArgs, Subcommand};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A notice is a page of text; anything much larger is not one (and is not read into memory).
const MAX_NOTICE_BYTES: u64 = 1024 * 1024;

#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub command: CalendarCommand,
}

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// 从国务院办公厅节假日安排通知的原文导入一年的放假调休安排，写成日历文件
    Import(ImportArgs),
    /// 列出某年的放假日与调休上班日（内置或日历文件中的）
    Show(ShowArgs),
}

#[derive(ClapArgs, Debug)]
pub struct ImportArgs {
    /// 通知全文的文本文件（从标题开始复制）；修改某年安排的通知（如延长春节假期）放在该年通知之后
    #[arg(required = true, value_name = "NOTICE.txt")]
    pub notices: Vec<PathBuf>,
    /// 写出的日历文件，如 日历2027.toml（再把它加入 youfu.toml 的 calendar_file）
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// 允许替换 youfu 已有的年份（内置或日历文件中的），并覆盖已存在的 --out 文件；会列出变化
    #[arg(long)]
    pub replace: bool,
}

#[derive(ClapArgs, Debug)]
pub struct ShowArgs {
    /// 年份，如 2027
    #[arg(value_name = "YEAR")]
    pub year: i32,
}

pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    match &args.command {
        CalendarCommand::Import(a) => import(cli, a),
        CalendarCommand::Show(a) => show(cli, a),
    }
}

fn show(cli: &Cli, args: &ShowArgs) -> Result<(), Failure> {
    let cfg = load::config(cli)?;
    let cal = load::calendar(&cfg.config, false)?;
    let Some(view) = cal.year_view(args.year) else {
        return Err(Failure::Data(CalendarError::MissingYear(args.year).to_problem().into()));
    };
    say(&table(&view, None));
    Ok(())
}

fn import(cli: &Cli, args: &ImportArgs) -> Result<(), Failure> {
    let mut notices: Vec<(Notice, usize)> = Vec::new();
    for (i, path) in args.notices.iter().enumerate() {
        let text = read_notice(path)?;
        let notice = parse_notice(&text).map_err(|e| refused(path, e.line, &e.text, &e.message))?;
        notices.push((notice, i));
    }
    let arranged = arrange(&notices).map_err(|(i, e)| refused(&args.notices[i], e.line, &e.text, &e.message))?;

    let cfg = load::config(cli)?;
    let known = load::calendar(&cfg.config, false)?;
    let out = args.out.display().to_string();
    for a in &arranged {
        if let Some(old) = known.year_view(a.year)
            && !args.replace
        {
            let (path, title) = notices
                .iter()
                .find(|(n, _)| n.year == a.year)
                .map(|(n, i)| (&args.notices[*i], n.title.clone()))
                .expect("an arrangement comes from a notice");
            let known_as = match &old.source {
                None => format!("youfu 已内置{}年的安排", a.year),
                Some(s) => format!("日历文件 {s} 中已有{}年的安排", a.year),
            };
            return Err(refused(
                path,
                1,
                &title,
                &format!(
                    "{known_as}。如确需以这份通知替换，请加 --replace 重新运行（会列出变化）：{}",
                    command_line(&args.notices, &args.out, true)
                ),
            ));
        }
    }
    if args.out.exists() && !args.replace {
        return Err(Failure::Usage(format!(
            "{out} 已存在，未改动。请换一个文件名，或加 --replace 覆盖：{}",
            command_line(&args.notices, &args.out, true)
        )));
    }

    let text: String = arranged.iter().map(|a| a.to_toml()).collect::<Vec<_>>().join("\n");
    // What is written must read back as a calendar file; checked before anything is written.
    let imported = Calendar::builtin().with_user_toml(&text, &out).map_err(|e| Failure::Config(e.to_string()))?;
    crate::output::atomic::write_file(&args.out, text.as_bytes())
        .map_err(|e| Failure::Io(format!("无法写出 {out}：{}", super::io_reason(&e))))?;

    for a in &arranged {
        let view = imported.year_view(a.year).expect("just imported");
        let old = known.year_view(a.year);
        say(&table(&view, old.as_ref()));
        for n in &a.notes {
            say(&format!("注：{n}。\n"));
        }
        say("\n");
    }
    say(&format!("已写出 {out}。请逐行对照通知原文核对上表。\n"));
    // The configured files were made absolute when the config was loaded (relative to its folder); the line to
    // write names each relative to that folder where it lies inside it, so it reads as the user wrote it.
    let out_abs = std::path::absolute(&args.out).unwrap_or_else(|_| args.out.clone());
    if !cfg.config.calendar_file.iter().any(|f| Path::new(f) == out_abs) {
        let base = cfg.path.as_deref().map(super::load::config_dir).and_then(|d| std::path::absolute(d).ok());
        let shown = |f: &Path| match base.as_deref().and_then(|b| f.strip_prefix(b).ok()) {
            Some(rel) => rel.display().to_string(),
            None => f.display().to_string(),
        };
        let mut files: Vec<String> = cfg.config.calendar_file.iter().map(|f| shown(Path::new(f))).collect();
        files.push(if base.is_some() { shown(&out_abs) } else { out.clone() });
        let list: Vec<String> = files.iter().map(|f| toml::Value::String(f.clone()).to_string()).collect();
        let where_ = cfg.path.as_ref().map_or("youfu.toml".to_string(), |p| p.display().to_string());
        say(&format!("下一步：在 {where_} 中写入（或改为）这一行，youfu 才会使用它：\n"));
        say(&format!("calendar_file = [{}]\n", list.join(", ")));
    }
    Ok(())
}

/// Print to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The notice's text: UTF-8 (a BOM is dropped) or, as Windows Notepad may save it, GB18030.
fn read_notice(path: &Path) -> Result<String, Failure> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| Failure::Io(format!("无法读取通知文件 {shown}：{e}")))?;
    if meta.len() > MAX_NOTICE_BYTES {
        return Err(refused(path, 1, "", "文件超过1 MB，不是一份节假日安排通知：请只保存通知的全文"));
    }
    let bytes = std::fs::read(path).map_err(|e| Failure::Io(format!("无法读取通知文件 {shown}：{e}")))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(bytes) {
        Ok(t) => Ok(t.to_string()),
        Err(_) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                return Err(refused(
                    path,
                    1,
                    "",
                    "不是文本文件（既不是 UTF-8 也不是 GBK 编码）：请把通知全文另存为文本文件",
                ));
            }
            Ok(text.into_owned())
        }
    }
}

/// A notice refused at a line: `2027.txt 第6行：“二、春节：……”：why。` (the line's text shortened).
fn refused(path: &Path, line: usize, text: &str, message: &str) -> Failure {
    let location = Location::file(path.display().to_string()).with_row(line as u32);
    let shown: String = text.chars().take(40).collect();
    let more = if text.chars().count() > 40 { "…" } else { "" };
    let message = if text.is_empty() { message.to_string() } else { format!("“{shown}{more}”：{message}") };
    Failure::Data(Problem::new("CALENDAR_NOTICE", message).at(location).into())
}

/// The command to run again, quoted where a shell needs it.
fn command_line(notices: &[PathBuf], out: &Path, replace: bool) -> String {
    let q = |p: &Path| {
        let s = p.display().to_string();
        if s.chars().any(|c| c.is_whitespace() || "'\"$`\\;&|()<>*?".contains(c)) {
            format!("'{}'", s.replace('\'', "'\\''"))
        } else {
            s
        }
    };
    let files: Vec<String> = notices.iter().map(|p| q(p)).collect();
    format!("youfu calendar import {} --out {}{}", files.join(" "), q(out), if replace { " --replace" } else { "" })
}

/// The year as a table to check beside the notice: date, weekday, 放假/上班, holiday; with `old`, a column
/// saying what changed, and the dates the new arrangement no longer lists.
pub fn table(view: &YearView, old: Option<&YearView>) -> String {
    let mut out = format!("{}年放假调休安排\n依据：{}", view.year, view.notice);
    if let Some(s) = &view.source {
        out.push_str(&format!("（来自 {s}）"));
    }
    out.push('\n');
    let kind = |k: DayKind| if k == DayKind::Holiday { "放假" } else { "上班" };
    let old_days: BTreeMap<NaiveDate, (DayKind, Option<String>)> =
        old.map(|o| o.days.iter().map(|(d, k, n)| (*d, (*k, n.clone()))).collect()).unwrap_or_default();
    let mut rows: Vec<(NaiveDate, String, String, String)> = Vec::new();
    for (d, k, name) in &view.days {
        let change = match (old, old_days.get(d)) {
            (None, _) => String::new(),
            (Some(_), None) => "新增".into(),
            (Some(_), Some((ok, _))) if ok != k => format!("原为{}", kind(*ok)),
            (Some(_), Some((_, oname))) if oname.is_some() && oname != name => {
                format!("原属{}", oname.as_deref().unwrap_or(""))
            }
            (Some(_), Some(_)) => String::new(),
        };
        rows.push((*d, kind(*k).into(), name.clone().unwrap_or_default(), change));
    }
    let new_days: std::collections::BTreeSet<NaiveDate> = view.days.iter().map(|x| x.0).collect();
    for (d, (k, name)) in &old_days {
        if !new_days.contains(d) {
            let was =
                format!("删去（原为{}{}）", kind(*k), name.as_deref().map(|n| format!("，{n}")).unwrap_or_default());
            let now = if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) { "休息" } else { "工作日" };
            rows.push((*d, now.to_string(), String::new(), was));
        }
    }
    rows.sort_by_key(|r| r.0);
    if old.is_some() {
        out.push_str("日期        星期    放假/上班  假日            变化\n");
    } else {
        out.push_str("日期        星期    放假/上班  假日\n");
    }
    for (d, k, name, change) in &rows {
        let line = format!("{d}  {}  {}{}  {}", load::weekday_cn(*d), k, pad(k, 9), name);
        if old.is_some() {
            out.push_str(format!("{line}{}  {change}", pad(name, 14)).trim_end());
        } else {
            out.push_str(line.trim_end());
        }
        out.push('\n');
    }
    let off = view.days.iter().filter(|x| x.1 == DayKind::Holiday).count();
    let on = view.days.len() - off;
    out.push_str(&format!("共放假 {off} 天（含假期中的周六、周日），调休上班 {on} 天。\n"));
    if old.is_some() {
        let changed = rows.iter().filter(|r| !r.3.is_empty()).count();
        if changed == 0 {
            out.push_str("与原有安排相同。\n");
        } else {
            out.push_str(&format!("与原有安排相比，有 {changed} 处变化（见“变化”一列）。\n"));
        }
    }
    out
}

/// Spaces to fill a column of `width` terminal cells after `s` (a CJK character takes two cells).
fn pad(s: &str, width: usize) -> String {
    let used: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    " ".repeat(width.saturating_sub(used))
}
