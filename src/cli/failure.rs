//! Why a command refused or failed, and how that is shown: Chinese text on stderr, or a JSON object on stdout
//! with `--json`, and a distinct exit code.

use super::exit::{self, LedgerExit};
use crate::domain::Problems;
use serde_json::json;

#[derive(Debug)]
pub enum Failure {
    /// Bad input data: every problem found.
    Data(Problems),
    /// youfu.toml is wrong.
    Config(String),
    /// A file could not be read or written.
    Io(String),
    /// A command-line value is wrong (e.g. a month 2024-13).
    Usage(String),
    /// The ledger refused (already committed, busy, not a ledger, …).
    Ledger(crate::ledger::LedgerError),
    /// A pay date after the deadline without `--allow-late`.
    Late(String),
    /// No ledger where the configuration says (only `youfu init` creates one): where youfu looked, the init command.
    NoLedger(String),
    /// `commit` of a draft whose roster, standards or configuration changed since: which, and which keys.
    InputsChanged(String),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Data(_) => exit::INVALID_DATA,
            Failure::Config(_) => exit::CONFIG,
            Failure::Io(_) => exit::IO,
            Failure::Usage(_) => exit::USAGE,
            Failure::Ledger(e) => e.exit_code(),
            Failure::Late(_) => exit::LATE,
            Failure::NoLedger(_) | Failure::InputsChanged(_) => exit::LEDGER,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Failure::Data(_) => "invalid_data",
            Failure::Config(_) => "config",
            Failure::Io(_) => "io",
            Failure::Usage(_) => "usage",
            Failure::Ledger(_) => "ledger",
            Failure::Late(_) => "late",
            Failure::NoLedger(_) | Failure::InputsChanged(_) => "ledger",
        }
    }

    /// Print the failure of a command that writes files and return the exit code.
    pub fn report(&self, json: bool) -> i32 {
        self.report_for(json, true)
    }

    /// Print the failure and return the exit code. `writes_files`: the command would have written files (pay,
    /// report …), so the problems' count says none was; a command that only reads (check, deadline …) does not
    /// end with a reassurance about files it never writes.
    pub fn report_for(&self, json: bool, writes_files: bool) -> i32 {
        let code = self.exit_code();
        match self {
            Failure::Data(p) => {
                eprintln!("{p}");
                if writes_files {
                    eprintln!("共 {} 个问题，未写出任何文件。", p.len());
                } else {
                    eprintln!("共 {} 个问题。", p.len());
                }
            }
            Failure::Config(m)
            | Failure::Io(m)
            | Failure::Usage(m)
            | Failure::Late(m)
            | Failure::NoLedger(m)
            | Failure::InputsChanged(m) => eprintln!("错误：{m}"),
            Failure::Ledger(e) => eprintln!("错误：{e}"),
        }
        if json {
            let v = match self {
                Failure::Data(p) => json!({"ok": false, "exit_code": code, "error": self.kind(), "problems": p}),
                Failure::Config(m) | Failure::Io(m) | Failure::Usage(m) | Failure::Late(m) => {
                    json!({"ok": false, "exit_code": code, "error": self.kind(), "message": m})
                }
                Failure::Ledger(e) => {
                    json!({"ok": false, "exit_code": code, "error": self.kind(), "code": e.code(), "message": e.to_string()})
                }
                Failure::NoLedger(m) => {
                    json!({"ok": false, "exit_code": code, "error": self.kind(), "code": "LEDGER_MISSING", "message": m})
                }
                Failure::InputsChanged(m) => json!({
                    "ok": false, "exit_code": code, "error": self.kind(), "code": "INPUTS_CHANGED_SINCE_DRAFT", "message": m
                }),
            };
            println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        }
        code
    }
}

impl From<crate::ledger::LedgerError> for Failure {
    fn from(e: crate::ledger::LedgerError) -> Self {
        Failure::Ledger(e)
    }
}

impl From<Problems> for Failure {
    fn from(p: Problems) -> Self {
        Failure::Data(p)
    }
}

/// Why a file or folder could not be written, in Chinese: the common causes by their kind, else the system's own
/// words (without the path of the temporary file the write went through, which means nothing to the user).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "所在文件夹不存在，请先建立该文件夹或换一个路径".into(),
        ErrorKind::PermissionDenied => "没有写入权限".into(),
        ErrorKind::StorageFull => "磁盘空间不足，请腾出空间后重新运行".into(),
        ErrorKind::ReadOnlyFilesystem => "该位置只读".into(),
        _ => match e.raw_os_error() {
            Some(code) => format!("系统错误：{}", std::io::Error::from_raw_os_error(code)),
            None => format!("系统错误：{}", e.kind()),
        },
    }
}

/// A template that cannot be read is a file problem; one that does not parse or render is the locality's
/// configuration (its own template), as before report errors had a type of their own.
impl From<crate::report::ReportError> for Failure {
    fn from(e: crate::report::ReportError) -> Self {
        match e {
            crate::report::ReportError::Unreadable(m) => Failure::Io(m),
            crate::report::ReportError::Template(m) => Failure::Config(m),
        }
    }
}
