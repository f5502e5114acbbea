//! The command line's own words in Chinese: clap writes its help headings ("Usage:", "Options:"), its `-h/--help`
//! and `-V/--version` lines and its usage errors ("error: unexpected argument …") in English, and a finance
//! officer reads them. Here the help template, the headings and the two flags are set on every (sub)command, and
//! a usage error is rendered from its kind and context (clap keeps them as data) instead of clap's English text.
//! The exit codes stay clap's: 0 for help and version, 2 (`exit::USAGE`) for a usage error.

use super::{Cli, exit};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches};

const TEMPLATE: &str = "{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";

/// `Cli`'s command with Chinese help: used for parsing, `youfu help`, and the completion scripts.
pub fn command() -> Command {
    localize(Cli::command(), true)
}

fn localize(cmd: Command, top: bool) -> Command {
    let mut cmd = cmd
        .help_template(TEMPLATE)
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        .disable_help_flag(true)
        .disable_help_subcommand(true);
    if top {
        // Global: every subcommand inherits the one -h/--help.
        cmd = cmd
            .arg(Arg::new("help").short('h').long("help").action(ArgAction::Help).help("显示帮助").global(true))
            .disable_version_flag(true)
            .arg(Arg::new("version").short('V').long("version").action(ArgAction::Version).help("显示版本"))
            .subcommand(
                Command::new("help")
                    .about("显示某个命令的帮助（同 youfu 命令 --help）")
                    .arg(Arg::new("command").value_name("命令").num_args(0..)),
            );
    }
    let ids: Vec<(clap::Id, bool)> = cmd
        .get_arguments()
        .filter(|a| a.get_help_heading().is_none())
        .map(|a| (a.get_id().clone(), a.is_positional()))
        .collect();
    for (id, positional) in ids {
        cmd = cmd.mut_arg(id, |a| a.help_heading(if positional { "参数" } else { "选项" }));
    }
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |s| localize(s, false));
    }
    cmd
}

/// Parse the process's arguments; `Err(code)` when the run ends here (help, version, a usage error), after
/// printing what clap would have printed, in Chinese.
pub fn parse() -> Result<Cli, i32> {
    parse_from(std::env::args_os())
}

fn parse_from(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Cli, i32> {
    let mut cmd = command();
    let matches = match cmd.try_get_matches_from_mut(args) {
        Ok(m) => m,
        Err(e) => return Err(report(&e)),
    };
    if let Some(("help", sub)) = matches.subcommand() {
        let path: Vec<&String> = sub.get_many::<String>("command").map(|v| v.collect()).unwrap_or_default();
        return Err(help_for(&mut cmd, &path));
    }
    Cli::from_arg_matches(&matches).map_err(|e| report(&e))
}

/// `youfu help [命令 …]`: that command's help on stdout, as `--help` prints it.
fn help_for(cmd: &mut Command, path: &[&String]) -> i32 {
    // Built first, so that a subcommand's usage line names `youfu pay`, not `pay`.
    cmd.build();
    let mut target = cmd;
    for name in path {
        match target.find_subcommand_mut(name.as_str()) {
            Some(sub) => target = sub,
            None => {
                eprintln!("没有“{name}”这个命令。运行 youfu --help 可列出全部命令。");
                return exit::USAGE;
            }
        }
    }
    println!("{}", plain(&target.render_help().to_string()));
    exit::OK
}

/// clap's generated usage keeps an English placeholder, and it ends headings with an ASCII colon.
fn plain(text: &str) -> String {
    let mut text = text.replace("[OPTIONS]", "[选项]");
    for heading in ["命令", "选项", "参数"] {
        text = text.replace(&format!("\n{heading}:\n"), &format!("\n{heading}：\n"));
    }
    text.trim_end().to_string()
}

/// Print a parse outcome and return its exit code.
fn report(e: &clap::Error) -> i32 {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            println!("{}", plain(&e.to_string()));
            exit::OK
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            eprintln!("{}", plain(&e.to_string()));
            exit::USAGE
        }
        _ => {
            eprintln!("{}", message(e));
            exit::USAGE
        }
    }
}

