//! The command line: argument parsing, dispatch, and the mapping of failures to messages and exit codes.
//! Commands live one per file; each calls `input` → `compute` → `output` and returns a `Failure` on refusal.

// The commands are where youfu talks to the user: the only module that prints (src/lib.rs denies it elsewhere).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod arrears;
mod audit;
mod bank_return;
mod calendar;
mod check;
mod commit;
pub mod counties;
mod deadline;
pub mod exit;
mod explain;
mod failure;
mod history;
mod init;
pub mod internal;
mod ledger_copy;
mod ledger_io;
mod ledger_state;
mod load;
mod pay;
mod pay_schedule;
mod progress;
mod report;
pub mod report_command;
mod standards;
mod timings;
mod usage;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub use failure::{Failure, io_reason};

#[derive(Parser, Debug)]
#[command(name = "youfu", version = version_text(), about = "优抚资金按月计发、代发文件、台账与工作总结统计", long_about = None)]
pub struct Cli {
    /// 配置文件（默认：环境变量 YOUFU_CONFIG，否则当前文件夹或最近的上级文件夹中的 youfu.toml，都没有则用内置默认值）
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// 台账文件，相对当前文件夹（默认：配置中的 ledger，相对配置文件所在的文件夹；无配置文件时为当前文件夹下的 youfu.db）
    #[arg(long, global = true, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// 新建台账（只有 init 会新建台账）；没有配置文件时写出带说明的 youfu.toml
    Init(init::Args),
    /// 检查花名册与标准表，列出全部问题（无问题时退出码为 0）
    Check(check::Args),
    /// 列出某日有效的标准
    Standards(standards::Args),
    /// 计算某月应发金额并写出发放明细、代发文件等
    Pay(pay::Args),
    /// 银行代发完成后，确认某月已发放（写入台账，此后不能重复发放）
    Commit(commit::Args),
    /// 登记银行回盘：某月代发中被银行退回的款项（退回的不计为已发放，下月自动重发）
    BankReturn(bank_return::Args),
    /// 预览补发与多发（不写入台账）：按现行花名册和标准核对已确认发放的月份
    Arrears(arrears::Args),
    /// 逐项解释某人某月的金额：资格、所用标准、公式、舍入、台账已发与差额
    Explain(explain::Args),
    /// 某人的台账发放记录
    History(history::HistoryArgs),
    /// 台账中的全部发放批次
    Batches(history::BatchesArgs),
    /// 从台账生成半年/年度工作总结的统计段落（md/txt/docx）
    Report(report::Args),
    /// 把内置报告模板复制到目录中以便修改
    InitTemplates(report::InitArgs),
    /// 核查台账中各月是否每月20日前足额发放（逾期、未足额、缺少）
    Audit(audit::Args),
    /// 每月20日前：某月的到账截止日、报送银行截止日，以及发放日期是否逾期
    Deadline(deadline::Args),
    /// 节假日安排：从国务院办公厅的通知导入下一年（import），或列出某年（show）
    Calendar(calendar::Args),
    /// 台账的维护：copy 把一个台账中本县的全部发放历史复制到另一个台账（文件或 PostgreSQL）
    Ledger(ledger_copy::Args),
    /// 输出命令行补全脚本（bash、zsh、fish、powershell）
    Completions(CompletionsArgs),
}

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// 外壳：bash、zsh、fish、powershell
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `youfu --version`: the version and the years the built-in calendar knows (a configured `calendar_file` adds
/// more; `youfu calendar show` lists any year).
fn version_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let years = crate::calendar::Calendar::builtin().year_numbers();
        let span = match (years.first(), years.last()) {
            (Some(a), Some(b)) if a != b => format!("{a}—{b}年"),
            (Some(a), _) => format!("{a}年"),
            _ => "无".into(),
        };
        format!(
            "{}\n内置节假日安排：{span}（youfu.toml 的 calendar_file 可加入其他年份；youfu calendar import 从国务院办公厅的通知导入）",
            env!("CARGO_PKG_VERSION")
        )
    })
}