fn context(e: &clap::Error, kind: ContextKind) -> Vec<String> {
    match e.get(kind) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::StyledStr(s)) => vec![s.to_string()],
        Some(ContextValue::StyledStrs(v)) => v.iter().map(|s| s.to_string()).collect(),
        Some(ContextValue::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

/// A usage error in Chinese: what was wrong, a suggestion when clap has one, the usage line, where to read more.
pub fn message(e: &clap::Error) -> String {
    let one = |k| context(e, k).into_iter().next().unwrap_or_default();
    let list = |k| context(e, k).join("、");
    let arg = one(ContextKind::InvalidArg);
    let value = one(ContextKind::InvalidValue);
    let mut text = match e.kind() {
        ErrorKind::UnknownArgument => format!("没有 {arg} 这个选项"),
        ErrorKind::InvalidSubcommand => format!("没有“{}”这个命令", one(ContextKind::InvalidSubcommand)),
        ErrorKind::InvalidValue if value.is_empty() => format!("{arg} 后面缺少值"),
        ErrorKind::InvalidValue => format!("{arg} 的值“{value}”无效"),
        ErrorKind::ValueValidation => match std::error::Error::source(e) {
            Some(why) => format!("{arg} 的值“{value}”无效：{why}"),
            None => format!("{arg} 的值“{value}”无效"),
        },
        ErrorKind::MissingRequiredArgument => format!("缺少必需的参数：{}", list(ContextKind::InvalidArg)),
        ErrorKind::ArgumentConflict => format!("{arg} 不能与 {} 同时使用", list(ContextKind::PriorArg)),
        ErrorKind::TooManyValues => format!("{arg} 的值“{value}”多余"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!(
                "{arg} 需要 {} 个值，实际给了 {} 个",
                one(ContextKind::ExpectedNumValues),
                one(ContextKind::ActualNumValues)
            )
        }
        ErrorKind::NoEquals => format!("{arg} 的值须用等号给出（{arg}=值）"),
        ErrorKind::InvalidUtf8 => "命令行参数不是有效的 UTF-8 文字".to_string(),
        _ => format!("命令行参数有误（{:?}）", e.kind()),
    };
    text.push('。');
    let valid = list(ContextKind::ValidValue);
    if !valid.is_empty() {
        text.push_str(&format!("可用的值：{valid}。"));
    }
    for k in [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand, ContextKind::SuggestedValue] {
        let s = list(k);
        if !s.is_empty() {
            text.push_str(&format!("是否想用 {s}？"));
        }
    }
    let usage = one(ContextKind::Usage);
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    if !usage.is_empty() {
        let usage = plain(usage);
        // The command's own words: those before the first option, placeholder or [选项].
        let command: Vec<&str> = usage.split(' ').take_while(|w| !w.starts_with(['[', '<', '-'])).collect();
        let command = command.join(" ");
        text.push_str(&format!("\n用法：{usage}\n查看全部选项，请运行：{command} --help"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(args: &[&str]) -> String {
        let e = command().try_get_matches_from(args.iter().copied()).expect_err("refused");
        message(&e)
    }

    #[test]
    fn usage_errors_are_in_chinese_with_the_usage_and_where_to_read_more() {
        assert_eq!(
            err(&["youfu", "pay", "--month", "2024-03", "--frobnicate"]),
            "没有 --frobnicate 这个选项。\n用法：youfu pay --month <YYYY-MM> --roster <FILE> --standards <FILE> --out <DIR>\n查看全部选项，请运行：youfu pay --help"
        );
        assert_eq!(
            err(&["youfu", "comit"]),
            "没有“comit”这个命令。是否想用 completions、commit？\n用法：youfu [选项] <命令>\n查看全部选项，请运行：youfu --help"
        );
        assert_eq!(
            err(&["youfu", "completions", "tcsh"]),
            // clap gives no usage line with a bad value: the values and its suggestion say enough
            "<SHELL> 的值“tcsh”无效。可用的值：bash、elvish、fish、powershell、zsh。是否想用 zsh？"
        );
    }

    #[test]
    fn help_has_chinese_headings_on_every_command() {
        let mut cmd = command();
        let top = plain(&cmd.render_help().to_string());
        assert!(top.contains("用法：youfu [选项] <命令>\n\n命令：\n  init "), "{top}");
        assert!(top.contains("\n选项：\n"), "{top}");
        cmd.build();
        for sub in cmd.get_subcommands_mut() {
            let text = plain(&sub.render_help().to_string());
            assert!(!text.contains("Print help") && !text.contains("Usage:") && !text.contains("Options:"), "{text}");
        }
    }
}