/// Parse arguments, run, print, and return the process exit code.
pub fn main() -> i32 {
    // Ctrl-C, or SIGTERM/SIGHUP from a supervisor: remove what the run was writing, then exit. The ledger needs
    // nothing: a transaction not committed is rolled back by SQLite.
    let _ = ctrlc::set_handler(|| {
        let removed = crate::output::atomic::abandon();
        eprintln!("已中断{}", if removed > 0 { "：未完成的输出已删除。" } else { "。" });
        std::process::exit(exit::INTERRUPTED);
    });
    let cli = match usage::parse() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let json = match &cli.command {
        Command::Init(a) => a.json,
        Command::Check(a) => a.json,
        Command::Standards(a) => a.json,
        Command::Pay(a) => a.json,
        Command::Deadline(a) => a.json,
        Command::Commit(a) => a.json,
        Command::BankReturn(a) => a.json,
        Command::Arrears(a) => a.json,
        Command::Explain(a) => a.json,
        Command::History(a) => a.json,
        Command::Batches(a) => a.json,
        Command::Audit(a) => a.json,
        Command::Report(a) => a.json,
        Command::Ledger(a) => a.json(),
        Command::InitTemplates(_) | Command::Calendar(_) | Command::Completions(_) => false,
    };
    // Commands that only read and print, and bank-return (it records in the ledger, and its refusals say 台账未记录
    // 任何退回): a refusal of theirs says nothing about files.
    let writes_files = !matches!(
        &cli.command,
        Command::BankReturn(_)
            | Command::Check(_)
            | Command::Standards(_)
            | Command::Deadline(_)
            | Command::Arrears(_)
            | Command::Explain(_)
            | Command::History(_)
            | Command::Batches(_)
            | Command::Ledger(_)
    );
    let ok = |r: Result<(), Failure>| r.map(|()| exit::OK);
    let result = match &cli.command {
        Command::Init(a) => ok(init::run(&cli, a)),
        Command::Check(a) => ok(check::run(&cli, a)),
        Command::Standards(a) => ok(standards::run(&cli, a)),
        Command::Pay(a) => ok(pay::run(&cli, a)),
        Command::Deadline(a) => deadline::run(&cli, a),
        Command::Commit(a) => ok(commit::run(&cli, a)),
        Command::BankReturn(a) => ok(bank_return::run(&cli, a)),
        Command::Arrears(a) => ok(arrears::run(&cli, a)),
        Command::Explain(a) => ok(explain::run(&cli, a)),
        Command::History(a) => ok(history::history(&cli, a)),
        Command::Batches(a) => ok(history::batches(&cli, a)),
        Command::Audit(a) => audit::run(&cli, a),
        Command::Report(a) => report::run(&cli, a),
        Command::InitTemplates(a) => report::init_templates(a),
        Command::Calendar(a) => ok(calendar::run(&cli, a)),
        Command::Ledger(a) => ok(ledger_copy::run(&cli, a)),
        Command::Completions(a) => completions(a.shell),
    };
    match result {
        Ok(code) => code,
        Err(f) => f.report_for(json, writes_files),
    }
}

/// `youfu completions SHELL`: the script on stdout. clap_complete panics (in English, exit 101) when stdout fails,
/// so the script is made in memory and written here: a reader that stops early (`| head`) is no fault of youfu's
/// and ends the run quietly; any other failure is a refusal with exit 5.
fn completions(shell: clap_complete::Shell) -> Result<i32, Failure> {
    use std::io::Write;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut usage::command(), "youfu", &mut script);
    let mut out = std::io::stdout().lock();
    match out.write_all(&script).and_then(|()| out.flush()) {
        Ok(()) => Ok(exit::OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(Failure::Io(format!("无法写出补全脚本：{e}"))),
    }
}
